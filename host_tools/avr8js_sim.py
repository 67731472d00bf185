"""The firmware in avr8js, the web page's simulator, driven from Python through node (host_tools/web/).

The page's own JavaScript (host_tools/web/src/session.js and what it imports) is bundled for node by
host_tools/web/build.mjs into build/web/sim-node.mjs; `simulate` hands it a step list and reads back the landed rolls
(with the OLED's display RAM when each ROLL frame arrived), the LOG lines and the final picture. Needs node and
host_tools/web/node_modules (`make web-deps`).
"""
from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
from pathlib import Path

from gendie.fileio import build_lock

ROOT = Path(__file__).resolve().parent.parent
WEB = ROOT / "host_tools" / "web"
SIM = ROOT / "build" / "web" / "sim-node.mjs"
BOOT_MS = 400  # like virtual_die's scripts: the firmware is up and armed after this


def missing() -> str | None:
    """Why avr8js cannot run here (one line), or None."""
    if not shutil.which("node"):
        return "needs node (Debian: apt-get install nodejs npm)"
    if not all((WEB / "node_modules" / p / "package.json").is_file() for p in ("avr8js", "esbuild")):
        return "needs host_tools/web/node_modules (make web-deps runs npm ci)"
    return None


def build() -> Path:
    """Bundle the node runner from the page's sources (esbuild, well under a second)."""
    why = missing()
    if why:
        raise RuntimeError(why)
    with build_lock(SIM.parent):
        p = subprocess.run(["node", str(WEB / "build.mjs"), "--node-only"], capture_output=True, text=True, cwd=ROOT)
    if p.returncode:
        raise RuntimeError(f"host_tools/web/build.mjs failed: {(p.stderr.strip().splitlines() or ['?'])[-1]}")
    return SIM


def run_script(script: dict, timeout: float = 600) -> dict:
    """Run a runner script (see host_tools/web/src/node_run.js) and return its JSON result."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "script.json"
        path.write_text(json.dumps(script))
        p = subprocess.run(["node", str(SIM), str(path)], capture_output=True, text=True, cwd=ROOT, timeout=timeout)
    if p.returncode:
        raise RuntimeError((p.stderr.strip().splitlines() or ["sim-node failed"])[-1])
    return json.loads(p.stdout)


class Steps:
    """A step list for the runner: boot, then rolls (each waits until its ROLL frame is decoded)."""

    def __init__(self) -> None:
        self.steps: list[list] = [["run", BOOT_MS]]
        self.rolls = 0

    def run(self, ms: float) -> "Steps":
        self.steps.append(["run", ms])
        return self

    def uart(self, data: bytes) -> "Steps":
        self.steps.append(["uart", data.hex()])
        return self

    def wait_roll(self, max_ms: float = 5000, settle_ms: float = 50) -> "Steps":
        self.rolls += 1
        self.steps += [["rolls", self.rolls, max_ms], ["run", settle_ms]]
        return self

    def press(self, hold_ms: float) -> "Steps":
        """A button press held hold_ms, and its roll."""
        self.steps += [["button", 1], ["run", hold_ms], ["button", 0]]
        return self.wait_roll()

    def command(self, data: bytes) -> "Steps":
        """UART bytes that roll (r, p<n>, a<code>p<n>), and the roll."""
        return self.uart(data).wait_roll()


def simulate(hex_path: Path, steps: Steps, display: bool = True) -> dict:
    """Run firmware.hex through the steps in avr8js. Result keys: rolls (pips, angle_code, flags, roll, cycles, face,
    vram), logs, tally, picture ('0'/'1' x 64x128), resets, stats (frame decoder), cycles, wall_s."""
    return run_script({"hex": str(hex_path), "display": display, "steps": steps.steps})


def decode(data: bytes) -> dict:
    """The page's host side of the UART on a capture: {frames: [{type, seq, payload}], stats, rolls, tally}."""
    return run_script({"decode": data.hex()})
