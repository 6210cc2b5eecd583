"""What a page says when the server cannot serve it as usual: its kernel died, or the class
is full, or it sent changes faster than the server takes them.

A lesson page polls its kernel's life; a kernel killed under it (as the out-of-memory killer
would) makes the page say so with Retry, and Retry gets a fresh kernel, a warm one when the
server keeps some.
"""

import json
import os
import signal

import pytest

from bpttviz.serve import served

pytestmark = [pytest.mark.browser, pytest.mark.slow]

PROBLEM = ".bpttviz-page-problem"


def kernel_id(page):
    return json.loads(page.inner_text("#jupyter-config-data"))["kernelId"]


def kernel_pid(kernel_id):
    """The process of the kernel ``kernel_id`` (its connection file names it)."""
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                cmd = f.read().decode(errors="replace")
        except OSError:
            continue
        if "ipykernel" in cmd and f"kernel-{kernel_id}.json" in cmd:
            return int(pid)
    return None


@pytest.fixture(scope="module")
def warm(tmp_path_factory, chromium):
    """The shipped lessons with 2 kernels kept warm."""
    log = tmp_path_factory.mktemp("warm") / "voila.log"
    with served(extra_args=["--students", "2"], log=log, ready_line="ready for 2 students",
                start_timeout=120) as server:
        yield server.url, log


def test_a_killed_kernels_page_says_so_and_retry_gets_a_fresh_kernel(warm, page):
    url, log = warm
    page.goto(f"{url}/voila/render/02_vanishing_exploding.ipynb")
    page.wait_for_selector(".bpttviz-app")
    first = kernel_id(page)
    pid = kernel_pid(first)
    assert pid is not None
    os.kill(pid, signal.SIGKILL)                  # as the out-of-memory killer does
    box = page.wait_for_selector(PROBLEM, state="visible", timeout=60_000)
    assert box.get_attribute("data-kind") == "stopped" and box.get_attribute("role") == "alert"
    assert "This lesson has stopped" in box.inner_text()
    assert "Retry loads the page again with a fresh kernel" in box.inner_text()
    with page.expect_navigation(timeout=90_000):
        page.click(".bpttviz-retry")
    page.wait_for_selector(".bpttviz-app")
    assert kernel_id(page) != first
    page.wait_for_timeout(6000)                   # a poll or more: the new kernel is alive
    assert page.query_selector(PROBLEM) is None
    assert "kernel died" in log.read_text()


def test_changes_sent_too_fast_are_dropped_and_the_page_says_so(warm, page):
    """A client that does not wait (here a second connection to the page's kernel, as a
    script would) floods the slider; the page shows the app's notice."""
    import asyncio
    import sys
    import threading
    from pathlib import Path

    websockets = pytest.importorskip("websockets")
    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
    from _client import PROTOCOL, Kernel, step_values, websocket_url

    url, _ = warm
    page.goto(f"{url}/voila/render/03_truncated_bptt.ipynb")
    page.wait_for_selector(".bpttviz-app")
    assert page.inner_text(".bpttviz-rate-notice").strip() == ""
    kernel = kernel_id(page)

    async def flood():
        async with websockets.connect(websocket_url(url, kernel), subprotocols=[PROTOCOL],
                                      max_size=None) as ws:
            client = Kernel(ws)
            reader = asyncio.ensure_future(client.read())
            slider, state = await client.open_widgets("bpttviz-control-k2")
            for v in step_values(state, 300):
                await client.set_value(slider, v)
            await asyncio.sleep(3)
            reader.cancel()

    done = threading.Thread(target=lambda: asyncio.run(flood()))
    done.start()
    page.wait_for_function("() => /changes from this page were dropped/.test("
                           "document.querySelector('.bpttviz-rate-notice').innerText)",
                           timeout=60_000)
    done.join(60)
    text = page.inner_text(".bpttviz-rate-notice")
    assert "the page sent them faster than the server takes them" in text
    assert page.query_selector(PROBLEM) is None


def test_landing_pages_share_one_kernel_and_each_shows_its_links(warm, page):
    """A class opening the landing page at once starts one kernel, not one each."""
    url, log = warm
    other = page.context.new_page()
    for p in (page, other):
        p.goto(f"{url}/voila/render/index.ipynb")
    for p in (page, other):
        p.wait_for_selector("a[href*='03_truncated_bptt.ipynb']")
    assert kernel_id(page) == kernel_id(other)
    page.wait_for_timeout(1000)
    assert not page.js_errors
