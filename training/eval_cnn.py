"""The evaluation CNN: judges which pip count (1..6) a 32x32 die face shows.

Smaller than the seed's (whose 4096->256 FC layer alone is 4 MB): three conv blocks down to 4x4 and a 512->48 FC,
~39k parameters, 160 KB on disk. Trained on shifted, blurred, noisy dice in varied styles so it judges generated faces,
which are never as crisp as the renders.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from torch import nn

DEFAULT_PATH = Path(__file__).resolve().parent.parent / "models" / "eval_cnn.pt"


class EvalCNN(nn.Module):
    def __init__(self, width: int = 16, hidden: int = 48) -> None:
        super().__init__()

        def block(cin: int, cout: int) -> nn.Sequential:
            return nn.Sequential(nn.Conv2d(cin, cout, 3, padding=1), nn.BatchNorm2d(cout), nn.ReLU(), nn.MaxPool2d(2))

        self.features = nn.Sequential(block(1, width), block(width, 2 * width), block(2 * width, 2 * width))
        self.head = nn.Sequential(nn.Flatten(), nn.Dropout(0.2), nn.Linear(2 * width * 16, hidden), nn.ReLU(),
                                  nn.Linear(hidden, 6))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x: (N,1,32,32) in [0,1] -> logits for pips 1..6 (index 0..5)."""
        return self.head(self.features(x))


def as_float_images(images: np.ndarray) -> np.ndarray:
    """(N,32,32) uint8 or float in [0,1] -> float32 in [0,1]; ValueError with a clear message otherwise."""
    a = np.asarray(images)
    if a.ndim != 3 or a.shape[1:] != (32, 32):
        raise ValueError(f"images must have shape (N, 32, 32), got {a.shape}")
    if a.dtype == np.uint8:
        return a.astype(np.float32) / 255.0
    if np.issubdtype(a.dtype, np.floating):
        if a.size and (np.nanmin(a) < 0.0 or np.nanmax(a) > 1.0 or np.isnan(a).any()):
            raise ValueError("float images must lie in [0, 1]")
        return a.astype(np.float32)
    raise ValueError(f"images must be uint8 or float in [0, 1], got {a.dtype}")


def load(path: str | Path = DEFAULT_PATH) -> EvalCNN:
    """The evaluation CNN; ValueError naming the file when it is missing or not one."""
    path = Path(path)
    if not path.is_file():
        raise ValueError(f"{path}: no such model file (train it: python training/train_eval_cnn.py)")
    try:
        ckpt = torch.load(path, map_location="cpu", weights_only=True)
        model = EvalCNN(**ckpt["config"])
        model.load_state_dict(ckpt["state_dict"])
    except Exception as e:  # torch raises many types for a file that is not this model
        raise ValueError(f"{path}: not an evaluation CNN checkpoint ({type(e).__name__})") from None
    if not all(torch.isfinite(p).all() for p in model.state_dict().values() if p.is_floating_point()):
        raise ValueError(f"{path}: the model has non-finite weights")
    return model.eval()


@torch.no_grad()
def predict(model: EvalCNN, images: np.ndarray, batch: int = 1024) -> np.ndarray:
    """Pip counts 1..6 for (N,32,32) faces."""
    x = as_float_images(images)
    out = [model(torch.from_numpy(x[i:i + batch, None])).argmax(1) for i in range(0, len(x), batch)]
    return (torch.cat(out).numpy() + 1).astype(np.int64) if out else np.zeros(0, np.int64)


def accuracy_report(pred: np.ndarray, labels: np.ndarray) -> dict:
    """Overall and per-class accuracy and the 6x6 confusion matrix (rows: true pips, columns: predicted)."""
    labels = np.asarray(labels).astype(np.int64)
    conf = np.zeros((6, 6), dtype=np.int64)
    np.add.at(conf, (labels - 1, pred - 1), 1)
    per_class = {str(k): (float(conf[k - 1, k - 1] / conf[k - 1].sum()) if conf[k - 1].sum() else None)
                 for k in range(1, 7)}
    return {"n": int(len(labels)), "accuracy": float(np.mean(pred == labels)) if len(labels) else 0.0,
            "per_class": per_class, "confusion": conf.tolist()}
