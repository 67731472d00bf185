"""GenDie serial frame protocol: the single machine-readable source of its constants.

docs/frame-protocol.md explains the design; firmware/src/frame_protocol.h and docs/frame-vectors.json are
generated from this module by host_tools/gen_frame_files.py.

Frame on the wire (multi-byte fields little-endian):
    magic D1 CE | version u8 | type u8 | seq u16 | len u16 | hcrc u16 | payload[len] | crc u16
hcrc = CRC-16/CCITT-FALSE over bytes 0..7 (magic..len); crc = CRC-16/CCITT-FALSE over bytes 0..9+len
(whole header including hcrc, then the payload).
"""
from __future__ import annotations

import hashlib
import struct
from dataclasses import dataclass
from enum import IntEnum

from gendie.device import board, code_to_degrees

MAGIC = b"\xD1\xCE"  # D1 CE is never valid UTF-8 (two lead bytes), so LOG text cannot contain it
VERSION = 1
HEADER_LEN = 10
TRAILER_LEN = 2
MAX_PAYLOAD = 2048  # protocol-wide cap; lets a decoder reject absurd lengths without waiting for them
CRC_POLY = 0x1021
CRC_INIT = 0xFFFF
BAUD = board().baud  # a board fact, owned by hardware/pinmap.json

# Header field layout: (name, byte offset, C type). Frozen for every protocol version.
HEADER_FIELDS = [("magic", 0, "u16"), ("version", 2, "u8"), ("type", 3, "u8"),
                 ("seq", 4, "u16"), ("len", 6, "u16"), ("hcrc", 8, "u16")]


class FrameType(IntEnum):
    ROLL = 0x01
    FACE = 0x02
    DISPLAY = 0x03
    LOG = 0x04
    BOOT = 0x05


# Payload layouts: (name, byte offset, C type). Payloads may grow at the end in later revisions of the same
# version, so decoders read these offsets and ignore trailing bytes they do not know.
ROLL_FIELDS = [("pips", 0, "u8"), ("angle_code", 1, "u8"), ("flags", 2, "u8"),
               ("roll", 3, "u32"), ("cycles", 7, "u32")]
ROLL_LEN = 11
ROLL_FLAG_FORCED = 0x01  # pips were forced with the `p<n>` command: excluded from the fairness tally
ROLL_FLAG_TUMBLE = 0x02  # a face of the tumble before the landed roll (dumped after `d1`): never tallied; its
                         # `cycles` count from the press to the start of this face, and its FACE frame follows it
ROLL_FLAG_LATENT = 0x04  # the code byte (field angle_code) is a latent code, not an angle: a VAE-mode build (BOOT
                         # mode vae) samples it from the prior at every roll. Set on every ROLL of such a build.
FACE_W = 32
FACE_H = 32
FACE_FIELDS = [("roll", 0, "u32"), ("pixels", 4, "u8[1024]")]
FACE_LEN = 4 + FACE_W * FACE_H
DISPLAY_FIELDS = [("page", 0, "u8"), ("col", 1, "u8"), ("data", 2, "u8[n]")]
DISPLAY_HDR_LEN = 2
DISPLAY_MAX_DATA = 128
LOG_MAX = 120
# BOOT: once after every reset, says how to read the rest of the capture (cycles -> seconds, which golden model).
BOOT_FIELDS = [("f_cpu", 0, "u32"), ("baud", 4, "u32"), ("vcc_mv", 8, "u16"), ("reset", 10, "u8"),
               ("mode", 11, "u8"), ("tumble_frames", 12, "u8"), ("tumble_spin", 13, "u8"),
               ("tumble_slowdown", 14, "u8"), ("model_hash", 15, "u32"), ("board", 19, "char[8]"),
               ("model", 27, "text")]
BOOT_HDR_LEN = 27          # fixed part; the model name (UTF-8, no terminator) follows
BOOT_MODEL_MAX = 40
BOOT_BOARD_LEN = 8         # NUL-padded
BOOT_RESET_POWER = 0x01    # reset cause bits as the MCU saw them (a bootloader may have cleared them: Optiboot does)
BOOT_RESET_EXTERNAL = 0x02
BOOT_RESET_BROWNOUT = 0x04
BOOT_RESET_WATCHDOG = 0x08
BOOT_RESET_ROLL_INTERRUPTED = 0x10  # a roll was in progress when the MCU reset (kept in RAM across any reset)
BOOT_MODES = {0: "angle", 1: "vae", 0xFF: "test-pattern"}

# Host -> device commands (single ASCII bytes; anything else, including CR/LF, is ignored by the firmware).
CMD_ROLL = b"r"
CMD_PIPS = b"p"  # then one ASCII digit 1..6: roll now with these pips, flagged FORCED, without tumbling
CMD_ROLL_NO_TUMBLE = b"n"  # roll now without the tumble (for tests and quick use)
CMD_DUMP_TUMBLE = b"d"  # then '1' (dump every tumble face, each after its TUMBLE ROLL frame) or '0' (off, default)

_FMT = {"u8": "B", "u16": "H", "u32": "I"}


def _crc_table() -> list[int]:
    table = []
    for b in range(256):
        crc = b << 8
        for _ in range(8):
            crc = ((crc << 1) ^ CRC_POLY) & 0xFFFF if crc & 0x8000 else (crc << 1) & 0xFFFF
        table.append(crc)
    return table


_CRC_TABLE = _crc_table()


def crc16(data: bytes, crc: int = CRC_INIT) -> int:
    """CRC-16/CCITT-FALSE (poly 0x1021, init 0xFFFF, no reflection, no final xor); chainable via `crc`."""
    t = _CRC_TABLE
    for b in data:
        crc = ((crc << 8) & 0xFFFF) ^ t[(crc >> 8) ^ b]
    return crc


def encode_frame(ftype: int, seq: int, payload: bytes, version: int = VERSION) -> bytes:
    """One complete frame. Raises ValueError on out-of-range fields."""
    if not (0 <= ftype <= 0xFF and 0 <= version <= 0xFF and 0 <= seq <= 0xFFFF):
        raise ValueError("type/version must be u8 and seq u16")
    if len(payload) > MAX_PAYLOAD:
        raise ValueError(f"payload of {len(payload)} bytes exceeds MAX_PAYLOAD={MAX_PAYLOAD}")
    head = MAGIC + struct.pack("<BBHH", version, ftype, seq, len(payload))
    head += struct.pack("<H", crc16(head))
    body = head + bytes(payload)
    return body + struct.pack("<H", crc16(body))


def _pack(fields: list[tuple[str, int, str]], values: dict[str, int]) -> bytes:
    return b"".join(struct.pack("<" + _FMT[t], values[n]) for n, _, t in fields if t in _FMT)


def roll_payload(pips: int, angle_code: int, roll: int, cycles: int, flags: int = 0) -> bytes:
    if not (1 <= pips <= 6 and 0 <= angle_code <= 255 and 0 <= flags <= 255):
        raise ValueError("pips must be 1..6, angle_code and flags u8")
    if not (0 <= roll < 2**32 and 0 <= cycles < 2**32):
        raise ValueError("roll and cycles must be u32")
    return _pack(ROLL_FIELDS, dict(pips=pips, angle_code=angle_code, flags=flags, roll=roll, cycles=cycles))


def code_text(roll: dict) -> str:
    """A decoded ROLL's code byte as people read it: "latent code N" (flag LATENT) or "angle code N (D deg)"."""
    if roll.get("latent_code") is not None:
        return f"latent code {roll['latent_code']}"
    return f"angle code {roll['angle_code']} ({float(code_to_degrees(roll['angle_code'])):.1f} deg)"


def face_payload(roll: int, pixels: bytes) -> bytes:
    if len(pixels) != FACE_W * FACE_H:
        raise ValueError(f"a face is {FACE_W * FACE_H} bytes, got {len(pixels)}")
    return struct.pack("<I", roll) + bytes(pixels)


def display_payload(page: int, col: int, data: bytes) -> bytes:
    if not (0 <= page <= 7 and 0 <= col <= 127 and 1 <= len(data) <= DISPLAY_MAX_DATA):
        raise ValueError("page 0..7, col 0..127, 1..128 data bytes")
    return bytes([page, col]) + bytes(data)


def boot_payload(f_cpu: int, baud: int, vcc_mv: int, reset: int, mode: int, tumble_frames: int,
                 tumble_spin: int, tumble_slowdown: int, model_hash: int, board: str, model: str) -> bytes:
    """BOOT payload; the model name is cut to BOOT_MODEL_MAX bytes as the firmware does."""
    name = board.encode("ascii")
    if len(name) > BOOT_BOARD_LEN:
        raise ValueError(f"board name longer than {BOOT_BOARD_LEN} bytes")
    head = struct.pack("<IIHBBBBBI", f_cpu, baud, vcc_mv, reset, mode, tumble_frames, tumble_spin,
                       tumble_slowdown, model_hash)
    return head + name.ljust(BOOT_BOARD_LEN, b"\0") + model.encode("utf-8")[:BOOT_MODEL_MAX]


def log_payload(text: str | bytes) -> bytes:
    """UTF-8 text, no terminator; cut to LOG_MAX bytes exactly as the C encoder does."""
    raw = text.encode("utf-8") if isinstance(text, str) else bytes(text)
    return raw[:LOG_MAX]


@dataclass(frozen=True)
class Frame:
    version: int
    type: int
    seq: int
    payload: bytes

    @property
    def type_name(self) -> str:
        if self.version == VERSION and self.type in FrameType._value2member_map_:
            return FrameType(self.type).name
        return "UNKNOWN"

    def fields(self) -> dict:
        """Decoded payload fields; raises ValueError if a known frame type is malformed."""
        name, p = self.type_name, self.payload
        if name == "ROLL":
            if len(p) < ROLL_LEN:
                raise ValueError(f"ROLL payload too short ({len(p)} < {ROLL_LEN})")
            v = {n: struct.unpack_from("<" + _FMT[t], p, o)[0] for n, o, t in ROLL_FIELDS}
            if not 1 <= v["pips"] <= 6:
                raise ValueError(f"ROLL pips out of range: {v['pips']}")
            v["forced"] = bool(v["flags"] & ROLL_FLAG_FORCED)
            v["tumble"] = bool(v["flags"] & ROLL_FLAG_TUMBLE)
            # The code byte says one of two things: the die's angle, or (flag LATENT) a latent code. "code" is the
            # byte either way; "angle_code" / "latent_code" name it, the other one is None.
            v["latent"] = bool(v["flags"] & ROLL_FLAG_LATENT)
            v["code"] = v["angle_code"]
            if v["latent"]:
                v["latent_code"], v["angle_code"] = v["angle_code"], None
            else:
                v["latent_code"] = None
            return v
        if name == "FACE":
            if len(p) < FACE_LEN:
                raise ValueError(f"FACE payload too short ({len(p)} < {FACE_LEN})")
            return {"roll": struct.unpack_from("<I", p, 0)[0], "pixels": p[4:FACE_LEN]}
        if name == "DISPLAY":
            if not DISPLAY_HDR_LEN < len(p) <= DISPLAY_HDR_LEN + DISPLAY_MAX_DATA or p[0] > 7 or p[1] > 127:
                raise ValueError("DISPLAY payload malformed")
            return {"page": p[0], "col": p[1], "data": p[2:]}
        if name == "LOG":
            return {"text": p.decode("utf-8", errors="replace")}
        if name == "BOOT":
            if len(p) < BOOT_HDR_LEN:
                raise ValueError(f"BOOT payload too short ({len(p)} < {BOOT_HDR_LEN})")
            v = {n: struct.unpack_from("<" + _FMT[t], p, o)[0] for n, o, t in BOOT_FIELDS if t in _FMT}
            v["board"] = p[19:19 + BOOT_BOARD_LEN].rstrip(b"\0").decode("ascii", errors="replace")
            v["model"] = p[BOOT_HDR_LEN:].decode("utf-8", errors="replace")
            v["mode_name"] = BOOT_MODES.get(v["mode"], "unknown")
            v["roll_interrupted"] = bool(v["reset"] & BOOT_RESET_ROLL_INTERRUPTED)
            return v
        return {}

    def sha256(self) -> str:
        return hashlib.sha256(self.payload).hexdigest()


@dataclass
class DecoderStats:
    frames_ok: int = 0
    crc_errors: int = 0      # header valid, frame CRC wrong
    header_errors: int = 0   # magic seen but header CRC wrong or length > MAX_PAYLOAD
    truncated: int = 0       # header valid but the frame was cut short (a later frame or end of stream proves it)
    garbage_bytes: int = 0   # every byte fed that is not part of a valid frame
    bytes_in: int = 0


class Decoder:
    """Streaming decoder: feed() any chunks, get back the valid frames, never raises on bad input.

    Resynchronisation: scan for MAGIC, check the header CRC, wait for the body, check the frame CRC.
    On any failure drop one byte and rescan, so a frame hidden behind a corrupt one is still found.
    A complete valid frame starting inside another frame's span proves that one truncated: so a device
    reset mid-frame costs no more than that frame, and even a cut frame whose CRC happens to match the bytes
    that filled its span (2^-16) cannot swallow the frame after it."""

    def __init__(self) -> None:
        self.stats = DecoderStats()
        self._buf = bytearray()
        self._look = 1  # lookahead scan position relative to the pending frame start

    def feed(self, data: bytes) -> list[Frame]:
        self.stats.bytes_in += len(data)
        self._buf += data
        return self._run(final=False)

    def finish(self) -> list[Frame]:
        """End of stream: resolve whatever is still pending (counted as truncated or garbage)."""
        out = self._run(final=True)
        self.stats.garbage_bytes += len(self._buf)
        self._buf.clear()
        return out

    def _header(self, i: int) -> int | None:
        """Payload length if a valid header starts at i; None if invalid; -1 if not enough bytes yet."""
        b = self._buf
        if len(b) - i < HEADER_LEN:
            return -1 if b[i:i + 2] == MAGIC[:len(b) - i] else None
        if b[i:i + 2] != MAGIC:
            return None
        n = struct.unpack_from("<H", b, i + 6)[0]
        if crc16(b[i:i + 8]) != struct.unpack_from("<H", b, i + 8)[0] or n > MAX_PAYLOAD:
            return None
        return n

    def _complete(self, i: int, n: int) -> Frame | None | int:
        """Frame at i with payload length n: Frame if valid, None if CRC fails, -1 if incomplete."""
        b, end = self._buf, i + HEADER_LEN + n + TRAILER_LEN
        if len(b) < end:
            return -1
        if crc16(b[i:end - 2]) != struct.unpack_from("<H", b, end - 2)[0]:
            return None
        return Frame(b[i + 2], b[i + 3], struct.unpack_from("<H", b, i + 4)[0],
                     bytes(b[i + HEADER_LEN:end - 2]))

    def _inner(self, n: int, final: bool) -> int | None:
        """Start of a complete valid frame inside the span of the frame at 0 (payload length n): that frame
        is then a truncated one whose span got filled by later bytes. -1: undecided yet; None: there is none."""
        b, limit = self._buf, min(len(self._buf), HEADER_LEN + n + TRAILER_LEN)
        while True:
            j = b.find(MAGIC, self._look, limit)
            if j < 0:
                self._look = max(1, limit - 1)
                return None
            m = self._header(j)
            f = -1 if m == -1 else None if m is None else self._complete(j, m)
            if f == -1 and not final:
                self._look = j
                return -1
            if isinstance(f, Frame):
                return j
            self._look = j + 1

    def _drop(self, k: int) -> None:
        self.stats.garbage_bytes += k
        del self._buf[:k]
        self._look = 1

    def _run(self, final: bool) -> list[Frame]:
        out: list[Frame] = []
        while self._buf:
            i = self._buf.find(MAGIC)
            if i < 0:
                keep = 1 if self._buf[-1] == MAGIC[0] and not final else 0
                self._drop(len(self._buf) - keep)
                break
            if i:
                self._drop(i)
            n = self._header(0)
            if n == -1:
                if final:
                    self._drop(1)
                    continue
                break
            if n is None:
                self.stats.header_errors += 1
                self._drop(1)
                continue
            f = self._complete(0, n)
            if f == -1:
                j = 0 if final else self._inner(n, False)
                if final or (j or 0) > 0:
                    self.stats.truncated += 1
                    self._drop(j or 1)
                    continue
                break
            if f is None:
                self.stats.crc_errors += 1
                self._drop(1)
                continue
            # A CRC that matched by chance (2^-16) over a cut frame plus the next frame's bytes must not hide
            # that next frame: a valid frame starting inside this one's span wins.
            j = self._inner(n, final)
            if j == -1:
                break
            if j:
                self.stats.truncated += 1
                self._drop(j)
                continue
            self.stats.frames_ok += 1
            del self._buf[:HEADER_LEN + n + TRAILER_LEN]
            self._look = 1
            out.append(f)
        return out


def decode_all(data: bytes) -> tuple[list[Frame], DecoderStats]:
    """Decode a complete capture."""
    d = Decoder()
    frames = d.feed(data) + d.finish()
    return frames, d.stats
