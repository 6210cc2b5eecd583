"""One table of mark types, ``bpttviz.figures.MARKS``: both renderers, the text alternatives and
the page's encoder know every type in it, by the same name.

A new mark type is its record class in the table, its drawer in Matplotlib's renderer
(``bpttviz.plots.render.DRAWERS``) and in the page's (``DRAWERS`` of ``figure.js``), and its
describer (``bpttviz.figures.alt_text.DESCRIBERS``, None if it says nothing); these tests name what
is missing.
"""

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from bpttviz import figures as F
from bpttviz.figures.alt_text import DESCRIBERS
from bpttviz.app.live.encode import ENCODERS, encode
from bpttviz.figures import MARK_TYPES, MARKS
from bpttviz.plots.render import DRAWERS

ROOT = Path(__file__).resolve().parents[1]

#: figure.js's drawer registry, read by importing the module as tests/js do (as anywidget does).
READ_FIGURE_JS = ('import figure from "./tests/js/figure.mjs"; '
                  'console.log(JSON.stringify(Object.keys(figure.DRAWERS)));')


def figure_js_drawers() -> list:
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed: figure.js's drawers cannot be read (make test needs it)")
    out = subprocess.run([node, "--input-type=module", "-e", READ_FIGURE_JS], cwd=ROOT,
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def test_the_table_names_each_mark_record_by_its_class():
    assert {name: kind.__name__ for name, kind in MARKS.items()} == {n: n for n in MARKS}
    assert MARK_TYPES == tuple(MARKS.values())
    assert {"Line", "Heatmap", "Rule", "Text"} <= set(MARKS)


@pytest.mark.parametrize("registry, what", [(DRAWERS, "a Matplotlib drawer (plots/render.py)"),
                                            (ENCODERS, "an encoder (app/live/encode.py)"),
                                            (DESCRIBERS, "a describer or None (figures/alt_text.py)")],
                         ids=["matplotlib", "encoder", "text"])
def test_every_mark_type_has_its_entry_in_each_python_registry(registry, what):
    missing, unknown = sorted(set(MARKS) - set(registry)), sorted(set(registry) - set(MARKS))
    assert not missing, f"mark types without {what}: {missing}"
    assert not unknown, f"entries for no mark type of figures.MARKS: {unknown}"
    assert all(callable(f) or (registry is DESCRIBERS and f is None) for f in registry.values())


def test_every_mark_type_has_a_drawer_in_figure_js():
    drawers = figure_js_drawers()
    assert sorted(set(MARKS) - set(drawers)) == [], "mark types figure.js cannot draw"
    assert sorted(set(drawers) - set(MARKS)) == [], "figure.js drawers for no mark type"


def test_a_mark_reaches_the_page_under_its_name_in_the_table():
    marks = (F.Line([0, 1], [0, 1]), F.Band([0, 1], [0, 0], [1, 1]), F.Points([0], [0]),
             F.Rects([0], [1], [0], [1]), F.Segments([0], [0], [1], [1]),
             F.Heatmap([[1.0]], (0, 1, 0, 1)), F.Mask([[True]], (0, 1, 0, 1)), F.Rule(0.5),
             F.Text(0.5, 0.5, "t"))
    assert sorted(type(m).__name__ for m in marks) == sorted(MARKS)     # one of each
    spec, _, _ = encode(F.Figure((F.Panel(marks=marks),)))
    assert [m["type"] for m in spec["panels"][0]["marks"]] == [type(m).__name__ for m in marks]
