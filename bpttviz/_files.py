"""Reading a user's file for a task: every check before any work, every refusal located.

A file reaches the tasks as a path, as bytes (its content, as a lesson
receives an upload) or as a file object. :func:`read_text` turns it into
text and :func:`read_columns` reads numeric columns out of that text. A bad
file is refused with a ValueError that names the parameter (``path``) and
says what is wrong and where: an empty file, a binary one, one in another
encoding than the one asked for (with the encoding to pass), one over
:data:`MAX_BYTES`, a cell that is not a number (its row, counted from 1 as a
spreadsheet counts them, and its column), NaN or inf (their rows), an
unknown column (the file's columns listed).

NumPy and the standard library only.
"""

from __future__ import annotations

import codecs
import csv
import io
import os
import re

import numpy as np

from ._validation import describe

#: Largest file a task reads (5 MB): a lesson's upload, not a data set to train for hours on.
MAX_BYTES = 5 * 1024 * 1024

# C0 control characters that no text file holds. Tab, newline, vertical tab, form feed,
# carriage return, the Ctrl-Z that ends old DOS files and escape are left out.
_BINARY = "\x00-\x08\x0e-\x19\x1c-\x1f"
_BINARY_TEXT = re.compile(f"[{_BINARY}]")
_BINARY_BYTES = re.compile(f"[{_BINARY}]".encode("ascii"))

# A cell with a decimal comma ("1,5"), written by spreadsheets in many locales.
_DECIMAL_COMMA = re.compile(r"^[+-]?\d+,\d+$")

#: Delimiters csv.Sniffer chooses among; whitespace is tried when none of them fits.
SNIFFED = ",;\t"

#: Most column names a message lists.
LISTED = 8
#: Rows that decide which columns hold numbers when no column is named.
VOTERS = 1000
#: Most rows a message lists.
ROWS_LISTED = 5

#: How the messages count rows: file lines from 1, the header (if any) row 1.
ROWS = "rows counted from 1, as a spreadsheet counts them"


def check_encoding(encoding, func: str) -> str:
    """Return ``encoding`` if it names a text encoding Python knows."""
    if not isinstance(encoding, str):
        raise TypeError(f"The 'encoding' parameter of {func} must be a str naming a text "
                        f"encoding, e.g. 'utf-8' or 'latin-1'. Got {describe(encoding)} instead.")
    try:
        # Not empty bytes: decoding b"" never looks the codec up. A bytes-to-bytes codec
        # (base64) fails here too.
        b"\0\0\0\0".decode(encoding)
    except (UnicodeDecodeError, ValueError):
        pass                                    # a text codec that reads no NUL bytes
    except LookupError:
        raise ValueError(f"The 'encoding' parameter of {func} must name a text encoding Python "
                         f"knows, e.g. 'utf-8' or 'latin-1'. Got {describe(encoding)} "
                         f"instead.") from None
    return encoding


def _megabytes(n: int) -> str:
    return f"{n / 1024 / 1024:.1f} MB"


def _too_big(func, what):
    return ValueError(f"The 'path' parameter of {func} must be at most "
                      f"{MAX_BYTES // 1024 // 1024} MB (MAX_BYTES = {MAX_BYTES} bytes). "
                      f"Got {what} instead.")


def check_size(n_bytes: int, func: str) -> None:
    """Refuse content of ``n_bytes`` over :data:`MAX_BYTES`, before anything reads it."""
    if n_bytes > MAX_BYTES:
        raise _too_big(func, f"{n_bytes} bytes ({_megabytes(n_bytes)})")


def _read_raw(path, func):
    """The content of ``path`` (bytes, or str from a text-mode file object), and its origin."""
    if isinstance(path, (bytes, bytearray, memoryview)):
        data, origin = bytes(path), "the bytes given"
    elif isinstance(path, (str, os.PathLike)):
        name = os.fspath(path)
        if isinstance(name, bytes):
            name = os.fsdecode(name)
        shown = describe(name)
        if not os.path.exists(name):
            content = "\n" in name and isinstance(path, str)
            hint = " (a file's content goes in as bytes: text.encode())" if content else ""
            raise ValueError(f"The 'path' parameter of {func} must name an existing file. "
                             f"Got {shown}, which does not exist{hint}.")
        if os.path.isdir(name):
            raise ValueError(f"The 'path' parameter of {func} must name a file. "
                             f"Got {shown}, which is a folder.")
        size = os.path.getsize(name)
        if size > MAX_BYTES:
            raise _too_big(func, f"a file of {size} bytes ({_megabytes(size)})")
        try:
            with open(name, "rb") as f:
                data = f.read(MAX_BYTES + 1)
        except OSError as exc:
            raise ValueError(f"The 'path' parameter of {func} must name a file that can be read. "
                             f"Got {shown}: {exc.strerror}.") from None
        origin = f"file {os.path.basename(name)!r}"
    elif callable(getattr(path, "read", None)):
        data = path.read(MAX_BYTES + 1)
        if not isinstance(data, (bytes, str)):
            raise TypeError(f"The 'path' parameter of {func} must be a file object whose read() "
                            f"returns bytes or str. Got {describe(data)} from it instead.")
        origin = f"file {os.path.basename(str(getattr(path, 'name', '')))!r}" \
            if isinstance(getattr(path, "name", None), str) else "the file object given"
    else:
        raise TypeError(f"The 'path' parameter of {func} must be a path (str or pathlib.Path), "
                        f"the file's bytes or a file object. Got {describe(path)} instead.")
    if len(data) > MAX_BYTES:
        raise _too_big(func, f"{len(data)} bytes" if origin == "the bytes given"
                       else "a file object holding more than that")
    return data, origin


def _binary(func, position, code):
    return ValueError(f"The 'path' parameter of {func} must be a text file. Got a binary file "
                      f"instead (it holds the control code 0x{code:02x}, at position {position}, "
                      f"which text files do not).")


def _decode(data, encoding, func) -> str:
    """Text of ``data``: line endings read as ``"\\n"``, a leading byte-order mark dropped."""
    if isinstance(data, bytes):
        if not data:
            raise ValueError(f"The 'path' parameter of {func} must not be empty. "
                             f"Got an empty file instead.")
        utf16 = data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE))
        if utf16 and not codecs.lookup(encoding).name.startswith(("utf-16", "utf-32")):
            raise ValueError(f"The 'path' parameter of {func} must be text in {encoding!r} "
                             f"(the 'encoding' parameter). Got a file that starts with a UTF-16 "
                             f"byte-order mark instead: pass encoding='utf-16'.")
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError as exc:
            control = _BINARY_BYTES.search(data)
            if control:
                raise _binary(func, control.start(), data[control.start()]) from None
            line = data.count(b"\n", 0, exc.start) + 1
            raise ValueError(f"The 'path' parameter of {func} must be text in {encoding!r} (the "
                             f"'encoding' parameter). Got the byte 0x{data[exc.start]:02x} at line "
                             f"{line}, which {encoding} cannot read, instead: pass "
                             f"encoding='latin-1' (or the encoding the file was saved in, e.g. "
                             f"'cp1252').") from None
    else:
        text = data
    control = _BINARY_TEXT.search(text)
    if control:
        raise _binary(func, control.start(), ord(control.group()))
    # Universal newlines, as Python's open() reads text; a byte-order mark is not text.
    text = text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    if not text:
        raise ValueError(f"The 'path' parameter of {func} must not be empty. "
                         f"Got an empty file instead.")
    return text


def read_text(path, encoding, func):
    """``(text, origin)``: the text of ``path`` and a few words saying where it came from.

    ``path`` is a path, the file's bytes, or a file object (binary, or text:
    then ``encoding`` is the object's business). ``encoding`` must have been
    checked with :func:`check_encoding`.
    """
    data, origin = _read_raw(path, func)
    return _decode(data, encoding, func), origin


# --- columns of numbers --------------------------------------------------------------------

def check_delimiter(delimiter, func):
    """Return ``delimiter``: None (sniffed) or one character; ``" "`` stands for any whitespace."""
    if delimiter is None:
        return None
    if not isinstance(delimiter, str):
        raise TypeError(f"The 'delimiter' parameter of {func} must be one character or None. "
                        f"Got {describe(delimiter)} instead.")
    if len(delimiter) != 1 or delimiter in "\n\r\"'0123456789.+-" or delimiter.isalpha():
        raise ValueError(f"The 'delimiter' parameter of {func} must be one character that "
                         f"cannot be part of a number, e.g. ',', ';', '\\t' or ' ' (any "
                         f"whitespace), or None. Got {describe(delimiter)} instead.")
    return delimiter


def check_column(column, func):
    """Return ``column`` after checking its type: None, a name, an index or a non-empty list
    of them (names and indices are checked against the file when it is read)."""
    if column is None:
        return None
    items = column if isinstance(column, (list, tuple)) else [column]
    if not items:
        raise ValueError(f"The 'column' parameter of {func} must name at least one column. "
                         f"Got {describe(column)} instead.")
    for item in items:
        if not (isinstance(item, str) or (isinstance(item, (int, np.integer))
                                           and not isinstance(item, (bool, np.bool_)))):
            raise TypeError(f"The 'column' parameter of {func} must be a column name (str), a "
                            f"0-based index (int), a list of them or None. Got "
                            f"{describe(column)} instead.")
    return column


def _unquote(field):
    """A whitespace-separated field without the double quotes R's write.table puts around it."""
    return field[1:-1] if len(field) >= 2 and field[0] == field[-1] == '"' else field


def _split_whitespace(text):
    return [(i + 1, [_unquote(f) for f in line.split()]) for i, line in enumerate(text.split("\n"))]


def _split_csv(text, delimiter):
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    return [(reader.line_num, [f.strip() for f in fields]) for fields in reader]


def _split_lines(text):
    # NUL never occurs in a text we accept: one field per line, quotes read as csv reads them.
    return _split_csv(text, "\x00")


def _consistent(rows, unnamed_first=False):
    """Whether the rows split into one same number of fields, more than one. With
    ``unnamed_first`` the first row (a header) may have one fewer: R's write.table, whose
    fields are separated by spaces, leaves the row names' column unnamed."""
    counts = [len(f) for _, f in rows if any(f)]
    if not counts:
        return False
    body = counts[1:] or counts
    first_ok = counts[0] == body[0] or (unnamed_first and counts[0] == body[0] - 1)
    return body[0] > 1 and all(c == body[0] for c in body) and first_ok


def _sniff(text):
    """``(rows, whitespace)``: the rows ``(line, fields)`` of ``text`` split at the delimiter
    csv.Sniffer finds among :data:`SNIFFED`, else at whitespace, else one value per line."""
    sample = "\n".join([line for line in text.split("\n") if line.strip()][:50])
    if not sample:
        return _split_lines(text), False
    try:
        delimiter = csv.Sniffer().sniff(sample, delimiters=SNIFFED).delimiter
    except csv.Error:
        delimiter = None
    if delimiter is not None and _consistent(_split_csv(sample, delimiter)):
        return _split_csv(text, delimiter), False
    if _consistent(_split_whitespace(sample), unnamed_first=True):
        return _split_whitespace(text), True
    # Ragged rows: the first delimiter that splits the first row; the messages say where.
    for candidate in ([delimiter] if delimiter else []) + list(SNIFFED):
        if len(_split_csv(sample, candidate)[0][1]) > 1:
            return _split_csv(text, candidate), False
    return _split_lines(text), False


def _is_number(cell: str) -> bool:
    try:
        float(cell)
    except ValueError:
        return False
    return True


def _letters(j: int) -> str:
    """Spreadsheet name of 0-based column ``j``: A, B, ..., Z, AA, ..."""
    name = ""
    j += 1
    while j:
        j, r = divmod(j - 1, 26)
        name = chr(ord("A") + r) + name
    return name


def _listing(names):
    shown = [repr(n) for n in names[:LISTED]]
    more = f", ... ({len(names)} columns)" if len(names) > LISTED else ""
    return "[" + ", ".join(shown) + more + "]"


def _label(j, header):
    """How a message names column ``j``: its spreadsheet letter, its name, its index."""
    name = f"{header[j]!r}, " if header else ""
    return f"column {_letters(j)} ({name}column={j})"


def _resolve(item, header, n_cols, func):
    """0-based index of one column given by name or index."""
    if isinstance(item, str):
        if header is None:
            raise ValueError(f"The 'column' parameter of {func} must be a 0-based index in "
                             f"[0, {n_cols - 1}]: the file has no header row (its first row "
                             f"holds numbers). Got {describe(item)} instead.")
        matches = [j for j, name in enumerate(header) if name == item]
        if not matches:
            raise ValueError(f"The 'column' parameter of {func} must be one of the file's "
                             f"columns {_listing(header)} or an index in [0, {n_cols - 1}]. "
                             f"Got {describe(item)} instead.")
        if len(matches) > 1:
            raise ValueError(f"The 'column' parameter of {func} must name one column. Got "
                             f"{describe(item)}, the name of columns {matches}: give an index.")
        return matches[0]
    if not 0 <= item < n_cols:
        names = f"columns {_listing(header)}" if header else f"{n_cols} columns and no header"
        raise ValueError(f"The 'column' parameter of {func} must be a 0-based index in "
                         f"[0, {n_cols - 1}] (the file has {names}). Got {item} instead.")
    return int(item)


def _is_axis(cells) -> bool:
    """Whether a column is a time axis or row numbers: numbers rising by one same step."""
    try:
        x = np.array([float(c) for c in cells])
    except ValueError:
        return False
    if x.size < 3 or not np.all(np.isfinite(x)):
        return False
    step = np.diff(x)
    return step[0] != 0 and bool(np.allclose(step, step[0], rtol=1e-9, atol=0.0))


def _table(text, delimiter, func):
    """``(rows, header)``: the non-blank rows ``(line, fields)`` of ``text`` below its header
    (None when the first row holds a number)."""
    if delimiter is None:
        rows, whitespace = _sniff(text)
    elif delimiter == " ":
        rows, whitespace = _split_whitespace(text), True
    else:
        rows, whitespace = _split_csv(text, delimiter), False
    rows = [(line, fields) for line, fields in rows if any(fields)]     # blank lines
    if not rows:
        raise ValueError(f"The 'path' parameter of {func} must hold numbers. Got a file of "
                         f"blank lines instead.")
    header = None
    if not any(_is_number(f) for f in rows[0][1] if f):
        header, rows = rows[0][1], rows[1:]
        if whitespace and rows and len(header) == len(rows[0][1]) - 1:
            header = [""] + header                  # R's write.table: row names, unnamed
    return rows, header


def _numeric_columns(rows, header, func):
    """``(numeric, default)``: the 0-based columns holding numbers, and the one read when
    none is named."""
    n_cols = len(header) if header else len(rows[0][1])
    if not rows:
        raise ValueError(f"The 'path' parameter of {func} must hold numbers below its "
                         f"header {_listing(header)}. Got no rows below it instead.")
    # Numeric columns: numbers in most of the first rows, so that a typo in the first
    # row reads as a typo (and is reported) rather than turning its column into text.
    head = [fields for _, fields in rows[:VOTERS]]
    numeric = [j for j in range(n_cols)
               if 2 * sum(j < len(f) and _is_number(f[j]) for f in head) > len(head)]
    if not numeric:
        line, cells = rows[0]
        comma = any(_DECIMAL_COMMA.match(c) for c in cells)
        hint = " (decimal commas? write points)" if comma else ""
        raise ValueError(f"The 'path' parameter of {func} must hold a column of numbers. Got "
                         f"none: row {line} holds {describe(cells)}{hint} ({ROWS}).")
    # A time axis (years) or row numbers is not what anyone means to predict.
    default = next((j for j in numeric
                    if not _is_axis([f[j] if j < len(f) else "" for _, f in rows])), numeric[0])
    return numeric, default


def list_columns(text, delimiter, func):
    """``(names, numeric, default)`` of a delimited ``text``: every column's name (its header
    cell, or ``"column j"`` without a header), the 0-based indices of those holding numbers,
    and the index :func:`read_columns` reads when no column is named."""
    rows, header = _table(text, delimiter, func)
    numeric, default = _numeric_columns(rows, header, func)
    n_cols = len(header) if header else len(rows[0][1])
    names = [(header[j] or f"column {j}") if header else f"column {j}" for j in range(n_cols)]
    return names, numeric, default


def read_columns(text, column, delimiter, func):
    """Numbers of the chosen columns of a delimited ``text`` (see ``Series.from_csv``).

    ``column`` and ``delimiter`` must have been checked with
    :func:`check_column` and :func:`check_delimiter`. Returns
    ``(values, names, lines)``: ``values`` (N,) for one column or (N, C) for
    a list, ``names`` the chosen columns' header names (None without a
    header) and ``lines`` (N,) the file line of each value, counted from 1.
    """
    rows, header = _table(text, delimiter, func)
    n_cols = len(header) if header else len(rows[0][1])
    if column is None:
        chosen = [_numeric_columns(rows, header, func)[1]]
    else:
        chosen = [_resolve(c, header, n_cols, func)
                  for c in (column if isinstance(column, (list, tuple)) else [column])]
        if len(set(chosen)) != len(chosen):
            raise ValueError(f"The 'column' parameter of {func} must list each column once. "
                             f"Got {describe(column)}, columns {chosen} instead.")

    values = np.empty((len(rows), len(chosen)))
    lines = np.array([line for line, _ in rows], dtype=np.int64)
    for i, (line, fields) in enumerate(rows):
        for k, j in enumerate(chosen):
            cell = fields[j] if j < len(fields) else None
            try:
                values[i, k] = float(cell)
            except (TypeError, ValueError):
                raise _not_a_number(func, cell, line, j, header, len(fields)) from None
    bad = ~np.isfinite(values).all(axis=1)
    if bad.any():
        where = [f"{line} ({'/'.join(sorted({str(v) for v in row[~np.isfinite(row)]}))})"
                 for line, row in zip(lines[bad][:ROWS_LISTED], values[bad][:ROWS_LISTED])]
        more = f" and {int(bad.sum()) - ROWS_LISTED} more" if bad.sum() > ROWS_LISTED else ""
        raise ValueError(f"The 'path' parameter of {func} must hold finite numbers. Got NaN or "
                         f"inf at rows {', '.join(where)}{more} instead ({ROWS}).")
    names = [header[j] for j in chosen] if header else None
    if not isinstance(column, (list, tuple)):
        return values[:, 0], names and names[0], lines
    return values, names, lines


def _not_a_number(func, cell, line, j, header, n_fields):
    where = f"row {line}, {_label(j, header)}"
    if cell is None:
        got = f"row {line} with {n_fields} value(s), none in {_label(j, header)}"
    elif cell == "":
        got = f"an empty cell at {where}"
    else:
        hint = " (a decimal comma? write a point)" if _DECIMAL_COMMA.match(cell) else ""
        got = f"{describe(cell)}{hint} at {where}"
    return ValueError(f"The 'path' parameter of {func} must hold a number in every cell of the "
                      f"columns read. Got {got} instead ({ROWS}).")
