"""What a decoder config costs on the MCU before training: weights, MACs per face, and an activation-memory estimate.

All three read the one layer list of gendie/arch.py. The estimate follows row streaming: a 3x3 layer keeps 3 input
rows (width x channels bytes each), a stride-2 transposed layer 2; column strips of width T over the 32x32 layers
shrink those rows to T plus a 1-pixel halo per remaining layer, at the cost of recomputing the halos. The export
stage computes the exact plan for a trained model.
"""
from __future__ import annotations

from gendie.arch import DecoderConfig, Kind, conv_layers, layers


def params(cfg: DecoderConfig) -> int:
    """Weights + biases of the decoder (what goes to flash)."""
    fc = layers(cfg)[0]
    return fc.cin * fc.cout + fc.cout + sum(9 * L.cin * L.cout + L.cout for L in conv_layers(cfg))


def macs(cfg: DecoderConfig) -> int:
    """Multiply-accumulates per face, counting only taps that land inside the image (padding is skipped)."""
    total = (cfg.cond_dim + 2) * cfg.dim4 * 16  # one-hot = column lookup; cond inputs multiply; + bias add
    for L in conv_layers(cfg):
        taps = 3 * L.hin - (1 if L.kind is Kind.CONVT2 else 2)  # valid (input, kernel) pairs per axis
        total += taps * taps * L.cin * L.cout
    return total


def activation_bytes(cfg: DecoderConfig, strip: int = 32) -> int:
    """Line-buffer bytes for row streaming, 32x32 layers computed in column strips of `strip` output pixels."""
    convs = conv_layers(cfg)
    total = 16 * cfg.dim4  # the FC output (4x4xdim4) is kept whole: tiny
    n32 = cfg.hires  # 3x3 layers at 32x32 that follow the last transposed conv
    for i, L in enumerate(convs[1:], start=1):
        rows = 3 if L.kind is not Kind.CONVT2 else 2
        if L.hin == 32:  # hi-res conv: strip plus halo of the layers after it
            after = len(convs) - 1 - i
            width = min(32, strip + 2 * (after + 1))
        elif L.hin == 16 and strip < 32:
            width = min(16, (strip + 2 * n32) // 2 + 2 + (2 if L.transposed and L.kind is Kind.CONV else 0))
        else:
            width = L.hin
        total += rows * width * L.cin
    return total + strip  # the output row handed to the display


def summary(cfg: DecoderConfig) -> dict:
    return {"params": params(cfg), "macs": macs(cfg), "act_bytes_rows": activation_bytes(cfg),
            "act_bytes_strip8": activation_bytes(cfg, 8)}
