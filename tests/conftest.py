"""Shared test helpers: run the pipeline's CLIs as a user would, in-process (fast) or as a real subprocess."""
from __future__ import annotations

import contextlib
import importlib
import io
import os
import subprocess
import sys
from pathlib import Path

import pytest

from gendie.cli import run

ROOT = Path(__file__).resolve().parent.parent


def _module_of(script: str) -> str:
    return script.removesuffix(".py").replace("/", ".")


def run_script(script: str, *args: str, check: bool = False, timeout: float = 300,
               subprocess_run: bool = False) -> subprocess.CompletedProcess:
    """`python <script> args...` from the repo root, output captured as text.

    By default the script's `main(argv)` runs in this process (no interpreter start, no torch import per call) with
    stdout/stderr captured and SystemExit turned into the return code; `subprocess_run=True` starts a real process
    (one smoke test per CLI does, so the `__main__` path stays covered).
    """
    if subprocess_run:
        env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
        proc = subprocess.run([sys.executable, str(ROOT / script), *args], cwd=ROOT, capture_output=True, text=True,
                              timeout=timeout, env=env, stdin=subprocess.DEVNULL)
    else:
        main = importlib.import_module(_module_of(script)).main
        out, err = io.StringIO(), io.StringIO()
        cwd = os.getcwd()
        os.chdir(ROOT)
        try:
            with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
                try:
                    code = run(main, list(args))  # exactly what the script's __main__ does
                except SystemExit as e:
                    code = e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
        finally:
            os.chdir(cwd)
        proc = subprocess.CompletedProcess([script, *args], int(code or 0), out.getvalue(), err.getvalue())
    if check and proc.returncode != 0:
        raise AssertionError(f"{script} {' '.join(args)} failed ({proc.returncode}):\n{proc.stderr}")
    return proc


def assert_one_line_error(proc: subprocess.CompletedProcess) -> None:
    """Bad input: exit code 2, exactly one line on stderr, no traceback."""
    assert proc.returncode == 2, proc.stderr
    lines = [l for l in proc.stderr.splitlines() if l.strip()]
    assert len(lines) == 1, proc.stderr
    assert "Traceback" not in proc.stderr and "error" in lines[0]


@pytest.fixture(scope="session")
def root() -> Path:
    return ROOT
