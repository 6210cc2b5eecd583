"""The link to a lesson's configuration: the address that opens the page as it is now.

Every setting of the lesson goes into the link's query string (in the
controls' order), with the guided step shown and the teacher's ``hide`` and
``lock`` choices, so that opening the link builds the same app
(``App(query=...)``). Under Voila the link is the page's own address; without
it (JupyterLab, a script) only the query string, to add to the lesson's
address.
"""

from __future__ import annotations

import html
import os
from urllib.parse import urlencode, urlsplit, urlunsplit

import ipywidgets as widgets

__all__ = ["PageLink"]


class PageLink:
    """The "Link to this configuration" of a :class:`~bpttviz.app.base.LessonApp`.

    Parameters
    ----------
    app : LessonApp
        Its ``page_url`` (None: Voila's ``VOILA_REQUEST_URL``) is the page's address.

    Attributes
    ----------
    widget : ipywidgets.HTML
        The link as the page shows it.
    """

    def __init__(self, app):
        self.app = app
        self.widget = widgets.HTML()
        self.widget.add_class("bpttviz-link")

    def settings(self, values: dict) -> list:
        """``(name, text)`` of every control at ``values`` that a link can carry
        (:meth:`~bpttviz.app.base.LessonApp.link_settings`), in the controls' order."""
        values = self.app.link_settings(values)
        return [(c.name, c.format(values[c.name])) for c in self.app.controls if c.name in values]

    def query_string(self, values: dict) -> str:
        """The query string that reproduces ``values``, the step shown and the teacher's choices."""
        app = self.app
        return urlencode(self.settings(values) + app.steps.query_pairs()
                         + app.teacher.link_items(), safe=",")

    def url(self, query: str) -> str:
        """This page's address with ``query``; ``"?" + query`` where the address is not known."""
        page = self.app.page_url or os.environ.get("VOILA_REQUEST_URL", "")
        if not page:
            return "?" + query
        parts = urlsplit(page)
        return urlunsplit((parts.scheme, parts.netloc, parts.path, query, ""))

    def show(self, values: dict):
        """Show the link to ``values`` in the page, and the class link made from them."""
        url = self.url(self.query_string(values))
        shown = html.escape(url)
        hint = ("" if url.startswith("http") else
                " <i>(add it to the lesson's Voilà address)</i>")
        note = self.app.link_note(values)
        note = (f'<div class="bpttviz-link-note" style="word-break:normal"><i>'
                f'{html.escape(note)}</i></div>' if note else "")
        self.widget.value = (f'<div style="font-size:13px;word-break:break-all">'
                             f'<b>Link to this configuration:</b><br>'
                             f'<a href="{shown}" target="_blank">{shown}</a>{hint}{note}</div>')
        self.app.teacher.refresh(values)
