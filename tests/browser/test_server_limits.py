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
