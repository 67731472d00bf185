"""Face generators for die_gen's `golden` and `host-c` backends: (checkpoint, pips, codes) -> uint8 (N, 32, 32).

host-c exports the checkpoint and builds the generated C with the host gcc through make (export/c/host.mk, header
dependencies tracked by the compiler) into build/host_c/<key>/, then streams (pips, code) pairs through it.
"""
from __future__ import annotations

import hashlib
import subprocess
from pathlib import Path

import numpy as np

from gendie import golden
from gendie.device import check_faces
from gendie.fileio import build_lock

ROOT = Path(__file__).resolve().parent.parent
BUILD = ROOT / "build" / "host_c"
FIRMWARE_SRC = ROOT / "firmware" / "src"
DRIVER = Path(__file__).resolve().parent / "c" / "host_driver.c"
HOST_MK = Path(__file__).resolve().parent / "c" / "host.mk"
CFLAGS = ["-std=c99", "-Wall", "-Wextra", "-Werror", "-O2"]
SANITIZE = ["-fsanitize=address,undefined", "-fno-sanitize-recover=all", "-O1"]
GENERATED = ("decoder_model.c", "decoder_model.h")
ENGINE = ("engine/engine.c", "engine/output.c", "engine/dot.c")  # hand-written, under firmware/src


def generate_golden(ckpt: str | Path, pips, codes, granularity: str = "channel") -> np.ndarray:
    pips, codes = check_faces(pips, codes)
    from training.checkpoint import integer_model
    return golden.generate(integer_model(ckpt, granularity), pips, codes)


def build_host_c(model_dir: str | Path, sanitize: bool = False, count_macs: bool = False,
                 src_dir: str | Path = FIRMWARE_SRC) -> Path:
    """Compile model_dir's generated C + the host driver with make (export/c/host.mk); returns the binary.

    The build folder is keyed by what make cannot see (folders, flags); make itself rebuilds whatever a changed
    source or any header it included (dependency files) makes stale. `src_dir`: the hand-written firmware sources.
    """
    model_dir, src_dir = Path(model_dir).resolve(), Path(src_dir).resolve()
    srcs = [model_dir / f for f in GENERATED if f.endswith(".c")] + [src_dir / f for f in ENGINE] + [DRIVER]
    for s in srcs:
        if not s.exists():
            raise FileNotFoundError(f"{s}: missing (run export/export_decoder.py)")
    flags = CFLAGS + (SANITIZE if sanitize else []) + (["-DGD_COUNT_MACS"] if count_macs else [])
    key = hashlib.sha256(repr((str(model_dir), str(src_dir), flags, srcs)).encode()).hexdigest()[:16]
    out = BUILD / key
    with build_lock(out):
        r = subprocess.run(["make", "-s", "-f", str(HOST_MK), f"OUT={out}", "EXE=decoder_host",
                            f"SRCS={' '.join(map(str, srcs))}", f"CFLAGS={' '.join(flags)}",
                            f"INCS=-I{src_dir} -I{model_dir}"], capture_output=True, text=True)
    if r.returncode:
        raise RuntimeError(f"host C build failed:\n{r.stderr}")
    return out / "decoder_host"


def run_host_c(exe: Path, pips, codes, macs: bool = False) -> tuple[np.ndarray, str]:
    pips, codes = check_faces(pips, codes)
    data = np.stack([pips, codes], 1).astype(np.uint8).tobytes()
    args = [str(exe)] + (["macs"] if macs else [])
    r = subprocess.run(args, input=data, capture_output=True)
    if r.returncode:
        raise RuntimeError(f"host decoder failed: {r.stderr.decode(errors='replace')}")
    return np.frombuffer(r.stdout, dtype=np.uint8).reshape(len(pips), 32, 32), r.stderr.decode()


def exported_model(ckpt: str | Path, granularity: str = "channel", budget: int | None = None) -> Path:
    """`ckpt` exported into build/models/ (activation RAM budget: the exporter's default unless given), cached by the
    checkpoint, the options and the exporter's own sources (a changed generator must not serve a stale export)."""
    from export.export_decoder import BUDGET, export
    budget = BUDGET if budget is None else budget
    h = hashlib.sha256(Path(ckpt).read_bytes() + granularity.encode() + (b"" if budget == BUDGET else b"%d" % budget))
    for src in sorted(Path(__file__).parent.glob("*.py")):
        h.update(src.read_bytes())
    model_dir = ROOT / "build" / "models" / h.hexdigest()[:16]
    with build_lock(model_dir):
        if not (model_dir / "decoder_model.c").exists():
            export(ckpt, model_dir, granularity, budget, verbose=False)
    return model_dir


def generate_host_c(ckpt: str | Path, pips, codes, granularity: str = "channel") -> np.ndarray:
    """Export `ckpt` into build/ (cached), compile, run."""
    return run_host_c(build_host_c(exported_model(ckpt, granularity)), pips, codes)[0]
