"""The class view on a real JupyterHub on this machine (``bpttviz hub-config --class --teacher``):
three students land on lesson 2, the teacher opens the class view through the hub (logged in by
the hub's OAuth), sees the students' answers, brings them to step 2 and reveals it; a student
cannot open the class view, and the kernels' route refuses a request without a hub token.

Set up as tests/browser/test_jupyterhub.py sets up its hub (only 127.0.0.1 and free ports, a
temporary folder, a marker in the environment of every process the hub starts)."""

import os
import re
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid

import pytest
from playwright.sync_api import expect
from test_jupyterhub import (HUB_START_TIMEOUT, MARKER, STOP_TIMEOUT, USERS, command_line,
                             log_in, marked_processes)
from test_pages import assert_no_error_shown, wait_lesson_ready

from bpttviz.hub import CLASS_SERVICE
from bpttviz.serve import free_port, running
from bpttviz.steps import load_steps

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.jupyterhub]

LESSON, SLUG = "02_vanishing_exploding", "vanishing_exploding"
TEACHER = "turing"
WITHIN_MS = 2000


@pytest.fixture(scope="module")
def class_hub(tmp_path_factory):
    try:
        import jupyterhub  # noqa: F401
    except ImportError:
        pytest.skip("needs JupyterHub: pip install 'bpttviz[hub]'")
    chp = shutil.which("configurable-http-proxy")
    if chp is None:
        pytest.skip("needs JupyterHub's proxy from the npm registry: "
                    "npm install -g configurable-http-proxy")
    tmp = tmp_path_factory.mktemp("hub")
    port, hub_port, api_port, service_port = free_port(), free_port(), free_port(), free_port()
    token = uuid.uuid4().hex
    config = tmp / "jupyterhub_config.py"
    subprocess.run([sys.executable, "-m", "bpttviz.cli", "hub-config", "--try-locally",
                    "--lesson", LESSON, "--port", str(port), "--class", "--teacher", TEACHER,
                    "-o", str(config)], check=True)
    with open(config, "a") as f:       # what a test adds: its own ports, folders and marker
        f.write(f"""
c.JupyterHub.hub_bind_url = "http://127.0.0.1:{hub_port}"
c.ConfigurableHTTPProxy.api_url = "http://127.0.0.1:{api_port}"
c.ConfigurableHTTPProxy.command = [{chp!r}]
c.ConfigurableHTTPProxy.pid_file = {str(tmp / "proxy.pid")!r}
c.JupyterHub.db_url = "sqlite:///{tmp / "jupyterhub.sqlite"}"
c.JupyterHub.cookie_secret_file = {str(tmp / "cookie_secret")!r}
c.JupyterHub.pid_file = {str(tmp / "hub.pid")!r}
c.SimpleLocalProcessSpawner.home_dir_template = {str(tmp / "home" / "{username}")!r}
c.Spawner.environment = {{**c.Spawner.environment, {MARKER!r}: {token!r}}}
c.Spawner.start_timeout = 240
c.Spawner.http_timeout = 240
service = c.JupyterHub.services[-1]
service["url"] = "http://127.0.0.1:{service_port}"
service["environment"] = {{{MARKER!r}: {token!r}, "XDG_DATA_HOME": {str(tmp / "data")!r}}}
""")
    env = {**os.environ, MARKER: token}
    log_path = tmp / "jupyterhub.log"
    try:
        with running([sys.executable, "-m", "jupyterhub", "-f", config], name="jupyterhub",
                     url=f"http://127.0.0.1:{port}", probe="/hub/login", log=log_path, env=env,
                     cwd=tmp, start_timeout=HUB_START_TIMEOUT, stop_timeout=STOP_TIMEOUT) as s:
            yield {"url": s.url, "token": token, "log": log_path, "data": tmp / "data"}
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


def count(page, step, choice):
    return page.locator(f".cv-lesson[data-lesson='{LESSON}'] .cv-step[data-step='{step}'] "
                        f".cv-count[data-choice='{choice}']")


def test_the_teacher_sees_paces_and_reveals_through_the_hub(browser, class_hub):
    steps = load_steps(SLUG)
    service = f"{class_hub['url']}/services/{CLASS_SERVICE}"
    # Without a hub token the kernels' route refuses (403), and answers nothing.
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(urllib.request.Request(
            f"{service}/bpttviz/class/kernel/answer", data=b"{}", method="POST"), timeout=30)
    assert refused.value.code == 403

    students = {name: log_in(browser, class_hub, name) for name in USERS}
    teacher = log_in(browser, class_hub, TEACHER)
    try:
        for name, page in students.items():
            page.wait_for_url(re.compile(rf"/user/{name}/voila/render/{LESSON}\.ipynb$"))
            wait_lesson_ready(page, LESSON)
            expect(page.locator(".bpttviz-step-follow input[type=checkbox]")).to_be_checked()
        teacher.wait_for_url(re.compile(rf"/user/{TEACHER}/voila/render/"))
        teacher.goto(f"{service}/")
        teacher.wait_for_selector(".cv-step[data-step='1']", timeout=30_000)
        assert teacher.url.startswith(f"{service}/bpttviz/class")
        # The students' pages, and the lesson the teacher landed on (its kernel still runs).
        expect(teacher.locator(f".cv-lesson[data-lesson='{LESSON}'] .cv-lesson-students")
               ).to_have_text(str(len(USERS) + 1), timeout=10_000)

        for page, choice in zip(students.values(), (1, 1, 2)):
            page.get_by_role("button", name="Start guided steps").click()
            expect(page.locator(".bpttviz-step-heading")).to_contain_text("Step 1 of")
            page.locator(f".bpttviz-step-choice-{choice}").click()
        expect(count(teacher, 1, 1)).to_have_text("2", timeout=WITHIN_MS)
        expect(count(teacher, 1, 2)).to_have_text("1", timeout=WITHIN_MS)

        teacher.get_by_role("button", name="Bring the class to step 2").click()
        for page in students.values():
            expect(page.locator(".bpttviz-step-heading")).to_contain_text(
                f"Step 2 of {len(steps)}", timeout=WITHIN_MS)
        teacher.get_by_role("button", name="Reveal step 2").click()
        for page in students.values():
            expect(page.locator(".bpttviz-step-revealed")).to_contain_text(
                steps[1].answer, timeout=WITHIN_MS)
            assert_no_error_shown(page)
        assert teacher.js_errors == []

        # A student is not let in: the hub refuses them the service.
        student = next(iter(students.values()))
        response = student.goto(f"{service}/bpttviz/class")
        assert response.status == 403 or student.locator(".cv-step").count() == 0
        assert (class_hub["data"] / "bpttviz" / "class.sqlite").is_file()
    finally:
        for page in [*students.values(), teacher]:
            page.context.close()
