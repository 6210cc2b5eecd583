"""A lesson's control, declared once: its name, label, kind, range and query-string form.

Widget-free: the page (:mod:`bpttviz.app.controls`) makes a control's widget
from this declaration; the lesson, the guided steps and the links read and
check values with it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

__all__ = ["Control", "KINDS"]

KINDS = ("int", "float", "option", "bool")
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


@dataclass(frozen=True)
class Control:
    """A lesson's control, declared once: its range and its query-string key.

    Attributes
    ----------
    name : str
        Key in the lesson's values, in the query string and in the page's widgets.
    label : str
        What the control shows, units included, e.g. ``"T (steps)"``.
    kind : {"int", "float", "option", "bool"}
    default : int, float, str or bool
    low, high : number, optional
        The range of an int or float control (inclusive). A lesson can narrow
        it at run time (:meth:`bpttviz.lessons.Lesson.limits`); checks use the
        current range.
    step : number, optional
        Slider step.
    options : tuple of (label, value) pairs or of values
        Choices of an "option" control.
    recompute : bool
        Whether a change needs a new engine run (False: only ``render``, e.g.
        the frame of an animation).
    continuous : bool
        Fire while the slider is dragged (True) or on release only (False,
        for anything that runs the engine).
    help : str
        Tooltip.
    """

    name: str
    label: str
    kind: str
    default: object
    low: float | None = None
    high: float | None = None
    step: float | None = None
    options: tuple = ()
    recompute: bool = True
    continuous: bool = False
    help: str = ""

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"The 'kind' of control {self.name!r} must be one of {KINDS}. "
                             f"Got {self.kind!r} instead.")

    @property
    def values(self) -> tuple:
        """The allowed values of an "option" control."""
        return tuple(o[1] if isinstance(o, tuple) else o for o in self.options)

    def check(self, value, low=None, high=None):
        """Return ``value`` if it is allowed (in ``[low, high]``, default the declared range).

        Raises ``ValueError`` naming the control, what is allowed and what was received.
        """
        low = self.low if low is None else low
        high = self.high if high is None else high
        if self.kind == "option":
            if value in self.values:
                return value
            raise ValueError(f"{self.name} must be one of {', '.join(map(str, self.values))}. "
                             f"Got {value!r} instead.")
        if self.kind == "bool":
            if isinstance(value, (bool, np.bool_)):
                return bool(value)
            raise ValueError(f"{self.name} must be true or false. Got {value!r} instead.")
        number = (isinstance(value, (int, np.integer)) if self.kind == "int"
                  else isinstance(value, (int, float, np.integer, np.floating)))
        if (number and not isinstance(value, (bool, np.bool_)) and math.isfinite(value)
                and low <= value <= high):
            return int(value) if self.kind == "int" else float(value)
        what = "an integer" if self.kind == "int" else "a number"
        raise ValueError(f"{self.name} must be {what} in [{_fmt(low)}, {_fmt(high)}]. "
                         f"Got {value!r} instead.")

    def parse(self, text: str, low=None, high=None):
        """The value a query-string entry asks for, checked; ``ValueError`` if unusable."""
        text = text.strip()
        value = text                      # unparsable text fails the check below, with its range
        if self.kind in ("int", "float"):
            try:
                value = int(text) if self.kind == "int" else float(text)
            except ValueError:
                pass
        elif self.kind == "bool":
            value = True if text.lower() in _TRUE else False if text.lower() in _FALSE else text
        return self.check(value, low, high)

    def format(self, value) -> str:
        """``value`` as it goes into a query string."""
        if self.kind == "float":
            return _fmt(value)
        if self.kind == "bool":
            return "true" if value else "false"
        return str(value)


def _fmt(x) -> str:
    """A number without trailing zeros: 1.1, 20, 0.05."""
    if isinstance(x, (int, np.integer)):
        return str(int(x))
    return f"{float(x):.10g}"
