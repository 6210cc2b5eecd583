"""A lesson's controls in the page: one widget each, their values, and the lesson's limits.

:class:`ControlPanel` makes a widget per declared control
(:func:`~bpttviz.app.controls.control_widget`), reads and checks the values,
sets several at once (all or none), and applies the lesson's rules for
controls that depend on others (:meth:`bpttviz.lessons.Lesson.limits`): a
range narrowed moves a value outside it inside, as a slider does.
"""

from __future__ import annotations

from contextlib import contextmanager

import ipywidgets as widgets

from ..upstream.ipywidgets_classes import classed
from .controls import control_widget, widget_range

__all__ = ["ControlPanel", "preset_buttons"]


class ControlPanel:
    """The widgets of a lesson's controls and what they hold.

    Parameters
    ----------
    controls : tuple of Control
        The lesson's controls, in order.
    limits : callable
        ``limits(values) -> {name: Limits}``, the lesson's rules.
    owner : str
        Who has these controls, for messages ("VanishingApp has no control ...").

    Attributes
    ----------
    widgets : dict of str -> Widget
    spec : dict of str -> Control
    holding : bool
        True inside :meth:`hold`: changing controls then updates nothing.
    """

    def __init__(self, controls, limits, owner: str):
        self.controls = tuple(controls)
        self.spec = {c.name: c for c in self.controls}
        self.limits = limits
        self.owner = owner
        self.holding = False
        self.widgets = {c.name: control_widget(c) for c in self.controls}

    def values(self) -> dict:
        """The current values, checked against the widgets' current ranges."""
        return {name: c.check(self.widgets[name].value, *widget_range(self.widgets[name]))
                for name, c in self.spec.items()}

    def raw(self) -> dict:
        """The widgets' values as they are, unchecked."""
        return {name: w.value for name, w in self.widgets.items()}

    @contextmanager
    def hold(self):
        """Within this block, changing controls does not update the app."""
        prev, self.holding = self.holding, True
        try:
            yield
        finally:
            self.holding = prev

    def constrain(self):
        """Apply the lesson's limits for the values now (a narrowed range moves a value into
        it), until they no longer change anything."""
        with self.hold():
            for _ in range(3):      # a rule may depend on a value another rule moved
                before = self.raw()
                for name, lim in self.limits(before).items():
                    self._limit(self.widgets[name], lim)
                if self.raw() == before:
                    break

    @staticmethod
    def _limit(w, lim):
        if lim.low is not None and lim.high is not None and lim.low > w.max:
            w.max, w.min = lim.high, lim.low        # never an inverted range on the way
        else:
            if lim.low is not None:
                w.min = lim.low
            if lim.high is not None:
                w.max = lim.high
        if lim.disabled is not None:
            w.disabled = lim.disabled

    def check_names(self, names):
        """``ValueError`` naming the unknown ones among ``names``, and the controls."""
        unknown = [k for k in names if k not in self.spec]
        if unknown:
            raise ValueError(f"{self.owner} has no control {', '.join(map(repr, unknown))}; "
                             f"its controls are {', '.join(self.spec)}.")

    def assign(self, name, value):
        """Check ``value`` against the widget's current range and set it (no update)."""
        self.check_names([name])
        w = self.widgets[name]
        w.value = self.spec[name].check(value, *widget_range(w))
        self.constrain()

    def assign_all(self, values: dict):
        """Set the controls ``values`` names, in the controls' order (no update)."""
        with self.hold():
            for name in self.spec:
                if name in values:
                    self.assign(name, values[name])

    def set_all(self, values: dict):
        """Set several controls at once, or none: an unknown name or a value out of range
        raises ``ValueError`` and leaves every control as it was."""
        self.check_names(values)
        before = self.raw()
        try:
            self.assign_all(values)
        except Exception:
            self.restore(before)
            raise

    def restore(self, values: dict):
        """Put the widgets back at ``values`` (from :meth:`raw`)."""
        with self.hold():
            for k, v in values.items():
                self.widgets[k].value = v
            self.constrain()

    def reset(self):
        """Every control back at its default (no update)."""
        with self.hold():
            for c in self.controls:
                self.widgets[c.name].value = c.default
            self.constrain()


def preset_buttons(presets: dict, apply, attempt):
    """One button per preset (``apply(name)`` sets it, through ``attempt``), or None."""
    if not presets:
        return None
    buttons = []
    for name in presets:
        b = classed(widgets.Button, f"bpttviz-preset-{name.replace(' ', '-')}",
                    description=name, layout=widgets.Layout(width="auto"),
                    tooltip=f"Set the controls to the {name!r} preset")
        b.on_click(lambda _, name=name: attempt(lambda: apply(name),
                                                f"apply the preset {name!r}"))
        buttons.append(b)
    return widgets.VBox([widgets.HTML("<b>Presets</b>"),
                         widgets.HBox(buttons, layout=widgets.Layout(flex_flow="row wrap"))])
