"""The device contract: what the die can be asked to draw, and the geometry it draws on.

A roll is (pips, code): pips 1..6 and an angle code, one byte: code c means c * 360/256 degrees (in vae mode the
code picks a latent value instead). The decoder draws a FACE x FACE grey face; the SSD1306 panel is OLED_W x OLED_H
pixels in 8-row pages. Board facts (clock, baud, I2C rate) belong to hardware/pinmap.json and are read from it here.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
PINMAP = ROOT / "hardware" / "pinmap.json"

PIPS = (1, 2, 3, 4, 5, 6)
NUM_CLASSES = len(PIPS)
CODES = 256                 # angle codes per turn: one byte
FACE = 32                   # the generated face is FACE x FACE grey bytes
FACE_BYTES = FACE * FACE
OLED_W, OLED_H = 128, 64    # SSD1306 panel
OLED_PAGE_ROWS = 8          # the controller's pages: 8 pixel rows per byte column


def code_to_degrees(codes) -> np.ndarray:
    """Angle codes -> degrees (counter-clockwise)."""
    return np.asarray(codes, dtype=np.float64) * (360.0 / CODES)


def degrees_to_code(degrees: float) -> int:
    """The nearest code to an angle in degrees; any angle wraps into one turn (-1 deg is 359 deg)."""
    return int(round(float(degrees) % 360.0 * CODES / 360.0)) % CODES


def check_faces(pips, codes) -> tuple[np.ndarray, np.ndarray]:
    """(pips int64, codes int64) as 1-D arrays of equal length; ValueError unless pips are 1..6 and codes 0..255."""
    pips, codes = np.asarray(pips), np.asarray(codes)
    if pips.shape != codes.shape or pips.ndim != 1:
        raise ValueError("pips and codes must be 1-D and of equal length")
    pips, codes = pips.astype(np.int64), codes.astype(np.int64)
    if len(pips) and (pips.min() < 1 or pips.max() > 6 or codes.min() < 0 or codes.max() > CODES - 1):
        raise ValueError(f"pips must be 1..6 and codes 0..{CODES - 1}")
    return pips, codes


def face_list(count: int, seed: int = 0, pips: int | None = None, code: int | None = None,
              ) -> tuple[np.ndarray, np.ndarray]:
    """(pips int64 in 1..6, codes uint8) for `count` faces: uniform, or pinned where `pips`/`code` are given.

    Every backend draws the same list for the same seed, so stages compare face for face.
    """
    rng = np.random.default_rng([seed, 7])
    p = rng.integers(1, 7, count) if pips is None else np.full(count, pips)
    c = rng.integers(0, CODES, count) if code is None else np.full(count, code)
    return p.astype(np.int64), c.astype(np.uint8)


def all_inputs() -> tuple[np.ndarray, np.ndarray]:
    """Every (pips, code) the device can be asked for: 6 x 256, pips-major."""
    p, c = np.meshgrid(np.arange(1, 7), np.arange(CODES), indexing="ij")
    return p.ravel().astype(np.int64), c.ravel().astype(np.int64)


@dataclass(frozen=True)
class Board:
    name: str
    family: str
    mcu: str
    f_cpu: int      # Hz
    baud: int       # UART, 8N1
    i2c_hz: int     # SSD1306 bus


@lru_cache(maxsize=None)
def _pinmap() -> dict:
    return json.loads(PINMAP.read_text(encoding="utf-8"))


def board(name: str = "nano") -> Board:
    """Board facts from hardware/pinmap.json; ValueError for a board it does not list."""
    pm = _pinmap()
    if name not in pm["boards"]:
        raise ValueError(f"unknown board {name!r} (have: {', '.join(pm['boards'])})")
    b = pm["boards"][name]
    return Board(name, b["family"], b["mcu"], int(b["f_cpu"]), int(pm["common"]["uart_baud"]),
                 int(pm["common"]["i2c_hz"]))
