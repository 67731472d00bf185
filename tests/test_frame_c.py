"""The C frame encoder (firmware/src/frame_tx.c): bit-exact against docs/frame-vectors.json on the host
(with sanitizers) and on the ATmega328P under simavr, plus its RAM, flash and cycle budgets."""
from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from gendie import budgets
from gendie.device import board
from host_tools import frame_protocol as fp

ROOT = Path(__file__).resolve().parent.parent
SRC = ROOT / "firmware" / "src"
VECTORS = json.loads((ROOT / "docs" / "frame-vectors.json").read_text(encoding="utf-8"))["frames"]
CFLAGS = ["-std=c99", "-Wall", "-Wextra", "-Werror", "-pedantic", f"-I{SRC}"]
NANO = board("nano")
UART_CYCLES_PER_BYTE = NANO.f_cpu * 10 // NANO.baud  # 8N1: 10 bit times per byte


def _need(tool: str) -> str:
    path = shutil.which(tool)
    if path is None:
        pytest.skip(f"{tool} not installed (see .ci/bootstrap)")
    return path


@pytest.fixture(scope="module")
def host_driver(tmp_path_factory) -> Path:
    _need("gcc")
    exe = tmp_path_factory.mktemp("frame_c") / "driver"
    subprocess.run(["gcc", *CFLAGS, "-fsanitize=address,undefined", "-fno-sanitize-recover=all",
                    str(SRC / "frame_tx.c"), str(SRC / "frame_boot.c"),
                    str(ROOT / "tests" / "c" / "frame_tx_driver.c"), "-o", str(exe)],
                   check=True, capture_output=True)
    return exe


def _run(exe: Path, commands: list[str]) -> list[str]:
    r = subprocess.run([str(exe)], input="\n".join(commands) + "\n", capture_output=True, text=True, check=True)
    return r.stdout.split("\n")[:len(commands)]


def _command(v: dict) -> str:
    f = v["fields"]
    if v["type"] == "ROLL":
        return f"R {f['pips']} {f['angle_code']} {f['flags']} {f['roll']} {f['cycles']}"
    if v["type"] == "FACE":
        return f"F {f['roll']} {f['pixels']}"
    if v["type"] == "DISPLAY":
        return f"D {f['page']} {f['col']} {f['data']}"
    if v["type"] == "LOG":
        return "L " + f["text"].encode().hex()
    if v["type"] == "BOOT":
        return "B " + " ".join(str(f[k]) for k in ("f_cpu", "baud", "vcc_mv", "reset", "mode", "tumble_frames",
                                                    "tumble_spin", "tumble_slowdown", "model_hash", "board", "model"))
    return f"X {v['type_code']} {f['payload']}"


def test_host_encoder_matches_vectors(host_driver):
    # One seq set, then the encoder's own counter must produce the following (wrapping) numbers.
    out = _run(host_driver, [f"S {VECTORS[0]['seq']}"] + [_command(v) for v in VECTORS])
    assert out[0] == ""
    for v, line in zip(VECTORS, out[1:]):
        assert line == v["hex"], v["name"]


def test_length_mismatch_keeps_the_stream_in_sync(host_driver):
    log = fp.encode_frame(fp.FrameType.LOG, 3, b"after").hex()
    out = _run(host_driver, ["S 0", "M 1 11 010203", "M 4 2 6162636465", "M 9 3000 ", "L 6166746572"])
    frames = [bytes.fromhex(line.split(" rc=")[0]) for line in out[1:]]
    assert [line.endswith(" rc=-1") for line in out[1:4]] == [True] * 3
    assert len(frames[0]) == fp.HEADER_LEN + 11 + fp.TRAILER_LEN  # short payload padded to the announced length
    assert len(frames[1]) == fp.HEADER_LEN + 2 + fp.TRAILER_LEN  # excess bytes dropped
    assert len(frames[2]) == fp.HEADER_LEN + fp.MAX_PAYLOAD + fp.TRAILER_LEN  # clamped
    assert out[4] == log
    got, stats = fp.decode_all(b"".join(frames))
    assert [f.seq for f in got] == [3] and stats.crc_errors == 3  # the botched frames are rejected, not misread


def _avr_elf(tmp_path: Path) -> Path:
    _need("avr-gcc")
    elf = tmp_path / "driver.elf"
    subprocess.run(["avr-gcc", *CFLAGS, "-mmcu=atmega328p", "-Os", str(SRC / "frame_tx.c"),
                    str(SRC / "frame_boot.c"), str(ROOT / "tests" / "c" / "frame_tx_avr_driver.c"), "-o", str(elf)],
                   check=True, capture_output=True)
    return elf


def test_avr_encoder_matches_vectors_and_cycle_budget(tmp_path):
    elf = _avr_elf(tmp_path)
    _need("simavr")
    r = subprocess.run(["simavr", "-m", "atmega328p", "-f", str(NANO.f_cpu), str(elf)],
                       capture_output=True, text=True, timeout=60)
    # simavr prints UART lines on stderr, coloured, wrapped at 256 columns, with '.' for the newline byte.
    text = re.sub(r"\x1b\[[0-9;]*m", "", r.stderr).replace("\n", "")
    lines = [s for s in text.split(".") if s]
    assert lines[:len(VECTORS)] == [v["hex"] for v in VECTORS]
    cycles = int(lines[len(VECTORS)][1:], 16)
    face_bytes = fp.HEADER_LEN + fp.FACE_LEN + fp.TRAILER_LEN
    # Budget: the encoder's own work stays under 5% of the time the UART needs for the same bytes.
    assert cycles < face_bytes * UART_CYCLES_PER_BYTE * 5 // 100, cycles
    print(f"AVR FACE frame encode: {cycles} cycles ({cycles / face_bytes:.1f}/byte)")


def test_avr_ram_and_flash_budget(tmp_path):
    _need("avr-gcc")
    obj = tmp_path / "frame_tx.o"
    subprocess.run(["avr-gcc", *CFLAGS, "-mmcu=atmega328p", "-Os", "-c", str(SRC / "frame_tx.c"), "-o", str(obj)],
                   check=True, capture_output=True)
    size = subprocess.run([_need("avr-size"), str(obj)], capture_output=True, text=True, check=True).stdout
    text, data, bss = (int(x) for x in size.splitlines()[1].split()[:3])
    print(f"AVR frame_tx.o: text {text} B, data {data} B, bss {bss} B")
    assert data + bss <= 8  # O(1) state: seq, running CRC, bytes owed, error flag
    assert text + data <= budgets.FRAME_TX_FLASH_BYTES


def test_compiles_for_ch32v003(tmp_path):
    _need("riscv64-unknown-elf-gcc")
    subprocess.run(["riscv64-unknown-elf-gcc", *CFLAGS, "-march=rv32ec", "-mabi=ilp32e", "-Os", "-ffreestanding",
                    "-c", str(SRC / "frame_tx.c"), "-o", str(tmp_path / "frame_tx.o")],
                   check=True, capture_output=True)
