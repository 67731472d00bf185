"""The footprint study's machinery: grid, slope fit, one tiny config end to end, the plots."""
from __future__ import annotations

import numpy as np

from bench import sweep
from gendie.arch import DecoderConfig


def test_quick_grid_covers_every_hires_count():
    g = sweep.grid(sweep.QUICK_DIMS, [0, 1, 2, 3], "bce")
    assert len(g) == 4 * len(sweep.QUICK_DIMS)
    assert {c.hires for c in g} == {0, 1, 2, 3}


def test_fit_slope_recovers_a_power_law():
    params = np.array([500, 1000, 4000, 16000])
    slope, _ = sweep.fit_slope(params, 3.0 * params ** (-2 / 3))
    assert abs(slope + 2 / 3) < 1e-9


def test_one_tiny_config_end_to_end_and_plots(tmp_path):
    cfg = DecoderConfig(dim1=2, dim2=2, dim3=2, dim4=2, hires=0)
    row = sweep._train_one(cfg.to_dict(), epochs=1, count=128, batch=64, eval_count=60, seed=0)
    assert list(row) == sweep.COLUMNS and row["params"] > 0 and 0 <= row["strict_pip_rate"] <= 1
    rows = [row, {**row, "params": row["params"] * 4, "mse": row["mse"] / 2, "hires": 1}]
    slope = sweep.plot(rows, tmp_path)
    assert slope < 0
    assert {"params_vs_mse.png", "params_vs_accuracy.png", "budget.png"} <= {p.name for p in tmp_path.iterdir()}
