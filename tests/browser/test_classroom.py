"""A page is never a silent blank, and a page of a prepared class still follows its link.

A lesson page whose app cannot appear says so in words and offers Retry: the server says it
when the lesson's app could not be built, the page's watchdog when the app has not appeared
after its wait (and the app still appears there if it comes late); the landing page, which has
no app, has no watchdog. With ``--students`` the lessons named are computed before the server
says it is ready, their results shared by the pages of the same settings: a page whose address
asks for other settings (``?k2=25``) still shows them, its figures drawn and its link keeping
the server's address, and a lesson that was not prepared shows its app too.
"""

import json
import os
import textwrap

import pytest
from live import CANVAS_DRAWN, drawn, wait_settled
from page_in_browser import START_TIMEOUT, assert_no_error_shown, watchdog_done

from bpttviz.lessons import lesson_of_page
from bpttviz.serve import served

pytestmark = [pytest.mark.browser, pytest.mark.slow]

PROBLEM = ".bpttviz-page-problem"
#: Lessons of a course whose apps cannot appear: one whose app cannot be built, one whose app
#: is built only once the test lets it (the file ``release`` beside the module exists).
TROUBLED = '''
import time
from pathlib import Path

from bpttviz import figures
from bpttviz.lessons import Control, Lesson

RELEASE = Path(__file__).with_name("release")


class Troubled(Lesson):
    controls = (Control("gain", "gain", "float", 0.9, 0.1, 2.0, 0.1),)
    class_control = "gain"
    figure_names = ("echo",)
    summary = "a lesson in trouble."

    def compute(self, values):
        return [values["gain"]] * 3

    def render(self, result, values):
        return {"echo": figures.lines([0, 1, 2], [result], ["gain"], title="Echo")}


class BrokenLesson(Troubled):
    slug, number, title = "broken", 21, "Broken"

    def __init__(self):
        raise RuntimeError("this lesson cannot be built")


class LateLesson(Troubled):
    slug, number, title = "late", 22, "Late"

    def __init__(self):
        deadline = time.monotonic() + 120
        while not RELEASE.exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        super().__init__()
'''
PAGES = {"broken": "21_broken", "late": "22_late"}


def notebook(path, title, code=()):
    cells = [{"cell_type": "markdown", "id": "intro", "metadata": {}, "source": [title]}]
    cells += [{"cell_type": "code", "execution_count": None, "id": f"c{i}", "metadata": {},
               "outputs": [], "source": [source]} for i, source in enumerate(code)]
    path.write_text(json.dumps({"cells": cells, "metadata": {"bpttviz": {"app": True}},
                                "nbformat": 4, "nbformat_minor": 5}))


@pytest.fixture(scope="module")
def troubled(tmp_path_factory, chromium):
    """A server of lessons whose apps cannot appear; yields its URL and the file that lets
    the late lesson's app be built."""
    root = tmp_path_factory.mktemp("troubled")
    (root / "troubled_lessons.py").write_text(textwrap.dedent(TROUBLED))
    folder = root / "notebooks"
    folder.mkdir()
    for slug, page in PAGES.items():
        notebook(folder / f"{page}.ipynb", f"# {slug.title()}",
                 [f'from bpttviz.app import LessonApp\nLessonApp(lesson="{slug}")'])
    notebook(folder / "index.ipynb", "# Home")
    env = {**os.environ, "BPTTVIZ_LESSONS": "troubled_lessons",
           "PYTHONPATH": os.pathsep.join([str(root), os.environ.get("PYTHONPATH", "")])}
    with served(notebooks=folder, env=env, log=root / "serve.log",
                start_timeout=START_TIMEOUT) as server:
        yield server.url, root / "release"


def test_a_page_whose_app_cannot_be_built_says_so_and_retry_loads_it_again(troubled, page):
    url, _ = troubled
    page.goto(f"{url}/voila/render/{PAGES['broken']}.ipynb")
    box = page.wait_for_selector(PROBLEM, state="visible")
    assert box.get_attribute("role") == "alert" and box.get_attribute("data-kind") == "failed"
    assert "could not start" in box.inner_text()
    assert page.query_selector(".bpttviz-app") is None
    page.evaluate("window.__before_retry = true")
    # Retry loads the page again (and, the cause being the same, it says so again).
    with page.expect_navigation():
        page.click(".bpttviz-retry")
    box = page.wait_for_selector(PROBLEM, state="visible")
    assert box.get_attribute("data-kind") == "failed"
    assert page.evaluate("window.__before_retry") is None


def test_a_page_whose_app_has_not_appeared_says_so_and_the_app_still_comes(troubled, page):
    url, release = troubled
    page.goto(f"{url}/voila/render/{PAGES['late']}.ipynb")
    # The watchdog's wait is 30 s.
    box = page.wait_for_selector(PROBLEM, state="visible", timeout=90_000)
    assert box.get_attribute("role") == "alert" and box.get_attribute("data-kind") == "slow"
    assert "has not appeared" in box.inner_text() and "may still appear" in box.inner_text()
    assert page.locator(".bpttviz-retry").is_visible()
    assert page.query_selector(".bpttviz-app") is None
    release.touch()                              # the server builds the app at last
    page.wait_for_selector(".bpttviz-app .widget-readout")
    page.wait_for_selector(PROBLEM, state="detached")
    watchdog_done(page)


@pytest.mark.parametrize("path", ["/", "/voila/render/index.ipynb"])
def test_the_landing_page_has_no_watchdog(troubled, page, path):
    url, _ = troubled
    page.goto(url + path)
    page.wait_for_selector("text=Home")
    assert "bpttviz-page-problem" not in page.content()


@pytest.fixture(scope="module")
def prepared(tmp_path_factory, chromium):
    """The shipped lessons, lesson 3 prepared for 8 students before the server is ready."""
    log = tmp_path_factory.mktemp("prepared") / "serve.log"
    with served(extra_args=["--students", "8", "--lessons", "03_truncated_bptt"], log=log,
                ready_line="ready for 8 students", start_timeout=START_TIMEOUT) as server:
        yield server.url


def test_a_page_of_a_prepared_lesson_follows_its_link_with_no_warning(prepared, page):
    url = prepared
    page.goto(f"{url}/voila/render/03_truncated_bptt.ipynb?k2=25&radius=1.1")
    page.wait_for_selector(".bpttviz-app")
    page.wait_for_function("""() => { const r = document.querySelector(
        '.bpttviz-control-k2 .widget-readout'); return r && r.textContent.trim() === '25'; }""")
    link = page.inner_text(".bpttviz-link")
    assert f"{url}/voila/render/03_truncated_bptt.ipynb?" in link
    assert "k2=25" in link and "radius=1.1" in link
    wait_settled(page)
    assert set(drawn(page)) == set(lesson_of_page("03_truncated_bptt").figure_names)
    page.wait_for_function("() => document.querySelector('.bpttviz-figure-timeline .bpttviz-live')"
                           "?.bpttvizFigure?.panels[0].title.startsWith('tbptt(k1=5, k2=25)')")
    for figure in drawn(page):
        assert page.evaluate(CANVAS_DRAWN, figure), figure
    watchdog_done(page)
    assert page.query_selector(PROBLEM) is None
    assert_no_error_shown(page)


@pytest.mark.parametrize("lesson", ["02_vanishing_exploding", "04_training"])
def test_a_lesson_not_prepared_shows_its_app_with_no_warning(prepared, page, lesson):
    page.goto(f"{prepared}/voila/render/{lesson}.ipynb")
    page.wait_for_selector(".bpttviz-app")
    wait_settled(page)
    assert set(drawn(page)) == set(lesson_of_page(lesson).figure_names)
    watchdog_done(page)
    assert page.query_selector(PROBLEM) is None
    assert_no_error_shown(page)
