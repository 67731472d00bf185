"""The diversity measure (training/diversity.py) and the ring prior of vae mode, on renders and tiny configs."""
from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from dataset.render import render_die
from fixtures import make_checkpoint
from gendie.arch import DecoderConfig, cond_values
from gendie.quantize import cond_table
from training import diversity
from training.model import CVAE, quarter_turn_contrast, ring_uniformity, rotation_continuity
from training.train_cvae import train

RING = DecoderConfig(2, 2, 2, 2, hires=1, mode="vae", prior="ring")


@pytest.mark.parametrize("pips", [1, 2])
def test_estimated_angle_of_a_render_is_its_angle_modulo_the_period(pips):
    period = diversity.PERIOD[pips]
    angles = np.array([0.0, 10.0, 33.3, period - 1.0, period + 20.0, 200.0])
    faces = np.stack([render_die(pips, float(a)) for a in angles])
    est = diversity.estimate_angles(faces, pips)
    err = (est - angles + period / 2) % period - period / 2  # signed difference on the period's circle
    assert np.abs(err).max() <= period / diversity.STEPS


def test_bin_stats_of_even_and_of_piled_up_angles():
    even = diversity.bin_stats(np.arange(320) * 90 / 320, 90)
    assert even["coverage"] == 1.0 and even["max_ratio"] == 1.0 and sum(even["counts"]) == 320
    piled = diversity.bin_stats(np.full(320, 44.0), 90)
    assert piled["coverage"] == 1 / 32 and piled["max_ratio"] == 32.0


def test_ground_truth_rolls_are_diverse_and_one_pose_is_not():
    rng = np.random.default_rng(0)
    pips = np.repeat([3, 5], 200)
    faces = np.stack([render_die(int(p), float(a)) for p, a in zip(pips, rng.uniform(0, 360, len(pips)))])
    div = diversity.diversity(faces, pips)
    assert set(div) == {"3", "5"} and all(s["ok"] for s in div.values()), div
    one_pose = diversity.diversity(np.repeat(render_die(5, 12.0)[None], 50, 0), np.full(50, 5))
    assert not one_pose["5"]["ok"] and one_pose["5"]["coverage"] == 1 / 32


def test_scan_passes_counts_ghosts():
    pips, codes = diversity.scan_inputs(4)
    assert len(pips) == 24 and list(codes[:4]) == [0, 64, 128, 192]
    faces = np.stack([render_die(int(p), float(c) * 360 / 256) for p, c in zip(pips, codes)])
    assert diversity.scan_passes(faces, pips) == {str(p): 1.0 for p in range(1, 7)}
    faces[pips == 2] = render_die(4, 0.0)  # a two drawn with four pips: a ghost in every step
    assert diversity.scan_passes(faces, pips)["2"] == 0.0


def test_cli_reports_every_pip_count_and_fails_an_untrained_decoder(tmp_path, capsys):
    ckpt = make_checkpoint(tmp_path / "d.pt", RING)
    assert diversity.main(["--checkpoint", str(ckpt), "--per-pips", "8", "--int8", "--plot",
                           str(tmp_path / "d.png")]) == 1
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 6 and all("FAIL" in l or "ok" in l for l in lines)
    assert (tmp_path / "d.png").stat().st_size > 0


def test_ring_codes_cover_the_circle_evenly_and_quantise_at_q7():
    v = cond_values(RING, np.arange(256))
    assert v.shape == (256, 4)
    phi = np.arctan2(v[:, 1], v[:, 0]) % (2 * math.pi)
    np.testing.assert_allclose(np.diff(phi), 2 * math.pi / 256, atol=1e-12)
    np.testing.assert_allclose(v[:, 2:], np.stack([np.cos(2 * phi), np.sin(2 * phi)], 1), atol=1e-12)
    e, table = cond_table(RING)
    assert e == 7 and table.shape == (4, 256) and np.abs(table).max() == 127


def test_ring_config_defaults_and_overrides():
    assert RING.harmonics == (1, 2) and RING.cond_dim == 4 and RING.name.endswith("ring12_bce")
    assert DecoderConfig().with_overrides(mode="vae", prior="ring").harmonics == (1, 2)
    assert DecoderConfig().with_overrides(mode="vae", prior="ring", harmonics=(1,)).cond_dim == 2
    assert RING.with_overrides(mode="angle", prior="normal").harmonics == (2, 4)
    assert DecoderConfig.from_dict(RING.to_dict()) == RING
    assert "prior" not in DecoderConfig().to_dict()  # files written before the ring prior keep their bytes
    with pytest.raises(ValueError):
        DecoderConfig(prior="ring")  # the ring is a vae-mode prior


def test_ring_kl_and_uniformity():
    model = CVAE(RING)
    kl = model.kl(torch.zeros(3, 2), torch.tensor([[-40.0], [0.0], [20.0]]))
    assert torch.isfinite(kl).all() and kl[0] > kl[1] > kl[2] >= 0 and kl[2] < 1e-6
    pips = torch.tensor([1, 2] * 64)
    even = torch.arange(128) * (2 * math.pi / 64)
    assert ring_uniformity(even, pips) < 1e-10
    assert ring_uniformity(torch.zeros(128), pips) == pytest.approx(4.0)


def test_quarter_turn_contrast_weighs_only_faces_a_quarter_turn_changes():
    model = CVAE(RING)
    x = torch.from_numpy(np.stack([render_die(p, 20.0) for p in (1, 2, 5, 6)])).float().div(255)[:, None]
    pips = torch.tensor([1, 2, 5, 6])
    mu = torch.tensor([[1.0, 0.0]] * 4, requires_grad=True)
    loss = quarter_turn_contrast(model, x, pips, mu)
    loss.backward()
    assert loss > 0 and (mu.grad[[0, 2]] == 0).all() and (mu.grad[[1, 3]] != 0).any()


def test_rotation_continuity_penalises_jumps_and_backward_moves_only():
    torch.manual_seed(0)
    model = CVAE(RING)
    x = torch.from_numpy(np.stack([render_die(3, 20.0)] * 64)).float().div(255)[:, None]
    pips = torch.full((64,), 3)
    with torch.no_grad():
        mu, _ = model.encoder(x, torch.nn.functional.one_hot(pips - 1, 6).float())
        # an untrained encoder barely moves for a 4-degree turn: neither a jump nor a consistent direction
        assert rotation_continuity(model, x, pips, mu) < 0.05
        far = torch.stack([-mu[:, 0], -mu[:, 1]], 1)  # a latent half a turn away: every face jumped
        assert rotation_continuity(model, x, pips, far) > 0.8


def test_tiny_ring_training_runs_with_every_vae_term():
    model, hist = train(RING, epochs=2, count=128, batch=64, progress=False, verbose=False, uniform=1.0,
                        quarter=1.0, continuity=1.0, kl_warmup=0.5, free_bits=0.5)
    assert all(math.isfinite(h) for h in hist) and hist[-1] < hist[0]
    assert model.encoder.fc_mu.out_features == 2 and model.encoder.fc_var.out_features == 1


def test_train_cli_evaluate_only_measures_diversity_float_and_int8(tmp_path, capsys):
    import json

    from training.train_cvae import main
    ckpt = make_checkpoint(tmp_path / "d.pt", RING)
    assert main(["--init", str(ckpt), "--evaluate-only", "--eval-count", "12", "--diversity", "4",
                 "--out", str(tmp_path / "run")]) == 0
    m = json.loads((tmp_path / "run" / "metrics.json").read_text())
    assert m["fixture"] and m["n"] == 12  # the checkpoint's stored metrics are kept, the measures added
    for d in (m, m["int8"]):
        assert set(d["diversity"]) == set(d["scan_strict"]) == {str(p) for p in range(1, 7)}
        assert all(s["n"] == 4 for s in d["diversity"].values())
    assert {"samples.png", "scan.png", "diversity.png"} <= {p.name for p in (tmp_path / "run").iterdir()}
    assert "int8 diversity" in capsys.readouterr().out
