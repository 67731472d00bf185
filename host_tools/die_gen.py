"""Generate die faces from any stage of the pipeline, so stages can be compared face for face.

    python host_tools/die_gen.py --backend float --count 600 --seed 0 --out faces.npz

The same --seed gives the same (pips, angle) list for every backend. Output .npz: images uint8 (N,32,32), labels
(pips 1..6), angles (degrees, float32) and codes (the device's code byte: the angle, or for a VAE checkpoint
(mode vae) the latent code, whose "angle" is then only the byte in degrees). --pips / --angle pin one face.
--backend simavr / ch32v003 run the firmware build whose committed export (firmware/src/model*/) is the checkpoint's.
"""
from __future__ import annotations

import gendie.cli  # noqa: F401  first, so Ctrl-C is quiet (exit 130) while the imports below load

import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np

from gendie.cli import Parser, check_paths, finite_float, int_range, run, seed_int
from gendie.fileio import save_npz
from gendie.device import FACE, code_to_degrees, degrees_to_code, face_list
from training.checkpoint import DEFAULT_DECODER

Backend = Callable[[Path, np.ndarray, np.ndarray], np.ndarray]
MAX_FACES = 1_000_000  # 1 GB of faces: beyond that a typo, not a request


def float_backend(ckpt: Path, pips: np.ndarray, codes: np.ndarray) -> np.ndarray:
    """The trained PyTorch decoder in float32, output rounded to bytes as the device does."""
    import torch

    from training import checkpoint
    from training.model import generate
    model, _ = checkpoint.load(ckpt)
    return generate(model, torch.from_numpy(pips), torch.from_numpy(codes)).numpy()


def _lazy(module: str, name: str) -> Backend:
    """Backends of later stages import their stage only when used."""
    def call(ckpt: Path, pips: np.ndarray, codes: np.ndarray) -> np.ndarray:
        import importlib
        return getattr(importlib.import_module(module), name)(ckpt, pips, codes)
    return call


BACKENDS: dict[str, Backend] = {
    "float": float_backend,
    "golden": _lazy("export.backends", "generate_golden"),    # numpy oracle of docs/integer-contract.md
    "host-c": _lazy("export.backends", "generate_host_c"),    # the generated C decoder, compiled for the host
    "simavr": _lazy("host_tools.simavr_backend", "generate_simavr"),  # the firmware in simavr, faces from its UART
    "ch32v003": _lazy("host_tools.ch32_die", "generate_ch32v003"),  # the CH32V003 firmware in Unicorn, ditto
}


def generate_faces(backend: str, ckpt: Path, pips: np.ndarray, codes: np.ndarray) -> np.ndarray:
    if backend not in BACKENDS:
        raise ValueError(f"unknown backend {backend!r} (have: {', '.join(BACKENDS)})")
    faces = BACKENDS[backend](Path(ckpt), pips, codes)
    if faces.shape != (len(pips), FACE, FACE) or faces.dtype != np.uint8:
        raise RuntimeError(f"backend {backend} returned {faces.dtype} {faces.shape}, not uint8 faces")
    return faces


def main(argv: list[str] | None = None) -> int:
    p = Parser(prog="die_gen.py", description=__doc__, formatter_class=__import__("argparse").RawTextHelpFormatter)
    p.add_argument("--backend", default="float", choices=list(BACKENDS), help=f"one of: {', '.join(BACKENDS)} "
                   "(default float)")
    p.add_argument("--checkpoint", default=str(DEFAULT_DECODER), help="decoder checkpoint (default models/decoder.pt)")
    p.add_argument("--count", type=int_range(1, MAX_FACES), default=60, help="number of faces (default 60)")
    p.add_argument("--seed", type=seed_int, default=0, help="seed of the (pips, angle) list, shared by all backends")
    p.add_argument("--pips", type=int_range(1, 6), help="pin the pip count (1..6)")
    p.add_argument("--angle", type=finite_float, help="pin the angle in degrees: rounded to the device's 256 steps, "
                   "any angle wraps into one turn (-1 is 359)")
    p.add_argument("--out", default="data/faces.npz", help="output .npz (default data/faces.npz)")
    p.add_argument("--preview", metavar="FILE.png", help="also write a labelled grid of the faces")
    a = p.parse_args(argv)
    check_paths({"--checkpoint": a.checkpoint}, {"--out": a.out, "--preview": a.preview})

    code = None if a.angle is None else degrees_to_code(a.angle)
    pips, codes = face_list(a.count, a.seed, a.pips, code)
    faces = generate_faces(a.backend, Path(a.checkpoint), pips, codes)
    save_npz(a.out, images=faces, labels=pips, angles=code_to_degrees(codes).astype(np.float32), codes=codes)
    if a.preview:
        from dataset.make_dice import save_preview
        save_preview(a.preview, faces, pips, code_to_degrees(codes))
    print(f"wrote {len(faces)} faces ({a.backend}) to {a.out}")
    return 0


if __name__ == "__main__":
    sys.exit(run(main))
