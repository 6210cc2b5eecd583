"""The class view on a real JupyterHub on this machine (``bpttviz hub-config --class --teacher``):
three students land on lesson 2, the teacher opens the class view through the hub (logged in by
the hub's OAuth), sees the students' answers, brings them to step 2 and reveals it; a student
cannot open the class view, and the kernels' route refuses a request without a hub token.

The hub is set up as tests/browser/test_jupyterhub.py sets up its own (tests/local_hub.py: only
127.0.0.1 and free ports, a temporary folder, a marker in the environment of every process the
hub starts, the service included)."""

import re
import urllib.error
import urllib.request

import pytest
from playwright.sync_api import expect
from local_hub import USERS, hub_running, log_in
from page_in_browser import assert_no_error_shown, wait_lesson_ready

from bpttviz.hub import CLASS_SERVICE
from bpttviz.serve import free_port
from bpttviz.lessons import LESSONS

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.jupyterhub]

LESSON, SLUG = "02_vanishing_exploding", "vanishing_exploding"
TEACHER = "turing"
#: How long to wait for what the teacher did to reach the class and the other way round (ms):
#: generous, as a wait ends as soon as the page shows it and fails only when it never does.
WAIT_MS = 90_000


@pytest.fixture(scope="module")
def class_hub(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("hub")
    data, service_port = tmp / "data", free_port()

    def service(marker):        # the service's own port, data folder and the marker
        env = {**marker, "XDG_DATA_HOME": str(data)}
        return (f"c.JupyterHub.services[-1]['url'] = 'http://127.0.0.1:{service_port}'\n"
                f"c.JupyterHub.services[-1]['environment'] = {env!r}\n")

    with hub_running(tmp, ["--lesson", LESSON, "--class", "--teacher", TEACHER],
                     service) as h:
        yield {**h, "data": data}


def count(page, step, choice):
    return page.locator(f".cv-lesson[data-lesson='{LESSON}'] .cv-step[data-step='{step}'] "
                        f".cv-count[data-choice='{choice}']")


def test_the_teacher_sees_paces_and_reveals_through_the_hub(browser, class_hub):
    steps = LESSONS[SLUG].steps()
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
        # The teacher's own lesson page stays open in its tab; the class view opens in another.
        wait_lesson_ready(teacher, LESSON)
        view = teacher.context.new_page()
        view.js_errors = []
        view.on("pageerror", lambda exc: view.js_errors.append(str(exc)))
        view.goto(f"{service}/")
        view.wait_for_selector(".cv-step[data-step='1']", timeout=WAIT_MS)
        assert view.url.startswith(f"{service}/bpttviz/class")
        # The students' pages, and the teacher's lesson page still open in its tab.
        expect(view.locator(f".cv-lesson[data-lesson='{LESSON}'] .cv-lesson-students")
               ).to_have_text(str(len(USERS) + 1), timeout=WAIT_MS)

        for page, choice in zip(students.values(), (1, 1, 2)):
            page.get_by_role("button", name="Start guided steps").click()
            heading = page.locator(".bpttviz-step-heading")
            expect(heading).to_contain_text("Step 1 of", timeout=WAIT_MS)
            page.locator(f".bpttviz-step-choice-{choice}").click()
        expect(count(view, 1, 1)).to_have_text("2", timeout=WAIT_MS)
        expect(count(view, 1, 2)).to_have_text("1", timeout=WAIT_MS)

        view.get_by_role("button", name="Bring the class to step 2").click()
        for page in students.values():
            expect(page.locator(".bpttviz-step-heading")).to_contain_text(
                f"Step 2 of {len(steps)}", timeout=WAIT_MS)
        view.get_by_role("button", name="Reveal step 2").click()
        for page in students.values():
            expect(page.locator(".bpttviz-step-revealed")).to_contain_text(
                steps[1].answer, timeout=WAIT_MS)
            assert_no_error_shown(page)
        assert view.js_errors == []

        # A student is not let in: the hub refuses them the service's login (403 on the hub's
        # own page: no class view is sent), and its routes refuse them too.
        student = next(iter(students.values()))
        response = student.goto(f"{service}/bpttviz/class")
        assert response.status == 403, (response.status, response.url)
        assert response.url.startswith(f"{class_hub['url']}/hub/api/oauth2/authorize")
        assert "cv-status" not in student.content()
        for path in ("/api/summary", "/api/lessons"):
            refused = student.request.get(f"{service}/bpttviz/class{path}", max_redirects=0)
            assert refused.status == 403, (path, refused.status)
        assert (class_hub["data"] / "bpttviz" / "class.sqlite").is_file()
    finally:
        for page in [*students.values(), teacher]:
            page.context.close()
