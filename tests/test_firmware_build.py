"""Firmware builds: -Werror clean, within the flash budget, and platformio.ini in step with firmware/Makefile.
(The CH32V003 build's own budgets and its simulation: tests/test_ch32v003.py.)"""
from __future__ import annotations

import fnmatch
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from gendie.fileio import build_lock

ROOT = Path(__file__).resolve().parents[1]
FW = ROOT / "firmware"
FLASH_BUDGET = 20 * 1024
HAS_DECODER = any((FW / "src" / "model").glob("*.c"))


def make(*targets: str) -> subprocess.CompletedProcess:
    with build_lock(FW / "build"):  # the suite's parallel workers build the same variants
        return subprocess.run(["make", "-s", "-C", str(FW), *targets], capture_output=True, text=True)


def avr_size(elf: Path) -> dict[str, int]:
    out = subprocess.run(["avr-size", "-A", str(elf)], capture_output=True, text=True, check=True).stdout
    return {p[0]: int(p[1]) for p in (l.split() for l in out.splitlines()) if len(p) >= 2 and p[1].isdigit()}


def make_config(*args: str) -> dict[str, str]:
    out = make("print-config", *args)
    assert out.returncode == 0, out.stderr
    return dict(line.split("=", 1) for line in out.stdout.splitlines())


HAS_ANGLE = any((FW / "src" / "model_angle").glob("*.c"))


@pytest.mark.parametrize("variant", ["nano-testpattern",
                                     pytest.param("nano", marks=pytest.mark.skipif(not HAS_DECODER, reason="no decoder generated yet")),
                                     pytest.param("uno", marks=pytest.mark.skipif(not HAS_DECODER, reason="no decoder generated yet")),
                                     pytest.param("nano MODEL=angle", marks=pytest.mark.skipif(
                                         not HAS_ANGLE, reason="no angle decoder in src/model_angle"))])
def test_builds_with_werror_within_flash_budget(variant):
    """Every build, the angle-conditioned one (make nano MODEL=angle -> build/nano-angle/) included. Its SRAM (static + peak
    stack) is measured in simavr: tests/test_virtual_die.py."""
    r = make(*variant.split())
    assert r.returncode == 0, r.stderr
    assert "-Werror" in make_config()["CFLAGS"]
    target, _, model = variant.partition(" MODEL=")
    s = avr_size(FW / "build" / (f"{target}-{model}" if model else target) / "firmware.elf")
    assert s[".text"] + s.get(".data", 0) <= FLASH_BUDGET


def test_model_option_keeps_its_own_build_and_refuses_unknown_models():
    """MODEL=angle compiles src/model_angle/ instead of src/model/ (never both), and an unknown MODEL is an error,
    not the default model under another name."""
    out = make("-n", "nano", "MODEL=angle", "-B")
    assert out.returncode == 0, out.stderr
    cc = [l for l in out.stdout.splitlines() if l.startswith("avr-gcc")]
    assert len(cc) == 1 and "src/model_angle/decoder_model.c" in cc[0] and "src/model/" not in cc[0]
    assert "-Isrc/model_angle" in cc[0] and "-o build/nano-angle/firmware.elf" in cc[0]
    bad = make("nano", "MODEL=nosuch")
    assert bad.returncode != 0 and "MODEL=nosuch" in bad.stderr and "export_decoder.py" in bad.stderr


def test_default_build_asks_for_the_decoder(tmp_path):
    """A fresh checkout before its first export (a copy of firmware/ without the generated decoder): one error line
    naming the export command and the test stand-in, no compiler noise."""
    fw = tmp_path / "firmware"
    shutil.copytree(FW, fw, ignore=shutil.ignore_patterns("build", "decoder_model.c"))
    r = subprocess.run(["make", "-s", "-C", str(fw), "nano"], capture_output=True, text=True)
    assert r.returncode != 0
    assert "export/export_decoder.py" in r.stderr and "nano-testpattern" in r.stderr
    assert not (fw / "build" / "nano" / "firmware.elf").exists()


def pio_config() -> dict[str, dict]:
    pio = shutil.which("pio", path=str(Path(sys.executable).parent)) or shutil.which("pio")
    if not pio:
        pytest.skip("platformio not installed")
    # Offline: this only parses the ini (unlike `pio run`, which would download the toolchain). No telemetry,
    # and a throw-away core dir so nothing is written to the user's ~/.platformio.
    with tempfile.TemporaryDirectory() as core:
        env = dict(os.environ, PLATFORMIO_NO_ANSI="true", PLATFORMIO_SETTING_ENABLE_TELEMETRY="no",
                   PLATFORMIO_CORE_DIR=core)
        out = subprocess.run([pio, "project", "config", "--json-output"], cwd=FW, capture_output=True, text=True,
                             timeout=120, env=env)
    assert out.returncode == 0, out.stderr
    return {sec: dict(items) for sec, items in json.loads(out.stdout)}


def split(values) -> list[str]:
    return [tok for v in (values if isinstance(values, list) else [values]) for tok in str(v).split()]


def src_filter(patterns) -> list[str]:
    """PlatformIO's +<glob>/-<glob> filter applied to the files under firmware/src."""
    files = sorted(str(p.relative_to(FW / "src")) for p in (FW / "src").rglob("*") if p.suffix in (".c", ".S"))
    chosen: set[str] = set()
    for sign, pat in re.findall(r"([+-])<([^>]*)>", " ".join(split(patterns))):
        hits = {f for f in files if fnmatch.fnmatch(f, pat) and ("/" in pat or "/" not in f)}
        chosen = chosen | hits if sign == "+" else chosen - hits
    return sorted(f"src/{f}" for f in chosen)


def test_platformio_ini_matches_makefile():
    ini = pio_config()
    assert ini["platformio"]["default_envs"] == ["nano"]
    for env, board in (("nano", "nanoatmega328new"), ("nanoatmega328", "nanoatmega328"), ("uno", "uno"),
                       ("nano_angle", "nanoatmega328new")):
        mk = make_config("MODEL=angle") if env == "nano_angle" else make_config()  # make ... MODEL=angle
        e = ini[f"env:{env}"]
        assert e["board"] == board and e["platform"] == "atmelavr" and e["upload_protocol"] == "arduino"
        assert "framework" not in e
        assert e["board_build.mcu"] == mk["MCU"]
        assert int(str(e["board_build.f_cpu"]).rstrip("UL")) == int(mk["F_CPU"].rstrip("UL"))
        flags = split(e["build_flags"])
        assert [f for f in flags if f.startswith("-D")] == mk[f"DEFINES_{'uno' if env == 'uno' else 'nano'}"].split()
        assert [f for f in flags if not f.startswith("-D")] == \
            (mk["CFLAGS"] + " " + mk["LDFLAGS"] + " " + mk["INCLUDES"]).split()
        # PlatformIO would otherwise add its own -std=gnu11 and LTO on top of ours.
        assert {"-std=gnu11", "-flto"} <= set(split(e["build_unflags"]))
        # The same files, linked in the same (sorted) order.
        assert src_filter(e["build_src_filter"]) == mk["SOURCES"].split() == sorted(mk["SOURCES"].split())
    assert int(ini["env:nanoatmega328"]["upload_speed"]) == 57600  # the old bootloader's rate


PORTABLE = sorted(p.name for p in (FW / "src").glob("*.c") if not p.name.startswith("hal_") and p.name != "test_pattern.c")


@pytest.mark.parametrize("src", PORTABLE)
def test_portable_sources_are_warning_free_on_host_gcc(src, tmp_path):
    """PlatformIO builds with its own avr-gcc 7.3, CI with Debian's 5.4: 7.3 cannot be installed here, so newer
    warnings are caught by host GCC with the same -Wall -Wextra -Werror (every file but the AVR board file); the
    RISC-V compiler checks they stay portable to the CH32V003."""
    flags = ["-std=c99", "-Os", "-Wall", "-Wextra", "-Werror", "-Iinclude", "-Isrc", "-Isrc/model", "-c", f"src/{src}"]
    builds = [["gcc", "-DF_CPU=16000000UL", "-DBOARD_NANO"]]
    if shutil.which("riscv64-unknown-elf-gcc"):
        builds.append(["riscv64-unknown-elf-gcc", "-march=rv32ec", "-mabi=ilp32e", "-ffreestanding",
                       "-DF_CPU=48000000UL", "-DBOARD_CH32V003"])
    for cc in builds:
        r = subprocess.run([*cc, *flags, "-o", str(tmp_path / "x.o")], cwd=FW, capture_output=True, text=True)
        assert r.returncode == 0, (cc[0], r.stderr)


def test_deep_sleep_turns_the_brown_out_detector_off_in_time():
    """BODS holds for 3 cycles (ATmega328P datasheet 10.11.2): the MCUCR write that sets it must come at most two
    instructions before `sleep` (here: `sei`, which itself delays interrupts by one instruction)."""
    if not any((FW / "build" / "nano-testpattern").glob("firmware.elf")):
        assert make("nano-testpattern").returncode == 0
    dis = subprocess.run(["avr-objdump", "-d", str(FW / "build" / "nano-testpattern" / "firmware.elf")],
                         capture_output=True, text=True, check=True).stdout
    body = dis.split("<hal_sleep>:")[1].split("\n\n")[0].splitlines()
    ops = [" ".join(l.split("\t")[2:4]).strip() for l in body]
    at = [i for i, op in enumerate(ops) if op.startswith("sleep")]
    assert at, "no sleep instruction in hal_sleep"
    before = [ops[i] for i in range(at[0] - 3, at[0])]
    assert ops[at[0] - 1] == "sei" and ops[at[0] - 2].startswith("out 0x35"), before  # 0x35 = MCUCR


def test_model_id_header_describes_the_exported_decoder(monkeypatch, tmp_path, capsys):
    """model_id.h in every model folder (the BOOT frame's model name, mode, hash) is generated from
    that folder's export, so the mode is the checkpoint's."""
    if not HAS_DECODER:
        pytest.skip("no decoder generated yet")
    from host_tools import gen_model_id as g
    assert g.main(["--check"]) == 0, "stale: run python host_tools/gen_model_id.py"
    for d in g.model_dirs():
        plan = json.loads((d / "memory_plan.json").read_text())
        text = (d / g.HEADER).read_text()
        assert f'#define GD_MODEL_NAME "{plan["model"]}"' in text
        assert f"#define GD_MODEL_MODE 0x{int(plan['config']['mode'] == 'vae'):02X}u " in text
    copy = tmp_path / "src" / "model_x"
    copy.mkdir(parents=True)
    for f in ("memory_plan.json", "qmodel.json"):
        shutil.copy(FW / "src" / "model" / f, copy / f)
    monkeypatch.setattr(g, "SRC", tmp_path / "src")
    assert g.main(["--check"]) == 1 and "stale" in capsys.readouterr().err
    assert g.main([]) == 0 and g.main(["--check"]) == 0
    with pytest.raises(ValueError, match="no exported decoder"):
        g.header_text(tmp_path)


def test_platformio_ch32v003_env_matches_makefile():
    e, mk = pio_config()["env:ch32v003"], make_config()
    assert e["platform"] == "ch32v" and e["board"] == "ch32v003f4p6_evt_r0" and "framework" not in e
    assert e["board_build.march"] == "rv32ec_zicsr" and e["board_build.mcu"] == "ch32v003"
    assert e["board_build.ldscript"] == "ch32v003/ch32v003.ld"
    assert int(str(e["board_build.f_cpu"]).rstrip("UL")) == int(mk["RV_F_CPU"].rstrip("UL"))
    flags = split(e["build_flags"])
    assert [f for f in flags if f.startswith("-D")] == mk["DEFINES_ch32v003"].split()
    assert [f for f in flags if not f.startswith("-D")] == \
        (mk["RV_CFLAGS"] + " " + mk["RV_LDFLAGS"] + " " + mk["RV_INCLUDES"] + " " + mk["RV_LINK"]).split()
    assert {"-std=gnu11", "-flto"} <= set(split(e["build_unflags"]))
    assert src_filter(e["build_src_filter"]) == sorted(mk["RV_SOURCES"].split())
