"""Watch GenDie rolls: decode the die's serial frame dump live or from a capture.

examples:
  python host_tools/frame_viewer.py --port /dev/ttyUSB0                 # live, faces drawn in the terminal
  python host_tools/frame_viewer.py --port /dev/ttyUSB0 --roll --count 60 --record dump.bin --save faces/
  python host_tools/frame_viewer.py --file dump.bin --json              # one JSON object per valid frame
Exit status: 0 ok, 1 the die did not answer a --roll, 2 bad arguments or the port/file cannot be opened.
"""
from __future__ import annotations

import gendie.cli  # noqa: F401  first, so Ctrl-C is quiet (exit 130) while the imports below load

import argparse
import os
import sys
from pathlib import Path

from gendie.cli import Parser, UsageError, int_range, positive_float, positive_int, run
from gendie.device import board
from host_tools.viewer_display import FaceDisplay
from host_tools.viewer_session import Viewer, replay_file, run_serial


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    ap = Parser(prog="frame_viewer.py", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    src = ap.add_mutually_exclusive_group(required=True)
    src.add_argument("--port", help="pyserial port or URL: /dev/ttyUSB0, COM3, socket://host:port, loop://, rfc2217://")
    src.add_argument("--file", type=Path, help="replay a raw capture (as written by --record)")
    ap.add_argument("--baud", type=int_range(50, 4_000_000), default=board().baud,
                    help="baud rate (default %(default)s, from hardware/pinmap.json)")
    ap.add_argument("--record", type=Path, help="save the raw byte stream to this new file")
    ap.add_argument("--force", action="store_true", help="let --record overwrite an existing file")
    ap.add_argument("--save", type=Path, metavar="DIR", help="save each face as DIR/rollNNNNNN_pP.png")
    ap.add_argument("--png-scale", type=int_range(1, 64), default=4, help="PNG upscale factor (default %(default)s)")
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
    ap.add_argument("--count", type=positive_int, help="stop after this many ROLL frames (with --roll: rolls to request)")
    ap.add_argument("--timeout", type=positive_float,
                    help="seconds of silence before giving up (with --roll: per roll, default 10)")
    args = ap.parse_args(argv)
    if args.roll and not args.port:
        ap.error("--roll needs --port")
    if args.pips and not args.roll:
        ap.error("--pips needs --roll")
    if args.color == "auto":
        args.color = "truecolor" if os.environ.get("COLORTERM", "") in ("truecolor", "24bit") else "256"
    return args


def check_paths(args: argparse.Namespace) -> None:
    """Refuse, before reading a byte, anything that would fail later or lose data."""
    if args.file and not args.file.is_file():
        raise UsageError(f"no such capture file: {args.file}")
    if args.save and args.save.exists() and not args.save.is_dir():
        raise UsageError(f"--save {args.save} exists and is not a directory")
    if args.record:
        if args.file and args.record.resolve() == args.file.resolve():
            raise UsageError(f"--record {args.record} is the capture being replayed")
        if args.record.exists() and not args.force:
            raise UsageError(f"--record {args.record} exists (use --force to overwrite)")
        if args.record.is_dir() or not args.record.parent.is_dir():
            raise UsageError(f"--record {args.record}: not a file in an existing directory")


def open_port(args: argparse.Namespace):
    import serial
    try:
        return serial.serial_for_url(args.port, baudrate=args.baud, timeout=0.05)
    except (serial.SerialException, ValueError, OSError) as e:
        # pyserial's own words can name its internals (a bad URL option lists its parameter regex): keep it short
        reason = str(e).split(":")[0] if isinstance(e, ValueError) else str(e)
        raise UsageError(f"cannot open {args.port}: {reason}") from None


def session(argv: list[str] | None, ser=None) -> int:
    args = parse_args(argv)
    check_paths(args)
    if args.show:
        import matplotlib  # noqa: F401  (fail early, before any output, if it is missing)
    if ser is None and args.port:
        ser = open_port(args)
    if args.save:
        args.save.mkdir(parents=True, exist_ok=True)
    if hasattr(sys.stdout, "reconfigure"):
        sys.stdout.reconfigure(errors="replace")
    display = FaceDisplay(sys.stdout, not (args.json or args.no_render), args.scale, args.color, args.save,
                          args.png_scale, args.show)
    viewer = Viewer(display, sys.stdout, sys.stderr, json_lines=args.json)
    rec = args.record.open("wb") if args.record else None
    ok = True
    try:
        if args.file:
            replay_file(args.file, viewer, rec, progress=sys.stderr.isatty())
        else:
            ok = run_serial(ser, viewer, rec, args.roll, args.pips, args.count, args.timeout)
    except KeyboardInterrupt:
        pass  # a live session ends with Ctrl-C: keep what was received and report it
    except BrokenPipeError:
        raise
    except OSError as e:  # e.g. the USB cable pulled: keep what was received
        print(f"frame_viewer.py: error: {e}", file=sys.stderr)
        ok = None
    finally:
        if rec:
            rec.close()
        if ser is not None:
            ser.close()
    viewer.finish()
    print(viewer.tally.verdict(), file=sys.stderr if args.json else sys.stdout, flush=True)
    print(viewer.summary(), file=sys.stderr, flush=True)
    display.keep_window_open()
    return 0 if ok else 1 if ok is False else 2


def main(argv: list[str] | None = None, ser=None) -> int:
    """CLI entry point; `ser` lets a test hand in an already open pyserial port object."""
    try:
        return run(lambda a: session(a, ser), argv)
    except BrokenPipeError:  # e.g. `... --json | head`: the reader left, which is not an error
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


if __name__ == "__main__":
    sys.exit(main())
