"""The page's notices: a coloured box with a message (an error, a note, a piece of news).

The words a lesson says about its result (the readout under the controls,
overflow notes) are the lesson's: :mod:`bpttviz.lessons.common`.
"""

from __future__ import annotations

import html

from ..figures import OKABE_ITO
from ..lessons.common import overflow_notes, readout_html

__all__ = ["notice_html", "readout_html", "overflow_notes"]


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
