"""Virtual die, build step: the firmware (make -C firmware) and the simavr harness (make, with dependency files).

Library code: failures raise VirtualDieError (a RuntimeError) with one line saying what failed and why.
"""
from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

from gendie.fileio import build_lock

ROOT = Path(__file__).resolve().parents[1]
FIRMWARE = ROOT / "firmware"
HARNESS_MAKEFILE = Path(__file__).with_name("virtual_die_harness.mk")
BUILD = ROOT / "build" / "virtual_die"


class VirtualDieError(RuntimeError):
    """A build or simulation failure, reported as one line."""


def run_tool(cmd: list[str], what: str, **kw) -> subprocess.CompletedProcess:
    """Run a build tool; VirtualDieError with its first error line if it fails."""
    p = subprocess.run(cmd, capture_output=True, text=True, **kw)
    if p.returncode != 0:
        lines = (p.stderr or p.stdout).strip().splitlines() or ["(no output)"]
        first_error = [ln for ln in lines if "error" in ln.lower() and not ln.startswith("make")]
        raise VirtualDieError(f"{what} failed: {(first_error or lines)[-1]}")
    return p


def firmware_define(header: str, name: str) -> int:
    """An integer #define of a firmware header in firmware/src/ (the screen layout lives in ui.h, once)."""
    path = FIRMWARE / "src" / header
    m = re.search(rf"#define\s+{name}\s+(\d+)u?", path.read_text())
    if not m:
        raise VirtualDieError(f"{name} not found in {path}")
    return int(m.group(1))


def build_harness() -> Path:
    """The simavr harness (make: rebuilt whenever its source or any header it includes changes)."""
    exe = BUILD / "harness"
    with build_lock(BUILD):
        run_tool(["make", "-s", "-C", str(ROOT), "-f", str(HARNESS_MAKEFILE.relative_to(ROOT)), f"OUT={BUILD}"],
                 "building the simavr harness (needs libsimavr-dev)")
    return exe


def model_dir(model: str = "") -> Path:
    """The exported decoder a build compiles: firmware/src/model/ (model "", the default) or src/model_<model>/."""
    return FIRMWARE / "src" / (f"model_{model}" if model else "model")


def model_name(folder: Path) -> str:
    """model_dir's inverse: the MODEL= of make -C firmware for an export folder."""
    return folder.name.partition("_")[2]


def model_dirs(src: Path = FIRMWARE / "src") -> list[Path]:
    """The exported model folders the firmware can be built with: src/model (default) and src/model_<name>."""
    return sorted(d for d in src.glob("model*") if d.is_dir() and (d / "memory_plan.json").exists())


def build_firmware(variant: str = "nano", model: str = "") -> Path:
    """`make -C firmware <variant> [MODEL=<model>]`; returns the ELF path (build/<variant>[-<model>]/). MODEL is
    always passed, empty for the default, so a MODEL in the environment cannot build another model than asked."""
    with build_lock(FIRMWARE / "build"):
        run_tool(["make", "-s", "-C", str(FIRMWARE), variant, f"MODEL={model}"],
                 f"make -C firmware {variant}" + (f" MODEL={model}" if model else ""))
    return FIRMWARE / "build" / (f"{variant}-{model}" if model else variant) / "firmware.elf"


def elf_memory(elf: Path) -> dict:
    """Flash and static SRAM from the ELF sections; the first address after static data (stack paint start)."""
    sizes = {}
    for line in run_tool(["avr-size", "-A", str(elf)], "avr-size").stdout.splitlines():
        parts = line.split()
        if len(parts) >= 2 and parts[0].startswith(".") and parts[1].isdigit():
            sizes[parts[0]] = int(parts[1])
    syms = {}
    for line in run_tool(["avr-nm", str(elf)], "avr-nm").stdout.splitlines():
        parts = line.split()
        if len(parts) == 3:
            syms[parts[2]] = int(parts[0], 16)
    if "_end" not in syms:
        raise VirtualDieError(f"{elf}: no symbol table (a stripped ELF?); use the one make -C firmware builds")
    static = sizes.get(".data", 0) + sizes.get(".bss", 0) + sizes.get(".noinit", 0)
    return {"flash": sizes.get(".text", 0) + sizes.get(".data", 0), "sram_static": static,
            "paint_from": syms["_end"] & 0xFFFF}


def memory_plan(model: str = "") -> dict | None:
    """The generated decoder's memory plan (None before the decoder is exported)."""
    path = model_dir(model) / "memory_plan.json"
    return json.loads(path.read_text()) if path.exists() else None


def macs_per_face(model: str = "") -> int | None:
    """MACs of one face from the generated decoder's plan (None before the decoder is exported)."""
    plan = memory_plan(model)
    return plan["macs"]["total"] if plan else None


DIE_COL = firmware_define("ui.h", "DIE_COL")  # the die's place on the display
DIE_W = firmware_define("ui.h", "DIE_W")
