"""The seven lessons' pages under their own names: ``VanishingApp()`` is the page of
:class:`bpttviz.lessons.VanishingLesson`.

Each is :class:`~bpttviz.app.base.LessonApp` with its lesson set; those of
the lessons that train also answer for their Train and Stop buttons
(:class:`~bpttviz.app.background.TrainingPanel`), as the notebooks and
scripts use them (``app.start()``).
"""

from __future__ import annotations

from ..lessons import (BeyondLesson, CellsLesson, SurfaceLesson, TrainingLesson,
                       TruncationLesson, UnfoldingLesson, VanishingLesson)
from .base import LessonApp

__all__ = ["UnfoldingApp", "VanishingApp", "TruncationApp", "TrainingApp", "CellsApp",
           "SurfaceApp", "BeyondApp", "APPS"]


class _Trains(LessonApp):
    """A page whose lesson trains: its training panel's buttons and runs, by their names."""

    def start(self, wait=None):
        """Start the runs of the current setup (:meth:`TrainingPanel.start`)."""
        return self.training.start(wait)

    def stop(self):
        """Ask a run in progress to end after its current update."""
        self.training.stop()

    def end_run(self):
        """Stop a run in progress and wait for it."""
        self.training.end_run()

    start_button = property(lambda self: self.training.start_button)
    stop_button = property(lambda self: self.training.stop_button)
    run = property(lambda self: self.training.run)
    train_runs = property(lambda self: self.training.train_runs)
    watcher = property(lambda self: self.training.watcher)
    running = property(lambda self: self.training.running)
    _live_ms = property(lambda self: self.training._live_ms)


class UnfoldingApp(LessonApp):
    lesson = UnfoldingLesson


class VanishingApp(LessonApp):
    lesson = VanishingLesson


class TruncationApp(LessonApp):
    lesson = TruncationLesson


class TrainingApp(_Trains):
    lesson = TrainingLesson

    @property
    def user_data(self):
        """The user's file as last read without error (None before any)."""
        return self.lesson.data


class CellsApp(LessonApp):
    lesson = CellsLesson


class SurfaceApp(LessonApp):
    lesson = SurfaceLesson

    surface_runs = property(lambda self: self.lesson.surface_runs)


class BeyondApp(_Trains):
    lesson = BeyondLesson


#: Slug -> page class of the seven lessons.
APPS = {cls.lesson.slug: cls for cls in (UnfoldingApp, VanishingApp, TruncationApp, TrainingApp,
                                         CellsApp, SurfaceApp, BeyondApp)}
