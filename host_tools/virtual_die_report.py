"""Virtual die, report step: per-roll metrics, the display as terminal art or PNG, the benchmarks block.

Board facts (clock, I2C rate) come from hardware/pinmap.json through gendie.device; budgets from gendie.budgets.
"""
from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from gendie import budgets
from gendie.device import board
from gendie.fileio import write_text
from host_tools.virtual_die_build import ROOT, firmware_define, macs_per_face, memory_plan
from host_tools.virtual_die_sim import SimResult

NANO = board("nano")
DIE_COL = firmware_define("ui.h", "DIE_COL")
DIE_W = firmware_define("ui.h", "DIE_W")
BAYER = np.array([[0, 8, 2, 10], [12, 4, 14, 6], [3, 11, 1, 9], [15, 7, 13, 5]])  # mirrors die_view.c
BENCH_DOC = ROOT / "docs" / "benchmarks.md"
BENCH_START, BENCH_END = "<!-- virtual_die:start -->", "<!-- virtual_die:end -->"


def die_region(vram: np.ndarray) -> np.ndarray:
    """The 64x64 die area of a display image."""
    return vram[:, DIE_COL:DIE_COL + DIE_W]


def dither(face: np.ndarray) -> np.ndarray:
    """What the firmware draws for a 32x32 face: 2x scale, ordered 4x4 Bayer (mirrors die_view.c)."""
    big = np.kron(face.astype(np.int32), np.ones((2, 2), np.int32))
    ys, xs = np.mgrid[0:64, 0:64]
    return big >= BAYER[ys % 4, (xs + DIE_COL) % 4] * 16 + 8


def downsample(die: np.ndarray) -> np.ndarray:
    """64x64 display bits -> 32x32 grey (2x2 mean), for the pip counter."""
    return (die.reshape(32, 2, 32, 2).mean(axis=(1, 3)) * 255).round().astype(np.uint8)


def bus_seconds(i2c_bytes: int, transactions: int) -> float:
    """I2C bus time: 8 data bits + ACK per byte, START and STOP per transaction, at the board's rate."""
    return (9 * i2c_bytes + 2 * transactions) / NANO.i2c_hz


def roll_metrics(res: SimResult, marks: list[int]) -> list[dict]:
    """Per roll: cycles from the press to the last display byte, I2C bytes and their time on the bus."""
    out, macs = [], macs_per_face()
    for i, m in enumerate(marks):
        a, b = res.raw["marks"][m], res.raw["marks"][m + 1]
        n, t = b["i2c_bytes"] - a["i2c_bytes"], b["i2c_transactions"] - a["i2c_transactions"]
        cycles = b["last_i2c_cycle"] - a["cycle"] if n and res.raw["display"] else None
        bus_s = bus_seconds(n, t)
        r = res.rolls[i] if i < len(res.rolls) else {}
        out.append({"pips": r.get("pips"), "angle_code": r.get("angle_code"), "forced": r.get("forced"),
                    "decoder_cycles": r.get("cycles"),
                    "cycles_per_mac": round(r["cycles"] / macs, 2) if macs and r.get("cycles") else None,
                    "press_to_display_cycles": cycles,
                    "i2c_bytes": n, "i2c_bus_s": round(bus_s, 6),
                    "press_to_display_s": None if cycles is None else round(cycles / NANO.f_cpu + bus_s, 6)})
    return out


def build_report(res: SimResult, marks: list[int], elf: Path, display: bool) -> dict:
    """Everything the CLI prints: memory of the run and metrics per roll."""
    return {"elf": str(elf), "flash": res.memory["flash"], "sram_static": res.memory["sram_static"],
            "peak_stack": res.peak_stack, "sram_total": res.sram_total, "display": display,
            "crashed": res.raw["crashed"], "rolls": roll_metrics(res, marks),
            "logs": [f.fields()["text"] for f in res.frames if f.type_name == "LOG"]}


def render_terminal(img: np.ndarray) -> str:
    """Half-block picture of a bool image: one character per two pixel rows."""
    chars = {(0, 0): " ", (1, 0): "\u2580", (0, 1): "\u2584", (1, 1): "\u2588"}
    rows = []
    for y in range(0, img.shape[0], 2):
        rows.append("".join(chars[int(t), int(b)] for t, b in zip(img[y], img[y + 1])))
    frame = "+" + "-" * img.shape[1] + "+"
    return "\n".join([frame] + ["|" + r + "|" for r in rows] + [frame])


def save_png(img: np.ndarray, path: Path, scale: int = 4) -> None:
    from PIL import Image

    path.parent.mkdir(parents=True, exist_ok=True)
    big = np.kron(img.astype(np.uint8) * 255, np.ones((scale, scale), np.uint8))
    Image.fromarray(big, "L").save(path)


def benchmark_block(report: dict, presses: int, seed: int) -> str:
    """The firmware figures of a button-press run as the marked Markdown block of docs/benchmarks.md."""
    rolls = report["rolls"]
    worst = max(rolls, key=lambda r: r["press_to_display_s"] or 0)
    i2c = max(rolls, key=lambda r: r["i2c_bytes"])
    dec = [r["decoder_cycles"] for r in rolls]
    macs = macs_per_face()
    plan = memory_plan()
    return "\n".join([
        BENCH_START, f"Model `{plan['model']}`, `make -C firmware nano`, {len(rolls)} simulated button presses "
        f"(`python host_tools/virtual_die.py --presses {presses} --seed {seed} --write-benchmarks`).", "",
        "| figure | value | budget |", "|---|---|---|",
        f"| flash, .text + .data (B) | {report['flash']:,} | {budgets.AVR_FLASH_BYTES:,} |",
        f"| SRAM static, .data + .bss (B) | {report['sram_static']:,} | |",
        f"| SRAM peak stack, painted canary (B) | {report['peak_stack']:,} | |",
        f"| SRAM static + peak stack (B) | {report['sram_total']:,} | {budgets.AVR_SRAM_BYTES:,} |",
        f"| decoder_run cycles incl. row sink (dither, UART, I2C pages) | {min(dec):,} .. {max(dec):,} | |",
        f"| MACs per face (memory_plan.json) | {macs:,} | |",
        f"| cycles per MAC, decoder_run incl. row sink | {min(dec) / macs:.1f} .. {max(dec) / macs:.1f} | |",
        f"| press -> last display byte, simulated cycles (worst roll) | {worst['press_to_display_cycles']:,} "
        f"= {worst['press_to_display_cycles'] / NANO.f_cpu:.3f} s | |",
        f"| I2C bytes per roll, START/address + data (most) / their bus time at {NANO.i2c_hz // 1000} kHz | "
        f"{i2c['i2c_bytes']:,} / {i2c['i2c_bus_s'] * 1e3:.1f} ms | |",
        f"| press -> last display byte, cycles + bus time (worst roll) | {worst['press_to_display_s']:.3f} s | "
        f"{budgets.PRESS_TO_DISPLAY_S:.1f} s |",
        BENCH_END])


def write_benchmarks(block: str) -> None:
    """Replace the marked firmware block of docs/benchmarks.md (or append it)."""
    text = BENCH_DOC.read_text()
    if BENCH_START in text:
        text = re.sub(re.escape(BENCH_START) + ".*?" + re.escape(BENCH_END), lambda _: block, text, flags=re.S)
    else:
        text = text.rstrip("\n") + "\n\n" + block + "\n"
    write_text(BENCH_DOC, text)
