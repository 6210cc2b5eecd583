"""The lessons' pages: widgets built from each lesson's declaration.

Build a lesson's page in a notebook (Voila, JupyterLab, the classic notebook) with::

    from bpttviz.app import VanishingApp
    VanishingApp()

or, for any lesson of the registry (:data:`bpttviz.lessons.LESSONS`), ``LessonApp(lesson=slug)``.
Every page reads its initial settings from the page's query string under Voila
(``?radius=1.1&T=100``). :class:`LessonApp` is the page; the lessons themselves
are declared widget-free in :mod:`bpttviz.lessons`.
"""

from ..lessons.control import Control
from .apps import (BeyondApp, CellsApp, SurfaceApp, TrainingApp, TruncationApp, UnfoldingApp,
                   VanishingApp)
from .base import LessonApp
from .downloads import FigureSaver
from .query import parse_query

__all__ = ["LessonApp", "Control", "FigureSaver", "parse_query", "UnfoldingApp", "VanishingApp",
           "TruncationApp", "TrainingApp", "CellsApp", "SurfaceApp", "BeyondApp"]
