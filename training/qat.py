"""Quantisation-aware training: the decoder's forward pass computed EXACTLY as docs/integer-contract.md says.

`QATDecoder(decoder)` fake-quantises with the exporter's own rules (gendie/quantize.py: same exponents, same rounding,
same clamps); rounding and clamping pass gradients straight through. In float64 its grey output equals
gendie/golden.py bit for bit on every input (tests/test_contract.py); in float32 too while every accumulator stays
below 2^24 (the exporter's proof shows the bound). `qat_finetune` fine-tunes a float CVAE with it.
"""
from __future__ import annotations

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F
from tqdm import tqdm

from gendie import intmodel as Q
from gendie.quantize import quantize
from gendie.device import NUM_CLASSES
from training.model import CVAE, Decoder, activation_sparsity, angle_code, reconstruction_loss, state_arrays


def _round_ste(v: torch.Tensor) -> torch.Tensor:
    """floor(v + 1/2) forward (the contract's requant rounding), identity gradient."""
    return v + (torch.floor(v + 0.5) - v).detach()


def _round_away_const(v: torch.Tensor) -> torch.Tensor:
    """Constants round half away from zero, in float64 like the exporter (exact for float32 inputs)."""
    d = v.detach().double()
    return (torch.sign(d) * torch.floor(d.abs() + 0.5)).to(v.dtype)


def _exp2(e: np.ndarray | int, like: torch.Tensor) -> torch.Tensor:
    return torch.as_tensor(np.ldexp(1.0, np.asarray(e)), dtype=like.dtype, device=like.device)


def fake_weight(w: torch.Tensor, e_w: np.ndarray, out_dim: int) -> torch.Tensor:
    """int8 grid of exponent e_w per output channel (dimension `out_dim` of w), straight-through."""
    shape = [1] * w.dim()
    shape[out_dim] = -1
    s = _exp2(e_w, w).reshape(shape)
    q = torch.clamp(_round_away_const(w * s), -Q.W_MAX, Q.W_MAX) / s
    return w + (q - w).detach()


def fake_const(v: torch.Tensor, e: np.ndarray) -> torch.Tensor:
    """A bias at accumulator scale 2^-e (no clamp: the exporter stores it as a wide int)."""
    s = _exp2(e, v)
    return v + (_round_away_const(v * s) / s - v).detach()


def fake_act(acc: torch.Tensor, e_out: int, ch_dim: int = 1) -> torch.Tensor:
    """Requantisation: clamp(floor(acc * 2^e_out + 1/2), 0, 255) / 2^e_out; gradient passes inside 0..255."""
    s = float(2.0 ** e_out)
    return _round_ste(torch.clamp(acc * s, 0.0, float(Q.A_MAX))) / s


class QATDecoder(nn.Module):
    """Wraps a float Decoder; `calibrate()` (re)computes the exponents exactly as the exporter does."""

    def __init__(self, decoder: Decoder, granularity: str = "channel", qm: Q.QModel | None = None) -> None:
        """`qm`: exponents already calibrated for exactly these weights (skips the calibration pass)."""
        super().__init__()
        self.decoder = decoder
        self.granularity = granularity
        self.qm = qm
        if qm is None:
            self.calibrate()

    @torch.no_grad()
    def calibrate(self) -> Q.QModel:
        self.qm = quantize(self.decoder.cfg, state_arrays(self.decoder), self.granularity)
        return self.qm

    def _wexp(self, w: torch.Tensor, out_dim: int) -> np.ndarray:
        # exponents follow the CURRENT weights like the exporter's; activation exponents come from calibrate()
        m = w.detach().double().abs().transpose(0, out_dim).reshape(w.shape[out_dim], -1).amax(1).cpu().numpy()
        per = np.array([Q.weight_exp(float(v)) for v in m], dtype=np.int64)
        return np.full_like(per, per.min()) if self.granularity == "layer" else per

    def cond_from_codes(self, codes: torch.Tensor, like: torch.Tensor) -> torch.Tensor:
        t = torch.as_tensor(self.qm.cond_table.T.astype(np.float64), dtype=like.dtype, device=like.device)
        return t[codes.long()] / float(2 ** self.qm.cond_exp)

    def fake_cond(self, cond: torch.Tensor) -> torch.Tensor:
        """A continuous condition (training angles, encoder latents) snapped to the table's int8 grid."""
        s = float(2 ** self.qm.cond_exp)
        return _round_ste(torch.clamp(cond * s, -Q.W_MAX, Q.W_MAX)) / s

    def forward(self, pips: torch.Tensor, codes: torch.Tensor | None = None, cond: torch.Tensor | None = None,
                acts: list | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """-> (grey/256 in the contract's exact values (N,1,32,32), pre-clamp output z for the loss).

        `acts`: a list that receives every hidden layer's int8 activations (as values), as Decoder.forward's."""
        dec, qm = self.decoder, self.qm
        w = dec.fc.weight
        c = self.cond_from_codes(codes, w) if codes is not None else self.fake_cond(cond.to(w.dtype))
        cd = dec.cfg.cond_dim
        e_c = qm.cond_exp
        e_w = self._wexp(w[:, :cd], 0)
        base = fake_const(dec.fc.bias[None, :] + w[:, cd:].T, e_c + e_w)          # (6, co) table
        acc = base[pips.long() - 1] + c @ fake_weight(w[:, :cd], e_w, 0).T
        h = fake_act(acc, qm.layers[0].e_out).view(-1, dec.cfg.dim4, 4, 4)
        for i, m in enumerate(dec.convs):
            if acts is not None:
                acts.append(h)
            L = qm.layers[i + 1]
            out_dim = 1 if isinstance(m, nn.ConvTranspose2d) else 0
            e_w = self._wexp(m.weight, out_dim)
            wq = fake_weight(m.weight, e_w, out_dim)
            b = fake_const(m.bias, L.e_in + e_w)
            if out_dim:
                acc = F.conv_transpose2d(h, wq, b, m.stride, m.padding, m.output_padding)
            else:
                acc = F.conv2d(h, wq, b, m.stride, m.padding)
            if i < len(dec.convs) - 1:
                h = fake_act(acc, L.e_out)
        # acc is already the float model's z (grey in full-scale units); round it to the output grid, clamp-free
        return fake_act(acc, Q.OUT_EXP), acc + (torch.floor(acc * 256 + 0.5) / 256 - acc).detach()

    @torch.no_grad()
    def grey(self, pips, codes) -> np.ndarray:
        """uint8 faces (N, 32, 32) of the QAT forward, to compare with golden."""
        g, _ = self.forward(torch.as_tensor(np.asarray(pips)), torch.as_tensor(np.asarray(codes)))
        return (g[:, 0] * 256).round().to(torch.int64).clamp(0, 255).cpu().numpy().astype(np.uint8)


def qat_finetune(model: CVAE, steps: int = 2000, lr: float = 5e-4, batch: int = 128, count: int = 8192,
                 seed: int = 0, recalibrate_every: int = 200, beta: float = 0.003, progress: bool = True,
                 act_l1: float = 0.0) -> tuple[CVAE, list[float]]:
    """Fine-tune `model` (in place) through the contract's fake quantisation; returns it, ready for export, and the
    loss of every step (the same shape of result as train_cvae.train). `act_l1` weighs activation_sparsity of the
    int8 activations (zeros the device skips)."""
    from dataset.make_dice import generate as make_dice
    torch.manual_seed(seed)
    data = make_dice(count, seed=20_000 + seed)
    x = torch.from_numpy(data["images"]).float().div(255).unsqueeze(1)
    pips = torch.from_numpy(data["labels"])
    angles = torch.from_numpy(data["angles"])
    qat = QATDecoder(model.decoder)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    model.train()
    losses: list[float] = []
    for step in tqdm(range(steps), desc="qat", disable=not progress):
        idx = torch.randint(0, count, (batch,))
        if step and step % recalibrate_every == 0:
            qat.calibrate()
        if model.encoder is None:
            cond, mu, logvar = angle_code(angles[idx], model.cfg.harmonics), None, None
        else:
            onehot = F.one_hot(pips[idx] - 1, NUM_CLASSES).float()
            mu, logvar = model.encoder(x[idx], onehot)
            cond = model.latent_cond(mu, logvar)
        acts: list[torch.Tensor] | None = [] if act_l1 else None
        _, z = qat(pips[idx], cond=cond, acts=acts)
        loss = reconstruction_loss(z, x[idx], model.cfg.loss)
        if act_l1:
            loss = loss + act_l1 * activation_sparsity(model.cfg, acts)
        if mu is not None:
            loss = loss + beta * model.kl(mu, logvar).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(float(loss.detach()))
    model.eval()
    return model, losses
