"""A lesson's page as the kernel holds it, driven from Python as a user drives it from the page.

Setting a widget's value is what the browser does when a user moves a control; a click on a
figure arrives as the custom message :func:`click` sends, a press on its save button as the
one :func:`press_save` sends. What a figure shows is read from
the record its live figure shows (``app.figures[name].record``): the numbers the page draws.
The calls a change makes are counted with conftest.py's ``counted`` fixtures.
"""

import re
from html import unescape

from bpttviz import figures


def text_of(html):
    """The text of an HTML snippet, tags dropped and entities read (``&#x27;`` is ')."""
    return unescape(re.sub(r"<[^>]+>", "", html))


def panel_marks(app, name, panel=0):
    """The marks of a panel of the figure the page shows."""
    return app.figures[name].record.panels[panel].marks


def marks_of(app, name, kind, panel=0):
    """The marks of type ``kind`` ("Line", "Points", ...) the page shows in a panel."""
    return [m for m in panel_marks(app, name, panel) if type(m).__name__ == kind]


def labelled(app, name, label, panel=0):
    """The mark labelled ``label`` in a panel of the figure the page shows."""
    return next(m for m in panel_marks(app, name, panel) if getattr(m, "label", None) == label)


def texts(app, name, panel=0):
    """Every text written on a panel of the figure the page shows, in one string."""
    return "\n".join(m.text for m in marks_of(app, name, "Text", panel))


def curves(app, name):
    """The labelled data lines of a figure the page shows (one per series)."""
    return [m for m in marks_of(app, name, "Line") if m.label and m.dash == "solid"]


def versions(app):
    """How many records each live figure has shown."""
    return {name: fig.version for name, fig in app.figures.items()}


def descendants(widget):
    """Every widget inside ``widget``'s layout."""
    out, stack = [], [widget]
    while stack:
        w = stack.pop()
        out.append(w)
        stack.extend(getattr(w, "children", ()))
    return out


def click(fig, content):
    """What ipywidgets does with a custom message from the page."""
    fig._handle_msg({"content": {"data": {"method": "custom", "content": content}},
                     "buffers": []})


#: What a saved file starts with: a PNG's signature, an SVG's XML declaration.
SIGNATURES = {"png": b"\x89PNG\r\n\x1a\n", "svg": b"<?xml"}


def press_save(fig, fmt):
    """What the page sends when its user presses the live figure's save button for ``fmt``;
    returns the custom messages the kernel answered with, as its comm sent them: a list of
    ``(content, buffers)``, the buffers as bytes."""
    sent = []
    comm = fig.comm
    own = vars(comm).get("send")        # a send of its own (another test's), put back after
    real = comm.send

    def send(data=None, metadata=None, buffers=None):
        sent.append((data, [bytes(b) for b in buffers or ()]))
        return real(data=data, metadata=metadata, buffers=buffers)

    comm.send = send
    try:
        click(fig, {"type": "save", "format": fmt})
    finally:
        if own is None:
            del comm.send
        else:
            comm.send = own
    return [(data["content"], buffers) for data, buffers in sent if data["method"] == "custom"]


# --- what every lesson's page is checked for ----------------------------------------------------
def assert_same_as_a_fresh_page(cls, control, values):
    """After each change of ``control`` to the next of ``values``, every figure of a page of
    ``cls`` shows what a fresh page opened at its link shows."""
    app = cls(query="")
    for value in values:
        app.widgets[control].value = value
        fresh = cls(query=app.query_string())
        for name in app.figures:
            assert figures.records_equal(app.figures[name].record, fresh.figures[name].record), \
                f"{name} after {control}={value}"
        fresh.close()
    app.close()


def assert_sends_only(cls, control, value, redrawn):
    """A change of ``control`` to ``value`` sends the figures ``redrawn``, each once, and no
    other."""
    app = cls(query="")
    before = versions(app)
    app.widgets[control].value = value
    after = versions(app)
    assert {name for name in after if after[name] != before[name]} == redrawn
    assert all(after[name] - before[name] <= 1 for name in after)       # each sent once
    assert app.message.value == ""


# --- messages to and from the browser ----------------------------------------------------------
def forged_update(widget, **state):
    """Deliver ``{"method": "update", "state": state}`` to ``widget`` as ipywidgets' comm
    handler delivers a message from the browser: the path a forged message takes."""
    widget._handle_msg({"content": {"data": {"method": "update", "state": state,
                                             "buffer_paths": []}}, "buffers": []})


def sent_messages(widget, monkeypatch):
    """The messages the widget sends to the browser from now on."""
    sent = []
    monkeypatch.setattr(widget, "_send", lambda msg, buffers=None: sent.append(msg))
    return sent
