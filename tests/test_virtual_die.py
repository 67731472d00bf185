"""The firmware in simavr (host_tools/virtual_die.py): display, UART dump, button, budgets.

Most tests run the TEST build (make -C firmware nano-testpattern), whose decoder_run draws an exact die
instead of running the network: it exercises the same firmware path (roll, rows, dither, display pages,
FACE/ROLL frames, sleep, watchdog) in a fraction of the simulated time. Tests marked `real` run the
firmware with the generated decoder when firmware/src/model/ exists, and are skipped until then."""
from __future__ import annotations

import random

import numpy as np
import pytest

from dataset.pipcount import count_pips
from host_tools import virtual_die as vd

HAS_DECODER = any((vd.FIRMWARE / "src" / "model").glob("*.c"))
SRAM_BUDGET = 1536
FLASH_BUDGET = 20 * 1024


@pytest.fixture(scope="module")
def test_elf():
    return vd.build_firmware("nano-testpattern")


@pytest.fixture(scope="module", params=["test-pattern", pytest.param("real", marks=pytest.mark.skipif(
    not HAS_DECODER, reason="no generated decoder in firmware/src/model yet"))])
def any_elf(request, test_elf):
    return test_elf if request.param == "test-pattern" else vd.build_firmware("nano")


def test_press_draws_the_dumped_face_within_budgets(any_elf):
    script, marks = vd.press_script(2, seed=1)
    res = vd.simulate(any_elf, script)
    assert not res.raw["crashed"]
    assert len(res.rolls) == 2 and all(r["face"] is not None for r in res.rolls)
    # The display shows exactly the dithered, 2x-scaled FACE that went out on the UART.
    np.testing.assert_array_equal(vd.die_region(res.vram), vd.dither(res.rolls[-1]["face"]))
    assert res.memory["flash"] <= FLASH_BUDGET
    assert res.sram_total <= SRAM_BUDGET, (res.memory["sram_static"], res.peak_stack)
    for m in vd.roll_metrics(res, marks):
        assert m["press_to_display_s"] <= 1.0, m


def test_forced_pips_appear_on_the_display(any_elf):
    s = vd.Script().run(400)
    for p in range(1, 7):
        s.uart(b"p" + str(p).encode()).quiet(30, 5000)
        s.mark()
    res = vd.simulate(any_elf, s)
    assert [r["pips"] for r in res.rolls] == list(range(1, 7))
    assert all(r["forced"] for r in res.rolls)
    shown = [int(count_pips(vd.downsample(vd.die_region(res.mark_vram(i))))) for i in range(6)]
    assert shown == list(range(1, 7))


def test_bounce_never_double_rolls_and_holding_rolls_once(test_elf):
    rng = random.Random(7)
    s = vd.Script().run(400)
    bounces = [1, 5, 10, 15, 20]
    for ms in bounces:
        s.bounce(rng, True, ms).run(100).bounce(rng, False, ms).run(300)
    s.button(True).run(3000).bounce(rng, False, 20).run(300)  # held for 3 s
    s.quiet(30, 5000)
    res = vd.simulate(test_elf, s)
    assert len(res.rolls) == len(bounces) + 1


def test_no_display_still_dumps_and_never_hangs(test_elf):
    s = vd.Script().run(400).button(True).run(100).button(False).quiet(30, 3000).uart(b"r").quiet(30, 3000)
    s.run(100)
    res = vd.simulate(test_elf, s, display=False)
    assert not res.raw["crashed"]
    assert len(res.rolls) == 2 and all(r["face"] is not None for r in res.rolls)
    assert any("no display" in f.fields()["text"] for f in res.frames if f.type_name == "LOG")
    assert res.raw["i2c_bytes"] > 0  # it did try the bus


def test_sixty_presses_give_all_six_values(test_elf):
    """60 real (simulated) button presses with varied human-like timing: the entropy of the press time
    reaches the roll. Uses the TEST build (decoder replaced by the drawn die) to keep the simulated time
    short; the roll path itself is the same code as in the real firmware."""
    script, _ = vd.press_script(60, seed=3)
    res = vd.simulate(test_elf, script)
    pips = [r["pips"] for r in res.rolls]
    assert len(pips) == 60 and set(pips) == set(range(1, 7))
    assert not any(r["forced"] for r in res.rolls)


def test_watchdog_recovers_a_hung_roll(test_elf):
    s = vd.Script().run(400).uart(b"h").run(3000).uart(b"r").quiet(30, 3000)
    res = vd.simulate(test_elf, s)
    logs = [f.fields()["text"] for f in res.frames if f.type_name == "LOG"]
    assert any("watchdog" in t for t in logs), logs
    assert len(res.rolls) == 1


def test_display_sleeps_after_timeout_and_wakes_on_press(test_elf):
    s = vd.Script().run(400).uart(b"r").quiet(30, 3000)
    on = s.mark()
    s.run(31_000)
    off = s.mark()
    s.button(True).run(100).button(False).quiet(30, 3000)
    back = s.mark()
    res = vd.simulate(test_elf, s)
    flags = [res.raw["marks"][m]["display_on"] for m in (on, off, back)]
    assert flags == [True, False, True]
    assert len(res.rolls) == 2
