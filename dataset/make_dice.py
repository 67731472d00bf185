"""Synthetic dice: `python dataset/make_dice.py` writes data/dice.npz (8,192 faces, 32x32 grey, labels 1..6, angles).

`--augment` makes the evaluation CNN's set instead: the die shifted (possibly partly out of frame), blurred on a random
half, noisy on a random half. Same arguments, same bytes.
"""
from __future__ import annotations

import gendie.cli  # noqa: F401  first, so Ctrl-C is quiet (exit 130) while the imports below load

import sys
import time
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter
from tqdm import tqdm

from gendie.cli import Parser, UsageError, check_paths, int_range, run, seed_int
from gendie.fileio import atomic_write, save_npz
from dataset.render import DEFAULT_STYLE, DieStyle, random_style, render_die

MAX_BYTES = 2 ** 31  # images held in memory at once
MAX_SHIFT = 0.2  # augmented set: die centre moves up to 20% of the image size along each axis


def generate(count: int, seed: int = 0, size: int = 32, augment: bool = False,
             style: DieStyle = DEFAULT_STYLE, style_jitter: bool = False,
             progress: bool = False) -> dict[str, np.ndarray]:
    """`count` dice with balanced labels 1..6 and uniform angles in [0, 360): images (N,size,size) uint8."""
    if count < 1:
        raise ValueError(f"count must be at least 1, got {count}")
    if size < 16 or size > 256 or size % 8:
        raise ValueError(f"size must be a multiple of 8 from 16 to 256, got {size}")
    rng = np.random.default_rng(seed)
    labels = rng.permutation(np.arange(count) % 6 + 1).astype(np.int64)
    angles = rng.uniform(0.0, 360.0, count).astype(np.float32)
    shifts = rng.uniform(-MAX_SHIFT, MAX_SHIFT, (count, 2)) * size if augment else np.zeros((count, 2))
    blur = rng.random(count) < 0.5
    blur_radius = rng.uniform(0.3, 1.3, count) * size / 32
    noisy = rng.random(count) < 0.5
    noise_sigma = rng.uniform(4.0, 40.0, count)
    noise_rng = np.random.default_rng([seed, 1])  # separate streams: image i's noise does not shift image j's style
    style_rng = np.random.default_rng([seed, 2])

    images = np.empty((count, size, size), dtype=np.uint8)
    for i in tqdm(range(count), desc="dice", unit="img", disable=not progress, leave=False):
        st = random_style(style_rng) if style_jitter else style
        img = render_die(int(labels[i]), float(angles[i]), size, st, tuple(shifts[i]), rng=style_rng)
        if augment and blur[i]:
            img = np.asarray(Image.fromarray(img).filter(ImageFilter.GaussianBlur(float(blur_radius[i]))))
        if augment and noisy[i]:
            noise = noise_rng.normal(0.0, noise_sigma[i], img.shape)
            img = np.clip(np.rint(img + noise), 0, 255).astype(np.uint8)
        images[i] = img
    return {"images": images, "labels": labels, "angles": angles}


def save_preview(path: str | Path, images: np.ndarray, labels: np.ndarray | None = None,
                 angles: np.ndarray | None = None, cols: int = 8, rows: int = 8, scale: int = 3) -> None:
    """A labelled grid of the first rows*cols faces as PNG."""
    n = min(len(images), cols * rows)
    rows = -(-n // cols)
    h, w = images.shape[1:]
    tw, th = w * scale, h * scale + 12
    sheet = Image.new("L", (cols * tw + (cols + 1) * 2, rows * th + (rows + 1) * 2), 40)
    draw = ImageDraw.Draw(sheet)
    for i in range(n):
        x, y = 2 + (i % cols) * (tw + 2), 2 + (i // cols) * (th + 2)
        sheet.paste(Image.fromarray(images[i]).resize((tw, h * scale), Image.NEAREST), (x, y))
        text = "" if labels is None else f"{int(labels[i])}"
        if angles is not None:
            text += f" {float(angles[i]):.0f}°" if text else f"{float(angles[i]):.0f}°"
        draw.text((x + 1, y + h * scale), text, fill=255)
    with atomic_write(path) as f:
        sheet.save(f, format="PNG")


def main(argv: list[str] | None = None) -> int:
    p = Parser(prog="make_dice.py", description=__doc__)
    p.add_argument("--count", type=int_range(1, 1_000_000), default=8192,
                   help="number of dice (default 8192); labels are balanced")
    p.add_argument("--seed", type=seed_int, default=0, help="random seed (default 0): same arguments give the same bytes")
    p.add_argument("--out", default="data/dice.npz", help="output .npz (default data/dice.npz)")
    p.add_argument("--size", type=int, default=32, choices=range(16, 257, 8), metavar="16..256", help="image side in pixels, multiple of 8 (default 32; 64 works)")
    p.add_argument("--augment", action="store_true",
                   help="evaluation-CNN set: random shift (may leave the frame), blur on half, noise on half")
    p.add_argument("--style-jitter", action="store_true",
                   help="vary corners, pip size/spacing, contrast per die (plausible other dice)")
    p.add_argument("--preview", metavar="FILE.png", help="also write a labelled grid of the first 64 dice")
    a = p.parse_args(argv)

    out = Path(a.out)
    check_paths(outputs={"--out": out, "--preview": a.preview})
    if a.count * a.size * a.size > MAX_BYTES:
        raise UsageError(f"{a.count} dice of {a.size}x{a.size} need {a.count * a.size ** 2 / 2 ** 30:.1f} GiB: "
                         f"at most {MAX_BYTES // 2 ** 30} GiB")
    t0 = time.perf_counter()
    data = generate(a.count, a.seed, a.size, a.augment, style_jitter=a.style_jitter, progress=sys.stderr.isatty())
    elapsed = time.perf_counter() - t0
    save_npz(out, **data)
    if a.preview:
        save_preview(a.preview, data["images"], data["labels"], data["angles"])
    kind = "augmented " if a.augment else ""
    print(f"wrote {a.count} {kind}{a.size}x{a.size} dice to {out} in {elapsed:.2f} s "
          f"({a.count / elapsed:,.0f} dice/s)" + (f"; preview {a.preview}" if a.preview else ""))
    return 0


if __name__ == "__main__":
    sys.exit(run(main))
