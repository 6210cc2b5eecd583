"""Projector mode from Python: the page option, the toggle, and figures drawn bigger."""

import numpy as np
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg

from bpttviz.app import TruncationApp, UnfoldingApp, VanishingApp
from bpttviz.app.access import TEXT_COLOURS, access_markup
from bpttviz.app.base import FIGURE_PX
from bpttviz.app.projector import FIGURE_SCALE, parse_projector, scale_figure
from bpttviz.plots import new_figure


@pytest.fixture(autouse=True)
def no_voila_environment(monkeypatch):
    for name in ("QUERY_STRING", "VOILA_REQUEST_URL"):
        monkeypatch.delenv(name, raising=False)


def pixels(fig):
    """Size in pixels of the image a draw renders (what ipympl sends)."""
    fig.canvas.draw()
    return np.asarray(fig.canvas.buffer_rgba()).shape[1::-1]


@pytest.mark.parametrize("text", ["1", "true", "Yes", " on "])
def test_projector_option_turns_on(text):
    assert parse_projector(text) is True


@pytest.mark.parametrize("text", ["0", "false", "NO", "off", ""])
def test_projector_option_turns_off(text):
    assert parse_projector(text) is False


def test_a_bad_projector_option_names_the_key_the_values_and_what_was_received():
    with pytest.raises(ValueError, match=r"projector must be 1 or 0 .*Got 'big' instead"):
        parse_projector("big")


def test_scale_figure_grows_pixels_and_type_together_and_back():
    fig = new_figure(*FIGURE_PX)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    label = ax.set_title("t")
    size_pt = label.get_fontsize()
    assert pixels(fig) == FIGURE_PX
    scale_figure(fig, FIGURE_SCALE)
    assert pixels(fig) == tuple(round(FIGURE_SCALE * p) for p in FIGURE_PX)
    # Type keeps its size in points: in pixels it grows with the resolution.
    assert label.get_fontsize() == size_pt
    assert label.get_window_extent().height > 1.2 * size_pt * 100 / 72
    scale_figure(fig, 1.0)
    assert pixels(fig) == FIGURE_PX
    with pytest.raises(ValueError, match="scale must be a positive number. Got 0"):
        scale_figure(fig, 0)


def test_projector_query_draws_bigger_figures_and_marks_the_app():
    app = VanishingApp(query="projector=1")
    assert app.projector and app.projector_toggle.value
    assert "bpttviz-projector" in app.widget._dom_classes
    assert app.page_options == {"projector": "1"}
    big = tuple(round(FIGURE_SCALE * p) for p in FIGURE_PX)
    assert all(pixels(fig) == big for fig in app.figures.values())
    app.close()


def test_the_toggle_switches_mode_both_ways_and_keeps_the_controls_classes():
    app = TruncationApp(query="")
    assert not app.projector and "bpttviz-projector" not in app.widget._dom_classes
    app.projector_toggle.value = True           # what a click in the page does
    assert app.projector and "bpttviz-projector" in app.widget._dom_classes
    assert pixels(app.figures["flow"]) == tuple(round(FIGURE_SCALE * p) for p in FIGURE_PX)
    app.projector_toggle.value = False
    assert not app.projector and "bpttviz-projector" not in app.widget._dom_classes
    assert pixels(app.figures["flow"]) == FIGURE_PX
    assert "bpttviz-control-k2" in app.widgets["k2"]._dom_classes
    app.close()


def test_projector_applies_after_construction_as_with_a_preheated_kernel():
    app = UnfoldingApp(query="")
    app._apply_query("projector=1&T=6")
    app.update()
    assert app.projector and "bpttviz-projector" in app.widget._dom_classes
    assert pixels(app.figures["network"]) == (round(875 * FIGURE_SCALE), round(450 * FIGURE_SCALE))
    app._apply_query("T=6")                     # a later link without the key: back to normal
    assert not app.projector
    app.close()


def test_a_bad_projector_value_is_reported_in_the_page_and_left_off():
    app = VanishingApp(query="projector=maybe")
    assert not app.projector
    assert "projector=maybe" in app.notes.value
    assert "Kept it off" in app.notes.value
    app.close()


def test_a_redraw_in_projector_mode_renders_the_same_picture_bigger():
    normal = VanishingApp(query="radius=1.1")
    big = VanishingApp(query="radius=1.1&projector=1")
    for name in normal.figures:
        (wa, ha), (wb, hb) = pixels(normal.figures[name]), pixels(big.figures[name])
        assert (wb, hb) == (round(FIGURE_SCALE * wa), round(FIGURE_SCALE * ha))
        b = np.asarray(big.figures[name].canvas.buffer_rgba())
        # Not blank and not a copy: a real image with the same colours in it.
        assert len(np.unique(b.reshape(-1, 4), axis=0)) > 50
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


def test_a_draw_that_fails_once_is_drawn_again_in_full_and_not_reported(monkeypatch):
    app = VanishingApp(query="")
    canvas = app.canvases["lag"]
    original, calls = canvas._draw_over_background, []

    def once_broken():
        calls.append(canvas._background)
        if len(calls) == 1:
            raise RuntimeError("FT_Load_Glyph failed with error 0x14: invalid outline")
        original()

    monkeypatch.setattr(canvas, "_draw_over_background", once_broken)
    app.set_projector(True)
    canvas.draw()
    assert len(calls) == 2 and calls[1] is None       # the second try is a full draw
    assert app.message.value == "" and "failed" not in app.status.value
    app.close()
