"""The tumble and the hardening of the firmware, in simavr (host_tools/virtual_die*.py).

"test-pattern" runs use the TEST build (decoder_run draws an exact die, ~0.14 s a face); "real" runs use the
generated decoder and are skipped until firmware/src/model/ exists."""
from __future__ import annotations

import numpy as np
import pytest

from dataset.pipcount import count_pips
from gendie import budgets
from gendie.device import board
from host_tools import frame_protocol as fp
from host_tools import virtual_die as vd
from host_tools.gen_model_id import model_hash
from host_tools.virtual_die_build import firmware_define

HAS_DECODER = any((vd.FIRMWARE / "src" / "model").glob("*.c"))
needs_decoder = pytest.mark.skipif(not HAS_DECODER, reason="no generated decoder in firmware/src/model yet")
# The real builds: the default (VAE mode: each roll samples the latent) and the angle-conditioned one
# (make nano MODEL=angle), each with its checkpoint.
CHECKPOINTS = {"": "decoder.pt", "angle": "decoder_angle.pt"}
TUMBLE = {k: firmware_define("tumble.h", k) for k in ("TUMBLE_FRAMES", "TUMBLE_SPIN", "TUMBLE_SLOWDOWN")}


@pytest.fixture(scope="module")
def test_elf():
    return vd.build_firmware("nano-testpattern")


@pytest.fixture(scope="module")
def dumped_test_press(test_elf):
    script, marks = vd.press_script(1, seed=4, dump_tumble=True)
    return vd.simulate(test_elf, script), marks


def check_tumble(res, marks):
    """A press: generated tumble faces, each drawn as dumped, spinning and slowing onto the landed face."""
    (landed,), tumbles = res.rolls, res.tumbles
    frames = res.die_frames(marks[0], marks[0] + 1)
    assert len(tumbles) == TUMBLE["TUMBLE_FRAMES"] >= budgets.TUMBLE_MIN_FRAMES
    assert len(frames) == len(tumbles) + 1
    for f, t in zip(frames, tumbles + [landed]):  # the display shows each face as it was generated
        np.testing.assert_array_equal(vd.die_region(f["image"]), vd.dither(t["face"]))
    pips = [t["pips"] for t in tumbles]
    assert all(a != b for a, b in zip(pips, pips[1:])) and pips[-1] != landed["pips"]
    codes = [t["code"] for t in tumbles] + [landed["code"]]  # the angle, or the latent a VAE-mode build walks
    steps = [(b - a) % 256 for a, b in zip(codes, codes[1:])]
    steps = steps if steps[0] < 128 else [256 - s for s in steps]  # either way round
    assert steps[0] == TUMBLE["TUMBLE_SPIN"] and steps == sorted(steps, reverse=True) and steps[-1] > 0
    assert all(t["roll"] == landed["roll"] and not t["forced"] for t in tumbles)
    starts = [t["cycles"] for t in tumbles]
    assert starts == sorted(starts)  # cycles from the press to each tumble face


def test_press_tumbles_onto_the_landed_face(dumped_test_press):
    check_tumble(*dumped_test_press)


def test_terminal_replays_every_screen_at_simulated_speed(dumped_test_press, capsys, monkeypatch):
    res, marks = dumped_test_press
    slept = []
    monkeypatch.setattr(vd.time, "sleep", slept.append)
    vd.replay(res, marks[0])
    images, durations = vd.animation(res, marks[0])
    assert len(images) == TUMBLE["TUMBLE_FRAMES"] + 3  # the screen at the press, the faces, the end
    assert capsys.readouterr().out.count("+" + "-" * 128 + "+") == 2 * len(images)
    assert slept == durations[:-1]
    landed = vd.tumble_metrics(res, marks[0])["press_to_landed_s"]
    assert sum(durations[:-2]) == pytest.approx(landed, abs=1e-5)


def test_no_tumble_command_and_forced_rolls_draw_one_face(test_elf):
    s = vd.Script().run(400)
    m1 = s.mark()
    s.uart(fp.CMD_ROLL_NO_TUMBLE).quiet(30, 5000)
    m2 = s.mark()
    s.uart(b"p3").quiet(30, 5000)
    s.mark()
    res = vd.simulate(test_elf, s)
    assert [len(res.die_frames(m, m + 1)) for m in (m1, m2)] == [1, 1]
    assert not res.tumbles and [r["pips"] for r in res.rolls][1] == 3


def test_tumble_faces_are_not_dumped_by_default(test_elf):
    script, marks = vd.press_script(1, seed=4)
    res = vd.simulate(test_elf, script)
    assert len(res.die_frames(marks[0], marks[0] + 1)) == TUMBLE["TUMBLE_FRAMES"] + 1
    assert not res.tumbles and len([f for f in res.frames if f.type_name == "FACE"]) == 1


def test_fairness_tally_skips_tumble_rolls(dumped_test_press, tmp_path, capsys):
    from host_tools import frame_viewer
    res, _ = dumped_test_press
    dump = tmp_path / "dump.bin"
    dump.write_bytes(bytes.fromhex(res.raw["uart"]))
    assert frame_viewer.main(["--file", str(dump), "--json"]) == 0
    assert " n=1 " in capsys.readouterr().err
    assert frame_viewer.main(["--file", str(dump), "--no-render"]) == 0
    out = capsys.readouterr().out
    assert "[boot] nano at 16 MHz" in out and out.count("[tumble face, not tallied]") == TUMBLE["TUMBLE_FRAMES"]


def test_boot_record_says_how_to_read_the_capture(dumped_test_press):
    res, _ = dumped_test_press
    (b,) = res.boot
    nano = board("nano")
    assert (b["board"], b["f_cpu"], b["baud"]) == ("nano", nano.f_cpu, nano.baud)
    assert (b["model"], b["mode_name"], b["model_hash"]) == ("test-pattern", "test-pattern", 0)
    assert (b["tumble_frames"], b["tumble_spin"], b["tumble_slowdown"]) == tuple(TUMBLE.values())
    assert abs(b["vcc_mv"] - 5000) <= 50 and not b["roll_interrupted"]
    assert res.frames[0].type_name == "BOOT"


@pytest.mark.parametrize("vcc_mv, rolls", [(3600, False), (3700, False), (3900, True), (4500, True)])
def test_below_the_speed_grade_the_die_refuses_to_roll(test_elf, vcc_mv, rolls):
    """The supply decision, with the supply injected into the simulated ADC (simavr has no CLKPR): below 3.78 V
    (16 MHz speed grade) no roll, a LOG and 'BATT LOW' on the screen; above it the die rolls."""
    s = vd.Script().run(400).uart(b"r").quiet(30, 5000)
    res = vd.simulate(test_elf, s, vcc_mv=vcc_mv)
    assert abs(res.boot[0]["vcc_mv"] - vcc_mv) <= vcc_mv * 0.01  # measured against the bandgap
    assert bool(res.rolls) == rolls
    assert any("battery low" in t for t in res.logs) != rolls
    text_line = res.vram[56:64, vd.DIE_COL + 70:]
    assert text_line.any()  # 'BATT LOW' or the roll's time


def test_interrupted_roll_is_reported_after_the_reset(test_elf):
    """The `.noinit` marker survives the watchdog reset (and would survive Optiboot clearing MCUSR)."""
    res = vd.simulate(test_elf, vd.Script().run(400).uart(b"h").run(3000).uart(b"n").quiet(30, 3000))
    first, second = res.boot
    assert not first["roll_interrupted"] and second["roll_interrupted"]
    assert second["reset"] & fp.BOOT_RESET_WATCHDOG
    assert any("interrupted" in t for t in res.logs) and len(res.rolls) == 1


def test_boot_clears_the_i2c_bus_and_sets_the_pull_ups(dumped_test_press):
    raw = dumped_test_press[0].raw
    assert raw["scl_pulses"] >= 9 and raw["manual_stops"] >= 1  # 9 clocks, then STOP, before the TWI starts
    assert raw["portc"] & 0x30 == 0x30  # PC4/PC5 (SDA/SCL) pull-ups
    assert raw["portd"] & 0x01  # RXD pull-up


def test_display_init_stops_scrolling_and_sets_start_line(dumped_test_press):
    head = bytes.fromhex(dumped_test_press[0].raw["i2c_head"])
    init = head[head.index(bytes([0x78, 0x00, 0xAE])):]
    assert init[3:6] == bytes([0x2E, 0x40, 0xE3])  # stop scroll, start line 0 + NOP (simavr eats it as 0x40's arg)


@pytest.fixture(scope="module", params=list(CHECKPOINTS), ids=["vae", "angle"])
def real_press(request):
    model = request.param
    if not any(vd.model_dir(model).glob("*.c")):
        pytest.skip(f"no generated decoder in {vd.model_dir(model)} yet")
    elf = vd.build_firmware("nano", model)
    script, marks = vd.press_script(1, seed=5, dump_tumble=True)
    res = vd.simulate(elf, script)
    return res, marks, model


def test_real_tumble_is_bit_exact_with_golden_and_lands_on_the_rolled_pips(real_press):
    """Every face of a press (the tumble's and the landed one) equals the golden model's for its (pips, code); in
    the VAE-mode build every ROLL says its code is a latent code (the tumble walks the latent), in the angle build
    none does; the BOOT frame names the model and its mode."""
    from export.backends import generate_golden
    res, marks, model = real_press
    check_tumble(res, marks)
    faces = res.tumbles + res.rolls
    want = generate_golden(vd.ROOT / "models" / CHECKPOINTS[model], [f["pips"] for f in faces],
                           [f["code"] for f in faces])
    np.testing.assert_array_equal(np.stack([f["face"] for f in faces]), want)
    landed = vd.die_region(res.die_frames(marks[0], marks[0] + 1)[-1]["image"])
    assert count_pips(vd.downsample(landed)) == res.rolls[0]["pips"]
    assert [f["latent"] for f in faces] == [model != "angle"] * len(faces)
    (b,) = res.boot
    assert b["model_hash"] == model_hash(vd.model_dir(model) / "qmodel.json")
    assert b["mode_name"] == ("angle" if model == "angle" else "vae")
    assert res.sram_total <= budgets.AVR_SRAM_BYTES and res.memory["flash"] <= budgets.AVR_FLASH_BYTES


@needs_decoder
def test_real_tumble_lands_within_the_budget():
    """Acceptance: >= TUMBLE_MIN_FRAMES generated faces, then the landed face's last byte within TUMBLE_S of the
    press (simulated cycles + I2C bus time), tumble faces not dumped (the default)."""
    elf = vd.build_firmware("nano")
    script, marks = vd.press_script(1, seed=5)
    t = vd.tumble_metrics(vd.simulate(elf, script), marks[0])
    assert t["tumble_frames"] >= budgets.TUMBLE_MIN_FRAMES
    assert t["press_to_landed_s"] <= budgets.TUMBLE_S, t
