"""Argument checks shared by the public functions.

Every check runs before any work starts and raises with a message that names
the parameter, the allowed values and the value received, in the style of
scikit-learn: "The 'k2' parameter of bptt must be an int in the range
[1, inf). Got 0 instead."

Values received are summarised by :func:`describe` (an array by its shape and
dtype, a long list by its length), so a message stays one short sentence
whatever was passed.
"""

from __future__ import annotations

import inspect
import numbers

import numpy as np

#: Longest text of a received value quoted in a message; longer ones are summarised.
MAX_QUOTED = 60


def describe(value) -> str:
    """A short description of ``value`` for an error message (at most a few dozen characters).

    Scalars, None and short strings, lists and tuples are quoted (NumPy scalars
    as the Python values they hold); arrays are described by shape and dtype;
    long sequences and dicts by type and length (a dict by its first keys);
    classes and named functions by their names; other objects by their type.
    """
    if isinstance(value, np.generic):
        value = value.item()           # "0.5", not NumPy 2's "np.float64(0.5)"
    if isinstance(value, np.ndarray):
        if value.ndim == 0 and value.dtype.kind in "biufc":
            return repr(value[()].item())
        if value.ndim == 1 and value.size <= 8 and value.dtype.kind in "biuf":
            text = f"array({value.tolist()})"
            if len(text) <= MAX_QUOTED:
                return text
        return f"an array of shape {value.shape} and dtype {value.dtype}"
    if value is None or isinstance(value, (bool, numbers.Number)):
        text = repr(value)
        return text if len(text) <= MAX_QUOTED else f"a {type(value).__name__}"
    if isinstance(value, str):
        if len(value) <= MAX_QUOTED:
            return repr(value)
        return f"a str of {len(value)} characters starting {value[:20]!r}"
    if isinstance(value, (list, tuple)):
        try:
            text = repr(value)
        except Exception:  # noqa: BLE001  (a repr that fails says nothing useful)
            text = ""
        if text and len(text) <= MAX_QUOTED:
            return text
        return f"a {type(value).__name__} of {len(value)} items"
    if isinstance(value, dict):
        keys = [repr(k) for k in list(value)[:4]]
        more = ", ..." if len(value) > 4 else ""
        return f"a dict with keys [{', '.join(keys)}{more}]" if value else "an empty dict"
    if inspect.isclass(value):
        return f"the class {value.__name__}"
    if inspect.isroutine(value) and getattr(value, "__name__", "<lambda>") != "<lambda>":
        return f"the function {value.__name__}"
    return f"a {type(value).__name__}"


def step_list(steps, most: int = 8) -> str:
    """Steps as a plain Python list, "[0, 1]"; a long one by its ends,
    "[0, 1, 2, ..., 49] (50 steps)"."""
    steps = [int(s) for s in np.asarray(steps).ravel()]
    if len(steps) <= most:
        return str(steps)
    return f"[{', '.join(str(s) for s in steps[:3])}, ..., {steps[-1]}] ({len(steps)} steps)"


def is_real(dtype) -> bool:
    """Whether ``dtype`` holds real numbers: a float or an integer type (booleans do not)."""
    return dtype != bool and (np.issubdtype(dtype, np.floating) or np.issubdtype(dtype, np.integer))


def _range_text(low, high, closed: str = "both") -> str:
    left = "[" if closed in ("both", "left") else "("
    right = "]" if closed in ("both", "right") and high is not None else ")"
    return f"{left}{'-inf' if low is None else low}, {'inf' if high is None else high}{right}"


def check_int(value, name: str, func: str, low=None, high=None, allow_none=False, why=""):
    """Return ``value`` as an int if it is an integer in ``[low, high]``.

    ``why``: what sets the range when another parameter does (said in the message).
    """
    if value is None and allow_none:
        return None
    ok = isinstance(value, numbers.Integral) and not isinstance(value, (bool, np.bool_))
    if ok and (low is None or value >= low) and (high is None or value <= high):
        return int(value)
    extra = " or None" if allow_none else ""
    because = f" ({why})" if why else ""
    raise (ValueError if ok else TypeError)(
        f"The {name!r} parameter of {func} must be an int in the range "
        f"{_range_text(low, high)}{extra}{because}. Got {describe(value)} instead."
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
        f"{_range_text(low, high, closed)}{extra}. Got {describe(value)} instead."
    )


def check_option(value, name: str, func: str, options):
    """Return ``value`` if it is one of ``options`` (strings)."""
    if isinstance(value, str) and value in options:
        return value
    allowed = ", ".join(repr(o) for o in options)
    raise ValueError(
        f"The {name!r} parameter of {func} must be one of {{{allowed}}}. "
        f"Got {describe(value)} instead."
    )


def check_bool(value, name: str, func: str):
    """Return ``value`` as a bool if it is True or False."""
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    raise TypeError(f"The {name!r} parameter of {func} must be True or False. "
                    f"Got {describe(value)} instead.")


def check_callable(value, name: str, func: str, allow_none=True, what="callable"):
    """Return ``value`` if it can be called (or is None, when allowed)."""
    if (value is None and allow_none) or callable(value):
        return value
    extra = " or None" if allow_none else ""
    raise TypeError(f"The {name!r} parameter of {func} must be {what}{extra}. "
                    f"Got {describe(value)} instead.")


def _call_text(f) -> str:
    """``f`` called with its required parameters by name, e.g. "ElmanRNN(n_in, n_hidden, n_out)"."""
    try:
        params = inspect.signature(f).parameters.values()
    except (TypeError, ValueError):     # a builtin without a signature
        return f"{f.__name__}(...)"
    needed = [p.name for p in params if p.default is p.empty
              and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]
    return f"{f.__name__}({', '.join(needed)})"


def instance_hint(value, types, make=None) -> str:
    """What to do when ``value`` builds an instance of ``types`` instead of being one: the
    class itself ("pass an instance: AddingProblem()", or ``make``, a call that builds one)
    or a function annotated to return one ("call it: full(T)")."""
    types = types if isinstance(types, tuple) else (types,)
    if inspect.isclass(value) and issubclass(value, types):
        return f"; pass an instance: {make or _call_text(value)}"
    if inspect.isfunction(value):
        returns = inspect.signature(value).return_annotation
        returns = returns if isinstance(returns, str) else getattr(returns, "__name__", None)
        if returns in {t.__name__ for t in types}:
            return f"; call it: {_call_text(value)}"
    return ""


def check_instance(value, name: str, func: str, types, what: str, allow_none=False, make=None):
    """Return ``value`` if it is an instance of ``types``; ``what`` names them in the message.

    Used wherever a model, task, schedule, trace or other object is expected:
    a class of those types (or a function that returns one) passed instead of
    an instance is told to pass an instance ("pass an instance: AddingProblem()";
    ``make`` replaces the constructor call for a class users do not build
    themselves, e.g. "bptt(model, inputs, targets)").
    """
    if (value is None and allow_none) or isinstance(value, types):
        return value
    extra = " or None" if allow_none else ""
    raise TypeError(f"The {name!r} parameter of {func} must be {what}{extra}. "
                    f"Got {describe(value)} instead{instance_hint(value, types, make)}.")


def check_rng(rng, func: str, allow_none=False):
    """A ``np.random.Generator`` from a Generator or an int seed (or None: fresh entropy)."""
    if isinstance(rng, np.random.Generator):
        return rng
    if rng is None and allow_none:
        return np.random.default_rng()
    if isinstance(rng, numbers.Integral) and not isinstance(rng, (bool, np.bool_)) and rng >= 0:
        return np.random.default_rng(int(rng))
    extra = ", an int seed >= 0 or None" if allow_none else " or an int seed >= 0"
    raise TypeError(f"The 'rng' parameter of {func} must be a numpy.random.Generator{extra}. "
                    f"Got {describe(rng)} instead.")


def _with_dtype(value, arr):
    """``describe(value)``, with the dtype NumPy gave it when it was not an array."""
    text = describe(value)
    return text if isinstance(value, np.ndarray) else f"{text} (dtype {arr.dtype})"


def _shape_text(shape, ndim):
    if shape:
        return "(" + ", ".join(f"{n}={s}" if s is not None else n for n, s in shape) + ")"
    return f"with {ndim} axes" if ndim is not None else ""


def check_array(value, name: str, func: str, *, ndim=None, shape=None, kind="float",
                dtype=None, finite=True, what=None, allow_empty=False):
    """Return ``value`` as a NumPy array after checking its kind, shape and values.

    ``kind`` is "float" (real numbers, cast to ``dtype``), "int" (integers;
    ``what`` names them in messages, "integer class labels" by default) or
    "weights" (real numbers or booleans, cast to ``dtype``).
    ``shape`` may hold None for a free axis and names for documentation, e.g.
    ``shape=(("T", 100), ("B", None), ("I", 3))``. An array with no entries
    is refused unless ``allow_empty``.
    """
    want = _shape_text(shape, ndim)
    an_array = f"an array of shape {want}" if shape else f"an array {want}".rstrip()
    if value is None or isinstance(value, (str, bytes, dict, set)):
        raise TypeError(f"The {name!r} parameter of {func} must be {an_array}. "
                        f"Got {describe(value)} instead.")
    try:
        arr = np.asarray(value)
    except Exception:  # noqa: BLE001  (a ragged list, an object that refuses conversion)
        raise TypeError(f"The {name!r} parameter of {func} must be {an_array}. "
                        f"Got {describe(value)}, which is not array-like.") from None
    if kind in ("float", "weights"):
        if not (is_real(arr.dtype) or (kind == "weights" and arr.dtype == bool)):
            allowed = "real numbers or booleans" if kind == "weights" else \
                "real numbers (a float or int array)"
            raise TypeError(f"The {name!r} parameter of {func} must hold {allowed}. "
                            f"Got {_with_dtype(value, arr)} instead.")
        arr = arr.astype(dtype or np.float64, copy=False)
    elif kind == "int":
        if arr.dtype == bool or not np.issubdtype(arr.dtype, np.integer):
            if np.issubdtype(arr.dtype, np.floating) and np.all(arr == np.round(arr)):
                arr = arr.astype(np.int64)
            else:
                raise TypeError(f"The {name!r} parameter of {func} must hold "
                                f"{what or 'integer class labels'}. Got "
                                f"{_with_dtype(value, arr)} instead.")
    if ndim is not None and arr.ndim != ndim:
        need = ("have shape (" + ", ".join(n for n, _ in shape) + ")") if shape else \
            f"have {ndim} axes"
        raise ValueError(f"The {name!r} parameter of {func} must {need}. "
                         f"Got an array of shape {arr.shape} instead.")
    if shape is not None:
        for axis, (label, size) in enumerate(shape):
            if size is not None and arr.shape[axis] != size:
                raise ValueError(f"The {name!r} parameter of {func} must have shape {want}. "
                                 f"Got shape {arr.shape} instead (axis {label} is "
                                 f"{arr.shape[axis]}, expected {size}).")
            if arr.shape[axis] == 0:
                raise ValueError(f"The {name!r} parameter of {func} must not be empty "
                                 f"along axis {label}. Got shape {arr.shape} instead.")
    if arr.size == 0 and not allow_empty:
        raise ValueError(f"The {name!r} parameter of {func} must not be empty. "
                         f"Got {describe(value)} instead.")
    if finite and kind in ("float", "weights") and not np.all(np.isfinite(arr)):
        bad = np.argwhere(~np.isfinite(arr))[0]
        raise ValueError(f"The {name!r} parameter of {func} must be finite. Got "
                         f"{arr[tuple(bad)]} at index {tuple(int(i) for i in bad)} instead.")
    return arr


def check_state(value, name: str, func: str, B: int, S: int, state="a state", dtype=None):
    """A network's state for ``B`` sequences: a finite (B, S) float array (cast to ``dtype``).

    Messages give the shape with its numbers and what they count ("(B, S) =
    (4, 16) for 4 sequences and a state of 16 floats"); ``state`` names the
    state, e.g. "a state [h, c]".
    """
    want = (f"shape (B, S) = ({B}, {S}) for {B} sequence{'' if B == 1 else 's'} and "
            f"{state} of {S} floats")
    arr = None
    if value is not None and not isinstance(value, (str, bytes, dict, set)):
        try:
            arr = np.asarray(value)
        except Exception:  # noqa: BLE001  (a ragged list, an object that refuses conversion)
            pass
    if arr is None or not is_real(arr.dtype):
        raise TypeError(f"The {name!r} parameter of {func} must be an array of real numbers of "
                        f"{want}. Got {describe(value)} instead.")
    if arr.shape != (B, S):
        raise ValueError(f"The {name!r} parameter of {func} must have {want}. "
                         f"Got shape {arr.shape} instead.")
    return check_array(arr, name, func, dtype=dtype)        # the values: finite


def check_mask(mask, func: str, T: int, B: int, dtype=np.float64, name="mask"):
    """A loss-weight mask (T,) or (T, B) of weights >= 0 (booleans allowed) as a (T, B) array.

    At least one weight must be positive: a mask with no target leaves
    nothing to learn and every loss undefined, so it is refused.
    """
    m = check_array(mask, name, func, kind="weights", dtype=dtype)
    if m.shape == (T,):
        m = np.repeat(m[:, None], B, axis=1)
    if m.shape != (T, B):
        raise ValueError(f"The {name!r} parameter of {func} must have shape (T,) = ({T},) or "
                         f"(T, B) = ({T}, {B}). Got shape {m.shape} instead.")
    if m.min() < 0:
        raise ValueError(f"The {name!r} parameter of {func} must hold weights >= 0. "
                         f"Got {m.min()} instead.")
    if not (m > 0).any():
        raise ValueError(f"The {name!r} parameter of {func} must give at least one step a "
                         f"positive weight (a target). Got all {m.size} weights equal to 0 "
                         f"instead.")
    return m


def check_grads(value, name: str, func: str, shapes, finite=False, require_all=True):
    """Gradients as a dict of float arrays keyed like ``shapes`` (name -> shape).

    Keys outside ``shapes`` are refused; every key of ``shapes`` must be present
    (or, with ``require_all=False``, at least one) with exactly its shape: a
    reshaped array of the same size is refused too. Non-finite entries are
    allowed unless ``finite``.
    """
    keys = list(shapes)
    if not isinstance(value, dict):
        raise TypeError(f"The {name!r} parameter of {func} must be a dict of arrays keyed "
                        f"{keys}. Got {describe(value)} instead.")
    missing = [k for k in keys if k not in value]
    unknown = [k for k in value if k not in shapes]
    if unknown or not value or (missing and require_all):
        some = "" if require_all else "some of "
        raise ValueError(f"The {name!r} parameter of {func} must be a dict of arrays keyed by "
                         f"{some}{keys}. Got {describe(value)} instead.")
    out = {}
    for k in (k for k in keys if k in value):
        try:
            arr = np.asarray(value[k])
        except Exception:  # noqa: BLE001  (a ragged list, an object that refuses conversion)
            arr = np.asarray(None)
        if not is_real(arr.dtype):
            raise TypeError(f"The {name!r} parameter of {func} must give {k!r} an array of real "
                            f"numbers. Got {describe(value[k])} instead.")
        if not np.issubdtype(arr.dtype, np.floating):
            arr = arr.astype(np.float64)            # integers; floats keep their precision
        if finite and not np.all(np.isfinite(arr)):
            raise ValueError(f"The {name!r} parameter of {func} must give {k!r} finite values. "
                             f"Got a non-finite entry instead.")
        if arr.shape != tuple(shapes[k]):
            raise ValueError(f"The {name!r} parameter of {func} must give {k!r} the shape "
                             f"{tuple(shapes[k])}. Got shape {arr.shape} instead.")
        out[k] = arr
    return out
