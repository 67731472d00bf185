"""The CH32V003 firmware: an RV32EC image within the chip's budgets (gendie.budgets), no multiply or divide
instruction, the decoder's MACs without libgcc calls, and the simulated chip (host_tools/ch32_die.py) rolling faces
bit-exact with the golden model and drawing them on its simulated display."""
from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from gendie import budgets
from tests.test_firmware_build import FW, HAS_DECODER, make

pytestmark = [pytest.mark.skipif(not shutil.which("riscv64-unknown-elf-gcc"), reason="no RISC-V toolchain"),
              pytest.mark.skipif(not HAS_DECODER, reason="no decoder generated yet")]
pytest.importorskip("unicorn")
ELF = FW / "build" / "ch32v003" / "firmware.elf"
MUL_DIV = re.compile(r"\s(mul|mulh|mulhu|mulhsu|div|divu|rem|remu)\s")


@pytest.fixture(scope="module")
def elf() -> Path:
    r = make("ch32v003")
    assert r.returncode == 0, r.stderr
    return ELF


def sections(path: Path) -> dict[str, int]:
    out = subprocess.run(["riscv64-unknown-elf-size", "-A", str(path)], capture_output=True, text=True, check=True)
    return {p[0]: int(p[1]) for p in (l.split() for l in out.stdout.splitlines()) if len(p) >= 2 and p[1].isdigit()}


def disassembly(path: Path) -> str:
    return subprocess.run(["riscv64-unknown-elf-objdump", "-d", str(path)], capture_output=True, text=True,
                          check=True).stdout


def test_image_is_rv32e_and_fits_flash(elf):
    from host_tools.ch32_sim import Elf
    e = Elf.load(elf)  # raises unless a 32-bit RISC-V ELF with the RVE flag
    s = sections(elf)
    assert e.flash_bytes == s[".text"] + s.get(".data", 0)
    assert e.flash_bytes <= budgets.CH32_FLASH_BYTES, f"flash {e.flash_bytes} B"
    assert (FW / "build" / "ch32v003" / "firmware.bin").stat().st_size == e.flash_bytes


def test_no_multiply_or_divide_instruction(elf):
    assert not MUL_DIV.search(disassembly(elf))


def functions(path: Path) -> dict[str, str]:
    """The disassembly split per function: {name: its instructions}."""
    parts = re.split(r"\n(?=[0-9a-f]+ <)", disassembly(path))
    return {m.group(1): p for p in parts if (m := re.match(r"[0-9a-f]+ <([^>]+)>:", p))}


def test_decoder_macs_call_no_libgcc_multiply(elf):
    """Every MAC runs in dot.c's gd_dot4 (its `group` loop, if gcc kept it apart) with mul8.h's shift-and-add
    multiply inlined: those functions call no libgcc multiply or divide (the engine's per-pixel index arithmetic
    outside them may)."""
    fns = functions(elf)
    mac = {n: f for n, f in fns.items() if n in ("gd_dot4", "group", "gd_mul_u8s8", "gd_mul_s8s8")}
    assert "gd_dot4" in mac
    libgcc = re.compile(r"<__(mul|div|udiv|mod|umod)[sd]i3>")
    assert not [n for n, f in mac.items() if libgcc.search(f)], {n: libgcc.findall(f) for n, f in mac.items()}


def test_sram_and_press_to_display(elf):
    """One button press on the simulated chip: static + peak stack within 2 KB, the face drawn on the display."""
    from host_tools import ch32_die, virtual_die as vd
    script, marks = vd.press_script(1, seed=1)
    res = ch32_die.simulate(elf, script)
    assert not res.raw["crashed"], res.raw["crash_reason"]
    assert len(res.rolls) == 1 and res.rolls[0]["face"] is not None
    assert res.sram_total <= budgets.CH32_SRAM_BYTES, (res.memory["sram_static"], res.peak_stack)
    # The display shows exactly the dumped face, dithered as die_view.c draws it.
    assert np.array_equal(vd.die_region(res.vram), vd.dither(res.rolls[0]["face"]))
    m = ch32_die.roll_metrics(res, marks)[0]
    assert m["press_to_display_cycles"] > m["decoder_cycles"] > 0


def test_press_to_face_without_tumble_within_goal(elf):
    """The roll without the tumble (`n`): command -> last display byte of the face within the 0.2 s goal at
    48 MHz, in the simulator's estimated cycles (I2C bus time included)."""
    from host_tools import ch32_die, virtual_die as vd
    script, marks = vd.press_script(2, seed=3, tumble=False)
    res = ch32_die.simulate(elf, script)
    assert not res.raw["crashed"] and len(res.rolls) == 2, res.raw["crash_reason"]
    for m in ch32_die.roll_metrics(res, marks):
        assert m["i2c_bytes"] > 0 and 0 < m["decoder_cycles"] < m["press_to_display_cycles"]
        assert m["press_to_display_s"] <= budgets.CH32_PRESS_TO_DISPLAY_S, m


def test_die_gen_backend_bit_exact_with_golden(tmp_path):
    from host_tools import die_gen
    from gendie.device import face_list
    from training.checkpoint import DEFAULT_DECODER
    pips, codes = face_list(2, 5)
    got = die_gen.generate_faces("ch32v003", DEFAULT_DECODER, pips, codes)
    want = die_gen.generate_faces("golden", DEFAULT_DECODER, pips, codes)
    assert np.array_equal(got, want)


def test_virtual_die_cli_board_ch32v003(tmp_path, capsys):
    from host_tools import virtual_die as vd
    png = tmp_path / "screen.png"
    assert vd.main(["--board", "ch32v003", "--pips", "4", "--png", str(png)]) == 0
    out = capsys.readouterr().out
    assert "roll 1: pips 4" in out and "per MAC" in out and png.stat().st_size > 0


def test_watchdog_reset_and_wake_from_standby():
    """TEST build: `h` hangs with the watchdog armed -> IWDG reset after ~2 s, logged; then the display times out,
    the chip enters standby, and a button press wakes it (EXTI0) for a full roll."""
    from host_tools import ch32_die, virtual_die as vd
    r = make("ch32v003-test")
    assert r.returncode == 0, r.stderr
    s = vd.Script().run(400).uart(b"h").run(2500)
    s.mark()
    s.run(31_000)  # DISPLAY_TIMEOUT_MS (30 s), then standby
    s.button(True).run(100).button(False).quiet(30, 3000)
    res = ch32_die.simulate(FW / "build" / "ch32v003-test" / "firmware.elf", s)
    logs = [f.fields()["text"] for f in res.frames if f.type_name == "LOG"]
    assert res.raw["watchdog_resets"] == 1 and not res.raw["crashed"], res.raw["crash_reason"]
    assert logs == ["GenDie: ready", "GenDie: a roll was interrupted by a reset (watchdog, brown-out or reset button)",
                    "GenDie: reset by the watchdog, back to idle"]
    assert [b["roll_interrupted"] for b in res.boot] == [False, True]
    assert res.raw["standby_entries"] >= 1
    assert len(res.rolls) == 1 and res.rolls[0]["face"] is not None and not res.rolls[0]["forced"]


def test_flash_and_profile_tools_account_for_the_image(elf, capsys):
    """ch32_flash.py sums the map to exactly the image size; ch32_profile.py's shares cover one face."""
    from host_tools import ch32_flash, ch32_profile
    from host_tools.ch32_sim import Elf
    rows, placed = ch32_flash.flash_by_source(elf.with_suffix(".map"))
    flash = Elf.load(elf).flash_bytes
    assert 0 <= flash - placed < 64 and sum(d["code"] + d["data"] for d in rows.values()) == placed
    assert rows["src/model/decoder_model.c"]["code"] == 0 and rows["src/hal_ch32v003.c"]["code"] > 0
    assert rows["src/engine/dot.c"]["code"] > 0  # the portable kernel: dot_rv32.S and its table only with GD_RV32_ASM
    assert ch32_profile.main(["--top", "3"]) == 0
    out = capsys.readouterr().out
    assert "| `gd_dot4` |" in out


@pytest.fixture(scope="module")
def asm_elf() -> Path:
    """An image built with -DGD_RV32_ASM (the kernel and its 1 KB table: over 16 KB today, so linked for 20 KB)."""
    r = make("ch32v003", "RV_EXTRA=-DGD_RV32_ASM", "RV_OUT=build/rv32asm", "RV_FLASH=20K")
    assert r.returncode == 0, r.stderr
    return FW / "build" / "rv32asm" / "ch32v003" / "firmware.elf"


def test_dot_rv32_kernel_matches_numpy(asm_elf):
    """dot_rv32.S's gd_dot4, called on Unicorn's RV32 CPU straight from the image, against numpy on random tap lists
    (extreme bytes, many zero activations, odd cin, 1-3 groups): the quarter-square products are exact."""
    from unicorn import UC_ARCH_RISCV, UC_MODE_RISCV32, Uc
    from unicorn import riscv_const as rv

    from host_tools.ch32_sim import RAM, Elf
    e = Elf.load(asm_elf)
    uc = Uc(UC_ARCH_RISCV, UC_MODE_RISCV32)
    uc.mem_map(0, 64 * 1024)
    uc.mem_map(RAM, 64 * 1024)  # inputs larger than the chip's 2 KB are fine here: only the kernel runs
    for addr, data in e.image.items():
        if addr < RAM:
            uc.mem_write(addr, data)
    rng = np.random.default_rng(13)
    A, TAPS, W, ACC, DONE = RAM + 0x1000, RAM + 0x100, RAM + 0x4000, RAM + 0x200, RAM + 0x10
    for case in range(60):
        cin, groups, n = int(rng.choice([1, 3, 4, 8, 9])), int(rng.integers(1, 4)), int(rng.integers(0, 19))
        a = rng.choice([0, 0, 0, 1, 127, 128, 254, 255, *range(256)], size=(40, cin)).astype(np.uint8)
        taps = np.stack([rng.integers(0, 40, n), rng.integers(0, 9, n)], 1).astype(np.uint8)
        stride = 36 * cin + int(rng.integers(0, 3)) * 4
        w = rng.choice([0, 1, 127, 128, 255, *range(256)], size=groups * stride).astype(np.uint8)
        want = np.zeros(4 * groups, np.int64)
        for g in range(groups):
            for p, kt in taps.astype(int):
                wt = w[g * stride + kt * cin * 4:][:4 * cin].reshape(cin, 4).astype(np.int64) - 128
                want[4 * g:4 * g + 4] += a[p].astype(np.int64) @ wt
        for addr, data in ((A, a.tobytes()), (TAPS, taps.tobytes()), (W, w.tobytes())):
            uc.mem_write(addr, data)
        sp = RAM + 0x8000
        uc.mem_write(sp, stride.to_bytes(4, "little") + groups.to_bytes(4, "little"))
        for reg, v in ((rv.UC_RISCV_REG_A0, ACC), (rv.UC_RISCV_REG_A1, A), (rv.UC_RISCV_REG_A2, TAPS),
                       (rv.UC_RISCV_REG_A3, n), (rv.UC_RISCV_REG_A4, cin), (rv.UC_RISCV_REG_A5, W),
                       (rv.UC_RISCV_REG_SP, sp), (rv.UC_RISCV_REG_RA, DONE), (rv.UC_RISCV_REG_S0, 0x5A5A),
                       (rv.UC_RISCV_REG_S1, 0xA5A5)):
            uc.reg_write(reg, v)
        uc.emu_start(e.symbols["gd_dot4"], DONE)
        got = np.frombuffer(bytes(uc.mem_read(ACC, 16 * groups)), "<i4")
        assert np.array_equal(got, want), (case, cin, groups, n)
        assert (uc.reg_read(rv.UC_RISCV_REG_SP), uc.reg_read(rv.UC_RISCV_REG_S0),
                uc.reg_read(rv.UC_RISCV_REG_S1)) == (sp, 0x5A5A, 0xA5A5)  # the ABI's saved registers kept
