"""The link to a lesson's configuration: the address that opens the page as it is now.

Every setting of the lesson goes into the link's query string (in the
controls' order), with the guided step shown and the teacher's ``hide`` and
``lock`` choices, so that opening the link builds the same app
(``App(query=...)``). Served (``bpttviz serve``, Voila) the link is the page's own
address; where no address is known (JupyterLab, a script) the page shows the query
string with how to use it: a query added to JupyterLab's address does nothing.
"""

from __future__ import annotations

import html
import os
from urllib.parse import urlencode, urlsplit, urlunsplit

import ipywidgets as widgets

from ..upstream.ipywidgets_classes import classed

__all__ = ["PageLink"]


class PageLink:
    """The "Link to this configuration" of a lesson's page.

    Parameters
    ----------
    controls : tuple of Control
        The lesson's controls, in the order the link lists them.
    refusal : callable
        ``refusal(name, value) -> str``: why a link cannot carry that value ("" when it can;
        :meth:`bpttviz.lessons.Lesson.link_refusal`).
    note : callable
        ``note(values) -> str``: what the page says beside its link.
    extra : callable
        ``extra() -> [(key, text), ...]``: the page's own entries after the settings (the
        guided step shown, the teacher's ``hide`` and ``lock``).
    page_url : callable
        ``page_url() -> str or None``: the page's address (None: Voila's
        ``VOILA_REQUEST_URL``).
    on_shown : callable
        ``on_shown(values)``: called each time the link is shown (the class link follows).

    Attributes
    ----------
    widget : ipywidgets.HTML
        The link as the page shows it.
    """

    def __init__(self, controls, refusal, note, extra, page_url, on_shown):
        self.controls = tuple(controls)
        self.refusal, self.note, self.extra = refusal, note, extra
        self.page_url, self.on_shown = page_url, on_shown
        self.widget = classed(widgets.HTML, "bpttviz-link")

    def settings(self, values: dict) -> list:
        """``(name, text)`` of every control at ``values`` that a link can carry, in the
        controls' order."""
        return [(c.name, c.format(values[c.name])) for c in self.controls
                if c.name in values and not self.refusal(c.name, values[c.name])]

    def query_string(self, values: dict) -> str:
        """The query string that reproduces ``values``, the step shown and the teacher's choices."""
        return urlencode(self.settings(values) + list(self.extra()), safe=",")

    def url(self, query: str) -> str:
        """This page's address with ``query``; ``"?" + query`` where the address is not known."""
        page = self.page_url() or os.environ.get("VOILA_REQUEST_URL", "")
        if not page:
            return "?" + query
        parts = urlsplit(page)
        return urlunsplit((parts.scheme, parts.netloc, parts.path, query, ""))

    def show(self, values: dict):
        """Show the link to ``values`` in the page, and the class link made from them."""
        url = self.url(self.query_string(values))
        shown = html.escape(url)
        if url.startswith("?"):
            link = ('<span style="word-break:normal">Open this lesson with <code>bpttviz '
                    f'serve</code> and add this to its address:</span> <code>{shown}</code>')
        else:
            link = f'<a href="{shown}" target="_blank">{shown}</a>'
        note = self.note(values)
        note = (f'<div class="bpttviz-link-note" style="word-break:normal"><i>'
                f'{html.escape(note)}</i></div>' if note else "")
        self.widget.value = (f'<div style="font-size:13px;word-break:break-all">'
                             f'<b>Link to this configuration:</b><br>'
                             f'{link}{note}</div>')
        self.on_shown(values)
