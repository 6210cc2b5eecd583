"""Lesson 4's "Your data": a file the user uploads, read in the page's kernel, as a task.

A CSV (or TSV) file becomes a :class:`bpttviz.tasks.Series` of the column the
user chooses; a text file a :class:`bpttviz.tasks.CharLM` of its characters.
The bytes arrive with the upload and are parsed in memory: the file is
never written to the server's disk, and lives only in the kernel of the page
that received it (a page's link cannot carry it).

Every check happens before anything of the running lesson changes: the size
on the bytes received (:data:`~bpttviz.tasks.MAX_BYTES`), then the API's own
readers, whose ValueError says what is wrong and where. A bad file leaves
the task, the figures and the results as they were; the page says why, once.

The file input is :class:`~bpttviz.app.filechooser.FileChooser` (not ``FileUpload``, which
drops a large file silently): of a file over MAX_BYTES it sends only MAX_BYTES + 1 bytes,
which the kernel refuses.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import ipywidgets as widgets
import numpy as np

from ... import figures
from ..._files import MAX_BYTES, check_size
from ...tasks import CharLM, Columns, Series
from ..controls import CONTROL_WIDTH, LABEL_WIDTH
from ..filechooser import FileChooser
from ..live import LiveFigure
from ..notices import notice_html

__all__ = ["ACCEPT", "UserData", "read_upload", "sensible_T", "YourDataPanel"]

#: The files the upload control offers (the browser's hint; the kernel checks the name again).
ACCEPT = ".csv,.txt,.tsv"
SERIES_SUFFIXES = (".csv", ".tsv")
TEXT_SUFFIXES = (".txt",)
#: The lesson's range of T (its slider): the shortest file must hold T_LOW + 1 values.
T_LOW, T_HIGH = 10, 60
#: T is at most this fraction of the series, so that windows start at many places.
T_FRACTION = 5
#: Most points the preview draws (every k-th value of a longer series).
PREVIEW_POINTS = 2000
PREVIEW_PX = (360, 190)


def sensible_T(n: int) -> int:
    """T for data of ``n`` values (or characters): a fifth of them, within the lesson's range.

    With T <= n / 5 a window starts at 4n/5 places or more, so a batch of 32 is
    not the same few windows again; T_HIGH keeps an update quick.
    """
    return int(min(T_HIGH, max(T_LOW, n // T_FRACTION), n - 1))


@dataclass(frozen=True)
class UserData:
    """A file read for the lesson: a series (one column of a CSV file) or a text.

    Attributes
    ----------
    kind : {"series", "text"}
    filename : str
    content : bytes
        The file as received (kept in this kernel only, to read another column).
    key : tuple
        Names this reading (upload number, column) for the lesson's caches.
    columns : bpttviz.tasks.Columns or None
        The CSV file's columns; None for a text.
    column : int or None
        The column read (0-based).
    task : Series or CharLM
        The data read with T = T_LOW (the shortest T the lesson offers).
    """

    kind: str
    filename: str
    content: bytes
    key: tuple
    columns: Columns | None
    column: int | None
    task: object

    @property
    def length(self) -> int:
        """Values of the series, or characters of the text."""
        return self.task.N if self.kind == "series" else len(self.task.text)

    @property
    def max_T(self) -> int:
        """The longest T the data holds (one value is the target of the last step)."""
        return int(self.task.max_seq_len)

    @property
    def label(self) -> str:
        """What the data is, in a few words."""
        if self.kind == "text":
            return f"text {self.filename!r}"
        return f"{self.filename!r}, column {self.columns.names[self.column]!r}"

    def make_task(self, T: int):
        """The lesson's task over ``T`` steps (no file read again)."""
        if self.kind == "text":
            return CharLM(self.task.text, seq_len=T)
        return Series(self.task.values, T=T, name=self.task.name)


def _size_text(n: int) -> str:
    return f"{n / 1024 / 1024:.1f} MB" if n >= 1024 * 1024 else f"{max(1, round(n / 1024))} KB"


def _kind(filename: str) -> str:
    suffix = os.path.splitext(filename)[1].lower()
    if suffix in SERIES_SUFFIXES:
        return "series"
    if suffix in TEXT_SUFFIXES:
        return "text"
    raise ValueError(f"The file must end in .csv or .tsv (a series) or .txt (a text). "
                     f"Got {filename!r} instead.")


def read_upload(filename, content, key=(0,), column=None, size=None) -> UserData:
    """Read an uploaded file: checks first (its size on the bytes received), then the API's.

    Parameters
    ----------
    filename : str
        The name the browser gave; its ending says series (.csv, .tsv) or text (.txt).
    content : bytes-like
        The file's bytes.
    key : tuple
        The reading's name for caches (:attr:`UserData.key` adds the column).
    column : int, optional
        The CSV column to read (default: the one ``Series.from_csv`` reads).
    size : int, optional
        The file's size as the browser declared it (the page sends only the first
        MAX_BYTES + 1 bytes of a larger file).

    Raises
    ------
    ValueError
        The API's message for a bad file (or its size, checked first).
    """
    if not isinstance(filename, str):
        raise ValueError(f"The upload must name its file. Got {type(filename).__name__} instead.")
    try:
        content = bytes(content)
    except TypeError:
        raise ValueError(f"The upload must carry the file's bytes. Got "
                         f"{type(content).__name__} instead.") from None
    kind = _kind(filename)
    func = "Series.from_csv" if kind == "series" else "CharLM.from_file"
    declared = size if isinstance(size, int) and not isinstance(size, bool) else 0
    check_size(max(len(content), declared), func)     # before any parsing
    if kind == "text":
        task = CharLM.from_file(content, seq_len=T_LOW)
        return UserData(kind, filename, content, tuple(key), None, None, task)
    columns = Series.columns(content)
    column = columns.default if column is None else column
    task = Series.from_csv(content, column, T=T_LOW)
    return UserData(kind, filename, content, tuple(key) + (column,), columns, column, task)


def preview_record(data: UserData):
    """A small figure of the series read (None for a text)."""
    if data.kind != "series":
        return None
    y = data.task.values
    step = max(1, -(-len(y) // PREVIEW_POINTS))
    x = np.arange(len(y))[::step]
    every = f" (every {step}th shown)" if step > 1 else ""
    name = data.columns.names[data.column]
    return figures.lines(x, [y[::step]], [name], log=False, title=f"{name}{every}",
                         xlabel="row", ylabel=name, legend=None, size=PREVIEW_PX)


def summary(data: UserData) -> str:
    """What was read, in a sentence (plain text)."""
    if data.kind == "text":
        t = data.task
        return (f"Read {data.filename!r}: {len(t.text):,} characters, {t.vocab.size} different; "
                f"the network predicts each next character.")
    cols = data.columns
    numeric = len(cols.numeric)
    return (f"Read {data.filename!r}: {data.length:,} values in column "
            f"{cols.names[data.column]!r} ({numeric} of its {len(cols.names)} columns hold "
            f"numbers); the network predicts each next value.")


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
        self.column = widgets.Dropdown(description="column", options=[], style=style,
                                       layout=widgets.Layout(width=CONTROL_WIDTH,
                                                             display="none"),
                                       tooltip="The column of numbers to predict")
        self.column.add_class("bpttviz-upload-column")
        # In the page only once it shows a series: an empty figure is nothing to draw.
        self.preview = LiveFigure()
        self.preview.add_class("bpttviz-upload-preview")
        self.message = widgets.HTML()
        self.message.add_class("bpttviz-upload-message")
        self.widget = widgets.VBox([self.intro, self.upload, self.column, self.message],
                                   layout=widgets.Layout(display="none", margin="4px 0"))
        self.widget.add_class("bpttviz-your-data")
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
                [f"Reading {filename!r} ({_size_text(size)})…"], "info")
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
