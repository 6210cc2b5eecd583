"""Widget apps of the lessons (ipywidgets; figures drawn by the browser, :mod:`.live`).

Build a lesson in a notebook (Voila, JupyterLab, the classic notebook) with::

    from bpttviz.app import VanishingApp
    VanishingApp()

Every app reads its initial settings from the page's query string under
Voila (``?radius=1.1&T=100``). :class:`LessonApp` is the base to build new
lessons on; the seven lessons live in :mod:`bpttviz.app.lessons`, one module
each (:data:`bpttviz.app.lessons.LESSONS`), and the machinery they share in
the other modules of this package.
"""

from .base import LessonApp
from .controls import Control
from .downloads import FigureSaver
from .lessons import (BeyondApp, CellsApp, SurfaceApp, TrainingApp, TruncationApp, UnfoldingApp,
                      VanishingApp)
from .query import parse_query

__all__ = ["LessonApp", "Control", "FigureSaver", "parse_query", "UnfoldingApp", "VanishingApp",
           "TruncationApp", "TrainingApp", "CellsApp", "SurfaceApp", "BeyondApp"]
