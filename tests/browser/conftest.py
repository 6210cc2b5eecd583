"""A real browser on the served lessons: one Voila server and one headless Chromium
for the whole session, a fresh page (1280x720, like a projector) per test.

Chromium is Debian's (``apt-get install chromium``; ``.ci/run`` installs it);
the tests are skipped, saying why, only when it is not there.
"""

import os
import pathlib

import pytest

from bpttviz.serve import served

ROOT = pathlib.Path(__file__).resolve().parents[2]
NOTEBOOKS = ROOT / "notebooks"
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run"]
VIEWPORT = {"width": 1280, "height": 720}
START_TIMEOUT = 90          # seconds for Voila to answer
PAGE_TIMEOUT = 90_000       # milliseconds for a lesson's kernel to start and render


@pytest.fixture(scope="session")
def chromium():
    if not os.path.exists(CHROMIUM):
        pytest.skip(f"browser tests need Chromium at {CHROMIUM}: "
                    "apt-get update && apt-get install -y chromium")
    return CHROMIUM


@pytest.fixture(scope="session")
def server(chromium, tmp_path_factory):
    """Base URL of ``bpttviz serve`` on a free port; the server and its kernels end afterwards."""
    log = tmp_path_factory.mktemp("voila") / "voila.log"
    with served(notebooks=NOTEBOOKS, log=log, start_timeout=START_TIMEOUT) as s:
        yield s.url


@pytest.fixture(scope="session")
def browser(chromium):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser):
    """A fresh page; uncaught JavaScript errors are collected in ``page.js_errors``."""
    context = browser.new_context(viewport=VIEWPORT, accept_downloads=True)
    p = context.new_page()
    p.set_default_timeout(PAGE_TIMEOUT)
    p.js_errors = []
    p.on("pageerror", lambda exc: p.js_errors.append(str(exc)))
    yield p
    context.close()


@pytest.fixture(scope="session")
def artifacts():
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS
