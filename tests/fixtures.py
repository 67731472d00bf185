"""Deterministic stand-in checkpoints for tests: any config, no training, same bytes every time.

A freshly initialised decoder outputs nearly one grey level everywhere, which would exercise little of the integer
path; the weights are scaled up so activations and faces span the whole 0..255 range.
"""
from __future__ import annotations

from pathlib import Path

import torch

from gendie.arch import DecoderConfig
from training import checkpoint
from training.model import CVAE


def make_checkpoint(path: str | Path, cfg: DecoderConfig | None = None, seed: int = 0, gain: float = 2.5) -> Path:
    cfg = cfg or DecoderConfig()
    torch.manual_seed(seed)
    model = CVAE(cfg)
    with torch.no_grad():
        for m in model.decoder.convs:
            m.weight.mul_(gain)
        model.decoder.fc.weight.mul_(gain)
        model.decoder.convs[-1].bias.fill_(0.5)
    checkpoint.save(path, model.eval(), {"fixture": True})
    return Path(path)


_EXPORTED: dict[DecoderConfig, Path] = {}


def exported(cfg: DecoderConfig | None = None) -> Path:
    """Folder holding d.pt (the fixture checkpoint of `cfg`) and model/ (its export), made once per process."""
    import atexit
    import shutil
    import tempfile

    from export.export_decoder import export
    cfg = cfg or DecoderConfig()
    if cfg not in _EXPORTED:
        d = Path(tempfile.mkdtemp(prefix="gendie-fixture-"))
        atexit.register(shutil.rmtree, d, True)
        export(make_checkpoint(d / "d.pt", cfg), d / "model", verbose=False)
        _EXPORTED[cfg] = d
    return _EXPORTED[cfg]
