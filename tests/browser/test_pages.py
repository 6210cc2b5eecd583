"""Every lesson's page in headless Chromium, used as a student would: it renders with no error
(none in the console about a package's version) and no figure text cut off, a slider moved
from the keyboard or by a click on its track redraws every figure that depends on it (and no
other), the address sets the controls and the link follows, and what the address cannot set is
reported. The lessons are the registry's
(bpttviz.lessons.LESSONS); what each lesson's figures show and download:
tests/lessons/test_<slug>.py."""

import re

import pytest
from live import TEXT_LOG, drawn, drawn_type, record, wait_redrawn
from page_in_browser import (TRACK_CLICK, VERSION_LOG, assert_no_error_shown,
                             assert_no_version_warning, class_control_moves, link_query,
                             move_by_keyboard, move_by_track, open_lesson, query_text, readout,
                             screenshot, wait_link_names, wait_status)

from bpttviz.lessons import LESSONS

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_landing_page_links_every_lesson(page, server, artifacts):
    page.goto(f"{server}/voila/render/index.ipynb")
    page.wait_for_selector("a[href$='.ipynb']")
    hrefs = {a.get_attribute("href") for a in page.locator("a[href$='.ipynb']").all()}
    assert hrefs == {f"{cls.page_name()}.ipynb" for cls in LESSONS.values()}
    assert_no_error_shown(page)
    page.screenshot(path=str(artifacts / "index.png"))
    page.click(f"a[href='{next(iter(LESSONS.values())).page_name()}.ipynb']")
    page.wait_for_selector(".bpttviz-app .widget-readout")


@pytest.mark.parametrize("cls", LESSONS.values(), ids=lambda cls: cls.page_name())
def test_a_slider_moved_by_keyboard_or_its_track_redraws_every_figure_it_changes(
        page, server, artifacts, cls):
    # The slider a class moves, the figures every move of it changes and those it never
    # changes, the last two as the page computes them here in the test.
    name, figures, control = cls.page_name(), cls.figure_names, cls.class_control
    changed, unchanged = class_control_moves(cls)
    page.add_init_script(TEXT_LOG)
    page.add_init_script(VERSION_LOG)
    open_lesson(page, server, name)
    assert_no_error_shown(page)
    screenshot(page, artifacts, name)
    # No text of a figure is cut off at its canvas' edge.
    assert drawn_type(page, {f: record(page, f) for f in figures})["outside"] == []
    start = readout(page, control)
    assert link_query(page)[control] == query_text(start)
    for move in (lambda: move_by_keyboard(page, control),     # one step
                 lambda: move_by_track(page, control, TRACK_CLICK)):  # a jump, as a drag or a click
        before = drawn(page)
        value = move()
        after = wait_redrawn(page, changed, before)
        wait_status(page, "updated")
        # The link follows: it names the new value of the control moved.
        wait_link_names(page, control, value)
        # Figures the control does not change are not sent again.
        assert {n: drawn(page)[n] for n in unchanged} == {n: before[n] for n in unchanged}
        assert all(after[n] > before[n] for n in changed)
    assert query_text(readout(page, control)) != query_text(start)
    assert_no_error_shown(page)
    # Nor, in the console, a package whose version does not fit what the page's scripts share.
    assert_no_version_warning(page)


def test_query_parameters_set_the_controls_and_the_link(page, server):
    open_lesson(page, server, "03_truncated_bptt", "?k1=4&k2=20&T=80")
    assert (readout(page, "k1"), readout(page, "k2"), readout(page, "T")) == ("4", "20", "80")
    link = page.locator(".bpttviz-link").inner_text()
    assert re.search(r"http://127\.0\.0\.1:\d+/voila/render/03_truncated_bptt\.ipynb\?", link)
    assert {k: link_query(page)[k] for k in ("T", "k1", "k2")} == {"T": "80", "k1": "4", "k2": "20"}
    assert page.locator(".bpttviz-notes").inner_text().strip() == ""
    assert_no_error_shown(page)


def test_a_shortcut_contradicted_by_an_explicit_setting_is_reported(page, server):
    open_lesson(page, server, "02_vanishing_exploding", "?radius=1.1&scale_by=sigma")
    assert readout(page, "scale") == "1.00"
    notes = page.locator(".bpttviz-notes").inner_text()
    assert "radius=1.1" in notes and "not used" in notes and "scale_by=sigma" in notes
    assert link_query(page)["scale_by"] == "sigma"
    assert_no_error_shown(page)


def test_unusable_query_parameters_are_reported_not_crashed_on(page, server, artifacts):
    open_lesson(page, server, "03_truncated_bptt", "?k2=abc&T=30&k1=500&colour=red")
    notes = page.locator(".bpttviz-notes").inner_text()
    assert "k2=abc" in notes and "k1=500" in notes and "[1, 30]" in notes and "colour=red" in notes
    assert (readout(page, "T"), readout(page, "k1"), readout(page, "k2")) == ("30", "5", "10")
    assert_no_error_shown(page)
    screenshot(page, artifacts, "03_truncated_bptt-bad-link")


def test_a_bad_projector_value_is_reported(page, server):
    open_lesson(page, server, "03_truncated_bptt", "?projector=maybe")
    notes = page.locator(".bpttviz-notes").inner_text()
    assert "projector=maybe" in notes and "Kept it off" in notes
    assert page.locator(".bpttviz-app.bpttviz-projector").count() == 0
