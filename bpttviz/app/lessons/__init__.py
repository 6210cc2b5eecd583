"""The seven lessons, one module each, named after the lesson's slug.

:data:`LESSONS` maps each slug to its app class; the slug also names the
lesson's guided steps (``bpttviz/data/steps/<slug>.json``) and, with hyphens,
its class in the page (``bpttviz-<slug>``) and its download names.
"""

from .beyond_truncation import BeyondApp
from .error_surface import SurfaceApp
from .rnn_lstm_gru import CellsApp
from .training import TrainingApp
from .truncated_bptt import TruncationApp
from .unfolding import UnfoldingApp
from .vanishing_exploding import VanishingApp

__all__ = ["LESSONS", "UnfoldingApp", "VanishingApp", "TruncationApp", "TrainingApp", "CellsApp",
           "SurfaceApp", "BeyondApp"]

#: Slug -> app class, in the lessons' order.
LESSONS = {cls.slug: cls for cls in (UnfoldingApp, VanishingApp, TruncationApp, TrainingApp,
                                     CellsApp, SurfaceApp, BeyondApp)}
