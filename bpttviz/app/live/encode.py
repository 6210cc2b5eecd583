"""A figure record as the page receives it: JSON that names arrays, and the arrays' bytes.

Each array is named by a hash of its bytes (``ref``), so the page keeps every
array it has by name and the kernel sends only arrays it has not sent: a
move that changes one curve sends one curve. An array that extends the array
sent for the same place in the previous record (a training curve that grew)
is sent as the earlier array's name plus its new tail (``chunks``): a growing
curve is never sent twice.

Arrays travel as the smallest dtype that keeps what a figure shows: float32
when every finite value fits it (seven significant digits, far below a
pixel), float64 otherwise (log scales reach 1e-300); booleans as bytes.
Heatmaps with more cells a side than a figure has pixels are pooled first
(:data:`MAX_CELLS`).
"""

from __future__ import annotations

import hashlib
from dataclasses import fields, is_dataclass

import numpy as np

from ...figures import record as R
from ...figures.style import colormap

__all__ = ["encode", "MAX_CELLS", "MAX_CHUNKS"]

#: Heatmaps are pooled (block maximum) to at most this many cells a side before they travel.
MAX_CELLS = 256
#: A growing array is sent whole again once it is made of this many pieces.
MAX_CHUNKS = 64

_CODES = {np.dtype(np.float64): "f8", np.dtype(np.float32): "f4", np.dtype(np.int32): "i4",
          np.dtype(np.uint8): "u1", np.dtype(np.int8): "i1"}


def _compact(a: np.ndarray) -> np.ndarray:
    if a.dtype == bool:
        return a.astype(np.uint8)
    if a.dtype.kind in "iu":
        return a if a.dtype in (np.uint8, np.int8, np.int32) else a.astype(np.int32)
    if a.dtype.kind == "f":
        fin = np.abs(a[np.isfinite(a)])
        nz = fin[fin > 0]
        if not nz.size or (nz.min() > 1e-30 and nz.max() < 1e30):
            return a.astype(np.float32)
        return a.astype(np.float64)
    raise TypeError(f"A figure's arrays must be numbers or booleans. Got dtype {a.dtype} instead.")


def pool(values: np.ndarray, limit: int = MAX_CELLS) -> np.ndarray:
    """Block maximum of a 2-D ``values`` so that neither side exceeds ``limit``.

    NaN only where a whole block is NaN; an infinity in a block wins (an
    overflow must stay visible at any size).
    """
    values = np.asarray(values, dtype=float)
    r, c = values.shape
    fr, fc = -(-r // limit), -(-c // limit)
    if fr == 1 and fc == 1:
        return values
    r2, c2 = -(-r // fr) * fr, -(-c // fc) * fc
    padded = np.full((r2, c2), np.nan)
    padded[:r, :c] = values
    blocks = padded.reshape(r2 // fr, fr, c2 // fc, fc).swapaxes(1, 2).reshape(r2 // fr, c2 // fc,
                                                                                 fr * fc)
    empty = np.isnan(blocks).all(axis=2)
    out = np.max(np.where(np.isnan(blocks), -np.inf, blocks), axis=2)
    out[empty] = np.nan
    return out


def _rgba(c) -> tuple:
    h = c.lstrip("#")
    return (int(h[0:2], 16), int(h[2:4], 16), int(h[4:6], 16),
            int(h[6:8], 16) if len(h) >= 8 else 255)


class Encoder:
    """One record into ``(spec, arrays)``; ``previous`` maps places to what was sent there."""

    def __init__(self, lut, previous=None):
        self.lut = lut
        self.arrays = {}            # ref -> bytes, every array the spec names
        self.places = {}            # place -> (descriptor, array): for the next record
        self.previous = previous or {}
        self.luts = {}

    def _ref(self, a: np.ndarray):
        raw = a.tobytes()
        code = _CODES[a.dtype]
        ref = hashlib.blake2b(raw + code.encode() + repr(a.shape).encode(),
                              digest_size=10).hexdigest()
        self.arrays[ref] = raw
        return {"ref": ref, "dtype": code, "shape": list(a.shape)}

    def array(self, a, place) -> dict:
        a = np.ascontiguousarray(_compact(np.asarray(a)))
        desc = None
        before = self.previous.get(place)
        if before is not None and a.ndim == 1:
            old_desc, old = before
            n = old.size
            if (0 < n < a.size and old.dtype == a.dtype
                    and len(old_desc.get("chunks", [old_desc])) < MAX_CHUNKS
                    and np.array_equal(a[:n], old, equal_nan=a.dtype.kind == "f")):
                head = old_desc.get("chunks", [old_desc])
                for piece in head:          # the page has them: name them again, send none
                    self._name_again(piece)
                desc = {"chunks": head + [self._ref(np.ascontiguousarray(a[n:]))],
                        "dtype": _CODES[a.dtype], "shape": list(a.shape)}
        if desc is None:
            desc = self._ref(a)
        self.places[place] = (desc, a)
        return desc

    def _name_again(self, piece):
        """Keep a piece sent earlier among the arrays the spec names (``refs`` of the record)."""
        self.arrays.setdefault(piece["ref"], None)

    def colours(self, c, place):
        if c is None or isinstance(c, str):
            return c
        return self.array(np.array([_rgba(x) for x in c], dtype=np.uint8).reshape(-1, 4), place)

    def record(self, v, place, **arrays):
        """A record as JSON: its type's name and its fields; ``arrays`` maps a field to a
        function of its value, the array that travels in its stead (a heatmap's pooled values)."""
        out = {"type": type(v).__name__}
        for f in fields(v):
            x = getattr(v, f.name)
            where = f"{place}.{f.name}"
            if f.name in arrays:
                out[f.name] = self.array(arrays[f.name](x), where)
            elif f.name in ("color", "edge") and isinstance(x, tuple):
                out[f.name] = self.colours(x, where)
            else:
                out[f.name] = self.value(x, where)
        if isinstance(v, R.ColourScale) and v.cmap not in self.luts:
            self.luts[v.cmap] = self.array(self.lut(v.cmap), f"lut.{v.cmap}")
        return out

    def value(self, v, place=""):
        if isinstance(v, np.ndarray):
            return self.array(v, place)
        if isinstance(v, R.MARK_TYPES):
            return ENCODERS[type(v).__name__](self, v, place)
        if is_dataclass(v):
            return self.record(v, place)
        if isinstance(v, (tuple, list)):
            return [self.value(x, f"{place}[{i}]") for i, x in enumerate(v)]
        if isinstance(v, (np.floating, float)):
            v = float(v)
            return v if np.isfinite(v) else None
        if isinstance(v, (np.integer,)):
            return int(v)
        if isinstance(v, np.bool_):
            return bool(v)
        return v


def _heatmap(enc: Encoder, m: R.Heatmap, place) -> dict:
    return enc.record(m, place, values=pool)


def _mask(enc: Encoder, m: R.Mask, place) -> dict:
    # A pooled block is covered only when every cell of it is: a mask never hides a value the
    # heatmap under it shows (a flow's one loss with a target among rows without one).
    return enc.record(m, place, where=lambda where: ~(pool((~where).astype(float)) > 0))


#: Every mark type of :data:`bpttviz.figures.MARKS` and how it travels: its fields as they are,
#: but heatmaps and masks, pooled to :data:`MAX_CELLS` a side first (a mask's block covered
#: when all its cells are).
ENCODERS = {**{name: Encoder.record for name in R.MARKS}, "Heatmap": _heatmap, "Mask": _mask}


def colormap_lut(name: str) -> np.ndarray:
    """The 256 colours of a colour map as (256 * 3,) bytes, Matplotlib's (see
    :func:`bpttviz.figures.style.colormap`): the page's colours are the download's."""
    return colormap(name).ravel()


def encode(fig: R.Figure, previous=None, lut=colormap_lut):
    """``(spec, arrays, places)`` of a figure record.

    ``spec`` is JSON whose arrays are descriptors (``{"ref", "dtype",
    "shape"}`` or ``{"chunks": [...], ...}``); ``arrays`` maps every ref the
    spec names to its bytes (None for a piece the page was sent before);
    ``places`` is what to pass as ``previous`` with the next record of the
    same figure, so that a grown array is sent as its tail.
    """
    if not isinstance(fig, R.Figure):
        raise TypeError(f"A live figure shows a bpttviz.figures.Figure. Got {type(fig).__name__} "
                        f"instead.")
    enc = Encoder(lut, previous)
    spec = enc.value(fig, "figure")
    spec["luts"] = enc.luts
    return spec, enc.arrays, enc.places
