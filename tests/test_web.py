"""The die in the browser (host_tools/web/): the real firmware.hex in avr8js, a second simulator next to simavr.

Node-side: the page's own simulation code, bundled for node by host_tools/web/build.mjs, runs the firmware for button
presses and forced rolls; every face decoded from its UART equals the golden model for the (pips, code) of its ROLL
frame, and the OLED model shows exactly that face, dithered, with the rolled number of pips (dataset.pipcount).
Browser: Playwright drives Debian's chromium (headless, /usr/bin/chromium; no browser download) on the page served from
127.0.0.1: #roll and the space bar roll, window.gendie.rolls carries the faces, a screenshot of #oled shows the pips.
Each test skips with one line where node, the npm packages (`make test` installs them), chromium or playwright are
missing. A roll is ~12.5 M simulated cycles; avr8js runs ~10 M cycles/s under node.
"""
from __future__ import annotations

import functools
import io
import json
import subprocess
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import numpy as np
import pytest

from dataset.pipcount import count_pips
from gendie import golden, intmodel
from gendie.fileio import build_lock
from host_tools import avr8js_sim as web
from host_tools import frame_protocol as fp
from host_tools import virtual_die as vd

ROOT = Path(__file__).resolve().parent.parent
QMODEL = vd.FIRMWARE / "src" / "model" / "qmodel.json"
CHROMIUM = Path("/usr/bin/chromium")
NO_NODE = web.missing()
needs_node = pytest.mark.skipif(NO_NODE is not None, reason=f"{NO_NODE}; make test runs npm ci")
needs_model = pytest.mark.skipif(not QMODEL.exists(), reason="no generated decoder in firmware/src/model yet")


@pytest.fixture(scope="module")
def sim() -> Path:
    return web.build()


@pytest.fixture(scope="module")
def qmodel():
    return intmodel.load(QMODEL)


def want_face(qm, roll: dict) -> np.ndarray:
    """The golden model's face for a roll of the page (its code byte, angle or latent)."""
    return golden.generate(qm, [roll["pips"]], [roll["angle_code"]])[0]


def check_faces_and_display(out: dict, qm) -> None:
    """Every landed roll: its face is the golden model's, the display shows it dithered with its pips."""
    rolls = out["rolls"]
    faces = np.array([r["face"] for r in rolls], np.uint8).reshape(-1, 32, 32)
    want = golden.generate(qm, [r["pips"] for r in rolls], [r["angle_code"] for r in rolls])
    np.testing.assert_array_equal(faces, want)
    for r, face in zip(rolls, faces):
        die = vd.die_region(vd.vram_image(r["vram"]))
        np.testing.assert_array_equal(die, vd.dither(face))
        assert int(count_pips(vd.downsample(die))) == r["pips"]
    assert out["stats"] == {"frames_ok": out["stats"]["frames_ok"], "errors": 0, "truncated": 0, "garbage_bytes": 0}


@needs_node
def test_protocol_js_has_every_python_constant():
    """The generated module, loaded by node, holds the same values as host_tools/frame_protocol.py."""
    code = "import * as P from './host_tools/web/src/protocol.js'; console.log(JSON.stringify(P));"
    js = json.loads(subprocess.run(["node", "--input-type=module", "-e", code], capture_output=True, text=True,
                                   check=True, cwd=ROOT).stdout)
    assert js["FrameType"] == {t.name: t.value for t in fp.FrameType}
    flags = {n[len("ROLL_FLAG_"):]: v for n, v in vars(fp).items() if n.startswith("ROLL_FLAG_")}
    assert js["ROLL_FLAGS"] == flags and flags
    assert js["MAGIC"] == list(fp.MAGIC) and js["CRC_POLY"] == fp.CRC_POLY and js["BAUD"] == fp.BAUD
    assert js["ROLL_FIELDS"] == {n: [o, t] for n, o, t in fp.ROLL_FIELDS}
    assert js["FACE_LEN"] == fp.FACE_LEN and js["HEADER_LEN"] == fp.HEADER_LEN


@needs_node
def test_js_frame_decoder_on_the_protocol_vectors(sim):
    vectors = json.loads((ROOT / "docs" / "frame-vectors.json").read_text())
    for case in vectors["frames"]:
        out = web.decode(bytes.fromhex(case["hex"]))
        f, = out["frames"]
        assert (f["type"], f["seq"]) == (case["type_code"], case["seq"])
        assert f["payload"] == fp.decode_all(bytes.fromhex(case["hex"]))[0][0].payload.hex()
    stream = vectors["streams"][0]
    out = web.decode(bytes.fromhex(stream["hex"]))
    assert [f["seq"] for f in out["frames"]] == stream["frames"]
    assert out["stats"]["frames_ok"] == stream["stats"]["frames_ok"]


@needs_node
def test_rolls_pair_faces_tally_and_skip_tumble_frames(sim):
    """FACE and ROLL paired by roll number; forced rolls listed but not tallied; once the protocol has
    ROLL_FLAG_TUMBLE, a tumble ROLL and the FACE after it are neither."""
    faces = [bytes([i] * 1024) for i in range(4)]
    frames = [(fp.FrameType.LOG, fp.log_payload("GenDie: ready")),
              (fp.FrameType.FACE, fp.face_payload(1, faces[1])), (fp.FrameType.ROLL, fp.roll_payload(3, 40, 1, 99)),
              (fp.FrameType.FACE, fp.face_payload(2, faces[2])),
              (fp.FrameType.ROLL, fp.roll_payload(5, 41, 2, 99, fp.ROLL_FLAG_FORCED))]
    tumble = getattr(fp, "ROLL_FLAG_TUMBLE", None)
    if tumble is not None:  # the tumble: ROLL(TUMBLE) + FACE, twice, then the landed FACE and ROLL
        frames += [(fp.FrameType.ROLL, fp.roll_payload(6, 7, 3, 0, tumble)),
                   (fp.FrameType.FACE, fp.face_payload(3, faces[0]))] * 2
    frames += [(fp.FrameType.FACE, fp.face_payload(3, faces[3])), (fp.FrameType.ROLL, fp.roll_payload(2, 42, 3, 99))]
    capture = b"".join(fp.encode_frame(t, seq, p) for seq, (t, p) in enumerate(frames))
    out = web.decode(capture)
    assert [(r["pips"], r["angle_code"], r["roll"], r["face"]) for r in out["rolls"]] == \
        [(3, 40, 1, list(faces[1])), (5, 41, 2, list(faces[2])), (2, 42, 3, list(faces[3]))]
    assert out["tally"] == [0, 1, 1, 0, 0, 0]


@needs_node
@needs_model
def test_presses_and_forced_rolls_match_golden_and_show_their_pips(sim, qmodel):
    """The shipped build (make -C firmware nano): two button presses, then p1..p6."""
    steps = web.Steps().press(90).press(140)
    for p in range(1, 7):
        steps.command(fp.CMD_PIPS + str(p).encode())
    out = web.simulate(vd.build_firmware("nano").with_suffix(".hex"), steps)
    got = out["rolls"]
    assert len(got) == 8 and out["resets"] == 0 and out["logs"] == ["GenDie: ready"]
    assert [r["pips"] for r in got[2:]] == list(range(1, 7))
    assert [bool(r["flags"] & fp.ROLL_FLAG_FORCED) for r in got] == [False] * 2 + [True] * 6
    check_faces_and_display(out, qmodel)
    # The panel as seen (init 0xA1 + 0xC8: GDDRAM upright) is the display RAM after the last roll's text.
    picture = np.array(list(out["picture"]), int).reshape(64, 128).astype(bool)
    np.testing.assert_array_equal(picture, vd.vram_image(got[-1]["vram"]))
    assert sum(out["tally"]) == 2  # forced rolls are not tallied


@needs_node
@needs_model
def test_replayed_codes_and_the_watchdog(sim, qmodel):
    """The TEST build (a<code> forces the angle): chosen (pips, code) pairs equal golden, before and after 'h' hangs
    the firmware mid-roll and the watchdog (2 s) resets the chip."""
    pairs = [(1, 0), (4, 200), (6, 255)]
    steps = web.Steps()
    for p, c in pairs:
        steps.command(b"a" + bytes([c]) + b"p" + str(p).encode())
    steps.uart(b"h").run(2600).command(b"a\x25p2")
    out = web.simulate(vd.build_firmware("nano-test").with_suffix(".hex"), steps)
    assert [(r["pips"], r["angle_code"]) for r in out["rolls"]] == pairs + [(2, 0x25)]
    assert out["resets"] == 1
    # the roll marker survives the reset in SRAM (.noinit), as on the chip: the firmware says the roll was cut short
    assert out["logs"] == ["GenDie: ready", "GenDie: a roll was interrupted by a reset (watchdog, brown-out or reset "
                           "button)", "GenDie: reset by the watchdog, back to idle"]
    check_faces_and_display(out, qmodel)


# --- in a real browser -------------------------------------------------------------------------------------------

def _playwright():
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        return None
    return sync_playwright


@pytest.fixture(scope="module")
def page_url(tmp_path_factory):
    """The page as `make web-dist` builds it, served over HTTP on 127.0.0.1 (a free port) while the tests run."""
    if NO_NODE:
        pytest.skip(f"{NO_NODE}; make test runs npm ci")
    if _playwright() is None or not CHROMIUM.exists():
        pytest.skip("needs PyPI playwright and Debian's chromium (/usr/bin/chromium)")
    if not QMODEL.exists():
        pytest.skip("no generated decoder in firmware/src/model yet")
    dist = tmp_path_factory.mktemp("dist")
    hex_path = vd.build_firmware("nano").with_suffix(".hex")
    with build_lock(web.SIM.parent):  # build.mjs also writes the node runner
        subprocess.run(["node", str(web.WEB / "build.mjs"), "--hex", str(hex_path), "--out", str(dist)], check=True,
                       cwd=ROOT, capture_output=True)

    class Quiet(SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(dist)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


def oled_screenshot(page) -> np.ndarray:
    """#oled as a (64, 128) bool image: the screenshot (4x, pixelated; the element may sit on a fractional pixel,
    so the shot can be a pixel larger) sampled at each OLED pixel's centre."""
    from PIL import Image

    img = np.asarray(Image.open(io.BytesIO(page.locator("#oled").screenshot())).convert("L"))
    h, w = img.shape
    assert abs(h - 256) <= 1 and abs(w - 512) <= 1, img.shape
    ys, xs = ((np.arange(64) + 0.5) * h / 64).astype(int), ((np.arange(128) + 0.5) * w / 128).astype(int)
    return img[np.ix_(ys, xs)] > 128


def test_the_page_rolls_in_chromium(page_url, qmodel):
    errors = []
    with _playwright()() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), headless=True)
        try:
            page = browser.new_page(viewport={"width": 1100, "height": 800})
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.goto(page_url)
            # Like the simavr scripts: let the firmware boot (a press while it starts is ignored, as on the board).
            page.wait_for_function("window.gendie && window.gendie.ready && window.gendie.simSeconds > 0.4",
                                   timeout=60_000)
            for n, press in enumerate([lambda: page.click("#roll"), lambda: page.keyboard.press("Space")], 1):
                press()
                page.wait_for_function(f"window.gendie.rolls.length >= {n}", timeout=120_000)
                t = page.evaluate("window.gendie.simSeconds")
                page.wait_for_function(f"window.gendie.simSeconds > {t} + 0.2", timeout=60_000)  # screen settles
                roll = page.evaluate(f"window.gendie.rolls[{n - 1}]")
                assert sorted(roll) == ["angle_code", "face", "pips"] and len(roll["face"]) == 1024
                face = np.array(roll["face"], np.uint8).reshape(32, 32)
                np.testing.assert_array_equal(face, want_face(qmodel, roll))
                die = vd.die_region(oled_screenshot(page))
                np.testing.assert_array_equal(die, vd.dither(face))
                # The pips it shows are the golden face's (the presses land on whatever code the real-time loop
                # reaches, so this is not always a face the strict counter reads right: the model's share of those
                # on the OLED is tests/test_virtual_die.py's test_the_oled_shows_the_rolled_pips)
                shown = int(count_pips(vd.downsample(die)))
                assert shown == int(count_pips(vd.downsample(vd.dither(want_face(qmodel, roll)))))
            assert page.evaluate("window.gendie.rolls.length") == 2
            tally = [int(x) for x in page.locator("#tally td:nth-child(2)").all_inner_texts()]
            assert sum(tally) == 2 and "simulated" in page.inner_text("#status")
        finally:
            browser.close()
    assert not errors, errors


@needs_node
@needs_model
def test_sim_compare_reports_both_simulators(capsys):
    from host_tools import sim_compare

    assert sim_compare.main(["--rolls", "1", "--markdown"]) == 0
    rows = [ln for ln in capsys.readouterr().out.splitlines() if ln.startswith("| no") or ln.startswith("| yes")]
    assert len(rows) == 2 and all(ln.endswith("| yes |") for ln in rows)
    with pytest.raises(SystemExit) as e:
        sim_compare.main(["--rolls", "0"])
    assert e.value.code == 2 and len(capsys.readouterr().err.strip().splitlines()) == 1
