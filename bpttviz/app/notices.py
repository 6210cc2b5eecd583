"""The page's notices: a coloured box with a message (an error, a note, a piece of news).

The words a lesson says about its result (the readout under the controls,
overflow notes) are the lesson's: :mod:`bpttviz.lessons.common`.
"""

from __future__ import annotations

import html

import ipywidgets as widgets

from ..figures import OKABE_ITO
from ..lessons.common import overflow_notes, readout_html
from ..upstream.ipywidgets_classes import classed

__all__ = ["notice_html", "readout_html", "overflow_notes", "NoticeWidgets"]


_NOTICE_STYLE = {
    "error": ("#fbe9e0", OKABE_ITO["vermillion"], "Something went wrong"),
    "warning": ("#fdf4dc", OKABE_ITO["orange"], "Note"),
    "info": ("#e6f1f8", OKABE_ITO["blue"], ""),
}


def notice_html(lines, level="info") -> str:
    """A coloured box with one paragraph per line (escaped), or "" for no lines."""
    if isinstance(lines, str):
        lines = [lines]
    lines = [str(x) for x in lines if x]
    if not lines:
        return ""
    bg, edge, head = _NOTICE_STYLE[level]
    body = "".join(f"<div>{html.escape(x)}</div>" for x in lines)
    title = f"<b>{head}</b>" if head else ""
    return (f'<div class="bpttviz-notice bpttviz-{level}" style="background:{bg};'
            f'border-left:5px solid {edge};padding:6px 10px;margin:4px 0;font-size:14px;'
            f'line-height:1.35;white-space:normal">{title}{body}</div>')


class NoticeWidgets:
    """Makes a page's notice widgets: HTML widgets whose look never changes, sharing one
    Layout and one HTMLStyle.

    Each widget is a model the page is sent as it is built, and an HTML widget brings a Layout
    and an HTMLStyle of its own: three models where one does. In a lecture hall every page of
    a class is built by one process, at once; the class view's notices (an answer waiting, a
    pause, a result sent) are on every page and mostly empty. Their layout is never changed,
    so one shared Layout is safe: a widget that hides or resizes itself needs its own.
    """

    def __init__(self):
        self.layout = self.style = None

    def __call__(self, *dom_classes: str, **kwargs) -> widgets.HTML:
        """An HTML widget carrying ``dom_classes``, with the shared Layout and HTMLStyle (the
        first one's)."""
        if self.layout is None:
            made = classed(widgets.HTML, *dom_classes, **kwargs)
            self.layout, self.style = made.layout, made.style
            return made
        return classed(widgets.HTML, *dom_classes, layout=self.layout, style=self.style,
                       **kwargs)
