"""Command-line plumbing shared by every GenDie tool: one-line errors, exit code 2, no tracebacks, Ctrl-C -> 130.

Libraries raise ordinary exceptions (ValueError for bad values or files, OSError from the file system); `run` is the
only place that turns them into `prog: error: message` and exit code 2. Argument types and ranges are checked in the
parser with the validators below, so a bad value is refused before any work starts.
"""
from __future__ import annotations

import argparse
import contextlib
import math
import os
import signal
import sys
from pathlib import Path
from typing import Callable, NoReturn

EXIT_USAGE = 2
EXIT_INTERRUPTED = 130


class UsageError(Exception):
    """Bad input from the user, found by a CLI after parsing: reported as one line, exit code 2."""


def _prog() -> str:
    return sys.argv[0].rsplit("/", 1)[-1] if sys.argv and sys.argv[0] else "gendie"


def fail(message: str, prog: str | None = None) -> NoReturn:
    first = str(message).strip().splitlines()[0] if str(message).strip() else "failed"
    print(f"{prog or _prog()}: error: {first}", file=sys.stderr)
    raise SystemExit(EXIT_USAGE)


class Parser(argparse.ArgumentParser):
    """argparse that reports a bad argument in one line (`prog: error: ...`) instead of usage + error."""

    def error(self, message: str) -> NoReturn:
        fail(f"{message} (see --help)", self.prog)


def describe(e: BaseException) -> str:
    """One line for an exception a library raised on bad input."""
    if isinstance(e, OSError) and e.filename is not None:
        return f"{e.filename}: {e.strerror or e}"
    return str(e) or type(e).__name__


def _prog_of(fn: Callable) -> str:
    """The script name of the module defining `fn` (make_dice.py), however it was started."""
    path = getattr(sys.modules.get(getattr(fn, "__module__", ""), None), "__file__", None)
    return path.replace("\\", "/").rsplit("/", 1)[-1] if path else _prog()


def run(main: Callable[[list[str] | None], int | None], argv: list[str] | None = None) -> int:
    """Call `main(argv)`: bad input (UsageError, ValueError, OSError) -> one stderr line and 2; Ctrl-C -> 130."""
    if signal.getsignal(signal.SIGINT) is _exit_at_once:
        # from here on Ctrl-C raises KeyboardInterrupt, so atomic writes remove their temporary files on the way out
        signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        return int(main(argv) or 0)
    except (UsageError, ValueError, OSError) as e:
        fail(describe(e), _prog_of(main))
    except KeyboardInterrupt:
        print(f"{_prog_of(main)}: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED


def _exit_at_once(signum, frame) -> None:
    """Ctrl-C while a script still imports (torch's C++ start-up would abort on an exception): nothing has been
    written yet, so leave at once."""
    sys.stderr.write(f"{_prog()}: interrupted\n")
    sys.stderr.flush()
    os._exit(EXIT_INTERRUPTED)


def _quiet_interrupt_hook(kind, value, tb) -> None:
    """Ctrl-C that no `run` caught (e.g. while a script still imports torch): one line and 130, no traceback."""
    if issubclass(kind, KeyboardInterrupt):
        with contextlib.suppress(Exception):
            sys.stdout.flush()
        sys.stderr.write(f"{_prog()}: interrupted\n")
        sys.stderr.flush()
        os._exit(EXIT_INTERRUPTED)
    _previous_hook(kind, value, tb)


_previous_hook = sys.excepthook
if not hasattr(sys, "ps1") and getattr(sys.modules.get("__main__"), "__file__", None):
    sys.excepthook = _quiet_interrupt_hook  # scripts only: an interactive session keeps its own Ctrl-C
    if signal.getsignal(signal.SIGINT) is signal.default_int_handler:  # not where the shell made a job ignore it
        signal.signal(signal.SIGINT, _exit_at_once)  # until run() starts the command


# ---- argument validators (argparse `type=`): each raises ArgumentTypeError, which Parser prints in one line ----

def int_range(lo: int | None = None, hi: int | None = None) -> Callable[[str], int]:
    """An integer in [lo, hi] (either bound may be open)."""
    def parse(text: str) -> int:
        try:
            v = int(text, 0) if text.strip().lower().startswith(("0x", "-0x")) else int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not an integer: {text!r}") from None
        if (lo is not None and v < lo) or (hi is not None and v > hi):
            span = f"{lo}..{hi}" if lo is not None and hi is not None else f">= {lo}" if lo is not None else f"<= {hi}"
            raise argparse.ArgumentTypeError(f"must be {span}, got {v}")
        return v
    parse.__name__ = "integer"
    return parse


positive_int = int_range(1)
nonneg_int = int_range(0)
seed_int = int_range(0, 2 ** 63 - 1)


def float_range(lo: float | None = None, hi: float | None = None, lo_open: bool = False) -> Callable[[str], float]:
    """A finite float in [lo, hi] ((lo, hi] with lo_open): NaN and infinities are refused."""
    def parse(text: str) -> float:
        try:
            v = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
        if not math.isfinite(v):
            raise argparse.ArgumentTypeError(f"must be a finite number, got {text}")
        if lo is not None and (v < lo or (lo_open and v == lo)):
            raise argparse.ArgumentTypeError(f"must be {'>' if lo_open else '>='} {lo}, got {v:g}")
        if hi is not None and v > hi:
            raise argparse.ArgumentTypeError(f"must be <= {hi}, got {v:g}")
        return v
    parse.__name__ = "number"
    return parse


finite_float = float_range()
positive_float = float_range(0.0, lo_open=True)
nonneg_float = float_range(0.0)


def check_paths(inputs: dict[str, object] | None = None, outputs: dict[str, object] | None = None) -> None:
    """Before any work: UsageError if an output would overwrite an input or another output, or cannot be written.

    `inputs` and `outputs` map an option name (for the message) to a path or None (option not given).
    """
    from gendie.fileio import check_writable

    def norm(p: object) -> Path:
        return Path(os.path.abspath(os.path.expanduser(str(p))))
    ins = {k: norm(v) for k, v in (inputs or {}).items() if v is not None}
    outs = {k: norm(v) for k, v in (outputs or {}).items() if v is not None}
    seen: dict[Path, str] = {}
    for name, path in outs.items():
        for iname, ipath in ins.items():
            if path == ipath or (path.exists() and ipath.exists() and os.path.samefile(path, ipath)):
                raise UsageError(f"{name} {path.name} is also {iname}: it would be overwritten")
        if path in seen:
            raise UsageError(f"{name} and {seen[path]} are the same file: {path.name}")
        seen[path] = name
        try:
            check_writable(path)
        except ValueError as e:
            raise UsageError(f"{name}: {e}") from None
