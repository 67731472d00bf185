"""Firmware builds: -Werror clean, within the flash budget, and platformio.ini in step with firmware/Makefile."""
from __future__ import annotations

import fnmatch
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FW = ROOT / "firmware"
FLASH_BUDGET = 20 * 1024
HAS_DECODER = any((FW / "src" / "model").glob("*.c"))


def make(*targets: str) -> subprocess.CompletedProcess:
    return subprocess.run(["make", "-s", "-C", str(FW), *targets], capture_output=True, text=True)


def avr_size(elf: Path) -> dict[str, int]:
    out = subprocess.run(["avr-size", "-A", str(elf)], capture_output=True, text=True, check=True).stdout
    return {p[0]: int(p[1]) for p in (l.split() for l in out.splitlines()) if len(p) >= 2 and p[1].isdigit()}


def make_config() -> dict[str, str]:
    out = make("print-config")
    assert out.returncode == 0, out.stderr
    return dict(line.split("=", 1) for line in out.stdout.splitlines())


@pytest.mark.parametrize("variant", ["nano-testpattern",
                                     pytest.param("nano", marks=pytest.mark.skipif(not HAS_DECODER, reason="no decoder generated yet")),
                                     pytest.param("uno", marks=pytest.mark.skipif(not HAS_DECODER, reason="no decoder generated yet"))])
def test_builds_with_werror_within_flash_budget(variant):
    r = make(variant)
    assert r.returncode == 0, r.stderr
    assert "-Werror" in make_config()["CFLAGS"]
    s = avr_size(FW / "build" / variant / "firmware.elf")
    assert s[".text"] + s.get(".data", 0) <= FLASH_BUDGET


@pytest.mark.skipif(HAS_DECODER, reason="the decoder exists")
def test_default_build_asks_for_the_decoder():
    r = make("nano")
    assert r.returncode != 0
    assert "export/export_decoder.py" in r.stderr and "nano-testpattern" in r.stderr


def pio_config() -> dict[str, dict]:
    pio = shutil.which("pio", path=str(Path(sys.executable).parent)) or shutil.which("pio")
    if not pio:
        pytest.skip("platformio not installed")
    # Offline: this only parses the ini (unlike `pio run`, which would download the toolchain).
    env = dict(os.environ, PLATFORMIO_NO_ANSI="true")
    out = subprocess.run([pio, "project", "config", "--json-output"], cwd=FW, capture_output=True, text=True,
                         timeout=120, env=env)
    assert out.returncode == 0, out.stderr
    return {sec: dict(items) for sec, items in json.loads(out.stdout)}


def split(values) -> list[str]:
    return [tok for v in (values if isinstance(values, list) else [values]) for tok in str(v).split()]


def src_filter(patterns) -> list[str]:
    """PlatformIO's +<glob>/-<glob> filter applied to the source files (C and assembly) under firmware/src."""
    files = sorted(str(p.relative_to(FW / "src")) for ext in ("*.c", "*.S") for p in (FW / "src").rglob(ext))
    chosen: set[str] = set()
    for sign, pat in re.findall(r"([+-])<([^>]*)>", " ".join(split(patterns))):
        hits = {f for f in files if fnmatch.fnmatch(f, pat) and ("/" in pat or "/" not in f)}
        chosen = chosen | hits if sign == "+" else chosen - hits
    return sorted(f"src/{f}" for f in chosen)


def test_platformio_ini_matches_makefile():
    ini, mk = pio_config(), make_config()
    assert ini["platformio"]["default_envs"] == ["nano"]
    for env, board in (("nano", "nanoatmega328new"), ("uno", "uno")):
        e = ini[f"env:{env}"]
        assert e["board"] == board and e["platform"] == "atmelavr" and e["upload_protocol"] == "arduino"
        assert "framework" not in e
        assert e["board_build.mcu"] == mk["MCU"]
        assert int(str(e["board_build.f_cpu"]).rstrip("UL")) == int(mk["F_CPU"].rstrip("UL"))
        flags = split(e["build_flags"])
        assert [f for f in flags if f.startswith("-D")] == mk[f"DEFINES_{env}"].split()
        assert [f for f in flags if not f.startswith("-D")] == \
            (mk["CFLAGS"] + " " + mk["LDFLAGS"] + " " + mk["INCLUDES"]).split()
        # PlatformIO would otherwise add its own -std=gnu11 and LTO on top of ours.
        assert {"-std=gnu11", "-flto"} <= set(split(e["build_unflags"]))
        assert src_filter(e["build_src_filter"]) == sorted(mk["SOURCES"].split())
