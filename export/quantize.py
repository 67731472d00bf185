"""Float decoder -> integer model of docs/integer-contract.md: int8 weights, power-of-two shifts, tables, proofs.

`quantize(decoder)` returns a QModel (plain ints and numpy arrays); `save`/`load` keep it as sorted JSON, a stable
text format that diffs well. Activation exponents are calibrated EXACTLY: the device has only 6 x 256 possible inputs
(pips x code), so every one of them is run through the integer model layer by layer.
"""
from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

from training.config import DecoderConfig
from training.model import Decoder, cond_from_code

W_MAX = 127      # int8 symmetric weights: -127..127 (never -128, so |w| is bounded by 127 and negation is safe)
A_MAX = 255      # uint8 activations after ReLU
OUT_EXP = 8      # output grey = z * 2^8 clamped to 0..255 (z = 1.0 saturates at 255)
E_MIN, E_MAX = -8, 24  # exponent range kept so every scaled constant stays far inside int32
GRANULARITIES = ("channel", "layer")


def round_half_away(v: np.ndarray) -> np.ndarray:
    """The contract's rounding of constants: half away from zero, computed in float64 (exact for our ranges)."""
    v = np.asarray(v, dtype=np.float64)
    return (np.sign(v) * np.floor(np.abs(v) + 0.5)).astype(np.int64)


def requant(acc: np.ndarray, shift: np.ndarray | int, relu_or_grey: bool = True) -> np.ndarray:
    """y = clamp(floor(acc / 2^shift + 1/2), 0, 255): the ONLY requantisation (hidden ReLU layers and output grey)."""
    acc = np.asarray(acc, dtype=np.int64)
    s = np.asarray(shift, dtype=np.int64)
    right = np.where(s > 0, (acc + np.left_shift(1, np.maximum(s - 1, 0))) >> np.maximum(s, 0), acc)
    y = np.where(s < 0, acc << np.maximum(-s, 0), right)
    return np.clip(y, 0, A_MAX).astype(np.uint8)


def weight_exp(max_abs: float) -> int:
    """Largest e with round(max_abs * 2^e) <= 127: the int8 grid that uses the full range without clipping."""
    if max_abs <= 0:
        return 0
    e = int(math.floor(math.log2(W_MAX / max_abs)))
    while e > E_MIN and round_half_away(max_abs * 2.0 ** e) > W_MAX:
        e -= 1
    return max(E_MIN, min(E_MAX, e))


def act_exp(max_val: float) -> int:
    """Largest e with max_val * 2^e <= 255 (exact max over all reachable inputs, so nothing reachable clips)."""
    if max_val <= 0:
        return E_MAX
    return max(E_MIN, min(E_MAX, int(math.floor(math.log2(A_MAX / max_val)))))


@dataclass
class QLayer:
    """One layer. kind: "fc", "convt2" (ConvTranspose 3x3 s2 p1 op1) or "conv" (3x3 s1 p1; ConvT s1 is flipped to
    this form). w: int8 (co, ci, 3, 3) for convs, (co, cond_dim) for fc. bias: int at accumulator scale (fc: the
    (6, co) table of bias + one-hot column). shift: per output channel. e_w: weight exponents (per channel)."""
    kind: str
    w: np.ndarray
    bias: np.ndarray
    shift: np.ndarray
    e_w: np.ndarray
    e_in: int
    e_out: int
    relu: bool
    acc_lo: int = 0          # proven bounds of every partial sum (see prove_accumulators)
    acc_hi: int = 0
    reach_lo: int = 0        # extremes actually reached over all 6 x 256 inputs (informative)
    reach_hi: int = 0
    acc_type: str = "int32"

    @property
    def co(self) -> int:
        return int(self.w.shape[0])

    @property
    def ci(self) -> int:
        return int(self.w.shape[1])


@dataclass
class QModel:
    config: dict
    granularity: str
    cond_exp: int
    cond_table: np.ndarray            # int8 (cond_dim, 256): the conditioning input for each device code
    layers: list[QLayer] = field(default_factory=list)

    @property
    def cfg(self) -> DecoderConfig:
        return DecoderConfig.from_dict(self.config)


def cond_table(cfg: DecoderConfig) -> tuple[int, np.ndarray]:
    """(exponent, int8 table (cond_dim, 256)) of the conditioning input for every code, from the float model's map."""
    f = cond_from_code(cfg, torch.arange(256)).double().numpy().T  # (cond_dim, 256)
    e = 7 if cfg.mode == "angle" else weight_exp(float(np.abs(f).max()))  # Q7 for cos/sin: 1.0 -> 128 -> 127
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


def all_inputs() -> tuple[np.ndarray, np.ndarray]:
    """Every (pips, code) the device can be asked for: 6 x 256."""
    p, c = np.meshgrid(np.arange(1, 7), np.arange(256), indexing="ij")
    return p.ravel().astype(np.int64), c.ravel().astype(np.int64)


def quantize(decoder: Decoder, granularity: str = "channel") -> QModel:
    """Integer model of `decoder` under the contract; calibration runs the integer model on all 6 x 256 inputs."""
    from export import golden  # golden needs QLayer; import here to keep the module graph acyclic

    if granularity not in GRANULARITIES:
        raise ValueError(f"granularity must be one of {GRANULARITIES}")
    cfg = decoder.cfg
    sd = {k: v.detach().double().numpy() for k, v in decoder.state_dict().items()}
    e_c, table = cond_table(cfg)
    qm = QModel(cfg.to_dict(), granularity, e_c, table)

    # FC: cond weights int8; bias + one-hot column folded into one (6, co) table at accumulator scale.
    w, b = sd["fc.weight"], sd["fc.bias"]
    wc, w1h = w[:, :cfg.cond_dim], w[:, cfg.cond_dim:]
    e_w = _wexp(wc, granularity)
    acc_scale = np.ldexp(1.0, e_c + e_w)
    base = round_half_away((b[None, :] + w1h.T) * acc_scale[None, :])  # (6, co)
    layer = QLayer("fc", _qweights(wc, e_w), base, np.zeros_like(e_w), e_w, e_c, 0, True)
    pips, codes = all_inputs()
    acc = golden.fc_acc(qm, layer, pips, codes)
    layer.e_out = _fit_e_out(act_exp(float((np.maximum(acc, 0) / acc_scale[None, :]).max())), e_c + e_w)
    layer.shift = e_c + e_w - layer.e_out
    layer.reach_lo, layer.reach_hi = int(acc.min()), int(acc.max())
    qm.layers.append(layer)
    x = golden.finish(layer, acc).reshape(len(pips), cfg.dim4, 4, 4)

    convs = list(decoder.convs)
    for i, m in enumerate(convs):
        last = i == len(convs) - 1
        wt, bt = sd[f"convs.{i}.weight"], sd[f"convs.{i}.bias"]
        if isinstance(m, torch.nn.ConvTranspose2d):
            wt = wt.transpose(1, 0, 2, 3)                     # (in, out, kh, kw) -> (out, in, kh, kw)
            kind = "convt2" if m.stride[0] == 2 else "conv"
            if kind == "conv":
                wt = wt[:, :, ::-1, ::-1]                     # ConvT s1 p1 == conv p1 with the kernel flipped
        else:
            kind = "conv"
        e_in = qm.layers[-1].e_out
        e_w = _wexp(wt, granularity)
        acc_scale = np.ldexp(1.0, e_in + e_w)
        layer = QLayer(kind, _qweights(np.ascontiguousarray(wt), e_w), round_half_away(bt * acc_scale),
                       np.zeros_like(e_w), e_w, e_in, OUT_EXP, not last)
        acc = golden.conv_acc(layer, x)
        if not last:
            mx = float((np.maximum(acc, 0) / acc_scale[None, :, None, None]).max())
            layer.e_out = _fit_e_out(act_exp(mx), e_in + e_w)
        layer.shift = e_in + e_w - layer.e_out
        qm.layers.append(layer)
        layer.reach_lo, layer.reach_hi = int(acc.min()), int(acc.max())
        x = golden.finish(layer, acc)
    prove_accumulators(qm)
    return qm


def prove_accumulators(qm: QModel) -> None:
    """Bound every partial sum of every layer from the weights alone and pick the narrowest safe type.

    A partial sum is (bias or 0) + a subset of the products w * x. Conv inputs are uint8 (0..255), so each product
    lies in [255*min(w,0), 255*max(w,0)] and any subset sum in [255*sum(w<0), 255*sum(w>0)]; the FC's inputs are the
    int8 table (|x| <= its max), so each product lies in [-m|w|, m|w|]. This holds for ANY input bytes, reachable or
    not, in any summation order: no overflow is possible. (A ConvT output uses at most 4 of the 9 taps; the bound
    over all 9 is still valid, just not tight.)
    """
    for L in qm.layers:
        if L.kind == "fc":
            m = int(np.abs(qm.cond_table.astype(np.int64)).max())
            mag = m * np.abs(L.w.astype(np.int64)).sum(1)
            lo = np.minimum(L.bias.min(0), 0) - mag
            hi = np.maximum(L.bias.max(0), 0) + mag
        else:
            w = L.w.astype(np.int64).reshape(L.co, -1)
            lo = np.minimum(L.bias, 0) + A_MAX * np.minimum(w, 0).sum(1)
            hi = np.maximum(L.bias, 0) + A_MAX * np.maximum(w, 0).sum(1)
        L.acc_lo, L.acc_hi = int(lo.min()), int(hi.max())
        L.acc_type = acc_type(L.acc_lo, L.acc_hi)


def acc_type(lo: int, hi: int) -> str:
    for name, bits in (("int16", 16), ("int24", 24), ("int32", 32)):
        if -(1 << (bits - 1)) <= lo and hi <= (1 << (bits - 1)) - 1:
            return name
    raise ValueError(f"accumulator bound [{lo}, {hi}] does not fit int32")


def proof_lines(qm: QModel) -> list[str]:
    out = []
    for i, L in enumerate(qm.layers):
        out.append(f"layer {i} {L.kind:6s} {L.ci:2d}->{L.co:2d}: every partial sum in [{L.acc_lo}, {L.acc_hi}] "
                   f"(reached over all 6x256 inputs: [{L.reach_lo}, {L.reach_hi}]) -> {L.acc_type}")
    return out


# ---- stable file format -------------------------------------------------------------------------------------------
_ARRAYS = ("w", "bias", "shift", "e_w")


def to_dict(qm: QModel) -> dict:
    layers = []
    for L in qm.layers:
        d = {k: getattr(L, k) for k in ("kind", "e_in", "e_out", "relu", "acc_lo", "acc_hi", "reach_lo", "reach_hi",
                                         "acc_type")}
        d.update({k: {"shape": list(getattr(L, k).shape), "data": getattr(L, k).ravel().tolist()} for k in _ARRAYS})
        layers.append(d)
    return {"format": "gendie-qmodel-1", "config": qm.config, "granularity": qm.granularity,
            "cond_exp": qm.cond_exp, "cond_table": qm.cond_table.tolist(), "layers": layers}


def from_dict(d: dict) -> QModel:
    if d.get("format") != "gendie-qmodel-1":
        raise ValueError("not a gendie-qmodel-1 file")
    qm = QModel(d["config"], d["granularity"], int(d["cond_exp"]), np.array(d["cond_table"], dtype=np.int8))
    dtypes = {"w": np.int8, "bias": np.int64, "shift": np.int64, "e_w": np.int64}
    for ld in d["layers"]:
        arrs = {k: np.array(ld[k]["data"], dtype=dtypes[k]).reshape(ld[k]["shape"]) for k in _ARRAYS}
        qm.layers.append(QLayer(ld["kind"], e_in=ld["e_in"], e_out=ld["e_out"], relu=ld["relu"],
                                acc_lo=ld["acc_lo"], acc_hi=ld["acc_hi"], reach_lo=ld["reach_lo"],
                                reach_hi=ld["reach_hi"], acc_type=ld["acc_type"], **arrs))
    return qm


def save(qm: QModel, path: str | Path) -> None:
    Path(path).write_text(json.dumps(to_dict(qm), sort_keys=True, separators=(",", ":")) + "\n")


def load(path: str | Path) -> QModel:
    return from_dict(json.loads(Path(path).read_text()))


def from_checkpoint(path: str | Path, granularity: str = "channel") -> QModel:
    from training import checkpoint
    model, _ = checkpoint.load(path)
    return quantize(model.decoder, granularity)

