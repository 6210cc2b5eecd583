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
