"""Train the evaluation CNN: `python training/train_eval_cnn.py` -> models/eval_cnn.pt + models/eval_cnn.json.

Trains on freshly generated augmented dice (shift, blur, noise), two thirds of them in randomly varied styles, and
reports accuracy on held-out augmented, clean and other-style sets.
"""
from __future__ import annotations

import gendie.cli  # noqa: F401  first, so Ctrl-C is quiet (exit 130) while the imports below load

import json
import sys
import time
from pathlib import Path

import numpy as np
import torch
from torch import nn
from tqdm import tqdm

from gendie.cli import Parser, UsageError, int_range, positive_float, run, seed_int
from dataset.make_dice import generate
from gendie.fileio import atomic_write, check_writable, write_text
from training.eval_cnn import DEFAULT_PATH, EvalCNN, accuracy_report, predict


def training_set(count: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    varied = generate(count * 2 // 3, seed=seed, augment=True, style_jitter=True)
    plain = generate(count - count * 2 // 3, seed=seed + 1, augment=True)
    x = np.concatenate([varied["images"], plain["images"]])
    y = np.concatenate([varied["labels"], plain["labels"]])
    return x, y


def evaluation_sets(seed: int, count: int) -> dict[str, dict]:
    return {"augmented": generate(count, seed=seed, augment=True),
            "clean": generate(count, seed=seed + 1),
            "other_styles": generate(count, seed=seed + 2, style_jitter=True)}


def train(model: EvalCNN, x: np.ndarray, y: np.ndarray, epochs: int, batch: int, lr: float, seed: int) -> None:
    torch.manual_seed(seed)
    xt = torch.from_numpy(x.astype(np.float32)[:, None] / 255.0)
    yt = torch.from_numpy(y - 1)
    steps = epochs * (len(x) // batch)
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=1e-4)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=lr, total_steps=steps)
    loss_fn = nn.CrossEntropyLoss(label_smoothing=0.05)
    gen = torch.Generator().manual_seed(seed)
    bar = tqdm(total=steps, desc="eval-cnn", unit="step", disable=not sys.stderr.isatty())
    model.train()
    for _ in range(epochs):
        order = torch.randperm(len(x), generator=gen)
        for i in range(0, len(x) - batch + 1, batch):
            idx = order[i:i + batch]
            xb = xt[idx]
            flip = torch.rand(len(idx), generator=gen) < 0.5  # mirror images: a die's pip count is unchanged
            xb = torch.where(flip[:, None, None, None], xb.flip(3), xb)
            loss = loss_fn(model(xb), yt[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            bar.set_postfix(loss=f"{loss.item():.3f}")
            bar.update()
    bar.close()
    model.eval()


def main(argv: list[str] | None = None) -> int:
    p = Parser(prog="train_eval_cnn.py", description=__doc__)
    p.add_argument("--out", default=str(DEFAULT_PATH), help="checkpoint path (default models/eval_cnn.pt); "
                   "metrics go next to it as .json")
    p.add_argument("--count", type=int_range(60, 1_000_000), default=24576, help="training images (default 24576)")
    p.add_argument("--epochs", type=int_range(1, 10_000), default=12)
    p.add_argument("--batch", type=int_range(1, 65_536), default=128)
    p.add_argument("--lr", type=positive_float, default=3e-3)
    p.add_argument("--seed", type=seed_int, default=0)
    p.add_argument("--eval-count", type=int_range(6, 1_000_000), default=6000,
                   help="faces in each held-out set (default 6000)")
    a = p.parse_args(argv)
    if a.count < a.batch:
        raise UsageError(f"--count ({a.count}) must be at least --batch ({a.batch})")
    out = Path(a.out)
    if out.suffix == ".json":
        raise UsageError(f"--out {out}: the model's metrics go next to it as .json; name the model .pt")
    check_writable(out)
    check_writable(out.with_suffix(".json"))

    t0 = time.perf_counter()
    x, y = training_set(a.count, seed=1000 + a.seed)
    model = EvalCNN()
    train(model, x, y, a.epochs, a.batch, a.lr, a.seed)
    train_s = time.perf_counter() - t0

    metrics: dict = {"train_images": len(x), "epochs": a.epochs, "train_seconds": round(train_s, 1),
                     "params": sum(p.numel() for p in model.parameters())}
    for name, data in evaluation_sets(seed=5000 + a.seed, count=a.eval_count).items():
        metrics[name] = accuracy_report(predict(model, data["images"]), data["labels"])
        print(f"{name:>13}: {100 * metrics[name]['accuracy']:.2f} % of {metrics[name]['n']}")
    with atomic_write(out) as f:
        torch.save({"config": {}, "state_dict": model.state_dict()}, f)
    write_text(out.with_suffix(".json"), json.dumps(metrics, indent=1) + "\n")
    print(f"trained in {train_s:.0f} s; wrote {out} ({out.stat().st_size / 1024:.0f} KB) "
          f"and {out.with_suffix('.json')}")
    return 0


if __name__ == "__main__":
    sys.exit(run(main))
