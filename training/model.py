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
LOGVAR_MIN = -14.0  # ring prior: angular sd >= 1e-3 rad, far below one code (2.5e-2 rad)


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

    def forward(self, cond: torch.Tensor, onehot: torch.Tensor, acts: list | None = None) -> torch.Tensor:
        """(N, cond_dim), (N, 6) -> z (N, 1, 32, 32); the image is clamp(z, 0, 1).

        `acts`: a list that receives every hidden layer's post-ReLU activations, in order (activation_sparsity)."""
        h = F.relu(self.fc(torch.cat([cond, onehot], 1))).view(-1, self.cfg.dim4, 4, 4)
        h = h.contiguous(memory_format=torch.channels_last)  # oneDNN runs few-channel convs ~3x faster so laid out
        for i, layer in enumerate(self.convs):
            if acts is not None:
                acts.append(h)
            h = layer(h)
            if i < len(self.convs) - 1:
                h = F.relu(h)
        return h


class Encoder(nn.Module):
    """32x32 face + one-hot pips -> (mu, logvar) of the latent; the one-hot enters the first conv and the FC.

    Normal prior: mu and logvar have `latent` numbers. Ring prior: mu is a 2-D point whose direction is the mean angle
    phi of the posterior, logvar one number, the log of its angular variance 1/kappa.
    """

    def __init__(self, cfg: DecoderConfig, width: int | None = None) -> None:
        """`width`: channels of every conv (default: the decoder's dim1..dim3). The encoder only trains, never ships,
        so it may be wider than the decoder."""
        super().__init__()
        self.width = width
        d1, d2, d3 = (width,) * 3 if width else (cfg.dim1, cfg.dim2, cfg.dim3)
        self.convs = nn.Sequential(
            nn.Conv2d(1 + NUM_CLASSES, d1, 3, stride=2, padding=1), nn.ReLU(),
            nn.Conv2d(d1, d2, 3, padding=1), nn.ReLU(),
            nn.Conv2d(d2, d3, 3, stride=2, padding=1), nn.ReLU(),
            nn.Conv2d(d3, d3, 3, stride=2, padding=1), nn.ReLU())
        self.fc_mu = nn.Linear(d3 * 16 + NUM_CLASSES, 2 if cfg.ring else cfg.latent)
        self.fc_var = nn.Linear(d3 * 16 + NUM_CLASSES, 1 if cfg.ring else cfg.latent)
        # ring prior: each pip count's latent is turned back by this angle (radians; set by align_ring_phases)
        self.register_buffer("turn", torch.zeros(NUM_CLASSES))

    def forward(self, x: torch.Tensor, onehot: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        planes = onehot[:, :, None, None].expand(-1, -1, IMAGE_SIZE, IMAGE_SIZE)
        h = torch.cat([self.convs(torch.cat([x, planes], 1)).flatten(1), onehot], 1)
        mu = self.fc_mu(h)
        if mu.shape[1] == 2 and self.turn.any():  # ring: mu rotated by -turn[pips]
            t = onehot @ self.turn
            mu = torch.stack([t.cos() * mu[:, 0] + t.sin() * mu[:, 1], t.cos() * mu[:, 1] - t.sin() * mu[:, 0]], 1)
        return mu, self.fc_var(h)


class CVAE(nn.Module):
    def __init__(self, cfg: DecoderConfig, encoder_width: int | None = None) -> None:
        super().__init__()
        self.cfg = cfg
        self.decoder = Decoder(cfg)
        self.encoder = Encoder(cfg, encoder_width) if cfg.mode == "vae" else None

    def forward(self, x: torch.Tensor, pips: torch.Tensor, angles_deg: torch.Tensor, acts: list | None = None,
                ) -> tuple[torch.Tensor, torch.Tensor | None, torch.Tensor | None]:
        """Training pass: returns (z, mu, logvar); mu/logvar are None in angle mode (`acts`: see Decoder.forward)."""
        onehot = F.one_hot(pips - 1, NUM_CLASSES).float()
        if self.encoder is None:
            return self.decoder(angle_code(angles_deg, self.cfg.harmonics), onehot, acts), None, None
        mu, logvar = self.encoder(x, onehot)
        return self.decoder(self.latent_cond(mu, logvar), onehot, acts), mu, logvar

    def latent_cond(self, mu: torch.Tensor, logvar: torch.Tensor, sample: bool = True) -> torch.Tensor:
        """The decoder's conditioning input for a posterior (reparameterised sample, or its mean if not `sample`).

        Ring prior: phi = the direction of mu plus wrapped normal noise of variance 1/kappa, entering as harmonics.
        """
        if self.cfg.ring:
            logvar = logvar.clamp(min=LOGVAR_MIN)
        noise = torch.randn_like(logvar) * torch.exp(0.5 * logvar) if sample else 0.0
        if not self.cfg.ring:
            return mu + noise
        phi = torch.atan2(mu[:, 1], mu[:, 0]) + (noise[:, 0] if sample else 0.0)
        return harmonic_code(phi, self.cfg.harmonics)

    def kl(self, mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
        """Per-face KL divergence of the posterior from the prior, in nats: (N,).

        Ring prior: von Mises posterior of concentration kappa = exp(-logvar) against the uniform circle,
        KL = kappa I1(kappa)/I0(kappa) - log I0(kappa) (the sample uses its wrapped-normal approximation).
        """
        if not self.cfg.ring:
            return -0.5 * torch.sum(1 + logvar - mu ** 2 - logvar.exp(), 1)
        # float64 and a floor on the angular variance: kappa * I1/I0 - kappa cancels to ~ -1/2 for large kappa
        kappa = torch.exp(-logvar[:, 0].double().clamp(min=LOGVAR_MIN))
        i0e, i1e = torch.special.i0e(kappa), torch.special.i1e(kappa)
        return (kappa * i1e / i0e - torch.log(i0e) - kappa).to(logvar.dtype)

    def posterior_angle(self, mu: torch.Tensor) -> torch.Tensor:
        """Ring prior: the posterior's mean angle phi in radians (N,)."""
        return torch.atan2(mu[:, 1], mu[:, 0])


def angle_code(angles_deg: torch.Tensor, harmonics: tuple[int, ...] = (1,)) -> torch.Tensor:
    """(cos k*theta, sin k*theta) for each harmonic k: 359 deg and 1 deg are neighbours."""
    return harmonic_code(angles_deg.double() * (math.pi / 180.0), harmonics).float()


def harmonic_code(rad: torch.Tensor, harmonics: tuple[int, ...]) -> torch.Tensor:
    """(N,) angles in radians -> (N, 2 * len(harmonics)): (cos k*a, sin k*a) for each k, in the order of cond_values."""
    return torch.cat([torch.stack([torch.cos(k * rad), torch.sin(k * rad)], 1) for k in harmonics], 1)


def ring_uniformity(phi: torch.Tensor, pips: torch.Tensor, orders: int = 4) -> torch.Tensor:
    """How far the batch's ring latents are from uniform on the circle, for each pip count: the mean over pip counts
    of sum_k |mean_i exp(i k phi_i)|^2, k = 1..orders (every one of these moments is 0 for the uniform prior).

    Sampling draws one code for every pip count, so each pip count's aggregate posterior must match the prior.
    """
    ks = torch.arange(1, orders + 1, dtype=phi.dtype, device=phi.device)
    terms = []
    for p in range(1, NUM_CLASSES + 1):
        a = phi[pips == p][:, None] * ks
        if len(a):
            terms.append(a.cos().mean(0).pow(2).sum() + a.sin().mean(0).pow(2).sum())
    return torch.stack(terms).mean()


def quarter_turn_contrast(model: "CVAE", x: torch.Tensor, pips: torch.Tensor, mu: torch.Tensor,
                          scale: float = 0.01) -> torch.Tensor:
    """Ring prior: faces that a quarter turn changes must move half way round the ring.

    A quarter turn (exact on the pixel grid: torch.rot90) maps a 1, 4 or 5 onto itself, but turns a 2, 3 or 6 into
    the other diagonal / column pair: a different face, which must get a different latent. Without this term the
    encoder reads the body's orientation first (it has most of the pixels), winds the ring once per 90 degrees for
    every pip count, and a 2 then decodes as the ghost of both diagonals. The weight of each face grows with how much
    the turn changes it (mean squared grey difference d: 0 up to `scale`, 1 from 2 * `scale`; the renders' own
    rounding leaves d ~ 0.0025 for a 1, 4, 5 and a 2, 3, 6 has d ~ 0.03), so no pip count is named here; the
    penalty (1 + cos dphi) / 2 is 0 when the two latents are opposite. Returns the batch mean.
    """
    xr = torch.rot90(x, 1, (2, 3))
    mur, _ = model.encoder(xr, F.one_hot(pips - 1, NUM_CLASSES).float())
    dphi = model.posterior_angle(mur) - model.posterior_angle(mu)
    w = (((xr - x) ** 2).mean((1, 2, 3)) / scale - 1).clamp(0.0, 1.0)
    return (w * (1 + torch.cos(dphi)) / 2).mean()


def rotation_continuity(model: "CVAE", x: torch.Tensor, pips: torch.Tensor, mu: torch.Tensor,
                        max_deg: float = 4.0, tol_deg: float = 30.0) -> torch.Tensor:
    """Ring prior: a face turned a few degrees moves its latent a little, and always the same way round.

    Each face is turned by a random angle within +-`max_deg` in pixel space (bilinear resampling: no renderer, no
    angle label). Its latent may move (one turn of the ring per 90 degrees moves it 4x as far), but a move of more
    than `tol_deg` degrees is penalised by 1 - cos dphi beyond 1 - cos(tol) (no jumps: no staircase of poses), and a
    move against the turn by sin dphi (no folds: two poses never share a latent). Returns the batch mean.
    """
    a = (torch.rand(len(x), device=x.device) * 2 - 1) * math.radians(max_deg)
    rot = torch.stack([torch.stack([a.cos(), -a.sin(), torch.zeros_like(a)], 1),
                       torch.stack([a.sin(), a.cos(), torch.zeros_like(a)], 1)], 1)
    xt = F.grid_sample(x, F.affine_grid(rot, list(x.shape), align_corners=False), align_corners=False)
    mut, _ = model.encoder(xt, F.one_hot(pips - 1, NUM_CLASSES).float())
    dphi = model.posterior_angle(mut) - model.posterior_angle(mu)
    jump = F.relu(math.cos(math.radians(tol_deg)) - torch.cos(dphi))
    backwards = F.relu(-torch.sin(dphi) * torch.sign(a))
    return (jump + backwards).mean()


@torch.no_grad()
def align_ring_phases(model: "CVAE") -> torch.Tensor:
    """Ring prior: turn each pip count's latent so that its upright face (the render at 0 degrees) sits at phi = 0;
    returns the turns (radians, one per pip count).

    A rotation of the circle leaves the uniform prior and every posterior's KL unchanged, so the encoder learns each
    pip count's phase freely, and they differ (the committed 8_8_8_8+1 encoder put the 6 about 96 degrees from the 2
    and 3). The decoder's FC layer is shared by all pip counts: aligned, the die body, common to every face, sits at
    the same phase for all of them (at harmonic 1 of phi for 1, 4, 5, harmonic 2 for 2, 3, 6), and a tiny decoder
    need not learn it once per pip count.
    """
    from dataset.render import render_die
    enc = model.encoder
    enc.turn.zero_()
    x = torch.from_numpy(np.stack([render_die(p, 0.0) for p in range(1, NUM_CLASSES + 1)])).float().div(255)
    mu, _ = enc(x[:, None].to(enc.turn.device), torch.eye(NUM_CLASSES, device=enc.turn.device))
    enc.turn.copy_(torch.atan2(mu[:, 1], mu[:, 0]))
    return enc.turn.clone()


def activation_sparsity(cfg: DecoderConfig, acts: list[torch.Tensor]) -> torch.Tensor:
    """How dense the decoder's hidden activations are, weighted by what they cost on the device (0 = all zero).

    The AVR and CH32 kernels skip a zero input activation (on the AVR a zero costs 10 cycles for 4 MACs, a non-zero
    41), so each layer's input counts with the MAC share of the layer that reads it: most of the cycles go to the
    inputs of the 16x16 layers. Each layer's term is its mean |h| in units of its RMS, which is held constant in
    the gradient: an L1 penalty whose weight does not depend on the layer's scale (mean/RMS is 1 when every value is
    equal, sqrt(p) when a fraction p are non-zero and equal). Not the L1/L2 ratio itself: its gradient also rewards
    a few huge values among many small ones, and int8, whose scale follows each layer's largest value, then rounds
    the small ones of whole channels to zero (measured: float exact, int8 strict pips 32 %).
    """
    readers = conv_layers(cfg)  # acts[i] is the input of readers[i]
    macs = torch.tensor([float(L.hin ** 2 * L.cin * L.cout * 9) for L in readers[:len(acts)]])
    share = macs / macs.sum()
    terms = [h.abs().mean() / h.detach().pow(2).mean().sqrt().clamp(min=1e-8) for h in acts]
    return sum(w * t for w, t in zip(share.tolist(), terms))


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
