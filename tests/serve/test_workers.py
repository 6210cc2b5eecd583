"""``bpttviz serve --workers 2 --class``: two lecture-hall processes behind nginx (Debian's
package), as a class meets them.

Students are simulated at the protocol level (the page's HTTP request, then its websocket,
as ``benchmarks/_client.py`` does for the benchmarks) and one real page runs in Chromium.
What must hold behind the load balancer: every page works; a page's session lives on one
worker, and both its reconnection (a network blip) and its closing beacon reach that
worker, never the other; the pages of both workers report to the one class view; the
front end's files are answered by nginx once a worker has answered them.
"""

import asyncio
import re
import sys
import time
import urllib.request
from contextlib import AsyncExitStack
from pathlib import Path

import pytest
from classview_server import LECTURER, TOKEN, request
from page_in_browser import assert_no_error_shown, open_lesson, step_class_control

from bpttviz.lessons import lesson_of_page
from bpttviz.serve import served

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
from _client import Landing, connected, load_page  # noqa: E402  (benchmarks/ is no package)

pytestmark = [pytest.mark.slow]

LESSON = "02_vanishing_exploding"
SLIDER = "bpttviz-control-" + lesson_of_page(LESSON).class_control
#: Pages opened until both workers hold one: each lands on one of two by the hash of its
#: id, so 20 leave a chance of 2**-19 that one worker got none.
MOST_PAGES = 20


@pytest.fixture(scope="module")
def hall(tmp_path_factory):
    """The lessons on two workers behind nginx, with the class view; yields the address and
    the two workers' addresses (the log names their ports)."""
    state = tmp_path_factory.mktemp("class")
    args = ["--workers", "2", "--class", "--class-token", TOKEN, "--state-dir", str(state),
            "--max-students", "60"]
    with served(extra_args=args, log=state / "serve.log", start_timeout=180) as s:
        found = re.search(r"2 workers on ports (\d+), (\d+) behind nginx", s.log.read_text())
        assert found, s.log.read_text()
        yield s.url, [f"http://127.0.0.1:{p}" for p in found.groups()]


async def holds(worker: str, landing: Landing) -> bool:
    """Whether ``worker`` (asked directly, not through nginx) holds the page's session: its
    widgets are there, the lesson's slider among them."""
    direct = Landing(landing.kind, worker, landing.path, landing.html, landing.kernel_id,
                     landing.cookie)
    async with connected(direct) as probe:
        await probe.kernel_info()
        await probe.request_states()
        # Closed as a tab closes, so that the probe itself keeps no session alive.
        await probe.leave(beacon=True)
    return bool(probe.with_class(SLIDER))


def test_pages_keep_their_worker_and_report_to_one_class_view(hall):
    url, workers = hall
    summary = f"{url}/bpttviz/class/api/summary"

    async def a_class():
        async with AsyncExitStack() as stack:
            pages = []          # (client, landing, worker index)
            while len({w for *_, w in pages}) < 2:
                assert len(pages) < MOST_PAGES, "every page landed on one worker"
                landing = load_page("hall", url, LESSON)
                page = await stack.enter_async_context(connected(landing))
                slider, state = await page.open_widgets(SLIDER)
                # A change answered: the page's websocket reached the worker of its widgets.
                await page.move(slider, state["min"] if state["value"] != state["min"]
                                else state["max"])
                held = [await holds(w, landing) for w in workers]
                assert held.count(True) == 1, held
                pages.append((page, landing, held.index(True)))

            # Pages of both workers counted by the one class view.
            deadline = time.monotonic() + 30
            while (request(summary, auth=LECTURER)[1].get("lessons", {}).get(LESSON, {})
                   .get("students") != len(pages) and time.monotonic() < deadline):
                await asyncio.sleep(0.5)
            assert request(summary, auth=LECTURER)[1]["lessons"][LESSON]["students"] \
                == len(pages)

            for page, landing, worker in pages:
                # A network blip: the page's websocket ends without the tab closing, and its
                # reconnection through nginx finds its widgets.
                await page.leave(beacon=False)
                async with connected(landing, session=page.session) as again:
                    assert await again.join(SLIDER) is not None
                    # The tab closes: its beacon, through nginx, ends the session where it
                    # lives.
                    await again.leave(beacon=True)
                assert not await holds(workers[worker], landing)
            return len(pages)

    assert asyncio.run(a_class()) >= 2


@pytest.mark.browser
def test_a_page_in_chromium_works_behind_nginx_and_the_class_view_opens(hall, page):
    url, _ = hall
    open_lesson(page, url, LESSON)
    step_class_control(page, LESSON)
    assert_no_error_shown(page)
    assert page.goto(f"{url}/bpttviz/class?token={TOKEN}").status == 200
    page.wait_for_selector("h1")
    assert not page.js_errors


def test_the_front_ends_files_come_from_nginx_once_a_worker_has_answered(hall):
    url, _ = hall
    page = load_page("hall", url, LESSON).html
    # A script the page loads from a worker's static files (its address names its version).
    path = re.search(r'src="(/static/[^"]+\.js[^"]*)"', page).group(1)
    seen = []
    for encoding in ("gzip", "gzip", "identity", "identity"):
        request = urllib.request.Request(url + path, headers={"Accept-Encoding": encoding})
        with urllib.request.urlopen(request, timeout=30) as r:
            seen.append((r.headers.get("X-Cache"), r.headers.get("Content-Encoding"),
                         len(r.read())))
    # The second request of each encoding is nginx's: gzipped when asked, plain when not.
    assert [s[:2] for s in seen[1::2]] == [("HIT", "gzip"), ("HIT", None)], seen
    assert seen[3][2] > seen[1][2] and seen[0][1] == "gzip", seen
