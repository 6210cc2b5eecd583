"""Every benchmark script answers --help with its usage and runs nothing."""

import pathlib
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
SCRIPTS = sorted(p.name for p in (ROOT / "benchmarks").glob("bench_*.py"))


def _help(args):
    return subprocess.run([sys.executable, *args, "--help"], cwd=ROOT, capture_output=True,
                          text=True, timeout=120)


def test_the_scripts_are_found():
    assert len(SCRIPTS) >= 7


@pytest.mark.parametrize("script", SCRIPTS)
def test_script_help_prints_usage_only(script):
    run = _help([f"benchmarks/{script}"])
    assert run.returncode == 0, run.stderr
    # argparse prints its usage first; a script that ran would print its figures ("# ...") first
    assert run.stdout.startswith("usage:"), run.stdout[:200]
    assert "\n#" not in run.stdout


def test_runner_help_prints_usage_only():
    run = _help(["-m", "benchmarks"])
    assert run.returncode == 0, run.stderr
    assert run.stdout.startswith("usage: python -m benchmarks"), run.stdout[:200]
    assert "===" not in run.stdout and "--quick" in run.stdout


@pytest.mark.parametrize("extra, said", [
    (["--delivery"], "--votes and --delivery are two benchmarks"),
    (["--lessons", "03_truncated_bptt"], "--votes runs 02_vanishing_exploding only"),
    (["--server", "voila", "--program", "bpttviz"], "--votes measures the lecture hall"),
])
def test_class_view_votes_refuses_options_it_cannot_honour(extra, said):
    run = subprocess.run([sys.executable, "benchmarks/bench_class_view.py", "--votes", *extra],
                         cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert run.returncode == 2 and said in run.stderr, run.stderr[-300:]
    assert "\n#" not in run.stdout           # refused before any server started
