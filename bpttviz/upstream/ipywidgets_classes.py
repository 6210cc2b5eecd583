"""ipywidgets' DOM classes given when a widget is made, not added after.

A widget opens its comm (a message to the page with its whole state) as it is made;
``add_class`` afterwards sends a second message. A lesson page makes about 100-170 widgets,
50 of them with a class: in the lecture hall, where every message of every page passes
through one process, the second messages were a fifth of a page's. The trait that
``add_class`` sets, ``_dom_classes``, is given to the constructor instead.
"""

from __future__ import annotations

PRIVATE_NAMES = (
    ("ipywidgets.widgets.domwidget.DOMWidget", "_dom_classes"),
)


def classed(widget_class, *classes: str, **kwargs):
    """``widget_class(**kwargs)`` carrying the DOM classes ``classes`` from its first message
    (as ``add_class`` of each would, without a message each)."""
    return widget_class(_dom_classes=tuple(dict.fromkeys(classes)), **kwargs)
