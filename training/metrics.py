"""Decoder quality, one function used everywhere (training, sweep, tests, every backend of die_gen).

For N faces with uniform pips and angle codes: MSE against the ground-truth render of the same (pips, angle) — in
vae mode, where the code does not set the angle, against the closest render of the same pips over 360 angles —,
the evaluation CNN's accuracy, and the strict pip-count rate (separate dark holes inside the body, no learning).
"""
from __future__ import annotations

from functools import lru_cache

import numpy as np

from dataset.pipcount import count_pips
from dataset.render import render_die
from gendie.device import code_to_degrees
from training import eval_cnn


@lru_cache(maxsize=1)
def _judge() -> eval_cnn.EvalCNN:
    return eval_cnn.load()


@lru_cache(maxsize=8)
def _renders_by_code(pips: int) -> np.ndarray:
    """Ground truth for each of the 256 device angle codes, float in [0, 1]."""
    return np.stack([render_die(pips, float(d)) for d in code_to_degrees(np.arange(256))]).astype(np.float32) / 255


@lru_cache(maxsize=8)
def _renders_all_angles(pips: int) -> np.ndarray:
    return np.stack([render_die(pips, float(d)) for d in range(360)]).reshape(360, -1).astype(np.float32) / 255


def face_mse(faces: np.ndarray, pips: np.ndarray, codes: np.ndarray, mode: str = "angle") -> np.ndarray:
    """Per-face MSE (grey in [0,1]) against the ground truth."""
    x = faces.astype(np.float32) / 255
    out = np.empty(len(faces), dtype=np.float64)
    for p in range(1, 7):
        sel = np.flatnonzero(pips == p)
        if not len(sel):
            continue
        if mode == "angle":
            gt = _renders_by_code(p)[codes[sel].astype(np.int64)]
            out[sel] = ((x[sel] - gt) ** 2).mean(axis=(1, 2))
        else:
            ref = _renders_all_angles(p)
            xs = x[sel].reshape(len(sel), -1)
            d2 = (xs ** 2).sum(1)[:, None] + (ref ** 2).sum(1)[None] - 2 * xs @ ref.T
            out[sel] = np.maximum(d2.min(1), 0) / xs.shape[1]
    return out


def quality(faces: np.ndarray, pips: np.ndarray, codes: np.ndarray, mode: str = "angle") -> dict:
    """MSE, eval-CNN accuracy and strict pip-count rate of uint8 faces (N,32,32) meant to show `pips`."""
    pips = np.asarray(pips).astype(np.int64)
    judged = eval_cnn.predict(_judge(), faces)
    counted = count_pips(faces)
    return {"n": int(len(faces)),
            "mse": float(face_mse(faces, pips, np.asarray(codes), mode).mean()),
            "cnn_accuracy": float(np.mean(judged == pips)),
            "strict_pip_rate": float(np.mean(counted == pips)),
            "cnn_per_class": {str(k): float(np.mean(judged[pips == k] == k)) for k in range(1, 7) if (pips == k).any()},
            "strict_per_class": {str(k): float(np.mean(counted[pips == k] == k)) for k in range(1, 7)
                                 if (pips == k).any()}}
