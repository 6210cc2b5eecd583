"""Lesson 4's "Your data": a file the user uploads, read in memory, as a task.

A CSV (or TSV) file becomes a :class:`bpttviz.tasks.Series` of the column the
user chooses; a text file a :class:`bpttviz.tasks.CharLM` of its characters.
The bytes arrive with the upload and are parsed in memory: the file is
never written to the server's disk, and lives only in the kernel of the page
that received it (a page's link cannot carry it).

Every check happens before anything of the running lesson changes: the size
on the bytes received (:data:`~bpttviz.tasks.MAX_BYTES`), then the API's own
readers, whose ValueError says what is wrong and where. A bad file leaves
the task, the figures and the results as they were; the page says why, once.

The page's upload (:mod:`bpttviz.app.upload`) hands the bytes to :func:`read_upload`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np

from .. import figures
from .._files import check_size
from ..tasks import CharLM, Columns, Series

__all__ = ["ACCEPT", "UserData", "read_upload", "sensible_T", "preview_record", "summary",
           "size_text"]

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


def size_text(n: int) -> str:
    """A file's size as people say it: 340 KB, 1.2 MB."""
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
