"""The virtual GenDie: the real firmware.elf in simavr with its SSD1306 display, a button and the UART.

examples:
  python host_tools/virtual_die.py                         # build firmware + harness, press once, draw the screen
  python host_tools/virtual_die.py --presses 6 --png screen.png
  python host_tools/virtual_die.py --test-pattern --json   # TEST build: decoder replaced by a drawn die
  python host_tools/virtual_die.py --pips 3 --no-display   # force pips over the UART, no display attached
  python host_tools/virtual_die.py --presses 60 --seed 3 --write-benchmarks   # figures -> docs/benchmarks.md
Builds the firmware first (make -C firmware, a no-op when up to date). Reports per roll: pips, angle code,
decoder_run cycles (row sink included) and cycles per MAC, cycles from the press to the last display byte, I2C
bytes (and their bus time at 400 kHz); for the run: flash, SRAM static + peak stack (stack painted with a canary
at reset). simavr 1.6 already stalls ~9 us per I2C byte, so adding the full bus time counts those twice: the
press -> display figure is an upper bound.
Exit status: 0 ok, 1 the firmware misbehaved (crash, no roll), 2 bad arguments or a build failed.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import random
import re
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from host_tools import frame_protocol as fp

ROOT = Path(__file__).resolve().parents[1]
FIRMWARE = ROOT / "firmware"
HARNESS_SRC = Path(__file__).with_name("virtual_die_harness.c")
BUILD = ROOT / "build" / "virtual_die"
F_CPU = 16_000_000
I2C_HZ = 400_000
BAYER = np.array([[0, 8, 2, 10], [12, 4, 14, 6], [3, 11, 1, 9], [15, 7, 13, 5]])


class VirtualDieError(Exception):
    """A build or simulation failure, reported as one line."""


def _header_int(path: Path, name: str) -> int:
    m = re.search(rf"#define\s+{name}\s+(\d+)u?", path.read_text())
    if not m:
        raise VirtualDieError(f"{name} not found in {path}")
    return int(m.group(1))


DIE_COL = _header_int(FIRMWARE / "src" / "ui.h", "DIE_COL")
MEMORY_PLAN = FIRMWARE / "src" / "model" / "memory_plan.json"
BENCH_DOC = ROOT / "docs" / "benchmarks.md"
BENCH_START, BENCH_END = "<!-- virtual_die:start -->", "<!-- virtual_die:end -->"


def macs_per_face() -> int | None:
    """MACs of one face from the generated decoder's plan (None before the decoder is exported)."""
    return json.loads(MEMORY_PLAN.read_text())["macs"]["total"] if MEMORY_PLAN.exists() else None


def _run(cmd: list[str], what: str, **kw) -> subprocess.CompletedProcess:
    p = subprocess.run(cmd, capture_output=True, text=True, **kw)
    if p.returncode != 0:
        lines = (p.stderr or p.stdout).strip().splitlines() or ["(no output)"]
        first_error = [ln for ln in lines if "error" in ln.lower() and not ln.startswith("make")]
        raise VirtualDieError(f"{what} failed: {(first_error or lines)[-1]}")
    return p


def build_harness() -> Path:
    """Compile the simavr harness once per source version (cached under build/virtual_die/)."""
    src = HARNESS_SRC.read_bytes()
    exe = BUILD / f"harness-{hashlib.sha256(src).hexdigest()[:12]}"
    if exe.exists():
        return exe
    BUILD.mkdir(parents=True, exist_ok=True)
    inc = [f"-I/usr/include/simavr{sub}" for sub in ("", "/parts", "/avr")]
    tmp = exe.with_suffix(".tmp")
    _run(["gcc", "-O2", "-std=gnu99", "-Wall", "-Wextra", "-Werror", *inc, str(HARNESS_SRC), "-o", str(tmp),
          "-lsimavrparts", "-lsimavr"], "building the simavr harness (needs libsimavr-dev)")
    tmp.replace(exe)
    return exe


def build_firmware(variant: str = "nano") -> Path:
    """`make -C firmware <variant>`; returns the ELF path."""
    _run(["make", "-s", "-C", str(FIRMWARE), variant], f"make -C firmware {variant}")
    return FIRMWARE / "build" / variant / "firmware.elf"


def elf_memory(elf: Path) -> dict:
    """Flash and static SRAM from the ELF sections; the first address after static data (stack paint start)."""
    sizes = {}
    for line in _run(["avr-size", "-A", str(elf)], "avr-size").stdout.splitlines():
        parts = line.split()
        if len(parts) >= 2 and parts[0].startswith(".") and parts[1].isdigit():
            sizes[parts[0]] = int(parts[1])
    syms = {}
    for line in _run(["avr-nm", str(elf)], "avr-nm").stdout.splitlines():
        parts = line.split()
        if len(parts) == 3:
            syms[parts[2]] = int(parts[0], 16)
    static = sizes.get(".data", 0) + sizes.get(".bss", 0) + sizes.get(".noinit", 0)
    return {"flash": sizes.get(".text", 0) + sizes.get(".data", 0), "sram_static": static,
            "paint_from": syms["_end"] & 0xFFFF}


class Script:
    """Stimulus for the harness; times in simulated milliseconds."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.marks = 0

    def run(self, ms: float) -> "Script":
        self.lines.append(f"run {int(ms * 1000)}")
        return self

    def button(self, down: bool) -> "Script":
        self.lines.append(f"btn {int(down)}")
        return self

    def uart(self, data: bytes) -> "Script":
        self.lines.append(f"uart {data.hex()}")
        return self

    def quiet(self, quiet_ms: float = 30, max_ms: float = 5000) -> "Script":
        """Run until the UART and I2C have been silent for quiet_ms with the CPU asleep (or max_ms)."""
        self.lines.append(f"quiet {int(quiet_ms * 1000)} {int(max_ms * 1000)}")
        return self

    def mark(self) -> int:
        self.lines.append("mark")
        self.marks += 1
        return self.marks - 1

    def bounce(self, rng: random.Random, down: bool, total_ms: float) -> "Script":
        """Contact bounce: random toggles for total_ms, ending in the `down` state."""
        t = 0.0
        state = not down
        while t < total_ms:
            step = rng.uniform(0.05, min(3.0, total_ms))
            state = not state
            self.button(state).run(step)
            t += step
        return self.button(down)


def vram_image(hexstr: str) -> np.ndarray:
    """SSD1306 RAM (8 pages x 128 columns, bit 0 = top row of a page) as a (64, 128) bool image."""
    if not hexstr:
        raise VirtualDieError("no display was attached")
    b = np.frombuffer(bytes.fromhex(hexstr), np.uint8).reshape(8, 128)
    bits = (b[:, None, :] >> np.arange(8)[None, :, None]) & 1
    return bits.reshape(64, 128).astype(bool)


def die_region(vram: np.ndarray) -> np.ndarray:
    """The 64x64 die area of a display image."""
    return vram[:, DIE_COL:DIE_COL + 64]


@dataclass
class SimResult:
    raw: dict
    frames: list[fp.Frame]
    memory: dict
    rolls: list[dict] = field(default_factory=list)

    @property
    def vram(self) -> np.ndarray:
        """(64, 128) bool image of the display RAM at the end of the run."""
        return vram_image(self.raw["vram"])

    def mark_vram(self, mark: int) -> np.ndarray:
        """The display RAM when mark number `mark` was taken."""
        return vram_image(self.raw["marks"][mark]["vram"])

    @property
    def peak_stack(self) -> int:
        return self.raw["ramend"] + 1 - self.raw["stack_lowest"]

    @property
    def sram_total(self) -> int:
        return self.memory["sram_static"] + self.peak_stack


def simulate(elf: Path, script: Script, display: bool = True, timeout: float = 600) -> SimResult:
    """Run the harness on elf with the script; decode the UART frames and group them into rolls."""
    exe = build_harness()
    mem = elf_memory(elf)
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "out.json"
        cmd = [str(exe), str(elf), str(out), "--paint", str(mem["paint_from"])]
        if not display:
            cmd.append("--no-display")
        p = subprocess.run(cmd, input="\n".join(script.lines) + "\n", capture_output=True, text=True,
                           timeout=timeout)
        if p.returncode != 0 or not out.exists():
            raise VirtualDieError(f"harness failed: {(p.stderr.strip().splitlines() or ['?'])[-1]}")
        raw = json.loads(out.read_text())
    frames, _ = fp.decode_all(bytes.fromhex(raw["uart"]))
    res = SimResult(raw, frames, mem)
    faces = {}
    for f in frames:
        if f.type_name == "FACE":
            d = f.fields()
            faces[d["roll"]] = np.frombuffer(d["pixels"], np.uint8).reshape(32, 32)
        elif f.type_name == "ROLL":
            d = f.fields()
            d["face"] = faces.get(d["roll"])
            res.rolls.append(d)
    return res


def dither(face: np.ndarray) -> np.ndarray:
    """What the firmware draws for a 32x32 face: 2x scale, ordered 4x4 Bayer (mirrors die_view.c)."""
    big = np.kron(face.astype(np.int32), np.ones((2, 2), np.int32))
    ys, xs = np.mgrid[0:64, 0:64]
    return big >= BAYER[ys % 4, (xs + DIE_COL) % 4] * 16 + 8


def downsample(die: np.ndarray) -> np.ndarray:
    """64x64 display bits -> 32x32 grey (2x2 mean), for the pip counter."""
    return (die.reshape(32, 2, 32, 2).mean(axis=(1, 3)) * 255).round().astype(np.uint8)


def press_script(presses: int, seed: int = 0, pips: int | None = None) -> tuple[Script, list[int]]:
    """Boot, then `presses` rolls (button presses with human-like timing, or `p<n>` commands).

    Returns the script and, per roll, the index of the mark taken at its press."""
    rng = random.Random(seed)
    s = Script().run(400)
    marks = []
    for _ in range(presses):
        s.run(rng.uniform(20, 400))
        marks.append(s.mark())
        if pips is None:
            s.button(True).run(rng.uniform(60, 160)).button(False)
        else:
            s.uart(fp.CMD_PIPS + str(pips).encode())
        s.quiet(30, 5000)
        s.mark()
    return s, marks


def roll_metrics(res: SimResult, marks: list[int]) -> list[dict]:
    """Per roll: cycles from the press to the last display byte, I2C bytes and their time at 400 kHz."""
    out, macs = [], macs_per_face()
    for i, m in enumerate(marks):
        a, b = res.raw["marks"][m], res.raw["marks"][m + 1]
        n, t = b["i2c_bytes"] - a["i2c_bytes"], b["i2c_transactions"] - a["i2c_transactions"]
        cycles = b["last_i2c_cycle"] - a["cycle"] if n and res.raw["display"] else None
        bus_s = (9 * n + 2 * t) / I2C_HZ  # 8 data bits + ACK per byte, START and STOP per transaction
        r = res.rolls[i] if i < len(res.rolls) else {}
        out.append({"pips": r.get("pips"), "angle_code": r.get("angle_code"), "forced": r.get("forced"),
                    "decoder_cycles": r.get("cycles"),
                    "cycles_per_mac": round(r["cycles"] / macs, 2) if macs and r.get("cycles") else None,
                    "press_to_display_cycles": cycles,
                    "i2c_bytes": n, "i2c_bus_s": round(bus_s, 6),
                    "press_to_display_s": None if cycles is None else round(cycles / F_CPU + bus_s, 6)})
    return out


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


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0], epilog=__doc__.split("\n", 1)[1],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--presses", type=int, default=1, help="button presses (default 1)")
    ap.add_argument("--pips", type=int, choices=range(1, 7), metavar="1..6",
                    help="roll with `p<n>` over the UART instead of the button")
    ap.add_argument("--png", type=Path, help="save the final display as PNG (4x)")
    ap.add_argument("--json", action="store_true", help="print one JSON object, nothing else")
    ap.add_argument("--elf", type=Path, help="firmware to run (default: build it with make -C firmware)")
    ap.add_argument("--test-pattern", action="store_true",
                    help="TEST build: the decoder replaced by a drawn die (make -C firmware nano-testpattern)")
    ap.add_argument("--no-display", action="store_true", help="no SSD1306 on the bus")
    ap.add_argument("--seed", type=int, default=0, help="seed of the simulated press timing")
    ap.add_argument("--board", choices=("nano", "ch32v003"), default="nano",
                    help="nano (simavr) or ch32v003 (host_tools/ch32_die.py: Unicorn, cycles are estimates)")
    ap.add_argument("--write-benchmarks", action="store_true",
                    help="write this run's figures into the firmware section of docs/benchmarks.md")
    a = ap.parse_args(argv)
    if a.presses < 1:
        ap.error("--presses must be at least 1")
    if a.elf is not None and not a.elf.is_file():
        ap.error(f"--elf {a.elf}: no such file")
    if a.png is not None and a.png.parent.exists() and not a.png.parent.is_dir():
        ap.error(f"--png {a.png}: {a.png.parent} is not a directory")
    if a.write_benchmarks and (a.test_pattern or a.elf or a.pips or a.no_display):
        ap.error("--write-benchmarks measures the default build: no --test-pattern, --elf, --pips or --no-display")
    if a.board == "ch32v003" and (a.test_pattern or a.write_benchmarks):
        ap.error("--board ch32v003 has no --test-pattern or --write-benchmarks")
    return a


def build_report(res: SimResult, marks: list[int], elf: Path, display: bool) -> dict:
    """Everything main() prints: memory of the run and metrics per roll."""
    return {"elf": str(elf), "flash": res.memory["flash"], "sram_static": res.memory["sram_static"],
            "peak_stack": res.peak_stack, "sram_total": res.sram_total, "display": display,
            "crashed": res.raw["crashed"], "rolls": roll_metrics(res, marks),
            "logs": [f.fields()["text"] for f in res.frames if f.type_name == "LOG"]}


def benchmark_block(report: dict, presses: int, seed: int) -> str:
    """The firmware figures of a button-press run as the marked Markdown block of docs/benchmarks.md."""
    rolls = report["rolls"]
    worst = max(rolls, key=lambda r: r["press_to_display_s"] or 0)
    i2c = max(rolls, key=lambda r: r["i2c_bytes"])
    dec = [r["decoder_cycles"] for r in rolls]
    macs = macs_per_face()
    plan = json.loads(MEMORY_PLAN.read_text())
    return "\n".join([
        BENCH_START, f"Model `{plan['model']}`, `make -C firmware nano`, {len(rolls)} simulated button presses "
        f"(`python host_tools/virtual_die.py --presses {presses} --seed {seed} --write-benchmarks`).", "",
        "| figure | value | budget |", "|---|---|---|",
        f"| flash, .text + .data (B) | {report['flash']:,} | 20,480 |",
        f"| SRAM static, .data + .bss (B) | {report['sram_static']:,} | |",
        f"| SRAM peak stack, painted canary (B) | {report['peak_stack']:,} | |",
        f"| SRAM static + peak stack (B) | {report['sram_total']:,} | 1,536 |",
        f"| decoder_run cycles incl. row sink (dither, UART, I2C pages) | {min(dec):,} .. {max(dec):,} | |",
        f"| MACs per face (memory_plan.json) | {macs:,} | |",
        f"| cycles per MAC, decoder_run incl. row sink | {min(dec) / macs:.1f} .. {max(dec) / macs:.1f} | |",
        f"| press -> last display byte, simulated cycles (worst roll) | {worst['press_to_display_cycles']:,} "
        f"= {worst['press_to_display_cycles'] / F_CPU:.3f} s | |",
        f"| I2C bytes per roll, START/address + data (most) / their bus time at 400 kHz | {i2c['i2c_bytes']:,} / "
        f"{i2c['i2c_bus_s'] * 1e3:.1f} ms | |",
        f"| press -> last display byte, cycles + bus time (worst roll) | {worst['press_to_display_s']:.3f} s | 1.0 s |",
        BENCH_END])


def write_benchmarks(block: str) -> None:
    """Replace the marked firmware block of docs/benchmarks.md (or append it)."""
    text = BENCH_DOC.read_text()
    if BENCH_START in text:
        text = re.sub(re.escape(BENCH_START) + ".*?" + re.escape(BENCH_END), lambda _: block, text, flags=re.S)
    else:
        text = text.rstrip("\n") + "\n\n" + block + "\n"
    BENCH_DOC.write_text(text)


def main(argv: list[str] | None = None) -> int:
    a = parse_args(argv)
    if a.board == "ch32v003":
        from host_tools import ch32_die
        return ch32_die.run_cli(a)
    try:
        elf = a.elf or build_firmware("nano-testpattern" if a.test_pattern else "nano")
        script, marks = press_script(a.presses, a.seed, a.pips)
        res = simulate(elf, script, display=not a.no_display)
    except (VirtualDieError, subprocess.TimeoutExpired) as e:
        print(f"virtual_die: error: {e}", file=sys.stderr)
        return 2
    report = build_report(res, marks, elf, display=not a.no_display)
    rolls = report["rolls"]
    if a.png and not a.no_display:
        save_png(res.vram, a.png)
    ok = not res.raw["crashed"] and len(res.rolls) == a.presses
    if a.write_benchmarks and ok:
        write_benchmarks(benchmark_block(report, a.presses, a.seed))
    if a.json:
        print(json.dumps(report))
    else:
        if not a.no_display:
            print(render_terminal(res.vram))
        for i, r in enumerate(rolls, 1):
            print(f"roll {i}: pips {r['pips']} angle code {r['angle_code']}"
                  f"{' (forced)' if r['forced'] else ''}; decoder {r['decoder_cycles']} cycles "
                  f"({r['cycles_per_mac']} per MAC); press -> last "
                  f"display byte {r['press_to_display_cycles']} cycles + {r['i2c_bytes']} I2C bytes "
                  f"({r['i2c_bus_s'] * 1e3:.1f} ms at 400 kHz) = {r['press_to_display_s']} s")
        print(f"flash {report['flash']} B; SRAM static {report['sram_static']} B + peak stack "
              f"{report['peak_stack']} B = {report['sram_total']} B")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
