"""Hostile input on every CLI: exit 2, one stderr line, no traceback, no file changed — decided before any work.

Each case runs in-process (tests/conftest.py `run_script`). The fuzz draws option values of every kind (huge and
negative integers, NaN, infinities, text, empty strings) with the CLI's expensive step replaced by a stub, so a
value the parser lets through reaches the stub (the CLI accepted it) and any other ends as a one-line error.
"""
from __future__ import annotations

import hashlib
import socket
import subprocess
from pathlib import Path

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, given, settings, strategies as st

from conftest import ROOT, run_script
from fixtures import make_checkpoint
from gendie.arch import DecoderConfig
from gendie.fileio import save_npz
from tests.test_firmware_build import make


def snapshot(*roots: Path) -> dict[str, str]:
    """Every file under the roots (or the file itself) -> sha256 of its bytes."""
    out = {}
    for r in roots:
        for p in ([r] if r.is_file() else sorted(r.rglob("*")) if r.exists() else []):
            if p.is_file():
                out[str(p)] = hashlib.sha256(p.read_bytes()).hexdigest()
    return out


def assert_refused(proc, before: dict, after: dict) -> None:
    lines = [l for l in proc.stderr.splitlines() if l.strip()]
    assert proc.returncode == 2, (proc.returncode, proc.stderr[-2000:])
    assert len(lines) == 1 and "Traceback" not in proc.stderr and ": error: " in lines[0], proc.stderr[-2000:]
    assert after == before, "a file was written, changed or removed"


@pytest.fixture(scope="module")
def files(tmp_path_factory, request) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("hostile")
    ckpt = make_checkpoint(d / "decoder.pt", DecoderConfig(2, 2, 2, 2, hires=0))
    nan = make_checkpoint(d / "nan.pt", DecoderConfig(2, 2, 2, 2, hires=0))
    sd = torch.load(nan, weights_only=True)
    sd["decoder"]["fc.weight"][0, 0] = float("nan")
    torch.save(sd, nan)
    (d / "empty.pt").write_bytes(b"")
    (d / "random.bin").write_bytes(np.random.default_rng(0).integers(0, 256, 4096, dtype=np.uint8).tobytes())
    (d / "folder").mkdir()
    (d / "a_file").write_text("not a folder")
    np.save(d / "array.npy", np.zeros(3))
    save_npz(d / "zero.npz", images=np.zeros((0, 32, 32), np.uint8))
    save_npz(d / "badshape.npz", images=np.zeros((4, 8, 8), np.uint8))
    (d / "cap.bin").write_bytes(b"\xd1\xce garbage")
    (d / "run").mkdir()
    (d / "bad_pinmap.json").write_bytes(b'{"boards": "\xff\xfe"}')
    (d / "site").mkdir()
    (d / "site" / "index.html").write_text("<p>die</p>")
    busy = socket.socket()
    busy.bind(("127.0.0.1", 0))
    busy.listen()
    request.addfinalizer(busy.close)
    elf = ROOT / "firmware" / "build" / "nano" / "firmware.elf"
    assert make("nano").returncode == 0
    subprocess.run(["avr-strip", "-o", str(d / "stripped.elf"), str(elf)], check=True)
    return {p.name: p for p in d.iterdir()} | {"dir": d, "busy_port": busy.getsockname()[1]}


def cases(f: dict[str, Path]) -> list[tuple[str, list[str]]]:
    d = f["dir"]
    return [
        # data loss: an output that is an input, or two outputs on one path
        ("host_tools/die_gen.py", ["--checkpoint", str(f["decoder.pt"]), "--out", str(f["decoder.pt"])]),
        ("host_tools/die_gen.py", ["--out", str(d / "x.npz"), "--preview", str(d / "x.npz")]),
        ("training/train_cvae.py", ["--qat", "--init", str(d / "run" / "decoder.pt"), "--out", str(d / "run")]),
        ("host_tools/frame_viewer.py", ["--file", str(f["cap.bin"]), "--record", str(f["cap.bin"]), "--force"]),
        ("training/train_eval_cnn.py", ["--out", str(d / "m.json")]),
        ("host_tools/gen_frame_files.py", ["--header", str(d / "x.h"), "--vectors", str(d / "x.h")]),
        ("dataset/make_dice.py", ["--out", str(d / "f.npz"), "--preview", str(d / "f.npz")]),
        # values the parser must refuse
        ("host_tools/frame_viewer.py", ["--file", str(f["cap.bin"]), "--timeout", "nan"]),
        ("dataset/make_dice.py", ["--seed", "-1", "--out", str(d / "f.npz")]),
        ("host_tools/die_gen.py", ["--seed", "-5", "--out", str(d / "f.npz")]),
        ("host_tools/die_gen.py", ["--angle", "nan", "--out", str(d / "f.npz")]),
        ("host_tools/die_gen.py", ["--angle", "inf", "--out", str(d / "f.npz")]),
        ("training/train_cvae.py", ["--lr", "nan", "--out", str(d / "r")]),
        ("training/train_cvae.py", ["--lr", "0", "--out", str(d / "r")]),
        ("dataset/make_dice.py", ["--count", "100000000000", "--out", str(d / "f.npz")]),
        ("dataset/make_dice.py", ["--count", "1000000", "--size", "256", "--out", str(d / "f.npz")]),
        ("host_tools/die_gen.py", ["--count", "100000000000", "--out", str(d / "f.npz")]),
        ("training/train_cvae.py", ["--epochs", "0", "--out", str(d / "r")]),
        ("training/train_cvae.py", ["--epochs", "-3", "--out", str(d / "r")]),
        ("training/train_cvae.py", ["--batch", "0", "--out", str(d / "r")]),
        ("training/train_cvae.py", ["--count", "10", "--batch", "20", "--out", str(d / "r")]),
        ("training/train_cvae.py", ["--eval-count", "0", "--out", str(d / "r")]),
        ("training/train_cvae.py", ["--device", "cuda", "--out", str(d / "r")]),
        ("training/train_cvae.py", ["--device", "tpu", "--out", str(d / "r")]),
        ("training/train_cvae.py", ["--harmonics", "two", "--out", str(d / "r")]),
        ("training/train_eval_cnn.py", ["--epochs", "0", "--out", str(d / "m.pt")]),
        ("bench/sweep.py", ["--workers", "0", "--out", str(d / "s")]),
        ("bench/sweep.py", ["--hires", "x", "--out", str(d / "s")]),
        ("host_tools/fake_die.py", ["--out", str(d / "c.bin"), "--rolls", "0"]),
        ("host_tools/fake_die.py", ["--out", str(d / "c.bin"), "--seed", "-1"]),
        # files of the wrong kind where a model or images are expected
        ("host_tools/die_gen.py", ["--checkpoint", str(f["nan.pt"]), "--out", str(d / "f.npz")]),
        ("host_tools/die_gen.py", ["--checkpoint", str(f["folder"]), "--out", str(d / "f.npz")]),
        ("host_tools/die_gen.py", ["--checkpoint", str(f["empty.pt"]), "--out", str(d / "f.npz")]),
        ("host_tools/die_gen.py", ["--checkpoint", str(f["random.bin"]), "--backend", "golden", "--out",
                                   str(d / "f.npz")]),
        ("training/evaluate.py", ["--images", str(f["folder"])]),
        ("training/evaluate.py", ["--images", str(f["random.bin"])]),
        ("training/evaluate.py", ["--images", str(f["array.npy"])]),
        ("training/evaluate.py", ["--images", str(f["zero.npz"])]),
        ("training/evaluate.py", ["--images", str(f["badshape.npz"])]),
        ("training/evaluate.py", ["--images", str(f["badshape.npz"]), "--model", str(f["random.bin"])]),
        ("training/train_cvae.py", ["--init", str(f["empty.pt"]), "--out", str(d / "r")]),
        # outputs that cannot be written, found before the work
        ("dataset/make_dice.py", ["--out", str(f["a_file"] / "sub" / "x.npz")]),
        ("dataset/make_dice.py", ["--out", str(f["folder"])]),
        ("host_tools/die_gen.py", ["--out", str(f["a_file"] / "x.npz")]),
        ("training/train_cvae.py", ["--out", str(f["a_file"])]),
        ("hardware/make_hardware.py", ["--pinmap", str(f["bad_pinmap.json"]), "--out", str(d / "hw")]),
        # the virtual die, the exporter and the benchmarks
        ("host_tools/virtual_die.py", ["--elf", str(f["random.bin"])]),
        ("host_tools/virtual_die.py", ["--elf", str(f["stripped.elf"]), "--no-display"]),
        ("host_tools/virtual_die.py", ["--no-display", "--png", str(d / "v.png")]),
        ("host_tools/virtual_die.py", ["--presses", "0"]),
        ("host_tools/virtual_die.py", ["--seed", "-1"]),
        ("host_tools/virtual_die.py", ["--board", "ch32v003", "--test-pattern"]),
        ("host_tools/virtual_die.py", ["--write-benchmarks", "--no-tumble"]),
        ("export/export_decoder.py", ["--checkpoint", str(f["decoder.pt"]), "--budget", "0", "--out", str(d / "m")]),
        ("export/export_decoder.py", ["--checkpoint", str(f["decoder.pt"]), "--budget", "40", "--out", str(d / "m")]),
        ("export/export_decoder.py", ["--checkpoint", str(f["nan.pt"]), "--out", str(d / "m")]),
        ("export/export_decoder.py", ["--checkpoint", str(f["decoder.pt"]), "--out", str(f["a_file"])]),
        ("bench/bench_decoder.py", ["--checkpoint", str(f["random.bin"])]),
        # make web PORT=... (the port goes to host_tools/serve_web.py)
        ("host_tools/serve_web.py", ["--port", "abc", "--dir", str(f["site"])]),
        ("host_tools/serve_web.py", ["--port", "70000", "--dir", str(f["site"])]),
        ("host_tools/serve_web.py", ["--port", "0", "--dir", str(f["site"])]),
        ("host_tools/serve_web.py", ["--port", str(f["busy_port"]), "--dir", str(f["site"])]),
        ("host_tools/serve_web.py", ["--dir", str(f["folder"])]),
        # unclear messages the user saw before
        ("host_tools/frame_viewer.py", ["--port", "socket://127.0.0.1:1?logging=loud"]),
    ]


def test_every_case_is_refused_in_one_line_and_changes_nothing(files):
    watched = [files["dir"], ROOT / "data", ROOT / "runs"]
    failures = []
    for script, args in cases(files):
        before = snapshot(*watched)
        proc = run_script(script, *args)
        try:
            assert_refused(proc, before, snapshot(*watched))
        except AssertionError as e:
            failures.append(f"{script} {' '.join(args)}: {e}")
    assert not failures, "\n".join(failures)


# ---- fuzz: option values of every kind ---------------------------------------------------------------------------

class Reached(Exception):
    """The CLI accepted its arguments and started the real work (stubbed out here)."""


def _stub(*_a, **_k):
    raise Reached


FUZZ = {  # script -> (the expensive step to stub, numeric options)
    "dataset/make_dice.py": ("dataset.make_dice.generate", ["--count", "--seed", "--size"]),
    "host_tools/die_gen.py": ("host_tools.die_gen.generate_faces", ["--count", "--seed", "--pips", "--angle"]),
    "training/train_cvae.py": ("training.train_cvae.train", ["--dim1", "--hires", "--latent", "--epochs", "--count",
                                                             "--batch", "--lr", "--beta", "--seed", "--eval-count",
                                                             "--threads"]),
    "training/train_eval_cnn.py": ("training.train_eval_cnn.training_set", ["--count", "--epochs", "--batch", "--lr",
                                                                             "--seed", "--eval-count"]),
    "bench/sweep.py": ("bench.sweep.ProcessPoolExecutor", ["--epochs", "--count", "--batch", "--eval-count",
                                                           "--workers", "--seed"]),
    "host_tools/fake_die.py": ("host_tools.fake_die.FakeDie", ["--rolls", "--seed"]),
    "host_tools/frame_viewer.py": ("host_tools.frame_viewer.replay_file", ["--baud", "--png-scale", "--count",
                                                                           "--timeout", "--pips"]),
    "host_tools/virtual_die.py": ("host_tools.virtual_die.build_firmware", ["--presses", "--seed", "--pips"]),
    "export/export_decoder.py": ("export.export_decoder.export", ["--budget"]),
}

VALUES = st.one_of(st.integers(-2 ** 70, 2 ** 70).map(str),
                   st.floats(allow_nan=True, allow_infinity=True).map(repr),
                   st.sampled_from(["nan", "inf", "-inf", "1e400", "0x10", " 5", "5.0", "", "0", "-0", "١٢"]),
                   st.text(max_size=8))


@pytest.mark.parametrize("script", sorted(FUZZ))
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_fuzz_option_values(script, data, files, monkeypatch):
    target, options = FUZZ[script]
    module, name = target.rsplit(".", 1)
    monkeypatch.setattr(__import__(module, fromlist=[name]), name, _stub)
    opt = data.draw(st.sampled_from(options))
    value = data.draw(VALUES)
    out = files["dir"] / "fuzz"
    base = {"host_tools/frame_viewer.py": ["--file", str(files["cap.bin"]), "--no-render"],
            "training/train_cvae.py": ["--out", str(out / "run")], "bench/sweep.py": ["--out", str(out / "sweep")],
            "training/train_eval_cnn.py": ["--out", str(out / "m.pt")], "host_tools/virtual_die.py": [],
            "export/export_decoder.py": ["--checkpoint", str(files["decoder.pt"]), "--out", str(out / "model")],
            }.get(script, ["--out", str(out / "f.npz")])
    before = snapshot(files["dir"])
    try:
        proc = run_script(script, *base, f"{opt}={value}")
    except Reached:
        return
    assert_refused(proc, before, snapshot(files["dir"]))


def _sigint_default():
    """In the child, before exec: SIGINT back to its default. A shell without job control starts background jobs
    with SIGINT ignored, and Python installs its KeyboardInterrupt handler only where SIGINT is not ignored: the
    Ctrl-C tests would then time out (as `pytest &` from a script did) though a user's Ctrl-C works."""
    import signal
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def test_ctrl_c_stops_the_sweep_at_once(tmp_path):
    """SIGINT while configs train: exit 130 long before the 24 configs could train (communicate's bound), one line,
    no traceback, no half-written csv."""
    import signal
    import subprocess
    import sys
    import time
    out = tmp_path / "sweep"
    proc = subprocess.Popen([sys.executable, str(ROOT / "bench" / "sweep.py"), "--quick", "--workers", "2",
                             "--epochs", "50", "--count", "256", "--batch", "32", "--eval-count", "6", "--out", str(out)],
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, preexec_fn=_sigint_default)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not out.exists() and proc.poll() is None:
        time.sleep(0.1)  # the run folder appears once the arguments are checked and the pool starts
    time.sleep(2)  # workers are training
    assert proc.poll() is None, proc.communicate()
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)  # the whole sweep would take many minutes
    lines = [l for l in err.splitlines() if l.strip() and not l.startswith("sweep:")]  # tqdm's bar is not an error
    assert proc.returncode == 130 and "Traceback" not in err and lines == ["sweep.py: interrupted"], err[-2000:]
    assert not (out / "sweep.csv").exists() and not list(out.glob(".*.tmp"))


def test_ctrl_c_while_a_script_still_imports_torch(tmp_path):
    import signal
    import subprocess
    import sys
    import time
    proc = subprocess.Popen([sys.executable, str(ROOT / "training" / "train_cvae.py"), "--out", str(tmp_path / "r")],
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, preexec_fn=_sigint_default)
    time.sleep(0.6)  # past interpreter start-up, inside the imports
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 130 and err == "train_cvae.py: interrupted\n", err[-2000:]
    assert not (tmp_path / "r").exists()


def test_the_web_server_serves_on_loopback_and_stops_on_ctrl_c(tmp_path):
    import signal
    import sys
    import time
    import urllib.request
    (tmp_path / "index.html").write_text("<p>GenDie</p>")
    with socket.socket() as probe:  # a free port on loopback
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    proc = subprocess.Popen([sys.executable, str(ROOT / "host_tools" / "serve_web.py"), "--port", str(port), "--dir",
                             str(tmp_path)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            preexec_fn=_sigint_default)
    try:
        assert proc.stdout.readline().strip().endswith(f"http://127.0.0.1:{port}/   (Ctrl-C stops the server)")
        body = None
        for _ in range(50):
            try:
                body = urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5).read()
                break
            except OSError:
                time.sleep(0.1)
        assert body == b"<p>GenDie</p>"
    finally:
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=30)
    assert proc.returncode == 130 and err == "serve_web.py: interrupted\n", err
