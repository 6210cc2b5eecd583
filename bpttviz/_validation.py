"""Argument checks shared by the public functions.

Every check runs before any work starts and raises with a message that names
the parameter, the allowed values and the value received, in the style of
scikit-learn: "The 'k2' parameter of bptt must be an int in the range
[1, inf). Got 0 instead."
"""

from __future__ import annotations

import numbers

import numpy as np


def _range_text(low, high, closed: str = "both") -> str:
    left = "[" if closed in ("both", "left") else "("
    right = "]" if closed in ("both", "right") and high is not None else ")"
    return f"{left}{'-inf' if low is None else low}, {'inf' if high is None else high}{right}"


def check_int(value, name: str, func: str, low=None, high=None, allow_none=False):
    """Return ``value`` as an int if it is an integer in ``[low, high]``."""
    if value is None and allow_none:
        return None
    ok = isinstance(value, numbers.Integral) and not isinstance(value, (bool, np.bool_))
    if ok and (low is None or value >= low) and (high is None or value <= high):
        return int(value)
    extra = " or None" if allow_none else ""
    raise (ValueError if ok else TypeError)(
        f"The {name!r} parameter of {func} must be an int in the range "
        f"{_range_text(low, high)}{extra}. Got {value!r} instead."
    )


def check_real(value, name: str, func: str, low=None, high=None, closed="both",
               allow_none=False):
    """Return ``value`` as a float if it is a finite real number in the range."""
    if value is None and allow_none:
        return None
    ok = isinstance(value, numbers.Real) and not isinstance(value, (bool, np.bool_))
    if ok:
        v = float(value)
        inside = np.isfinite(v)
        if low is not None:
            inside = inside and (v >= low if closed in ("both", "left") else v > low)
        if high is not None:
            inside = inside and (v <= high if closed in ("both", "right") else v < high)
        if inside:
            return v
    extra = " or None" if allow_none else ""
    raise (ValueError if ok else TypeError)(
        f"The {name!r} parameter of {func} must be a real number in the range "
        f"{_range_text(low, high, closed)}{extra}. Got {value!r} instead."
    )


def check_option(value, name: str, func: str, options):
    """Return ``value`` if it is one of ``options`` (strings)."""
    if isinstance(value, str) and value in options:
        return value
    allowed = ", ".join(repr(o) for o in options)
    raise ValueError(
        f"The {name!r} parameter of {func} must be one of {{{allowed}}}. Got {value!r} instead."
    )


def check_array(value, name: str, func: str, *, ndim=None, shape=None, kind="float",
                dtype=None, finite=True, what=None):
    """Return ``value`` as a NumPy array after checking its kind, shape and values.

    ``kind`` is "float" (real numbers, cast to ``dtype``) or "int" (integers;
    ``what`` names them in messages, "integer class labels" by default).
    ``shape`` may hold None for a free axis and names for documentation, e.g.
    ``shape=(("T", 100), ("B", None), ("I", 3))``.
    """
    try:
        arr = np.asarray(value)
    except Exception as exc:  # a ragged list, an object that refuses conversion
        raise TypeError(f"The {name!r} parameter of {func} must be array-like. "
                        f"Got {type(value).__name__} instead ({exc}).") from None
    if kind == "float":
        if arr.dtype == bool or not (np.issubdtype(arr.dtype, np.floating)
                                     or np.issubdtype(arr.dtype, np.integer)):
            raise TypeError(f"The {name!r} parameter of {func} must hold real numbers "
                            f"(a float or int array). Got dtype {arr.dtype} instead.")
        arr = arr.astype(dtype or np.float64, copy=False)
    elif kind == "int":
        if arr.dtype == bool or not np.issubdtype(arr.dtype, np.integer):
            if np.issubdtype(arr.dtype, np.floating) and arr.size and np.all(arr == np.round(arr)):
                arr = arr.astype(np.int64)
            else:
                raise TypeError(f"The {name!r} parameter of {func} must hold "
                                f"{what or 'integer class labels'}. Got dtype {arr.dtype} "
                                f"instead.")
    if ndim is not None and arr.ndim != ndim:
        want = "(" + ", ".join(n for n, _ in shape) + ")" if shape else f"{ndim} axes"
        raise ValueError(f"The {name!r} parameter of {func} must have shape {want}. "
                         f"Got an array of shape {arr.shape} instead.")
    if shape is not None:
        for axis, (label, size) in enumerate(shape):
            if size is not None and arr.shape[axis] != size:
                want = "(" + ", ".join(f"{n}={s}" if s is not None else n for n, s in shape) + ")"
                raise ValueError(f"The {name!r} parameter of {func} must have shape {want}. "
                                 f"Got shape {arr.shape} instead (axis {label} is "
                                 f"{arr.shape[axis]}, expected {size}).")
            if arr.shape[axis] == 0:
                raise ValueError(f"The {name!r} parameter of {func} must not be empty "
                                 f"along axis {label}. Got shape {arr.shape} instead.")
    if finite and kind == "float" and not np.all(np.isfinite(arr)):
        bad = np.argwhere(~np.isfinite(arr))[0]
        raise ValueError(f"The {name!r} parameter of {func} must be finite. Got "
                         f"{arr[tuple(bad)]} at index {tuple(int(i) for i in bad)} instead.")
    return arr
