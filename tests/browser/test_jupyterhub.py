"""The lessons on a real JupyterHub on this machine: three users log in, each lands on a lesson
in Voila served by a Jupyter server of their own, its live figures drawn (and no warning in
the console that a package's version does not fit, but Voila's own), and a slider each moves
redraws the figures it changes. The hub and how it is kept from leaving anything running:
tests/local_hub.py.
"""

import re

import pytest
from live import CANVAS_DRAWN, drawn, wait_redrawn
from local_hub import USERS, command_line, hub_running, log_in, marked_processes
from page_in_browser import (assert_no_error_shown, assert_no_version_warning,
                             class_control_moves, readout, wait_lesson_ready, wait_readout)

from bpttviz.lessons import lesson_of_page

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.jupyterhub]

LESSON = "02_vanishing_exploding"


@pytest.fixture(scope="module")
def hub(tmp_path_factory):
    """Base URL of a JupyterHub whose users land on ``LESSON``; everything it started ends after."""
    with hub_running(tmp_path_factory.mktemp("hub"), ["--lesson", LESSON]) as h:
        yield h


def test_three_users_land_on_a_lesson_in_voila_and_move_a_slider(browser, hub):
    # All three log in before any waits: their servers start side by side, as a class's do.
    pages = {name: log_in(browser, hub, name) for name in USERS}
    try:
        for name, page in pages.items():
            page.wait_for_url(re.compile(rf"/user/{name}/voila/render/{LESSON}\.ipynb$"))
            wait_lesson_ready(page, LESSON)
            assert_no_error_shown(page)
            # The console: no lab extension loaded that a newer JupyterLab than Voila's was
            # built for, but the widget managers Voila cannot draw without.
            assert_no_version_warning(page, voila=True)
        servers = [pid for pid in marked_processes(hub["token"])
                   if "jupyterhub.singleuser" in command_line(pid)]
        assert len(servers) == len(USERS), [command_line(pid) for pid in servers]

        lesson = lesson_of_page(LESSON)
        figures, control = lesson.figure_names, lesson.class_control
        changed, _ = class_control_moves(lesson)
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
