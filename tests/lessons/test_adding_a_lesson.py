"""Adding a lesson is one module, one steps file and one notebook, and no other edit.

A small lesson is written here, outside the package, as a course would write its own: a
module declaring it (named in ``$BPTTVIZ_LESSONS``), its guided steps, and its notebook in a
copy of the lessons' folder. Nothing in bpttviz names it, and yet it is listed (the registry,
the landing page), served (its page computes and redraws when its slider moves), counted by
the class view (a prediction made in its page) and driven by the classroom benchmark's
students.
"""

import asyncio
import json
import os
import shutil
import subprocess
import sys
import textwrap
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "benchmarks"))

pytestmark = pytest.mark.slow

MODULE = "echo_lesson"
PAGE = "08_echo"
LESSON = '''
from pathlib import Path

import numpy as np

from bpttviz import figures
from bpttviz.lessons import Control, Lesson


class EchoLesson(Lesson):
    """gain ** t: an error multiplied by the same factor at every step."""

    slug = "echo"
    number = 8
    title = "Echo"
    summary = "an error multiplied by the same factor at every step."
    controls = (Control("gain", "gain", "float", 0.9, 0.1, 2.0, 0.1),
                Control("T", "T (steps)", "int", 20, 5, 40))
    class_control = "gain"
    figure_names = ("echo",)
    steps_file = Path(__file__).with_name("echo.json")

    def compute(self, values):
        return values["gain"] ** np.arange(values["T"])

    def render(self, result, values):
        return {"echo": figures.lines(np.arange(len(result)), [result], ["gain^t"],
                                      title="Echo", xlabel="step t", ylabel="gain^t")}
'''
STEPS = {"lesson": "echo", "steps": [{
    "title": "A gain below 1", "settings": {"gain": 0.5},
    "question": "After 19 steps, gain^t is ...", "choices": ["tiny", "large"], "answer": "tiny",
    "checks": [{"name": "last", "quantity": "read", "args": {"path": "19"},
                "claim": ["<", 1e-4]}],
    "reveal": "gain^19 = {last:.2g}.", "highlight": {"figure": "echo", "kind": "none"},
    "explanation": "A factor below one, multiplied nineteen times, vanishes.",
    "source": "Hochreiter (1991)"}]}
NOTEBOOK = {
    "cells": [
        {"cell_type": "markdown", "id": "intro", "metadata": {}, "source": ["# 8 · Echo"]},
        {"cell_type": "code", "execution_count": None, "id": "app", "metadata": {},
         "outputs": [], "source": ['from bpttviz.app import LessonApp\n', '\n',
                                   'app = LessonApp(lesson="echo")\n', 'app']}],
    "metadata": {"bpttviz": {"app": True},
                 "kernelspec": {"display_name": "Python 3", "language": "python",
                                "name": "python3"}},
    "nbformat": 4, "nbformat_minor": 5}
TOKEN = "adding-a-lesson-token"


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    """The course's folder: the lesson's module and steps, and a copy of the lessons with its
    notebook added; the environment that names the module."""
    root = tmp_path_factory.mktemp("course")
    (root / f"{MODULE}.py").write_text(textwrap.dedent(LESSON))
    (root / "echo.json").write_text(json.dumps(STEPS))
    notebooks = root / "notebooks"
    shutil.copytree(ROOT / "notebooks", notebooks, ignore=shutil.ignore_patterns("*.py"))
    (notebooks / f"{PAGE}.ipynb").write_text(json.dumps(NOTEBOOK, indent=1))
    env = {**os.environ, "BPTTVIZ_LESSONS": MODULE,
           "PYTHONPATH": os.pathsep.join([str(root), os.environ.get("PYTHONPATH", "")]),
           "BPTTVIZ_CLASS_TOKEN": TOKEN, "XDG_DATA_HOME": str(root / "data")}
    return root, notebooks, env


def python(env, code):
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0, out.stderr
    return out.stdout


def test_the_registry_and_the_landing_page_list_it(course):
    root, notebooks, env = course
    listed = python(env, "from bpttviz.lessons import LESSONS, contents, lesson_of_page\n"
                         f"print(list(LESSONS)); print(lesson_of_page({PAGE!r}).title)\n"
                         f"print(contents({str(notebooks)!r}))")
    names, title, contents = listed.split("\n", 2)
    assert names.endswith("'beyond_truncation', 'echo']") and title == "Echo"
    assert f"8. **[Echo]({PAGE}.ipynb)**" in contents
    assert python(env, "from bpttviz.lessons import LESSONS\n"
                       "print(len(LESSONS['echo'].steps()))").strip() == "1"
    # The landing page, run where it is served, links it.
    shown = python(env, "import nbformat\nfrom nbclient import NotebookClient\n"
                        f"nb = nbformat.read({str(notebooks / 'index.ipynb')!r}, 4)\n"
                        f"NotebookClient(nb, resources={{'metadata': {{'path': "
                        f"{str(notebooks)!r}}}}}, store_widget_state=True).execute()\n"
                        "states = nb.metadata.widgets['application/vnd.jupyter.widget-state+json']\n"
                        "print([s['state'].get('value') for s in states['state'].values()])")
    assert f'<a href="{PAGE}.ipynb">Echo</a>' in shown


def test_it_is_served_redrawn_and_counted_by_the_class_view(course):
    from _client import connected, load_page

    from bpttviz.serve import served

    root, notebooks, env = course

    async def student(url):
        async with connected(load_page("hall", url, PAGE)) as k:
            model_id, state = await k.open_widgets("bpttviz-control-gain")
            assert set(k.figures) and state["value"] == 0.9
            versions = [f["version"] for f in k.figures.values()]
            await k.move(model_id, 1.5)                 # redrawn: a new record of the figure
            assert [f["version"] for f in k.figures.values()] > versions
            (start,) = k.with_class("bpttviz-step-start")
            await k.press(start)
            await k.until(lambda: k.with_class("bpttviz-step-choice-1"), what="the step's choices")
            await k.press(k.with_class("bpttviz-step-choice-1")[0])

    with served(notebooks=notebooks, extra_args=["--class"], env=env,
                start_timeout=120) as server:
        asyncio.run(student(server.url))
        summary = {}
        for _ in range(100):                            # the kernel reports from a thread
            request = urllib.request.Request(f"{server.url}/bpttviz/class/api/summary",
                                             headers={"Authorization": f"token {TOKEN}"})
            with urllib.request.urlopen(request, timeout=30) as r:
                summary = json.loads(r.read())
            if summary["lessons"].get(PAGE, {}).get("steps", {}).get("1", {}).get("answered"):
                break
            asyncio.run(asyncio.sleep(0.2))
    assert summary["lessons"][PAGE]["steps"]["1"]["answers"] == {"1": 1, "2": 0}


def test_the_classroom_benchmark_drives_it(course):
    root, notebooks, env = course
    out = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "bench_classroom.py"), "--students", "2",
         "--window", "1", "--duration", "10", "--think", "1,2", "--lessons", PAGE,
         "--static", "none", "--server-args", f"--notebooks {notebooks}",
         "--log", str(root / "bench.log")],
        env=env, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stdout + out.stderr
    result = json.loads(out.stdout.split("RESULT ", 1)[1].splitlines()[0])
    assert (result["pages"], result["failures"], result["no_app"]) == (2, 0, 0), out.stdout
    assert result["ready_max"] is not None and result["moves"] >= 2, out.stdout
