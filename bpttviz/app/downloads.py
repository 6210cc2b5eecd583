"""Figure downloads: the record a figure shows, drawn by Matplotlib and offered as PNG or SVG."""

from __future__ import annotations

import reprlib
from typing import NamedTuple

__all__ = ["FigureSaver", "SavedFile"]


class SavedFile(NamedTuple):
    """A figure as a file, as it was sent to the page."""

    name: str       #: the name the browser saves it under (``<stem>.<format>``)
    mime: str
    data: bytes


class FigureSaver:
    """A live figure's save buttons: the figure as the PNG or SVG file the browser downloads.

    The buttons are the live figure's own (``figure``, a
    :class:`~bpttviz.app.live.LiveFigure`, made ``saveable``: its page draws them, no
    widget of their own). A press draws the record the page shows (``record()`` returns
    it) with Matplotlib in the kernel and sends the file to the page, which offers it as
    a link named ``<stem>.<format>``; the same in Voila, JupyterLab and the lecture hall.
    A save that fails is said beside the buttons and passed to ``on_error(action, exc)``
    (the app's message).
    """

    FORMATS = {"png": "image/png", "svg": "image/svg+xml"}

    def __init__(self, record, stem: str, on_error=None, figure=None):
        self.record, self.stem, self.on_error, self.figure = record, stem, on_error, figure
        if figure is not None:
            figure.on_save(self._asked)
            figure.saveable = True

    def render(self, fmt: str) -> bytes:
        """The figure as ``fmt`` ("png" or "svg") bytes."""
        if not isinstance(fmt, str) or fmt not in self.FORMATS:
            raise ValueError(f"A figure can be saved as {' or '.join(self.FORMATS)}. "
                             f"Got {reprlib.repr(fmt)} instead.")    # a page's, kept short
        record = self.record()
        if record is None:
            raise ValueError("The figure has not been drawn yet: there is nothing to save.")
        # Matplotlib is imported on the first download, not with every kernel: a page draws
        # its figures in the browser.
        from ..plots import save
        return save(record, fmt=fmt)

    def offer(self, fmt: str) -> SavedFile:
        """Render the figure as ``fmt`` and send the file to the page, whose save row links it
        for download; returns the file sent (its name, type and bytes)."""
        if self.figure is None:
            raise ValueError("This saver has no live figure to offer its file in.")
        data = self.render(fmt)
        file = SavedFile(f"{self.stem}.{fmt}", self.FORMATS[fmt], data)
        self.figure.send_file(fmt, file.name, file.mime, file.data)
        return file

    def _asked(self, fmt):
        """A save button pressed in the page: the file, or why not, said in the page and never
        raised into the comm handler."""
        try:
            self.offer(fmt)
        except Exception as exc:
            action = f"save the figure as {str(fmt)[:12].upper()}"
            self.figure.send_save_error(f"Could not {action}: {str(exc) or type(exc).__name__}")
            if self.on_error is not None:
                self.on_error(action, exc)
