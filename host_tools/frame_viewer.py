"""Watch GenDie rolls: decode the die's serial frame dump live or from a capture.

examples:
  python host_tools/frame_viewer.py --port /dev/ttyUSB0                 # live, faces drawn in the terminal
  python host_tools/frame_viewer.py --port /dev/ttyUSB0 --roll --count 60 --record dump.bin --save faces/
  python host_tools/frame_viewer.py --file dump.bin --json              # one JSON object per valid frame
Exit status: 0 ok, 1 the die did not answer a --roll, 2 bad arguments or the port/file cannot be opened.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path
from typing import BinaryIO, Callable, TextIO

from host_tools import frame_protocol as fp
from host_tools.fairness import Tally

CPU_HZ = 16_000_000  # ATmega328P clock, to turn ROLL cycle counts into milliseconds (a BOOT frame overrides it)
_GREYS_256 = [(16, 0)] + [(232 + i, 8 + 10 * i) for i in range(24)] + [(231, 255)]


def _grey256(v: int) -> int:
    return min(_GREYS_256, key=lambda iv: abs(iv[1] - v))[0]


def render_face(pixels: bytes, scale: int = 2, color: str = "truecolor") -> str:
    """Terminal picture of a 32x32 face: each character cell shows two pixel rows with half blocks."""
    w = fp.FACE_W * scale
    img = [[pixels[(y // scale) * fp.FACE_W + x // scale] for x in range(w)] for y in range(fp.FACE_H * scale)]
    if len(img) % 2:
        img.append([0] * w)
    if color == "none":
        ramp = " .:-=+*#%@"
        return "\n".join("".join(ramp[(t + b) * len(ramp) // 512] for t, b in zip(img[y], img[y + 1]))
                         for y in range(0, len(img), 2)) + "\n"
    if color == "256":
        def fg(v: int) -> str: return f"\x1b[38;5;{_grey256(v)}m"
        def bg(v: int) -> str: return f"\x1b[48;5;{_grey256(v)}m"
        def key(v: int) -> int: return _grey256(v)
    else:
        def fg(v: int) -> str: return f"\x1b[38;2;{v};{v};{v}m"
        def bg(v: int) -> str: return f"\x1b[48;2;{v};{v};{v}m"
        def key(v: int) -> int: return v
    lines = []
    for y in range(0, len(img), 2):
        parts, last = [], None
        for t, b in zip(img[y], img[y + 1]):
            if key(t) == key(b):
                code, ch = fg(t), "\u2588"  # full block: both halves alike
            else:
                code, ch = fg(t) + bg(b), "\u2580"  # upper half block: top in fg, bottom in bg
            if code != last:
                parts.append("\x1b[0m" + code)
                last = code
            parts.append(ch)
        lines.append("".join(parts) + "\x1b[0m")
    return "\n".join(lines) + "\n"


def frame_json(frame: fp.Frame, fields: dict) -> dict:
    """Arrival-independent description of a valid frame (a fixed set of keys, null when not applicable)."""
    obj = {k: fields.get(k) for k in ("pips", "angle_code", "roll", "cycles", "forced", "text", "page", "col")}
    obj.update(type=frame.type_name, type_code=frame.type, version=frame.version, seq=frame.seq,
               len=len(frame.payload), sha256=frame.sha256())
    return obj


class Viewer:
    """Turns decoded frames into terminal output, JSON lines, PNGs, a plot window and the tally."""

    def __init__(self, args: argparse.Namespace, out: TextIO, err: TextIO) -> None:
        self.args, self.out, self.err = args, out, err
        self.decoder = fp.Decoder()
        self.tally = Tally()
        self.cpu_hz = CPU_HZ  # until a BOOT frame says otherwise
        self.roll_frames = 0
        self.malformed = self.unknown = self.seq_gaps = 0
        # The firmware may send a roll's FACE before or after its ROLL; they are paired by roll number.
        self.rolls: dict[int, dict] = {}   # roll number -> ROLL fields still waiting for their FACE
        self.faces: dict[int, bytes] = {}  # roll number -> pixels still waiting for their ROLL
        self.awaiting_face: int | None = None  # the latest ROLL's number until its face is shown
        self._last_seq: int | None = None
        self._reported = (0, 0, 0, 0)
        self._plot = None

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
        if self.args.json:
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
                while len(self.faces) > 8:
                    self.faces.pop(next(iter(self.faces)))
        elif name == "LOG" and not self.args.json:
            print(f"[log] {fields['text']}", file=self.out, flush=True)
        elif name == "BOOT":
            self.cpu_hz = fields["f_cpu"]  # the die says which clock its cycle counts are in
            if not self.args.json:
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
        if not self.args.json:
            deg = f["angle_code"] * 360 / 256
            ms = f["cycles"] * 1000 / self.cpu_hz
            print(f"roll #{f['roll']}: pips {f['pips']}  angle {f['angle_code']} ({deg:.1f} deg)  "
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
            while len(self.rolls) > 8:
                self.rolls.pop(next(iter(self.rolls)))

    def _show_face(self, roll: int, pixels: bytes, meta: dict | None) -> None:
        if roll == self.awaiting_face:
            self.awaiting_face = None
        pips = meta["pips"] if meta else None
        if not self.args.json and not self.args.no_render:
            print(f"face of roll #{roll}" + (f" (pips {pips})" if pips else ""), file=self.out)
            print(render_face(pixels, self.args.scale, self.args.color), end="", file=self.out, flush=True)
        if self.args.save:
            self._save_png(roll, pixels, pips)
        if self.args.show:
            self._plot_face(roll, pixels, pips)

    def _save_png(self, roll: int, pixels: bytes, pips: int | None) -> None:
        from PIL import Image
        img = Image.frombytes("L", (fp.FACE_W, fp.FACE_H), bytes(pixels))
        s = self.args.png_scale
        img = img.resize((fp.FACE_W * s, fp.FACE_H * s), Image.NEAREST)
        name = f"roll{roll:06d}" + (f"_p{pips}" if pips else "") + ".png"
        tmp = self.args.save / (name + ".tmp")
        img.save(tmp, format="PNG")
        tmp.replace(self.args.save / name)

    def _plot_face(self, roll: int, pixels: bytes, pips: int | None) -> None:
        import matplotlib.pyplot as plt
        import numpy as np
        a = np.frombuffer(bytes(pixels), dtype=np.uint8).reshape(fp.FACE_H, fp.FACE_W)
        if self._plot is None:
            plt.ion()
            fig, ax = plt.subplots(figsize=(3, 3))
            ax.axis("off")
            self._plot = (fig, ax, ax.imshow(a, cmap="gray", vmin=0, vmax=255, interpolation="nearest"))
        fig, ax, im = self._plot
        im.set_data(a)
        ax.set_title(f"roll #{roll}" + (f"  pips {pips}" if pips else ""))
        plt.pause(0.001)

    def summary(self) -> str:
        s = self.decoder.stats
        return (f"frames ok {s.frames_ok} / crc errors {s.crc_errors} / garbage bytes {s.garbage_bytes} "
                f"(bad headers {s.header_errors}, truncated {s.truncated}, malformed {self.malformed}, "
                f"unknown type {self.unknown}, seq gaps {self.seq_gaps}, bytes {s.bytes_in})")


def _pump(ser, viewer: Viewer, rec: BinaryIO | None, done: Callable[[], bool], timeout: float | None,
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


def run_serial(ser, viewer: Viewer, args: argparse.Namespace, rec: BinaryIO | None) -> int:
    """Live session on an open pyserial port; returns the exit status."""
    def face_of_last_roll() -> bool:
        return viewer.awaiting_face is None

    grace = 2.0 if args.timeout is None else min(2.0, args.timeout)
    if not args.roll:
        want = args.count
        ok = _pump(ser, viewer, rec, lambda: want is not None and viewer.roll_frames >= want, args.timeout, True)
        if ok:
            _pump(ser, viewer, rec, face_of_last_roll, grace, False)
        return 0
    cmd = fp.CMD_PIPS + str(args.pips).encode() if args.pips else fp.CMD_ROLL
    timeout = 10.0 if args.timeout is None else args.timeout
    for i in range(args.count or 1):
        before = viewer.roll_frames
        ser.write(cmd)
        ser.flush()
        if not _pump(ser, viewer, rec, lambda: viewer.roll_frames > before, timeout, False):
            print(f"error: no ROLL frame within {timeout:g} s of sending {cmd.decode()!r} (roll {i + 1})",
                  file=viewer.err)
            return 1
        _pump(ser, viewer, rec, face_of_last_roll, grace, False)
    return 0


def replay_file(path: Path, viewer: Viewer, rec: BinaryIO | None) -> None:
    from tqdm import tqdm
    size = path.stat().st_size
    with path.open("rb") as f, tqdm(total=size, unit="B", unit_scale=True, desc="replay", file=sys.stderr,
                                    disable=True if size < (1 << 20) else None) as bar:
        while chunk := f.read(65536):
            if rec:
                rec.write(chunk)
            viewer.feed(chunk)
            bar.update(len(chunk))


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    src = ap.add_mutually_exclusive_group(required=True)
    src.add_argument("--port", help="pyserial port or URL: /dev/ttyUSB0, COM3, socket://host:port, loop://, rfc2217://")
    src.add_argument("--file", type=Path, help="replay a raw capture (as written by --record)")
    ap.add_argument("--baud", type=int, default=fp.BAUD, help="baud rate (default %(default)s)")
    ap.add_argument("--record", type=Path, help="save the raw byte stream to this new file")
    ap.add_argument("--force", action="store_true", help="let --record overwrite an existing file")
    ap.add_argument("--save", type=Path, metavar="DIR", help="save each face as DIR/rollNNNNNN_pP.png")
    ap.add_argument("--png-scale", type=int, default=4, help="PNG upscale factor (default %(default)s)")
    ap.add_argument("--show", action="store_true", help="also show the latest face in a matplotlib window")
    ap.add_argument("--json", action="store_true",
                    help="print one JSON object per valid frame on stdout and nothing else there")
    ap.add_argument("--color", choices=["auto", "truecolor", "256", "none"], default="auto",
                    help="terminal colours: 24-bit, 256-colour greys, or plain characters (default %(default)s)")
    ap.add_argument("--scale", type=int, default=2, choices=[1, 2, 3, 4], help="terminal upscale (default %(default)s)")
    ap.add_argument("--no-render", action="store_true", help="do not draw faces in the terminal")
    ap.add_argument("--roll", action="store_true", help="send 'r' to make the die roll (needs --port)")
    ap.add_argument("--pips", type=int, choices=range(1, 7), metavar="1-6",
                    help="with --roll: send 'p<n>' instead, a roll forced to n pips (not tallied)")
    ap.add_argument("--count", type=int, help="stop after this many ROLL frames (with --roll: rolls to request)")
    ap.add_argument("--timeout", type=float,
                    help="seconds of silence before giving up (with --roll: per roll, default 10)")
    args = ap.parse_args(argv)
    if args.roll and not args.port:
        ap.error("--roll needs --port")
    if args.pips and not args.roll:
        ap.error("--pips needs --roll")
    if args.count is not None and args.count < 1 or args.timeout is not None and args.timeout <= 0:
        ap.error("--count and --timeout must be positive")
    if args.png_scale < 1:
        ap.error("--png-scale must be >= 1")
    if args.color == "auto":
        args.color = "truecolor" if os.environ.get("COLORTERM", "") in ("truecolor", "24bit") else "256"
    return args


def _fail(msg: str) -> int:
    print(f"error: {msg}", file=sys.stderr)
    return 2


def main(argv: list[str] | None = None, ser=None) -> int:
    """CLI entry point; `ser` lets a test hand in an already open pyserial port object."""
    try:
        return _main(argv, ser)
    except BrokenPipeError:  # e.g. `... --json | head`: the reader left, which is not an error
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


def _main(argv: list[str] | None, ser) -> int:
    args = parse_args(argv)
    if args.file and not args.file.is_file():
        return _fail(f"no such capture file: {args.file}")
    if args.save and args.save.exists() and not args.save.is_dir():
        return _fail(f"--save {args.save} exists and is not a directory")
    if args.record and args.record.exists() and not args.force:
        return _fail(f"--record {args.record} exists (use --force to overwrite)")
    if args.record and not args.record.parent.is_dir():
        return _fail(f"--record directory {args.record.parent} does not exist")
    if args.show:
        import matplotlib  # noqa: F401  (fail early, before any output, if it is missing)
    if ser is None and args.port:
        import serial
        try:
            ser = serial.serial_for_url(args.port, baudrate=args.baud, timeout=0.05)
        except (serial.SerialException, ValueError, OSError) as e:
            return _fail(f"cannot open {args.port}: {e}")
    if args.save:
        args.save.mkdir(parents=True, exist_ok=True)
    if hasattr(sys.stdout, "reconfigure"):
        sys.stdout.reconfigure(errors="replace")
    viewer = Viewer(args, sys.stdout, sys.stderr)
    tally_out = sys.stderr if args.json else sys.stdout
    rec = args.record.open("wb") if args.record else None
    rc = 0
    try:
        if args.file:
            replay_file(args.file, viewer, rec)
        else:
            rc = run_serial(ser, viewer, args, rec)
    except KeyboardInterrupt:
        pass
    except BrokenPipeError:
        raise
    except OSError as e:  # e.g. the USB cable pulled: keep what was received
        print(f"error: {e}", file=sys.stderr)
        rc = 2
    finally:
        if rec:
            rec.close()
        if ser is not None:
            ser.close()
    viewer.finish()
    print(viewer.tally.verdict(), file=tally_out, flush=True)
    print(viewer.summary(), file=sys.stderr, flush=True)
    if args.show and viewer._plot is not None:
        import matplotlib.pyplot as plt
        plt.ioff()
        plt.show()
    return rc


if __name__ == "__main__":
    sys.exit(main())
