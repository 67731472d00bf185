"""Which faces to generate: the (pips, code) list shared by every backend, so stages compare face for face.

The device carries the die angle as a byte: code a in 0..255 means a * 360/256 degrees (in vae mode the code picks a
latent value instead). The same seed gives the same list for the float model, the golden model, the host C build and
the simulated firmware.
"""
from __future__ import annotations

import numpy as np

CODES = 256


def code_to_degrees(codes: np.ndarray) -> np.ndarray:
    return np.asarray(codes, dtype=np.float64) * (360.0 / CODES)


def face_list(count: int, seed: int = 0, pips: int | None = None, code: int | None = None,
              ) -> tuple[np.ndarray, np.ndarray]:
    """(pips int64 in 1..6, codes uint8) for `count` faces: uniform, or pinned where `pips`/`code` are given."""
    rng = np.random.default_rng([seed, 7])
    p = rng.integers(1, 7, count) if pips is None else np.full(count, pips)
    c = rng.integers(0, CODES, count) if code is None else np.full(count, code)
    return p.astype(np.int64), c.astype(np.uint8)
