"""The committed evaluation CNN: size, accuracy on freshly generated data, other styles, evaluate.py's interface."""
from __future__ import annotations

import json

import numpy as np
import pytest

from conftest import ROOT, assert_one_line_error, run_script
from dataset.make_dice import generate
from gendie.fileio import save_npz
from dataset.render import DieStyle, render_die
from training import eval_cnn

MODEL = ROOT / "models" / "eval_cnn.pt"

# Dice drawn differently from the training default: very round or square bodies, small/large/hand-placed pips,
# grey contrast. Fixed here, never seen as such in training (which varies styles at random).
OTHER_STYLES = [
    DieStyle(corner=0.3, pip_radius=0.075, pip_offset=0.26, body=220, pip=30, pip_jitter=0.015),
    DieStyle(corner=0.0, pip_radius=0.105, pip_offset=0.28, body=170, pip=60),
    DieStyle(corner=0.42, pip_radius=0.06, pip_offset=0.3, pip_jitter=0.025),
]


@pytest.fixture(scope="module")
def model():
    return eval_cnn.load(MODEL)


def test_committed_model_is_small():
    assert MODEL.stat().st_size <= 200 * 1024


def test_accuracy_on_fresh_augmented_set(model):
    d = generate(4000, seed=777, augment=True)
    acc = np.mean(eval_cnn.predict(model, d["images"]) == d["labels"])
    assert acc >= 0.985, acc


def test_accuracy_on_fresh_clean_set(model):
    d = generate(3000, seed=778)
    acc = np.mean(eval_cnn.predict(model, d["images"]) == d["labels"])
    assert acc >= 0.999, acc


@pytest.mark.parametrize("style", OTHER_STYLES, ids=["round-small-grey", "square-big-lowcontrast", "very-round-tiny"])
def test_generalises_to_other_styles(model, style):
    rng = np.random.default_rng(9)
    labels = np.arange(1200) % 6 + 1
    imgs = np.stack([render_die(int(p), float(a), style=style, shift=tuple(rng.uniform(-1.5, 1.5, 2)), rng=rng)
                     for p, a in zip(labels, rng.uniform(0, 360, len(labels)))])
    acc = np.mean(eval_cnn.predict(model, imgs) == labels)
    assert acc >= 0.99, acc


def test_accepts_float_images(model):
    d = generate(60, seed=3)
    as_float = d["images"].astype(np.float64) / 255
    assert np.array_equal(eval_cnn.predict(model, as_float), eval_cnn.predict(model, d["images"]))


def test_evaluate_json_schema(tmp_path):
    d = generate(120, seed=4, augment=True)
    save_npz(tmp_path / "d.npz", **d)
    proc = run_script("training/evaluate.py", "--images", str(tmp_path / "d.npz"), "--json", check=True)
    rep = json.loads(proc.stdout.strip().splitlines()[-1])
    assert set(rep) == {"n", "accuracy", "per_class", "confusion"}
    assert rep["n"] == 120 and 0 <= rep["accuracy"] <= 1
    assert sorted(rep["per_class"]) == ["1", "2", "3", "4", "5", "6"]
    conf = np.array(rep["confusion"])
    assert conf.shape == (6, 6) and conf.sum() == 120
    assert np.array_equal(conf.sum(1), np.bincount(d["labels"], minlength=7)[1:])
    assert rep["accuracy"] == pytest.approx(np.trace(conf) / 120)


def test_evaluate_text_report_and_predictions(tmp_path):
    d = generate(30, seed=5)
    save_npz(tmp_path / "l.npz", **d)
    save_npz(tmp_path / "u.npz", images=d["images"])
    text = run_script("training/evaluate.py", "--images", str(tmp_path / "l.npz"), check=True).stdout
    assert "accuracy" in text and "confusion" in text
    preds = run_script("training/evaluate.py", "--images", str(tmp_path / "u.npz"), check=True).stdout.split()
    assert len(preds) == 30 and set(preds) <= set("123456")


@pytest.mark.parametrize("images", [np.zeros((4, 28, 28), np.uint8), np.zeros((32, 32), np.uint8),
                                    np.full((2, 32, 32), 3.0), np.zeros((2, 32, 32), np.int32)])
def test_evaluate_rejects_bad_images(tmp_path, images):
    save_npz(tmp_path / "bad.npz", images=images)
    assert_one_line_error(run_script("training/evaluate.py", "--images", str(tmp_path / "bad.npz")))


def test_evaluate_missing_file():
    assert_one_line_error(run_script("training/evaluate.py", "--images", "/nonexistent/x.npz"))


def test_training_smoke(tmp_path):
    """A tiny run of the real trainer writes a loadable model and its metrics."""
    out = tmp_path / "cnn.pt"
    run_script("training/train_eval_cnn.py", "--out", str(out), "--count", "384", "--epochs", "1",
               "--eval-count", "60", check=True)
    metrics = json.loads(out.with_suffix(".json").read_text())
    assert {"augmented", "clean", "other_styles"} <= set(metrics)
    assert eval_cnn.predict(eval_cnn.load(out), generate(6, seed=1)["images"]).shape == (6,)
