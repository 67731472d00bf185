"""The decoder's architecture, written once: its configuration and the list of layers it implies.

The PyTorch model (training/model.py), the footprint estimate (training/footprint.py), the integer model
(gendie/quantize.py) and the memory planner (export/plan.py) all build from `layers(cfg)`.

    FC            (cond_dim + 6) -> dim4*16, viewed as (dim4, 4, 4)
    ConvT 3x3 s2  dim4 -> dim3   4 -> 8
    ConvT 3x3 s2  dim3 -> dim2   8 -> 16
    ConvT 3x3 s1  dim2 -> dim1  16 -> 16     (the same as a 3x3 conv with the kernel flipped)
    ConvT 3x3 s2  dim1 -> dim1  16 -> 32     (-> 1 grey channel when hires = 0)
    Conv 3x3 x hires            32 -> 32     (the last one -> 1 grey channel)
ReLU follows every layer but the last; the output is grey = clamp(z, 0, 1).
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields, replace
from enum import Enum
from statistics import NormalDist

import numpy as np

from gendie.device import CODES, FACE, NUM_CLASSES, code_to_degrees

MODES = ("angle", "vae")
PRIORS = ("normal", "ring")
LOSSES = ("mse", "bce")
DEFAULT_HARMONICS = {"angle": (2, 4), "ring": (1, 2)}


@dataclass(frozen=True)
class DecoderConfig:
    """Channels per stage (dim4 at 4x4 ... dim1 at 16x16 and 32x32), hi-res 3x3 layers at 32x32, conditioning mode.

    mode "angle": the decoder input is (cos k*theta, sin k*theta) of the die angle for each harmonic k + the one-hot
    pips; "vae": a latent drawn from the prior + the one-hot pips (the encoder is only used in training). The vae
    prior is "normal" (`latent` standard-normal numbers) or "ring" (one angle phi, uniform on the circle, entering as
    (cos k*phi, sin k*phi) for each harmonic k: a rotation is a point on a circle, and so is its latent).
    """

    dim1: int = 8
    dim2: int = 8
    dim3: int = 8
    dim4: int = 8
    hires: int = 1
    mode: str = "angle"
    latent: int = 1  # vae mode, normal prior only
    loss: str = "bce"
    # angle mode: every die face looks the same after a half turn (and 1, 4, 5 after a quarter turn), so k = 2 and 4
    # describe it without the FC having to fold theta. Ring prior: the encoder learns one turn of phi per symmetry
    # period, so k = 1 and 2. None means the default of the mode (DEFAULT_HARMONICS).
    harmonics: tuple[int, ...] | None = None
    prior: str = "normal"  # vae mode only: "normal" or "ring"

    def __post_init__(self) -> None:
        for f in ("dim1", "dim2", "dim3", "dim4"):
            if not 1 <= getattr(self, f) <= 64:
                raise ValueError(f"{f} must be 1..64, got {getattr(self, f)}")
        if not 0 <= self.hires <= 3:
            raise ValueError(f"hires must be 0..3, got {self.hires}")
        if self.mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}, got {self.mode!r}")
        if self.loss not in LOSSES:
            raise ValueError(f"loss must be one of {LOSSES}, got {self.loss!r}")
        if not 1 <= self.latent <= 8:
            raise ValueError(f"latent must be 1..8, got {self.latent}")
        if self.prior not in PRIORS:
            raise ValueError(f"prior must be one of {PRIORS}, got {self.prior!r}")
        if self.prior != "normal" and self.mode != "vae":
            raise ValueError(f"the {self.prior} prior needs mode 'vae'")
        if self.harmonics is None:
            object.__setattr__(self, "harmonics", DEFAULT_HARMONICS["ring" if self.ring else "angle"])
        object.__setattr__(self, "harmonics", tuple(int(k) for k in self.harmonics))
        if not self.harmonics or any(k < 1 or k > 8 for k in self.harmonics) or len(set(self.harmonics)) < len(
                self.harmonics):
            raise ValueError(f"harmonics must be distinct integers 1..8, got {self.harmonics}")

    @property
    def ring(self) -> bool:
        """vae mode with the ring prior."""
        return self.mode == "vae" and self.prior == "ring"

    @property
    def trig_cond(self) -> bool:
        """The decoder input is (cos, sin) pairs of an angle: the die's (angle mode) or the latent's (ring prior)."""
        return self.mode == "angle" or self.ring

    @property
    def cond_dim(self) -> int:
        """Inputs to the decoder's FC layer besides the one-hot pips."""
        return 2 * len(self.harmonics) if self.trig_cond else self.latent

    @property
    def name(self) -> str:
        ks = "".join(map(str, self.harmonics))
        cond = f"angle{ks}" if self.mode == "angle" else f"ring{ks}" if self.ring else f"vae{self.latent}"
        return f"{self.dim1}_{self.dim2}_{self.dim3}_{self.dim4}+{self.hires}_{cond}_{self.loss}"

    def to_dict(self) -> dict:
        """Plain JSON-able fields; the prior only when it is not the normal one, so configs written before the ring
        prior existed (checkpoints, exported models) read and write the same bytes."""
        d = asdict(self)
        d["harmonics"] = list(self.harmonics)
        if self.prior == "normal":
            del d["prior"]
        return d

    @classmethod
    def from_dict(cls, d: dict) -> "DecoderConfig":
        if not isinstance(d, dict):
            raise ValueError("a decoder config must be a mapping")
        known = {f.name for f in fields(cls)}
        unknown = set(d) - known
        if unknown:
            raise ValueError(f"unknown config keys: {sorted(unknown)}")
        return cls(**d)

    def with_overrides(self, **kw) -> "DecoderConfig":
        """A copy with the given (non-None) fields; harmonics go back to the new mode's default when the override
        switches between the die's angle and the ring latent without naming them."""
        kw = {k: v for k, v in kw.items() if v is not None}
        new = replace(self, **kw)
        return replace(new, harmonics=None) if "harmonics" not in kw and new.ring != self.ring else new


class Kind(str, Enum):
    """A layer's operation. The string values are the integer model's file format (qmodel.json)."""
    FC = "fc"            # one-hot pips select a bias row; the condition multiplies int8 weights
    CONVT2 = "convt2"    # ConvTranspose 3x3, stride 2, padding 1, output padding 1: doubles the side
    CONV = "conv"        # 3x3, stride 1, padding 1 (a ConvTranspose s1 p1 is this with the kernel flipped)


@dataclass(frozen=True)
class Layer:
    kind: Kind
    cin: int
    cout: int
    hin: int            # input side (the FC's input is a vector: hin = 1)
    hout: int           # output side (the FC's output is viewed as cout // 16 channels of 4x4)
    transposed: bool    # built as nn.ConvTranspose2d in PyTorch (a CONV with transposed=True is ConvT s1)
    relu: bool          # ReLU after it (every layer but the last)

    @property
    def out_channels(self) -> int:
        """Channels of the output map: the FC's dim4*16 outputs are dim4 channels of 4x4."""
        return self.cout // 16 if self.kind is Kind.FC else self.cout


def layers(cfg: DecoderConfig) -> list[Layer]:
    """The decoder's layers in order, FC first."""
    c4 = cfg.dim1 if cfg.hires else 1
    out = [Layer(Kind.FC, cfg.cond_dim + NUM_CLASSES, cfg.dim4 * 16, 1, 4, False, True),
           Layer(Kind.CONVT2, cfg.dim4, cfg.dim3, 4, 8, True, True),
           Layer(Kind.CONVT2, cfg.dim3, cfg.dim2, 8, 16, True, True),
           Layer(Kind.CONV, cfg.dim2, cfg.dim1, 16, 16, True, True),
           Layer(Kind.CONVT2, cfg.dim1, c4, 16, FACE, True, cfg.hires > 0)]
    out += [Layer(Kind.CONV, cfg.dim1, cfg.dim1 if i < cfg.hires - 1 else 1, FACE, FACE, False, i < cfg.hires - 1)
            for i in range(cfg.hires)]
    return out


def conv_layers(cfg: DecoderConfig) -> list[Layer]:
    """The layers after the FC."""
    return layers(cfg)[1:]


def cond_values(cfg: DecoderConfig, codes) -> np.ndarray:
    """The decoder's conditioning input (N, cond_dim), float64, for device codes 0..255.

    angle mode: (cos k*theta, sin k*theta) for each harmonic k, theta = code * 360/256 degrees (359 and 1 degree are
    neighbours). Ring prior: the same with phi = (code + 1/2) * 360/256 degrees, the centres of 256 equal arcs, so
    the codes cover the uniform prior on the circle evenly. Normal prior: latent k = the standard-normal quantile of a
    per-dimension permutation of the code, so the 256 codes cover the prior evenly in each dimension.
    """
    codes = np.asarray(codes, dtype=np.int64)
    if cfg.trig_cond:
        rad = ring_angle(codes) if cfg.ring else code_to_degrees(codes) * (math.pi / 180.0)
        return np.stack([f(k * rad) for k in cfg.harmonics for f in (np.cos, np.sin)], 1)
    inv = NormalDist().inv_cdf
    cols = [[inv(((int(c) * (2 * k + 1) + 37 * k) % CODES + 0.5) / CODES) for c in codes] for k in range(cfg.latent)]
    return np.array(cols, dtype=np.float64).T.reshape(len(codes), cfg.latent)


def ring_angle(codes) -> np.ndarray:
    """The ring prior's latent phi in radians for device codes 0..255: the centre of the code's arc of the circle."""
    return (np.asarray(codes, dtype=np.float64) + 0.5) * (2 * math.pi / CODES)
