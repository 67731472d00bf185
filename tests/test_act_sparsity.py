"""The activation-sparsity term (train_cvae.py --act-l1): zeros the device's kernels skip make faces faster."""
from __future__ import annotations

import json
import math

import torch
from torch.nn import functional as F

from fixtures import make_checkpoint
from gendie.arch import DecoderConfig
from training import checkpoint
from training.model import CVAE, activation_sparsity
from training.train_cvae import main, train

RING = DecoderConfig(2, 2, 2, 2, hires=0, mode="vae", prior="ring")


def _acts(model: CVAE, n: int = 64) -> list[torch.Tensor]:
    torch.manual_seed(5)
    acts: list[torch.Tensor] = []
    with torch.no_grad():
        model.decoder(torch.randn(n, RING.cond_dim), F.one_hot(torch.randint(0, 6, (n,)), 6).float(), acts)
    return acts


def test_the_term_counts_non_zeros_not_scale_and_weighs_layers_by_their_macs():
    h = torch.zeros(4, 2, 4, 4)
    h.view(-1)[::4] = 3.0  # a quarter non-zero
    one = activation_sparsity(RING, [h])
    assert math.isclose(float(one), 0.5, rel_tol=1e-6)  # sqrt(1/4), the only layer: weight 1
    assert math.isclose(float(activation_sparsity(RING, [100 * h])), 0.5, rel_tol=1e-6)
    dense = torch.ones(4, 2, 8, 8)
    both = float(activation_sparsity(RING, [h, dense]))
    # L1 reads 4x4x2 into 2 channels (576 MACs), L2 8x8x2 (2,304): weights 1/5 and 4/5
    assert math.isclose(both, 0.5 / 5 + 4 / 5, rel_tol=1e-6)


def test_decoder_hands_out_one_activation_per_hidden_layer():
    acts = _acts(CVAE(RING))
    assert [tuple(a.shape[1:]) for a in acts] == [(2, 4, 4), (2, 8, 8), (2, 16, 16), (2, 16, 16)]
    assert all(bool((a >= 0).all()) for a in acts)


def test_training_with_the_term_leaves_sparser_activations():
    dens = []
    for lam in (0.0, 2.0):
        torch.manual_seed(0)
        model, _ = train(RING, epochs=3, count=256, batch=64, progress=False, verbose=False, act_l1=lam,
                         model=CVAE(RING))
        dens.append(float(activation_sparsity(RING, _acts(model))))
    assert dens[1] < dens[0]


def test_cli_records_the_weight_and_qat_takes_it(tmp_path):
    src = make_checkpoint(tmp_path / "src.pt", RING)
    out = tmp_path / "run"
    assert main(["--init", str(src), "--qat", "--freeze-encoder", "--act-l1", "0.5", "--epochs", "1", "--count",
                 "64", "--batch", "32", "--eval-count", "12", "--diversity", "0", "--out", str(out)]) == 0
    assert json.loads((out / "metrics.json").read_text())["act_l1"] == 0.5
    before, after = checkpoint.load(src)[0], checkpoint.load(out / "decoder.pt")[0]
    assert not torch.equal(before.decoder.fc.weight, after.decoder.fc.weight)
