"""Diversity of generated faces: do the random rolls of each pip count show every rotation the die can have?

    python training/diversity.py --checkpoint models/decoder.pt --int8 --plot docs/vae/diversity.png

Each face's angle is estimated as its best match (least squared error) among ground-truth renders
(dataset.render.render_die) at 256 angles spanning the face's symmetry period: 90 degrees for 1, 4 and 5 pips (a
quarter turn maps them onto themselves), 180 for 2, 3 and 6. The angles fall into 32 equal bins of the period (8
reference angles each, so no bin is favoured by the grid); a pip count is diverse when its faces hit at least 90 % of
the bins and no bin holds more than 3x its even share. Faces come from random device codes, as the die rolls them: in
angle mode a code is an angle, in vae mode a latent sample.
"""
from __future__ import annotations

import sys
from functools import lru_cache

import numpy as np

from dataset.render import render_die
from gendie.budgets import DIVERSITY_BINS, DIVERSITY_MAX_RATIO, DIVERSITY_MIN_COVERAGE
from gendie.cli import Parser, positive_int, run, seed_int
from gendie.device import PIPS, face_list

PERIOD = {1: 90, 2: 180, 3: 180, 4: 90, 5: 90, 6: 180}  # degrees after which the standard face repeats
STEPS = 256  # reference renders per period: a multiple of the bins


@lru_cache(maxsize=8)
def references(pips: int) -> np.ndarray:
    """(STEPS, 1024) float32 ground-truth renders at angles k * period / STEPS, grey in [0, 1]."""
    step = PERIOD[pips] / STEPS
    return np.stack([render_die(pips, k * step) for k in range(STEPS)]).reshape(STEPS, -1).astype(np.float32) / 255


def estimate_angles(faces: np.ndarray, pips: int) -> np.ndarray:
    """Degrees in [0, period) of the best-matching render for each uint8 face (N, 32, 32) showing `pips`."""
    ref = references(pips)
    x = faces.reshape(len(faces), -1).astype(np.float32) / 255
    d2 = (ref ** 2).sum(1)[None] - 2 * x @ ref.T  # + |x|^2, the same for every reference
    return d2.argmin(1) * (PERIOD[pips] / STEPS)


def bin_stats(angles: np.ndarray, period: float, bins: int = DIVERSITY_BINS) -> dict:
    """Coverage (fraction of bins hit) and max ratio (largest bin over the even share) of angles in [0, period)."""
    counts = np.bincount(np.minimum((np.asarray(angles) / period * bins).astype(np.int64), bins - 1), minlength=bins)
    share = len(angles) / bins
    return {"n": int(len(angles)), "coverage": float((counts > 0).mean()),
            "max_ratio": float(counts.max() / share) if len(angles) else 0.0, "counts": counts.tolist()}


def diversity(faces: np.ndarray, pips: np.ndarray) -> dict:
    """Per pip count present in `pips`: bin_stats of the estimated angles and whether they meet the targets."""
    pips = np.asarray(pips)
    out = {}
    for p in PIPS:
        sel = pips == p
        if sel.any():
            s = bin_stats(estimate_angles(faces[sel], p), PERIOD[p])
            s["ok"] = s["coverage"] >= DIVERSITY_MIN_COVERAGE and s["max_ratio"] <= DIVERSITY_MAX_RATIO
            out[str(p)] = s
    return out


def rolls(per_pips: int = 1000, seed: int = 3) -> tuple[np.ndarray, np.ndarray]:
    """(pips, codes): `per_pips` random device codes for each pip count, as the die rolls them."""
    lists = [face_list(per_pips, seed + p, pips=p) for p in PIPS]
    return np.concatenate([p for p, _ in lists]), np.concatenate([c for _, c in lists])


def scan_inputs(steps: int = 64) -> tuple[np.ndarray, np.ndarray]:
    """(pips, codes) of a scan: `steps` evenly spaced codes for each pip count, pips-major (the latent scan in vae
    mode, a turn of the die in angle mode)."""
    codes = np.arange(steps) * 256 // steps
    return np.repeat(np.array(PIPS), steps), np.tile(codes, len(PIPS))


def scan_passes(faces: np.ndarray, pips: np.ndarray) -> dict:
    """Per pip count, the fraction of scan faces whose strict pip count is right: 1.0 means no ghosting."""
    from dataset.pipcount import count_pips
    ok = count_pips(faces) == np.asarray(pips)
    return {str(p): float(ok[np.asarray(pips) == p].mean()) for p in PIPS if (np.asarray(pips) == p).any()}


def measure(generate, per_pips: int = 1000, seed: int = 3, scan_steps: int = 64) -> dict:
    """{"diversity": per pip count bin stats of `per_pips` random rolls, "scan": per pip count strict-count rate of a
    `scan_steps` scan} for `generate(pips, codes) -> uint8 faces`."""
    pips, codes = rolls(per_pips, seed)
    sp, sc = scan_inputs(scan_steps)
    return {"diversity": diversity(generate(pips, codes), pips), "scan_strict": scan_passes(generate(sp, sc), sp)}


def summary(div: dict) -> str:
    """One line per pip count."""
    return "\n".join(f"{p} pips: coverage {100 * s['coverage']:5.1f} % of {len(s['counts'])} bins, max bin "
                     f"{s['max_ratio']:.2f}x its share {'ok' if s['ok'] else 'FAIL'}" for p, s in div.items())


def plot(div: dict, path, title: str = "") -> None:
    """Histogram of estimated angles per pip count, with the even share and the 3x limit."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(div), figsize=(2.6 * len(div), 2.4), sharey=True)
    for ax, (p, s) in zip(np.atleast_1d(axes), div.items()):
        counts = np.asarray(s["counts"])
        edges = np.linspace(0, PERIOD[int(p)], len(counts) + 1)
        ax.bar(edges[:-1], counts, width=np.diff(edges), align="edge", color="tab:blue" if s["ok"] else "tab:red")
        share = s["n"] / len(counts)
        ax.axhline(share, color="k", lw=0.8)
        ax.axhline(DIVERSITY_MAX_RATIO * share, color="k", lw=0.8, ls="--")
        ax.set_title(f"{p} pips: {100 * s['coverage']:.0f} %, max {s['max_ratio']:.1f}x", fontsize=9)
        ax.set_xlabel("estimated angle (deg)")
    np.atleast_1d(axes)[0].set_ylabel("faces per bin")
    if title:
        fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def main(argv: list[str] | None = None) -> int:
    from pathlib import Path

    from training import checkpoint
    from training.checkpoint import DEFAULT_DECODER
    p = Parser(prog="diversity.py", description=__doc__, formatter_class=__import__("argparse").RawTextHelpFormatter)
    p.add_argument("--checkpoint", default=str(DEFAULT_DECODER), help="decoder checkpoint (default models/decoder.pt)")
    p.add_argument("--per-pips", type=positive_int, default=1000, help="random rolls per pip count (default 1000)")
    p.add_argument("--seed", type=seed_int, default=3, help="seed of the rolls (default 3)")
    p.add_argument("--int8", action="store_true", help="the integer model the device runs (default: float)")
    p.add_argument("--plot", metavar="FILE.png", help="also write the per-pip-count histograms")
    a = p.parse_args(argv)

    pips, codes = rolls(a.per_pips, a.seed)
    faces = generate_faces(Path(a.checkpoint), pips, codes, a.int8)
    div = diversity(faces, pips)
    print(summary(div))
    if a.plot:
        model, _ = checkpoint.load(a.checkpoint)
        plot(div, a.plot, f"{model.cfg.name} ({'int8' if a.int8 else 'float'}), {a.per_pips} rolls per pip count")
    return 0 if all(s["ok"] for s in div.values()) else 1


def generate_faces(ckpt, pips: np.ndarray, codes: np.ndarray, int8: bool = False) -> np.ndarray:
    """Faces of a checkpoint for (pips, codes): its float decoder, or the integer model (gendie/golden.py)."""
    import torch

    from gendie import golden
    from training import checkpoint
    from training.model import generate
    if int8:
        return golden.generate(checkpoint.integer_model(ckpt), pips, codes)
    model, _ = checkpoint.load(ckpt)
    return generate(model, torch.from_numpy(pips), torch.from_numpy(codes)).numpy()


if __name__ == "__main__":
    sys.exit(run(main))
