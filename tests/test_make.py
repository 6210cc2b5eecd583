"""The Makefile's promises, read from ``make -n`` (a dry run: nothing is installed or started)."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

needs_make = pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")


def dry_run(*target, **variables):
    """The commands ``make -n TARGET`` would run, one a line."""
    args = ["make", "--no-print-directory", "-n", *target,
            *(f"{k}={v}" for k, v in variables.items())]
    return subprocess.run(args, cwd=ROOT, capture_output=True, text=True, check=True).stdout


@needs_make
def test_make_lab_opens_a_git_ignored_working_copy_never_notebooks():
    commands = dry_run("lab").splitlines()
    copy = next(c for c in commands if "bpttviz lessons" in c)
    lab = next(c for c in commands if "jupyter lab" in c)
    assert copy.split()[-2:] == [".lab", "--keep-existing"]   # edits there are kept
    assert lab.split()[-1] == ".lab"
    assert "notebooks" not in copy + lab                      # the tracked lessons stay shut
    assert ("--allow-root" in lab) == (os.geteuid() == 0)     # JupyterLab refuses root without
    assert "--no-browser" in lab                               # a container has none
    assert "--ServerApp.port=8866" in lab and "--ServerApp.port_retries=0" in lab
    lab = next(c for c in dry_run("lab", PORT=8871).splitlines() if "jupyter lab" in c)
    assert "--ServerApp.port=8871" in lab and "--ServerApp.ip=127.0.0.1" in lab
    ignored = [line.strip() for line in (ROOT / ".gitignore").read_text().splitlines()]
    assert ".lab/" in ignored


@needs_make
def test_the_working_copy_is_ignored_by_git():
    if not (ROOT / ".git").exists() or shutil.which("git") is None:
        pytest.skip("not a git checkout")
    check = subprocess.run(["git", "check-ignore", "-q", ".lab/03_truncated_bptt.ipynb"],
                           cwd=ROOT)
    assert check.returncode == 0


@needs_make
def test_make_test_runs_the_whole_suite_on_every_core_and_test_quick_the_fast_part():
    (test,) = [c for c in dry_run("test").splitlines() if "-m pytest" in c]
    (quick,) = [c for c in dry_run("test-quick").splitlines() if "-m pytest" in c]
    assert "-n auto" in test and " -m " not in test.split("pytest", 1)[1]
    assert '-m "not browser and not slow"' in quick and "-n auto" in quick
    (part,) = [c for c in dry_run("test", PYTEST_ARGS="tests/test_engine.py",
                                  PYTEST_WORKERS=0).splitlines() if "-m pytest" in c]
    assert "-n 0" in part and part.split(";")[0].rstrip().endswith("tests/test_engine.py")


@needs_make
def test_make_test_fails_when_pytest_collects_nothing():
    # This interpreter runs it; the virtual environment's stamp is not remade (-o).
    out = subprocess.run(["make", "--no-print-directory", "-o", ".venv/.dev", "test",
                          f"BIN={Path(sys.executable).parent}", "PYTEST_WORKERS=2",
                          "PYTEST_ARGS=tests/test_make.py -k no_test_has_this_name"],
                         cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert out.returncode != 0
    assert "pytest collected no tests" in out.stderr
