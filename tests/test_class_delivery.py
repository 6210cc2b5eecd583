"""Every answer kept: a page's answers reach the class view even when it is busy (503),
restarting or unreachable for a while, in order, and each is counted once however often it
was sent. The page side is :class:`bpttviz.app.classroom.ClassLink` with an injected wait
(no time passes in its back-off); the class view runs in this process
(tests/classview_server.py)."""

import contextlib
import sqlite3
import urllib.request

import pytest
from classview_server import KERNEL, LECTURER, LESSON, SECRET, class_server, request

from bpttviz.app.classroom import (ANSWER_RETRY_MAX_S, ANSWER_RETRY_S, SECRET_ENV, URL_ENV,
                                   WAITING, ClassLink)
from bpttviz.class_protocol import ANSWER_ID
from bpttviz.serve import free_port
from bpttviz.serve.classview.view import OUTAGE_ENV


def summary_step(base, step):
    return request(f"{base}/api/summary", auth=LECTURER)[1]["lessons"][LESSON]["steps"][str(step)]


def stored_ids(state_dir):
    with contextlib.closing(sqlite3.connect(state_dir / "class.sqlite")) as db:
        return db.execute("SELECT COUNT(*), COUNT(DISTINCT id) FROM received").fetchone()


class Waits:
    """The link's wait between tries: records each, and runs ``then[n]`` at the n-th (0-based)
    instead of sleeping."""

    def __init__(self, link=None, then=None):
        self.delays, self.said, self.then, self.link = [], [], then or {}, link

    def __call__(self, seconds):
        self.delays.append(seconds)
        if self.link is not None:
            self.said.append(self.link.delivery.value)
        action = self.then.get(len(self.delays) - 1)
        if action is not None:
            action()
        return False


def a_link(url, waits):
    link = ClassLink(5, lambda step: None, lambda action, what: action(),
                     environ={URL_ENV: url + "/kernel", SECRET_ENV: SECRET},
                     page_name=LESSON, wait=waits)
    waits.link = link
    return link


def until(check, tries=400):
    """Poll ``check`` (the link's thread works meanwhile); no duration is asserted."""
    import time

    for _ in range(tries):
        if check():
            return True
        time.sleep(0.025)
    return check()


def answer_body(answer_id, page="page-aaaa", step=1, choice=1):
    return {ANSWER_ID: answer_id, "page": page, "lesson": LESSON, "step": step,
            "choice": choice}


# --- the class view: one answer, stored once by its id ---------------------------------------

def test_the_same_answer_id_posted_twice_is_counted_once(tmp_path):
    with class_server(tmp_path) as base:
        first = request(f"{base}/kernel/answer", answer_body("answer-0001"), KERNEL)
        again = request(f"{base}/kernel/answer", answer_body("answer-0001"), KERNEL)
        assert first == (200, {"ok": True, "new": True})
        assert again == (200, {"ok": True, "new": False})
        assert summary_step(base, 1)["answered"] == 1
        # Another answer of the same page at the same step replaces it (the latest counts) ...
        assert request(f"{base}/kernel/answer", answer_body("answer-0002", choice=2),
                       KERNEL)[1]["new"] is True
        # ... and an old one sent again late does not bring the earlier choice back.
        request(f"{base}/kernel/answer", answer_body("answer-0001"), KERNEL)
        step = summary_step(base, 1)
        assert step["answered"] == 1 and step["answers"]["2"] == 1 and step["answers"]["1"] == 0
    assert stored_ids(tmp_path) == (2, 2)


@pytest.mark.parametrize("bad", ["short", "has space 1234", 12345678])
def test_a_malformed_answer_id_is_refused_with_400_naming_it(tmp_path, bad):
    with class_server(tmp_path) as base:
        status, reply = request(f"{base}/kernel/answer", answer_body(bad), KERNEL)
        assert status == 400 and f"'{ANSWER_ID}'" in reply["error"] and repr(bad) in reply["error"]


# --- the page's side: sent until acknowledged ------------------------------------------------

@pytest.mark.parametrize("in_process", [False, True], ids=["http", "in-process"])
def test_a_class_view_answering_503_then_200_gets_the_answer_once(tmp_path, monkeypatch,
                                                                   in_process):
    """Over HTTP, and in the class view's own process (a lecture hall's page: no socket)."""
    outage = tmp_path / "outage"
    outage.touch()
    monkeypatch.setenv(OUTAGE_ENV, str(outage))
    opened, urlopen = [], urllib.request.urlopen
    if in_process:
        def kernels_without_a_socket(req, *args, **kwargs):
            url = getattr(req, "full_url", req)
            if "/kernel/" in url:            # the page's requests; the test's own go through
                opened.append(url)
                raise ConnectionRefusedError("the page opened a socket")
            return urlopen(req, *args, **kwargs)
        monkeypatch.setattr(urllib.request, "urlopen", kernels_without_a_socket)
    n = 4
    with class_server(tmp_path, in_process=in_process) as base:
        waits = Waits(then={n - 1: outage.unlink})
        link = a_link(base, waits)
        link.page_known(environ={})
        link.chose(0, 1)
        assert until(lambda: link.delivered == 1)
        assert summary_step(base, 1)["answers"]["2"] == 1
        assert summary_step(base, 1)["answered"] == 1
        link.close()
    assert stored_ids(tmp_path) == (1, 1)
    # n tries answered 503, each followed by a wait longer than the last (up to the cap).
    assert len(waits.delays) == n
    for i, d in enumerate(waits.delays):
        cap = min(ANSWER_RETRY_MAX_S, ANSWER_RETRY_S * 2 ** i)
        assert cap / 2 <= d <= cap
    # The page said it would send the answer while it could not, and stopped once it had.
    assert all(WAITING in said for said in waits.said)
    assert link.delivery.value == "" and link.unsent == 0
    assert opened == []


def test_an_unreachable_class_view_gets_the_answers_once_it_is_back_in_order(tmp_path):
    port = free_port()                   # nothing listens there yet: connection refused
    url = f"http://127.0.0.1:{port}/bpttviz/class"
    with contextlib.ExitStack() as stack:
        waits = Waits(then={2: lambda: stack.enter_context(class_server(tmp_path, port=port))})
        link = a_link(url, waits)
        link.page_known(environ={})
        link.chose(0, 0)
        link.chose(1, 2)
        link.chose(0, 1)                 # the page went back to step 1 and chose again
        assert until(lambda: link.delivered == 3)
        assert waits.said[0] and WAITING in waits.said[0]
        s1, s2 = summary_step(url, 1), summary_step(url, 2)
        # In order: the latest choice at step 1 is the one counted.
        assert s1["answered"] == 1 and s1["answers"]["2"] == 1
        assert s2["answered"] == 1 and s2["answers"]["3"] == 1
        assert link.delivery.value == ""
        link.close()
    assert stored_ids(tmp_path) == (3, 3)


def test_an_answer_refused_as_wrong_is_said_and_the_next_one_still_goes(tmp_path):
    with class_server(tmp_path) as base:
        waits = Waits()
        link = a_link(base, waits)
        link.page_known(environ={})
        link.chose(0, 8)                 # step 1 has 3 choices: the class view says 400
        link.chose(1, 0)
        assert until(lambda: link.delivered == 1 and link.unsent == 0)
        assert waits.delays == []        # a refusal is not tried again
        assert "refused your answer to step 1" in link.delivery.value
        assert "unknown choice 9" in link.delivery.value
        assert summary_step(base, 1)["answered"] == 0 and summary_step(base, 2)["answered"] == 1
        link.close()


def test_a_page_closed_while_its_answer_waits_still_delivers_it(tmp_path, monkeypatch):
    outage = tmp_path / "outage"
    outage.touch()
    monkeypatch.setenv(OUTAGE_ENV, str(outage))
    with class_server(tmp_path) as base:
        waits = Waits(then={1: outage.unlink})
        link = a_link(base, waits)
        link.page_known(environ={})
        link.chose(2, 0)
        link.close()                     # the tab closed; the server's process goes on
        assert until(lambda: link.delivered == 1)
        assert summary_step(base, 3)["answered"] == 1
