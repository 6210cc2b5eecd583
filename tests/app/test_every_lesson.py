"""What every lesson's page does, for each lesson of the registry (bpttviz.lessons.LESSONS):
each of its presets applies without an error, its figures download, and its link reproduces
its configuration."""

import pytest

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
    assert app.savers[name].render("png").startswith(b"\x89PNG")
    assert LessonApp(query=app.query_string(), lesson=cls).values() == app.values()
