"""The page's "Your data" panel: a file input, the column choice, a preview and one message.

The file input is :class:`~bpttviz.app.filechooser.FileChooser` (not ``FileUpload``, which
drops a large file silently): of a file over MAX_BYTES it sends only MAX_BYTES + 1 bytes,
which the kernel refuses. The bytes are read in memory (:mod:`bpttviz.lessons.your_data`),
never written to the server's disk, and stay with the page that received them.
"""

from __future__ import annotations

import ipywidgets as widgets

from .._files import MAX_BYTES
from ..lessons.your_data import ACCEPT, UserData, preview_record, read_upload, size_text, summary
from ..upstream.ipywidgets_classes import classed
from .controls import CONTROL_WIDTH, LABEL_WIDTH
from .filechooser import FileChooser
from .live import LiveFigure
from .notices import notice_html

__all__ = ["YourDataPanel"]


class YourDataPanel:
    """The upload control, the column choice, the preview and the message of "Your data".

    Parameters
    ----------
    on_data : callable
        Called with a :class:`UserData` once a file (or a column) has been
        read without error; what it raises is shown in the panel as well.

    Attributes
    ----------
    data : UserData or None
        The last file read without error.
    widget : ipywidgets.VBox
    upload, column : the FileUpload and the column Dropdown
    preview : LiveFigure
    message : ipywidgets.HTML
        The one message about the last file: what was read, or why it was refused.
    """

    def __init__(self, on_data):
        self.on_data = on_data
        self.data = None
        self.uploads = 0
        self._choosing = False          # the column menu set by the kernel, not by the user
        style = {"description_width": LABEL_WIDTH}
        self.intro = widgets.HTML(
            "<div style='font-size:14px'><b>Your data</b>: a CSV or TSV file (a column of "
            "numbers) or a .txt file (a text), at most "
            f"{MAX_BYTES // 1024 // 1024} MB. It stays in this page's kernel; it is not saved "
            "on the server.</div>")
        self.upload = FileChooser(self.receive, description="Your file (.csv, .tsv, .txt)",
                                  tooltip="Upload a .csv, .tsv or .txt file",
                                  accept=ACCEPT, max_bytes=MAX_BYTES)
        self.upload.add_class("bpttviz-upload")
        self.column = classed(widgets.Dropdown, "bpttviz-upload-column", description="column",
                              options=[], style=style,
                              layout=widgets.Layout(width=CONTROL_WIDTH, display="none"),
                              tooltip="The column of numbers to predict")
        # In the page only once it shows a series: an empty figure is nothing to draw.
        self.preview = LiveFigure()
        self.preview.add_class("bpttviz-upload-preview")
        self.message = classed(widgets.HTML, "bpttviz-upload-message")
        self.widget = classed(widgets.VBox, "bpttviz-your-data",
                              children=[self.intro, self.upload, self.column, self.message],
                              layout=widgets.Layout(display="none", margin="4px 0"))
        self.column.observe(self._column_chosen, names="value")

    def show(self, on: bool):
        self.widget.layout.display = None if on else "none"

    # -- the user's moves ---------------------------------------------------------------------
    def receive(self, filename, content, size=None) -> bool:
        """Read ``content`` (the upload of ``filename``, ``size`` bytes as the browser said);
        show the data or say why not."""
        self.uploads += 1
        if not isinstance(size, int) or isinstance(size, bool):
            try:
                size = len(content)
            except TypeError:
                size = None
        if size is not None and isinstance(filename, str):
            # A large file takes a few seconds to read: the page says so meanwhile.
            self.message.value = notice_html(
                [f"Reading {filename!r} ({size_text(size)})…"], "info")
        try:
            data = read_upload(filename, content, key=(self.uploads,), size=size)
            self.on_data(data)
        except Exception as exc:
            self.refuse(repr(filename) if isinstance(filename, str) else "the file", exc)
            return False
        self.accept(data)
        return True

    def _column_chosen(self, change):
        if self._choosing or self.data is None or change["new"] is None:
            return
        data = self.data
        try:
            new = read_upload(data.filename, data.content, key=data.key[:1],
                              column=change["new"])
            self.on_data(new)
        except Exception as exc:
            self.refuse(f"column {data.columns.names[change['new']]!r} of {data.filename!r}", exc)
            self._set_column(data)                  # the menu shows what the lesson uses
            return
        self.accept(new)

    # -- what the panel shows --------------------------------------------------------------------
    def accept(self, data: UserData):
        self.data = data
        self._set_column(data)
        record = preview_record(data)
        if record is not None:
            self.preview.show(record, f"The series read: {data.length} values of column "
                                      f"{data.columns.names[data.column]!r}.")
        shown = [self.intro, self.upload, self.column] + (
            [self.preview] if record is not None else []) + [self.message]
        if list(self.widget.children) != shown:
            self.widget.children = shown
        self.message.value = notice_html([summary(data)], "info")

    def refuse(self, what, exc):
        kept = (f"Nothing changed: the lesson still uses {self.data.label}." if self.data else
                "Nothing changed: the lesson still shows the task it showed.")
        self.message.value = notice_html([f"Could not read {what}: {exc}", kept], "error")

    def _set_column(self, data):
        self._choosing = True
        try:
            if data.kind == "series":
                self.column.options = [(data.columns.names[j], j) for j in data.columns.numeric]
                self.column.value = data.column
                self.column.layout.display = None
            else:
                self.column.options = []
                self.column.layout.display = "none"
        finally:
            self._choosing = False

    def waiting_text(self) -> str:
        return notice_html(["Choose a file to train on your data; until then the figures show "
                            "the task shown before."], "info")
