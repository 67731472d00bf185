"""Shared test helpers: run the pipeline's scripts by path exactly as a user would."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def run_script(script: str, *args: str, check: bool = False, timeout: float = 300) -> subprocess.CompletedProcess:
    """`python <script> args...` from the repo root, output captured as text."""
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    proc = subprocess.run([sys.executable, str(ROOT / script), *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=timeout, env=env, stdin=subprocess.DEVNULL)
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
