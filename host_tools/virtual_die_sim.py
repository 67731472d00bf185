"""Virtual die, simulate step: run the harness (firmware.elf in simavr + SSD1306 + button + UART) on a script,
then decode what came out: UART frames grouped into rolls, display RAM snapshots, stack high-water mark."""
from __future__ import annotations

import json
import random
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from host_tools import frame_protocol as fp
from host_tools.virtual_die_build import DIE_COL, DIE_W, VirtualDieError, build_harness, elf_memory


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


ROLL_MAX_MS = 30_000  # wait at most this long for a roll's output (a tumble on the slowest engine included)


def press_script(presses: int, seed: int = 0, pips: int | None = None, tumble: bool = True,
                 dump_tumble: bool = False, tumble_last: bool = False) -> tuple[Script, list[int]]:
    """Boot, then `presses` rolls at human-like times: button presses (they tumble), or with tumble=False the
    `n` command (the same roll without the tumble), or with pips the `p<n>` command (forced, no tumble).
    dump_tumble sends `d1` first, so every tumble face is dumped too; tumble_last makes the last roll a button
    press whatever the others are.

    Returns the script and, per roll, the index of the mark taken at its press."""
    rng = random.Random(seed)
    s = Script().run(400)
    if dump_tumble:
        s.uart(fp.CMD_DUMP_TUMBLE + b"1")
    marks = []
    for i in range(presses):
        s.run(rng.uniform(20, 400))
        marks.append(s.mark())
        if pips is not None and not (tumble_last and i == presses - 1):
            s.uart(fp.CMD_PIPS + str(pips).encode())
        elif tumble or (tumble_last and i == presses - 1):
            s.button(True).run(rng.uniform(60, 160)).button(False)
        else:
            s.uart(fp.CMD_ROLL_NO_TUMBLE)
        s.quiet(30, ROLL_MAX_MS)
        s.mark()
    return s, marks


def vram_image(hexstr: str) -> np.ndarray:
    """SSD1306 RAM (8 pages x 128 columns, bit 0 = top row of a page) as a (64, 128) bool image."""
    if not hexstr:
        raise VirtualDieError("no display was attached")
    b = np.frombuffer(bytes.fromhex(hexstr), np.uint8).reshape(8, 128)
    bits = (b[:, None, :] >> np.arange(8)[None, :, None]) & 1
    return bits.reshape(64, 128).astype(bool)


@dataclass
class SimResult:
    raw: dict
    frames: list[fp.Frame]
    memory: dict
    rolls: list[dict] = field(default_factory=list)    # landed rolls, each with its FACE
    tumbles: list[dict] = field(default_factory=list)  # dumped tumble faces (ROLL flagged TUMBLE + its FACE)

    @property
    def boot(self) -> list[dict]:
        """The BOOT records (one per reset)."""
        return [f.fields() for f in self.frames if f.type_name == "BOOT"]

    @property
    def logs(self) -> list[str]:
        return [f.fields()["text"] for f in self.frames if f.type_name == "LOG"]

    def die_frames(self, start_mark: int | None = None, end_mark: int | None = None) -> list[dict]:
        """Die frames completed on the display (optionally between two marks), each with its display image."""
        lo = self.raw["marks"][start_mark]["cycle"] if start_mark is not None else -1
        hi = self.raw["marks"][end_mark]["cycle"] if end_mark is not None else float("inf")
        return [dict(f, image=vram_image(f["vram"])) for f in self.raw["die_frames"] if lo < f["cycle"] <= hi]

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


def group_rolls(frames: list[fp.Frame]) -> tuple[list[dict], list[dict]]:
    """(landed rolls, tumble faces), in order. A landed ROLL pairs with the FACE of its roll number sent before
    it; a ROLL flagged TUMBLE comes first and pairs with the FACE right after it."""
    rolls, tumbles, faces, pending = [], [], {}, None
    for f in frames:
        if f.type_name == "FACE":
            d = f.fields()
            face = np.frombuffer(d["pixels"], np.uint8).reshape(32, 32)
            if pending is not None and pending["roll"] == d["roll"]:
                pending["face"] = face
                pending = None
            else:
                faces[d["roll"]] = face
        elif f.type_name == "ROLL":
            d = f.fields()
            if d["tumble"]:
                d["face"] = None
                tumbles.append(d)
                pending = d
            else:
                d["face"] = faces.pop(d["roll"], None)
                rolls.append(d)
    return rolls, tumbles


def simulate(elf: Path, script: Script, display: bool = True, timeout: float = 600, vcc_mv: int = 5000,
             ) -> SimResult:
    """Run the harness on elf with the script (supply vcc_mv as the ADC sees it); decode the UART frames and
    group them into rolls."""
    exe = build_harness()
    mem = elf_memory(elf)
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "out.json"
        cmd = [str(exe), str(elf), str(out), "--paint", str(mem["paint_from"]), "--vcc", str(int(vcc_mv)),
               "--die", f"{DIE_COL},{DIE_W}"]
        if not display:
            cmd.append("--no-display")
        try:
            p = subprocess.run(cmd, input="\n".join(script.lines) + "\n", capture_output=True, text=True,
                               timeout=timeout)
        except subprocess.TimeoutExpired:
            raise VirtualDieError(f"harness still running after {timeout:.0f} s") from None
        if p.returncode != 0 or not out.exists():
            raise VirtualDieError(f"harness failed: {(p.stderr.strip().splitlines() or ['?'])[-1]}")
        raw = json.loads(out.read_text())
    frames, _ = fp.decode_all(bytes.fromhex(raw["uart"]))
    return SimResult(raw, frames, mem, *group_rolls(frames))
