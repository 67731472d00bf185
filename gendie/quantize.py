"""Float decoder weights -> the integer model of docs/integer-contract.md: int8 weights, power-of-two shifts, tables.

`quantize(cfg, state)` takes the decoder's weights as numpy arrays (a PyTorch state_dict converted by the caller, so
this module needs no torch). Activation exponents are calibrated EXACTLY: the device has only 6 x 256 possible inputs
(pips x code), so every one of them is run through the integer model layer by layer (gendie/golden.py).
"""
from __future__ import annotations

import numpy as np

from gendie import golden
from gendie.arch import DecoderConfig, Kind, cond_values, layers
from gendie.device import CODES, all_inputs
from gendie.intmodel import (GRANULARITIES, OUT_EXP, W_MAX, QLayer, QModel, act_exp, prove_accumulators,
                             round_half_away, weight_exp)


def cond_table(cfg: DecoderConfig) -> tuple[int, np.ndarray]:
    """(exponent, int8 table (cond_dim, 256)) of the conditioning input for every code.

    The float model is fed float32 conditions, so the table quantises exactly those values.
    """
    f = cond_values(cfg, np.arange(CODES)).astype(np.float32).astype(np.float64).T  # (cond_dim, 256)
    e = 7 if cfg.trig_cond else weight_exp(float(np.abs(f).max()))  # Q7 for cos/sin: 1.0 -> 128 -> 127
    return e, np.clip(round_half_away(f * 2.0 ** e), -W_MAX, W_MAX).astype(np.int8)


def _wexp(w: np.ndarray, granularity: str) -> np.ndarray:
    per = np.array([weight_exp(float(np.abs(r).max())) for r in w.reshape(len(w), -1)], dtype=np.int64)
    return np.full_like(per, per.min()) if granularity == "layer" else per


def _qweights(w: np.ndarray, e_w: np.ndarray) -> np.ndarray:
    scale = np.ldexp(1.0, e_w).reshape((-1,) + (1,) * (w.ndim - 1))
    return np.clip(round_half_away(w.astype(np.float64) * scale), -W_MAX, W_MAX).astype(np.int8)


def _fit_e_out(e_out: int, e_acc: np.ndarray) -> int:
    """Output resolution cannot be finer than the coarsest accumulator's, so no shift is negative in hidden layers."""
    return int(min(e_out, int(e_acc.min())))


def quantize(cfg: DecoderConfig, state: dict[str, np.ndarray], granularity: str = "channel") -> QModel:
    """Integer model of the decoder whose weights are `state` (keys fc.weight, fc.bias, convs.<i>.weight/bias)."""
    if granularity not in GRANULARITIES:
        raise ValueError(f"granularity must be one of {GRANULARITIES}")
    sd = {k: np.asarray(v, dtype=np.float64) for k, v in state.items()}
    bad = [k for k, v in sd.items() if not np.isfinite(v).all()]
    if bad:
        raise ValueError(f"the decoder has non-finite weights ({bad[0]})")
    e_c, table = cond_table(cfg)
    qm = QModel(cfg.to_dict(), granularity, e_c, table)

    # FC: cond weights int8; bias + one-hot column folded into one (6, co) table at accumulator scale.
    w, b = sd["fc.weight"], sd["fc.bias"]
    wc, w1h = w[:, :cfg.cond_dim], w[:, cfg.cond_dim:]
    e_w = _wexp(wc, granularity)
    acc_scale = np.ldexp(1.0, e_c + e_w)
    base = round_half_away((b[None, :] + w1h.T) * acc_scale[None, :])  # (6, co)
    layer = QLayer(Kind.FC.value, _qweights(wc, e_w), base, np.zeros_like(e_w), e_w, e_c, 0, True)
    pips, codes = all_inputs()
    acc = golden.fc_acc(qm, layer, pips, codes)
    layer.e_out = _fit_e_out(act_exp(float((np.maximum(acc, 0) / acc_scale[None, :]).max())), e_c + e_w)
    layer.shift = e_c + e_w - layer.e_out
    layer.reach_lo, layer.reach_hi = int(acc.min()), int(acc.max())
    qm.layers.append(layer)
    x = golden.finish(layer, acc).reshape(len(pips), cfg.dim4, 4, 4)

    for i, spec in enumerate(layers(cfg)[1:]):
        wt, bt = sd[f"convs.{i}.weight"], sd[f"convs.{i}.bias"]
        if spec.transposed:
            wt = wt.transpose(1, 0, 2, 3)                     # (in, out, kh, kw) -> (out, in, kh, kw)
            if spec.kind is Kind.CONV:
                wt = wt[:, :, ::-1, ::-1]                     # ConvT s1 p1 == conv p1 with the kernel flipped
        e_in = qm.layers[-1].e_out
        e_w = _wexp(wt, granularity)
        acc_scale = np.ldexp(1.0, e_in + e_w)
        layer = QLayer(spec.kind.value, _qweights(np.ascontiguousarray(wt), e_w), round_half_away(bt * acc_scale),
                       np.zeros_like(e_w), e_w, e_in, OUT_EXP, spec.relu)
        acc = golden.conv_acc(layer, x)
        if spec.relu:
            mx = float((np.maximum(acc, 0) / acc_scale[None, :, None, None]).max())
            layer.e_out = _fit_e_out(act_exp(mx), e_in + e_w)
        layer.shift = e_in + e_w - layer.e_out
        qm.layers.append(layer)
        layer.reach_lo, layer.reach_hi = int(acc.min()), int(acc.max())
        x = golden.finish(layer, acc)
    prove_accumulators(qm)
    return qm
