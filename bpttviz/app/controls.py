"""A lesson's control, declared once: its widget, its range, its query-string form.

A control's widget can be locked by the kernel at one value (a teacher's
link fixes controls for a class, :mod:`.teacher`): the widget classes here
are ipywidgets' own with :class:`Lockable` mixed in, which declares its checks
with traitlets' ``@validate`` and refuses the browser's updates in
``set_state``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import ipywidgets as widgets
import numpy as np
import traitlets

__all__ = ["Control", "KINDS", "LABEL_WIDTH", "CONTROL_WIDTH", "widget_range", "Lockable",
           "LockableIntSlider", "LockableFloatSlider", "LockableDropdown", "LockableCheckbox"]

KINDS = ("int", "float", "option", "bool")
LABEL_WIDTH = "140px"
CONTROL_WIDTH = "310px"
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


@dataclass(frozen=True)
class Control:
    """A lesson's control, declared once: its widget, its range and its query-string key.

    Attributes
    ----------
    name : str
        Key in ``app.values()``, in the query string and in ``app.widgets``.
    label : str
        What the control shows, units included, e.g. ``"T (steps)"``.
    kind : {"int", "float", "option", "bool"}
    default : int, float, str or bool
    low, high : number, optional
        The range of an int or float control (inclusive). A lesson can narrow
        it at run time (``app.widgets[name].max = ...`` in ``constrain``);
        checks always use the widget's current range.
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

    def widget(self):
        """A new widget for this control, labelled and at its default value."""
        style = {"description_width": LABEL_WIDTH}
        layout = widgets.Layout(width=CONTROL_WIDTH)
        common = dict(description=self.label, style=style, layout=layout, tooltip=self.help or None)
        if self.kind == "int":
            return LockableIntSlider(value=self.default, min=self.low, max=self.high,
                                     step=self.step or 1, continuous_update=self.continuous,
                                     **common)
        if self.kind == "float":
            decimals = max(0, -int(math.floor(math.log10(self.step)))) if self.step else 2
            return LockableFloatSlider(value=self.default, min=self.low, max=self.high,
                                       step=self.step or 0.01, continuous_update=self.continuous,
                                       readout_format=f".{decimals}f", **common)
        if self.kind == "option":
            return LockableDropdown(options=list(self.options), value=self.default, **common)
        return LockableCheckbox(value=bool(self.default), indent=False, **common)

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


class Lockable:
    """Mixed into a control's widget class: the kernel can lock the widget at one value.

    While locked (:meth:`lock`), whatever asks the widget to move is refused:
    a value set from Python is validated back to the locked one, ``disabled``
    stays true, and a state update from the browser, which ``disabled`` does
    not prevent (a crafted widget message), is not applied; the browser is
    sent the kernel's state back. Each refusal is reported to
    :attr:`on_refusal`. Unlocked, the widget is the ipywidgets widget it
    extends.

    While a state update from the browser is applied, :attr:`from_page` is
    true: the app computes only the newest of many such updates (a held key).
    """

    #: True while a state update from the browser is applied (observers can tell a user's move
    #: from a change made by the kernel).
    from_page = False
    #: Whether the widget is locked, and at which value.
    locked = False
    locked_value = None
    #: Called as ``on_refusal(asked, request)`` for each refusal: ``asked`` is the value
    #: asked for (None when something else was), ``request`` says what else was asked
    #: ("change its disabled, max").
    on_refusal = None
    #: Called as ``on_rate_limited(dropped)`` when the server says it dropped ``dropped``
    #: changes of this widget that the page sent faster than it takes them
    #: (:mod:`bpttviz.serve.ratelimit`).
    on_rate_limited = None

    def lock(self, value):
        """Keep the widget at ``value`` (and disabled) until :meth:`unlock`."""
        self.locked, self.locked_value = True, value
        self.value = value
        self.disabled = True

    def unlock(self):
        """Let the widget move again (it stays disabled until told otherwise)."""
        self.locked, self.locked_value = False, None

    def _refused(self, asked, request=None):
        if self.on_refusal is not None:
            self.on_refusal(asked, request)

    @traitlets.validate("value")
    def _validate_value(self, proposal):
        own = getattr(super(), "_validate_value", None)     # the widget's own (range) check
        value = own(proposal) if own is not None else proposal.value
        if self.locked and value != self.locked_value:
            self._refused(value)
            return self.locked_value
        return value

    @traitlets.validate("disabled")
    def _validate_disabled(self, proposal):
        own = getattr(super(), "_validate_disabled", None)
        value = own(proposal) if own is not None else proposal.value
        return True if self.locked else value

    def _handle_custom_msg(self, content, buffers):
        if isinstance(content, dict) and content.get("bpttviz") == "rate-limited":
            if self.on_rate_limited is not None:
                try:
                    dropped = max(0, int(content.get("dropped", 0)))
                except (TypeError, ValueError):
                    dropped = 0
                self.on_rate_limited(dropped)
            return
        super()._handle_custom_msg(content, buffers)

    def set_state(self, sync_data):
        """Apply a state update from the browser (ipywidgets' comm handler calls this) unless
        locked; a locked widget tells the browser its state back."""
        if not self.locked:
            self.from_page = True
            try:
                return super().set_state(sync_data)
            finally:
                self.from_page = False
        keys = [k for k in sync_data if k in self.keys]
        if "value" in sync_data:
            self._refused(sync_data["value"])
        else:
            self._refused(None, f"change its {', '.join(sorted(sync_data))}")
        if keys:
            self.send_state(keys)
        return None


class LockableIntSlider(Lockable, widgets.IntSlider):
    """An integer control's slider (:class:`Lockable`)."""


class LockableFloatSlider(Lockable, widgets.FloatSlider):
    """A number control's slider (:class:`Lockable`)."""


class LockableDropdown(Lockable, widgets.Dropdown):
    """An option control's menu (:class:`Lockable`)."""


class LockableCheckbox(Lockable, widgets.Checkbox):
    """A true/false control's checkbox (:class:`Lockable`)."""


def widget_range(w) -> tuple:
    """``(low, high)`` of a control's widget now (None for a widget without a range)."""
    return getattr(w, "min", None), getattr(w, "max", None)


def _fmt(x) -> str:
    """A number without trailing zeros: 1.1, 20, 0.05."""
    if isinstance(x, (int, np.integer)):
        return str(int(x))
    return f"{float(x):.10g}"
