"""The decoder's configuration: one dataclass, stored inside every checkpoint, read by training, export and tools."""
from __future__ import annotations

from dataclasses import asdict, dataclass, fields, replace

NUM_CLASSES = 6  # pips 1..6
IMAGE_SIZE = 32
MODES = ("angle", "vae")
LOSSES = ("mse", "bce")


@dataclass(frozen=True)
class DecoderConfig:
    """Channels per stage (dim4 at 4x4 ... dim1 at 16x16 and 32x32), hi-res 3x3 layers at 32x32, conditioning mode.

    mode "angle": the decoder input is (cos, sin) of the die angle + the one-hot pips; "vae": `latent` numbers drawn
    from the prior + the one-hot pips (the encoder is only used in training).
    """

    dim1: int = 8
    dim2: int = 8
    dim3: int = 8
    dim4: int = 8
    hires: int = 1
    mode: str = "angle"
    latent: int = 1  # vae mode only
    loss: str = "bce"
    # angle mode: the angle enters as (cos k*theta, sin k*theta) for each k. Every die face looks the same after a
    # half turn (and 1, 4, 5 after a quarter turn), so k = 2 and 4 describe it without the FC having to fold theta.
    harmonics: tuple[int, ...] = (2, 4)

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
        if self.latent < 1:
            raise ValueError(f"latent must be >= 1, got {self.latent}")
        object.__setattr__(self, "harmonics", tuple(int(k) for k in self.harmonics))
        if not self.harmonics or any(k < 1 or k > 8 for k in self.harmonics) or len(set(self.harmonics)) < len(
                self.harmonics):
            raise ValueError(f"harmonics must be distinct integers 1..8, got {self.harmonics}")

    @property
    def cond_dim(self) -> int:
        """Inputs to the decoder's FC layer besides the one-hot pips."""
        return 2 * len(self.harmonics) if self.mode == "angle" else self.latent

    @property
    def name(self) -> str:
        cond = "angle" + "".join(map(str, self.harmonics)) if self.mode == "angle" else f"vae{self.latent}"
        return f"{self.dim1}_{self.dim2}_{self.dim3}_{self.dim4}+{self.hires}_{cond}_{self.loss}"

    def to_dict(self) -> dict:
        d = asdict(self)
        d["harmonics"] = list(self.harmonics)
        return d

    @classmethod
    def from_dict(cls, d: dict) -> "DecoderConfig":
        known = {f.name for f in fields(cls)}
        unknown = set(d) - known
        if unknown:
            raise ValueError(f"unknown config keys: {sorted(unknown)}")
        return cls(**d)

    def with_overrides(self, **kw) -> "DecoderConfig":
        return replace(self, **{k: v for k, v in kw.items() if v is not None})
