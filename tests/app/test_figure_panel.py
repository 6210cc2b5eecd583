"""The page's figures: live figure widgets in its layout, each sent only when its record changed
and an array the page has never sent again, a figure that cannot be shown reported in the
page, downloads that are Matplotlib's drawing of what the page shows, and clicks on a figure
reaching the lesson in data coordinates. On the toy lesson (tests/toy_lesson.py), and on
lesson 3 for what a real figure sends."""

import numpy as np
import pytest
from live import same_drawing
from page_in_kernel import SIGNATURES, click, descendants, press_save, text_of, versions
from toy_lesson import Toy, toy_y

from bpttviz import figures, plots
from bpttviz.app import TruncationApp
from bpttviz.app.downloads import FigureSaver, SavedFile
from bpttviz.app.figure_panel import FigurePanel
from bpttviz.app.live import LiveFigure


def test_a_change_sends_only_the_figures_it_changed():
    app = Toy(query="")
    assert versions(app) == {"main": 1}
    app.widgets["n"].value = 4
    app.widgets["view"].value = 1                   # nothing computed, the rule moves
    assert versions(app) == {"main": 3} and app.runs == 2
    app.widgets["flag"].value = True                # computed again: the same figure
    assert versions(app) == {"main": 3} and app.runs == 3


def test_an_array_the_page_has_is_not_sent_again(monkeypatch):
    app = TruncationApp(query="")
    fig = app.figures["flow"]
    sent = []                       # (refs, buffers) of each state update that carried arrays
    fig.observe(lambda change: sent.append(({"refs": list(change["new"])},
                                            list(change["new"].values()))), names="arrays")
    heatmap = fig.spec["panels"][0]["marks"][0]["values"]["ref"]
    before = fig.bytes_sent
    app.widgets["k2"].value = 25        # what the schedule keeps changes, the flow does not
    refs = [r for content, _ in sent for r in content["refs"]]
    assert fig.version == 2 and refs
    assert fig.spec["panels"][0]["marks"][0]["values"]["ref"] == heatmap and heatmap not in refs
    new = sum(len(b) for _, buffers in sent for b in buffers)
    assert fig.bytes_sent - before == new <= 60 * 60      # the mask: a byte a cell at most


def test_figures_are_live_figures_in_the_layout_and_unknown_to_pyplot():
    import matplotlib.pyplot as plt
    before = plt.get_fignums()
    app = Toy(query="")
    fig = app.figures["main"]
    assert isinstance(fig, LiveFigure) and any(w is fig for w in descendants(app.widget))
    assert fig.version == 1 and fig.spec["panels"] and fig.record is not None
    app.savers["main"].render("png")            # Matplotlib draws downloads outside pyplot
    assert plt.get_fignums() == before


@pytest.mark.parametrize("rendered, said", [
    ({"main": "a picture"}, "A live figure shows a bpttviz.figures.Figure. Got str instead"),
    ({"mian": None}, "Toy has no figure mian; its figures are main"),
])
def test_a_figure_that_cannot_be_shown_is_reported_in_the_page_and_never_raised(
        monkeypatch, rendered, said):
    app = Toy(query="")
    fig = app.figures["main"]
    good, version = fig.record, fig.version
    monkeypatch.setattr(app.lesson, "render", lambda result, values: rendered)
    app.widgets["n"].value = 5
    assert f"Could not update the lesson: {said}" in text_of(app.message.value)
    assert "failed" in app.status.value and "Error" in app.last_error
    assert fig.record is good and fig.version == version          # the page keeps its figure
    monkeypatch.undo()
    app.widgets["n"].value = 6                                    # and the app goes on
    assert app.message.value == "" and fig.version == version + 1
    np.testing.assert_array_equal(toy_y(app), np.arange(6) * 0.5)


def test_a_live_figure_outside_an_app_raises_its_errors():
    with pytest.raises(TypeError, match="bpttviz.figures.Figure. Got dict instead"):
        LiveFigure().show({"panels": []})


# --- downloads --------------------------------------------------------------------------------

def test_a_figure_is_one_widget_that_carries_its_classes_and_draws_its_save_buttons():
    from ipywidgets.widgets.widget import _instances
    before = set(_instances)
    panel = FigurePanel(("a", "b"), ("b",), "bpttviz-x", on_error=None, owner="X")
    made = [_instances[k] for k in set(_instances) - before]
    # Each figure costs the page its live figure and that widget's layout: nothing more.
    assert sorted(type(w).__name__ for w in made) == ["Layout"] * 2 + ["LiveFigure"] * 2
    a, b = panel.figures["a"], panel.figures["b"]
    assert a._dom_classes == ("bpttviz-figure", "bpttviz-figure-a")
    assert b._dom_classes == ("bpttviz-figure", "bpttviz-figure-b", "bpttviz-figure-wide")
    assert a.saveable and b.saveable and panel.savers["b"].figure is b
    assert panel.grid().children == (a, b) and panel.box("a") is a
    assert not LiveFigure().saveable                # a figure with no saver: no save row


def test_figures_save_as_png_and_svg_for_download():
    app = Toy(query="")
    saver = app.savers["main"]
    assert saver.render("png").startswith(SIGNATURES["png"])
    svg = saver.render("svg")
    assert svg.startswith(SIGNATURES["svg"]) and b"<svg" in svg
    offered = saver.offer("png")
    assert offered == SavedFile("bpttviz-toy-main.png", "image/png", saver.render("png"))
    assert saver.offer("svg")[:2] == ("bpttviz-toy-main.svg", "image/svg+xml")
    for fmt in ("pdf", None, ["png"]):
        with pytest.raises(ValueError, match="png or svg"):
            saver.render(fmt)
    with pytest.raises(ValueError, match="no live figure"):            # nowhere to send it
        FigureSaver(saver.record, "x").offer("png")


@pytest.mark.parametrize("fmt, mime", [("png", "image/png"), ("svg", "image/svg+xml")])
def test_a_press_on_a_save_button_is_answered_with_the_bytes_render_gives(monkeypatch, fmt, mime):
    app = Toy(query="n=6")
    app.widgets["view"].value = 2
    fig, saver = app.figures["main"], app.savers["main"]
    rendered = []
    render = saver.render
    monkeypatch.setattr(saver, "render", lambda f: rendered.append(render(f)) or rendered[-1])
    answers = press_save(fig, fmt)
    assert len(rendered) == 1 and rendered[0].startswith(SIGNATURES[fmt])
    assert answers == [({"type": "file", "format": fmt, "name": f"bpttviz-toy-main.{fmt}",
                         "mime": mime}, rendered)]
    # ... Matplotlib's drawing of the record the page shows (an SVG carries the time it was
    # made and ids of its own: drawn twice, it is the same drawing, not the same bytes).
    if fmt == "png":
        assert rendered[0] == plots.save(fig.record, fmt="png")
    else:
        assert same_drawing(rendered[0].decode(), plots.save(fig.record, fmt="svg").decode())
    assert app.message.value == ""


def test_a_download_is_matplotlibs_drawing_of_the_record_the_page_shows():
    app = Toy(query="n=6")
    app.widgets["view"].value = 2
    assert app.savers["main"].render("png") == plots.save(app.figures["main"].record, fmt="png")
    app.widgets["n"].value = 9
    assert app.savers["main"].render("png") == plots.save(app.figures["main"].record, fmt="png")


def test_a_failed_save_is_said_by_the_buttons_and_in_the_apps_message():
    app = Toy(query="")
    fig = LiveFigure()                                                   # nothing drawn yet
    FigureSaver(lambda: fig.record, "x", on_error=app._show_error, figure=fig)
    assert fig.saveable
    (answer, buffers), = press_save(fig, "png")
    said = "Could not save the figure as PNG: The figure has not been drawn yet"
    assert answer["type"] == "save-error" and answer["text"].startswith(said) and buffers == []
    assert said in text_of(app.message.value) and "failed" in app.status.value


@pytest.mark.parametrize("fmt", ["pdf", 3, None, {"x": 1}, "p" * 10_000])
def test_a_save_message_for_no_format_we_make_is_answered_with_an_error(fmt):
    app = Toy(query="")
    (answer, buffers), = press_save(app.figures["main"], fmt)
    assert answer["type"] == "save-error" and buffers == []
    assert "A figure can be saved as png or svg" in answer["text"] and len(answer["text"]) < 200
    assert "Could not save the figure as" in text_of(app.message.value)
    if fmt == "pdf":
        assert answer["text"] == ("Could not save the figure as PDF: A figure can be saved as "
                                  "png or svg. Got 'pdf' instead.")


def test_a_figure_with_no_saver_says_it_cannot_be_saved():
    assert press_save(LiveFigure(), "png") == [
        ({"type": "save-error", "text": "This figure cannot be saved."}, [])]


# --- clicks on a figure ----------------------------------------------------------------------

def test_a_click_in_a_panel_reaches_the_callbacks_in_data_coordinates():
    fig = LiveFigure(figures.lines(np.arange(3.0), [np.ones(3)], ["a"], log=False))
    got = []
    fig.on_click(lambda panel, x, y: got.append((panel, x, y)))
    fig.on_click(lambda panel, x, y: got.append("second"))
    click(fig, {"type": "click", "panel": 0, "x": 1.5, "y": 2})
    assert got == [(0, 1.5, 2.0), "second"] and isinstance(got[0][2], float)


@pytest.mark.parametrize("content", [
    {"type": "click", "panel": 2, "x": 1.0, "y": 1.0},             # no such panel
    {"type": "click", "panel": -1, "x": 1.0, "y": 1.0},
    {"type": "click", "panel": "0", "x": 1.0, "y": 1.0},
    {"type": "click", "panel": True, "x": 1.0, "y": 1.0},
    {"type": "click", "panel": 0.0, "x": 1.0, "y": 1.0},
    {"type": "click", "panel": 0, "x": "1", "y": 1.0},
    {"type": "click", "panel": 0, "x": float("nan"), "y": 1.0},
    {"type": "click", "panel": 0, "x": 1.0, "y": float("inf")},
    {"type": "click", "panel": 0, "x": True, "y": 1.0},
    {"type": "click", "panel": 0, "x": [1.0], "y": 1.0},
    {"type": "click", "panel": 0, "x": 1.0},
    {"type": "clack", "panel": 0, "x": 1.0, "y": 1.0},
    ["click", 0, 1.0, 1.0],
    "click",
], ids=lambda c: repr(c)[:40])
def test_a_click_message_that_is_not_a_click_in_a_panel_is_ignored(content):
    fig = LiveFigure(figures.flow_panels([np.tril(np.ones((3, 3)))] * 2, ["a", "b"]))
    assert len(fig.record.panels) == 2
    got = []
    fig.on_click(lambda *args: got.append(args))
    click(fig, content)
    assert got == []


def test_a_click_before_anything_is_shown_is_ignored():
    fig = LiveFigure()
    got = []
    fig.on_click(lambda *args: got.append(args))
    click(fig, {"type": "click", "panel": 0, "x": 1.0, "y": 1.0})
    assert got == []
