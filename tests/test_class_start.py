"""A new class starts clean: the pace and reveals of a class are kept across a restart of the
class view, cleared by ``--new-class``, and expire after an hour with no page open and no
lecturer's action; the answers stay until the lecturer clears them. Clocks are injected."""

import contextlib
import sqlite3
import time

import pytest
from classview_server import LECTURER, LESSON, class_server, request

from bpttviz.cli import main as cli_main
from bpttviz.serve.classview import ClassStore, class_lessons, class_options
from bpttviz.serve.classview.store import PACE_EXPIRES_S, SCHEMA_VERSION
from bpttviz.serve.notebooks import lesson_names, lessons_dir


class Clock:
    """Seconds since the epoch, moved by hand; from now by default (begin() reads the real
    clock)."""

    def __init__(self, now=None):
        self.now = time.time() if now is None else now

    def __call__(self):
        return self.now



def guidance(state):
    """The pace and the reveals of a lesson's state (the votes, pause and experiment aside)."""
    return {k: state[k] for k in ("pace", "pace_serial", "revealed")}

def store(tmp_path, clock):
    return ClassStore(tmp_path / "class.sqlite", class_lessons(lesson_names()), clock=clock)


def a_class(tmp_path, clock):
    """A class paced to step 2 of lesson 2, step 1 revealed, two pages' answers; closed."""
    s = store(tmp_path, clock)
    s.answer("page-aaaa", LESSON, 1, 1)
    s.answer("page-bbbb", LESSON, 1, 2)
    s.set_pace(LESSON, 2)
    s.reveal(LESSON, 1)
    s.close()


def test_a_restart_continues_the_class_and_says_so(tmp_path):
    clock = Clock()
    a_class(tmp_path, clock)
    clock.now += PACE_EXPIRES_S - 60               # the lecturer restarts within the hour
    s = store(tmp_path, clock)
    assert s.state(LESSON)["pace"] == 2 and s.state(LESSON)["revealed"] == [1]
    s.close()
    options = class_options("lecturer-token-1", tmp_path)
    note = options.begin(lessons_dir())
    assert note == ("The class view continues 2 pages' answers, paced to step 2 in "
                    f"{LESSON}, step 1 revealed in {LESSON}; --new-class to start afresh.")


def test_new_class_clears_the_pace_and_reveals_and_keeps_the_answers(tmp_path):
    a_class(tmp_path, Clock())
    note = class_options("lecturer-token-1", tmp_path, new_class=True).begin(lessons_dir())
    assert note.startswith("The class view starts a new class: no pace, no reveals; 2 pages' "
                           "answers kept for export")
    with class_server(tmp_path) as base:
        assert request(f"{base}/api/lessons", auth=LECTURER)[1]["lessons"][LESSON]["pace"] is None
        step1 = request(f"{base}/api/summary", auth=LECTURER)[1]["lessons"][LESSON]["steps"]["1"]
        assert step1["answered"] == 2 and step1["revealed"] is False


def test_an_empty_state_folder_starts_a_new_class(tmp_path):
    assert class_options("lecturer-token-1", tmp_path).begin(lessons_dir()) == \
        "The class view starts a new class."


def test_the_pace_expires_after_an_hour_with_no_page_open_and_no_lecturer(tmp_path):
    clock = Clock()
    s = store(tmp_path, clock)
    s.set_pace(LESSON, 3)
    s.reveal(LESSON, 2)
    clock.now += PACE_EXPIRES_S / 2
    assert s.page_open() is False                  # a page came: the hour starts again
    clock.now += PACE_EXPIRES_S - 1
    assert s.page_open() is False and s.state(LESSON)["pace"] == 3
    clock.now += PACE_EXPIRES_S + 1                # an hour and a second with nothing
    assert s.page_open() is True
    assert guidance(s.state(LESSON)) == {"pace": None, "pace_serial": None, "revealed": []}
    s.close()


def test_a_pace_set_before_the_class_arrives_does_not_expire_at_the_first_page(tmp_path):
    clock = Clock()
    s = store(tmp_path, clock)
    s.page_open()                                  # yesterday's class
    clock.now += 20 * 3600
    s.set_pace(LESSON, 2)                          # the lecturer prepares today's
    clock.now += 600
    assert s.page_open() is False and s.state(LESSON)["pace"] == 2
    s.close()


def test_a_pace_left_from_more_than_an_hour_ago_expires_at_start(tmp_path):
    clock = Clock()
    a_class(tmp_path, clock)
    clock.now += PACE_EXPIRES_S + 1
    s = store(tmp_path, clock)
    assert s.expired_at_start and s.state(LESSON)["pace"] is None
    assert s.summary()["lessons"][LESSON]["steps"]["1"]["answered"] == 2
    s.close()
    # What the server says at start for a class paced more than an hour ago (real clock).
    a_class(tmp_path, Clock(time.time() - PACE_EXPIRES_S - 60))
    note = class_options("lecturer-token-1", tmp_path).begin(lessons_dir())
    assert note.startswith("The class view starts a new class: no pace, no reveals, those "
                           "left from more than 1 hour ago expired; 2 pages' answers kept")


def test_an_older_state_folder_is_migrated_and_keeps_its_answers(tmp_path):
    path = tmp_path / "class.sqlite"
    with contextlib.closing(sqlite3.connect(path)) as db:     # the tables before version 2
        db.execute("CREATE TABLE answers (page TEXT NOT NULL, lesson TEXT NOT NULL, step "
                   "INTEGER NOT NULL, choice INTEGER NOT NULL, time REAL NOT NULL, PRIMARY KEY "
                   "(page, lesson, step))")
        db.execute("CREATE TABLE guidance (lesson TEXT NOT NULL, kind TEXT NOT NULL, step "
                   "INTEGER NOT NULL, time REAL NOT NULL, PRIMARY KEY (lesson, kind, step))")
        db.execute("INSERT INTO answers VALUES ('page-old1', ?, 1, 3, 1.0)", (LESSON,))
        db.commit()
    s = ClassStore(path, class_lessons(lesson_names()))
    assert s.summary()["lessons"][LESSON]["steps"]["1"]["answers"]["3"] == 1
    assert s.answer("page-new1", LESSON, 1, 1, answer_id="answer-0001") is True
    assert s.answer("page-new1", LESSON, 1, 1, answer_id="answer-0001") is False
    s.close()
    with contextlib.closing(sqlite3.connect(path)) as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION


@pytest.fixture
def served(monkeypatch):
    import bpttviz.cli

    seen = []
    monkeypatch.setattr(bpttviz.cli, "serve_lessons", lambda notebooks, **kw: seen.append(kw))
    return seen


def test_new_class_reaches_the_server_and_goes_with_class(served, tmp_path, capsys):
    from bpttviz.serve import free_port

    assert cli_main(["serve", "--port", str(free_port()), "--class", "--state-dir",
                     str(tmp_path), "--new-class"]) == 0
    assert served[0]["class_view"].new_class is True
    assert cli_main(["serve", "--port", str(free_port()), "--class", "--state-dir",
                     str(tmp_path)]) == 0
    assert served[1]["class_view"].new_class is False
    assert cli_main(["serve", "--port", "1", "--new-class"]) == 2
    assert "--new-class go with --class" in capsys.readouterr().err
    assert len(served) == 2
