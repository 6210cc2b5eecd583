"""A control's widget: made from its declaration, lockable by the kernel at one value.

A control is declared once, widget-free (:class:`bpttviz.lessons.Control`);
:func:`control_widget` makes its widget. A control's widget can be locked by the
kernel at one value (a teacher's link fixes controls for a class, :mod:`.teacher`):
the widget classes here are ipywidgets' own with :class:`Lockable` mixed in,
which declares its checks with traitlets' ``@validate`` and refuses the
browser's updates in ``set_state``.
"""

from __future__ import annotations

import math

import ipywidgets as widgets
import traitlets

from ..lessons.control import KINDS, Control
from ..upstream.ipywidgets_classes import classed

__all__ = ["Control", "KINDS", "LABEL_WIDTH", "CONTROL_WIDTH", "control_widget", "play_widget",
           "widget_range",
           "Lockable", "LockableIntSlider", "LockableFloatSlider", "LockableDropdown",
           "LockableCheckbox"]

LABEL_WIDTH = "140px"
CONTROL_WIDTH = "310px"


def control_widget(control: Control):
    """A new widget for ``control``: labelled, at its default value, lockable
    (:class:`Lockable`), with the class ``bpttviz-control-<name>``."""
    c = control
    common = dict(description=c.label, style={"description_width": LABEL_WIDTH},
                  layout=widgets.Layout(width=CONTROL_WIDTH), tooltip=c.help or None)
    dom_class = f"bpttviz-control-{c.name}"
    if c.kind == "int":
        return classed(LockableIntSlider, dom_class, value=c.default, min=c.low, max=c.high,
                       step=c.step or 1, continuous_update=c.continuous, **common)
    if c.kind == "float":
        decimals = max(0, -int(math.floor(math.log10(c.step)))) if c.step else 2
        return classed(LockableFloatSlider, dom_class, value=c.default, min=c.low, max=c.high,
                       step=c.step or 0.01, continuous_update=c.continuous,
                       readout_format=f".{decimals}f", **common)
    if c.kind == "option":
        return classed(LockableDropdown, dom_class, options=list(c.options), value=c.default,
                       **common)
    return classed(LockableCheckbox, dom_class, value=bool(c.default), indent=False, **common)


def play_widget(slider):
    """A Play button that walks ``slider`` in the browser, and the link that does it.

    The animation clock runs in the browser: Play drives the slider with no kernel round
    trip (``jslink``). Play starts at the value shown (the browser's link copies Play's
    value to the slider when it is made, which would otherwise send a link's ``?frame=N``
    back to 0) and follows the slider's range and the values the kernel gives it.
    """
    play = classed(widgets.Play, "bpttviz-play", value=slider.value, min=slider.min,
                   max=slider.max, step=1, interval=900, description="play",
                   tooltip="Walk the forward and backward pass")

    def follow(change):
        play.max = slider.max
        # A value the page sent, its Play has already (the browser's link goes both ways);
        # sent back late, it would overtake Stop's return to the first frame.
        if not getattr(slider, "from_page", False):
            play.value = slider.value

    slider.observe(follow, names=["max", "value"])
    return play, widgets.jslink((play, "value"), (slider, "value"))


class Lockable:
    """Mixed into a control's widget class: the kernel can lock the widget at one value.

    While locked (:meth:`lock`), whatever asks the widget to move is refused:
    a value set from Python is validated back to the locked one, ``disabled``
    stays true, and a state update from the browser, which ``disabled`` does
    not prevent (a crafted widget message), is not applied; the browser is
    sent the kernel's state back. Each refusal is reported to
    :attr:`on_refusal`. Unlocked, the widget is the ipywidgets widget it
    extends.

    A pause (:meth:`pause`: the lecturer paused the lesson for a discussion) holds the widget
    at the value it has the same way, on its own flag, so that a teacher's link's locks are
    neither counted nor freed by it.

    While a state update from the browser is applied, :attr:`from_page` is
    true: the app computes only the newest of many such updates (a held key).
    """

    #: True while a state update from the browser is applied (observers can tell a user's move
    #: from a change made by the kernel).
    from_page = False
    #: Whether the widget is locked, and at which value.
    locked = False
    locked_value = None
    #: Whether the widget is paused (:meth:`pause`), and at which value.
    paused = False
    paused_value = None
    #: Called as ``on_refusal(asked, request)`` for each refusal: ``asked`` is the value
    #: asked for (None when something else was), ``request`` says what else was asked
    #: ("change its disabled, max").
    on_refusal = None
    #: The page's :class:`~bpttviz.app.ratelimit.ChangeGate` (None: changes from the page
    #: are applied as they come): past its rate, only the newest change waits.
    gate = None

    def lock(self, value):
        """Keep the widget at ``value`` (and disabled) until :meth:`unlock`."""
        self.locked, self.locked_value = True, value
        self.value = value
        self.disabled = True

    def unlock(self):
        """Let the widget move again (it stays disabled until told otherwise)."""
        self.locked, self.locked_value = False, None

    def pause(self):
        """Hold the widget at its value (and disabled) until :meth:`resume`."""
        self.paused, self.paused_value = True, self.value
        self.disabled = True

    def resume(self):
        """End the pause (the widget stays disabled until told otherwise)."""
        self.paused, self.paused_value = False, None

    @property
    def held(self) -> bool:
        """Whether the widget refuses to move: locked or paused."""
        return self.locked or self.paused

    def _held_value(self):
        return self.locked_value if self.locked else self.paused_value

    def _refused(self, asked, request=None):
        if self.on_refusal is not None:
            self.on_refusal(asked, request)

    @traitlets.validate("value")
    def _validate_value(self, proposal):
        own = getattr(super(), "_validate_value", None)     # the widget's own (range) check
        value = own(proposal) if own is not None else proposal.value
        if self.held and value != self._held_value():
            self._refused(value)
            return self._held_value()
        return value

    @traitlets.validate("disabled")
    def _validate_disabled(self, proposal):
        own = getattr(super(), "_validate_disabled", None)
        value = own(proposal) if own is not None else proposal.value
        return True if self.held else value

    def set_state(self, sync_data):
        """Apply a state update from the browser (ipywidgets' comm handler calls this), through
        the page's gate, unless locked or paused; a held widget tells the browser its state
        back."""
        if not self.held:
            if self.gate is None:
                return self._from_page(sync_data)
            return self.gate.admit(self, dict(sync_data), self._from_page)
        self._refuse_state(sync_data)

    def _from_page(self, sync_data):
        if self.held:                       # held while the change waited at the gate
            return self._refuse_state(sync_data)
        self.from_page = True
        try:
            return super().set_state(sync_data)
        finally:
            self.from_page = False

    def _refuse_state(self, sync_data):
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
