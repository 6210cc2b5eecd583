"""A labelled file input whose file reaches the kernel: :class:`FileChooser`.

Not ``ipywidgets.FileUpload``: FileUpload sends the whole file in one message, and a file
past the server's limit on a message (10 MB, Tornado's default) is dropped with the
connection, the page saying nothing; its ``<input>`` is not in the document either, so no
label names it. FileChooser's input is labelled, and of a file over ``max_bytes`` sends
only the first ``max_bytes + 1`` bytes, enough for the kernel to refuse it.
"""

from __future__ import annotations

from pathlib import Path

import anywidget
import traitlets

__all__ = ["FileChooser"]


class FileChooser(anywidget.AnyWidget):
    """A labelled file input whose file goes to ``on_file(name, content, size)`` in the kernel.

    One file at a time; the bytes arrive in one custom message, none is kept in the
    widget's state.
    """

    # The module's text, not its path: anywidget watches a path's file for changes and keeps
    # every widget made from it for as long as the class lives (a closed page never freed).
    _esm = Path(__file__).with_name("filechooser.js").read_text(encoding="utf-8")
    description = traitlets.Unicode("Choose a file").tag(sync=True)
    tooltip = traitlets.Unicode("").tag(sync=True)
    accept = traitlets.Unicode("").tag(sync=True)
    max_bytes = traitlets.Int(5_000_000).tag(sync=True)

    def __init__(self, on_file, **kwargs):
        super().__init__(**kwargs)
        self.on_file = on_file
        self.on_msg(self._message)

    def _message(self, _, content, buffers):
        # From the page, checked: any message may reach a kernel's widget.
        if not isinstance(content, dict) or content.get("type") != "file":
            return
        data = buffers[0] if buffers else b""
        self.on_file(content.get("name"), data, content.get("size"))
