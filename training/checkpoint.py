"""Checkpoint files: the config travels with the weights, so every tool rebuilds exactly the trained model."""
from __future__ import annotations

import io
from pathlib import Path

import torch

from gendie.arch import DecoderConfig
from gendie.fileio import write_bytes
from gendie.intmodel import QModel
from gendie.quantize import quantize
from training.model import CVAE, state_arrays

DEFAULT_DECODER = Path(__file__).resolve().parent.parent / "models" / "decoder.pt"


def save(path: str | Path, model: CVAE, metrics: dict | None = None) -> None:
    """Writes {config, decoder, encoder, metrics} atomically; only the decoder goes to the device."""
    buf = io.BytesIO()
    torch.save({"config": model.cfg.to_dict(),
                "decoder": model.decoder.state_dict(),
                "encoder": None if model.encoder is None else model.encoder.state_dict(),
                "encoder_width": None if model.encoder is None else model.encoder.width,
                "metrics": metrics or {}}, buf)
    write_bytes(path, buf.getvalue())


def load(path: str | Path) -> tuple[CVAE, dict]:
    """(model in eval mode, the whole checkpoint dict); ValueError naming the file if it is not a GenDie decoder."""
    path = Path(path)
    if path.is_dir():
        raise ValueError(f"{path}: is a directory, not a checkpoint")
    if not path.exists():
        raise ValueError(f"{path}: no such checkpoint")
    try:
        ckpt = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as e:  # torch raises many types for a file that is not a checkpoint
        raise ValueError(f"{path}: not a GenDie checkpoint ({type(e).__name__})") from None
    if not isinstance(ckpt, dict) or "config" not in ckpt or "decoder" not in ckpt:
        raise ValueError(f"{path}: not a GenDie decoder checkpoint (no config/decoder)")
    try:
        cfg = DecoderConfig.from_dict(ckpt["config"])
        model = CVAE(cfg, ckpt.get("encoder_width"))
        model.decoder.load_state_dict(ckpt["decoder"])
        if model.encoder is not None and ckpt.get("encoder") is not None:
            # checkpoints written before the ring's phase alignment have no turn: their turns are 0
            model.encoder.load_state_dict({"turn": model.encoder.turn, **ckpt["encoder"]})
    except (ValueError, RuntimeError, TypeError, AttributeError) as e:
        raise ValueError(f"{path}: checkpoint does not match its config ({str(e).splitlines()[0]})") from None
    bad = [k for k, v in model.decoder.state_dict().items() if not torch.isfinite(v).all()]
    if bad:
        raise ValueError(f"{path}: the decoder has non-finite weights ({bad[0]})")
    return model.eval(), ckpt


def integer_model(path: str | Path, granularity: str = "channel") -> QModel:
    """The checkpoint's decoder under the integer contract (gendie/quantize.py)."""
    model, _ = load(path)
    return quantize(model.cfg, state_arrays(model.decoder), granularity)

