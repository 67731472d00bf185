"""Serve the browser die (host_tools/web/dist/, built by `make web-dist`) on 127.0.0.1 only: `make web PORT=8123`.

The standard library's HTTP server, wrapped so a bad or busy port is one line (exit 2) and Ctrl-C stops it quietly.
"""
from __future__ import annotations

import gendie.cli  # noqa: F401  first, so Ctrl-C is quiet (exit 130) while the imports below load

import functools
import sys
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from gendie.cli import Parser, UsageError, int_range, run

DIST = Path(__file__).resolve().parent / "web" / "dist"
HOST = "127.0.0.1"  # loopback only: the page is for this machine's browser


class QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args) -> None:  # noqa: A002  (the base class's name)
        pass  # one line per request would bury the URL the user needs


def main(argv: list[str] | None = None) -> int:
    p = Parser(prog="serve_web.py", description=__doc__)
    p.add_argument("--port", type=int_range(1, 65535), default=8000, help="TCP port on 127.0.0.1 (default 8000)")
    p.add_argument("--dir", type=Path, default=DIST, help="folder to serve (default host_tools/web/dist)")
    a = p.parse_args(argv)
    if not (a.dir / "index.html").is_file():
        raise UsageError(f"{a.dir}: no index.html (build the page: make web-dist)")
    try:
        server = ThreadingHTTPServer((HOST, a.port), functools.partial(QuietHandler, directory=str(a.dir)))
    except OSError as e:
        raise UsageError(f"cannot serve on {HOST}:{a.port}: {e.strerror or e}") from None
    print(f"GenDie in the browser: http://{HOST}:{a.port}/   (Ctrl-C stops the server)", flush=True)
    with server:
        server.serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(run(main))
