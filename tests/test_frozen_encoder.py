"""Training the decoder alone on a frozen encoder's posterior (train_cvae.py --encoder-from, --freeze-encoder)."""
from __future__ import annotations

import json
import math

import numpy as np
import torch

from conftest import assert_one_line_error, run_script
from fixtures import make_checkpoint
from gendie.arch import DecoderConfig
from training import checkpoint
from training.model import CVAE
from training.train_cvae import main, train

RING = DecoderConfig(2, 2, 2, 2, hires=1, mode="vae", prior="ring")
SMALLER = DecoderConfig(2, 2, 2, 2, hires=0, mode="vae", prior="ring")


def test_frozen_encoder_keeps_its_weights_while_the_decoder_learns():
    torch.manual_seed(0)
    model = CVAE(RING, encoder_width=3)
    enc0 = {k: v.clone() for k, v in model.encoder.state_dict().items()}
    dec0 = {k: v.clone() for k, v in model.decoder.state_dict().items()}
    model, hist = train(RING, epochs=2, count=128, batch=64, progress=False, verbose=False, model=model,
                        freeze_encoder=True, uniform=1.0, quarter=1.0, continuity=1.0)
    assert all(torch.equal(v, enc0[k]) for k, v in model.encoder.state_dict().items())
    assert not all(torch.equal(v, dec0[k]) for k, v in model.decoder.state_dict().items())
    assert hist[-1] < hist[0]


def test_cli_trains_a_smaller_decoder_on_another_checkpoint_s_encoder(tmp_path):
    src = CVAE(RING, encoder_width=3)
    checkpoint.save(tmp_path / "src.pt", src)
    out = tmp_path / "run"
    assert main(["--dim1", "2", "--dim2", "2", "--dim3", "2", "--dim4", "2", "--hires", "0", "--prior", "ring",
                 "--encoder-from", str(tmp_path / "src.pt"), "--freeze-encoder", "--epochs", "1", "--count", "64",
                 "--batch", "32", "--eval-count", "12", "--diversity", "0", "--out", str(out)]) == 0
    model, ckpt = checkpoint.load(out / "decoder.pt")
    assert model.cfg == SMALLER and model.encoder.width == 3
    assert all(torch.equal(v, src.encoder.state_dict()[k]) for k, v in model.encoder.state_dict().items())
    m = json.loads((out / "metrics.json").read_text())
    assert m["freeze_encoder"] and m["encoder_from"] == str(tmp_path / "src.pt")


def test_qat_with_a_frozen_encoder_moves_only_the_decoder(tmp_path):
    src = make_checkpoint(tmp_path / "src.pt", RING)
    out = tmp_path / "run"
    assert main(["--init", str(src), "--qat", "--freeze-encoder", "--epochs", "1", "--count", "64", "--batch", "32",
                 "--eval-count", "12", "--diversity", "0", "--out", str(out)]) == 0
    before, after = checkpoint.load(src)[0], checkpoint.load(out / "decoder.pt")[0]
    assert all(torch.equal(v, before.encoder.state_dict()[k]) for k, v in after.encoder.state_dict().items())
    assert not torch.equal(before.decoder.fc.weight, after.decoder.fc.weight)


def test_bad_encoder_options_are_one_line_errors(tmp_path):
    angle = make_checkpoint(tmp_path / "angle.pt", DecoderConfig(2, 2, 2, 2, hires=0))
    ring = make_checkpoint(tmp_path / "ring.pt", RING)  # encoder at its decoder's widths
    o = ["--epochs", "1", "--out", str(tmp_path / "r")]
    for args in (["--freeze-encoder"],
                 ["--prior", "ring", "--encoder-from", str(angle)],
                 ["--prior", "ring", "--encoder-from", str(tmp_path / "none.pt")],
                 ["--prior", "ring", "--dim1", "4", "--encoder-from", str(ring)],
                 ["--prior", "ring", "--encoder-from", str(ring), "--init", str(ring)],
                 ["--prior", "ring", "--align-phases"]):
        assert_one_line_error(run_script("training/train_cvae.py", *args, *o))


def test_aligned_phases_put_every_upright_face_at_zero_and_keep_the_spread():
    """The turn is a rotation of the circle: each upright render lands at phi = 0, angles between latents stay."""
    from dataset.render import render_die
    from training.model import align_ring_phases
    torch.manual_seed(1)
    model = CVAE(RING, encoder_width=3)
    x = torch.from_numpy(np.stack([render_die(p, a) for p in range(1, 7) for a in (0.0, 30.0)])).float()[:, None]
    onehot = torch.nn.functional.one_hot(torch.arange(6).repeat_interleave(2), 6).float()
    with torch.no_grad():
        phi0 = model.posterior_angle(model.encoder(x / 255, onehot)[0])
        turns = align_ring_phases(model)
        phi1 = model.posterior_angle(model.encoder(x / 255, onehot)[0])
    assert turns.shape == (6,) and torch.allclose(torch.sin(phi1[0::2]), torch.zeros(6), atol=1e-5)
    assert torch.allclose(torch.cos(phi1[0::2]), torch.ones(6), atol=1e-5)
    wrap = lambda d: torch.atan2(torch.sin(d), torch.cos(d))  # noqa: E731
    assert torch.allclose(wrap(phi1[1::2] - phi1[0::2]), wrap(phi0[1::2] - phi0[0::2]), atol=1e-5)


def test_cli_align_phases_is_stored_and_reloaded(tmp_path):
    src = CVAE(RING, encoder_width=3)
    checkpoint.save(tmp_path / "src.pt", src)
    out = tmp_path / "run"
    assert main(["--prior", "ring", "--dim1", "2", "--dim2", "2", "--dim3", "2", "--dim4", "2", "--hires", "1",
                 "--encoder-from", str(tmp_path / "src.pt"), "--freeze-encoder", "--align-phases", "--epochs", "1",
                 "--count", "64", "--batch", "32", "--eval-count", "12", "--diversity", "0", "--out", str(out)]) == 0
    model, ckpt = checkpoint.load(out / "decoder.pt")
    assert model.encoder.turn.abs().sum() > 0
    assert ckpt["metrics"]["phase_turns_deg"] == [round(math.degrees(t), 2) for t in model.encoder.turn.tolist()]
