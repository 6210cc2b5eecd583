"""The page's query string: the settings a link asks a lesson for."""

from __future__ import annotations

from urllib.parse import parse_qs

__all__ = ["parse_query", "IGNORED_QUERY_KEYS", "PAGE_KEYS"]

#: Query-string keys that belong to Voila or Jupyter, not to a lesson.
IGNORED_QUERY_KEYS = frozenset({"template", "theme", "token", "voila-template", "voila-theme"})
#: Query-string keys that set how the page shows a lesson, not a control of it: every lesson
#: accepts them (``LessonApp.page_options``).
PAGE_KEYS = frozenset({"projector", "step", "hide", "lock"})


def parse_query(query: str | None) -> dict:
    """``{key: value}`` from a query string like ``"k1=5&k2=20"`` (the last repeat wins).

    A leading ``?`` is allowed; Voila's and Jupyter's own keys
    (:data:`IGNORED_QUERY_KEYS`) are left out.
    """
    query = (query or "").lstrip("?")
    parsed = parse_qs(query, keep_blank_values=True)
    return {k: v[-1] for k, v in parsed.items() if k not in IGNORED_QUERY_KEYS}
