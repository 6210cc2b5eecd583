"""A lesson app in a class with the class view during peer instruction, without a browser: a
vote's choice reveals nothing, may change while the vote is open, is refused once it is closed,
counts in the round it was made in, and the lecturer's reveal shows it right or wrong. The
class view runs in this process (tests/classview_server.py)."""

import pytest
from classview_server import LECTURER, LESSON, SECRET, class_server, request
from test_in_a_class import PAGE, until

from bpttviz.app import VanishingApp
from bpttviz.app.classroom import SECRET_ENV, URL_ENV


@pytest.fixture
def base(tmp_path, monkeypatch):
    with class_server(tmp_path) as url:
        monkeypatch.setenv(URL_ENV, url + "/kernel")
        monkeypatch.setenv(SECRET_ENV, SECRET)
        monkeypatch.setenv("SCRIPT_NAME", PAGE)
        yield url


def step1(base):
    return request(f"{base}/api/summary", auth=LECTURER)[1]["lessons"][LESSON]["steps"]["1"]


def vote(base, is_open):
    assert request(f"{base}/api/vote", {"lesson": LESSON, "step": 1, "open": is_open},
                   LECTURER)[0] == 200


def test_a_page_votes_in_two_rounds_and_sees_the_answer_only_when_revealed(base):
    app = VanishingApp(query="")
    steps, link = app.steps, app.steps.classroom
    steps.go(0)
    vote(base, True)
    assert until(lambda: "Vote open" in steps.reveal.value)
    steps.choose(0)
    steps.choose(1)                                  # changed its mind while open
    assert steps.choice is None and "What happened" not in steps.reveal.value
    assert "Your vote" in steps.buttons[1].description and not steps.buttons[1].disabled
    assert until(lambda: step1(base)["answers"]["2"] == 1 and step1(base)["answered"] == 1)
    vote(base, False)
    assert until(lambda: "Vote closed" in steps.reveal.value)
    assert all(b.disabled for b in steps.buttons)
    with pytest.raises(ValueError, match="closed"):
        steps.choose(2)                              # what a crafted click would ask for
    vote(base, True)
    assert until(lambda: "round 2" in steps.reveal.value)
    assert steps.my_vote() is None and not steps.buttons[0].disabled
    steps.choose(0)
    assert until(lambda: step1(base)["rounds"][1]["answers"]["1"] == 1)
    assert step1(base)["rounds"][0]["answers"]["2"] == 1
    request(f"{base}/api/reveal", {"lesson": LESSON, "step": 1}, LECTURER)
    assert until(lambda: "Revealed by the lecturer" in steps.reveal.value)
    assert steps.choice == 0 and all(b.disabled for b in steps.buttons)
    right = steps.steps[0].answer_index
    assert steps.buttons[right].button_style == "success"
    link.close()
