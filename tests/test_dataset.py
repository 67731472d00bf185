"""The dice generator: shapes, balance, determinism, correct labels, bad input."""
from __future__ import annotations

import numpy as np
import pytest

from conftest import assert_one_line_error, run_script
from dataset.make_dice import generate
from dataset.pipcount import count_pips
from dataset.render import DieStyle, render_die


def test_shapes_dtypes_and_ranges():
    d = generate(120, seed=3)
    assert d["images"].shape == (120, 32, 32) and d["images"].dtype == np.uint8
    assert d["labels"].dtype == np.int64 and set(np.unique(d["labels"])) == {1, 2, 3, 4, 5, 6}
    assert d["angles"].dtype == np.float32 and d["angles"].min() >= 0 and d["angles"].max() < 360


@pytest.mark.parametrize("count", [6, 100, 1001])
def test_labels_balanced(count):
    counts = np.bincount(generate(count, seed=1)["labels"], minlength=7)[1:]
    assert counts.max() - counts.min() <= 1


def test_bright_die_on_black_and_no_clipping_at_any_angle():
    for angle in np.arange(0, 360, 7.5):
        img = render_die(6, float(angle))
        border = np.concatenate([img[0], img[-1], img[:, 0], img[:, -1]])
        # The shape stays > 1 output pixel inside the frame (margin 0.04 of 128 px); bicubic ringing and PIL's
        # inclusive rasterisation still spread a few per cent into the border pixels. A clipped die puts ~255 there.
        assert border.max() <= 8, f"die clipped or touching the frame at {angle} deg"
        assert img.max() == 255


def test_body_side_keeps_every_rotation_inside_the_margin():
    import math
    for style in (DieStyle(), DieStyle(corner=0.0), DieStyle(corner=0.45, margin=0.0)):
        side, r = style.body_side(128), style.corner * style.body_side(128)
        for deg in range(0, 91, 5):  # farthest extent of a rounded square along x when rotated by deg
            t = math.radians(deg)
            reach = (side / 2 - r) * (abs(math.cos(t)) + abs(math.sin(t))) + r
            assert reach <= 64 * (1 - 2 * style.margin) + 1e-9


def test_size_64_works():
    d = generate(12, seed=0, size=64)
    assert d["images"].shape == (12, 64, 64)
    assert (count_pips(d["images"]) == d["labels"]).all()


def test_labels_agree_with_non_learned_pip_counter():
    d = generate(3000, seed=11)
    agree = np.mean(count_pips(d["images"]) == d["labels"])
    assert agree >= 0.999, agree


def test_pip_counter_on_other_styles():
    """The counter itself is style-agnostic: square corners, small and jittered pips."""
    rng = np.random.default_rng(0)
    for style in (DieStyle(corner=0.0, pip_radius=0.07), DieStyle(corner=0.35, pip_jitter=0.02)):
        imgs = np.stack([render_die(p, float(a), style=style, rng=rng) for p in range(1, 7) for a in range(0, 360, 15)])
        labels = np.repeat(np.arange(1, 7), 24)
        assert np.mean(count_pips(imgs) == labels) >= 0.99


def test_augmented_set_differs_and_keeps_labels_balanced():
    clean, aug = generate(600, seed=5), generate(600, seed=5, augment=True)
    assert np.array_equal(clean["labels"], aug["labels"])
    diff = np.abs(clean["images"].astype(int) - aug["images"].astype(int)).mean(axis=(1, 2))
    assert (diff > 1).mean() > 0.9  # nearly every image is shifted, blurred or noisy
    # some dice are pushed into the frame edge
    assert (aug["images"][:, :, 0].max(1) > 128).any()


def test_cli_same_arguments_same_bytes(tmp_path):
    a, b, c = tmp_path / "a.npz", tmp_path / "b.npz", tmp_path / "c.npz"
    for out, seed in ((a, "4"), (b, "4"), (c, "5")):
        run_script("dataset/make_dice.py", "--count", "300", "--seed", seed, "--augment", "--out", str(out),
                   check=True)
    assert a.read_bytes() == b.read_bytes()
    assert a.read_bytes() != c.read_bytes()
    with np.load(a) as z:
        assert sorted(z.files) == ["angles", "images", "labels"]
        assert z["images"].shape == (300, 32, 32)


def test_cli_preview(tmp_path):
    from PIL import Image
    run_script("dataset/make_dice.py", "--count", "70", "--out", str(tmp_path / "d.npz"),
               "--preview", str(tmp_path / "p.png"), check=True)
    img = Image.open(tmp_path / "p.png")
    assert img.size[0] > 8 * 96 and img.size[1] > 8 * 96


@pytest.mark.parametrize("args", [["--count", "0"], ["--count", "-3"], ["--size", "7"], ["--count", "ten"],
                                  ["--out", "/proc/gendie/x.npz"], ["--out", "/dev/null/x.npz"]])
def test_cli_bad_input_one_line_no_file(tmp_path, args):
    out = tmp_path / "d.npz"
    argv = ["--out", str(out), *args] if "--out" not in args else args
    proc = run_script("dataset/make_dice.py", *argv)
    assert_one_line_error(proc)
    assert not out.exists() and not list(tmp_path.iterdir())


def test_cli_error_keeps_existing_file(tmp_path):
    out = tmp_path / "d.npz"
    out.write_bytes(b"precious")
    assert_one_line_error(run_script("dataset/make_dice.py", "--out", str(out), "--count", "0"))
    assert out.read_bytes() == b"precious"
    assert [p.name for p in tmp_path.iterdir()] == ["d.npz"]
