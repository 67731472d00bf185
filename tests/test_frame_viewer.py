"""frame_viewer.py: replay, --json schema, PNGs, fairness statistics, live over loop:// and a pty, bad input."""
from __future__ import annotations

import hashlib
import json
import math
import os
import re
import subprocess
import sys
import threading
import time
import tty
from pathlib import Path

import numpy as np
import pytest
import serial
from PIL import Image

from conftest import run_script
from host_tools import frame_protocol as fp
from host_tools import frame_viewer, viewer_display, viewer_session
from host_tools.fairness import Tally, chi2_sf
from host_tools.fake_die import FakeDie

ROOT = Path(__file__).resolve().parent.parent
VIEWER = [sys.executable, str(ROOT / "host_tools" / "frame_viewer.py")]
KEYS = {"type", "type_code", "version", "seq", "len", "sha256", "pips", "angle_code", "latent_code", "roll",
        "cycles", "forced", "text", "page", "col"}


def _viewer(*args: str, **kw) -> subprocess.CompletedProcess:
    """The viewer in-process; with `env`, as a real subprocess."""
    if kw:
        return subprocess.run([*VIEWER, *args], capture_output=True, text=True, timeout=60, **kw)
    return run_script("host_tools/frame_viewer.py", *args)


def _damaged_capture(rolls: int = 12) -> tuple[bytes, list[bytes]]:
    """A capture with garbage, a flipped bit and a cut frame; returns it and the frames that survive intact."""
    die = FakeDie(seed=3)
    frames = [die.log("boot")] + [f for _ in range(rolls) for f in _split(die.roll())]
    frames.append(fp.encode_frame(0x7E, die.seq, b"from a newer firmware"))
    data, intact = b"\xff\x00garbage\xd1", []
    for i, f in enumerate(frames):
        if i == 4:
            f = f[:5] + bytes([f[5] ^ 0x01]) + f[6:]
        elif i == 7:
            f = f[:len(f) // 2]
        else:
            intact.append(f)
        data += f
    return data + b"\xd1\xce\x01", intact


def _split(data: bytes) -> list[bytes]:
    out = []
    while data:
        n = fp.HEADER_LEN + int.from_bytes(data[6:8], "little") + fp.TRAILER_LEN
        out.append(data[:n])
        data = data[n:]
    return out


def _expected_json(frame_bytes: bytes) -> dict:
    (f,), _ = fp.decode_all(frame_bytes)
    return viewer_session.frame_json(f, f.fields())


# --- fairness statistics -------------------------------------------------------------------------------

@pytest.mark.parametrize("x", [0.1, 1.0, 4.35, 11.0705, 15.0863, 40.0, 120.0])
def test_chi2_sf_matches_closed_forms(x):
    # Odd degrees of freedom have closed forms in erfc; df=5 is the die's case.
    q1 = math.erfc(math.sqrt(x / 2))
    q5 = q1 + math.sqrt(2 * x / math.pi) * math.exp(-x / 2) * (1 + x / 3)
    assert chi2_sf(x, 1) == pytest.approx(q1, rel=1e-9, abs=1e-300)
    assert chi2_sf(x, 5) == pytest.approx(q5, rel=1e-9, abs=1e-300)
    assert chi2_sf(x, 2) == pytest.approx(math.exp(-x / 2), rel=1e-9, abs=1e-300)


def test_chi2_sf_table_values():
    # Published critical values of the chi-square distribution with 5 degrees of freedom.
    assert chi2_sf(11.0705, 5) == pytest.approx(0.05, abs=1e-5)
    assert chi2_sf(15.0863, 5) == pytest.approx(0.01, abs=1e-5)
    assert chi2_sf(0.0, 5) == 1.0


def test_tally_verdicts():
    t = Tally()
    for p in range(1, 7):
        for _ in range(10):
            t.add(p)
    assert t.chi2() == (0.0, 1.0) and "consistent with a fair die" in t.verdict()
    loaded = Tally()
    for p in [6] * 30 + [1, 2, 3, 4, 5] * 6:
        loaded.add(p)
    assert loaded.chi2()[1] < 0.01 and "BIASED" in loaded.verdict()
    few = Tally()
    few.add(6)
    assert "too few" in few.verdict()


# --- rendering -------------------------------------------------------------------------------------------

@pytest.mark.parametrize("color", ["truecolor", "256", "none"])
@pytest.mark.parametrize("scale", [1, 2])
def test_render_face_geometry(color, scale):
    pixels = bytes((x * 8) & 0xFF for y in range(32) for x in range(32))
    lines = viewer_display.render_face(pixels, scale, color).splitlines()
    plain = [re.sub(r"\x1b\[[0-9;]*m", "", line) for line in lines]
    assert len(lines) == 32 * scale // 2
    assert all(len(p) == 32 * scale for p in plain)
    if color == "truecolor":
        assert "\x1b[38;2;248;248;248m" in lines[0]  # the brightest column, exactly
    if color != "none":
        assert set("".join(plain)) <= {"\u2580", "\u2588"}


# --- replay, --json, --save ------------------------------------------------------------------------------

def test_file_replay_json_is_exactly_the_intact_frames(tmp_path):
    data, intact = _damaged_capture()
    dump = tmp_path / "dump.bin"
    dump.write_bytes(data)
    r = _viewer("--file", str(dump), "--json")
    assert r.returncode == 0, r.stderr
    got = [json.loads(line) for line in r.stdout.splitlines()]  # every stdout line is JSON
    assert got == [_expected_json(f) for f in intact]
    for obj, raw in zip(got, intact):
        assert set(obj) == KEYS
        assert obj["sha256"] == hashlib.sha256(raw[fp.HEADER_LEN:-fp.TRAILER_LEN]).hexdigest()
        assert (obj["pips"] is None) == (obj["type"] != "ROLL")
    assert got[-1]["type"] == "UNKNOWN" and got[-1]["type_code"] == 0x7E
    summary = r.stderr.strip().splitlines()[-1]
    assert summary.startswith(f"frames ok {len(intact)} / crc errors ")
    assert "Traceback" not in r.stderr
    # Same answer whatever the chunking: the replay is independent of arrival.
    assert _viewer("--file", str(dump), "--json").stdout == r.stdout


def test_file_replay_terminal_output_tally_and_pngs(tmp_path):
    die = FakeDie(seed=5)
    rolls = [die.roll() for _ in range(8)]
    dump = tmp_path / "dump.bin"
    dump.write_bytes(b"".join(rolls))
    r = _viewer("--file", str(dump), "--save", str(tmp_path / "png"), "--png-scale", "2", "--color", "truecolor")
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert sum(x.startswith("roll #") for x in lines) == 8 and sum(x.startswith("face of roll #") for x in lines) == 8
    assert "\u2588" in r.stdout and "tally " in r.stdout.splitlines()[-1]
    pngs = sorted((tmp_path / "png").glob("*.png"))
    assert len(pngs) == 8
    for png, roll in zip(pngs, rolls):
        face_frame, roll_frame = _split(roll)
        (face,), _ = fp.decode_all(face_frame)
        (meta,), _ = fp.decode_all(roll_frame)
        assert png.name == f"roll{face.fields()['roll']:06d}_p{meta.fields()['pips']}.png"
        img = np.asarray(Image.open(png))
        assert img.shape == (64, 64)
        assert img[::2, ::2].tobytes() == face.fields()["pixels"]


def test_forced_rolls_are_not_tallied(tmp_path):
    die = FakeDie(seed=1)
    dump = tmp_path / "dump.bin"
    dump.write_bytes(die.roll(6) + die.roll(6) + die.roll())
    r = _viewer("--file", str(dump), "--json")
    rolls = [json.loads(line) for line in r.stdout.splitlines() if '"ROLL"' in line]
    assert [x["forced"] for x in rolls] == [True, True, False]
    assert " n=1 " in r.stderr  # with --json the tally goes to stderr


def test_show_with_a_non_interactive_backend(tmp_path):
    dump = tmp_path / "dump.bin"
    dump.write_bytes(FakeDie().roll())
    r = _viewer("--file", str(dump), "--show", "--no-render", env={**os.environ, "MPLBACKEND": "Agg"})
    assert r.returncode == 0 and "Traceback" not in r.stderr


def test_help():
    r = run_script("host_tools/frame_viewer.py", "--help", subprocess_run=True)
    assert r.returncode == 0 and "--port" in r.stdout and "--json" in r.stdout


@pytest.mark.parametrize("args", [["--file", "/nonexistent/dump.bin"], ["--port", "/dev/nonexistent-gendie"],
                                  ["--port", "bogus://x"], ["--file", "x", "--port", "y"], ["--file", "x", "--roll"]])
def test_bad_input_exits_2_with_one_line(args):
    r = _viewer(*args)
    assert r.returncode == 2
    assert "Traceback" not in r.stderr and r.stderr.strip().splitlines()[-1].startswith(("error:", "usage:",
                                                                                          "frame_viewer.py: error"))


def test_record_never_overwrites(tmp_path):
    dump, rec = tmp_path / "dump.bin", tmp_path / "rec.bin"
    dump.write_bytes(FakeDie().roll())
    rec.write_bytes(b"precious")
    r = _viewer("--file", str(dump), "--record", str(rec))
    assert r.returncode == 2 and len(r.stderr.strip().splitlines()) == 1 and rec.read_bytes() == b"precious"


# --- live ------------------------------------------------------------------------------------------------

def test_live_over_loop_url(capsys):
    port = serial.serial_for_url("loop://", timeout=0.05)
    data, intact = _damaged_capture(rolls=3)

    def device() -> None:  # dribble the bytes in as a UART would
        for i in range(0, len(data), 97):
            port.write(data[i:i + 97])
            time.sleep(0.002)

    t = threading.Thread(target=device)
    t.start()
    rc = frame_viewer.main(["--port", "loop://", "--json", "--timeout", "1"], ser=port)
    t.join()
    out = capsys.readouterr().out
    assert rc == 0
    assert [json.loads(line) for line in out.splitlines()] == [_expected_json(f) for f in intact]


def _fake_device_on_pty(master: int, stop: threading.Event, sent: bytearray) -> None:
    die = FakeDie(seed=9)
    os.set_blocking(master, False)
    while not stop.is_set():
        try:
            cmd = os.read(master, 64)
        except BlockingIOError:
            time.sleep(0.005)
            continue
        except OSError:
            return
        out = b"\x00noise" + die.command(cmd)
        sent += out
        for i in range(0, len(out), 256):  # write in pieces; the pty buffer is small
            while True:
                try:
                    os.write(master, out[i:i + 256])
                    break
                except BlockingIOError:
                    time.sleep(0.002)


@pytest.mark.parametrize("extra", [[], ["--pips", "5"]])
def test_live_remote_rolls_over_a_pty(tmp_path, extra):
    master, slave = os.openpty()
    tty.setraw(slave)
    stop, sent = threading.Event(), bytearray()
    t = threading.Thread(target=_fake_device_on_pty, args=(master, stop, sent))
    t.start()
    rec = tmp_path / "rec.bin"
    try:
        r = _viewer("--port", os.ttyname(slave), "--roll", "--count", "3", "--timeout", "20", "--json",
                    "--record", str(rec), *extra)
    finally:
        stop.set()
        t.join()
        os.close(master)
        os.close(slave)
    assert r.returncode == 0, r.stderr
    got = [json.loads(line) for line in r.stdout.splitlines()]
    rolls = [g for g in got if g["type"] == "ROLL"]
    assert [g["roll"] for g in rolls] == [1, 2, 3]
    assert [g["roll"] for g in got if g["type"] == "FACE"] == [1, 2, 3]
    if extra:
        assert all(g["pips"] == 5 and g["forced"] for g in rolls)
    assert rec.read_bytes() == bytes(sent)
    assert "garbage bytes 18" in r.stderr.splitlines()[-1]  # 3 x "\x00noise"


def test_roll_without_an_answer_times_out_with_status_1():
    master, slave = os.openpty()
    tty.setraw(slave)
    try:
        r = _viewer("--port", os.ttyname(slave), "--roll", "--timeout", "0.3")
    finally:
        os.close(master)
        os.close(slave)
    assert r.returncode == 1 and "no ROLL frame" in r.stderr and "Traceback" not in r.stderr
