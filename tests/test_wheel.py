"""The package stands on its own: a wheel built with ``python -m build``, installed with its
``[app]`` extra in a fresh virtual environment and run from a folder outside the checkout,
serves every lesson (each page's app is built, without an error)."""

import asyncio
import fcntl
import os
import pathlib
import subprocess
import sys
import urllib.request

import pytest

from bpttviz.serve import served

ROOT = pathlib.Path(__file__).resolve().parents[1]
LESSONS = sorted(p.name for p in (ROOT / "notebooks").glob("*.ipynb"))
INSTALL_TIMEOUT = 900


def run(argv, **kw):
    out = subprocess.run(argv, capture_output=True, text=True, **kw)
    assert out.returncode == 0, f"{' '.join(map(str, argv))} failed:\n{out.stdout}\n{out.stderr}"
    return out


@pytest.fixture(scope="module")
def wheel(tmp_path_factory):
    """The wheel ``python -m build`` makes of the checkout, built once per run.

    setuptools builds in the checkout's build/ folder, which two builds at once would share:
    under pytest-xdist (make test), where each worker that runs a test of this module asks
    for the wheel, the first builds it into the run's shared temporary folder and the others
    wait for it and reuse it (pytest-xdist's recipe for a fixture made once).
    """
    pytest.importorskip("build", reason="building the wheel needs the 'build' package "
                                        "(pip install build, or the [dev] extra)")
    run_dir = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        run_dir = run_dir.parent                       # the workers' common folder of this run
    dist = run_dir / "wheel-dist"
    with open(run_dir / "wheel.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not list(dist.glob("bpttviz-*.whl")):
            run([sys.executable, "-m", "build", "--wheel", "--outdir", str(dist), str(ROOT)],
                timeout=INSTALL_TIMEOUT)
    wheels = list(dist.glob("bpttviz-*.whl"))
    assert len(wheels) == 1, wheels
    return wheels[0]


@pytest.fixture(scope="module")
def installed(wheel, tmp_path_factory):
    """A fresh venv holding only the built wheel (and what it depends on); its bin folder.

    Only the tests that run the installed package wait for it (most of the module's time);
    those that read the wheel's contents need only :func:`wheel`.
    """
    venv = tmp_path_factory.mktemp("venv") / "venv"
    run([sys.executable, "-m", "venv", str(venv)], timeout=INSTALL_TIMEOUT)
    bin_ = venv / "bin"
    run([str(bin_ / "python"), "-m", "pip", "install", "--quiet", f"{wheel}[app]"],
        timeout=INSTALL_TIMEOUT)
    return bin_


@pytest.mark.slow
def test_the_wheel_carries_the_lessons(wheel):
    import zipfile
    names = zipfile.ZipFile(wheel).namelist()
    assert sorted(n.rsplit("/", 1)[1] for n in names
                  if n.startswith("bpttviz/notebooks/") and n.endswith(".ipynb")) == LESSONS


@pytest.mark.slow
def test_a_fresh_venv_with_only_the_wheel_serves_every_lesson_from_outside_the_checkout(
        installed, tmp_path):
    bin_ = installed
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    # The installed copy, not the checkout, is what runs.
    where = run([str(bin_ / "python"), "-c", "import bpttviz; print(bpttviz.__file__)"],
                cwd=elsewhere).stdout.strip()
    assert not where.startswith(str(ROOT)), where

    sys.path.insert(0, str(ROOT / "benchmarks"))
    from _client import connected, load_page

    async def app_of(url, lesson):
        """The text of the lesson page's error message ("" when none) once its app is built;
        None when the page has no app."""
        async with connected(load_page("hall", url, lesson)) as page:
            await page.open_widgets("bpttviz-control")
            if not page.with_class("bpttviz-app"):
                return None
            message = page.newest("bpttviz-message")
            return page.states[message]["state"].get("value", "")

    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    with served(program=[bin_ / "bpttviz"], cwd=elsewhere, env=env, log=tmp_path / "serve.log",
                start_timeout=120, stop_timeout=20) as server:
        assert "Serving the lessons in" in server.log.read_text()
        with urllib.request.urlopen(f"{server.url}/voila/render/index.ipynb", timeout=60) as r:
            index = r.read().decode()
        lessons = [name.removesuffix(".ipynb") for name in LESSONS if name != "index.ipynb"]
        for lesson in lessons:
            assert f"{lesson}.ipynb" in index, lesson        # linked from the landing page
            assert asyncio.run(app_of(server.url, lesson)) == "", lesson
        log = server.log.read_text()
    assert "Traceback" not in log, log


@pytest.mark.slow
def test_the_wheel_carries_the_guided_steps(wheel):
    import zipfile

    from bpttviz.steps import available
    names = zipfile.ZipFile(wheel).namelist()
    shipped = sorted(n.rsplit("/", 1)[1].removesuffix(".json") for n in names
                     if n.startswith("bpttviz/data/steps/") and n.endswith(".json"))
    assert shipped == available() and len(shipped) >= 6


def test_the_wheel_carries_the_decks_style_sheets(wheel):
    import zipfile
    names = set(zipfile.ZipFile(wheel).namelist())
    for sheet in ("reveal.css", "theme/white.css", "theme/bpttviz.css"):
        assert f"bpttviz/serve/reveal/css/{sheet}" in names
    assert "bpttviz/serve/reveal/LICENSE" in names


def test_the_wheel_carries_the_class_views_page(wheel):
    import zipfile
    names = set(zipfile.ZipFile(wheel).namelist())
    for name in ("index.html", "classview.js", "classview.css"):
        assert f"bpttviz/serve/classview_page/{name}" in names


def test_the_wheel_carries_the_nile_series_and_its_source(wheel):
    import zipfile
    names = set(zipfile.ZipFile(wheel).namelist())
    assert {"bpttviz/data/nile.csv", "bpttviz/data/README.md"} <= names
