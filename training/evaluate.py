"""Classify die faces with the evaluation CNN: `python training/evaluate.py --images FILE.npz [--json]`.

With `labels` in the file: overall and per-class accuracy and the confusion matrix (rows: true pips, columns:
predicted). Without: the predicted pip count of every face. Accepts (N,32,32) uint8 or float in [0,1].
"""
from __future__ import annotations

import gendie.cli  # noqa: F401  first, so Ctrl-C is quiet (exit 130) while the imports below load

import json
import sys

import numpy as np

from gendie.cli import Parser, UsageError, run
from gendie.fileio import load_npz
from training import eval_cnn


def format_report(rep: dict) -> str:
    lines = [f"accuracy {100 * rep['accuracy']:.2f} % on {rep['n']} faces",
             "per class: " + "  ".join(f"{k}: {'-' if v is None else f'{100 * v:.1f}%'}"
                                       for k, v in rep["per_class"].items()),
             "confusion (rows: true 1..6, columns: predicted 1..6):"]
    lines += ["  " + " ".join(f"{c:6d}" for c in row) for row in rep["confusion"]]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    p = Parser(prog="evaluate.py", description=__doc__)
    p.add_argument("--images", required=True, help=".npz with `images` (N,32,32) and optionally `labels` (1..6)")
    p.add_argument("--model", default=str(eval_cnn.DEFAULT_PATH), help="evaluation CNN (default models/eval_cnn.pt)")
    p.add_argument("--json", action="store_true", help="print one JSON object on the last line")
    a = p.parse_args(argv)

    data = load_npz(a.images)
    if "images" not in data:
        raise UsageError(f"{a.images}: no `images` array (has: {', '.join(sorted(data)) or 'nothing'})")
    model = eval_cnn.load(a.model)
    try:
        images = eval_cnn.as_float_images(data["images"])
    except ValueError as e:
        raise UsageError(f"{a.images}: {e}") from None
    if not len(images):
        raise UsageError(f"{a.images}: no faces to evaluate (0 images)")
    pred = eval_cnn.predict(model, images)

    if "labels" in data:
        labels = np.asarray(data["labels"])
        if labels.shape != (len(pred),) or labels.min(initial=1) < 1 or labels.max(initial=6) > 6:
            raise UsageError(f"{a.images}: `labels` must be {len(pred)} values in 1..6")
        rep = eval_cnn.accuracy_report(pred, labels)
        print(json.dumps(rep) if a.json else format_report(rep))
    elif a.json:
        print(json.dumps({"n": int(len(pred)), "predictions": pred.tolist()}))
    else:
        print(" ".join(str(int(v)) for v in pred))
    return 0


if __name__ == "__main__":
    sys.exit(run(main))
