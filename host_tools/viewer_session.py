"""The frame viewer's engine: decoded frames -> paired rolls and faces, the fairness tally, the serial pump.

A `Viewer` is fed bytes (live or from a capture) and tells a `FaceDisplay` what to show; `run_serial` drives a
pyserial port (asking the die to roll when told to), `replay_file` a capture.
"""
from __future__ import annotations

import json
import time
from pathlib import Path
from typing import BinaryIO, Callable, TextIO

from gendie.device import board
from host_tools import frame_protocol as fp
from host_tools.fairness import Tally
from host_tools.viewer_display import FaceDisplay

PENDING = 8  # unpaired ROLL or FACE frames kept while waiting for their partner


def frame_json(frame: fp.Frame, fields: dict) -> dict:
    """Arrival-independent description of a valid frame (a fixed set of keys, null when not applicable)."""
    obj = {k: fields.get(k) for k in ("pips", "angle_code", "latent_code", "roll", "cycles", "forced", "text", "page",
                                      "col")}
    obj.update(type=frame.type_name, type_code=frame.type, version=frame.version, seq=frame.seq,
               len=len(frame.payload), sha256=frame.sha256())
    return obj


class Viewer:
    """Turns decoded frames into terminal lines or JSON lines, faces for the display, and the tally."""

    def __init__(self, display: FaceDisplay, out: TextIO, err: TextIO, json_lines: bool = False,
                 cpu_hz: int | None = None) -> None:
        self.display, self.out, self.err, self.json_lines = display, out, err, json_lines
        self.cpu_hz = cpu_hz or board().f_cpu  # ROLL cycle counts -> milliseconds, until a BOOT frame says otherwise
        self.decoder = fp.Decoder()
        self.tally = Tally()
        self.roll_frames = 0
        self.malformed = self.unknown = self.seq_gaps = 0
        # The firmware may send a roll's FACE before or after its ROLL; they are paired by roll number.
        self.rolls: dict[int, dict] = {}   # roll number -> ROLL fields still waiting for their FACE
        self.faces: dict[int, bytes] = {}  # roll number -> pixels still waiting for their ROLL
        self.awaiting_face: int | None = None  # the latest ROLL's number until its face is shown
        self._last_seq: int | None = None
        self._reported = (0, 0, 0, 0)

    def feed(self, data: bytes) -> None:
        for frame in self.decoder.feed(data):
            self._handle(frame)

    def finish(self) -> None:
        for frame in self.decoder.finish():
            self._handle(frame)
        self._report_errors()
        for roll in sorted(self.faces):
            self._show_face(roll, self.faces[roll], None)
        self.faces.clear()

    def _report_errors(self) -> None:
        s = self.decoder.stats
        now = (s.crc_errors, s.header_errors, s.truncated, s.garbage_bytes)
        if now != self._reported:
            d = [a - b for a, b in zip(now, self._reported)]
            print(f"! skipped {d[3]} garbage bytes ({d[0]} CRC errors, {d[1]} bad headers, "
                  f"{d[2]} truncated frames)", file=self.err)
            self._reported = now

    def _handle(self, frame: fp.Frame) -> None:
        self._report_errors()
        if self._last_seq is not None and frame.seq != (self._last_seq + 1) & 0xFFFF:
            self.seq_gaps += 1
        self._last_seq = frame.seq
        try:
            fields = frame.fields()
        except ValueError as e:
            self.malformed += 1
            print(f"! seq {frame.seq}: {e}", file=self.err)
            return
        if self.json_lines:
            print(json.dumps(frame_json(frame, fields), sort_keys=True), file=self.out, flush=True)
        name = frame.type_name
        if name == "ROLL":
            self._on_roll(frame, fields)
        elif name == "FACE":
            roll = fields["roll"]
            if roll in self.rolls:
                self._show_face(roll, fields["pixels"], self.rolls.pop(roll))
            else:
                self.faces[roll] = fields["pixels"]
                while len(self.faces) > PENDING:
                    self.faces.pop(next(iter(self.faces)))
        elif name == "LOG" and not self.json_lines:
            print(f"[log] {fields['text']}", file=self.out, flush=True)
        elif name == "BOOT":
            self.cpu_hz = fields["f_cpu"]  # the die says which clock its cycle counts are in
            if not self.json_lines:
                print(f"[boot] {fields['board']} at {fields['f_cpu'] / 1e6:g} MHz, supply {fields['vcc_mv']} mV, "
                      f"model {fields['model']} ({fields['mode_name']}, hash {fields['model_hash']:08x})"
                      f"{', a roll was interrupted by the reset' if fields['roll_interrupted'] else ''}",
                      file=self.out, flush=True)
        elif name == "UNKNOWN":
            self.unknown += 1

    def _on_roll(self, frame: fp.Frame, f: dict) -> None:
        self.roll_frames += 1
        if not f["forced"] and not f["tumble"]:  # only landed, unforced rolls count for fairness
            self.tally.add(f["pips"])
        if not self.json_lines:
            ms = f["cycles"] * 1000 / self.cpu_hz
            print(f"roll #{f['roll']}: pips {f['pips']}  {fp.code_text(f)}  "
                  f"generation {f['cycles']} cycles ({ms:.1f} ms)  seq {frame.seq}"
                  f"{'  [forced, not tallied]' if f['forced'] else ''}"
                  f"{'  [tumble face, not tallied]' if f['tumble'] else ''}", file=self.out)
            if not f["tumble"]:
                print(self.tally.verdict(), file=self.out, flush=True)
        if f["roll"] in self.faces:
            self._show_face(f["roll"], self.faces.pop(f["roll"]), f)
        else:
            self.rolls[f["roll"]] = f
            self.awaiting_face = f["roll"]
            while len(self.rolls) > PENDING:
                self.rolls.pop(next(iter(self.rolls)))

    def _show_face(self, roll: int, pixels: bytes, meta: dict | None) -> None:
        if roll == self.awaiting_face:
            self.awaiting_face = None
        self.display.face(roll, pixels, meta["pips"] if meta else None)

    def summary(self) -> str:
        s = self.decoder.stats
        return (f"frames ok {s.frames_ok} / crc errors {s.crc_errors} / garbage bytes {s.garbage_bytes} "
                f"(bad headers {s.header_errors}, truncated {s.truncated}, malformed {self.malformed}, "
                f"unknown type {self.unknown}, seq gaps {self.seq_gaps}, bytes {s.bytes_in})")


def pump(ser, viewer: Viewer, rec: BinaryIO | None, done: Callable[[], bool], timeout: float | None,
         idle: bool) -> bool:
    """Read until done() or timeout (restarted by incoming bytes when idle=True). False on timeout."""
    deadline = None if timeout is None else time.monotonic() + timeout
    while not done():
        if deadline is not None and time.monotonic() > deadline:
            return False
        data = ser.read(max(1, ser.in_waiting))
        if data:
            if rec:
                rec.write(data)
                rec.flush()
            viewer.feed(data)
            if idle and timeout is not None:
                deadline = time.monotonic() + timeout
    return True


def run_serial(ser, viewer: Viewer, rec: BinaryIO | None, roll: bool = False, pips: int | None = None,
               count: int | None = None, timeout: float | None = None) -> bool:
    """Live session on an open pyserial port: listen (for `count` ROLL frames, or until `timeout` s of silence), or
    ask for `count` rolls (forced to `pips`). False when the die did not answer a roll request."""
    def face_of_last_roll() -> bool:
        return viewer.awaiting_face is None

    grace = 2.0 if timeout is None else min(2.0, timeout)
    if not roll:
        if pump(ser, viewer, rec, lambda: count is not None and viewer.roll_frames >= count, timeout, True):
            pump(ser, viewer, rec, face_of_last_roll, grace, False)
        return True
    cmd = fp.CMD_PIPS + str(pips).encode() if pips else fp.CMD_ROLL
    timeout = 10.0 if timeout is None else timeout
    for i in range(count or 1):
        before = viewer.roll_frames
        ser.write(cmd)
        ser.flush()
        if not pump(ser, viewer, rec, lambda: viewer.roll_frames > before, timeout, False):
            print(f"error: no ROLL frame within {timeout:g} s of sending {cmd.decode()!r} (roll {i + 1})",
                  file=viewer.err)
            return False
        pump(ser, viewer, rec, face_of_last_roll, grace, False)
    return True


def replay_file(path: Path, viewer: Viewer, rec: BinaryIO | None, progress: bool = False) -> None:
    from tqdm import tqdm
    size = path.stat().st_size
    with path.open("rb") as f, tqdm(total=size, unit="B", unit_scale=True, desc="replay",
                                    disable=not progress or size < (1 << 20)) as bar:
        while chunk := f.read(65536):
            if rec:
                rec.write(chunk)
            viewer.feed(chunk)
            bar.update(len(chunk))
