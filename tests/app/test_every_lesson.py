"""What every lesson's page does, for each lesson of the registry (bpttviz.lessons.LESSONS):
each of its presets applies without an error, its figures download, and its link reproduces
its configuration; and a page that closed is freed."""

import subprocess
import sys

import pytest
from page_in_kernel import press_save

from bpttviz.app import LessonApp
from bpttviz.lessons import LESSONS

EVERY_LESSON = pytest.mark.parametrize("cls", LESSONS.values(), ids=lambda cls: cls.slug)


@EVERY_LESSON
def test_every_preset_runs_without_an_error(cls):
    app = LessonApp(query="", lesson=cls)
    for name in cls.presets:
        app.apply_preset(name)
        assert app.message.value == "", (name, app.message.value)


@EVERY_LESSON
def test_figures_download_and_the_link_reproduces_the_configuration(cls):
    app = LessonApp(query="", lesson=cls)
    name = next(iter(app.figures))
    (answer, [data]), = press_save(app.figures[name], "png")      # the page's PNG button
    assert answer["name"] == f"bpttviz-{app.page_slug}-{name}.png" and answer["type"] == "file"
    assert data.startswith(b"\x89PNG\r\n\x1a\n")
    assert LessonApp(query=app.query_string(), lesson=cls).values() == app.values()



def test_a_closed_page_is_freed():
    # In a process of its own, as a lecture hall's: a page that ended has every widget closed
    # (Solara's session does it), and then nothing may keep the page, its results or its
    # figures (a class's tabs come and go).
    script = """
import gc, weakref
import ipywidgets as widgets
from bpttviz.app import LessonApp
from bpttviz.lessons import LESSONS

def closed_page(cls):
    before = set(widgets.Widget.widgets)
    app = LessonApp(query="", lesson=cls)
    made = [w for k, w in widgets.Widget.widgets.items() if k not in before]
    app.close()
    for widget in made:
        widget.close()
    return weakref.ref(app)

pages = {cls.slug: closed_page(cls) for cls in LESSONS.values()}
gc.collect()
print(" ".join(slug for slug, page in pages.items() if page() is not None) or "none")
"""
    out = subprocess.run([sys.executable, "-W", "ignore", "-c", script], capture_output=True,
                         text=True, timeout=300, check=True).stdout.split()
    assert out == ["none"], f"pages kept after they closed: {out}"
