"""The oracle: the numpy reference of docs/integer-contract.md, layer by layer with full buffers.

`generate(qmodel, pips, codes) -> uint8 (N, 32, 32)`. Accumulators are int64. Only the per-tap channel sums go
through float32 BLAS for speed: bytes (<= 255) times int8 summed over at most 64 channels stay below 2^24 (asserted),
so every float32 result is the exact integer.
"""
from __future__ import annotations

import numpy as np

from gendie.intmodel import QLayer, QModel, requant

_EXACT = 2 ** 24  # float32 represents every integer below this


def _dot(x: np.ndarray, w: np.ndarray) -> np.ndarray:
    """(N, ci, H, W) uint8 x (co, ci) int -> (N, co, H, W) int64, exactly."""
    assert int(x.max(initial=0)) * int(np.abs(w).sum(1).max(initial=0)) < _EXACT  # every partial sum exact
    r = np.matmul(x.transpose(0, 2, 3, 1).astype(np.float32), w.T.astype(np.float32))
    return r.transpose(0, 3, 1, 2).astype(np.int64)


def fc_acc(qm: QModel, L: QLayer, pips: np.ndarray, codes: np.ndarray) -> np.ndarray:
    """(N, co) FC accumulators: the one-hot is a row lookup of the bias table, the code a lookup of the cond table."""
    cond = qm.cond_table[:, np.asarray(codes, dtype=np.int64)].astype(np.int64)  # (cond_dim, N)
    return L.bias[np.asarray(pips, dtype=np.int64) - 1] + (L.w.astype(np.int64) @ cond).T


def conv_acc(L: QLayer, x: np.ndarray) -> np.ndarray:
    """Accumulators (N, co, H', W') of a 3x3 layer on uint8 input (N, ci, H, W); zero padding."""
    n, _, h, w = x.shape
    wt = L.w.astype(np.int64)
    if L.kind == "conv":
        xp = np.pad(x, ((0, 0), (0, 0), (1, 1), (1, 1)))
        acc = np.zeros((n, L.co, h, w), dtype=np.int64)
        for ky in range(3):
            for kx in range(3):
                acc += _dot(xp[:, :, ky:ky + h, kx:kx + w], wt[:, :, ky, kx])
    elif L.kind == "convt2":
        # out[2i - 1 + ky] += in[i] * w[ky]; a padded frame shifted by one row/column makes every tap a strided slice
        acc = np.zeros((n, L.co, 2 * h + 1, 2 * w + 1), dtype=np.int64)
        for ky in range(3):
            for kx in range(3):
                acc[:, :, ky:ky + 2 * h:2, kx:kx + 2 * w:2] += _dot(x, wt[:, :, ky, kx])
        acc = acc[:, :, 1:, 1:]
    else:
        raise ValueError(f"unknown layer kind {L.kind!r}")
    return acc + L.bias[None, :, None, None]


def finish(L: QLayer, acc: np.ndarray) -> np.ndarray:
    """Requantise accumulators to uint8 (ReLU and the output clamp are the same 0..255 clamp)."""
    shape = (1, -1) + (1,) * (acc.ndim - 2)
    return requant(acc, L.shift.reshape(shape))


def layer_outputs(qm: QModel, pips: np.ndarray, codes: np.ndarray, with_acc: bool = False) -> list:
    """Every layer's uint8 output (and accumulators if asked), full buffers."""
    L0 = qm.layers[0]
    acc = fc_acc(qm, L0, pips, codes)
    x = finish(L0, acc).reshape(len(acc), -1, 4, 4)
    outs = [(x, acc) if with_acc else x]
    for L in qm.layers[1:]:
        acc = conv_acc(L, x)
        x = finish(L, acc)
        outs.append((x, acc) if with_acc else x)
    return outs


def generate(qm: QModel, pips, codes, batch: int = 512) -> np.ndarray:
    """uint8 faces (N, 32, 32) for pips 1..6 and codes 0..255."""
    pips = np.asarray(pips, dtype=np.int64)
    codes = np.asarray(codes, dtype=np.int64)
    if len(pips) != len(codes):
        raise ValueError("pips and codes differ in length")
    if len(pips) and (pips.min() < 1 or pips.max() > 6 or codes.min() < 0 or codes.max() > 255):
        raise ValueError("pips must be 1..6 and codes 0..255")
    out = np.zeros((len(pips), 32, 32), dtype=np.uint8)
    for i in range(0, len(pips), batch):
        out[i:i + batch] = layer_outputs(qm, pips[i:i + batch], codes[i:i + batch])[-1][:, 0]
    return out
