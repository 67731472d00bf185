"""A stand-in for the GenDie board: speaks the frame protocol with drawn (not generated) faces.

Try the viewer without hardware:
  python host_tools/fake_die.py --out demo.bin --rolls 60 && python host_tools/frame_viewer.py --file demo.bin
  python host_tools/fake_die.py --pty        # prints a port path; then: frame_viewer.py --port PATH --roll
"""
from __future__ import annotations

import gendie.cli  # noqa: F401  first, so Ctrl-C is quiet (exit 130) while the imports below load

import argparse
import os
import random
import sys
from pathlib import Path

from dataset.render import render_die
from gendie.cli import Parser, int_range, run, seed_int
from gendie.device import code_to_degrees
from gendie.fileio import check_writable, write_bytes
from host_tools import frame_protocol as fp

def make_face(pips: int, angle_code: int) -> bytes:
    """The dataset's own drawing of the die (dataset/render.py): what a perfect decoder would generate."""
    return render_die(pips, float(code_to_degrees(angle_code))).tobytes()


class FakeDie:
    """Keeps the sequence and roll counters; each roll is sent as FACE then ROLL, like a streaming device."""

    def __init__(self, seed: int = 0, seq: int = 0) -> None:
        self.rng = random.Random(seed)
        self.seq = seq
        self.roll_no = 0
        self._cmd = b""

    def frame(self, ftype: int, payload: bytes) -> bytes:
        out = fp.encode_frame(ftype, self.seq, payload)
        self.seq = (self.seq + 1) & 0xFFFF
        return out

    def roll(self, pips: int | None = None) -> bytes:
        self.roll_no += 1
        forced = pips is not None
        pips = pips if forced else self.rng.randint(1, 6)
        angle = self.rng.randrange(256)
        cycles = 14_000_000 + self.rng.randrange(100_000)
        face = self.frame(fp.FrameType.FACE, fp.face_payload(self.roll_no, make_face(pips, angle)))
        flags = fp.ROLL_FLAG_FORCED if forced else 0
        return face + self.frame(fp.FrameType.ROLL, fp.roll_payload(pips, angle, self.roll_no, cycles, flags))

    def log(self, text: str) -> bytes:
        return self.frame(fp.FrameType.LOG, fp.log_payload(text))

    def command(self, data: bytes) -> bytes:
        """Bytes the device sends in answer to host bytes ('r', 'p1'..'p6'; anything else ignored)."""
        out = b""
        for c in data:
            ch = bytes([c])
            if self._cmd == fp.CMD_PIPS:
                self._cmd = b""
                if ch in b"123456":
                    out += self.roll(int(ch))
                    continue
            if ch == fp.CMD_ROLL:
                out += self.roll()
            elif ch == fp.CMD_PIPS:
                self._cmd = ch
        return out


def serve_pty() -> None:
    """Answer commands on a pseudo-terminal until interrupted."""
    import tty
    master, slave = os.openpty()
    tty.setraw(slave)
    print(os.ttyname(slave), flush=True)
    die = FakeDie(seed=int.from_bytes(os.urandom(4), "little"))
    os.write(master, die.log("fake GenDie ready"))
    while True:
        out = die.command(os.read(master, 64))
        if out:
            os.write(master, out)


def main(argv: list[str] | None = None) -> int:
    ap = Parser(prog="fake_die.py", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    mode = ap.add_mutually_exclusive_group(required=True)
    mode.add_argument("--out", type=Path, help="write a capture of --rolls rolls to this file")
    mode.add_argument("--pty", action="store_true", help="serve on a pseudo-terminal (POSIX), print its path")
    ap.add_argument("--rolls", type=int_range(1, 100_000), default=30, help="rolls in the capture (default %(default)s)")
    ap.add_argument("--seed", type=seed_int, default=0, help="random seed (default %(default)s)")
    args = ap.parse_args(argv)
    if args.pty:
        serve_pty()  # until Ctrl-C
        return 0
    check_writable(args.out)
    die = FakeDie(args.seed)
    write_bytes(args.out, die.log("fake GenDie capture") + b"".join(die.roll() for _ in range(args.rolls)))
    return 0


if __name__ == "__main__":
    sys.exit(run(main))
