"""The layout a lesson's figures get from a kept file is the one constrained layout gives:
same positions, same pixels; a kept layout is used only for the same app state."""

import json

import numpy as np
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg

from bpttviz.app import CellsApp, SurfaceApp, TrainingApp, TruncationApp, UnfoldingApp, \
    VanishingApp
from bpttviz.app import layout

APPS = [UnfoldingApp, VanishingApp, TruncationApp, TrainingApp, CellsApp, SurfaceApp]


@pytest.fixture(autouse=True)
def fresh_cache(tmp_path, monkeypatch):
    for name in ("QUERY_STRING", "VOILA_REQUEST_URL", "VOILA_PREHEAT"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("BPTTVIZ_LAYOUT_CACHE", str(tmp_path / "layout"))
    return tmp_path / "layout"


@pytest.fixture
def layouts(monkeypatch):
    """The figures laid out by constrained layout (not taken from a file), counted."""
    calls = []
    real = layout.freeze_layout

    def counting(fig):
        calls.append(fig)
        return real(fig)

    monkeypatch.setattr(layout, "freeze_layout", counting)
    return calls


def pixels(app):
    out = {}
    for name, canvas in app.canvases.items():
        FigureCanvasAgg.draw(canvas)                 # a full draw, no blitting
        out[name] = np.asarray(canvas.buffer_rgba()).copy()
    return out


@pytest.mark.slow
@pytest.mark.parametrize("cls", APPS, ids=lambda c: c.__name__)
def test_a_kept_layout_draws_every_figure_pixel_for_pixel_as_laying_it_out(cls, layouts,
                                                                          fresh_cache):
    first = cls(query="")
    assert len(layouts) == len(first.figures)              # laid out, and kept
    assert len(list(fresh_cache.glob("*.json"))) == len(first.figures)
    second = cls(query="")
    assert len(layouts) == len(first.figures)              # the kept layout was used
    for name, fig in first.figures.items():
        other = second.figures[name]
        assert other.get_layout_engine() is None or \
            type(other.get_layout_engine()).__name__ == "PlaceHolderLayoutEngine"
        for a, b in zip(fig.axes, other.axes):
            assert a.get_position().bounds == b.get_position().bounds
            assert a.get_position(original=True).bounds == b.get_position(original=True).bounds
    p1, p2 = pixels(first), pixels(second)
    for name in p1:
        assert p1[name].shape == p2[name].shape
        assert np.array_equal(p1[name], p2[name]), f"{cls.__name__}.{name} differs"


def test_a_kept_layout_is_used_only_for_the_same_state(layouts):
    TruncationApp(query="")
    n = len(layouts)
    TruncationApp(query="k2=25&T=120")                   # other values: laid out again
    assert len(layouts) == 2 * n
    TruncationApp(query="k2=25&T=120")
    assert len(layouts) == 2 * n


def test_a_kept_file_that_does_not_fit_is_not_used(layouts, fresh_cache):
    app = TruncationApp(query="")
    for path in fresh_cache.glob("*.json"):
        snap = json.loads(path.read_text())
        snap["axes"] = snap["axes"][:-1]                    # one axes short
        path.write_text(json.dumps(snap))
    path = next(fresh_cache.glob("*.json"))
    path.write_text("{not json")
    n = len(layouts)
    TruncationApp(query="")
    assert len(layouts) == 2 * n and len(app.figures) == n


def test_where_the_cache_cannot_be_written_each_app_lays_itself_out(layouts, tmp_path,
                                                                    monkeypatch):
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    monkeypatch.setenv("BPTTVIZ_LAYOUT_CACHE", str(blocker / "layout"))
    app = VanishingApp(query="")
    VanishingApp(query="")
    assert len(layouts) == 2 * len(app.figures)
