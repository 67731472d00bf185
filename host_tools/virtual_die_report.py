"""Virtual die, report step: per-roll metrics, the display as terminal art or PNG, the benchmarks block.

Board facts (clock, I2C rate) come from hardware/pinmap.json through gendie.device; budgets from gendie.budgets.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from gendie import budgets
from gendie.device import board
from gendie.fileio import write_doc_block
from host_tools.virtual_die_build import DIE_COL, DIE_W, ROOT, macs_per_face, memory_plan
from host_tools.virtual_die_sim import SimResult

NANO = board("nano")
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


def roll_metrics(res: SimResult, marks: list[int], model: str = "") -> list[dict]:
    """Per roll: cycles from the press to the last display byte, I2C bytes and their time on the bus. `model`: the
    build's model folder (virtual_die_build.model_dir), for the MACs of a face."""
    out, macs = [], macs_per_face(model)
    for i, m in enumerate(marks):
        a, b = res.raw["marks"][m], res.raw["marks"][m + 1]
        n, t = b["i2c_bytes"] - a["i2c_bytes"], b["i2c_transactions"] - a["i2c_transactions"]
        cycles = b["last_i2c_cycle"] - a["cycle"] if n and res.raw["display"] else None
        bus_s = bus_seconds(n, t)
        r = res.rolls[i] if i < len(res.rolls) else {}
        out.append({"pips": r.get("pips"), "angle_code": r.get("angle_code"), "latent_code": r.get("latent_code"),
                    "forced": r.get("forced"),
                    "decoder_cycles": r.get("cycles"),
                    "cycles_per_mac": round(r["cycles"] / macs, 2) if macs and r.get("cycles") else None,
                    "press_to_display_cycles": cycles,
                    "i2c_bytes": n, "i2c_bus_s": round(bus_s, 6),
                    "press_to_display_s": None if cycles is None else round(cycles / NANO.f_cpu + bus_s, 6)})
    return out


def tumble_metrics(res: SimResult, mark: int) -> dict:
    """The die frames drawn after the press at `mark` (the tumble, then the landed face), timed as the bus sees
    them: simulated cycles plus the I2C bus time of every byte up to the frame's last one."""
    a = res.raw["marks"][mark]
    frames = res.die_frames(mark, mark + 1)
    if not frames:
        return {"die_frames": 0}

    def seconds(f: dict) -> float:
        return (f["cycle"] - a["cycle"]) / NANO.f_cpu + bus_seconds(f["i2c_bytes"] - a["i2c_bytes"],
                                                                    f["i2c_transactions"] - a["i2c_transactions"])
    ends = [seconds(f) for f in frames]
    cycles = [f["cycle"] - p for f, p in zip(frames, [a["cycle"]] + [f["cycle"] for f in frames[:-1]])]
    n = len(frames) - 1
    return {"die_frames": len(frames), "tumble_frames": n, "frame_cycles": cycles,
            "frame_end_s": [round(t, 6) for t in ends], "press_to_landed_s": round(ends[-1], 6),
            "tumble_fps": round(n / ends[n - 1], 3) if n else None}


def build_report(res: SimResult, marks: list[int], elf: Path, display: bool, model: str = "") -> dict:
    """Everything the CLI prints: memory of the run, the BOOT record, metrics per roll (with its tumble)."""
    rolls = roll_metrics(res, marks, model)
    if display:
        for r, m in zip(rolls, marks):
            r.update(tumble_metrics(res, m))
    return {"elf": str(elf), "flash": res.memory["flash"], "sram_static": res.memory["sram_static"],
            "peak_stack": res.peak_stack, "sram_total": res.sram_total, "display": display,
            "crashed": res.raw["crashed"], "boot": res.boot[:1], "rolls": rolls, "logs": res.logs}


def animation(res: SimResult, mark: int) -> tuple[list[np.ndarray], list[float]]:
    """The roll pressed at `mark` as it looked on the OLED: the screen at the press, after each die frame (tumble,
    then landed face), and at the end; with how long each stayed up (simulated seconds, bus time included)."""
    frames = res.die_frames(mark, mark + 1)
    ends = tumble_metrics(res, mark).get("frame_end_s", [])
    images = [res.mark_vram(mark)] + [f["image"] for f in frames] + [res.mark_vram(mark + 1)]
    durations = ends[:1] + [b - a for a, b in zip(ends, ends[1:])] + [0.05, 2.0]
    return images, [max(d, 0.02) for d in durations]


def save_gif(images: list[np.ndarray], durations_s: list[float], path: Path, scale: int = 3) -> None:
    """An animated GIF of display images (bool), each shown for its duration, looping."""
    from PIL import Image

    path.parent.mkdir(parents=True, exist_ok=True)
    frames = [Image.fromarray(np.kron(i.astype(np.uint8) * 255, np.ones((scale, scale), np.uint8)), "L")
              .convert("P") for i in images]
    frames[0].save(path, save_all=True, append_images=frames[1:], loop=0, optimize=False,
                   duration=[int(round(d * 1000)) for d in durations_s])


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


def benchmark_block(report: dict, presses: int, seed: int, tumble: dict | None = None) -> str:
    """The firmware figures of a run of rolls without tumble (`n` at human-like times), and of one tumbling
    button press (tumble_metrics), as the marked Markdown block of docs/benchmarks.md."""
    rolls = report["rolls"]
    worst = max(rolls, key=lambda r: r["press_to_display_s"] or 0)
    i2c = max(rolls, key=lambda r: r["i2c_bytes"])
    dec = [r["decoder_cycles"] for r in rolls]
    macs = macs_per_face()
    plan = memory_plan()
    return "\n".join([
        BENCH_START, f"Model `{plan['model']}`, `make -C firmware nano`, {len(rolls)} simulated rolls without the "
        f"tumble (`n` at human-like times), then one tumbling button press "
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
        *tumble_rows(tumble), BENCH_END])


def tumble_rows(t: dict | None) -> list[str]:
    """The tumbling press's rows of the benchmarks block."""
    if not t or not t.get("tumble_frames"):
        return []
    c = t["frame_cycles"][:-1]
    return [f"| tumbling press (button): generated tumble faces, then the landed one | {t['tumble_frames']} + 1 | "
            f">= {budgets.TUMBLE_MIN_FRAMES} + 1 |",
            f"| cycles per tumble face (decoder + die region drawn) | {min(c):,} .. {max(c):,} | |",
            f"| frames per second during the tumble, cycles + bus time | {t['tumble_fps']:.2f} | |",
            f"| press -> landed face's last byte, cycles + bus time | {t['press_to_landed_s']:.3f} s | "
            f"{budgets.TUMBLE_S:.1f} s |"]


def write_benchmarks(block: str) -> None:
    """Replace the marked firmware block of docs/benchmarks.md (or append it); `block` carries its markers."""
    body = block.removeprefix(BENCH_START + "\n").removesuffix("\n" + BENCH_END)
    write_doc_block(BENCH_DOC, "virtual_die", body)
