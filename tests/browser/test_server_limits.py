"""What a page says when the server cannot serve it as usual: its session ended, or the class
is full, or it sent changes faster than the server takes them.

A lesson page's session lives in the server's process; a server restarted under it (or a
page away longer than the server keeps a session) ends it. The page then says so with Retry,
also once the server is back (the session is not), and Retry brings a working page. Past
``--max-students`` a new lesson page gets the "class is full" page (HTTP 503) while the
students in keep working, and the landing page takes no place in the class. A page that
sends a control's changes back to back gets the newest applied, the rest dropped and said.
"""

import re
import time

import pytest
from live import drawn, wait_redrawn
from page_in_browser import (CONTROL_MODEL, PAGE_TIMEOUT, START_TIMEOUT, VIEWPORT,
                             assert_no_error_shown, blocking_violations, open_lesson, readout,
                             step_class_control, wait_lesson_ready, wait_link_names, watchdog_done)

from bpttviz.app.ratelimit import BURST
from bpttviz.serve import free_port, served

pytestmark = [pytest.mark.browser, pytest.mark.slow]

PROBLEM = ".bpttviz-page-problem"
STOPPED = PROBLEM + "[data-kind=stopped]"
LESSON = "02_vanishing_exploding"


def watch_sockets(page):
    """Every websocket the page opens, as ``[{"ws": ..., "frames": n}]`` (frames received)."""
    sockets = []

    def opened(ws):
        entry = {"ws": ws, "frames": 0}
        ws.on("framereceived", lambda _: entry.update(frames=entry["frames"] + 1))
        sockets.append(entry)

    page.on("websocket", opened)
    return sockets


def wait_until(page, condition, what, timeout=60):
    """Let the page run until ``condition()`` holds (Playwright's events are handled meanwhile)."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"{what} did not happen in {timeout} s"
        page.wait_for_timeout(200)


def test_a_page_whose_session_ended_says_so_and_retry_brings_a_working_page(page, chromium,
                                                                             tmp_path):
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    sockets = watch_sockets(page)
    with served(port=port, log=tmp_path / "first.log", start_timeout=START_TIMEOUT):
        open_lesson(page, url, LESSON)
    # The server has stopped: the page's session is gone with it.
    box = page.wait_for_selector(STOPPED, state="visible", timeout=60_000)
    assert box.get_attribute("role") == "alert"
    assert "This lesson has stopped" in box.inner_text()
    assert "Retry loads the page again" in box.inner_text()
    before_restart = len(sockets)
    with served(port=port, log=tmp_path / "again.log", start_timeout=START_TIMEOUT):
        # The page reaches the server again (a socket that received something), which does not
        # hold its session: the socket is closed, and the page still says it has stopped.
        wait_until(page, lambda: any(s["frames"] and s["ws"].is_closed()
                                     for s in sockets[before_restart:]),
                   "the page's reconnection to the restarted server")
        page.wait_for_selector(STOPPED, state="visible", timeout=60_000)
        assert page.query_selector(".bpttviz-app") is not None     # the old controls, dead
        with page.expect_navigation():
            page.click(".bpttviz-retry")
        wait_lesson_ready(page, LESSON)
        step_class_control(page, LESSON)
        watchdog_done(page)
        assert page.query_selector(PROBLEM) is None
        assert_no_error_shown(page)


@pytest.fixture(scope="module")
def one_student(tmp_path_factory, chromium):
    """The shipped lessons, at most one lesson page at once."""
    log = tmp_path_factory.mktemp("one-student") / "serve.log"
    with served(extra_args=["--max-students", "1"], log=log,
                start_timeout=START_TIMEOUT) as server:
        yield server.url


def test_past_max_students_a_new_page_is_told_the_class_is_full_and_gets_in_later(
        one_student, browser, page):
    url = one_student
    # Landing pages, opened by the whole class at once, take no place in it: a plain page, no
    # session on the server.
    sockets = watch_sockets(page)
    for path in ("/", "/voila/render/index.ipynb"):
        assert page.goto(url + path).status == 200
        page.wait_for_selector(f"a[href='{LESSON}.ipynb']")
        page.wait_for_load_state("networkidle")
    assert sockets == []
    open_lesson(page, url, LESSON)                     # the one student the class takes

    context = browser.new_context(viewport=VIEWPORT)
    try:
        late = context.new_page()
        late.set_default_timeout(PAGE_TIMEOUT)
        late.js_errors = []
        late.on("pageerror", lambda exc: late.js_errors.append(str(exc)))
        requests = []
        late.on("request", lambda r: requests.append(r.url))
        response = late.goto(f"{url}/voila/render/03_truncated_bptt.ipynb?k2=25")
        assert response.status == 503
        assert late.inner_text("h1") == "The class is full; try again in a minute."
        # It tries again by itself, says when, and offers Retry; it fetches nothing.
        late.wait_for_function("() => /^in \\d+ s$/.test("
                               "document.querySelector('.bpttviz-retry-when').textContent)")
        assert late.get_by_role("link", name="Retry").get_attribute("href") == ""
        assert requests == [response.url]
        assert blocking_violations(late) == []
        # The student in still works.
        step_class_control(page, LESSON)
        assert_no_error_shown(page)
        # Once that student has left, Retry gets the page asked for (the place of a page just
        # opened is held a while for it, so this may take more than one Retry).
        page.goto(url + "/")
        for _ in range(30):
            with late.expect_navigation() as navigation:
                late.get_by_role("link", name="Retry").click()
            if navigation.value.status != 503:
                break
            late.wait_for_timeout(2000)
        assert navigation.value.status == 200 and navigation.value.url == response.url
        wait_lesson_ready(late, "03_truncated_bptt")
        assert readout(late, "k2") == "25"
        assert_no_error_shown(late)
    finally:
        context.close()


#: Send the widget of control ``name`` each value of ``values`` on its comm, back to back,
#: through the page's widget manager (as a script in the page could; a slider moved by a user
#: sends its next change only once the server has answered the last).
FLOOD = f"""async ([name, values]) => {{
  const m = await ({CONTROL_MODEL})(name);
  for (const v of values) m.comm.send({{method: 'update', state: {{value: v}}, buffer_paths: []}});
}}"""


def test_changes_sent_too_fast_are_dropped_the_newest_kept_and_the_page_says_so(page, server):
    open_lesson(page, server, "03_truncated_bptt")
    assert page.inner_text(".bpttviz-rate-notice").strip() == ""
    before = drawn(page)
    # k2 in [1, 50], ending at 40. The gate counts changes as the server takes them: past the
    # burst it drops only while the server takes them faster than its rate, for long enough.
    # With 1,200 that holds while the server takes one in 15 ms or less (300 needed 10 ms: a
    # busy machine, a test suite on every core, missed it).
    values = [11 + i % 30 for i in range(1200)]
    page.evaluate(FLOOD, ["k2", values])
    page.wait_for_function("() => /changes? from this page (was|were) dropped/.test("
                           "document.querySelector('.bpttviz-rate-notice').innerText)")
    text = page.inner_text(".bpttviz-rate-notice")
    assert "the page sent them faster than the server takes them" in text
    assert "The newest value of each control was kept" in text
    dropped = int(re.search(r"(\d+) changes? from this page", text).group(1))
    # The first changes (a burst) are applied, never dropped.
    assert 1 <= dropped <= len(values) - BURST
    # The newest value reached the app: its figures and its link show it.
    wait_redrawn(page, ["timeline"], before)
    page.wait_for_function("(title) => document.querySelector('.bpttviz-figure-timeline "
                           ".bpttviz-live')?.bpttvizFigure?.panels[0].title.startsWith(title)",
                           arg=f"tbptt(k1=5, k2={values[-1]})")
    wait_link_names(page, "k2", str(values[-1]))
    assert page.query_selector(PROBLEM) is None
    assert_no_error_shown(page)
