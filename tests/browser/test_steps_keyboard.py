"""A lesson's guided steps walked with the keyboard only (Tab, Shift+Tab, Enter, Space), from the
first step to the last, in headless Chromium: each question, each reveal with its marked figure
(the outline around it, and the step's marker drawn in the figure, gone at the next step), and
the page's link carrying ``?step=N``; and a link with ``?step=`` opening at that step."""

import re

import pytest
from playwright.sync_api import expect
from live import marks, record
from page_in_browser import (assert_no_error_shown, link_query, open_lesson, readout,
                             screenshot)

from bpttviz.app.guided import MARK_COLOR
from bpttviz.lessons import LESSONS

pytestmark = [pytest.mark.browser, pytest.mark.slow]

LESSON, SLUG = "02_vanishing_exploding", "vanishing_exploding"
FIGURES = ("flow", "lag", "singular_values")

#: The text of the focused element's button (or '' when the focus is not on a button).
FOCUSED = "(document.activeElement?.closest('button')?.innerText ?? '').trim()"


#: How many of the guided steps' marks figure ``name`` shows: marks in the steps' colour that the
#: lesson's own figures never draw (hollow points, rules, spans, texts outlined in it).
STEP_MARKS = """([name, colour]) => {
  const fig = document.querySelector('.bpttviz-figure-' + name + ' .bpttviz-live')?.bpttvizFigure;
  if (!fig) return -1;
  return fig.panels.flatMap(p => p.marks).filter(m => m.edge === colour
    || (['Points', 'Rule', 'Rects'].includes(m.type) && m.color === colour
        && (m.type !== 'Points' || m.hollow))).length; }"""


def wait_step_marks(page, figure, present):
    """Wait until figure ``figure`` shows the step's marks (``present``) or none."""
    test = "n > 0" if present else "n === 0"
    page.wait_for_function(f"(a) => {{ const n = ({STEP_MARKS})(a); return {test}; }}",
                           arg=[figure, MARK_COLOR])


def heading(page):
    return page.locator(".bpttviz-step-heading").inner_text()


def wait_focus(page, pattern):
    """Wait until the focused button's text matches the regular expression ``pattern``."""
    page.wait_for_function(f"(p) => new RegExp(p).test({FOCUSED})", arg=pattern)


def wait_link_step(page, step):
    """Wait until the page's link carries ``step=<step>`` (None: no step)."""
    page.wait_for_function(
        "(s) => { const t = document.querySelector('.bpttviz-link')?.innerText ?? '';"
        " const m = t.match(/[?&]step=(\\d+)/); return s === null ? (t !== '' && !m) :"
        " (m !== null && m[1] === s); }", arg=step)


def tab_to(page, text, limit=60, back=False):
    """Press Tab (Shift+Tab with ``back``) until the focused button reads ``text``."""
    for _ in range(limit):
        if page.evaluate(FOCUSED) == text:
            return
        page.keyboard.press("Shift+Tab" if back else "Tab")
    raise AssertionError(f"{text!r} not reached with the keyboard; focus on "
                         f"{page.evaluate(FOCUSED)!r}")


def test_the_steps_are_walked_with_the_keyboard_from_first_to_last(page, server, artifacts):
    steps = LESSONS[SLUG].steps()
    open_lesson(page, server, LESSON)
    assert "step" not in link_query(page)
    page.locator("body").focus()
    tab_to(page, "Start guided steps")
    page.keyboard.press("Enter")
    for i, step in enumerate(steps):
        page.wait_for_function("(t) => document.querySelector('.bpttviz-step-heading')"
                               "?.innerText.includes(t)", arg=f"Step {i + 1} of {len(steps)}")
        question = page.locator(".bpttviz-step-question")
        expect(question).to_have_text(step.question)
        choices = page.locator(".bpttviz-step-choice")
        expect(choices).to_have_count(len(step.choices))
        assert [c.strip() for c in choices.all_inner_texts()] == list(step.choices)
        # Every choice is a button named by its text.
        for text in step.choices:
            assert page.get_by_role("button", name=text, exact=True).count() == 1
        wait_link_step(page, str(i + 1))
        wait_focus(page, "^" + re.escape(step.choices[0]) + "$")  # the focus moved to choice 1
        if i == 1:
            # Back with Shift+Tab to "Previous step", then forward again to this step.
            tab_to(page, "Previous step", back=True)
            page.keyboard.press("Space")
            page.wait_for_function("() => document.querySelector('.bpttviz-step-heading')"
                                   "?.innerText.includes('Step 1 of')")
            tab_to(page, "Next step", back=True)
            page.keyboard.press("Enter")
            page.wait_for_function("() => document.querySelector('.bpttviz-step-heading')"
                                   "?.innerText.includes('Step 2 of')")
            wait_focus(page, "^" + re.escape(step.choices[0]) + "$")
        # No figure shows a step's marker before the prediction (the last step's is gone).
        for name in FIGURES:
            wait_step_marks(page, name, present=False)
        for _ in range(step.answer_index):
            page.keyboard.press("Tab")
        assert page.evaluate(FOCUSED) == step.answer
        page.keyboard.press("Space" if i % 2 else "Enter")
        reveal = page.locator(".bpttviz-step-reveal")
        reveal.get_by_text("Your prediction was right").wait_for()
        text = reveal.inner_text()
        assert "What happened:" in text and "Why:" in text and "Source:" in text
        assert step.source.split(",")[0] in text
        assert reveal.locator("[role=status]").count() == 1
        figure = step.highlight["figure"]
        page.wait_for_function(
            "(f) => getComputedStyle(document.querySelector('.bpttviz-figure-' + f))"
            ".outlineStyle === 'solid'", arg=figure)
        others = [n for n in FIGURES if n != figure]
        for other in others:
            assert page.evaluate("(f) => getComputedStyle(document.querySelector("
                                 "'.bpttviz-figure-' + f)).outlineStyle", other) != "solid"
        # The step's marker is drawn in the figure itself (a guided step's overlay), in the
        # steps' colour, where the step says; the other figures show none.
        kind = step.highlight.get("kind", "none")
        if kind != "none":
            wait_step_marks(page, figure, present=True)
            drawn_marks = marks(record(page, figure), step.highlight.get("axes", 0))
            if kind == "point":
                ring = [m for m in drawn_marks if m["type"] == "Points" and m["hollow"]]
                assert [list(m["x"]) for m in ring] == [[step.highlight["x"]]]
                assert ring[0]["color"] == MARK_COLOR
            else:
                assert [m["type"] for m in drawn_marks if m.get("color") == MARK_COLOR
                        and m["type"] == "Rule"] == ["Rule"]
        for other in others:
            assert page.evaluate(STEP_MARKS, [other, MARK_COLOR]) == 0
        assert page.locator(".bpttviz-step-choice button:disabled, "
                            "button.bpttviz-step-choice:disabled").count() == len(step.choices)
        if i == 1:
            screenshot(page, artifacts, "02_guided-step")
        if i < len(steps) - 1:
            wait_focus(page, "^Next step$")
            page.keyboard.press("Enter")
    wait_focus(page, "^End guided steps$")
    page.keyboard.press("Enter")
    page.wait_for_function("() => document.querySelector('.bpttviz-step-heading')"
                           "?.innerText.includes('Guided steps')")
    wait_link_step(page, None)
    assert_no_error_shown(page)


def test_a_link_opens_the_lesson_at_its_step_and_a_bad_step_is_reported(page, server):
    steps = LESSONS[SLUG].steps()
    open_lesson(page, server, LESSON, "?step=3&T=80")
    expect(page.locator(".bpttviz-step-heading")).to_contain_text("Step 3 of 5")
    assert readout(page, "scale") == f"{steps[2].settings['scale']:.2f}"   # the step's values
    assert readout(page, "T") == "80"                                      # the link's win
    link = link_query(page)
    assert link["step"] == "3" and link["T"] == "80" and link["scale_by"] == "sigma"
    assert page.locator(".bpttviz-step-question").inner_text().strip() == steps[2].question
    assert_no_error_shown(page)

    open_lesson(page, server, LESSON, "?step=9")
    notes = page.locator(".bpttviz-notes").inner_text()
    assert "step=9: the step must be a whole number from 1 to 5" in notes
    assert "Guided steps" in heading(page) and "Step" not in heading(page).split("(")[0]
    assert "step" not in link_query(page)
    assert_no_error_shown(page)
