"""What every test shares: the suite's order, a clean Voila environment, counted calls, and
one lesson server (``bpttviz serve``, the lecture hall) and one headless Chromium per worker
for the browser tests.

The tests are grouped by what they test: ``lessons/test_<slug>.py`` what one lesson claims,
from Python and in the browser (each checks its numbers and its download in the page), with
``lessons/test_registry.py`` the one file that names the lessons (everything else reads
``bpttviz.lessons.LESSONS``); ``app/`` the page's machinery, on a toy lesson or on every
lesson of the registry; ``browser/`` every page served, in Chromium (accessibility, serving a
class, JupyterHub); ``serve/`` the server as deployed (several workers behind nginx);
``test_*.py`` here the engine and the layers below the page, serving and the project; ``js/``
figure.js, with node. Helpers are plain modules in this folder, imported by their names from
any folder (this folder is on ``sys.path``): ``page_in_kernel``, ``page_in_browser``, ``live``,
``toy_lesson``, ``classview_server``, ``local_hub`` and ``gradcheck``. No test module imports
another.

Suite-wide order: the browser tests (marked ``browser``, in whichever folder) run last.

Playwright's sync API keeps an asyncio event loop running in the main thread for
as long as its session lasts; tests that run their own loop (asyncio.run) or that
ask whether one is running must not see it.

``make test`` runs the suite on every core with pytest-xdist (``-n auto``, its default
``load`` distribution). Each worker is a session of its own that runs its share in
this order (xdist hands a worker its tests in collection order), so session and
module fixtures are made once per worker that needs them: the browser tests' server
and Chromium, say, once on each. A fixture that must be made once per run takes a
lock in the run's shared temporary folder (tests/test_wheel.py's wheel). xdist's
``--dist loadgroup`` would keep marked tests together, but with pytest 9.2 it no
longer does (xdist 3.8 renames ``item._nodeid``, which pytest 9.2 stopped reading).

Chromium is Debian's (``apt-get install chromium``; ``.ci/run`` installs it); the browser
tests are skipped, saying why, only when it is not there.
"""

import os
import pathlib
import sys

import pytest

HERE = pathlib.Path(__file__).resolve().parent
# pytest's default import mode puts this folder on sys.path as it imports this file; said here
# so that the helpers import the same way whatever the mode.
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))
# The helpers' asserts report their values as a test's do.
pytest.register_assert_rewrite("classview_server", "gradcheck", "live", "local_hub",
                               "page_in_browser", "page_in_kernel", "toy_lesson")

from page_in_browser import (ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, NOTEBOOKS,  # noqa: E402
                             PAGE_TIMEOUT, START_TIMEOUT, VIEWPORT)

#: What Voila sets in a kernel's environment and a page's app reads (the page's query and
#: address): each test starts without them and sets what it needs.
VOILA_ENVIRONMENT = ("QUERY_STRING", "VOILA_REQUEST_URL")


def pytest_collection_modifyitems(items):
    items.sort(key=lambda item: item.get_closest_marker("browser") is not None)


@pytest.fixture(autouse=True)
def no_voila_environment(monkeypatch):
    for name in VOILA_ENVIRONMENT:
        monkeypatch.delenv(name, raising=False)


# --- counted calls -----------------------------------------------------------------------------
@pytest.fixture
def counted(monkeypatch):
    """``counted(module, name)`` wraps ``module.name``; returns the list of its calls' arguments."""
    def wrap(module, name):
        real = getattr(module, name)
        calls = []

        def counting(*args, **kwargs):
            calls.append((args, kwargs))
            return real(*args, **kwargs)

        monkeypatch.setattr(module, name, counting)
        return calls
    return wrap


@pytest.fixture
def counted_everywhere(monkeypatch):
    """``counted_everywhere(func)`` wraps ``func`` in every bpttviz module that holds it
    (``bpttviz.engine``, the diagnostics, the apps...): every call is counted, whichever
    function reached it. Returns the list of the calls' arguments."""
    def wrap(func):
        calls = []

        def counting(*args, **kwargs):
            calls.append((args, kwargs))
            return func(*args, **kwargs)

        holders = [m for name, m in list(sys.modules.items())
                   if name.split(".")[0] == "bpttviz" and vars(m).get(func.__name__) is func]
        assert holders, f"no bpttviz module holds {func.__name__}"
        for module in holders:
            monkeypatch.setattr(module, func.__name__, counting)
        return calls
    return wrap


# --- the browser tests: a server, Chromium, a page -----------------------------------------------
@pytest.fixture(scope="session")
def chromium():
    if not os.path.exists(CHROMIUM):
        pytest.skip(f"browser tests need Chromium at {CHROMIUM}: "
                    "apt-get update && apt-get install -y chromium")
    return CHROMIUM


@pytest.fixture(scope="session")
def server(chromium, tmp_path_factory):
    """Base URL of ``bpttviz serve`` on a free port; the server ends afterwards."""
    from bpttviz.serve import served

    log = tmp_path_factory.mktemp("serve") / "serve.log"
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
    """A fresh page (1280x720, like a projector); uncaught JavaScript errors are collected in
    ``page.js_errors``."""
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
