"""What a decoder config costs on the MCU: weights, MACs per face, and an activation-memory estimate.

The estimate follows row streaming: a 3x3 layer keeps 3 input rows (width x channels bytes each), a stride-2
transposed layer 2; column strips of width T over the 32x32 layers shrink those rows to T plus a 1-pixel halo per
remaining layer, at the cost of recomputing the halos. The export stage computes the exact plan for a trained model.
"""
from __future__ import annotations

from training.config import NUM_CLASSES, DecoderConfig


def layer_shapes(cfg: DecoderConfig) -> list[dict]:
    """Every conv layer: kind, in/out channels, input and output side."""
    c4 = cfg.dim1 if cfg.hires else 1
    layers = [dict(kind="convT_s2", cin=cfg.dim4, cout=cfg.dim3, hin=4, hout=8),
              dict(kind="convT_s2", cin=cfg.dim3, cout=cfg.dim2, hin=8, hout=16),
              dict(kind="convT_s1", cin=cfg.dim2, cout=cfg.dim1, hin=16, hout=16),
              dict(kind="convT_s2", cin=cfg.dim1, cout=c4, hin=16, hout=32)]
    layers += [dict(kind="conv", cin=cfg.dim1, cout=cfg.dim1 if i < cfg.hires - 1 else 1, hin=32, hout=32)
               for i in range(cfg.hires)]
    return layers


def params(cfg: DecoderConfig) -> int:
    """Weights + biases of the decoder (what goes to flash)."""
    fc = (cfg.cond_dim + NUM_CLASSES) * cfg.dim4 * 16 + cfg.dim4 * 16
    return fc + sum(9 * l["cin"] * l["cout"] + l["cout"] for l in layer_shapes(cfg))


def macs(cfg: DecoderConfig) -> int:
    """Multiply-accumulates per face, counting only taps that land inside the image (padding is skipped)."""
    total = (cfg.cond_dim + 2) * cfg.dim4 * 16  # one-hot = column lookup; cond inputs multiply; + bias add
    for l in layer_shapes(cfg):
        taps = 3 * l["hin"] - (1 if l["kind"] == "convT_s2" else 2)  # valid (input, kernel) pairs per axis
        total += taps * taps * l["cin"] * l["cout"]
    return total


def activation_bytes(cfg: DecoderConfig, strip: int = 32) -> int:
    """Line-buffer bytes for row streaming, 32x32 layers computed in column strips of `strip` output pixels."""
    layers = layer_shapes(cfg)
    total = 16 * cfg.dim4  # the FC output (4x4xdim4) is kept whole: tiny
    n32 = cfg.hires  # 3x3 layers at 32x32 that follow the last transposed conv
    for i, l in enumerate(layers[1:], start=1):
        rows = 3 if l["kind"] != "convT_s2" else 2
        if l["hin"] == 32:  # hi-res conv: strip plus halo of the layers after it
            after = len(layers) - 1 - i
            width = min(32, strip + 2 * (after + 1))
        elif l["hin"] == 16 and strip < 32:
            width = min(16, (strip + 2 * n32) // 2 + 2 + (2 if l["kind"] == "convT_s1" else 0))
        else:
            width = l["hin"]
        total += rows * width * l["cin"]
    return total + strip  # the output row handed to the display


def summary(cfg: DecoderConfig) -> dict:
    return {"params": params(cfg), "macs": macs(cfg), "act_bytes_rows": activation_bytes(cfg),
            "act_bytes_strip8": activation_bytes(cfg, 8), "act_bytes_strip4": activation_bytes(cfg, 4)}
