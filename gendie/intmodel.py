"""The integer contract (docs/integer-contract.md) as data: rounding, requantisation, the integer model, proofs.

A QModel is plain ints and numpy arrays; `save`/`load` keep it as sorted JSON, a stable text format that diffs well.
`prove_accumulators` bounds every partial sum from the weights alone and picks each layer's accumulator width.
"""
from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from gendie.arch import DecoderConfig

W_MAX = 127      # int8 symmetric weights: -127..127 (never -128, so |w| is bounded by 127 and negation is safe)
A_MAX = 255      # uint8 activations after ReLU
OUT_EXP = 8      # output grey = z * 2^8 clamped to 0..255 (z = 1.0 saturates at 255)
E_MIN, E_MAX = -8, 24  # exponent range kept so every scaled constant stays far inside int32
GRANULARITIES = ("channel", "layer")


def round_half_away(v: np.ndarray) -> np.ndarray:
    """The contract's rounding of constants: half away from zero, computed in float64 (exact for our ranges)."""
    v = np.asarray(v, dtype=np.float64)
    return (np.sign(v) * np.floor(np.abs(v) + 0.5)).astype(np.int64)


def requant(acc: np.ndarray, shift: np.ndarray | int) -> np.ndarray:
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

    @property
    def name(self) -> str:
        return self.cfg.name


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


