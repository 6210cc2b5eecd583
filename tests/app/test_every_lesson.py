"""What every lesson's page does, for each lesson of the registry (bpttviz.lessons.LESSONS):
each of its presets applies without an error, its figures download, and its link reproduces
its configuration."""

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
