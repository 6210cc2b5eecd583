"""A real JupyterHub on this machine for the tests: JupyterHub from PyPI with its proxy,
configurable-http-proxy from the npm registry (``npm install -g configurable-http-proxy``;
``.ci/run`` installs it), configured by ``bpttviz hub-config --try-locally`` (dummy
authenticator, SimpleLocalProcessSpawner). Only 127.0.0.1 and free ports; database, cookie
secret and homes in a temporary folder. Every process the hub starts (proxy, user servers,
kernels) carries a marker in its environment, so that none outlives the test, even on failure.
"""

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import time
import uuid

import pytest
from page_in_browser import VERSION_LOG, VIEWPORT

from bpttviz.serve import free_ports, running

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
    port, hub_port, api_port = free_ports(3)   # three different ones
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


def log_in(browser, hub, name):
    """A user's own browser context, logged in: the hub starts their server and lands them."""
    context = browser.new_context(viewport=VIEWPORT)
    # Every page of the context keeps its console's version warnings (read with
    # page_in_browser.version_warnings): the lesson is reached by redirects.
    context.add_init_script(VERSION_LOG)
    page = context.new_page()
    page.set_default_timeout(SPAWN_TIMEOUT)
    page.js_errors = []
    page.on("pageerror", lambda exc: page.js_errors.append(str(exc)))
    page.goto(hub["url"] + "/hub/login")
    page.fill("input[name=username]", name)
    page.fill("input[name=password]", "any password: the dummy authenticator takes it")
    page.click("[type=submit]")
    return page
