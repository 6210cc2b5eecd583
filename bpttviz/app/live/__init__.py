"""The live figure: a widget whose model is a figure record, drawn by the browser.

The kernel computes and sends numbers; the page draws them on a canvas
(``figure.js``, shipped with the package and loaded by anywidget: no network,
no build step, the same in Voila, JupyterLab and the slides). A record's
JSON (axes, styles, array names) and the arrays the page has not got yet (as
binary buffers, each once: see :mod:`.encode`) travel together in one state
update; a view that joins later (a reloaded page, a second view in
JupyterLab) draws from the state and asks for the arrays it lacks (they come
back in a custom message).

The widget's element (it carries the widget's DOM classes) holds the figure's own,
``.bpttviz-live``, which carries ``data-drawn``, the ``version`` it last drew, and
``bpttvizFigure``, the record it drew with its arrays decoded: what tests and
benchmarks read. Under it, a figure that is ``saveable`` has its save row
(``.bpttviz-saver``): "Save as", a PNG and an SVG button, drawn by the page with no
widget of their own. A press asks the kernel (a custom message ``{"type": "save",
"format"}``, to the :meth:`LiveFigure.on_save` callback), which answers with the
file (:meth:`LiveFigure.send_file`: its bytes as a buffer) or why not
(:meth:`LiveFigure.send_save_error`); the page links the file for download.
"""

from __future__ import annotations

from pathlib import Path

import anywidget
import numpy as np
import traitlets

from .encode import encode

__all__ = ["LiveFigure", "encode"]


class LiveFigure(anywidget.AnyWidget):
    """A :class:`bpttviz.figures.Figure` drawn by the browser.

    :meth:`show` replaces the record; only arrays the page has not got are
    sent. ``scale`` enlarges type, lines and size together (projector mode).
    """

    # The module's text, not its path: anywidget watches a path's file for changes and keeps
    # every widget made from it for as long as the class lives (a closed page never freed).
    _esm = Path(__file__).with_name("figure.js").read_text(encoding="utf-8")
    spec = traitlets.Dict().tag(sync=True)
    scale = traitlets.Float(1.0).tag(sync=True)
    #: Counts the records shown; the page sets ``data-drawn`` to it once it has drawn one.
    version = traitlets.Int(0).tag(sync=True)
    #: What the figure shows, in words (its text alternative).
    description = traitlets.Unicode("").tag(sync=True)
    #: The arrays of the latest record that the page had not got: ``{ref: bytes}``.
    arrays = traitlets.Dict().tag(sync=True)
    #: Whether the page shows the save buttons under the figure (an :meth:`on_save` callback
    #: answers them: :class:`bpttviz.app.FigureSaver` sets both).
    saveable = traitlets.Bool(False).tag(sync=True)

    def __init__(self, record=None, **kwargs):
        super().__init__(**kwargs)
        self._store = {}            # ref -> bytes of every array the current spec names
        self._places = {}
        self._click_handlers = []
        self._save_handler = None
        self.record = None
        #: Bytes of arrays sent so far (JSON state aside).
        self.bytes_sent = 0
        self.on_msg(self._answer)
        if record is not None:
            self.show(record)

    def show(self, record, description=None):
        """Draw ``record`` (described by ``description``, if given): one state update with its
        JSON and the arrays the page lacks."""
        spec, arrays, places = encode(record, self._places)
        store = {ref: raw if raw is not None else self._store[ref] for ref, raw in arrays.items()}
        new = {ref: raw for ref, raw in store.items() if ref not in self._store}
        self.bytes_sent += sum(len(b) for b in new.values())
        self._store, self._places = store, places
        self.record = record
        with self.hold_sync():
            self.arrays = new
            self.spec = spec
            self.version += 1
            if description is not None:
                self.description = description

    def _send_arrays(self, refs, store):
        buffers = [store[r] for r in refs]
        self.bytes_sent += sum(len(b) for b in buffers)
        self.send({"type": "arrays", "refs": list(refs)}, buffers=buffers)

    def on_click(self, callback):
        """Call ``callback(panel, x, y)`` when the page's user clicks inside a panel's axes
        (``x``, ``y`` in its data coordinates)."""
        self._click_handlers.append(callback)

    def on_save(self, callback):
        """Call ``callback(fmt)`` when the page's user presses a save button, ``fmt`` as the
        page sent it (``"png"``, ``"svg"``, or anything a message can carry: the callback
        checks it). The callback answers with :meth:`send_file` or :meth:`send_save_error`;
        it replaces an earlier one."""
        self._save_handler = callback

    def send_file(self, fmt: str, name: str, mime: str, data: bytes):
        """Give the page the figure saved as ``fmt``: a file ``name`` of type ``mime``, which
        its save row links for download. One custom message, the bytes as its buffer."""
        self.send({"type": "file", "format": fmt, "name": name, "mime": mime},
                  buffers=[bytes(data)])

    def send_save_error(self, text: str):
        """Tell the page why its figure could not be saved; it shows ``text`` by the buttons."""
        self.send({"type": "save-error", "text": str(text)})

    def _answer(self, _widget, content, _buffers):
        """A view asks for arrays it lacks (it joined after they were sent), reports a click, or
        asks for the figure as a file."""
        if not isinstance(content, dict):
            return
        if content.get("type") == "click":
            self._clicked(content)
            return
        if content.get("type") == "save":
            if self._save_handler is None:
                self.send_save_error("This figure cannot be saved.")
            else:
                self._save_handler(content.get("format"))
            return
        if content.get("type") != "need":
            return
        refs = content.get("refs")
        if not isinstance(refs, list):
            return
        known = [r for r in refs[:1024] if isinstance(r, str) and r in self._store]
        if known:
            self._send_arrays(known, self._store)

    def _clicked(self, content):
        """A click from the page: checked like any input from outside (numbers, a real panel)."""
        panel, x, y = content.get("panel"), content.get("x"), content.get("y")
        panels = len(self.record.panels) if self.record is not None else 0
        if not (isinstance(panel, int) and not isinstance(panel, bool) and 0 <= panel < panels):
            return
        if not all(isinstance(v, (int, float)) and not isinstance(v, bool) and np.isfinite(v)
                   for v in (x, y)):
            return
        for callback in self._click_handlers:
            callback(panel, float(x), float(y))
