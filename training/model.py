"""The conditional VAE of the seed study: a small conv encoder and the decoder that runs on the microcontroller.

Decoder: FC -> ReLU -> (dim4,4,4) -> ConvT 3x3 stride 2,2,1,2 (dim4->dim3->dim2->dim1->...) with ReLU -> `hires` 3x3
convs at 32x32, the last of which outputs the single grey channel (with hires=0 the last ConvT does).
The output z is grey in units of full scale; the image is clamp(z, 0, 1): no sigmoid, so the MCU needs only a shift
and a clamp. The BCE loss puts a sigmoid inside the loss only, matched in slope to that clamp.
"""
from __future__ import annotations

import math

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from gendie.arch import DecoderConfig, Kind, cond_values, conv_layers
from gendie.device import FACE as IMAGE_SIZE, NUM_CLASSES

BCE_SLOPE = 4.0  # sigmoid(4(z - 1/2)) has the slope of clamp(z, 0, 1) at z = 1/2


def decoder_layers(cfg: DecoderConfig) -> nn.ModuleList:
    """The decoder's conv stack in order, from the one layer list of gendie/arch.py; ReLU follows all but the last."""
    mods = []
    for L in conv_layers(cfg):
        if L.transposed:
            s2 = L.kind is Kind.CONVT2
            mods.append(nn.ConvTranspose2d(L.cin, L.cout, 3, stride=2 if s2 else 1, padding=1,
                                           output_padding=1 if s2 else 0))
        else:
            mods.append(nn.Conv2d(L.cin, L.cout, 3, padding=1))
    return nn.ModuleList(mods)


class Decoder(nn.Module):
    def __init__(self, cfg: DecoderConfig) -> None:
        super().__init__()
        self.cfg = cfg
        self.fc = nn.Linear(cfg.cond_dim + NUM_CLASSES, cfg.dim4 * 16)
        self.convs = decoder_layers(cfg)

    def forward(self, cond: torch.Tensor, onehot: torch.Tensor) -> torch.Tensor:
        """(N, cond_dim), (N, 6) -> z (N, 1, 32, 32); the image is clamp(z, 0, 1)."""
        h = F.relu(self.fc(torch.cat([cond, onehot], 1))).view(-1, self.cfg.dim4, 4, 4)
        h = h.contiguous(memory_format=torch.channels_last)  # oneDNN runs few-channel convs ~3x faster so laid out
        for i, layer in enumerate(self.convs):
            h = layer(h)
            if i < len(self.convs) - 1:
                h = F.relu(h)
        return h


class Encoder(nn.Module):
    """32x32 face + one-hot pips -> (mu, logvar) of the latent; the one-hot enters the first conv and the FC."""

    def __init__(self, cfg: DecoderConfig) -> None:
        super().__init__()
        d1, d2, d3 = cfg.dim1, cfg.dim2, cfg.dim3
        self.convs = nn.Sequential(
            nn.Conv2d(1 + NUM_CLASSES, d1, 3, stride=2, padding=1), nn.ReLU(),
            nn.Conv2d(d1, d2, 3, padding=1), nn.ReLU(),
            nn.Conv2d(d2, d3, 3, stride=2, padding=1), nn.ReLU(),
            nn.Conv2d(d3, d3, 3, stride=2, padding=1), nn.ReLU())
        self.fc_mu = nn.Linear(d3 * 16 + NUM_CLASSES, cfg.latent)
        self.fc_var = nn.Linear(d3 * 16 + NUM_CLASSES, cfg.latent)

    def forward(self, x: torch.Tensor, onehot: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        planes = onehot[:, :, None, None].expand(-1, -1, IMAGE_SIZE, IMAGE_SIZE)
        h = torch.cat([self.convs(torch.cat([x, planes], 1)).flatten(1), onehot], 1)
        return self.fc_mu(h), self.fc_var(h)


class CVAE(nn.Module):
    def __init__(self, cfg: DecoderConfig) -> None:
        super().__init__()
        self.cfg = cfg
        self.decoder = Decoder(cfg)
        self.encoder = Encoder(cfg) if cfg.mode == "vae" else None

    def forward(self, x: torch.Tensor, pips: torch.Tensor, angles_deg: torch.Tensor,
                ) -> tuple[torch.Tensor, torch.Tensor | None, torch.Tensor | None]:
        """Training pass: returns (z, mu, logvar); mu/logvar are None in angle mode."""
        onehot = F.one_hot(pips - 1, NUM_CLASSES).float()
        if self.encoder is None:
            return self.decoder(angle_code(angles_deg, self.cfg.harmonics), onehot), None, None
        mu, logvar = self.encoder(x, onehot)
        lat = mu + torch.randn_like(mu) * torch.exp(0.5 * logvar)
        return self.decoder(lat, onehot), mu, logvar


def angle_code(angles_deg: torch.Tensor, harmonics: tuple[int, ...] = (1,)) -> torch.Tensor:
    """(cos k*theta, sin k*theta) for each harmonic k: 359 deg and 1 deg are neighbours."""
    rad = angles_deg.double() * (math.pi / 180.0)
    return torch.cat([torch.stack([torch.cos(k * rad), torch.sin(k * rad)], 1) for k in harmonics], 1).float()


def to_image(z: torch.Tensor) -> torch.Tensor:
    """The inference output mapping, identical to the MCU's clamp: grey in [0, 1]."""
    return z.clamp(0.0, 1.0)


def reconstruction_loss(z: torch.Tensor, target: torch.Tensor, kind: str) -> torch.Tensor:
    """Mean per-pixel loss of decoder output z against target grey in [0, 1]."""
    if kind == "bce":
        return F.binary_cross_entropy_with_logits(BCE_SLOPE * (z - 0.5), target)
    # MSE of the clamped image; straight-through gradient so a saturated pixel on the wrong side still learns.
    clamped = z + (z.clamp(0.0, 1.0) - z).detach()
    return F.mse_loss(clamped, target)


def state_arrays(decoder: Decoder) -> dict[str, np.ndarray]:
    """The decoder's weights as float64 numpy arrays: the input of gendie/quantize.py."""
    return {k: v.detach().double().cpu().numpy() for k, v in decoder.state_dict().items()}


def count_params(module: nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


def cond_from_code(cfg: DecoderConfig, codes: torch.Tensor) -> torch.Tensor:
    """The decoder's conditioning input (N, cond_dim) for device codes 0..255, as gendie/arch.py defines it."""
    return torch.from_numpy(cond_values(cfg, codes.cpu().numpy())).float()


@torch.no_grad()
def generate(model: "CVAE", pips: torch.Tensor, codes: torch.Tensor, batch: int = 2048) -> torch.Tensor:
    """uint8 faces (N, 32, 32) from the float decoder, rounded as the device rounds its output."""
    model.eval()
    out = []
    for i in range(0, len(pips), batch):
        p = pips[i:i + batch].long()
        onehot = F.one_hot(p - 1, NUM_CLASSES).float()
        z = model.decoder(cond_from_code(model.cfg, codes[i:i + batch]), onehot)
        out.append(torch.round(to_image(z) * 255).to(torch.uint8)[:, 0])
    return torch.cat(out) if out else torch.zeros((0, IMAGE_SIZE, IMAGE_SIZE), dtype=torch.uint8)
