"""Train the conditional VAE: `python training/train_cvae.py [overrides] --out runs/NAME`.

Config overrides (--dim1 .. --dim4, --hires, --mode, --loss, --latent) change the default DecoderConfig; everything
else is the training recipe. Writes to the run folder: decoder.pt (config inside), metrics.json, samples.png (six pip
counts x 8 angles), scan.png (an angle or latent scan per pip count) and loss.png.
"""
from __future__ import annotations

import gendie.cli  # noqa: F401  first, so Ctrl-C is quiet (exit 130) while the imports below load

import argparse

import json
import math
import sys
import time
from pathlib import Path

import torch
from tqdm import tqdm

from dataset.make_dice import generate as make_dice
from training import checkpoint
from gendie.arch import LOSSES, MODES, DecoderConfig
from gendie.cli import Parser, UsageError, float_range, int_range, nonneg_float, run, seed_int
from gendie.fileio import check_writable, write_text
from training.model import (CVAE, activation_sparsity, align_ring_phases, quarter_turn_contrast, reconstruction_loss,
                            ring_uniformity, rotation_continuity)
from training.run_report import evaluate, evaluate_int8, save_plots  # noqa: F401  evaluate: also bench/sweep.py's


def pick_device(name: str) -> torch.device:
    """cpu, cuda[:N] or auto; ValueError for a device this machine does not have."""
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        dev = torch.device(name)
    except RuntimeError as e:
        raise ValueError(f"--device {name}: {e}") from None
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(f"--device {name}: no CUDA device on this machine (use cpu or auto)")
    if dev.type not in ("cpu", "cuda"):
        raise ValueError(f"--device {name}: only cpu, cuda or auto")
    return dev


def train(cfg: DecoderConfig, epochs: int = 60, count: int = 8192, batch: int = 256, lr: float = 8e-3,
          beta: float = 0.003, seed: int = 0, device: str = "cpu", progress: bool = True,
          verbose: bool = True, model: CVAE | None = None, kl_warmup: float = 0.0, free_bits: float = 0.0,
          uniform: float = 0.0, quarter: float = 0.0, continuity: float = 0.0, encoder_width: int | None = None,
          freeze_encoder: bool = False, act_l1: float = 0.0) -> tuple[CVAE, list[float]]:
    """Train (or continue training `model`) on `count` fresh dice; returns the model and per-epoch mean loss.

    vae mode: the KL weight ramps from 0 to `beta` over the first `kl_warmup` of the steps; the batch's mean KL
    counts only above `free_bits` nats; `uniform` weighs ring_uniformity (ring prior: each pip count's latents
    spread evenly over the circle, so the prior the device samples is the one the decoder was trained on) and
    `quarter` quarter_turn_contrast (ring prior: one turn of the ring per symmetry period of the face) and
    `continuity` rotation_continuity (ring prior: no jumps of the latent as the face turns).
    `freeze_encoder` (vae mode, a trained encoder in `model`): the encoder is fixed and the decoder alone learns to
    draw the faces from samples of the encoder's posterior; the KL and ring terms, which only move the encoder, are
    then not computed.
    `act_l1` weighs activation_sparsity: zero activations, which the device's kernels skip, make faces faster.
    """
    torch.manual_seed(seed)
    data = make_dice(count, seed=10_000 + seed)
    dev = pick_device(device)
    x = torch.from_numpy(data["images"]).float().div(255).unsqueeze(1).to(dev)
    pips = torch.from_numpy(data["labels"]).to(dev)
    angles = torch.from_numpy(data["angles"]).to(dev)
    model = (model or CVAE(cfg, encoder_width)).to(dev, memory_format=torch.channels_last)
    if freeze_encoder:
        if model.encoder is None:
            raise ValueError("freeze_encoder needs a vae-mode model with a trained encoder")
        model.encoder.requires_grad_(False)
    steps_per_epoch = max(1, count // batch)
    opt = torch.optim.AdamW((p for p in model.parameters() if p.requires_grad), lr=lr, weight_decay=0.0)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=lr, total_steps=epochs * steps_per_epoch,
                                                pct_start=0.1, final_div_factor=100)
    gen = torch.Generator().manual_seed(seed)
    history: list[float] = []
    bar = tqdm(range(epochs), desc=cfg.name, unit="ep", disable=not progress)
    model.train()
    warm_steps = kl_warmup * epochs * steps_per_epoch
    step = 0
    for _ in bar:
        order = torch.randperm(count, generator=gen).to(dev)
        total = 0.0
        for s in range(steps_per_epoch):
            idx = order[s * batch:(s + 1) * batch]
            acts: list[torch.Tensor] | None = [] if act_l1 else None
            z, mu, logvar = model(x[idx], pips[idx], angles[idx], acts=acts)
            loss = reconstruction_loss(z, x[idx], cfg.loss)
            if act_l1:
                loss = loss + act_l1 * activation_sparsity(cfg, acts)
            if mu is not None and not freeze_encoder:  # KL to the prior (nats per face), weighed against the per-pixel reconstruction
                kl = torch.clamp(model.kl(mu, logvar).mean(), min=free_bits)
                loss = loss + beta * min(1.0, step / warm_steps if warm_steps else 1.0) * kl
                if uniform and cfg.ring:
                    loss = loss + uniform * ring_uniformity(model.posterior_angle(mu), pips[idx])
                if quarter and cfg.ring:
                    loss = loss + quarter * quarter_turn_contrast(model, x[idx], pips[idx], mu)
                if continuity and cfg.ring:
                    loss = loss + continuity * rotation_continuity(model, x[idx], pips[idx], mu)
            step += 1
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
            total += loss.item()
        history.append(total / steps_per_epoch)
        bar.set_postfix(loss=f"{history[-1]:.4f}")
        if verbose and not progress and len(history) % max(1, epochs // 10) == 0:  # background runs' logs move
            print(f"{cfg.name}: epoch {len(history)}/{epochs} loss {history[-1]:.4f}", flush=True)
    return model.cpu().eval(), history


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = Parser(prog="train_cvae.py", description=__doc__)
    g = p.add_argument_group("config overrides (default: DecoderConfig in gendie/arch.py)")
    for d in ("dim1", "dim2", "dim3", "dim4"):
        g.add_argument(f"--{d}", type=int_range(1, 64), help=f"channels, 1..64 (default {getattr(DecoderConfig, d)})")
    g.add_argument("--hires", type=int_range(0, 3), help="3x3 layers at 32x32, 0..3")
    g.add_argument("--mode", choices=MODES, help="condition on the angle, or sample a latent (vae)")
    g.add_argument("--latent", type=int_range(1, 8), help="latent size in vae mode with the normal prior")
    g.add_argument("--prior", choices=("normal", "ring"),
                   help="vae mode: standard-normal latent, or an angle uniform on the circle (ring)")
    g.add_argument("--loss", choices=LOSSES)
    g.add_argument("--harmonics", help="angle mode and ring prior: comma-separated k of (cos k*a, sin k*a), "
                   "e.g. 1 or 2,4 (default 2,4 for the die angle, 1,2 for the ring latent)")
    p.add_argument("--epochs", type=int_range(1, 100_000), default=60)
    p.add_argument("--count", type=int_range(1, 1_000_000), default=8192, help="training dice (default 8192)")
    p.add_argument("--batch", type=int_range(1, 65_536), default=256)
    p.add_argument("--lr", type=float_range(0.0, 10.0, lo_open=True), default=8e-3,
                   help="peak learning rate of the one-cycle schedule")
    p.add_argument("--beta", type=nonneg_float, default=0.003, help="KL weight (vae mode)")
    p.add_argument("--kl-warmup", type=float_range(0.0, 1.0), default=0.0, help="vae: fraction of training over "
                   "which the KL weight ramps up from 0 (default 0: no annealing)")
    p.add_argument("--free-bits", type=nonneg_float, default=0.0, help="vae: nats of mean KL per face left unpenalised")
    p.add_argument("--uniform", type=nonneg_float, default=0.0, help="ring prior: weight of the penalty that spreads "
                   "each pip count's latents evenly over the circle")
    p.add_argument("--quarter", type=nonneg_float, default=0.0, help="ring prior: weight of the penalty that sends "
                   "faces a quarter turn changes (2, 3, 6) half way round the ring")
    p.add_argument("--encoder-width", type=int_range(1, 64), help="vae: channels of the encoder's convs (default: "
                   "the decoder's dims; the encoder only trains, it never ships)")
    p.add_argument("--encoder-from", metavar="CHECKPOINT", help="vae: start the encoder from CHECKPOINT's (a vae "
                   "checkpoint of the same prior), the decoder afresh at this run's config")
    p.add_argument("--freeze-encoder", action="store_true", help="vae: keep the encoder (from --init or "
                   "--encoder-from) fixed and train the decoder alone on its posterior")
    p.add_argument("--align-phases", action="store_true", help="ring prior, with --init or --encoder-from: turn "
                   "each pip count's latent so its upright face sits at phi = 0 (the prior is unchanged)")
    p.add_argument("--continuity", type=nonneg_float, default=0.0, help="ring prior: weight of the penalty on latent "
                   "jumps when a face turns a few degrees")
    p.add_argument("--act-l1", type=nonneg_float, default=0.0, metavar="LAMBDA", help="weight of the activation "
                   "sparsity penalty (each hidden layer's L1/L2 norm ratio, weighted by the MAC share of the layer "
                   "reading it): zero activations are skipped by the device's kernels (default 0; also with --qat)")
    p.add_argument("--seed", type=seed_int, default=0)
    p.add_argument("--device", default="cpu", help="cpu, cuda, or auto (a GPU when present)")
    p.add_argument("--eval-count", type=int_range(6, 1_000_000), default=6000,
                   help="faces for the quality metrics (default 6000)")
    p.add_argument("--diversity", type=int_range(0, 100_000), default=1000, metavar="N", help="random rolls per pip "
                   "count for the diversity measure (training/diversity.py; default 1000, 0 skips it)")
    p.add_argument("--out", default="runs/cvae", help="run folder (default runs/cvae)")
    p.add_argument("--threads", type=int_range(0, 256), default=0, help="torch CPU threads (default: torch's choice)")
    p.add_argument("--qat", action="store_true", help="fine-tune --init through the integer contract's fake "
                   "quantisation (training/qat.py); --epochs counts passes over --count dice")
    p.add_argument("--init", help="checkpoint to start from (required with --qat; its config is kept)")
    p.add_argument("--evaluate-only", action="store_true", help="no training: measure --init again (e.g. on more "
                   "faces) and write its run folder; the recipe in its stored metrics is kept")
    a = p.parse_args(argv)
    if a.prior and a.mode is None:
        a.mode = "vae"  # a prior is a vae-mode choice
    return a


def resolve(a: argparse.Namespace) -> tuple[DecoderConfig, CVAE | None, dict | None]:
    """The config to train and the model to start from, checked before any work starts."""
    if a.count < a.batch:
        raise UsageError(f"--count ({a.count}) must be at least --batch ({a.batch})")
    out = Path(a.out)
    if out.exists() and not out.is_dir():
        raise UsageError(f"--out {out} is a file, not a run folder")
    if a.init and Path(a.init).resolve() == (out / "decoder.pt").resolve():
        raise UsageError(f"--init {a.init} would be overwritten by the run's decoder.pt: pick another --out")
    try:
        harmonics = None if a.harmonics is None else tuple(int(k) for k in a.harmonics.split(","))
        cfg = DecoderConfig().with_overrides(dim1=a.dim1, dim2=a.dim2, dim3=a.dim3, dim4=a.dim4, hires=a.hires,
                                             mode=a.mode, latent=a.latent, loss=a.loss, harmonics=harmonics,
                                             prior=a.prior)
    except ValueError as e:
        raise UsageError(f"--harmonics: {e}" if "invalid literal" in str(e) else str(e)) from None
    if a.freeze_encoder and not (a.init or a.encoder_from):
        raise UsageError("--freeze-encoder needs a trained encoder: --init or --encoder-from CHECKPOINT")
    if a.align_phases and not (a.init or a.encoder_from) or a.align_phases and a.evaluate_only:
        raise UsageError("--align-phases turns a trained encoder's latents: needs --init or --encoder-from, and "
                         "training (not --evaluate-only)")
    if a.encoder_from:
        if a.init or a.qat or a.evaluate_only or a.encoder_width:
            bad = "init" if a.init else "qat" if a.qat else "evaluate-only" if a.evaluate_only else "encoder-width"
            raise UsageError(f"--encoder-from trains a new decoder with that encoder: drop --{bad}")
        return cfg, with_encoder_of(cfg, a.encoder_from), None
    if not a.init:
        if a.qat or a.evaluate_only:
            raise UsageError(f"--{'qat' if a.qat else 'evaluate-only'} needs --init CHECKPOINT (a trained float "
                             "decoder, e.g. models/decoder.pt)")
        return cfg, None, None
    overrides = [k for k in ("dim1", "dim2", "dim3", "dim4", "hires", "mode", "latent", "loss", "harmonics", "prior")
                 if getattr(a, k) is not None]
    if overrides:
        raise UsageError(f"--init keeps its checkpoint's config; drop --{overrides[0]}")
    init, init_ckpt = checkpoint.load(a.init)
    return init.cfg, init, init_ckpt


def with_encoder_of(cfg: DecoderConfig, path: str) -> CVAE:
    """A fresh CVAE of `cfg` whose encoder is the one trained in checkpoint `path` (UsageError if it does not fit)."""
    src, _ = checkpoint.load(path)
    if cfg.mode != "vae" or src.encoder is None or (src.cfg.prior, src.cfg.latent) != (cfg.prior, cfg.latent):
        raise UsageError(f"--encoder-from {path}: needs a vae checkpoint with the same prior and latent as this run "
                         "(e.g. --prior ring with a ring checkpoint)")
    width = src.encoder.width
    if width is None and (src.cfg.dim1, src.cfg.dim2, src.cfg.dim3) != (cfg.dim1, cfg.dim2, cfg.dim3):
        raise UsageError(f"--encoder-from {path}: its encoder has its decoder's widths, not this run's")
    model = CVAE(cfg, width)
    model.encoder.load_state_dict(src.encoder.state_dict())
    return model


def main(argv: list[str] | None = None) -> int:
    a = parse_args(argv)
    cfg, init, init_ckpt = resolve(a)
    pick_device(a.device)
    for path in ("decoder.pt", "metrics.json"):
        check_writable(Path(a.out) / path)
    if a.threads:
        torch.set_num_threads(a.threads)
    out = Path(a.out)

    turns = None
    if a.align_phases:
        if not cfg.ring:
            raise UsageError("--align-phases: the checkpoint's prior is not the ring")
        turns = [round(math.degrees(t), 2) for t in align_ring_phases(init).tolist()]
    t0 = time.perf_counter()
    if a.evaluate_only:
        model, history = init, []
    elif a.qat:
        from training.qat import qat_finetune
        if a.freeze_encoder:
            init.encoder.requires_grad_(False)  # its KL term then moves nothing
        model, history = qat_finetune(init, steps=a.epochs * (a.count // a.batch), lr=a.lr, batch=a.batch,
                                      count=a.count, seed=a.seed, beta=a.beta, progress=sys.stderr.isatty(),
                                      act_l1=a.act_l1)
    else:
        model, history = train(cfg, a.epochs, a.count, a.batch, a.lr, a.beta, a.seed, a.device,
                               progress=sys.stderr.isatty(), model=init, kl_warmup=a.kl_warmup,
                               free_bits=a.free_bits, uniform=a.uniform, quarter=a.quarter,
                               continuity=a.continuity, encoder_width=a.encoder_width,
                               freeze_encoder=a.freeze_encoder, act_l1=a.act_l1)
    train_s = time.perf_counter() - t0
    if history and not math.isfinite(history[-1]):
        raise RuntimeError(f"training diverged (loss {history[-1]}): try a lower --lr; nothing written")
    if a.evaluate_only:
        kept = {k: v for k, v in init_ckpt["metrics"].items() if k != "int8"}
        metrics = {**kept, **evaluate(model, a.eval_count, per_pips=a.diversity)}
    else:
        metrics = {"config": cfg.to_dict(), "name": cfg.name, "epochs": a.epochs, "count": a.count, "batch": a.batch,
                   "lr": a.lr, "seed": a.seed, "beta": a.beta, "kl_warmup": a.kl_warmup, "free_bits": a.free_bits,
                   "uniform": a.uniform, "quarter": a.quarter, "continuity": a.continuity,
                   "act_l1": a.act_l1, "encoder_width": None if model.encoder is None else model.encoder.width,
                   "encoder_from": a.encoder_from, "freeze_encoder": a.freeze_encoder, "phase_turns_deg": turns,
                   "train_seconds": round(train_s, 1), "final_loss": history[-1],
                   "qat": bool(a.qat), **evaluate(model, a.eval_count, per_pips=a.diversity)}
    checkpoint.save(out / "decoder.pt", model, metrics)
    metrics["int8"] = evaluate_int8(out / "decoder.pt", cfg.mode, a.eval_count, per_pips=a.diversity)
    checkpoint.save(out / "decoder.pt", model, metrics)
    write_text(out / "metrics.json", json.dumps(metrics, indent=1) + "\n")
    save_plots(model, history, out, metrics.get("diversity"))
    q8 = metrics["int8"]
    print(f"{cfg.name}: {metrics['params']} weights, {metrics['macs'] / 1e6:.2f} M MACs; on {metrics['n']} faces "
          f"float MSE {metrics['mse']:.4f}, eval CNN {100 * metrics['cnn_accuracy']:.2f} %, strict pips "
          f"{100 * metrics['strict_pip_rate']:.2f} %; int8 MSE {q8['mse']:.4f}, eval CNN "
          f"{100 * q8['cnn_accuracy']:.2f} %, strict {100 * q8['strict_pip_rate']:.2f} %; "
          f"trained in {metrics.get('train_seconds', 0):.0f} s -> {out}")
    if a.diversity:
        for name, m in (("float", metrics), ("int8", q8)):
            d = m["diversity"].values()
            print(f"{name} diversity: coverage >= {100 * min(s['coverage'] for s in d):.1f} %, max bin "
                  f"{max(s['max_ratio'] for s in d):.2f}x; 64-step scan strict pips "
                  f"{100 * min(m['scan_strict'].values()):.1f} % (worst pip count)")
    return 0


if __name__ == "__main__":
    sys.exit(run(main))
