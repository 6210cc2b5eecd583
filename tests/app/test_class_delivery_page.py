"""A lesson page whose class view cannot take its answer for a while: the steps panel says the
answer will be sent, sends it once the class view is back, and clears what it said. The class
view runs in this process (tests/classview_server.py) and answers 503 while a file exists."""

import time

import pytest
from classview_server import LECTURER, LESSON, SECRET, class_server, request

from bpttviz.app import VanishingApp
from bpttviz.app.classroom import SECRET_ENV, URL_ENV, WAITING
from bpttviz.serve.classview.view import OUTAGE_ENV


def until(check, tries=600):
    """Poll ``check`` while the page's thread works; no duration is asserted."""
    for _ in range(tries):
        if check():
            return True
        time.sleep(0.025)
    return check()


@pytest.fixture
def down(tmp_path, monkeypatch):
    """The class view, out of service (503) until the file yielded is removed."""
    outage = tmp_path / "outage"
    outage.touch()
    monkeypatch.setenv(OUTAGE_ENV, str(outage))
    with class_server(tmp_path) as url:
        monkeypatch.setenv(URL_ENV, url + "/kernel")
        monkeypatch.setenv(SECRET_ENV, SECRET)
        monkeypatch.setenv("SCRIPT_NAME", f"/voila/render/{LESSON}.ipynb")
        yield url, outage


def test_the_page_says_its_answer_waits_and_clears_that_once_it_is_counted(down):
    base, outage = down
    app = VanishingApp(query="")
    link = app.steps.classroom
    assert link.delivery in app.steps.widget.children
    assert link.delivery.value == ""
    app.steps.go(0)
    app.steps.choose(2)
    assert until(lambda: WAITING in link.delivery.value)
    assert "bpttviz-warning" in link.delivery.value
    assert link.unsent == 1
    outage.unlink()                                   # the class view is back
    assert until(lambda: link.delivered == 1)
    assert until(lambda: link.delivery.value == "")
    step1 = request(f"{base}/api/summary", auth=LECTURER)[1]["lessons"][LESSON]["steps"]["1"]
    assert step1["answered"] == 1 and step1["answers"]["3"] == 1
    link.close()
