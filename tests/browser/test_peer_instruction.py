"""Peer instruction in headless Chromium: ``bpttviz serve --class``, the lecturer's page and
three students' pages on lesson 2. The lecturer opens a vote on step 1: the students' pages say
"Vote open", the lecturer's page hides the split; the lecturer closes it (the students' choices
disabled, "Vote closed"), projects the split, opens round 2, and the class votes again; both
rounds are shown side by side with the shift; the reveal shows each page its answer."""

import pytest
from page_in_browser import assert_no_error_shown, blocking_violations, open_lesson
from playwright.sync_api import expect
from test_class_view import LESSON, SLUG, TOKEN, WITHIN_MS, class_server, heading, new_page

from bpttviz.lessons import LESSONS

pytestmark = [pytest.mark.browser, pytest.mark.slow]
__all__ = ["class_server"]                      # the module's server, shared with this file's


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
        expect(heading(s)).to_contain_text(f"Step 1 of {len(steps)}", timeout=WITHIN_MS)

    lecturer.get_by_role("button", name="Open a vote on step 1").click()
    for s in students:
        expect(s.locator(".bpttviz-step-vote")).to_contain_text("Vote open", timeout=WITHIN_MS)
    for s, choice in zip(students, (1, 2, 2)):
        s.locator(f".bpttviz-step-choice-{choice}").click()
        expect(s.locator(f".bpttviz-step-choice-{choice}")).to_contain_text("Your vote")
        expect(s.locator(".bpttviz-step-reveal")).not_to_contain_text("What happened")
    step = step1(lecturer)
    expect(step.locator(".cv-answered-n")).to_have_text("3", timeout=WITHIN_MS)
    # The split is hidden while the vote is open.
    for c in (1, 2):
        expect(step.locator(f".cv-count[data-choice='{c}']")).to_have_text("–")
    expect(step.locator(".cv-rounds td[data-round='1']").first).to_have_text("vote open")

    lecturer.get_by_role("button", name="Close the vote on step 1").click()
    for s in students:
        expect(s.locator(".bpttviz-step-vote")).to_contain_text("Vote closed", timeout=WITHIN_MS)
        expect(s.locator(".bpttviz-step-choice-1")).to_be_disabled()
    expect(step.locator(".cv-count[data-choice='1']")).to_have_text("1", timeout=WITHIN_MS)
    expect(step.locator(".cv-count[data-choice='2']")).to_have_text("2")

    lecturer.get_by_role("button", name="Open round 2 of step 1").click()
    for s in students:
        expect(s.locator(".bpttviz-step-vote")).to_contain_text("round 2", timeout=WITHIN_MS)
        expect(s.locator(".bpttviz-step-choice-1")).to_be_enabled()
    expect(step.locator(".cv-count[data-choice='1']")).to_have_text("–", timeout=WITHIN_MS)
    for s in students:                              # after discussing, all three choose 1
        s.locator(".bpttviz-step-choice-1").click()
        expect(s.locator(".bpttviz-step-choice-1")).to_contain_text("Your vote")
    expect(step.locator(".cv-answered-n")).to_have_text("3", timeout=WITHIN_MS)
    lecturer.get_by_role("button", name="Close the vote on step 1").click()

    table = step.locator(".cv-rounds-table")
    row1, row2 = table.locator("tr[data-choice='1']"), table.locator("tr[data-choice='2']")
    expect(row1.locator("td[data-round='1']")).to_have_text("1", timeout=WITHIN_MS)
    expect(row1.locator("td[data-round='2']")).to_have_text("3")
    expect(row1.locator(".cv-shift")).to_have_text("+2")
    expect(row2.locator("td[data-round='1']")).to_have_text("2")
    expect(row2.locator("td[data-round='2']")).to_have_text("0")
    expect(row2.locator(".cv-shift")).to_have_text("-2")
    expect(step.locator(".cv-count[data-choice='1']")).to_have_text("3")

    lecturer.get_by_role("button", name="Reveal step 1").click()
    for s in students:
        expect(s.locator(".bpttviz-step-revealed")).to_contain_text(steps[0].answer,
                                                                    timeout=WITHIN_MS)
    assert blocking_violations(lecturer) == []
    for s in students:
        assert_no_error_shown(s)
        assert s.js_errors == []
    assert lecturer.js_errors == []
    for p in [lecturer, *students]:
        p.context.close()
