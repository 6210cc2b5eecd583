"""The class view in headless Chromium: ``bpttviz serve --class``, the lecturer's page and three
students' pages on lesson 2. Two students choose the first answer of step 1 and one the second;
the lecturer's page shows 2 and 1; the lecturer brings the class to step 2 and the two pages
that follow go there while the one switched off stays; the lecturer reveals step 2 and the pages
at it show the answer. The lecturer's page passes axe-core and is kept as a screenshot."""

import csv
import pathlib

import pytest
from page_in_browser import (NOTEBOOKS, START_TIMEOUT, VIEWPORT, assert_no_error_shown,
                             blocking_violations, open_lesson)
from playwright.sync_api import expect

from bpttviz.serve import served
from bpttviz.lessons import LESSONS

pytestmark = [pytest.mark.browser, pytest.mark.slow]

LESSON, SLUG = "02_vanishing_exploding", "vanishing_exploding"
TOKEN = "browser-test-token-18"
#: How long to wait for what the lecturer did to reach the class and the other way round (ms):
#: generous, as a wait ends as soon as the page shows it and fails only when it never does.
WAIT_MS = 90_000
SCREENSHOT = pathlib.Path(__file__).resolve().parents[2] / "docs" / "screenshots" / "class-view.png"


@pytest.fixture(scope="module")
def class_server(chromium, tmp_path_factory):
    state = tmp_path_factory.mktemp("class-state")
    log = tmp_path_factory.mktemp("voila") / "voila.log"
    with served(notebooks=NOTEBOOKS, log=log, start_timeout=START_TIMEOUT,
                extra_args=["--class", "--class-token", TOKEN, "--state-dir", str(state)],
                ready_line="Class view:") as s:
        yield s


def new_page(browser, viewport=VIEWPORT):
    context = browser.new_context(viewport=viewport, accept_downloads=True)
    p = context.new_page()
    p.set_default_timeout(90_000)
    p.js_errors = []
    p.on("pageerror", lambda exc: p.js_errors.append(str(exc)))
    return p


def count(lecturer, step, choice):
    return lecturer.locator(f".cv-lesson[data-lesson='{LESSON}'] .cv-step[data-step='{step}'] "
                            f".cv-count[data-choice='{choice}']")


def heading(student):
    return student.locator(".bpttviz-step-heading")


def follow_marked(student, mark):
    """Wait until the page's "Follow the lecturer" switch is marked ``mark`` by its kernel
    (``bpttviz-follow-off``, ``bpttviz-lecturer-step-N``): the kernel has it."""
    expect(student.locator(f".bpttviz-step-follow.{mark}")).to_be_attached(timeout=WAIT_MS)


def test_the_lecturer_sees_the_class_paces_it_and_reveals(browser, class_server):
    steps = LESSONS[SLUG].steps()
    url = class_server.url
    lecturer = new_page(browser, {"width": 1280, "height": 900})
    response = lecturer.goto(f"{url}/bpttviz/class?token={TOKEN}")
    assert response.status == 200
    lecturer.wait_for_selector(".cv-step[data-step='1']")
    # The token leaves the address bar (a projector shows it to the room).
    assert TOKEN not in lecturer.url

    students = [new_page(browser) for _ in range(3)]
    for s in students:
        open_lesson(s, url, LESSON)
        expect(s.locator(".bpttviz-step-follow input[type=checkbox]")).to_be_checked()
    expect(lecturer.locator(f".cv-lesson[data-lesson='{LESSON}'] .cv-lesson-students")
           ).to_have_text("3", timeout=WAIT_MS)

    for s, choice in zip(students, (1, 1, 2)):
        s.get_by_role("button", name="Start guided steps").click()
        expect(heading(s)).to_contain_text(f"Step 1 of {len(steps)}", timeout=WAIT_MS)
        s.locator(f".bpttviz-step-choice-{choice}").click()
        expect(s.locator(".bpttviz-step-reveal")).to_contain_text("What happened",
                                                                  timeout=WAIT_MS)
    expect(count(lecturer, 1, 1)).to_have_text("2", timeout=WAIT_MS)
    expect(count(lecturer, 1, 2)).to_have_text("1", timeout=WAIT_MS)
    expect(lecturer.locator(".cv-step[data-step='1'] .cv-answered-n")).to_have_text("3")
    # The right answer is marked on the lecturer's page.
    right = lecturer.locator(f".cv-step[data-step='1'] .cv-choice[data-choice="
                             f"'{steps[0].answer_index + 1}']")
    expect(right).to_contain_text("right answer")

    with lecturer.expect_download() as download:
        lecturer.get_by_role("button", name="Export CSV").click()
    with open(download.value.path(), newline="") as f:
        rows = list(csv.DictReader(f))
    counts = {r["choice"]: r["count"] for r in rows if (r["lesson"], r["step"]) == (LESSON, "1")}
    assert counts["1"] == "2" and counts["2"] == "1"

    off = students[2]
    off.locator(".bpttviz-step-follow input[type=checkbox]").uncheck()
    follow_marked(off, "bpttviz-follow-off")             # the switch reached its kernel
    lecturer.get_by_role("button", name="Bring the class to step 2").click()
    for s in students[:2]:
        expect(heading(s)).to_contain_text(f"Step 2 of {len(steps)}", timeout=WAIT_MS)
    follow_marked(off, "bpttviz-lecturer-step-2")        # the page heard it, and stays
    expect(heading(off)).to_contain_text(f"Step 1 of {len(steps)}")
    expect(lecturer.locator(".cv-step[data-step='2']")).to_contain_text(
        "The class was brought here")

    lecturer.get_by_role("button", name="Reveal step 2").click()
    for s in students[:2]:
        revealed = s.locator(".bpttviz-step-revealed")
        expect(revealed).to_contain_text(steps[1].answer, timeout=WAIT_MS)
        expect(s.locator(".bpttviz-step-choice-1")).to_be_disabled()
    expect(off.locator(".bpttviz-step-revealed")).to_have_count(0)
    expect(lecturer.locator(".cv-step[data-step='2'] .cv-reveal")).to_be_disabled()

    assert blocking_violations(lecturer) == []
    assert blocking_violations(students[0]) == []        # with its switch and a revealed step
    SCREENSHOT.parent.mkdir(exist_ok=True)
    lecturer.screenshot(path=str(SCREENSHOT))
    for s in students:
        assert_no_error_shown(s)
        assert s.js_errors == []
    assert lecturer.js_errors == []

    stranger = new_page(browser)
    assert stranger.goto(f"{url}/bpttviz/class").status == 403
    assert stranger.goto(f"{url}/bpttviz/class?token=wrong").status == 403
    assert TOKEN not in class_server.log.read_text().replace(
        f"Class view: {url}/bpttviz/class?token={TOKEN}", "")
    for p in [lecturer, stranger, *students]:
        p.context.close()
