"""Command-line plumbing shared by every GenDie tool: one-line errors, exit code 2, no tracebacks."""
from __future__ import annotations

import argparse
import sys
from typing import NoReturn


class UsageError(Exception):
    """Bad input from the user: reported as one line, exit code 2."""


class Parser(argparse.ArgumentParser):
    """argparse that reports a bad argument in one line (`prog: error: ...`) instead of usage + error."""

    def error(self, message: str) -> NoReturn:
        fail(f"{message} (see --help)", self.prog)


def fail(message: str, prog: str | None = None) -> NoReturn:
    prog = prog or (sys.argv[0].rsplit("/", 1)[-1] if sys.argv and sys.argv[0] else "gendie")
    print(f"{prog}: error: {message}", file=sys.stderr)
    raise SystemExit(2)


def run(main, argv: list[str] | None = None) -> int:
    """Call `main(argv)`, turning UsageError into a one-line error and Ctrl-C into a quiet exit."""
    try:
        return int(main(argv) or 0)
    except UsageError as e:
        fail(str(e))
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
