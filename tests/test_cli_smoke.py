"""Every CLI once as a real process (`python path/to/cli.py --help`): the __main__ path, imports, the shared parser.

Behaviour is tested in-process elsewhere (tests/conftest.py `run_script`); this keeps the scripts runnable by path.
"""
from __future__ import annotations

import pytest

from conftest import run_script

CLIS = ["dataset/make_dice.py", "training/train_eval_cnn.py", "training/evaluate.py", "training/train_cvae.py",
        "export/export_decoder.py", "host_tools/die_gen.py", "host_tools/frame_viewer.py", "host_tools/fake_die.py",
        "host_tools/gen_frame_files.py", "host_tools/virtual_die.py", "hardware/make_hardware.py",
        "host_tools/sim_compare.py", "host_tools/serve_web.py", "host_tools/gen_model_id.py", "host_tools/ch32_flash.py",
        "host_tools/ch32_mul_study.py", "host_tools/ch32_profile.py", "bench/bench_decoder.py", "bench/sweep.py"]


@pytest.mark.parametrize("script", CLIS)
def test_help_runs_as_a_process(script):
    r = run_script(script, "--help", subprocess_run=True, timeout=120)
    name = script.rsplit("/", 1)[-1]
    assert r.returncode == 0 and r.stderr == "", r.stderr
    assert r.stdout.startswith(f"usage: {name}"), r.stdout[:200]


@pytest.mark.parametrize("script", CLIS)
def test_unknown_option_one_line_exit_2(script):
    r = run_script(script, "--no-such-option")
    assert r.returncode == 2 and "Traceback" not in r.stderr
    line = r.stderr.strip()
    assert line.splitlines() == [line] and line.startswith(script.rsplit("/", 1)[-1] + ": error: ")
