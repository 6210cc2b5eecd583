"""The lessons on a real JupyterHub on this machine: three users log in, each lands on a lesson
in Voila served by a Jupyter server of their own, its live figures drawn, and a slider each
moves redraws the figures it changes.

The hub is JupyterHub from PyPI with its proxy, configurable-http-proxy from the npm registry
(``npm install -g configurable-http-proxy``; ``.ci/run`` installs it), configured by
``bpttviz hub-config --try-locally`` (dummy authenticator, SimpleLocalProcessSpawner). Only
127.0.0.1 and free ports; database, cookie secret and homes in a temporary folder. Every
process the hub starts (proxy, user servers, kernels) carries a marker in its environment, so
that none outlives the test, even on failure.
"""

import contextlib
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import uuid

import pytest
from conftest import VIEWPORT
from live import CANVAS_DRAWN, drawn, wait_redrawn
from test_pages import (LESSONS, assert_no_error_shown, readout, wait_lesson_ready,
                        wait_readout)

from bpttviz.serve import free_port, running

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.jupyterhub]

LESSON = "02_vanishing_exploding"
USERS = ("ada", "alan", "grace")
HUB_START_TIMEOUT = 90        # seconds for the hub and its proxy to answer
SPAWN_TIMEOUT = 240_000       # milliseconds for a user's server, kernel and lesson (2 busy cores)
STOP_TIMEOUT = 60             # seconds for the hub to stop its proxy, servers and kernels
MARKER = "BPTTVIZ_HUB_TEST"


def marked_processes(token):
    """Pids of the processes whose environment holds ``MARKER=token``."""
    needle = f"{MARKER}={token}".encode() + b"\0"
    pids = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/environ", "rb") as f:
                if needle in f.read():
                    pids.append(int(entry))
        except OSError:                    # gone meanwhile, or not ours to read
            pass
    return pids


def command_line(pid):
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return f.read().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


@contextlib.contextmanager
def hub_running(tmp, hub_config_args, more_config=None):
    """A JupyterHub configured by ``bpttviz hub-config --try-locally <hub_config_args>`` and the
    test's own ports, folder (``tmp``) and marker, then the lines ``more_config(marker)`` (the
    marker's ``{name: value}``); yields ``{"url", "token", "log", "version"}``. Everything it
    started ends after, or the test fails."""
    try:
        import jupyterhub
    except ImportError:
        pytest.skip("needs JupyterHub: pip install 'bpttviz[hub]'")
    chp = shutil.which("configurable-http-proxy")
    if chp is None:
        pytest.skip("needs JupyterHub's proxy from the npm registry: "
                    "npm install -g configurable-http-proxy")
    port, hub_port, api_port = free_port(), free_port(), free_port()
    token = uuid.uuid4().hex
    config = tmp / "jupyterhub_config.py"
    subprocess.run([sys.executable, "-m", "bpttviz.cli", "hub-config", "--try-locally",
                    *hub_config_args, "--port", str(port), "-o", str(config)], check=True)
    with open(config, "a") as f:       # what a test adds: its own ports, folder and marker
        f.write(f"""
c.JupyterHub.hub_bind_url = "http://127.0.0.1:{hub_port}"
c.ConfigurableHTTPProxy.api_url = "http://127.0.0.1:{api_port}"
c.ConfigurableHTTPProxy.command = [{chp!r}]
c.ConfigurableHTTPProxy.pid_file = {str(tmp / "proxy.pid")!r}
c.JupyterHub.db_url = "sqlite:///{tmp / "jupyterhub.sqlite"}"
c.JupyterHub.cookie_secret_file = {str(tmp / "cookie_secret")!r}
c.JupyterHub.pid_file = {str(tmp / "hub.pid")!r}
c.SimpleLocalProcessSpawner.home_dir_template = {str(tmp / "home" / "{username}")!r}
c.Spawner.environment = {{**(c.Spawner.environment if "environment" in c.Spawner else {{}}),
                         {MARKER!r}: {token!r}}}
c.Spawner.start_timeout = {SPAWN_TIMEOUT // 1000}
c.Spawner.http_timeout = {SPAWN_TIMEOUT // 1000}
""" + (more_config({MARKER: token}) if more_config else ""))
    env = {**os.environ, MARKER: token}     # the proxy inherits the hub's environment
    log_path = tmp / "jupyterhub.log"
    try:
        # SIGTERM at the end: the hub stops each user's server (which ends its kernels) and
        # its proxy.
        with running([sys.executable, "-m", "jupyterhub", "-f", config], name="jupyterhub",
                     url=f"http://127.0.0.1:{port}", probe="/hub/login", log=log_path, env=env,
                     cwd=tmp, start_timeout=HUB_START_TIMEOUT, stop_timeout=STOP_TIMEOUT) as s:
            yield {"url": s.url, "token": token, "log": log_path,
                   "version": jupyterhub.__version__}
    finally:
        deadline = time.monotonic() + 20
        while marked_processes(token) and time.monotonic() < deadline:
            time.sleep(0.5)
        left = {pid: command_line(pid) for pid in marked_processes(token)}
        for pid in left:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        assert not left, f"the hub left processes running (now killed): {left}"


@pytest.fixture(scope="module")
def hub(tmp_path_factory):
    """Base URL of a JupyterHub whose users land on ``LESSON``; everything it started ends after."""
    with hub_running(tmp_path_factory.mktemp("hub"), ["--lesson", LESSON]) as h:
        yield h


def log_in(browser, hub, name):
    """A user's own browser context, logged in: the hub starts their server and lands them."""
    context = browser.new_context(viewport=VIEWPORT)
    page = context.new_page()
    page.set_default_timeout(SPAWN_TIMEOUT)
    page.js_errors = []
    page.on("pageerror", lambda exc: page.js_errors.append(str(exc)))
    page.goto(hub["url"] + "/hub/login")
    page.fill("input[name=username]", name)
    page.fill("input[name=password]", "any password: the dummy authenticator takes it")
    page.click("[type=submit]")
    return page


def test_three_users_land_on_a_lesson_in_voila_and_move_a_slider(browser, hub):
    # All three log in before any waits: their servers start side by side, as a class's do.
    pages = {name: log_in(browser, hub, name) for name in USERS}
    try:
        for name, page in pages.items():
            page.wait_for_url(re.compile(rf"/user/{name}/voila/render/{LESSON}\.ipynb$"))
            wait_lesson_ready(page, LESSON)
            assert_no_error_shown(page)
        servers = [pid for pid in marked_processes(hub["token"])
                   if "jupyterhub.singleuser" in command_line(pid)]
        assert len(servers) == len(USERS), [command_line(pid) for pid in servers]

        figures, control, changed = LESSONS[LESSON]
        for page in pages.values():
            for figure in figures:          # the figures' script came through the hub's proxy
                assert page.evaluate(CANVAS_DRAWN, figure), figure
            before_value, before = readout(page, control), drawn(page)
            page.locator(f".bpttviz-control-{control} [role=slider]").focus()
            page.keyboard.press("ArrowRight")
            wait_readout(page, control, "(t, old) => t != old", before_value)
            wait_redrawn(page, changed, before)
            assert readout(page, control) != before_value
            assert_no_error_shown(page)
    finally:
        for page in pages.values():
            page.context.close()
