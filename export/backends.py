"""Face generators for die_gen's `golden` and `host-c` backends: (checkpoint, pips, codes) -> uint8 (N, 32, 32).

host-c exports the checkpoint and compiles the generated C with the host gcc into build/host_c/<hash>/, cached by the
hash of everything that goes into the binary, then streams (pips, code) pairs through it.
"""
from __future__ import annotations

import hashlib
import subprocess
from pathlib import Path

import numpy as np

from gendie import golden
from gendie.device import check_faces

ROOT = Path(__file__).resolve().parent.parent
BUILD = ROOT / "build" / "host_c"
FIRMWARE_SRC = ROOT / "firmware" / "src"
DRIVER = Path(__file__).resolve().parent / "c" / "host_driver.c"
CFLAGS = ["-std=c99", "-Wall", "-Wextra", "-Werror", "-O2", "-DGD_BUILD_LBL"]
SANITIZE = ["-fsanitize=address,undefined", "-fno-sanitize-recover=all", "-O1"]
GENERATED = ("decoder.c", "decoder_lbl.c", "decoder_weights.c", "decoder_weights.h")


def generate_golden(ckpt: str | Path, pips, codes, granularity: str = "channel") -> np.ndarray:
    pips, codes = check_faces(pips, codes)
    from training.checkpoint import integer_model
    return golden.generate(integer_model(ckpt, granularity), pips, codes)


def build_host_c(model_dir: str | Path, sanitize: bool = False, count_macs: bool = False) -> Path:
    """Compile model_dir's generated C + the host driver; returns the binary (reused while the inputs are equal)."""
    model_dir = Path(model_dir)
    srcs = [model_dir / f for f in GENERATED] + [FIRMWARE_SRC / "decoder.h", FIRMWARE_SRC / "flash.h", DRIVER]
    flags = CFLAGS + (SANITIZE if sanitize else []) + (["-DGD_COUNT_MACS"] if count_macs else [])
    h = hashlib.sha256(" ".join(flags).encode())
    for s in srcs:
        if not s.exists():
            raise FileNotFoundError(f"{s}: missing (run export/export_decoder.py)")
        h.update(s.read_bytes())
    exe = BUILD / h.hexdigest()[:16] / "decoder_host"
    if not exe.exists():
        exe.parent.mkdir(parents=True, exist_ok=True)
        cmd = ["gcc", *flags, f"-I{FIRMWARE_SRC}", f"-I{model_dir}", *map(str, srcs[:3]), str(DRIVER),
               "-o", str(exe) + ".tmp"]
        r = subprocess.run(cmd, capture_output=True, text=True)
        if r.returncode:
            raise RuntimeError(f"host C build failed:\n{r.stderr}")
        Path(str(exe) + ".tmp").rename(exe)
    return exe


def run_host_c(exe: Path, pips, codes, lbl: bool = False, macs: bool = False) -> tuple[np.ndarray, str]:
    pips, codes = check_faces(pips, codes)
    data = np.stack([pips, codes], 1).astype(np.uint8).tobytes()
    args = [str(exe)] + (["lbl"] if lbl else ["macs"] if macs else [])
    r = subprocess.run(args, input=data, capture_output=True)
    if r.returncode:
        raise RuntimeError(f"host decoder failed: {r.stderr.decode(errors='replace')}")
    return np.frombuffer(r.stdout, dtype=np.uint8).reshape(len(pips), 32, 32), r.stderr.decode()


def exported_model(ckpt: str | Path, granularity: str = "channel") -> Path:
    """`ckpt` exported into build/models/, cached by the checkpoint and the exporter's own sources (a changed
    generator must not serve a stale export)."""
    from export.export_decoder import export
    h = hashlib.sha256(Path(ckpt).read_bytes() + granularity.encode())
    for src in sorted(Path(__file__).parent.glob("*.py")):
        h.update(src.read_bytes())
    model_dir = ROOT / "build" / "models" / h.hexdigest()[:16]
    if not (model_dir / "decoder.c").exists():
        export(ckpt, model_dir, granularity, verbose=False)
    return model_dir


def generate_host_c(ckpt: str | Path, pips, codes, granularity: str = "channel") -> np.ndarray:
    """Export `ckpt` into build/ (cached), compile, run."""
    return run_host_c(build_host_c(exported_model(ckpt, granularity)), pips, codes)[0]
