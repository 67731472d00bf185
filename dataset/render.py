"""Draws dice: a bright rounded body with dark pips, rotated, downscaled with anti-aliasing.

The die is drawn at 4x the target size, rotated there (bicubic) and box-filtered down, so every output pixel is the
average brightness of the 4x4 block it covers: the anti-aliasing of the seed study. Bright die on black, as an OLED
shows it.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np
from PIL import Image, ImageDraw

OVERSAMPLE = 4  # drawn at 4x the output size (128x128 for 32x32)

# Pip centres in units of the pip offset, standard layouts: 2 and 3 on a diagonal, 6 in two columns.
PIP_LAYOUTS: dict[int, tuple[tuple[int, int], ...]] = {
    1: ((0, 0),),
    2: ((-1, -1), (1, 1)),
    3: ((-1, -1), (0, 0), (1, 1)),
    4: ((-1, -1), (1, -1), (-1, 1), (1, 1)),
    5: ((-1, -1), (1, -1), (0, 0), (-1, 1), (1, 1)),
    6: ((-1, -1), (-1, 0), (-1, 1), (1, -1), (1, 0), (1, 1)),
}


@dataclass(frozen=True)
class DieStyle:
    """Geometry as fractions of the body side, except `margin` (fraction of the canvas)."""

    corner: float = 0.12  # corner radius
    pip_radius: float = 0.075
    pip_offset: float = 0.28  # distance of the outer pips from the centre, per axis
    margin: float = 0.04  # gap between the rotated die's farthest point and the canvas edge: > 1 output pixel
    body: int = 255  # grey levels
    pip: int = 0
    pip_jitter: float = 0.0  # random offset of each pip, fraction of the side (hand-made dice are imperfect)

    def body_side(self, canvas: int) -> float:
        """Largest side whose rotation by any angle stays inside the canvas (so nothing ever clips)."""
        half_reach = 0.5 - self.margin  # farthest point allowed from the centre, as a fraction of the canvas
        # A rounded square's farthest point is on the diagonal: (side/2 - r)*sqrt2 + r, with r = corner*side.
        per_side = (0.5 - self.corner) * math.sqrt(2) + self.corner
        return canvas * half_reach / per_side


DEFAULT_STYLE = DieStyle()


def random_style(rng: np.random.Generator) -> DieStyle:
    """A plausible variation of the default style: other corners, pip sizes, spacing, contrast, hand-placed pips."""
    pip_radius = float(rng.uniform(0.055, 0.11))
    return replace(
        DEFAULT_STYLE,
        corner=float(rng.uniform(0.0, 0.45)),
        pip_radius=pip_radius,
        pip_offset=float(rng.uniform(max(0.25, 2 * pip_radius + 0.06), 0.31)),  # pips of a 6 never touch
        margin=float(rng.uniform(0.0, 0.08)),
        body=int(rng.integers(150, 256)),
        pip=int(rng.integers(0, 80)),
        pip_jitter=float(rng.uniform(0.0, 0.03)),
    )


def draw_upright(pips: int, canvas: int, style: DieStyle = DEFAULT_STYLE,
                 rng: np.random.Generator | None = None) -> Image.Image:
    """The die face, unrotated, centred on a black canvas of `canvas` pixels."""
    if pips not in PIP_LAYOUTS:
        raise ValueError(f"pips must be 1..6, got {pips}")
    img = Image.new("L", (canvas, canvas), 0)
    draw = ImageDraw.Draw(img)
    side = style.body_side(canvas)
    c = canvas / 2
    h = side / 2
    draw.rounded_rectangle((c - h, c - h, c + h, c + h), radius=style.corner * side, fill=style.body)
    r, off = style.pip_radius * side, style.pip_offset * side
    for gx, gy in PIP_LAYOUTS[pips]:
        jx = jy = 0.0
        if style.pip_jitter and rng is not None:
            jx, jy = rng.uniform(-style.pip_jitter, style.pip_jitter, 2) * side
        x, y = c + gx * off + jx, c + gy * off + jy
        draw.ellipse((x - r, y - r, x + r, y + r), fill=style.pip)
    return img


def render_die(pips: int, angle: float, size: int = 32, style: DieStyle = DEFAULT_STYLE,
               shift: tuple[float, float] = (0.0, 0.0), rng: np.random.Generator | None = None) -> np.ndarray:
    """One die as a (size, size) uint8 image, rotated counter-clockwise by `angle` degrees.

    `shift` moves the die centre by (dx, dy) output pixels (the augmented set pushes it partly out of frame).
    """
    canvas = size * OVERSAMPLE
    img = draw_upright(pips, canvas, style, rng)
    img = img.rotate(angle, resample=Image.BICUBIC, fillcolor=0,
                     translate=(shift[0] * OVERSAMPLE, shift[1] * OVERSAMPLE))
    return np.asarray(img.resize((size, size), Image.BOX), dtype=np.uint8)
