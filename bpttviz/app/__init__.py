"""Widget apps of the lessons (ipywidgets + ipympl); one module per lesson.

Build a lesson in a notebook with ``%matplotlib widget`` and::

    from bpttviz.app import VanishingApp
    VanishingApp()

Every app reads its initial settings from the page's query string under
Voila (``?radius=1.1&T=100``). :class:`LessonApp` is the base to build new
lessons on.
"""

from .base import Control, FigureSaver, LessonApp, parse_query
from .beyond import BeyondApp
from .comparison import CellsApp
from .surface import SurfaceApp
from .training import TrainingApp
from .truncation import TruncationApp
from .unfolding import UnfoldingApp
from .vanishing import VanishingApp

__all__ = ["LessonApp", "Control", "FigureSaver", "parse_query", "UnfoldingApp", "VanishingApp",
           "TruncationApp", "TrainingApp", "CellsApp", "SurfaceApp", "BeyondApp"]
