"""Projector mode from Python: the page option, the toggle, and figures drawn bigger; the
layout that gives each figure its place."""

import re

import numpy as np
import pytest

from bpttviz.app import LessonApp, TruncationApp, UnfoldingApp, VanishingApp
from bpttviz.app.access import TEXT_COLOURS, access_markup
from bpttviz.app.base import FIGURE_PX
from bpttviz.app.projector import FIGURE_MIN, FIGURE_SCALE, LAYOUT_CSS, parse_projector
from bpttviz.figures import records_equal
from bpttviz.lessons import LESSONS

def scales(app):
    """How much bigger the page draws each figure than its record's size."""
    return {name: fig.scale for name, fig in app.figures.items()}


@pytest.mark.parametrize("text", ["1", "true", "Yes", " on "])
def test_projector_option_turns_on(text):
    assert parse_projector(text) is True


@pytest.mark.parametrize("text", ["0", "false", "NO", "off", ""])
def test_projector_option_turns_off(text):
    assert parse_projector(text) is False


def test_a_bad_projector_option_names_the_key_the_values_and_what_was_received():
    with pytest.raises(ValueError, match=r"projector must be 1 or 0 .*Got 'big' instead"):
        parse_projector("big")


def test_projector_query_draws_bigger_figures_and_marks_the_app():
    app = VanishingApp(query="projector=1")
    assert app.projector and app.projector_toggle.value
    assert "bpttviz-projector" in app.widget._dom_classes
    assert app.page_options == {"projector": "1"}
    assert set(scales(app).values()) == {FIGURE_SCALE}
    app.close()


def test_the_toggle_switches_mode_both_ways_and_keeps_the_controls_classes():
    app = TruncationApp(query="")
    assert not app.projector and "bpttviz-projector" not in app.widget._dom_classes
    assert set(scales(app).values()) == {1.0}
    versions = {name: fig.version for name, fig in app.figures.items()}
    app.projector_toggle.value = True           # what a click in the page does
    assert app.projector and "bpttviz-projector" in app.widget._dom_classes
    assert set(scales(app).values()) == {FIGURE_SCALE}
    app.projector_toggle.value = False
    assert not app.projector and "bpttviz-projector" not in app.widget._dom_classes
    assert set(scales(app).values()) == {1.0}
    # The page draws the records it has, bigger: nothing computed, nothing sent again.
    assert {name: fig.version for name, fig in app.figures.items()} == versions
    assert app.runs == 1
    assert "bpttviz-control-k2" in app.widgets["k2"]._dom_classes
    app.close()


def test_projector_applies_after_construction_as_with_a_preheated_kernel():
    app = UnfoldingApp(query="")
    app._apply_query("projector=1&T=6")
    app.update()
    assert app.projector and "bpttviz-projector" in app.widget._dom_classes
    assert scales(app) == {"network": FIGURE_SCALE}
    app._apply_query("T=6")                     # a later link without the key: back to normal
    assert not app.projector and scales(app) == {"network": 1.0}
    app.close()


def test_a_bad_projector_value_is_reported_in_the_page_and_left_off():
    app = VanishingApp(query="projector=maybe")
    assert not app.projector
    assert "projector=maybe" in app.notes.value
    assert "Kept it off" in app.notes.value
    app.close()


def test_projector_mode_shows_the_same_figures_only_bigger():
    normal = VanishingApp(query="radius=1.1")
    big = VanishingApp(query="radius=1.1&projector=1")
    for name in normal.figures:
        assert records_equal(normal.figures[name].record, big.figures[name].record), name
        assert normal.figures[name].spec == big.figures[name].spec
        assert (normal.figures[name].scale, big.figures[name].scale) == (1.0, FIGURE_SCALE)
    assert normal.alt_text == big.alt_text
    normal.close()
    big.close()


def test_status_colours_reach_4_5_to_1_on_white():
    def luminance(hex_colour):
        c = np.array([int(hex_colour[i:i + 2], 16) for i in (1, 3, 5)]) / 255
        c = np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)
        return c @ [0.2126, 0.7152, 0.0722]

    for name, colour in TEXT_COLOURS.items():
        assert (1.05) / (luminance(colour) + 0.05) >= 4.5, name


def test_the_naming_script_is_markup_an_html_widget_runs():
    markup = access_markup()
    assert markup.startswith('<img src="data:," alt="" aria-hidden="true"')
    assert "onerror=" in markup and "<script" not in markup
    assert "[role=slider]" in markup and "aria-label" in markup


# -- the layout ----------------------------------------------------------------------------------

def css_rule(selector):
    """The declarations of ``selector``'s rule in the layout's style sheet."""
    match = re.search(re.escape(selector) + r"\s*\{([^}]*)\}", LAYOUT_CSS)
    assert match, selector
    return " ".join(match.group(1).split())


@pytest.mark.parametrize("cls", LESSONS.values(), ids=lambda cls: cls.slug)
def test_each_figure_has_its_place_and_the_wide_ones_a_row(cls):
    app = LessonApp(query="", lesson=cls)
    boxes = app.figure_area.children
    assert len(boxes) == len(cls.figure_names)
    for name, box in zip(cls.figure_names, boxes):
        assert box is app.figures[name]          # the live figure carries the classes
        assert {"bpttviz-figure", f"bpttviz-figure-{name}"} <= set(box._dom_classes)
        wide = name in cls.wide_figures
        assert ("bpttviz-figure-wide" in box._dom_classes) == wide
        if not wide:                            # two such figures fit side by side
            assert app.figures[name].record.width <= FIGURE_PX[0], name
    assert "bpttviz-figures" in app.figure_area._dom_classes
    assert LAYOUT_CSS in app.page_style.value
    app.close()


def test_figures_share_a_row_two_at_a_time_never_narrower_than_their_minimum():
    figure = css_rule(".bpttviz-app .bpttviz-figure")
    assert f"min-width: {FIGURE_MIN}px" in figure and f"max-width: {FIGURE_PX[0]}px" in figure
    assert "flex-basis: 100%" in css_rule(".bpttviz-app .bpttviz-figure.bpttviz-figure-wide")
    assert "flex-flow: row wrap" in css_rule(".bpttviz-app .bpttviz-figures")
    big = css_rule(".bpttviz-app.bpttviz-projector .bpttviz-figure")
    assert f"max-width: {round(FIGURE_PX[0] * FIGURE_SCALE)}px" in big
    controls = css_rule(".bpttviz-app .bpttviz-controls")
    assert "width: 320px" in controls and "overflow: visible" in controls
    assert "max-height" not in controls and "sticky" not in controls   # no scroll box of its own
