"""The lesson apps, driven from Python as a user drives them from the page.

Setting a widget's value is what the browser does when a user moves a
control; ``widget.set_state`` is how a move from the page arrives. Engine
runs are counted by wrapping the function each lesson module calls, so "one
run per change" is measured, not taken from the app's word. What a figure
shows is read from the record its live figure shows (``app.figures[name]
.record``): the numbers the page draws.
"""

import asyncio
import base64
import re
import sys
import time
from html import unescape

import numpy as np
import pytest

from bpttviz import bptt, figures, max_singular_value, plots, spectral_radius
from bpttviz.app import (Control, LessonApp, TruncationApp, UnfoldingApp, VanishingApp,
                         parse_query)
from bpttviz.app.base import SETTLE_S
from bpttviz.app.downloads import FigureSaver
from bpttviz.app.live import LiveFigure
from bpttviz.lessons import truncated_bptt as truncation_module
from bpttviz.lessons import unfolding as unfolding_module
from bpttviz.lessons import vanishing_exploding as vanishing_module
from bpttviz.lessons.common import relative_flow
from bpttviz.lessons.truncated_bptt import SCHEDULES, lesson_schedule
from bpttviz.lessons import Lesson, Limits
from bpttviz.cli import main as cli_main
from bpttviz.serve import voila_argv
from bpttviz.diagnostics import (jacobian_singular_values, lyapunov_exponent, pascanu_bound,
                                 truncation_bias)
from bpttviz.diagnostics import jacobians as jacobians_module
from bpttviz.engine import run_schedule
from bpttviz.steps import first_overflow as overflow_step


@pytest.fixture(autouse=True)
def no_voila_environment(monkeypatch):
    for name in ("QUERY_STRING", "VOILA_REQUEST_URL"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def counted(monkeypatch):
    """``counted(module, name)`` wraps ``module.name``; returns the list of its calls' arguments."""
    def wrap(module, name):
        real = getattr(module, name)
        calls = []

        def counting(*args, **kwargs):
            calls.append((args, kwargs))
            return real(*args, **kwargs)

        monkeypatch.setattr(module, name, counting)
        return calls
    return wrap


@pytest.fixture
def counted_everywhere(monkeypatch):
    """``counted_everywhere(func)`` wraps ``func`` in every bpttviz module that holds it
    (``bpttviz.engine``, the diagnostics, the apps...): every call is counted, whichever
    function reached it. Returns the list of the calls' arguments."""
    def wrap(func):
        calls = []

        def counting(*args, **kwargs):
            calls.append((args, kwargs))
            return func(*args, **kwargs)

        holders = [m for name, m in list(sys.modules.items())
                   if name.split(".")[0] == "bpttviz" and vars(m).get(func.__name__) is func]
        assert holders, f"no bpttviz module holds {func.__name__}"
        for module in holders:
            monkeypatch.setattr(module, func.__name__, counting)
        return calls
    return wrap


def text_of(html):
    """The text of an HTML snippet, tags dropped and entities read (``&#x27;`` is ')."""
    return unescape(re.sub(r"<[^>]+>", "", html))


def panel_marks(app, name, panel=0):
    """The marks of a panel of the figure the page shows."""
    return app.figures[name].record.panels[panel].marks


def marks_of(app, name, kind, panel=0):
    """The marks of type ``kind`` ("Line", "Points", ...) the page shows in a panel."""
    return [m for m in panel_marks(app, name, panel) if type(m).__name__ == kind]


def labelled(app, name, label, panel=0):
    """The mark labelled ``label`` in a panel of the figure the page shows."""
    return next(m for m in panel_marks(app, name, panel) if getattr(m, "label", None) == label)


def texts(app, name, panel=0):
    """Every text written on a panel of the figure the page shows, in one string."""
    return "\n".join(m.text for m in marks_of(app, name, "Text", panel))


def versions(app):
    """How many records each live figure has shown."""
    return {name: fig.version for name, fig in app.figures.items()}


# --- the base class, on a toy lesson --------------------------------------------------

class ToyLesson(Lesson):
    """y = x * [0, 1, ..., n-1]; compute refuses x = 0 so errors can be provoked."""

    slug = "toy"
    number = 99
    controls = (
        Control("n", "n (points)", "int", 3, 1, 10),
        Control("x", "x (units)", "float", 0.5, 0.0, 1.0, 0.1),
        Control("mode", "mode", "option", "a", options=("a", "b")),
        Control("flag", "flag", "bool", False),
        Control("view", "view", "int", 0, 0, 10, recompute=False, continuous=True),
    )
    presets = {"big": dict(n=9, x=1.0)}
    aliases = {"size": ("n", {"mode": "b"}), "count": ("n", {"mode": "a"})}

    figure_names = ("main",)

    def __init__(self):
        super().__init__()
        self.renders = []

    def compute(self, values):
        if values["x"] == 0.0:
            raise ValueError("x must not be zero for this toy")
        return np.arange(values["n"]) * values["x"]

    def render(self, result, values):
        self.renders.append(values["view"])
        record = figures.lines(np.arange(len(result)), [result], ["y"], log=False,
                               title="toy", xlabel="step", ylabel="y")
        # The view control moves a rule only: nothing to compute, one figure to draw.
        return {"main": record.with_mark(0, figures.Rule(values["view"], "x"))}

    def limits(self, values):
        return {"view": Limits(high=values["n"])}


class Toy(LessonApp):
    """The toy lesson's page; ``renders`` lists the view of every render."""

    lesson = ToyLesson
    renders = property(lambda self: self.lesson.renders)


def toy_y(app):
    """The y values of the toy's line, as the page shows them."""
    return labelled(app, "main", "y").y


def test_control_check_names_the_control_the_range_and_the_value():
    c = Control("k2", "k2 (states)", "int", 10, 1, 60)
    assert c.check(5) == 5
    with pytest.raises(ValueError, match=r"k2 must be an integer in \[1, 60\]. Got 0 instead"):
        c.check(0)
    with pytest.raises(ValueError, match=r"\[1, 30\]"):
        c.check(40, high=30)
    with pytest.raises(ValueError, match="integer"):
        c.check(2.5)
    with pytest.raises(ValueError, match="one of a, b"):
        Control("m", "m", "option", "a", options=("a", "b")).check("c")
    with pytest.raises(ValueError, match="kind"):
        Control("m", "m", "colour", "a")


def test_control_parse_reads_query_text():
    assert Control("T", "T", "int", 5, 1, 10).parse(" 7 ") == 7
    assert Control("r", "r", "float", 1.0, 0.0, 3.0).parse("1.1") == 1.1
    assert Control("f", "f", "bool", False).parse("on") is True
    opt = Control("s", "s", "option", "tbptt", options=(("TBPTT", "tbptt"), ("full", "full")))
    assert opt.parse("full") == "full"
    for bad in ("abc", "7.5", "nan", "inf", "11"):
        with pytest.raises(ValueError, match=r"T must be an integer in \[1, 10\]"):
            Control("T", "T", "int", 5, 1, 10).parse(bad)
    with pytest.raises(ValueError, match="number"):
        Control("r", "r", "float", 1.0, 0.0, 3.0).parse("nan")


def test_parse_query_keeps_the_last_repeat_and_drops_voila_keys():
    assert parse_query("?k1=5&k2=20&k1=6&voila-template=lab&theme=dark") == {"k1": "6", "k2": "20"}
    assert parse_query("") == {} and parse_query(None) == {}


def test_one_compute_per_change_and_none_for_a_view_only_control():
    app = Toy(query="")
    assert app.runs == 1
    app.widgets["n"].value = 5
    assert app.runs == 2
    np.testing.assert_array_equal(toy_y(app), np.arange(5) * 0.5)
    app.widgets["view"].value = 4
    assert app.runs == 2 and app.renders[-1] == 4
    assert app.figures["main"].record.panels[0].marks[-1].value == 4
    assert "updated" in app.status.value


def test_set_changes_several_controls_with_one_compute():
    app = Toy(query="")
    app.set(n=8, x=0.2, mode="b")
    assert app.runs == 2
    assert app.values() == dict(n=8, x=0.2, mode="b", flag=False, view=0)


def test_set_rejects_a_bad_value_and_changes_nothing():
    app = Toy(query="")
    with pytest.raises(ValueError, match=r"n must be an integer in \[1, 10\]. Got 11"):
        app.set(x=0.3, n=11)
    with pytest.raises(ValueError, match="no control 'size'"):
        app.set(size=3)
    assert app.values()["x"] == 0.5 and app.runs == 1


def test_dependent_ranges_follow_their_control():
    app = Toy(query="")
    app.widgets["view"].value = 3
    app.widgets["n"].value = 2          # view must now stay <= 2
    assert app.widgets["view"].max == 2 and app.widgets["view"].value == 2
    assert app.runs == 2


def test_preset_sets_its_values_with_one_compute():
    app = Toy(query="")
    app.apply_preset("big")
    assert (app.values()["n"], app.values()["x"], app.runs) == (9, 1.0, 2)
    with pytest.raises(ValueError, match="no preset 'huge'"):
        app.apply_preset("huge")


def test_an_error_in_a_callback_is_shown_in_the_page_and_never_raised():
    app = Toy(query="")
    good = app.figures["main"].record
    app.widgets["x"].value = 0.0                       # compute raises
    shown = text_of(app.message.value)
    assert "Could not update the lesson: x must not be zero for this toy" in shown
    assert "Traceback" not in app.message.value
    assert "failed" in app.status.value
    assert "ValueError" in app.last_error               # kept for debugging, not shown
    assert app.figures["main"].record is good                     # last good figure stays
    app.widgets["x"].value = 0.3
    assert app.message.value == "" and "updated" in app.status.value


def test_a_failing_first_run_still_builds_the_app():
    app = Toy(query="x=0")
    assert app.runs == 1 and "x must not be zero" in app.message.value


def test_query_string_sets_initial_values_through_aliases_and_presets():
    app = Toy(query="x=0.3&flag=true&view=2")
    assert app.values() == dict(n=3, x=0.3, mode="a", flag=True, view=2)
    assert app.notes.value == "" and app.runs == 1
    assert Toy(query="size=7").values()["mode"] == "b"
    assert Toy(query="size=7").values()["n"] == 7
    assert Toy(query="preset=big&x=0.4").values()["x"] == 0.4     # explicit values win


@pytest.mark.parametrize("query", ["size=7&mode=a", "mode=a&size=7"])
def test_a_setting_named_explicitly_wins_over_a_shortcut_and_the_page_says_so(query):
    app = Toy(query=query)                       # size=7 means n=7 with mode=b
    assert app.values()["mode"] == "a" and app.values()["n"] == 3
    notes = text_of(app.notes.value)
    assert "size=7 (which means n=7, mode=b): not used" in notes and "mode=a" in notes
    assert "explicitly wins over a shortcut" in notes and app.message.value == ""


def test_a_shortcut_that_agrees_with_an_explicit_setting_is_no_conflict():
    app = Toy(query="size=7&mode=b&n=7")
    assert (app.values()["n"], app.values()["mode"]) == (7, "b") and app.notes.value == ""


@pytest.mark.parametrize("query, n, mode, dropped", [
    ("size=7&count=5", 7, "b", "count=5"),
    ("count=5&size=7", 5, "a", "size=7"),
])
def test_of_two_shortcuts_the_first_is_used_and_the_second_reported(query, n, mode, dropped):
    app = Toy(query=query)
    assert (app.values()["n"], app.values()["mode"]) == (n, mode)
    notes = text_of(app.notes.value)
    assert f"{dropped} (which means" in notes and "the first is used" in notes
    assert notes.count("not used") == 1


def test_an_unusable_shortcut_is_reported_under_its_own_name():
    app = Toy(query="size=99")
    assert app.values()["n"] == 3 and "size=99: n must be an integer in [1, 10]" in text_of(
        app.notes.value)


def test_unusable_query_entries_are_reported_and_left_at_their_defaults():
    app = Toy(query="n=99&x=abc&colour=red&preset=huge&view=2")
    notes = text_of(app.notes.value)
    assert "n=99: n must be an integer in [1, 10]. Got 99 instead. Kept 3." in notes
    assert "x=abc" in notes and "Kept 0.5" in notes
    assert "colour=red: not a setting of this lesson" in notes
    assert "preset=huge" in notes
    assert app.values() == dict(n=3, x=0.5, mode="a", flag=False, view=2)
    assert app.message.value == ""                      # a note, not an error


def test_query_is_checked_against_ranges_that_depend_on_earlier_settings():
    assert Toy(query="n=5&view=5").values()["view"] == 5
    app = Toy(query="view=5")                                   # n = 3, so view <= 3
    assert app.values()["view"] == 0 and "view=5" in app.notes.value


def test_the_query_string_is_read_from_voila_environment(monkeypatch):
    monkeypatch.setenv("QUERY_STRING", "n=4&x=0.2")
    assert Toy().values()["n"] == 4


def test_link_reproduces_the_configuration(monkeypatch):
    app = Toy(query="")
    app.set(n=6, x=0.7, flag=True)
    assert app.link_url() == "?n=6&x=0.7&mode=a&flag=true&view=0"
    assert Toy(query=app.query_string()).values() == app.values()
    monkeypatch.setenv("VOILA_REQUEST_URL",
                       "http://127.0.0.1:8866/voila/render/02_vanishing_exploding.ipynb?n=1")
    assert app.link_url() == ("http://127.0.0.1:8866/voila/render/02_vanishing_exploding.ipynb"
                              "?n=6&x=0.7&mode=a&flag=true&view=0")
    app.widgets["n"].value = 2
    assert "n=2" in app.link.value


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


def descendants(widget):
    """Every widget inside ``widget``'s layout."""
    out, stack = [], [widget]
    while stack:
        w = stack.pop()
        out.append(w)
        stack.extend(getattr(w, "children", ()))
    return out


def test_figures_are_live_figures_in_the_layout_and_unknown_to_pyplot():
    import matplotlib.pyplot as plt
    before = plt.get_fignums()
    app = Toy(query="")
    fig = app.figures["main"]
    assert isinstance(fig, LiveFigure) and any(w is fig for w in descendants(app.widget))
    assert fig.version == 1 and fig.spec["panels"] and fig.record is not None
    app.savers["main"].render("png")            # Matplotlib draws downloads outside pyplot
    assert plt.get_fignums() == before


@pytest.mark.parametrize("cls, control, values", [
    (UnfoldingApp, "frame", [3, 7, 10]),
    (UnfoldingApp, "T", [6, 3]),
    (VanishingApp, "scale", [1.05, 1.1, 1.6]),
    (TruncationApp, "k2", [11, 12, 30]),
    (TruncationApp, "schedule", ["keras", "per_loss"]),
], ids=["unfolding-frame", "unfolding-T", "vanishing", "truncation-k2", "truncation-schedule"])
def test_after_changes_every_figure_shows_what_a_fresh_page_shows(cls, control, values):
    app = cls(query="")
    for value in values:
        app.widgets[control].value = value
        fresh = cls(query=app.query_string())
        for name in app.figures:
            assert figures.records_equal(app.figures[name].record, fresh.figures[name].record), \
                f"{name} after {control}={value}"
        fresh.close()
    app.close()


def test_figures_save_as_png_and_svg_for_download():
    app = Toy(query="")
    saver = app.savers["main"]
    assert saver.render("png").startswith(b"\x89PNG\r\n\x1a\n")
    assert b"<svg" in saver.render("svg")
    link = saver.offer("svg")
    assert 'download="bpttviz-toy-main.svg"' in link
    data = re.search(r'href="data:image/svg\+xml;base64,([^"]+)"', link).group(1)
    assert b"<svg" in base64.b64decode(data)
    with pytest.raises(ValueError, match="png or svg"):
        saver.render("pdf")


def test_a_download_is_matplotlibs_drawing_of_the_record_the_page_shows():
    app = Toy(query="n=6")
    app.widgets["view"].value = 2
    assert app.savers["main"].render("png") == plots.save(app.figures["main"].record, fmt="png")
    app.widgets["n"].value = 9
    assert app.savers["main"].render("png") == plots.save(app.figures["main"].record, fmt="png")


def test_a_failed_save_is_reported_in_the_page():
    app = Toy(query="")
    saver = FigureSaver(lambda: None, "x", on_error=app._show_error)     # nothing drawn yet
    png = next(w for w in descendants(saver.widget) if "bpttviz-save-png" in w._dom_classes)
    png.click()
    assert ("Could not save the figure as PNG: The figure has not been drawn yet"
            in text_of(app.message.value))
    assert saver.link.value == "" and "failed" in app.status.value


def test_busy_shows_progress_and_catches_errors():
    app = Toy(query="")
    shown = []                      # read inside, asserted outside: busy() catches errors
    with app.busy():
        shown.append(text_of(app.status.value))
    with app.busy("training"):
        app.report_progress(0.4, "epoch 2")
        shown += [app.progress.layout.display, app.progress.value, text_of(app.status.value)]
    assert shown == ["● computing…", None, 0.4, "● epoch 2…"]       # one ellipsis each
    assert app.progress.layout.display == "none" and app.message.value == ""
    with app.busy():
        raise RuntimeError("stopped by the user")
    assert "stopped by the user" in app.message.value


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


def test_close_closes_every_widget():
    app = Toy(query="")
    slider = app.widgets["n"]
    app.close()
    assert slider.comm is None


# --- changes from the page: the newest value wins ------------------------------------------

def from_page(widget, **state):
    """What ipywidgets does with a control's update message from the page (a user's move)."""
    widget._handle_msg({"content": {"data": {"method": "update", "state": state,
                                             "buffer_paths": []}}, "buffers": []})


def in_a_kernel(app, moves):
    """Run ``moves()`` (a coroutine function) on a running event loop, as a kernel does, once
    the app has been quiet for a while; returns what it returns."""
    async def session():
        await asyncio.sleep(2 * SETTLE_S)
        return await moves()
    return asyncio.run(session())


def test_of_a_burst_of_changes_from_the_page_the_first_and_the_newest_are_computed():
    app = Toy(query="")
    values = [1 + (7 * i) % 10 for i in range(60)] + [7]

    async def held_key():                   # queued messages, handled back to back
        before = app.runs
        for v in values:
            from_page(app.widgets["n"], value=v)
        await asyncio.sleep(4 * SETTLE_S)
        return app.runs - before

    # The first at once (the kernel was quiet: it cannot know more follow), then the newest.
    assert in_a_kernel(app, held_key) == 2
    assert app.values()["n"] == 7 and len(app.result) == 7
    np.testing.assert_array_equal(toy_y(app), np.arange(7) * 0.5)
    assert "n=7" in app.link.value


def test_changes_between_which_the_kernel_is_free_cost_one_computation_per_settle_time():
    app = Toy(query="")

    async def dragged_slider():
        before, t0 = app.runs, time.monotonic()
        for i in range(100):
            from_page(app.widgets["n"], value=1 + i % 10)
            await asyncio.sleep(0)          # the loop runs between two messages
        elapsed = time.monotonic() - t0
        await asyncio.sleep(4 * SETTLE_S)
        return app.runs - before, elapsed

    ran, elapsed = in_a_kernel(app, dragged_slider)
    assert 1 <= ran <= 2 + elapsed / SETTLE_S and ran < 100 / 4
    assert app.values()["n"] == 10 and len(app.result) == 10       # the last move wins
    np.testing.assert_array_equal(toy_y(app), np.arange(10) * 0.5)


def test_a_single_change_from_the_page_is_computed_at_once():
    app = Toy(query="")

    async def one_move():
        before = app.runs
        from_page(app.widgets["n"], value=6)
        await asyncio.sleep(SETTLE_S / 5)   # well before a settle time has passed
        return app.runs - before

    assert in_a_kernel(app, one_move) == 1 and len(app.result) == 6


def test_a_burst_of_view_changes_computes_nothing_and_draws_the_newest():
    app = Toy(query="n=10")
    runs, renders = app.runs, len(app.renders)

    async def frames():
        for v in range(1, 11):
            from_page(app.widgets["view"], value=v)
        await asyncio.sleep(4 * SETTLE_S)

    in_a_kernel(app, frames)
    assert app.runs == runs and app.renders[renders:] == [1, 10]
    assert panel_marks(app, "main")[-1].value == 10


def test_changes_made_from_python_are_computed_at_once_in_a_kernel_too():
    app = Toy(query="")

    async def script():
        counts = [app.runs]
        app.set(n=4)
        counts.append(app.runs)
        app.widgets["n"].value = 6
        counts.append(app.runs)
        app.apply_preset("big")
        counts.append(app.runs)
        return counts

    assert in_a_kernel(app, script) == [1, 2, 3, 4]
    assert len(app.result) == 9 and app.result[-1] == 8.0


# --- clicks on a figure ----------------------------------------------------------------------

def click(fig, content):
    """What ipywidgets does with a custom message from the page."""
    fig._handle_msg({"content": {"data": {"method": "custom", "content": content}},
                     "buffers": []})


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


# --- lesson 1: unfolding ----------------------------------------------------------------

def test_unfolding_runs_full_bptt_on_the_network_the_controls_describe(counted):
    runs = counted(unfolding_module, "bptt")
    app = UnfoldingApp(query="T=6&hidden=4&radius=1.3&activation=relu&seed=3")
    assert len(runs) == 1
    model = app.result.model
    assert spectral_radius(model.params["W_hh"]) == pytest.approx(1.3)
    assert (model.n_hidden, model.activation, model.seed) == (4, "relu", 3)
    trace = app.result.trace
    assert trace.T == 6 and len(trace.updates) == 1 and trace.schedule.name == "full"
    np.testing.assert_allclose(app.result.hidden_norms, np.linalg.norm(trace.hidden[:, 0], axis=1))


def test_unfolding_frames_step_through_without_running_the_engine(counted):
    app = UnfoldingApp(query="")
    runs = counted(unfolding_module, "bptt")
    T = app.result.trace.T
    app.widgets["frame"].value = 2
    # The row of hidden states: h_{-1}, then h_0 .. h_4, filled once computed.
    hidden = marks_of(app, "network", "Points")[1]
    assert [c != "#ffffff" for c in hidden.color] == [False, True, True, True, False, False]
    app.widgets["frame"].value = 2 * T                  # the sum
    u = app.result.trace.updates[0]
    bars, = marks_of(app, "network", "Rects", panel=1)
    np.testing.assert_allclose(bars.y1, u.whh_norms)
    total, = marks_of(app, "network", "Heatmap", panel=2)
    np.testing.assert_allclose(total.values[::-1], u.grads["W_hh"])   # row 0 at the bottom
    assert runs == []


def test_unfolding_play_is_linked_to_the_frame_in_the_browser():
    app = UnfoldingApp(query="")
    assert app.play_link.source == (app.play, "value")
    assert app.play_link.target == (app.widgets["frame"], "value")
    assert type(app.play_link).__name__ == "Link"       # jslink: runs in the browser


def test_unfolding_T_redraws_the_copies_and_extends_the_walk(counted):
    app = UnfoldingApp(query="")
    runs = counted(unfolding_module, "bptt")
    app.widgets["T"].value = 8
    assert len(runs) == 1
    assert marks_of(app, "network", "Points")[0].x.size == 8
    assert marks_of(app, "network", "Rects", panel=1)[0].x0.size == 8
    assert app.widgets["frame"].max == 16 and app.play.max == 16
    app.widgets["frame"].value = 16
    app.widgets["T"].value = 3
    assert app.widgets["frame"].value == 6 and len(runs) == 2


# --- lesson 2: vanishing and exploding ---------------------------------------------------------

def test_vanishing_one_engine_run_per_change_feeds_every_figure(counted, counted_everywhere):
    app = VanishingApp(query="")
    runs = counted(vanishing_module, "bptt")
    sweeps = counted_everywhere(run_schedule)
    jacobians = counted_everywhere(jacobians_module._jacobians)
    flow_before = marks_of(app, "flow", "Heatmap")[0].values
    app.widgets["scale"].value = 1.5
    # One BPTT run, and the step Jacobians once for both the singular values and lambda.
    assert len(runs) == 1 and len(sweeps) == 1 and len(jacobians) == 1
    r = app.result
    np.testing.assert_array_equal(r.singular_values,
                                  jacobian_singular_values(r.model, r.inputs)[:, 0, :])
    assert r.lyapunov == lyapunov_exponent(r.model, r.inputs)
    assert spectral_radius(r.model.params["W_hh"]) == pytest.approx(1.5)
    below = np.tril(np.ones_like(r.flow, dtype=bool))
    shown = marks_of(app, "flow", "Heatmap")[0].values
    np.testing.assert_allclose(shown[below], r.flow[below])
    assert not np.allclose(flow_before[below], shown[below])
    lags, med, _, _ = figures.lag_profile(relative_flow(r.flow))
    median, bound = marks_of(app, "lag", "Line")
    np.testing.assert_allclose(median.y, med)
    np.testing.assert_allclose(bound.y, pascanu_bound(r.model, lags))
    points = labelled(app, "singular_values", "all singular values")
    assert points.x.size == np.isfinite(r.singular_values).sum()


def test_relative_flow_never_exceeds_the_pascanu_bound():
    app = VanishingApp(query="T=40&scale_by=sigma&scale=0.9")
    r = app.result
    assert max_singular_value(r.model.params["W_hh"]) == pytest.approx(0.9)
    rel = relative_flow(r.flow)
    lag = np.subtract.outer(np.arange(40), np.arange(40))
    below = lag >= 0
    assert np.all(rel[below] <= pascanu_bound(r.model, lag[below]) * (1 + 1e-9))


def test_vanishing_presets_and_radius_alias(counted):
    app = VanishingApp(query="radius=1.1&T=100")
    v = app.values()
    assert (v["scale_by"], v["scale"], v["T"]) == ("radius", 1.1, 100)
    runs = counted(vanishing_module, "bptt")
    app.apply_preset("exploding")
    assert len(runs) == 1
    v = app.values()
    assert (v["activation"], v["scale"]) == ("linear", 1.3)
    assert app.result.lyapunov > 0
    app.apply_preset("vanishing")
    assert app.result.lyapunov < 0 and len(runs) == 2


@pytest.mark.parametrize("query, scale_by, scale, dropped", [
    ("radius=1.1&scale_by=sigma", "sigma", 1.0, "radius=1.1"),
    ("scale_by=sigma&radius=1.1", "sigma", 1.0, "radius=1.1"),
    ("radius=2&scale=0.5", "radius", 0.5, "radius=2"),
    ("sigma=0.5&radius=2", "sigma", 0.5, "radius=2"),
    ("radius=2&sigma=0.5", "radius", 2.0, "sigma=0.5"),
])
def test_vanishing_link_conflicts_follow_the_precedence_and_are_reported(query, scale_by, scale,
                                                                         dropped):
    app = VanishingApp(query=query)
    v = app.values()
    assert (v["scale_by"], v["scale"]) == (scale_by, scale)
    notes = text_of(app.notes.value)
    assert f"{dropped} (which means" in notes and notes.count("not used") == 1
    assert app.message.value == ""


def test_vanishing_overflow_is_shown_where_it_happened():
    app = VanishingApp(query="activation=linear&scale=3&T=400")
    trace = app.result.trace
    step = overflow_step(trace)
    # The backward sweep overflows before the forward pass does.
    assert trace.first_nonfinite is not None and trace.updates[0].first_nonfinite is not None
    assert step == min(trace.first_nonfinite, trace.updates[0].first_nonfinite)
    assert f"overflowed at step {step}" in text_of(app.notes.value)
    assert f"overflow from step {step}" in texts(app, "flow")
    assert [m.value for m in marks_of(app, "flow", "Rule")] == [step, step]   # the cross-hair
    assert app.message.value == ""                       # an overflow is a result, not an error
    app.widgets["scale"].value = 0.5
    assert app.notes.value == ""


# --- lesson 3: truncated BPTT ---------------------------------------------------------------

def test_truncation_k2_change_runs_the_engine_once_and_reuses_the_bias_curve(
        counted, counted_everywhere):
    app = TruncationApp(query="")
    sweeps = counted_everywhere(run_schedule)            # every BPTT run, whoever asks
    bias = counted(truncation_module, "truncation_bias")
    app.widgets["k2"].value = 25
    # The schedule's own run, nothing else: the point on the curve comes from it, and the
    # full gradient and cost it is compared with are kept from before.
    assert len(sweeps) == 1 and sweeps[0][0][1].k2 == 25 and bias == []
    K = len(app.result.curve.k2)
    app.widgets["k1"].value = 7                          # the curve depends on k1
    assert [len(a[3]) for a, _ in bias] == [K]
    assert len(sweeps) == 1 + 1 + (1 + K)                # the run; the curve: full BPTT + K
    app.widgets["radius"].value = 1.0                    # a new network: its full BPTT too
    assert len(bias) == 2 and len(sweeps) == (3 + K) + 1 + 1 + (1 + K)
    app.widgets["radius"].value = 1.2                    # the first network again: kept
    assert len(bias) == 2 and len(sweeps) == (3 + K) + (3 + K) + 1


def test_truncation_figures_show_the_schedule_run(counted):
    app = TruncationApp(query="T=40&k1=4&k2=6")
    r = app.result
    assert r.schedule.params == {"k1": 4, "k2": 6} and r.trace.schedule is r.schedule
    segs = labelled(app, "timeline", "states a loss reaches")
    assert segs.x0.size == sum(int((p.starts <= p.losses).sum()) for p in r.schedule.updates)
    dropped, = marks_of(app, "flow", "Mask")
    below = np.tril(np.ones((40, 40), dtype=bool))
    assert np.array_equal(dropped.where, below & ~r.schedule.kept_any)
    full = bptt(r.model, r.inputs, r.targets).cost
    widths = labelled(app, "cost", "this schedule").x1
    assert widths == pytest.approx([r.trace.cost.forward_steps / full.forward_steps,
                                    r.trace.cost.backward_steps / full.backward_steps,
                                    r.trace.cost.peak_stored_floats / full.peak_stored_floats])
    star = labelled(app, "bias", "this schedule")
    assert star.x.tolist() == [6] and star.y.tolist() == pytest.approx([r.point.cosine[0]])


@pytest.mark.parametrize("name", list(SCHEDULES))
def test_every_named_schedule_runs_and_uses_only_its_knobs(name):
    app = TruncationApp(query=f"schedule={name}&T=30&k1=4&k2=6")
    assert app.message.value == "" and app.result.schedule.name == lesson_schedule(
        name, 30, 4, 6).name
    assert app.widgets["k1"].disabled == ("k1" not in SCHEDULES[name])
    assert app.widgets["k2"].disabled == ("k2" not in SCHEDULES[name])
    # The point on the bias curve, taken from the schedule's run, is truncation_bias's.
    r = app.result
    family = "tbptt" if name == "full" else name
    k2 = 30 if name == "full" else 6
    want = truncation_bias(r.model, r.inputs, r.targets, [k2], schedule=family,
                           k1=4 if "k1" in SCHEDULES[name] else None, combine="mean",
                           params=r.model.cell.param_names)
    assert r.point.k2.tolist() == [k2]
    np.testing.assert_allclose(r.point.cosine, want.cosine, rtol=1e-12)
    np.testing.assert_allclose(r.point.norm_ratio, want.norm_ratio, rtol=1e-12)
    assert r.point.full_norm == pytest.approx(want.full_norm, rel=1e-12)


def test_the_schedule_menu_reads_in_words_and_the_link_keeps_the_names():
    app = TruncationApp(query="schedule=sliding_window")
    menu = app.widgets["schedule"]
    assert menu.label == "sliding window" and menu.value == "sliding_window"
    labels, values = zip(*menu.options)
    assert values == tuple(SCHEDULES) and not any("_" in label for label in labels)
    assert len(set(labels)) == len(labels)
    assert "schedule=sliding_window" in app.query_string()


def test_truncation_T_bounds_k1_and_k2(counted):
    app = TruncationApp(query="k1=30&k2=50")
    runs = counted(truncation_module, "bptt")
    app.widgets["T"].value = 20
    assert (app.values()["k1"], app.values()["k2"]) == (20, 20)
    # The schedule's run, and full BPTT (the reference) for the new T.
    assert app.widgets["k2"].max == 20 and len(runs) == 2
    assert [a[1].shape[0] for a, _ in runs] == [20, 20] and runs[1][1] == {"record": False}


def test_truncation_query_example_from_the_issue():
    app = TruncationApp(query="k1=5&k2=20&radius=1.1")
    v = app.values()
    assert (v["k1"], v["k2"], v["radius"]) == (5, 20, 1.1)
    assert app.notes.value == ""
    bad = TruncationApp(query="T=30&k2=500")
    assert bad.values()["k2"] == 10 and "k2=500" in text_of(bad.notes.value)
    assert "[1, 30]" in text_of(bad.notes.value)


# --- the serve command ------------------------------------------------------------------------

def test_serve_runs_voila_with_sources_stripped_tracebacks_hidden_and_idle_kernels_culled():
    argv = voila_argv("notebooks", "127.0.0.1", 9999)
    assert argv[0] == "notebooks"
    for flag in ("--Voila.ip=127.0.0.1", "--port=9999", "--strip_sources=True",
                 "--show_tracebacks=False", "--no-browser",
                 "--MappingKernelManager.cull_interval=30",
                 "--MappingKernelManager.cull_idle_timeout=120"):
        assert flag in argv


def test_serve_refuses_a_missing_notebooks_directory(tmp_path, capsys):
    assert cli_main(["serve", "--notebooks", str(tmp_path / "nowhere")]) == 2
    assert "no notebooks directory" in capsys.readouterr().err


def test_a_quick_update_says_only_that_it_updated_and_a_slow_ones_successor_says_computing():
    from bpttviz.app.base import SLOW_MS
    app = VanishingApp(query="")
    said = []
    app.status.observe(lambda change: said.append(change["new"]), names="value")
    app.last_update_ms = 1.0                        # the last update was quick
    app.set(T=61)
    app.set(T=62)
    assert all(text_of(s).startswith("✓ updated in") for s in said)
    assert len(said) == 2 and said[0] != said[1]    # numbered: each reaches the page
    assert f'data-update="{app.updates}"' in said[1]
    said.clear()
    app.last_update_ms = SLOW_MS + 1                # as if the last one had been slow
    app.set(T=63)
    assert text_of(said[0]) == "● computing…" and text_of(said[-1]).startswith("✓ updated in")
    app.close()
