"""A non-learned pip counter: the separate dark holes inside the bright die body.

Used to check the dataset's labels and, strictly, to judge generated faces (no network involved). Threshold at mid
grey; dark pixels reachable from the image border are background; the remaining dark pixels are holes, grouped
4-connected. Vectorised over the batch with numpy so thousands of faces take well under a second.
"""
from __future__ import annotations

import numpy as np

THRESHOLD = 128  # grey level: >= is die body
MIN_HOLE_AREA = 2  # pixels; a single dark speck is noise, not a pip


def _shift(a: np.ndarray, dy: int, dx: int, fill) -> np.ndarray:
    """a shifted by (dy, dx) over the last two axes, new cells set to `fill`."""
    out = np.full_like(a, fill)
    h, w = a.shape[-2:]
    out[..., max(dy, 0):h + min(dy, 0), max(dx, 0):w + min(dx, 0)] = \
        a[..., max(-dy, 0):h + min(-dy, 0), max(-dx, 0):w + min(-dx, 0)]
    return out


_NEIGHBOURS = ((1, 0), (-1, 0), (0, 1), (0, -1))


def hole_mask(images: np.ndarray, threshold: int = THRESHOLD) -> np.ndarray:
    """Boolean (N, H, W): dark pixels not 4-connected to the image border."""
    dark = np.asarray(images) < threshold
    outside = np.zeros_like(dark)
    outside[..., 0, :] = dark[..., 0, :]
    outside[..., -1, :] = dark[..., -1, :]
    outside[..., :, 0] |= dark[..., :, 0]
    outside[..., :, -1] |= dark[..., :, -1]
    while True:  # flood fill from the border through dark pixels
        grown = outside.copy()
        for dy, dx in _NEIGHBOURS:
            grown |= _shift(outside, dy, dx, False)
        grown &= dark
        if np.array_equal(grown, outside):
            return dark & ~outside
        outside = grown


def count_pips(images: np.ndarray, threshold: int = THRESHOLD, min_area: int = MIN_HOLE_AREA) -> np.ndarray:
    """Number of holes of at least `min_area` pixels in each image of (N, H, W) or (H, W) uint8 images."""
    imgs = np.asarray(images)
    single = imgs.ndim == 2
    if single:
        imgs = imgs[None]
    holes = hole_mask(imgs, threshold)
    n, h, w = holes.shape
    big = np.iinfo(np.int32).max
    # Connected components by min-label propagation: every hole pixel ends with the smallest index in its component.
    labels = np.where(holes, np.arange(h * w, dtype=np.int32).reshape(1, h, w), big)
    while True:
        nxt = labels
        for dy, dx in _NEIGHBOURS:
            nxt = np.minimum(nxt, _shift(labels, dy, dx, big))
        nxt = np.where(holes, nxt, big)
        if np.array_equal(nxt, labels):
            break
        labels = nxt
    counts = np.zeros(n, dtype=np.int64)
    for i in range(n):
        ids, areas = np.unique(labels[i][holes[i]], return_counts=True)
        counts[i] = int(np.sum(areas >= min_area))
    return counts[0] if single else counts
