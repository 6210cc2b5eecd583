"""The class view in headless Chromium: ``bpttviz serve --class``, the lecturer's page and three
students' pages on lesson 2. Two students choose the first answer of step 1 and one the second;
the lecturer's page shows 2 and 1; the lecturer brings the class to step 2 and the two pages
that follow go there while the one switched off stays; the lecturer reveals step 2 and the pages
at it show the answer. The lecturer's page passes axe-core and is kept as screenshots: the
README's, in docs/screenshots, when ``BPTTVIZ_SCREENSHOTS=docs`` (a plain run changes no
tracked file; its screenshots go to the system's temporary folder).

Peer instruction, the same way: the lecturer opens a vote on step 1: the students' pages say
"Vote open", the lecturer's page hides the split; the lecturer closes it (the students' choices
disabled, "Vote closed"), projects the split, opens round 2, and the class votes again; both
rounds are shown side by side with the shift; the reveal shows each page its answer.

A class experiment: three students at three scales press Send my result, the lecturer's plot
shows three points, and a click on one opens that student's configuration. A pause: the
students' controls are held, and a widget message forged in a student's page (sent on the
control's comm through the page's own widget manager) is refused by the page's Python."""

import csv
import os
import pathlib
import tempfile
from urllib.parse import parse_qs, urlsplit

import pytest
from page_in_browser import (FORGE, NOTEBOOKS, START_TIMEOUT, VIEWPORT, assert_no_error_shown,
                             blocking_violations, open_lesson, readout)
from playwright.sync_api import expect

from bpttviz.serve import served
from bpttviz.lessons import LESSONS

pytestmark = [pytest.mark.browser, pytest.mark.slow]

LESSON, SLUG = "02_vanishing_exploding", "vanishing_exploding"
TOKEN = "browser-test-token-18"
#: How long to wait for what the lecturer did to reach the class and the other way round (ms):
#: generous, as a wait ends as soon as the page shows it and fails only when it never does.
WAIT_MS = 90_000
SCREENSHOT = (pathlib.Path(__file__).resolve().parents[2] / "docs" / "screenshots"
              if os.environ.get("BPTTVIZ_SCREENSHOTS") == "docs"
              else pathlib.Path(tempfile.gettempdir()) / "bpttviz-screenshots") / "class-view.png"


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


# -- peer instruction: vote rounds, a class experiment, a pause ------------------------------
def step1(lecturer):
    return lecturer.locator(f".cv-lesson[data-lesson='{LESSON}'] .cv-step[data-step='1']")


def test_three_students_and_the_lecturer_go_through_two_rounds(browser, class_server):
    steps = LESSONS[SLUG].steps()
    url = class_server.url
    lecturer = new_page(browser, {"width": 1280, "height": 900})
    lecturer.goto(f"{url}/bpttviz/class?token={TOKEN}")
    lecturer.on("dialog", lambda d: d.accept())
    lecturer.wait_for_selector(".cv-step[data-step='1']")
    lecturer.get_by_role("button", name="Clear this lesson's answers").click()
    students = [new_page(browser) for _ in range(3)]
    for s in students:
        open_lesson(s, url, LESSON)
    lecturer.get_by_role("button", name="Bring the class to step 1").click()
    for s in students:
        expect(heading(s)).to_contain_text(f"Step 1 of {len(steps)}", timeout=WAIT_MS)

    lecturer.get_by_role("button", name="Open a vote on step 1").click()
    for s in students:
        expect(s.locator(".bpttviz-step-vote")).to_contain_text("Vote open", timeout=WAIT_MS)
    for s, choice in zip(students, (1, 2, 2)):
        s.locator(f".bpttviz-step-choice-{choice}").click()
        expect(s.locator(f".bpttviz-step-choice-{choice}")).to_contain_text("Your vote")
        expect(s.locator(".bpttviz-step-reveal")).not_to_contain_text("What happened")
    step = step1(lecturer)
    expect(step.locator(".cv-answered-n")).to_have_text("3", timeout=WAIT_MS)
    # The split is hidden while the vote is open.
    for c in (1, 2):
        expect(step.locator(f".cv-count[data-choice='{c}']")).to_have_text("–")
    expect(step.locator(".cv-rounds td[data-round='1']").first).to_have_text("vote open")

    lecturer.get_by_role("button", name="Close the vote on step 1").click()
    for s in students:
        expect(s.locator(".bpttviz-step-vote")).to_contain_text("Vote closed", timeout=WAIT_MS)
        expect(s.locator(".bpttviz-step-choice-1")).to_be_disabled()
    expect(step.locator(".cv-count[data-choice='1']")).to_have_text("1", timeout=WAIT_MS)
    expect(step.locator(".cv-count[data-choice='2']")).to_have_text("2")

    lecturer.get_by_role("button", name="Open round 2 of step 1").click()
    for s in students:
        expect(s.locator(".bpttviz-step-vote")).to_contain_text("round 2", timeout=WAIT_MS)
        expect(s.locator(".bpttviz-step-choice-1")).to_be_enabled()
    expect(step.locator(".cv-count[data-choice='1']")).to_have_text("–", timeout=WAIT_MS)
    for s in students:                              # after discussing, all three choose 1
        s.locator(".bpttviz-step-choice-1").click()
        expect(s.locator(".bpttviz-step-choice-1")).to_contain_text("Your vote")
    expect(step.locator(".cv-answered-n")).to_have_text("3", timeout=WAIT_MS)
    lecturer.get_by_role("button", name="Close the vote on step 1").click()

    table = step.locator(".cv-rounds-table")
    row1, row2 = table.locator("tr[data-choice='1']"), table.locator("tr[data-choice='2']")
    expect(row1.locator("td[data-round='1']")).to_have_text("1", timeout=WAIT_MS)
    expect(row1.locator("td[data-round='2']")).to_have_text("3")
    expect(row1.locator(".cv-shift")).to_have_text("+2")
    expect(row2.locator("td[data-round='1']")).to_have_text("2")
    expect(row2.locator("td[data-round='2']")).to_have_text("0")
    expect(row2.locator(".cv-shift")).to_have_text("-2")
    expect(step.locator(".cv-count[data-choice='1']")).to_have_text("3")

    lecturer.get_by_role("button", name="Reveal step 1").click()
    for s in students:
        expect(s.locator(".bpttviz-step-revealed")).to_contain_text(steps[0].answer,
                                                                    timeout=WAIT_MS)
    step.screenshot(path=str(SCREENSHOT.with_name("class-rounds.png")))
    # On a 1024x768 projector the page fits its width: nothing to scroll sideways.
    lecturer.set_viewport_size({"width": 1024, "height": 768})
    assert lecturer.evaluate("() => document.documentElement.scrollWidth "
                             "<= document.documentElement.clientWidth")
    assert blocking_violations(lecturer) == []
    for s in students:
        assert_no_error_shown(s)
        assert s.js_errors == []
    assert lecturer.js_errors == []
    for p in [lecturer, *students]:
        p.context.close()


def lecturer_page(browser, url):
    lecturer = new_page(browser, {"width": 1280, "height": 900})
    lecturer.goto(f"{url}/bpttviz/class?token={TOKEN}")
    lecturer.wait_for_selector(".cv-step[data-step='1']")
    lecturer.on("dialog", lambda d: d.accept())
    lecturer.get_by_role("button", name="Clear this lesson's answers").click()
    return lecturer


def test_a_class_experiment_plots_three_points_and_a_click_opens_one(browser, class_server):
    url = class_server.url
    lecturer = lecturer_page(browser, url)
    scales = ("0.6", "1.0", "1.4")
    students = [new_page(browser) for _ in scales]
    for s, scale in zip(students, scales):
        open_lesson(s, url, LESSON, f"?scale={scale}")
    send = students[0].locator(".bpttviz-send-result")
    expect(send).to_be_hidden()
    lecturer.get_by_role("button", name="Start a class experiment").click()
    for s in students:
        s.locator(".bpttviz-send-result").click(timeout=WAIT_MS)
        expect(s.locator(".bpttviz-send-result-status")).to_contain_text("Sent")
    points = lecturer.locator(".cv-plot .cv-point")
    expect(points).to_have_count(3, timeout=WAIT_MS)
    expect(lecturer.locator(".cv-plot-count")).to_contain_text("3 points")
    assert lecturer.locator("#cv-x").input_value() == "settings:scale"
    assert lecturer.locator("#cv-y").input_value() == "result:grad_norm_at_largest_lag"
    # Drawn by the lessons' renderer: where each point is on its canvas, from the scales the
    # renderer drew with; they go left to right with the scale.
    figure = lecturer.locator(".cv-plot .bpttviz-live")
    expect(figure).to_have_attribute("data-drawn", "1", timeout=WAIT_MS)
    drawn = [(float(points.nth(i).get_attribute("data-x")),
              float(points.nth(i).get_attribute("data-y"))) for i in range(3)]
    pixels = figure.evaluate("(live, xy) => xy.map(([x, y]) => [live.bpttvizBoxes[0].sx.map(x), "
                             "live.bpttvizBoxes[0].sy.map(y)])", drawn)
    scales_drawn = [x for x, _ in drawn]
    assert sorted(scales_drawn) == [0.6, 1.0, 1.4]
    xs = [px for px, _ in pixels]
    width = figure.locator("canvas").bounding_box()["width"]
    assert all(0 < px < width for px in xs)
    assert [x for _, x in sorted(zip(xs, scales_drawn))] == [0.6, 1.0, 1.4]
    middle = scales_drawn.index(1.0)
    lecturer.locator(".cv-plot").screenshot(path=str(SCREENSHOT.with_name("class-experiment.png")))
    with lecturer.context.expect_page() as opened:
        figure.locator("canvas").click(position={"x": pixels[middle][0], "y": pixels[middle][1]})
    page = opened.value
    page.wait_for_load_state()
    assert float(parse_qs(urlsplit(page.url).query)["scale"][0]) == 1.0
    assert page.url.startswith(f"{url}/")
    assert blocking_violations(lecturer) == []
    lecturer.get_by_role("button", name="Stop the class experiment").click()
    for s in students:
        expect(s.locator(".bpttviz-send-result")).to_be_hidden(timeout=WAIT_MS)
        assert_no_error_shown(s)
        assert s.js_errors == []
    assert lecturer.js_errors == []
    for p in [lecturer, page, *students]:
        p.context.close()


def test_a_pause_holds_the_controls_against_a_forged_widget_message(browser, class_server):
    url = class_server.url
    lecturer = lecturer_page(browser, url)
    student = new_page(browser)
    open_lesson(student, url, LESSON)
    lecturer.get_by_role("button", name="Pause this lesson").click()
    notice = student.locator(".bpttviz-paused")
    expect(notice).to_contain_text("Paused by the lecturer", timeout=WAIT_MS)
    expect(student.locator(".bpttviz-control-scale .noUi-target[disabled]")).to_have_count(1)
    expect(lecturer.locator(".cv-paused-note")).to_contain_text("Paused")
    student.evaluate(FORGE, ["scale", {"value": 2.5}])
    student.wait_for_function(
        "() => document.querySelector('.bpttviz-lock-notice').innerText.includes("
        "'Paused by the lecturer')")
    assert "was refused" in student.inner_text(".bpttviz-lock-notice")
    assert readout(student, "scale") == "1.00"
    assert "scale=2.5" not in student.inner_text(".bpttviz-link")
    lecturer.get_by_role("button", name="Resume this lesson").click()
    expect(notice).to_have_text("", timeout=WAIT_MS)
    expect(student.locator(".bpttviz-control-scale .noUi-target[disabled]")).to_have_count(0)
    # The same forgery once resumed reaches the page's Python: it was the pause that held it.
    student.evaluate(FORGE, ["scale", {"value": 2.5}])
    student.wait_for_function("() => (document.querySelector('.bpttviz-link')?.innerText ?? '')"
                              ".includes('scale=2.5')")
    assert blocking_violations(lecturer) == []
    assert_no_error_shown(student)
    assert student.js_errors == [] and lecturer.js_errors == []
    for p in [lecturer, student]:
        p.context.close()
