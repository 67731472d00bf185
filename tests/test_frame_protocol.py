"""Frame protocol: encoder, streaming decoder, generated files, and fuzzing of damaged streams."""
from __future__ import annotations

import json
import random
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from host_tools import frame_protocol as fp
from host_tools import gen_frame_files as gen

ROOT = Path(__file__).resolve().parent.parent
VECTORS = json.loads((ROOT / "docs" / "frame-vectors.json").read_text(encoding="utf-8"))
FUZZ = settings(max_examples=5000, derandomize=True, database=None, deadline=None,
                suppress_health_check=[HealthCheck.too_slow])


def test_crc_is_ccitt_false():
    # 0x29B1 is the catalogued check value of CRC-16/CCITT-FALSE for "123456789".
    assert fp.crc16(b"123456789") == 0x29B1
    assert VECTORS["crc16_ccitt_false"]["crc"] == 0x29B1
    assert fp.crc16(b"56789", fp.crc16(b"1234")) == 0x29B1


def test_frame_layout_matches_the_documented_offsets():
    frame = fp.encode_frame(0x42, 0x1234, b"abc", version=7)
    assert frame[:2] == fp.MAGIC and frame[2] == 7 and frame[3] == 0x42
    assert frame[4:6] == b"\x34\x12" and frame[6:8] == b"\x03\x00"
    assert int.from_bytes(frame[8:10], "little") == fp.crc16(frame[:8])
    assert frame[10:13] == b"abc"
    assert int.from_bytes(frame[-2:], "little") == fp.crc16(frame[:-2])
    assert len(frame) == fp.HEADER_LEN + 3 + fp.TRAILER_LEN


def test_round_trip_every_type():
    pixels = bytes(random.Random(1).randrange(256) for _ in range(1024))
    payloads = [(fp.FrameType.ROLL, fp.roll_payload(3, 200, 77, 123456, fp.ROLL_FLAG_FORCED)),
                (fp.FrameType.FACE, fp.face_payload(77, pixels)),
                (fp.FrameType.DISPLAY, fp.display_payload(7, 64, b"\x0f" * 128)),
                (fp.FrameType.LOG, fp.log_payload("héllo")),
                (0xEE, b"future"),
                (fp.FrameType.BOOT, fp.boot_payload(8_000_000, 115200, 3650, 0x18, 1, 9, 40, 200, 0xDEADBEEF,
                                                    "uno", "4_8_8_8+0"))]
    data = b"".join(fp.encode_frame(t, 65535 + i & 0xFFFF, p) for i, (t, p) in enumerate(payloads))
    frames, stats = fp.decode_all(data)
    assert [(f.type, f.seq, f.payload) for f in frames] == [(t, 65535 + i & 0xFFFF, p)
                                                             for i, (t, p) in enumerate(payloads)]
    assert stats.frames_ok == 6 and stats.garbage_bytes == 0
    roll, face, disp, log, unknown, boot = (f.fields() for f in frames)
    assert roll == {"pips": 3, "angle_code": 200, "flags": 1, "roll": 77, "cycles": 123456, "forced": True,
                    "tumble": False, "latent": False, "code": 200, "latent_code": None}
    assert boot == {"f_cpu": 8_000_000, "baud": 115200, "vcc_mv": 3650, "reset": 0x18, "mode": 1,
                    "tumble_frames": 9, "tumble_spin": 40, "tumble_slowdown": 200, "model_hash": 0xDEADBEEF,
                    "board": "uno", "model": "4_8_8_8+0", "mode_name": "vae", "roll_interrupted": True}
    assert face == {"roll": 77, "pixels": pixels}
    assert disp == {"page": 7, "col": 64, "data": b"\x0f" * 128}
    assert log == {"text": "héllo"}
    assert unknown == {} and frames[4].type_name == "UNKNOWN"


def test_latent_flag_names_the_code_byte_a_latent_code():
    """Under ROLL_FLAG_LATENT (a VAE-mode build) the code byte is a latent code: never read as an angle."""
    flags = fp.ROLL_FLAG_LATENT | fp.ROLL_FLAG_TUMBLE
    (f,), _ = fp.decode_all(fp.encode_frame(fp.FrameType.ROLL, 1, fp.roll_payload(6, 93, 4, 99, flags)))
    v = f.fields()
    assert (v["latent"], v["tumble"], v["forced"]) == (True, True, False)
    assert (v["code"], v["latent_code"], v["angle_code"]) == (93, 93, None)
    assert fp.code_text(v) == "latent code 93"
    (g,), _ = fp.decode_all(fp.encode_frame(fp.FrameType.ROLL, 2, fp.roll_payload(6, 64, 5, 99)))
    assert fp.code_text(g.fields()) == "angle code 64 (90.0 deg)"
    assert len({fp.ROLL_FLAG_FORCED, fp.ROLL_FLAG_TUMBLE, fp.ROLL_FLAG_LATENT}) == 3
    assert not (fp.ROLL_FLAG_LATENT & (fp.ROLL_FLAG_FORCED | fp.ROLL_FLAG_TUMBLE))


def test_encoder_rejects_bad_fields():
    for bad in (lambda: fp.roll_payload(0, 0, 0, 0), lambda: fp.roll_payload(7, 0, 0, 0),
                lambda: fp.roll_payload(1, 256, 0, 0), lambda: fp.face_payload(1, b"\x00" * 1023),
                lambda: fp.encode_frame(1, 70000, b""), lambda: fp.encode_frame(1, 0, b"\x00" * 2049),
                lambda: fp.display_payload(8, 0, b"\x01"),
                lambda: fp.boot_payload(16_000_000, 115200, 5000, 0, 0, 8, 56, 192, 0, "a-long-board", "m")):
        with pytest.raises(ValueError):
            bad()


def test_malformed_known_payloads_raise_value_error():
    assert pytest.raises(ValueError, fp.Frame(1, fp.FrameType.ROLL, 0, b"\x01" * 10).fields)
    assert pytest.raises(ValueError, fp.Frame(1, fp.FrameType.ROLL, 0, b"\x07" + b"\x00" * 10).fields)
    assert pytest.raises(ValueError, fp.Frame(1, fp.FrameType.FACE, 0, b"\x00" * 1027).fields)
    assert pytest.raises(ValueError, fp.Frame(1, fp.FrameType.BOOT, 0, b"\x00" * (fp.BOOT_HDR_LEN - 1)).fields)
    # Another protocol version is opaque: skipped like an unknown type, never misread.
    assert fp.Frame(2, fp.FrameType.ROLL, 0, b"\x07").type_name == "UNKNOWN"
    # Longer payloads are a later revision's additions: known fields still decode.
    longer = fp.Frame(1, fp.FrameType.ROLL, 0, fp.roll_payload(2, 1, 5, 6) + b"new")
    assert longer.fields()["pips"] == 2


def test_log_is_cut_to_log_max():
    assert fp.log_payload("x" * 500) == b"x" * fp.LOG_MAX


def test_generated_files_are_up_to_date(tmp_path):
    header, vectors, js = tmp_path / "frame_protocol.h", tmp_path / "frame-vectors.json", tmp_path / "protocol.js"
    assert gen.main(["--header", str(header), "--vectors", str(vectors), "--js", str(js)]) == 0
    assert header.read_bytes() == (ROOT / "firmware" / "src" / "frame_protocol.h").read_bytes()
    assert vectors.read_bytes() == (ROOT / "docs" / "frame-vectors.json").read_bytes()
    assert js.read_bytes() == (ROOT / "host_tools" / "web" / "src" / "protocol.js").read_bytes()
    for path in (header, js):
        first = path.read_text(encoding="utf-8").splitlines()[0]
        assert "Generated by host_tools/gen_frame_files.py" in first and "do not edit" in first
    r = subprocess.run([sys.executable, str(ROOT / "host_tools" / "gen_frame_files.py"), "--check"],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr


def test_header_constants_match_python():
    text = (ROOT / "firmware" / "src" / "frame_protocol.h").read_text(encoding="utf-8")
    defines = {}
    for line in text.splitlines():
        words = line.split()
        if len(words) >= 3 and words[0] == "#define":
            defines[words[1]] = words[2]
    assert int(defines["FP_MAGIC0"].rstrip("u"), 16) == fp.MAGIC[0]
    assert int(defines["FP_FACE_LEN"].rstrip("u")) == fp.FACE_LEN == 1028
    assert int(defines["FP_MAX_PAYLOAD"].rstrip("u")) == fp.MAX_PAYLOAD
    for t in fp.FrameType:
        assert int(defines[f"FP_TYPE_{t.name}"].rstrip("u"), 16) == t.value
    for name, off, _ in fp.ROLL_FIELDS:
        assert int(defines[f"FP_ROLL_OFF_{name.upper()}"].rstrip("u")) == off


def test_vectors_decode_to_their_fields():
    frames = VECTORS["frames"]
    for prev, cur in zip(frames, frames[1:]):
        assert cur["seq"] == (prev["seq"] + 1) & 0xFFFF  # the C test relies on consecutive numbers
    assert any(f["seq"] == 0 for f in frames), "the vectors should show the sequence wrap"
    for v in frames:
        got, stats = fp.decode_all(bytes.fromhex(v["hex"]))
        assert len(got) == 1 and stats.garbage_bytes == 0, v["name"]
        f = got[0]
        assert (f.type, f.seq, len(f.payload)) == (v["type_code"], v["seq"], v["payload_len"])
        fields = f.fields()
        for key, want in v["fields"].items():
            if key in ("pixels", "data", "payload"):
                have = f.payload.hex() if key == "payload" else fields[key].hex()
                assert have == want, (v["name"], key)
            elif key == "text":
                assert fields["text"] == want[:fp.LOG_MAX], v["name"]
            elif key == "angle_code":  # the byte on the wire; fields() calls it latent_code under the LATENT flag
                assert fields["code"] == want, v["name"]
            else:
                assert fields[key] == want, (v["name"], key)


def test_stream_vectors():
    for s in VECTORS["streams"]:
        frames, stats = fp.decode_all(bytes.fromhex(s["hex"]))
        assert [f.seq for f in frames] == s["frames"]
        assert {k: getattr(stats, k) for k in s["stats"]} == s["stats"]
        assert stats.crc_errors and stats.truncated and stats.header_errors and stats.garbage_bytes


def _check_accounting(frames: list[fp.Frame], stats: fp.DecoderStats) -> None:
    used = sum(fp.HEADER_LEN + len(f.payload) + fp.TRAILER_LEN for f in frames)
    assert used + stats.garbage_bytes == stats.bytes_in  # every byte is either in a valid frame or garbage
    assert stats.frames_ok == len(frames)


@FUZZ
@given(st.binary(max_size=64), st.integers(0, 2**32), st.integers(0, 1500), st.integers(1, 64))
def test_fuzz_random_bytes(head, seed, size, chunk):
    rng = random.Random(seed)
    data = bytearray(head + rng.randbytes(size))
    for _ in range(size // 16):  # sprinkle magic numbers so the header checks get exercised
        k = rng.randrange(len(data) + 1)
        data[k:k] = fp.MAGIC
    d, frames = fp.Decoder(), []
    for i in range(0, len(data), chunk):
        frames += d.feed(bytes(data[i:i + chunk]))
    frames += d.finish()
    assert frames == []  # nothing was encoded, so anything decoded would be a false frame
    _check_accounting(frames, d.stats)


@FUZZ
@given(st.lists(st.tuples(st.sampled_from(["ok", "ok", "flip", "cut", "garbage"]), st.integers(0, 2**32)),
                max_size=8),
       st.integers(1, 97))
def test_fuzz_damaged_streams(items, chunk):
    stream, intact = b"", []
    for how, seed in items:
        rng = random.Random(seed)  # the frame and its damage come from one drawn number: cheap to generate
        ftype, seq, payload = rng.randrange(256), rng.randrange(65536), rng.randbytes(rng.choice([0, 1, 11, 48]))
        raw = bytearray(fp.encode_frame(ftype, seq, payload))
        # Exact equality holds up to CRC-16 chance: a "cut" frame whose span is filled by noise passes with
        # probability 2^-16; derandomized examples keep the outcome reproducible.
        if how == "flip":  # 1..3 flipped bits: always caught, the CRC's Hamming distance is 4 at this length
            for bit in rng.sample(range(8 * len(raw)), rng.randint(1, 3)):
                raw[bit // 8] ^= 1 << (bit % 8)
        elif how == "cut":
            raw = raw[:rng.randrange(len(raw))]
        elif how == "garbage":
            stream += rng.randbytes(rng.randint(1, 40))
        if how in ("ok", "garbage"):
            intact.append(fp.Frame(fp.VERSION, ftype, seq, payload))
        stream += raw
    d, got = fp.Decoder(), []
    for i in range(0, len(stream), chunk):
        got += d.feed(stream[i:i + chunk])
    got += d.finish()
    assert got == intact  # every undamaged frame recovered, in order, and nothing else
    _check_accounting(got, d.stats)


def test_damaged_face_streams_recover_every_intact_frame():
    """Full-size frames (the 1028-byte FACE) with seeded random damage: flips, cuts, garbage, tiny chunks."""
    rng = random.Random(6)
    for _ in range(40):
        stream, intact = b"", []
        for seq in range(6):
            payload = fp.face_payload(seq, bytes(rng.randrange(256) for _ in range(1024))) if seq % 2 else \
                fp.roll_payload(rng.randint(1, 6), rng.randrange(256), seq, rng.randrange(2**32))
            raw = bytearray(fp.encode_frame(fp.FrameType.FACE if seq % 2 else fp.FrameType.ROLL, seq, payload))
            how = rng.choice(["ok", "flip", "cut", "garbage"])
            if how == "flip":
                for _ in range(rng.randint(1, 3)):
                    raw[rng.randrange(len(raw))] ^= 1 << rng.randrange(8)
            elif how == "cut":
                raw = raw[:rng.randrange(len(raw))]
            elif how == "garbage":
                stream += bytes(rng.randrange(256) for _ in range(rng.randint(1, 300))) + fp.MAGIC
            if how in ("ok", "garbage"):
                intact.append((seq, payload))
            stream += raw
        d, got, i = fp.Decoder(), [], 0
        while i < len(stream):
            n = rng.randint(1, 200)
            got += d.feed(stream[i:i + n])
            i += n
        got += d.finish()
        assert [(f.seq, f.payload) for f in got] == intact
        _check_accounting(got, d.stats)


def test_truncated_frame_is_resolved_as_soon_as_a_later_frame_completes():
    face = fp.encode_frame(fp.FrameType.FACE, 1, fp.face_payload(1, bytes(1024)))
    log = fp.encode_frame(fp.FrameType.LOG, 2, b"reset")
    d = fp.Decoder()
    assert d.feed(face[:300]) == []
    got = d.feed(log)  # the device rebooted mid-FACE: the LOG must not wait for 700 more bytes
    assert [f.seq for f in got] == [2] and d.stats.truncated == 1


def test_cut_frame_whose_crc_matches_by_chance_does_not_swallow_the_next():
    # Frame A announces 40 payload bytes but is cut after 5; frame B follows. B's payload is chosen so that the
    # bytes at A's CRC position equal the CRC of A's span: the 2^-16 accident, made certain.
    a = fp.encode_frame(fp.FrameType.LOG, 1, b"x" * 40)[:fp.HEADER_LEN + 5]
    b_payload = bytearray(b"y" * 60)
    pos = fp.HEADER_LEN + 40 - (len(a) + fp.HEADER_LEN)  # where A's CRC falls inside B's payload
    for _ in range(2):  # B's header depends only on its length, so one pass settles the prefix
        b = fp.encode_frame(fp.FrameType.LOG, 2, bytes(b_payload))
        span = (a + b)[:fp.HEADER_LEN + 40]
        b_payload[pos:pos + 2] = fp.crc16(span).to_bytes(2, "little")
    b = fp.encode_frame(fp.FrameType.LOG, 2, bytes(b_payload))
    span = (a + b)[:fp.HEADER_LEN + 40 + fp.TRAILER_LEN]
    assert fp.crc16(span[:-2]) == int.from_bytes(span[-2:], "little")  # A's span really does pass its CRC
    frames, stats = fp.decode_all(a + b)
    assert [(f.seq, f.payload) for f in frames] == [(2, bytes(b_payload))] and stats.truncated == 1
