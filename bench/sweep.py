"""The footprint study: train a grid of decoder sizes, then plot quality against weights, MACs and memory.

    python bench/sweep.py --quick --out runs/sweep      # ~11 min on 2 cores
    python bench/sweep.py --out runs/sweep_full          # the full grid, longer runs

Writes sweep.csv (one row per config) and plots: params_vs_mse.png (log-log, with the fitted slope; the seed study
found about -2/3), params_vs_accuracy.png, and budget.png (quality against MACs and activation memory, with the MCU
budgets drawn in). Runs one config per worker process, one torch thread each.
"""
from __future__ import annotations

import gendie.cli  # noqa: F401  first, so Ctrl-C is quiet (exit 130) while the imports below load

import csv
import itertools
import os
import signal
import sys
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path

import numpy as np
from tqdm import tqdm

from gendie.cli import Parser, UsageError, int_range, run, seed_int
from export import plan
from export.export_decoder import flash_bytes
from gendie import budgets, golden
from gendie.fileio import atomic_write, save_figure
from gendie.arch import DecoderConfig
from gendie.device import face_list
from gendie.quantize import quantize
from training.metrics import quality
from training.model import state_arrays

BUDGET = {"params": budgets.DECODER_PARAMS, "macs": budgets.DECODER_MACS, "act_bytes": budgets.ACT_RAM_BYTES,
          "flash_bytes": budgets.DECODER_FLASH_BYTES}
QUICK_DIMS = [(4, 4, 4, 4), (4, 8, 8, 8), (8, 8, 8, 8), (8, 16, 16, 16), (16, 8, 8, 8), (16, 16, 16, 16)]
FULL_DIMS = QUICK_DIMS + [(2, 4, 4, 4), (6, 8, 8, 8), (8, 8, 8, 16), (12, 8, 8, 8), (8, 4, 4, 4), (32, 16, 16, 16)]
COLUMNS = ["name", "dim1", "dim2", "dim3", "dim4", "hires", "loss", "params", "macs", "act_bytes_rows",
           "act_bytes_strip8", "engine_act_bytes", "engine_fits", "engine_macs", "flash_bytes", "mse", "cnn_accuracy",
           "strict_pip_rate", "int8_mse", "int8_cnn_accuracy", "int8_strict_pip_rate", "train_seconds"]


def grid(dims: list[tuple[int, int, int, int]], hires: list[int], loss: str) -> list[DecoderConfig]:
    return [DecoderConfig(dim1=d[0], dim2=d[1], dim3=d[2], dim4=d[3], hires=h, loss=loss)
            for d, h in itertools.product(dims, hires)]


def engine_figures(model, eval_count: int, seed: int = 1) -> dict:
    """What the exporter makes of a trained model: exact depth-first RAM and MACs, flash, and int8 quality."""
    try:
        qm = quantize(model.cfg, state_arrays(model.decoder), "channel")
    except ValueError as e:  # e.g. no int32 accumulator can be proven: the exporter would refuse this model too
        nan = float("nan")
        return {"engine_act_bytes": -1, "engine_fits": False, "engine_macs": -1, "flash_bytes": -1,
                "int8_mse": nan, "int8_cnn_accuracy": nan, "int8_strict_pip_rate": nan, "export_error": str(e)}
    pl = plan.plan_for(qm, budgets.ACT_RAM_BYTES)
    p, c = face_list(eval_count, seed)
    q = quality(golden.generate(qm, p, c), p, c, model.cfg.mode)
    return {"engine_act_bytes": pl.ram, "engine_fits": pl.fits,
            "engine_macs": pl.total_macs, "flash_bytes": sum(flash_bytes(qm, pl).values()), "int8_mse": q["mse"],
            "int8_cnn_accuracy": q["cnn_accuracy"], "int8_strict_pip_rate": q["strict_pip_rate"]}


def _worker_init() -> None:
    """Workers leave Ctrl-C to the parent, which stops them at once (no traceback from every worker)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _train_one(cfg_dict: dict, epochs: int, count: int, batch: int, eval_count: int, seed: int) -> dict:
    import time

    import torch
    torch.set_num_threads(1)
    from training.train_cvae import evaluate, train
    cfg = DecoderConfig.from_dict(cfg_dict)
    t0 = time.perf_counter()
    model, _ = train(cfg, epochs=epochs, count=count, batch=batch, seed=seed, progress=False, verbose=False)
    train_s = round(time.perf_counter() - t0, 1)
    row = {"name": cfg.name, **cfg.to_dict(), **evaluate(model, eval_count), **engine_figures(model, eval_count),
           "train_seconds": train_s}
    return {k: row[k] for k in COLUMNS}


def fit_slope(params: np.ndarray, mse: np.ndarray) -> tuple[float, float]:
    """Least-squares line through log10(params), log10(mse): (slope, intercept)."""
    slope, intercept = np.polyfit(np.log10(params), np.log10(mse), 1)
    return float(slope), float(intercept)


def read_csv(path: Path) -> list[dict]:
    """sweep.csv back into rows with numbers as numbers."""
    if not path.exists():
        raise ValueError(f"{path}: no such file (run the sweep first)")
    rows = []
    with open(path, newline="") as fh:
        for r in csv.DictReader(fh):
            rows.append({k: (v if k in ("name", "loss") else v == "True" if k == "engine_fits" else float(v))
                         for k, v in r.items()})
    return rows


def plot(rows: list[dict], out: Path) -> float:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    params = np.array([r["params"] for r in rows], float)
    mse = np.array([r["mse"] for r in rows], float)
    hires = np.array([r["hires"] for r in rows])
    slope, icpt = fit_slope(params, mse)
    learned = np.array([r["cnn_accuracy"] > 0.5 for r in rows])  # runs that collapsed to a blob are outliers
    fig, ax = plt.subplots(figsize=(6, 4.5))
    for h in sorted(set(hires)):
        sel = hires == h
        ax.loglog(params[sel], mse[sel], "o", label=f"{h} hi-res layers")
    xs = np.geomspace(params.min(), params.max(), 50)
    ax.loglog(xs, 10 ** icpt * xs ** slope, "k--", label=f"fit, all runs: slope {slope:.2f}")
    if learned.sum() >= 2 and not learned.all():
        s2, i2 = fit_slope(params[learned], mse[learned])
        ax.loglog(xs, 10 ** i2 * xs ** s2, "k:", label=f"fit, runs with eval CNN > 50 %: slope {s2:.2f}")
    ax.axvline(BUDGET["params"], color="r", lw=0.8, label="flash budget (10k weights)")
    ax.set_xlabel("decoder weights")
    ax.set_ylabel("MSE vs ground truth")
    ax.legend(fontsize=8)
    ax.grid(True, which="both", alpha=0.3)
    save_figure(fig, out / "params_vs_mse.png")

    fig, ax = plt.subplots(figsize=(6, 4.5))
    for key, marker in (("cnn_accuracy", "o"), ("strict_pip_rate", "x")):
        ax.semilogx(params, [100 * r[key] for r in rows], marker, label=key.replace("_", " "))
    ax.set_xlabel("decoder weights")
    ax.set_ylabel("% of faces")
    ax.legend(fontsize=8)
    ax.grid(True, which="both", alpha=0.3)
    save_figure(fig, out / "params_vs_accuracy.png")

    fig, axes = plt.subplots(1, 2, figsize=(10, 4.2), sharey=True)
    for ax, key, budget, label in ((axes[0], "engine_macs", BUDGET["macs"],
                                    "MACs per face, depth-first (recompute incl.)"),
                                   (axes[1], "engine_act_bytes", BUDGET["act_bytes"],
                                    "activation bytes (exact depth-first plan)")):
        ok = np.array([r[key] > 0 for r in rows])  # -1: the exporter refused the model (no provable accumulator)
        x = np.array([r[key] for r in rows], float)[ok]
        sc = ax.scatter(x, [100 * r["strict_pip_rate"] for r, k in zip(rows, ok) if k], c=hires[ok], cmap="viridis")
        ax.axvline(budget, color="r", lw=0.8)
        ax.set_xscale("log")
        ax.set_xlabel(label)
        ax.grid(True, which="both", alpha=0.3)
    axes[0].set_ylabel("strict pip count %")
    fig.colorbar(sc, ax=axes, label="hi-res layers")
    with atomic_write(out / "budget.png") as f:  # no tight_layout: the shared colour bar would not fit it
        fig.savefig(f, format="png", dpi=110)
    plt.close(fig)
    return slope


def main(argv: list[str] | None = None) -> int:
    p = Parser(prog="sweep.py", description=__doc__, formatter_class=__import__("argparse").RawTextHelpFormatter)
    p.add_argument("--quick", action="store_true", help="small grid and short runs (~11 min on 2 cores)")
    p.add_argument("--epochs", type=int_range(1, 10_000), help="epochs per config (default 30 quick, 60 full)")
    p.add_argument("--count", type=int_range(1, 1_000_000), help="training dice per config (default 4096 quick, 8192 full)")
    p.add_argument("--batch", type=int_range(1, 65_536), help="batch size (default 128 quick: more steps for few samples; 256 full)")
    p.add_argument("--eval-count", type=int_range(6, 1_000_000), default=1200, help="faces for each config's metrics (default 1200)")
    p.add_argument("--hires", default="0,1,2,3", help="hi-res layer counts to sweep (default 0,1,2,3)")
    p.add_argument("--loss", default="bce", choices=("bce", "mse"))
    p.add_argument("--workers", type=int_range(1, 64), default=os.cpu_count() or 1)
    p.add_argument("--seed", type=seed_int, default=0)
    p.add_argument("--out", default="runs/sweep", help="folder for sweep.csv and the plots")
    p.add_argument("--replot", action="store_true", help="only redraw the plots from --out's sweep.csv")
    a = p.parse_args(argv)
    if a.replot:
        rows = read_csv(Path(a.out) / "sweep.csv")
        print(f"log-log slope params vs MSE {plot(rows, Path(a.out)):.2f}; plots redrawn in {a.out}")
        return 0
    try:
        hires = sorted({int(h) for h in a.hires.split(",")})
        configs = grid(QUICK_DIMS if a.quick else FULL_DIMS, hires, a.loss)
    except ValueError as e:
        raise UsageError(f"--hires: {e}") from None
    if a.count is not None and a.batch is not None and a.count < a.batch:
        raise UsageError(f"--count ({a.count}) must be at least --batch ({a.batch})")
    epochs = a.epochs or (30 if a.quick else 60)
    count = a.count or (4096 if a.quick else 8192)
    batch = a.batch or (128 if a.quick else 256)
    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)

    rows: list[dict] = []
    # biggest first: the slowest configs start early, so the workers finish together
    configs.sort(key=lambda c: -c.dim1 * (c.hires + 1))
    pool = ProcessPoolExecutor(max_workers=a.workers, initializer=_worker_init)
    try:
        futures = [pool.submit(_train_one, c.to_dict(), epochs, count, batch, a.eval_count, a.seed) for c in configs]
        for f in tqdm(as_completed(futures), total=len(futures), desc="sweep", unit="cfg"):
            rows.append(f.result())
            rows.sort(key=lambda r: (r["params"], r["name"]))
            with atomic_write(out / "sweep.csv", "w") as fh:  # rewritten as results arrive: a crash loses none
                w = csv.DictWriter(fh, COLUMNS, lineterminator="\r\n")
                w.writeheader()
                w.writerows(rows)
    except BaseException:  # Ctrl-C or a failed config: stop now, not after every queued config has trained
        for proc in list(getattr(pool, "_processes", {}).values()):  # the executor has no public kill
            proc.kill()  # workers write nothing (the parent writes the csv), so nothing is left half-written
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    pool.shutdown()
    slope = plot(rows, out)
    fits = [r for r in rows if r["params"] <= BUDGET["params"] and r["macs"] <= BUDGET["macs"]
            and r["engine_fits"] and r["engine_act_bytes"] <= BUDGET["act_bytes"]
            and r["flash_bytes"] <= BUDGET["flash_bytes"]]
    print(f"{len(rows)} configs -> {out}/sweep.csv; log-log slope params vs MSE {slope:.2f} (seed: about -0.67)")
    if fits:
        best = max(fits, key=lambda r: (r["int8_strict_pip_rate"], -r["engine_macs"]))
        print(f"within every budget, best int8 strict pip count then fewest MACs: {best['name']} "
              f"(strict {100 * best['int8_strict_pip_rate']:.1f} %, int8 MSE {best['int8_mse']:.4f}, "
              f"{best['engine_macs']:,} MACs, {best['engine_act_bytes']} B)")
    return 0


if __name__ == "__main__":
    sys.exit(run(main))
