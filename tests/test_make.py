"""The Makefile's promises, read from ``make -n`` (a dry run: nothing is installed or started)."""

import os
import shutil
import subprocess
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
    ignored = [line.strip() for line in (ROOT / ".gitignore").read_text().splitlines()]
    assert ".lab/" in ignored


@needs_make
def test_the_working_copy_is_ignored_by_git():
    if not (ROOT / ".git").exists() or shutil.which("git") is None:
        pytest.skip("not a git checkout")
    check = subprocess.run(["git", "check-ignore", "-q", ".lab/03_truncated_bptt.ipynb"],
                           cwd=ROOT)
    assert check.returncode == 0
