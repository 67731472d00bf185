"""host_tools/die_gen.py: one face list for every backend, the npz schema, backends agreeing bit for bit."""
from __future__ import annotations

import numpy as np
import pytest

from conftest import ROOT, assert_one_line_error, run_script
from gendie.device import face_list

DEFAULT = ROOT / "models" / "decoder.pt"


def _faces(tmp_path, backend: str, *args: str) -> dict:
    out = tmp_path / f"{backend}.npz"
    run_script("host_tools/die_gen.py", "--backend", backend, "--out", str(out), *args, check=True)
    with np.load(out) as z:
        return {k: z[k] for k in z.files}


def test_golden_and_host_c_are_bit_exact_and_close_to_float(tmp_path):
    golden = _faces(tmp_path, "golden", "--count", "48", "--seed", "9")
    host_c = _faces(tmp_path, "host-c", "--count", "48", "--seed", "9")
    flt = _faces(tmp_path, "float", "--count", "48", "--seed", "9")
    assert np.array_equal(golden["images"], host_c["images"])
    for k in ("labels", "codes", "angles"):
        assert np.array_equal(golden[k], host_c[k]) and np.array_equal(golden[k], flt[k])
    # int8 vs float: same faces up to quantisation noise (mean absolute grey difference, 0..255 scale)
    assert np.abs(golden["images"].astype(int) - flt["images"].astype(int)).mean() < 8


def test_angle_golden_and_host_c_are_bit_exact(tmp_path):
    """The angle-conditioned decoder (models/decoder_angle.pt, the build `make -C firmware nano MODEL=angle`): the code
    byte is the die's angle, through the same condition table; host C equals golden face for face (simavr:
    test_virtual_die)."""
    ckpt = ("--checkpoint", str(ROOT / "models" / "decoder_angle.pt"), "--count", "24", "--seed", "12")
    golden, host_c = _faces(tmp_path, "golden", *ckpt), _faces(tmp_path, "host-c", *ckpt)
    assert np.array_equal(golden["images"], host_c["images"]) and np.array_equal(golden["codes"], host_c["codes"])
    assert len({g.tobytes() for g in golden["images"]}) == 24  # 24 different faces, not one blank


def test_die_gen_float_schema_and_seed(tmp_path):
    a, b = tmp_path / "a.npz", tmp_path / "b.npz"
    run_script("host_tools/die_gen.py", "--backend", "float", "--count", "12", "--seed", "5", "--out", str(a),
               check=True)
    run_script("host_tools/die_gen.py", "--count", "12", "--seed", "5", "--out", str(b), "--pips", "3",
               "--angle", "90", check=True)
    with np.load(a) as za, np.load(b) as zb:
        assert za["images"].shape == (12, 32, 32) and za["images"].dtype == np.uint8
        p, c = face_list(12, seed=5)
        assert np.array_equal(za["labels"], p) and np.array_equal(za["codes"], c)
        assert np.allclose(za["angles"], c.astype(float) * 360 / 256)
        assert (zb["labels"] == 3).all() and (zb["codes"] == 64).all()


@pytest.mark.parametrize("args", [["--checkpoint", "/nonexistent.pt"], ["--count", "0"], ["--pips", "7"],
                                  ["--backend", "quantum"], ["--checkpoint", "README.md"]])
def test_die_gen_bad_input_one_line(tmp_path, args):
    proc = run_script("host_tools/die_gen.py", "--out", str(tmp_path / "f.npz"), *args)
    assert_one_line_error(proc)
    assert not (tmp_path / "f.npz").exists()
