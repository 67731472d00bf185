"""Checkpoint files: the config travels with the weights, so every tool rebuilds exactly the trained model."""
from __future__ import annotations

from pathlib import Path

import torch

from dataset.cli import UsageError
from training.config import DecoderConfig
from training.model import CVAE

DEFAULT_DECODER = Path(__file__).resolve().parent.parent / "models" / "decoder.pt"


def save(path: str | Path, model: CVAE, metrics: dict | None = None, qat: dict | None = None) -> None:
    """Writes {config, decoder, encoder, metrics, qat}; only the decoder goes to the device."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.save({"config": model.cfg.to_dict(),
                "decoder": model.decoder.state_dict(),
                "encoder": None if model.encoder is None else model.encoder.state_dict(),
                "metrics": metrics or {},
                "qat": qat}, path)


def load(path: str | Path) -> tuple[CVAE, dict]:
    """(model in eval mode, the whole checkpoint dict); UsageError in one line for a missing or foreign file."""
    try:
        ckpt = torch.load(path, map_location="cpu", weights_only=True)
    except FileNotFoundError:
        raise UsageError(f"{path}: no such checkpoint") from None
    except Exception as e:  # torch raises many types for a file that is not a checkpoint
        raise UsageError(f"{path}: not a GenDie checkpoint ({type(e).__name__})") from None
    if not isinstance(ckpt, dict) or "config" not in ckpt or "decoder" not in ckpt:
        raise UsageError(f"{path}: not a GenDie decoder checkpoint (no config/decoder)")
    try:
        cfg = DecoderConfig.from_dict(ckpt["config"])
        model = CVAE(cfg)
        model.decoder.load_state_dict(ckpt["decoder"])
        if model.encoder is not None and ckpt.get("encoder") is not None:
            model.encoder.load_state_dict(ckpt["encoder"])
    except (ValueError, RuntimeError, TypeError) as e:
        raise UsageError(f"{path}: checkpoint does not match its config ({str(e).splitlines()[0]})") from None
    return model.eval(), ckpt
