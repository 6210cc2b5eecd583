"""Teacher links and the lecture deck in headless Chromium.

A teacher link hides and fixes the controls it names; a widget message forged at the protocol
level (sent on the widget's comm through the page's own widget manager, as a script in the
page could) to a fixed control changes nothing, while the same message to a free control moves
it, so the forgery is known to reach the server. The "Link for my class" panel makes and
copies a link that hides itself. ``bpttviz slides`` serves a deck whose arrow keys turn the
slides and whose app draws its live figures on its slide and redraws them there, with no
warning in the browser's console that a package's version does not fit, but Voila's own.
"""

from urllib.parse import parse_qs, urlsplit

import pytest
from live import CANVAS_DRAWN, drawn, record, wait_redrawn, wait_settled
from page_in_browser import (CONTROL_MODEL, FORGE, NOTEBOOKS, START_TIMEOUT, VERSION_LOG,
                             assert_no_error_shown, assert_no_version_warning, open_lesson,
                             readout, wait_readout, wait_status)

from bpttviz.lessons import LESSONS
from bpttviz.serve import served

pytestmark = [pytest.mark.browser, pytest.mark.slow]

TEACHER_QUERY = "?T=50&hide=seed,H&lock=T"


# --- a message forged in the page -----------------------------------------------------------------
#: The page's copy of a widget's state (the server's last word on it).
MODEL_STATE = f"async ([name, key]) => (await ({CONTROL_MODEL})(name)).get(key)"


def visible(page, control):
    return page.locator(f".bpttviz-control-{control}").is_visible()


# --- teacher links --------------------------------------------------------------------------------
def test_a_teacher_link_hides_and_locks_what_it_names(page, server):
    open_lesson(page, server, "03_truncated_bptt", TEACHER_QUERY)
    assert not visible(page, "seed") and not visible(page, "hidden")        # H is hidden units
    assert visible(page, "T") and visible(page, "k1") and visible(page, "schedule")
    assert readout(page, "T") == "50"
    assert page.locator(".bpttviz-control-T .noUi-target[disabled]").count() == 1
    assert page.locator(".bpttviz-control-k1 .noUi-target[disabled]").count() == 0
    assert "Fixed for this class: T (steps) = 50." in page.inner_text(".bpttviz-lock-notice")
    page.locator(".bpttviz-control-T [role=slider]").focus()
    page.keyboard.press("ArrowRight")
    page.locator(".bpttviz-control-k2 [role=slider]").focus()              # a free control moves
    page.keyboard.press("ArrowRight")
    wait_readout(page, "k2", "(t) => t == '11'")
    assert readout(page, "T") == "50"
    link = page.locator(".bpttviz-link").inner_text()
    query = parse_qs(urlsplit(link.split()[-1]).query)
    assert query["hide"] == ["hidden,seed"] and query["lock"] == ["T"] and query["T"] == ["50"]
    assert page.locator(".bpttviz-notes").inner_text().strip() == ""
    assert_no_error_shown(page)


def test_a_forged_widget_message_to_a_locked_control_changes_nothing(page, server):
    open_lesson(page, server, "03_truncated_bptt", TEACHER_QUERY)
    before = drawn(page)
    notice = "(text) => document.querySelector('.bpttviz-lock-notice').innerText.includes(text)"
    page.evaluate(FORGE, ["T", {"value": 150}])
    page.wait_for_function(notice, arg="T (steps) is fixed at 50 for this class; a request to "
                                        "set it to 150 was refused.")
    page.evaluate(FORGE, ["T", {"disabled": False}])
    page.wait_for_function(notice, arg="a request to change its disabled was refused.")
    # The same forgery to a free control does reach the server: its figures follow it.
    page.evaluate(FORGE, ["k2", {"value": 17}])
    wait_redrawn(page, ["timeline"], before)
    assert record(page, "timeline")["panels"][0]["title"].startswith("tbptt(k1=5, k2=17)")
    assert readout(page, "T") == "50"
    assert page.evaluate(MODEL_STATE, ["T", "value"]) == 50
    assert page.evaluate(MODEL_STATE, ["T", "disabled"]) is True
    assert page.locator(".bpttviz-control-T .noUi-target[disabled]").count() == 1
    link = page.locator(".bpttviz-link").inner_text()
    assert parse_qs(urlsplit(link.split()[-1]).query)["T"] == ["50"]
    assert_no_error_shown(page)


def test_the_class_link_panel_makes_and_copies_a_link_that_hides_itself(page, server):
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    open_lesson(page, server, "03_truncated_bptt", "?k2=20")
    page.locator(".bpttviz-class-link button").first.click()
    page.select_option(".bpttviz-class-link-seed select", label="hidden")
    page.select_option(".bpttviz-class-link-T select", label="shown, fixed")
    page.wait_for_function("() => (document.querySelector('.bpttviz-class-link-made input')"
                           "?.value ?? '').includes('lock=T,seed')")
    made = page.input_value(".bpttviz-class-link-made input")
    query = parse_qs(urlsplit(made).query)
    assert query["hide"] == ["seed,class_link"] and query["k2"] == ["20"]
    assert made.startswith(f"{server}/voila/render/03_truncated_bptt.ipynb?")
    page.click(".bpttviz-copy")
    page.wait_for_function("() => document.querySelector('.bpttviz-copied').innerText != ''")
    assert page.inner_text(".bpttviz-copied") == "Copied."
    assert page.evaluate("navigator.clipboard.readText()") == made
    open_lesson(page, server, "03_truncated_bptt", "?" + urlsplit(made).query)
    assert not page.locator(".bpttviz-class-link").is_visible()
    assert not visible(page, "seed") and readout(page, "k2") == "20"
    assert page.locator(".bpttviz-control-T .noUi-target[disabled]").count() == 1
    assert_no_error_shown(page)


# --- the deck -----------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def slides_server(chromium, tmp_path_factory):
    """Base URL of ``bpttviz slides`` on a free port; ended with its kernels afterwards."""
    log = tmp_path_factory.mktemp("slides") / "voila.log"
    with served("slides", notebooks=NOTEBOOKS, log=log, start_timeout=START_TIMEOUT) as s:
        yield s.url


PRESENT = ".reveal .slides > section.present"


def present_index(page):
    return page.evaluate(f"[...document.querySelectorAll('.reveal .slides > section')]"
                         f".indexOf(document.querySelector('{PRESENT}'))")


def test_the_deck_turns_with_the_arrow_keys_and_its_app_redraws(page, slides_server, artifacts):
    page.add_init_script(VERSION_LOG)
    page.goto(f"{slides_server}/voila/render/02_vanishing_exploding.ipynb")
    page.wait_for_selector(".bpttviz-app .widget-readout", state="attached")
    page.wait_for_selector(PRESENT)
    sections = page.locator(".reveal .slides > section")
    n = sections.count()
    app_slide = page.evaluate("[...document.querySelectorAll('.reveal .slides > section')]"
                              ".findIndex(s => s.querySelector('.bpttviz-app'))")
    assert n >= 3 and 0 < app_slide < n
    assert present_index(page) == 0 and page.locator(f"{PRESENT} h1").is_visible()
    assert "Vanishing" in page.inner_text(PRESENT)
    page.keyboard.press("ArrowRight")
    page.wait_for_function("(i) => location.hash == '#/' + i", arg=1)
    assert present_index(page) == 1
    page.keyboard.press("ArrowLeft")
    page.wait_for_function("() => location.hash == '#/' || location.hash == '#/0'")
    assert present_index(page) == 0
    for i in range(1, app_slide + 1):
        page.keyboard.press("ArrowRight")
        page.wait_for_function("(i) => location.hash == '#/' + i", arg=i)
    assert present_index(page) == app_slide
    app = page.locator(f"{PRESENT} .bpttviz-app")
    app.wait_for(state="visible")
    wait_status(page, "updated|failed")
    # The deck draws the lesson's live figures on the app's slide.
    wait_settled(page)
    assert set(drawn(page)) == set(LESSONS["vanishing_exploding"].figure_names)
    for figure in drawn(page):
        assert page.locator(f"{PRESENT} .bpttviz-figure-{figure} .bpttviz-live").is_visible()
        page.wait_for_function(CANVAS_DRAWN, arg=figure)
    before_value, before = readout(page, "scale"), drawn(page)
    page.locator(".bpttviz-control-scale [role=slider]").focus()
    page.keyboard.press("ArrowRight")               # moves the slider, not the deck
    wait_readout(page, "scale", "(t, old) => t != old", before_value)
    wait_redrawn(page, ["flow", "lag", "singular_values"], before)
    assert present_index(page) == app_slide
    page.screenshot(path=str(artifacts / "slides-02.png"))
    page.evaluate("document.activeElement.blur()")    # the deck has the keys again
    page.keyboard.press("ArrowRight")
    page.wait_for_function("(i) => location.hash == '#/' + i", arg=app_slide + 1)
    assert page.locator(".reveal mjx-container, .reveal .MathJax").count() > 0   # typeset
    assert_no_error_shown(page)
    # The console: no lab extension loaded that a newer JupyterLab than Voila's was built for,
    # but the widget managers Voila cannot draw without.
    assert_no_version_warning(page, voila=True)
