"""A lesson app in a class with the class view, without a browser: the app reports its page's
choices, follows the lecturer's pace (or not, switched off) and shows a revealed answer. The
class view runs in this process (tests/classview_server.py); without its variables in
the environment, the app builds nothing and sends nothing."""


import pytest
from classview_server import LECTURER, LESSON, as_a_class_page, class_server, request, until

from bpttviz.app import VanishingApp
from bpttviz.app.classroom import SECRET_ENV, URL_ENV

PAGE = f"/voila/render/{LESSON}.ipynb"


def states_heard(link):
    """The paces of the states ``link`` has applied, each once the page has acted on it."""
    heard, on_state = [], link.on_state

    def hearing(step):
        on_state(step)
        heard.append(link.state.get("pace"))

    link.on_state = hearing
    return heard


@pytest.fixture
def base(tmp_path, monkeypatch):
    with class_server(tmp_path) as url:
        as_a_class_page(monkeypatch, url, PAGE)
        yield url


def summary_step(base, step):
    return request(f"{base}/api/summary", auth=LECTURER)[1]["lessons"][LESSON]["steps"][str(step)]


def test_without_the_class_view_nothing_is_built_or_started(monkeypatch):
    monkeypatch.delenv(URL_ENV, raising=False)
    monkeypatch.delenv(SECRET_ENV, raising=False)
    app = VanishingApp(query="")
    link = app.steps.classroom
    assert not link.active and link.follow is None and link._thread is None
    assert "bpttviz-step-follow" not in str(app.steps.widget.children)


def test_a_page_reports_its_choice_follows_the_lecturer_and_shows_the_reveal(base):
    app = VanishingApp(query="")
    link = app.steps.classroom
    assert link.active and link.follow.value is True and link.lesson == LESSON
    assert link.follow in app.steps.widget.children
    until(lambda: request(f"{base}/api/summary", auth=LECTURER)[1]["students"] == 1,
          "the page is counted open")
    app.steps.go(0)
    app.steps.choose(1)
    until(lambda: summary_step(base, 1)["answers"]["2"] == 1, "the choice is counted")
    request(f"{base}/api/pace", {"lesson": LESSON, "step": 3}, LECTURER)
    until(lambda: app.steps.index == 2, "the page goes to the lecturer's step 3")
    request(f"{base}/api/reveal", {"lesson": LESSON, "step": 3}, LECTURER)
    # Without a kernel's event loop the thread applies it itself: wait for the whole of it.
    until(lambda: "Revealed by the lecturer" in app.steps.reveal.value, "the reveal is shown")
    assert all(b.disabled for b in app.steps.buttons)
    answer = app.steps.steps[2].answer
    assert [b.button_style for b in app.steps.buttons if answer in b.description] == ["success"]
    app.steps.choose(0)                              # closed: nothing is reported
    app.steps.go(3)
    app.steps.choose(0)                              # reported after anything queued before
    until(lambda: summary_step(base, 4)["answered"] == 1, "the choice at step 4 is counted")
    assert summary_step(base, 3)["answered"] == 0
    link.close()


def test_a_page_switched_off_stays_where_it_is(base):
    app = VanishingApp(query="")
    link = app.steps.classroom
    heard = states_heard(link)
    link.follow.value = False
    app.steps.go(0)
    request(f"{base}/api/pace", {"lesson": LESSON, "step": 2}, LECTURER)
    until(lambda: 2 in heard, "the page hears the lecturer's step 2")
    assert app.steps.index == 0
    # What the page heard is marked on its switch, for the browser's tests to wait on.
    assert {"bpttviz-follow-off", "bpttviz-lecturer-step-2"} <= set(link.follow._dom_classes)
    link.follow.value = True                         # switched on again: to the lecturer's step
    until(lambda: app.steps.index == 1, "the page goes to the lecturer's step 2")
    assert "bpttviz-follow-off" not in link.follow._dom_classes
    link.close()
