"""A lesson app in a class with the class view during peer instruction, without a browser: a
vote's choice reveals nothing, may change while the vote is open, is refused once it is closed,
counts in the round it was made in, and the lecturer's reveal shows it right or wrong. The
class view runs in this process (tests/classview_server.py)."""

import pytest
from classview_server import LECTURER, LESSON, as_a_class_page, class_server, request, until
from page_in_kernel import forged_update, sent_messages, text_of

from bpttviz.app import TrainingApp, UnfoldingApp, VanishingApp
from bpttviz.app.classroom import SECRET_ENV, URL_ENV

PAGE = f"/voila/render/{LESSON}.ipynb"


@pytest.fixture
def base(tmp_path, monkeypatch):
    with class_server(tmp_path) as url:
        as_a_class_page(monkeypatch, url, PAGE)
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
    shown = list(steps.buttons)
    vote(base, True)
    until(lambda: "Vote open" in steps.reveal.value, "'Vote open' in steps.reveal.value")
    steps.choose(0)
    steps.choose(1)                                  # changed its mind while open
    assert steps.choice is None and "What happened" not in steps.reveal.value
    assert "Your vote" in steps.buttons[1].description and not steps.buttons[1].disabled
    until(lambda: step1(base)["answers"]["2"] == 1 and step1(base)["answered"] == 1,
          "step1(base)['answers']['2'] == 1 and step1(base)['answered'] == 1")
    vote(base, False)
    until(lambda: "Vote closed" in steps.reveal.value, "'Vote closed' in steps.reveal.value")
    assert all(b.disabled for b in steps.buttons)
    with pytest.raises(ValueError, match="closed"):
        steps.choose(2)                              # what a crafted click would ask for
    vote(base, True)
    until(lambda: "round 2" in steps.reveal.value, "'round 2' in steps.reveal.value")
    assert steps.my_vote() is None and not steps.buttons[0].disabled
    steps.choose(0)
    until(lambda: step1(base)["rounds"][1]["answers"]["1"] == 1,
          "step1(base)['rounds'][1]['answers']['1'] == 1")
    assert step1(base)["rounds"][0]["answers"]["2"] == 1
    request(f"{base}/api/reveal", {"lesson": LESSON, "step": 1}, LECTURER)
    until(lambda: "Revealed by the lecturer" in steps.reveal.value,
          "'Revealed by the lecturer' in steps.reveal.value")
    assert steps.choice == 0 and all(b.disabled for b in steps.buttons)
    # Every round, vote and reveal changed the buttons the page showed: none was made anew
    # (a class's pages all change at once when a round opens).
    assert steps.buttons == shown and all(b.comm is not None for b in shown)
    right = steps.steps[0].answer_index
    assert steps.buttons[right].button_style == "success"
    link.close()


def pause(base, paused, lesson=LESSON):
    assert request(f"{base}/api/pause", {"lesson": lesson, "paused": paused}, LECTURER)[0] == 200


def test_a_paused_page_refuses_changes_in_its_python_a_crafted_message_included(base,
                                                                               monkeypatch):
    app = VanishingApp(query="lock=T")
    teaching, scale, T = app.class_teaching, app.widgets["scale"], app.widgets["T"]
    runs = app.runs
    pause(base, True)
    until(lambda: teaching.paused, "teaching.paused")
    assert "Paused by the lecturer" in teaching.notice.value
    assert all(w.disabled for w in app.widgets.values())
    before = scale.value
    sent = sent_messages(scale, monkeypatch)
    forged_update(scale, value=2.5)                  # a comm update sent directly
    assert scale.value == before and app.runs == runs
    assert sent and sent[-1]["state"]["value"] == before   # the browser is told it back
    scale.set_state({"value": 2.0})                  # ipywidgets' own entry point
    scale.set_state({"disabled": False})
    assert scale.value == before and scale.disabled
    scale.value = 2.75                               # and the kernel's own code
    assert scale.value == before
    text = text_of(app.teacher.notice.value)
    assert "Paused by the lecturer" in text and "was refused" in text
    pause(base, False)
    until(lambda: not teaching.paused, "not teaching.paused")
    assert teaching.notice.value == ""
    forged_update(scale, value=2.5)
    assert scale.value == 2.5 and not scale.disabled
    assert T.disabled and T.locked                   # the link's lock outlives the pause
    app.steps.classroom.close()


def test_a_pause_holds_what_starts_a_run_or_play_and_gives_it_back(base, monkeypatch):
    monkeypatch.setenv("SCRIPT_NAME", "/voila/render/04_training.ipynb")
    app = TrainingApp(query="")
    monkeypatch.setenv("SCRIPT_NAME", "/voila/render/01_unfolding.ipynb")
    unfolding = UnfoldingApp(query="")
    train, play = app.training.start_button, unfolding.play
    play.playing = True                              # the passes being walked
    pause(base, True, lesson="04_training")
    pause(base, True, lesson="01_unfolding")
    until(lambda: app.class_teaching.paused and unfolding.class_teaching.paused,
          "both pages paused")
    assert train.disabled and play.disabled and not play.playing
    train.click()                                    # what a crafted click would ask for
    assert app.training.run is None and app.training.train_runs == 0
    assert "Paused by the lecturer" in text_of(app.messages.message.value)
    pause(base, False, lesson="04_training")
    pause(base, False, lesson="01_unfolding")
    until(lambda: not app.class_teaching.paused and not unfolding.class_teaching.paused,
          "both pages resumed")
    assert not train.disabled and not play.disabled
    app.steps.classroom.close()
    unfolding.steps.classroom.close()


def test_a_pause_holds_only_its_own_lesson(base):
    app = VanishingApp(query="")
    pause(base, True, lesson="03_truncated_bptt")
    # The page heard the state (its other fields) and stays free.
    request(f"{base}/api/pace", {"lesson": LESSON, "step": 1}, LECTURER)
    until(lambda: app.steps.index == 0, "app.steps.index == 0")
    assert not app.class_teaching.paused and not app.widgets["scale"].disabled
    app.steps.classroom.close()


def experiment(base, running, lesson=LESSON):
    assert request(f"{base}/api/experiment", {"lesson": lesson, "running": running},
                   LECTURER)[0] == 200


def test_send_my_result_shows_while_an_experiment_runs_and_sends_the_pages_point(base):
    app = VanishingApp(query="")
    app.apply_query("scale=1.4", page_url=f"http://127.0.0.1:8866{PAGE}")
    teaching = app.class_teaching
    assert teaching.send_button.layout.display == "none"
    assert "bpttviz-send-result" in teaching.send_button._dom_classes
    with pytest.raises(ValueError, match="No class experiment"):
        teaching.send()
    experiment(base, True)
    until(lambda: teaching.send_button.layout.display is None,
          "teaching.send_button.layout.display is None")
    teaching.send()
    until(lambda: "Sent" in teaching.sent.value, "'Sent' in teaching.sent.value")
    got = request(f"{base}/api/experiment?lesson={LESSON}", auth=LECTURER)[1]
    assert got["running"] is True and len(got["points"]) == 1
    p = got["points"][0]
    assert p["settings"] == app.values() and p["settings"]["scale"] == 1.4
    assert p["result"] == {"largest_lag": int(app.result.lags[-1]),
                           "grad_norm_at_largest_lag": float(app.result.lag_median[-1])}
    assert p["link"].startswith(f"http://127.0.0.1:8866{PAGE}?") and "scale=1.4" in p["link"]
    experiment(base, False)
    until(lambda: teaching.send_button.layout.display == "none",
          "teaching.send_button.layout.display == 'none'")
    app.steps.classroom.close()


def test_without_the_class_view_no_pause_or_experiment_is_built(monkeypatch):
    monkeypatch.delenv(URL_ENV, raising=False)
    monkeypatch.delenv(SECRET_ENV, raising=False)
    app = VanishingApp(query="")
    assert app.class_teaching.widgets == []
    assert "bpttviz-send-result" not in str(app.widget)
