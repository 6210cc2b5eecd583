"""The lessons, each one declaration, and the one registry of them.

A lesson is a :class:`Lesson` subclass in a module of its own, named after
its slug (:mod:`.vanishing_exploding`): what it computes from its controls
and what it draws, widget-free. :data:`LESSONS` maps each slug to its class,
in the lessons' order; everything that lists lessons (the landing page, the
command line, the class view, the guided steps, the tests, the benchmarks)
reads it. The slug also names the lesson's guided steps
(``bpttviz/data/steps/<slug>.json``) and its notebook
(``notebooks/NN_<slug>.ipynb``, NN its :attr:`~Lesson.number`).

More lessons come from modules named in the environment variable
:data:`EXTRA_ENV` (``BPTTVIZ_LESSONS=mycourse.lesson8``, comma-separated):
each module's :class:`Lesson` subclasses with a slug join the registry, so
a course adds a lesson without editing bpttviz.
"""

from __future__ import annotations

import html
import importlib
import inspect
import os
from pathlib import Path

from .beyond_truncation import BeyondLesson
from .control import KINDS, Control
from .error_surface import SurfaceLesson
from .lesson import Lesson, LessonWithRuns, Limits, page_name
from .rnn_lstm_gru import CellsLesson
from .training import TrainingLesson
from .truncated_bptt import TruncationLesson
from .unfolding import UnfoldingLesson
from .vanishing_exploding import VanishingLesson

__all__ = ["LESSONS", "EXTRA_ENV", "Lesson", "LessonWithRuns", "Limits", "Control", "KINDS",
           "lesson", "lesson_of_page", "register", "page_name", "contents", "UnfoldingLesson",
           "VanishingLesson", "TruncationLesson", "TrainingLesson", "CellsLesson",
           "SurfaceLesson", "BeyondLesson"]

#: The environment variable naming more lesson modules (comma-separated).
EXTRA_ENV = "BPTTVIZ_LESSONS"

#: Slug -> lesson class, in the lessons' order (by number).
LESSONS: dict = {}


def register(cls) -> type:
    """Add lesson class ``cls`` to :data:`LESSONS` (kept in order of number); returns it.

    Raises ``ValueError`` for a class that is no :class:`Lesson`, has no slug
    or number, or takes a slug or number another lesson has.
    """
    if not (inspect.isclass(cls) and issubclass(cls, Lesson)):
        raise ValueError(f"register takes a Lesson subclass. Got {cls!r} instead.")
    if not cls.slug or not isinstance(cls.number, int) or cls.number < 1:
        raise ValueError(f"A lesson needs a slug and a number >= 1. Got slug {cls.slug!r} and "
                         f"number {cls.number!r} for {cls.__name__}.")
    for other in LESSONS.values():
        if other is not cls and (other.slug == cls.slug or other.number == cls.number):
            raise ValueError(f"{cls.__name__} takes the slug or number of {other.__name__} "
                             f"({other.slug!r}, {other.number}); each lesson has its own.")
    LESSONS[cls.slug] = cls
    ordered = sorted(LESSONS.values(), key=lambda c: c.number)
    LESSONS.clear()
    LESSONS.update((c.slug, c) for c in ordered)
    return cls


def lesson(slug: str) -> type:
    """The lesson class of ``slug``; ``ValueError`` naming the lessons if there is none."""
    if slug not in LESSONS:
        raise ValueError(f"There is no lesson {slug!r}; the lessons are {', '.join(LESSONS)}.")
    return LESSONS[slug]


def lesson_of_page(name: str):
    """The lesson class whose page (notebook) is ``name`` (``"02_vanishing_exploding"``,
    ``".ipynb"`` allowed), or None. A lesson's page is ``NN_<slug>``
    (:meth:`Lesson.page_name`); a copy renumbered in a course's folder still names its
    lesson by the slug after the number."""
    stem = name[:-len(".ipynb")] if name.endswith(".ipynb") else name
    number, _, slug = stem.partition("_")
    return LESSONS.get(slug) if number.isdigit() else None


def contents(folder=None, as_html=False) -> str:
    """The list of lessons, each linked to its page: those of :data:`LESSONS` whose notebook
    is in ``folder`` (default: the current folder, where Jupyter and Voila run a notebook), in
    order; Markdown, or HTML (``as_html``: plain links, which open in the same tab)."""
    folder = Path.cwd() if folder is None else Path(folder)
    shown = [cls for cls in LESSONS.values() if (folder / f"{cls.page_name()}.ipynb").is_file()]
    if as_html:
        items = "".join(f'<li><b><a href="{cls.page_name()}.ipynb">{html.escape(cls.title)}'
                        f'</a></b>: {html.escape(cls.summary)}</li>' for cls in shown)
        return f"<ol>{items}</ol>"
    return "\n".join(f"{cls.number}. **[{cls.title}]({cls.page_name()}.ipynb)**: {cls.summary}"
                     for cls in shown)


def _load_extra(text: str) -> None:
    """Import the modules ``text`` names and register their lessons."""
    for name in (n.strip() for n in text.split(",")):
        if not name:
            continue
        module = importlib.import_module(name)
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if issubclass(cls, Lesson) and cls.__module__ == module.__name__ and cls.slug:
                register(cls)


for _cls in (UnfoldingLesson, VanishingLesson, TruncationLesson, TrainingLesson, CellsLesson,
             SurfaceLesson, BeyondLesson):
    register(_cls)
_load_extra(os.environ.get(EXTRA_ENV, ""))
