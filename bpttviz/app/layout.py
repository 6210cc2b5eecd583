"""A figure's constrained layout computed once per app state and shared between kernels.

Laying out a lesson's figures (Matplotlib's constrained layout, then frozen:
:func:`bpttviz.plots.freeze_layout`) is a large part of what a new lesson
kernel does before its first draw (``docs/benchmarks.md``), and every kernel
of a class computes the same layout for the same settings. The positions found are kept
in a small file per app state and reused by the next kernel; the figures are
drawn exactly as if laid out again (tests compare the pixels).

The key of an app state names everything the figures are built from: the
lesson, the figure, the control values and page options at the moment of the
layout, the versions of Matplotlib and NumPy, Matplotlib's settings, and the
size and time of every file of the bpttviz package (an edited lesson never
reuses an old layout). The files live in ``$BPTTVIZ_LAYOUT_CACHE``, else
``$XDG_CACHE_HOME/bpttviz/layout``, else ``~/.cache/bpttviz/layout``; where the
folder cannot be written, each kernel lays its figures out itself.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path

import matplotlib as mpl
import numpy as np
from matplotlib.transforms import Bbox

from ..plots import freeze_layout
from ..upstream.matplotlib_canvas import figure_titles

__all__ = ["cache_dir", "layout_key", "snapshot", "restore", "freeze_shared"]

_PACKAGE = Path(__file__).resolve().parents[1]
_source = None


def cache_dir() -> Path:
    """The folder of the layout files."""
    if os.environ.get("BPTTVIZ_LAYOUT_CACHE"):
        return Path(os.environ["BPTTVIZ_LAYOUT_CACHE"])
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "bpttviz" / "layout"


def _source_fingerprint() -> str:
    """Size and time of every file of the package (computed once per process)."""
    global _source
    if _source is None:
        h = hashlib.sha256()
        for p in sorted(_PACKAGE.rglob("*")):
            if p.is_file() and "__pycache__" not in p.parts:
                st = p.stat()
                h.update(f"{p.relative_to(_PACKAGE)}:{st.st_size}:{st.st_mtime_ns};".encode())
        _source = h.hexdigest()
    return _source


def layout_key(app, name: str) -> str:
    """The key of figure ``name`` of ``app`` in its current state (hex digest)."""
    rc = sorted((k, repr(v)) for k, v in mpl.rcParams.items())
    state = [type(app).__module__, type(app).__qualname__, name,
             sorted((k, repr(v)) for k, v in app.values().items()),
             sorted(app.page_options.items()), mpl.__version__, np.__version__,
             _source_fingerprint(), rc]
    return hashlib.sha256(json.dumps(state).encode()).hexdigest()


def snapshot(fig) -> dict:
    """What constrained layout set on ``fig``: each axes' positions, anchor and box aspect."""
    axes = [{"active": list(ax.get_position(original=False).bounds),
             "original": list(ax.get_position(original=True).bounds),
             "anchor": ax.get_anchor(), "box_aspect": ax.get_box_aspect()} for ax in fig.axes]
    titles = {name: list(text.get_position()) for name, text in figure_titles(fig).items()}
    return {"axes": axes, "titles": titles}


def restore(fig, snap) -> bool:
    """Put ``fig`` where ``snap`` says and stop its layout engine; False if it does not fit."""
    axes = snap.get("axes", [])
    titles = snap.get("titles", {})
    shown = figure_titles(fig)
    if len(axes) != len(fig.axes) or set(titles) != set(shown):
        return False
    for ax, s in zip(fig.axes, axes):
        in_layout = ax.get_in_layout()      # set_position takes an axes out of the layout
        ax.set_position(Bbox.from_bounds(*s["original"]), which="original")
        ax.set_position(Bbox.from_bounds(*s["active"]), which="active")
        ax.set_in_layout(in_layout)
        anchor = s["anchor"]
        ax.set_anchor(tuple(anchor) if isinstance(anchor, list) else anchor)
        ax.set_box_aspect(s["box_aspect"])
    for name, pos in titles.items():
        shown[name].set_position(tuple(pos))
    fig.set_layout_engine("none")
    return True


def freeze_shared(fig, key: str) -> bool:
    """:func:`~bpttviz.plots.freeze_layout` ``fig``, reusing the layout kept under ``key``.

    Returns True when a kept layout was used; otherwise lays ``fig`` out and
    keeps the result for the next kernel (written whole or not at all).
    """
    path = cache_dir() / f"{key}.json"
    try:
        snap = json.loads(path.read_text())
    except (OSError, ValueError):
        snap = None
    if snap is not None and restore(fig, snap):
        return True
    freeze_layout(fig)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
        with os.fdopen(fd, "w") as f:
            json.dump(snapshot(fig), f)
        os.replace(tmp, path)
    except OSError:
        pass                  # not writable here: this kernel laid its figures out itself
    return False
