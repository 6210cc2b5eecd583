"""The class view's HTTP API, as the lecturer's page and the kernels use it: the public contract
(names, shapes, errors), the token and the kernels' secret, the limits, a restart and 60 pages
answering at once. The server runs in this process on a thread of its own, on 127.0.0.1."""

import concurrent.futures
import json
import logging
import sys
import threading
import time
from fractions import Fraction
from pathlib import Path

import pytest
from classview_server import (KERNEL, LECTURER, LESSON, SECRET, TOKEN, Clock, class_server,
                              request, until)

from bpttviz.class_protocol import in_process
from bpttviz.lessons import LESSONS
from bpttviz.serve.classview import ANSWERS_PER_S, MAX_BODY, OPEN_S, ClassView, handlers

STEPS = LESSONS["vanishing_exploding"].steps()


@pytest.fixture
def base(tmp_path):
    with class_server(tmp_path) as url:
        yield url


def answer(base, page, step, choice, lesson=LESSON):
    return request(f"{base}/kernel/answer", {"page": page, "lesson": lesson, "step": step,
                                             "choice": choice}, KERNEL)


def test_summary_has_the_shape_of_the_contract_and_counts_the_latest_answer(base):
    assert answer(base, "page-aaaa", 1, 1)[0] == 200
    assert answer(base, "page-bbbb", 1, 1)[0] == 200
    assert answer(base, "page-cccc", 1, 2)[0] == 200
    assert answer(base, "page-cccc", 1, 1)[0] == 200      # the latest answer of a page counts
    assert answer(base, "page-cccc", 1, 2)[0] == 200
    status, s = request(f"{base}/api/summary", auth=LECTURER)
    assert status == 200
    assert set(s) == {"students", "lessons"}
    assert "index" not in s["lessons"] and LESSON in s["lessons"]
    lesson = s["lessons"][LESSON]
    assert set(lesson) == {"students", "steps"}
    assert list(lesson["steps"]) == [str(i) for i in range(1, len(STEPS) + 1)]
    step1 = lesson["steps"]["1"]
    assert step1 == {"answers": {"1": 2, "2": 1, **{str(k): 0 for k in
                                                    range(3, len(STEPS[0].choices) + 1)}},
                     "answered": 3, "revealed": False, "open": False, "rounds": []}
    # The token may also come in the query (the page's own address).
    assert request(f"{base}/api/summary?token={TOKEN}")[1] == s


def test_pages_open_now_are_the_kernels_waiting_for_the_state(base):
    def wait(page):
        return request(f"{base}/kernel/state?page={page}&lesson={LESSON}&version=-1&hold=0",
                       auth=KERNEL)
    status, state = wait("page-open-1")
    assert status == 200 and state["pace"] is None and state["revealed"] == []
    wait("page-open-2")
    s = request(f"{base}/api/summary", auth=LECTURER)[1]
    assert s["students"] == 2 and s["lessons"][LESSON]["students"] == 2
    assert s["lessons"]["03_truncated_bptt"]["students"] == 0


def test_pace_and_reveal_reach_a_waiting_kernel_at_once(tmp_path, monkeypatch):
    # The server may hold a kernel longer than the test lasts: only the pace can answer it.
    monkeypatch.setattr(handlers, "HOLD_S", 3600.0)
    clock = Clock()
    state_of_page = f"/kernel/state?page=page-wait-1&lesson={LESSON}&hold=3600&version="
    with class_server(tmp_path, clock) as base, concurrent.futures.ThreadPoolExecutor(1) as pool:
        def students():
            return request(f"{base}/api/summary", auth=LECTURER)[1]["students"]

        _, first = request(f"{base}{state_of_page}-1", auth=KERNEL)
        clock.now += 10 * OPEN_S                # long quiet: the page is no longer open
        assert students() == 0
        held = pool.submit(request, f"{base}{state_of_page}{first['version']}", auth=KERNEL)
        until(lambda: students() == 1, "the kernel's request reached the server")
        clock.now += 10 * OPEN_S                # quiet again: open only while its request is held
        assert students() == 1 and not held.done()              # nothing changed: it waits
        assert request(f"{base}/api/pace", {"lesson": LESSON, "step": 2}, LECTURER)[0] == 200
        status, state = held.result(60)
        assert status == 200 and state["pace"] == 2 and state["version"] == first["version"] + 1
        assert request(f"{base}/api/reveal", {"lesson": LESSON, "step": 2}, LECTURER)[0] == 200
        _, state = request(f"{base}/kernel/state?page=page-wait-1&lesson={LESSON}"
                           f"&version={state['version']}", auth=KERNEL)
        assert state["revealed"] == [2]
        s = request(f"{base}/api/summary", auth=LECTURER)[1]
        assert s["lessons"][LESSON]["steps"]["2"]["revealed"] is True
        assert request(f"{base}/api/lessons", auth=LECTURER)[1]["lessons"][LESSON]["pace"] == 2


@pytest.mark.parametrize("path", ["", "/api/summary", "/api/summary.csv", "/api/lessons"])
@pytest.mark.parametrize("auth", [None, "token wrong-token", f"bpttviz-kernel {SECRET}"])
def test_lecturer_routes_refuse_a_missing_or_wrong_token_with_403_and_no_data(base, path, auth):
    answer(base, "page-aaaa", 1, 1)
    status, body = request(base + path, auth=auth)
    assert status == 403
    assert set(body) == {"error"} and "token" in body["error"]


@pytest.mark.parametrize("action", ["pace", "reveal", "clear"])
def test_lecturer_actions_refuse_a_wrong_token(base, action):
    status, _ = request(f"{base}/api/{action}", {"lesson": LESSON, "step": 1}, "token nope")
    assert status == 403
    assert request(f"{base}/api/lessons", auth=LECTURER)[1]["lessons"][LESSON]["pace"] is None


def test_the_token_is_refused_on_the_kernels_routes_and_the_secret_on_the_lecturers(base):
    assert answer(base, "page-aaaa", 1, 1)[0] == 200
    status, _ = request(f"{base}/kernel/answer", {"page": "page-bbbb", "lesson": LESSON,
                                                  "step": 1, "choice": 1}, LECTURER)
    assert status == 403
    assert request(f"{base}/kernel/state?page=page-bbbb&lesson={LESSON}&hold=0")[0] == 403
    assert request(f"{base}/api/summary", auth=KERNEL)[0] == 403


@pytest.mark.parametrize("body, says", [
    (b"{not json", "malformed body"),
    (b"[1, 2]", "malformed body"),
    (json.dumps({"lesson": "99_nothing", "step": 1}).encode(), "unknown lesson '99_nothing'"),
    (json.dumps({"lesson": "index", "step": 1}).encode(), "unknown lesson 'index'"),
    (json.dumps({"lesson": LESSON, "step": 99}).encode(), "unknown step 99"),
    (json.dumps({"lesson": LESSON, "step": 0}).encode(), "unknown step 0"),
    (json.dumps({"lesson": LESSON, "step": "2"}).encode(), "unknown step '2'"),
    (json.dumps({"lesson": LESSON}).encode(), "unknown step 'missing'"),
])
@pytest.mark.parametrize("action", ["pace", "reveal"])
def test_lecturer_actions_say_which_part_of_the_body_is_wrong_with_400(base, action, body, says):
    status, reply = request(f"{base}/api/{action}", raw=body, auth=LECTURER)
    assert status == 400
    assert says in reply["error"]


@pytest.mark.parametrize("body, says", [
    ({"page": "page-aaaa", "lesson": "nope", "step": 1, "choice": 1}, "unknown lesson 'nope'"),
    ({"page": "page-aaaa", "lesson": LESSON, "step": 42, "choice": 1}, "unknown step 42"),
    ({"page": "page-aaaa", "lesson": LESSON, "step": 1, "choice": 9}, "unknown choice 9"),
    ({"page": "page-aaaa", "lesson": LESSON, "step": 1, "choice": 0}, "unknown choice 0"),
    ({"page": "page-aaaa", "lesson": LESSON, "step": 1, "choice": True}, "unknown choice True"),
    ({"page": "x", "lesson": LESSON, "step": 1, "choice": 1}, "'page'"),
    ({"page": "'; DROP TABLE answers; --", "lesson": LESSON, "step": 1, "choice": 1}, "'page'"),
])
def test_answers_say_which_part_of_the_body_is_wrong_with_400(base, body, says):
    status, reply = request(f"{base}/kernel/answer", body, KERNEL)
    assert status == 400
    assert says in reply["error"]
    s = request(f"{base}/api/summary", auth=LECTURER)[1]
    assert s["lessons"][LESSON]["steps"]["1"]["answered"] == 0


def test_bodies_over_4_kb_are_refused(base):
    body = json.dumps({"lesson": LESSON, "step": 1, "pad": "x" * MAX_BODY}).encode()
    assert request(f"{base}/api/pace", raw=body, auth=LECTURER)[0] == 413
    big = json.dumps({"page": "page-aaaa", "lesson": LESSON, "step": 1, "choice": 1,
                      "pad": "x" * MAX_BODY}).encode()
    assert request(f"{base}/kernel/answer", raw=big, auth=KERNEL)[0] == 413
    assert request(f"{base}/api/lessons", auth=LECTURER)[1]["lessons"][LESSON]["pace"] is None


def test_a_page_may_send_at_most_10_answers_a_second(tmp_path):
    clock = Clock()                       # stands still: every answer in the same instant
    with class_server(tmp_path, clock) as base:
        codes = [answer(base, "page-fast", 1 + i % 2, 1)[0] for i in range(ANSWERS_PER_S + 3)]
        assert codes == [200] * ANSWERS_PER_S + [429] * 3
        assert answer(base, "page-other", 1, 1)[0] == 200      # another page is not limited
        clock.now += 0.5
        status, reply = answer(base, "page-fast", 1, 2)
        assert status == 429 and reply["error"] == ClassView.too_fast
        clock.now += 0.5                                        # a second after the ten
        codes = [answer(base, "page-fast", 1, 2)[0] for _ in range(ANSWERS_PER_S + 1)]
        assert codes == [200] * ANSWERS_PER_S + [429]


def test_the_limit_counts_each_pages_answers_over_the_last_second():
    clock = Clock(0.0)
    view = ClassView(store=None, clock=clock)
    assert [view.rate_limited("page-a") for _ in range(ANSWERS_PER_S)] == [False] * ANSWERS_PER_S
    assert view.rate_limited("page-a") and not view.rate_limited("page-b")
    clock.now = 0.5
    assert view.rate_limited("page-a")                  # the ten are still within the second
    clock.now = 1.0                                     # they are a second old: let go
    assert [view.rate_limited("page-a") for _ in range(ANSWERS_PER_S)] == [False] * ANSWERS_PER_S
    assert view.rate_limited("page-a")
    # A page answering 10 a second for a minute is never refused.
    steady = ClassView(store=None, clock=clock)
    refused = []
    for i in range(60 * ANSWERS_PER_S):
        clock.now = 10 + Fraction(i, ANSWERS_PER_S)      # exact, as 0.1 is not
        refused.append(steady.rate_limited("page-c"))
    assert not any(refused)


def test_csv_export_has_a_row_per_choice_with_the_counts(base):
    answer(base, "page-aaaa", 1, 2)
    status, text = request(f"{base}/api/summary.csv", auth=LECTURER)
    assert status == 200
    rows = [r.split(",") for r in text.strip().split("\n")]
    assert rows[0][:4] == ["lesson", "step", "step_title", "choice"]
    mine = [r for r in text.strip().split("\n")[1:] if r.startswith(f"{LESSON},1,")]
    assert len(mine) == len(STEPS[0].choices)


def test_clear_forgets_a_lessons_answers_pace_and_reveals(base):
    answer(base, "page-aaaa", 1, 2)
    request(f"{base}/api/reveal", {"lesson": LESSON, "step": 1}, LECTURER)
    assert request(f"{base}/api/clear", {"lesson": LESSON}, LECTURER)[0] == 200
    step1 = request(f"{base}/api/summary", auth=LECTURER)[1]["lessons"][LESSON]["steps"]["1"]
    assert step1["answered"] == 0 and step1["revealed"] is False


def test_a_restart_shows_the_answers_so_far(tmp_path):
    with class_server(tmp_path) as base:
        answer(base, "page-aaaa", 1, 1)
        answer(base, "page-bbbb", 1, 2)
        request(f"{base}/api/pace", {"lesson": LESSON, "step": 3}, LECTURER)
        request(f"{base}/api/reveal", {"lesson": LESSON, "step": 1}, LECTURER)
        before = request(f"{base}/api/summary", auth=LECTURER)[1]
    with class_server(tmp_path) as base:
        after = request(f"{base}/api/summary", auth=LECTURER)[1]
        # The answers, reveals and pace are kept; which pages are open is not (none are yet).
        assert ({k: v["steps"] for k, v in after["lessons"].items()}
                == {k: v["steps"] for k, v in before["lessons"].items()})
        assert after["lessons"][LESSON]["steps"]["1"]["answered"] == 2
        assert request(f"{base}/api/lessons", auth=LECTURER)[1]["lessons"][LESSON]["pace"] == 3


def test_60_pages_answering_within_5_s_are_counted_right_and_never_behind(base):
    """Every page answers steps 1 and 2 once, at random moments within 5 s, over HTTP as
    kernels do; the lecturer's summary, read every 0.2 s, counts every answer the server
    had acknowledged before the summary was asked for."""
    import random

    rng = random.Random(18)
    n = 60
    plan = [(f"page-{i:04d}", step, rng.randrange(1, len(STEPS[step - 1].choices) + 1),
             rng.uniform(0, 5)) for i in range(n) for step in (1, 2)]
    sent = []                   # (time it was answered, step, choice)
    lock = threading.Lock()
    start = time.monotonic()

    def send(item):
        page, step, choice, at = item
        time.sleep(max(0.0, start + at - time.monotonic()))
        status, _ = answer(base, page, step, choice)
        assert status == 200
        with lock:
            sent.append((time.monotonic(), step, choice))

    lags = []
    with concurrent.futures.ThreadPoolExecutor(32) as pool:
        futures = [pool.submit(send, item) for item in plan]
        while not all(f.done() for f in futures):
            asked = time.monotonic()
            s = request(f"{base}/api/summary", auth=LECTURER)[1]["lessons"][LESSON]["steps"]
            seen = s["1"]["answered"] + s["2"]["answered"]
            with lock:
                # Answers acknowledged before the summary was asked for.
                due = sum(1 for t, _, _ in sent if t < asked)
            lags.append((seen, due))
            time.sleep(0.2)
        for f in futures:
            f.result()
    assert all(seen >= due for seen, due in lags), lags
    s = request(f"{base}/api/summary", auth=LECTURER)[1]["lessons"][LESSON]["steps"]
    for step in (1, 2):
        expected = {}
        for _, st, choice, _ in plan:
            if st == step:
                expected[str(choice)] = expected.get(str(choice), 0) + 1
        assert s[str(step)]["answered"] == n
        assert {k: v for k, v in s[str(step)]["answers"].items() if v} == expected


def test_a_kernel_in_the_servers_process_is_answered_as_over_http_without_a_socket(tmp_path):
    """A lecture hall's pages live in the class view's process: their requests reach its routes
    directly (InProcess) and get the answers HTTP gives, refusals included."""
    with class_server(tmp_path, in_process=True) as base:
        kernels = f"{base}/kernel"
        call = in_process(kernels)
        assert call is not None and in_process(f"{base}/other") is None

        def local(method, target, body=None, auth=KERNEL, timeout=10):
            headers, data = {"Authorization": auth}, None
            if body is not None:
                data, headers["Content-Type"] = json.dumps(body).encode(), "application/json"
            status, reply = call(method, target, headers, data, timeout)
            return status, json.loads(reply)

        def remote(method, target, body=None, auth=KERNEL):
            return request(kernels + target, body, auth, method=method)

        page = "page-local-1"
        good = {"page": page, "lesson": LESSON, "step": 1, "choice": 2}
        point = {"page": page, "lesson": LESSON, "settings": {}, "result": {}, "link": "/x"}
        for method, target, body, auth in [
                ("GET", f"/state?page={page}&lesson={LESSON}&version=-1&hold=0", None, KERNEL),
                ("GET", f"/state?page={page}&lesson=nope&version=-1&hold=0", None, KERNEL),
                ("POST", "/answer", {**good, "choice": 9}, KERNEL),
                ("POST", "/answer", good, "bpttviz-kernel wrong-secret"),
                ("POST", "/result", point, KERNEL)]:
            here, there = local(method, target, body, auth), remote(method, target, body, auth)
            assert here == there, (method, target)
        assert [local("GET", f"/state?page={page}&lesson=nope")[0],
                local("POST", "/answer", {**good, "choice": 9})[0],
                local("POST", "/answer", good, "bpttviz-kernel wrong-secret")[0],
                local("POST", "/result", point)[0]] == [400, 400, 403, 409]
        assert local("POST", "/answer", good) == (200, {"ok": True, "new": True})
        step = request(f"{base}/api/summary", auth=LECTURER)[1]["lessons"][LESSON]["steps"]["1"]
        assert step["answered"] == 1 and step["answers"]["2"] == 1
        # No answer within the time given is the OSError a silent server gives a client.
        version = local("GET", f"/state?page={page}&lesson={LESSON}&version=-1&hold=0")[1]
        with pytest.raises(OSError):
            local("GET", f"/state?page={page}&lesson={LESSON}&version={version['version']}"
                         f"&hold=5", timeout=0.2)
    assert in_process(kernels) is None          # the server stopped: HTTP again


def test_the_token_never_reaches_the_access_log(base, caplog):
    with caplog.at_level(logging.INFO, logger="tornado.access"):
        request(f"{base}?token={TOKEN}")
        request(f"{base}/api/summary?token={TOKEN}")
        request(f"{base}/api/summary?token=wrong")
    assert caplog.records, "the access log was not captured"
    assert all(TOKEN not in r.getMessage() and "wrong" not in r.getMessage()
               for r in caplog.records)


@pytest.mark.slow
def test_serve_class_counts_a_page_once_its_app_runs_and_logs_no_token(tmp_path):
    """``bpttviz serve --class --students 1``: lessons prepared before anyone came are no
    open page; a page's HTML alone is none either; once its app runs, it reports."""
    import asyncio

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
    from _client import connected, load_page

    from bpttviz.serve import served

    args = ["--class", "--class-token", TOKEN, "--state-dir", str(tmp_path), "--students", "1",
            "--lessons", LESSON]
    with served(extra_args=args, ready_line="ready for 1 student", start_timeout=180) as s:
        line = [ln for ln in s.log.read_text().splitlines() if ln.startswith("Class view:")]
        assert line == [f"Class view: {s.url}/bpttviz/class?token={TOKEN}"]
        summary = f"{s.url}/bpttviz/class/api/summary"
        assert request(summary, auth=LECTURER)[1]["students"] == 0
        landing = load_page("hall", s.url, LESSON)
        assert request(summary, auth=LECTURER)[1]["students"] == 0

        async def a_student():
            async with connected(landing) as page:
                await page.open_widgets("bpttviz-control-k2")
                deadline = time.monotonic() + 30
                while (request(summary, auth=LECTURER)[1].get("lessons", {})
                       .get(LESSON, {}).get("students") != 1
                       and time.monotonic() < deadline):
                    await asyncio.sleep(0.5)
                return request(summary, auth=LECTURER)[1]

        seen = asyncio.run(a_student())
        assert seen["lessons"][LESSON]["students"] == 1
        assert request(f"{s.url}/bpttviz/class")[0] == 403
        assert TOKEN not in s.log.read_text().replace(line[0], "")
