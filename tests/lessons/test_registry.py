"""The registry of lessons, ``bpttviz.lessons.LESSONS``: the course's lessons in their order,
each with its page (its notebook), the slider a class moves, and a test file of its own here
that checks its numbers and its download in the page.

This is the one test file that names the lessons; every other test reads the registry, so a
lesson added to it is tested by every test of every page.
"""

import ast
import pathlib

import pytest
from page_in_browser import NOTEBOOKS, class_control_moves

from bpttviz.lessons import LESSONS, lesson_of_page

HERE = pathlib.Path(__file__).resolve().parent
#: The course, lesson by lesson, in order.
COURSE = ("unfolding", "vanishing_exploding", "truncated_bptt", "training", "rnn_lstm_gru",
          "error_surface", "beyond_truncation")

EVERY_LESSON = pytest.mark.parametrize("cls", LESSONS.values(), ids=lambda cls: cls.slug)


def test_the_registry_holds_the_course_in_order():
    assert tuple(LESSONS) == COURSE
    assert [cls.number for cls in LESSONS.values()] == list(range(1, len(COURSE) + 1))


def test_every_lesson_notebook_is_tested_here():
    assert {p.stem for p in NOTEBOOKS.glob("*.ipynb")} == \
        {cls.page_name() for cls in LESSONS.values()} | {"index"}


@EVERY_LESSON
def test_a_lessons_page_leads_back_to_it(cls):
    assert cls.page_name() == f"{cls.number:02d}_{cls.slug}"
    assert lesson_of_page(cls.page_name()) is cls
    assert lesson_of_page(f"{cls.page_name()}.ipynb") is cls


def test_a_page_that_is_no_lessons_leads_to_none():
    assert lesson_of_page("index") is None and lesson_of_page(COURSE[0]) is None


@EVERY_LESSON
def test_the_slider_a_class_moves_is_a_control_that_changes_a_figure(cls):
    # The browser tests move it and wait for the figures every move changes: there must be one.
    assert cls.class_control in {c.name for c in cls.controls}
    changed, _ = class_control_moves(cls)
    assert changed


@EVERY_LESSON
def test_every_lesson_has_its_numbers_checked(cls):
    # Its numbers and its download in the page: a class of tests made from page_in_browser's.
    path = HERE / f"test_{cls.slug}.py"
    assert path.is_file(), f"lesson {cls.slug} has no test file {path.name} in {HERE}"
    bases = {base.id for node in ast.parse(path.read_text()).body
             if isinstance(node, ast.ClassDef) and node.name.startswith("Test")
             for base in node.bases if isinstance(base, ast.Name)}
    assert "InThePage" in bases, f"{path.name} has no test class of page_in_browser.InThePage"
