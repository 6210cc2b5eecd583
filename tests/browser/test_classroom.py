"""A page is never a silent blank, and a page in a warm kernel still follows its link.

Lesson pages whose app cannot appear (the notebook executor gave up on a slow
cell, the app's output was lost, or the app never shows in the browser) say so
in words and offer Retry; the landing page, which has no app, never does. With
``--students`` kernels are kept warm (started before the page, its lesson
chosen by the request), and a page opened while they heat takes one: ``?k2=25``
still sets the slider and the figures, the figures draw, and the page's link
keeps the server's address.
"""

import time

import nbformat
import pytest
from live import CANVAS_DRAWN, drawn, wait_settled

from bpttviz.lessons import lesson_of_page
from bpttviz.serve import served

pytestmark = [pytest.mark.browser, pytest.mark.slow]

START_TIMEOUT = 120
PROBLEM = ".bpttviz-page-problem"


def lesson_notebook(path, *sources, wait_seconds=None):
    """A notebook marked as a lesson page (the watchdog watches it) with these code cells."""
    meta = {"app": True} if wait_seconds is None else {"app": True, "wait_seconds": wait_seconds}
    nb = nbformat.v4.new_notebook(metadata={"bpttviz": meta, "kernelspec": {
        "name": "python3", "display_name": "Python 3", "language": "python"}})
    nb.cells = [nbformat.v4.new_markdown_cell("# A lesson")]
    nb.cells += [nbformat.v4.new_code_cell(s) for s in sources]
    nbformat.write(nb, path)


@pytest.fixture(scope="module")
def troubled(tmp_path_factory, chromium):
    """A server of lesson pages whose apps cannot appear, its cells limited to 3 s."""
    folder = tmp_path_factory.mktemp("troubled")
    # slower than the executor allows: Voila gives up on the cell
    lesson_notebook(folder / "sleepy.ipynb", "import time\ntime.sleep(30)",
                    "import ipywidgets\nipywidgets.Label('never here')")
    # the app's output comes after the cell's end, as on a saturated server: it is lost
    lesson_notebook(folder / "late.ipynb",
                    "import threading, time\nfrom IPython.display import display\n"
                    "from bpttviz.app import VanishingApp\napp = VanishingApp()\n"
                    "threading.Thread(target=lambda: (time.sleep(2), display(app))).start()")
    # widgets arrive, but no lesson app ever shows in the browser
    lesson_notebook(folder / "never.ipynb", "import ipywidgets\nipywidgets.Label('no app')",
                    wait_seconds=3)
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# Home")],
                                            metadata={"kernelspec": {"name": "python3",
                                                                     "display_name": "Python 3",
                                                                     "language": "python"}}),
                   folder / "index.ipynb")
    log = tmp_path_factory.mktemp("troubled-log") / "voila.log"
    with served(notebooks=folder, extra_args=["--voila-arg=--VoilaExecutor.timeout=3"],
                log=log, start_timeout=START_TIMEOUT) as server:
        yield server.url


@pytest.mark.parametrize("name, kind", [("sleepy", "failed"), ("late", "failed"),
                                        ("never", "slow")])
def test_a_page_whose_app_does_not_appear_says_so_and_offers_retry(troubled, page, name, kind):
    page.goto(f"{troubled}/voila/render/{name}.ipynb")
    box = page.wait_for_selector(PROBLEM, state="visible", timeout=90_000)
    assert box.get_attribute("role") == "alert" and box.get_attribute("data-kind") == kind
    text = box.inner_text()
    assert ("could not start" if kind == "failed" else "has not appeared") in text
    assert page.query_selector(".bpttviz-app") is None
    # Retry loads the page again (and, the cause being the same, says so again)
    with page.expect_navigation(timeout=90_000):
        page.click(".bpttviz-retry")
    page.wait_for_selector(PROBLEM, state="visible", timeout=90_000)


def test_the_landing_page_has_no_watchdog(troubled, page):
    page.goto(f"{troubled}/voila/render/index.ipynb")
    page.wait_for_selector("text=Home")
    assert "bpttviz-page-problem" not in page.content()


@pytest.fixture(scope="module")
def pooled(tmp_path_factory, chromium):
    """The shipped lessons with 8 kernels kept warm, yielded as soon as the server answers
    (the kernels are still heating: two at a time, a second or more each)."""
    log = tmp_path_factory.mktemp("pooled") / "voila.log"
    with served(extra_args=["--students", "8", "--lessons", "03_truncated_bptt"], log=log,
                start_timeout=START_TIMEOUT) as server:
        yield server.url, log


def test_a_page_opened_while_kernels_heat_takes_one_follows_its_link_with_no_warning(pooled,
                                                                                      page):
    url, log = pooled
    assert "ready for" not in log.read_text()                  # still heating
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
    page.wait_for_timeout(1000)
    assert page.query_selector(PROBLEM) is None
    deadline = time.monotonic() + 60
    while "ready for 8 students" not in log.read_text() and time.monotonic() < deadline:
        time.sleep(0.5)
    # the page took a kernel of the pool as it became warm: none was started beside the 8
    text = log.read_text()
    assert "ready for 8 students (7 kernels warm, 1 already taken" in text
    assert text.count("Kernel started") == 8


@pytest.mark.parametrize("lesson", ["02_vanishing_exploding", "04_training"])
def test_any_lesson_takes_a_warm_kernel_and_shows_its_app_with_no_warning(pooled, page, lesson):
    url, _ = pooled
    page.goto(f"{url}/voila/render/{lesson}.ipynb")
    page.wait_for_selector(".bpttviz-app")
    wait_settled(page)
    assert set(drawn(page)) == set(lesson_of_page(lesson).figure_names)
    page.wait_for_timeout(1000)
    assert page.query_selector(PROBLEM) is None
