"""The integer contract: QAT forward == golden bit for bit, requantisation semantics, accumulator proofs hold."""
import numpy as np
import pytest
import torch
from hypothesis import given, settings, strategies as st

from gendie import golden, intmodel as Q
from gendie.device import all_inputs
from fixtures import exported
from training import checkpoint
from gendie.arch import DecoderConfig
from training.qat import QATDecoder

PIPS = np.repeat(np.arange(1, 7), 64)
CODES = np.tile(np.arange(0, 256, 4), 6)


@pytest.fixture(scope="module", params=[DecoderConfig(), DecoderConfig(4, 6, 5, 4, hires=2, mode="vae", latent=2)],
                ids=["default", "tiny-vae"])
def model(request):
    d = exported(request.param)
    m = checkpoint.load(d / "d.pt")[0]
    m.qm = Q.load(d / "model" / "qmodel.json")  # calibrated once by the export; no test changes the weights
    return m


@pytest.mark.parametrize("granularity", Q.GRANULARITIES)
def test_qat_forward_equals_golden_bit_for_bit(model, granularity):
    qat = QATDecoder(model.decoder.double(), granularity, model.qm if granularity == "channel" else None)
    g = golden.generate(qat.qm, PIPS, CODES)
    assert len(np.unique(g)) > 20  # the fixture really exercises the grey range
    np.testing.assert_array_equal(qat.grey(PIPS, CODES), g)
    model.decoder.float()


def test_qat_float32_also_exact_when_accumulators_below_2_24(model):
    qat = QATDecoder(model.decoder.float(), qm=model.qm)
    assert all(max(-L.acc_lo, L.acc_hi) < 2 ** 24 for L in qat.qm.layers)
    np.testing.assert_array_equal(qat.grey(PIPS, CODES), golden.generate(qat.qm, PIPS, CODES))


def test_qat_has_gradients(model):
    qat = QATDecoder(model.decoder.float(), qm=model.qm)
    _, z = qat(torch.tensor([1, 6]), cond=torch.randn(2, model.cfg.cond_dim))
    z.square().mean().backward()
    assert all(p.grad is not None and p.grad.abs().sum() > 0 for p in model.decoder.parameters())
    model.zero_grad()


@settings(max_examples=200, deadline=None)
@given(st.integers(-2 ** 30, 2 ** 30), st.integers(-9, 20))
def test_requant_is_round_half_up_then_clamp(acc, s):
    expected = min(max(int(np.floor(acc / 2.0 ** s + 0.5)), 0), 255)
    assert int(Q.requant(np.array([acc]), s)[0]) == expected


def test_accumulator_bounds_hold_for_any_input_bytes(model):
    qm = model.qm
    rng = np.random.default_rng(0)
    for L in qm.layers[1:]:
        side = 4
        w = L.w.astype(np.int64)
        # adversarial: every input byte 255 where its weight is positive (maximum) or negative (minimum), per co
        for co in range(L.co):
            for sign in (1, -1):
                x = np.where(sign * w[co].sum(axis=(1, 2)) > 0, 255, 0).astype(np.uint8)
                inp = np.broadcast_to(x[None, :, None, None], (1, L.ci, side, side)).copy()
                acc = golden.conv_acc(L, inp)
                assert L.acc_lo <= acc.min() and acc.max() <= L.acc_hi
        inp = rng.integers(0, 256, (8, L.ci, side, side), dtype=np.uint8)
        acc = golden.conv_acc(L, inp)
        assert L.acc_lo <= acc.min() and acc.max() <= L.acc_hi
    fc = qm.layers[0]
    allp, allc = all_inputs()
    acc = golden.fc_acc(qm, fc, allp, allc)
    assert fc.acc_lo <= acc.min() and acc.max() <= fc.acc_hi


def test_qmodel_file_round_trip(model, tmp_path):
    qm = model.qm
    Q.save(qm, tmp_path / "q.json")
    np.testing.assert_array_equal(golden.generate(Q.load(tmp_path / "q.json"), PIPS[:24], CODES[:24]),
                                  golden.generate(qm, PIPS[:24], CODES[:24]))
