"""An ipympl canvas for lessons: the static part of a figure rendered once, then only what moves."""

from __future__ import annotations

from io import BytesIO

import numpy as np
from ipympl.backend_nbagg import Canvas, FigureManager
from matplotlib.backends.backend_agg import FigureCanvasAgg
from PIL import Image

from ..plots import draw_moving, hidden, split_for_blitting
from ..upstream import matplotlib_canvas as web_image

__all__ = ["LessonCanvas", "lesson_canvas"]


class LessonCanvas(Canvas):
    """An ipympl canvas that renders the ticks of its axes once and then only what changes.

    A draw renders the static part of the figure (each axes' face, ticks,
    tick labels and axis labels: most of the cost of a Matplotlib figure)
    into a background, kept for as long as the figure's axes keep their
    limits, labels and artists, then draws every other artist over it (see
    :func:`bpttviz.plots.split_for_blitting`): the blitting recipe of
    Matplotlib's animation guide, applied to every redraw. The image equals
    a full draw but where a tick mark meets an image or a collection.
    ``blit = False`` draws the whole figure every time.
    """

    blit = True

    def __init__(self, figure, *args, **kwargs):
        super().__init__(figure, *args, **kwargs)
        self._background = None
        self._static = None
        #: ``on_error(exc)`` is called with an error of :meth:`draw` instead of raising it:
        #: ipympl draws in its message handler, where a raised error reaches no one.
        self.on_error = None

    def forget_background(self):
        """Render the static part again at the next draw (after a change of size or resolution)."""
        self._background = None

    def draw(self):
        web_image.mark_image_stale(self)
        try:
            try:
                self._draw_over_background()
            except RuntimeError:
                # Once more from a full draw: right after a change of resolution FreeType
                # can fail on a glyph ("invalid outline") that a fresh render draws.
                self._background = None
                self._draw_over_background()
        except Exception as exc:
            self._background = None         # the next draw starts from a full one
            if self.on_error is None:
                raise
            self.on_error(exc)
        finally:
            self.manager.refresh_all()      # send the new image to the browser

    #: zlib level of the PNGs sent to the browser: the fastest, since a slider move waits for
    #: them; the image is the same at any level (PNG is lossless), only somewhat larger.
    png_compress_level = 1

    def get_diff_image(self):
        """The PNG ipympl sends after a draw: the whole image, or only the pixels that changed.

        Matplotlib's ``FigureCanvasWebAggCore.get_diff_image`` with a faster
        zlib level (:attr:`png_compress_level`): encoding is a noticeable part
        of what a slider move waits for, after drawing the figures
        (``docs/benchmarks.md``).
        """
        if not web_image.image_is_stale(self):
            return None
        pixels = np.asarray(self.get_renderer().buffer_rgba())
        buff = pixels.view(np.uint32).squeeze(2)       # one uint32 per pixel: one comparison
        last = web_image.last_image(self)
        if (web_image.whole_image_wanted(self) or buff.shape != last.shape
                or (pixels[:, :, 3] != 255).any()):    # transparency cannot be overlaid
            self.set_image_mode("full")
            output = buff
        else:
            self.set_image_mode("diff")
            output = np.where(buff != last, buff, 0)
        web_image.image_sent(self, buff.copy())
        data = output.view(dtype=np.uint8).reshape((*output.shape, 4))
        with BytesIO() as png:
            Image.fromarray(data).save(png, format="png", compress_level=self.png_compress_level)
            return png.getvalue()

    def prerender(self):
        """Render the figure now without sending it, so that the next draw reuses the background.

        For a kernel started ahead of its page (Voila's preheating): the
        browser's first draw then costs an update, not a full render. An error
        is left for that draw to show.
        """
        try:
            self._draw_over_background()
        except Exception:
            self._background = None

    def _draw_over_background(self):
        if not self.blit:
            FigureCanvasAgg.draw(self)
            return
        static, moving = split_for_blitting(self.figure)
        if self._background is None or static != self._static:
            with hidden(moving):
                FigureCanvasAgg.draw(self)
            self._background = self.copy_from_bbox(self.figure.bbox)
            self._static = static
        else:
            self.restore_region(self._background)
        draw_moving(self.figure, self.get_renderer())


def lesson_canvas(fig, on_error=None) -> LessonCanvas:
    """Attach a :class:`LessonCanvas` to ``fig`` (not registered with pyplot) and return it.

    ``on_error(exc)`` receives the errors of its draws, which run in ipympl's
    message handler. The canvas shows the figure alone: saving has its own
    buttons, and the space goes to the figures.
    """
    canvas = LessonCanvas(fig)
    FigureManager(canvas, 0)
    canvas.on_error = on_error
    canvas.header_visible = False
    canvas.footer_visible = False
    canvas.resizable = False
    canvas.toolbar_visible = False
    return canvas
