"""What a training run reports: quality of the float and the int8 decoder, diversity, and the run folder's plots.

Used by training/train_cvae.py (and bench/sweep.py through it); the measures themselves are training/metrics.py and
training/diversity.py.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from gendie import golden
from gendie.device import face_list
from gendie.fileio import save_figure
from training import checkpoint, diversity, footprint
from training.metrics import quality
from training.model import CVAE, generate


def evaluate(model: CVAE, count: int = 6000, seed: int = 1, per_pips: int = 0) -> dict:
    """Quality on `count` fresh faces (uniform pips and codes), the diversity of `per_pips` random rolls per pip
    count and the ghosting of a 64-step scan (0: skipped), plus the MCU footprint of the config."""
    def gen(p: np.ndarray, c: np.ndarray) -> np.ndarray:
        return generate(model, torch.from_numpy(p), torch.from_numpy(c)).numpy()
    return {**_quality(gen, model.cfg.mode, count, seed, per_pips), **footprint.summary(model.cfg)}


def evaluate_int8(ckpt: Path, mode: str, count: int = 6000, seed: int = 1, per_pips: int = 0) -> dict:
    """The same measures on the integer model the MCU runs (gendie/golden.py), same faces."""
    qm = checkpoint.integer_model(ckpt)
    q = _quality(lambda p, c: golden.generate(qm, p, c), mode, count, seed, per_pips)
    return {k: v for k, v in q.items() if k not in ("cnn_per_class", "strict_per_class")}


def _quality(gen, mode: str, count: int, seed: int, per_pips: int) -> dict:
    p, c = face_list(count, seed)
    q = quality(gen(p, c), p, c, mode)
    return {**q, **diversity.measure(gen, per_pips)} if per_pips else q


def save_plots(model: CVAE, history: list[float], out: Path, div: dict | None = None) -> None:
    """samples.png (8 codes per pip count), scan.png (64 evenly spaced codes per pip count, two rows each: the latent
    scan in vae mode), loss.png, and diversity.png when `div` (the diversity measure) is given."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from dataset.make_dice import save_preview

    for name, steps in (("samples", 8), ("scan", 64)):
        p, codes = diversity.scan_inputs(steps)
        faces = generate(model, torch.from_numpy(p), torch.from_numpy(codes)).numpy()
        cols = min(steps, 32)
        save_preview(out / f"{name}.png", faces, p, codes * 360 / 256 if model.cfg.mode == "angle" else None,
                     cols=cols, rows=len(p) // cols)
    if div:
        diversity.plot(div, out / "diversity.png", f"{model.cfg.name}: estimated angles of random rolls")
    if not history:
        return
    fig, ax = plt.subplots(figsize=(5, 3))
    ax.semilogy(np.arange(1, len(history) + 1), history)
    ax.set_xlabel("epoch")
    ax.set_ylabel(f"training loss ({model.cfg.loss})")
    ax.set_title(model.cfg.name)
    save_figure(fig, out / "loss.png", dpi=100)
