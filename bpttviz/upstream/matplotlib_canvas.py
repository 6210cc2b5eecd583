"""Matplotlib's private names that the lessons' canvases and figures rely on.

* The web canvas (``FigureCanvasWebAggCore``, which ipympl's canvas extends)
  decides in ``get_diff_image`` whether to send the whole image or only the
  pixels that changed, from three attributes it keeps: whether the image is
  stale, whether the next one must be whole, and the last one sent.
  :class:`bpttviz.app.canvas.LessonCanvas` replaces that method (to encode
  its PNGs faster) and so has to keep the same three attributes.
* A figure's resolution before the browser's device pixel ratio
  (``Figure._original_dpi``): projector mode raises it, so that the ratio
  applies on top of the larger resolution.
* The figure-level titles (``suptitle``, ``supxlabel``, ``supylabel``) as
  artists, whose positions a kept layout restores.
* The mark a colour bar leaves on its axes (``ax._colorbar``), so that a text
  alternative can leave colour bars out.

Nothing here imports Matplotlib: the functions read and set attributes of
the objects they are given.
"""

from __future__ import annotations

__all__ = ["PRIVATE_NAMES", "FIGURE_TITLES", "mark_image_stale", "image_is_stale",
           "whole_image_wanted", "last_image", "image_sent", "set_base_dpi", "figure_titles",
           "is_colorbar"]

_WEB_CANVAS = "matplotlib.backends.backend_webagg_core.FigureCanvasWebAggCore"

#: The private names used below, and where Matplotlib defines them.
PRIVATE_NAMES = (
    (_WEB_CANVAS, "_png_is_old"),
    (_WEB_CANVAS, "_force_full"),
    (_WEB_CANVAS, "_last_buff"),
    ("matplotlib.backend_bases.FigureCanvasBase", "_original_dpi"),
    ("matplotlib.figure.FigureBase", "_suptitle"),
    ("matplotlib.figure.FigureBase", "_supxlabel"),
    ("matplotlib.figure.FigureBase", "_supylabel"),
    ("matplotlib.colorbar.Colorbar", "_colorbar"),
)

#: The figure-level titles, by the name a kept layout stores them under.
FIGURE_TITLES = ("_suptitle", "_supxlabel", "_supylabel")


# -- the web canvas's image ------------------------------------------------------------------

def mark_image_stale(canvas):
    """Say that ``canvas`` has drawn a new image that the browser has not received."""
    canvas._png_is_old = True


def image_is_stale(canvas) -> bool:
    """Whether ``canvas`` has an image the browser has not received."""
    return canvas._png_is_old


def whole_image_wanted(canvas) -> bool:
    """Whether the browser needs the next image whole (after a resize, a new view...)."""
    return canvas._force_full


def last_image(canvas):
    """The pixels last sent to the browser, one uint32 per pixel (H, W); empty before any."""
    return canvas._last_buff


def image_sent(canvas, pixels):
    """Record that ``pixels`` (H, W) of uint32, a copy of the image, went to the browser."""
    canvas._last_buff = pixels
    canvas._force_full = False
    canvas._png_is_old = False


# -- figures ------------------------------------------------------------------------------------

def set_base_dpi(fig, dpi: float):
    """Make ``dpi`` the resolution that the browser's device pixel ratio multiplies."""
    fig._original_dpi = dpi


def figure_titles(fig) -> dict:
    """The figure-level titles that ``fig`` has, as artists, by name (:data:`FIGURE_TITLES`)."""
    return {name: getattr(fig, name) for name in FIGURE_TITLES
            if getattr(fig, name, None) is not None}


def is_colorbar(ax) -> bool:
    """Whether the axes ``ax`` hold a colour bar."""
    return hasattr(ax, "_colorbar")
