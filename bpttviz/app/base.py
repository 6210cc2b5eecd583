"""The shared machinery of a lesson app: controls -> one engine run -> in-place figures.

A lesson subclasses :class:`LessonApp`, declares its :class:`Control` s and
implements three hooks:

* ``build_figures()`` draws every figure once (``bpttviz.plots.draw_*``) and
  returns them by name;
* ``compute(values)`` is the one engine run a change of the controls needs;
  every figure reads its result;
* ``render(result, values)`` updates the artists in place
  (``bpttviz.plots.update_*``) and returns the names of the figures it
  changed.

The base class builds the widgets and the layout, runs ``compute`` once per
change and ``render`` after it, redraws only the figures that changed
(``draw_idle``), shows every error of a callback as a readable message in the
page (Voila hides tracebacks), reads the initial values from the page's query
string (``?k1=5&k2=20``) and reports the values it could not use, shows a link
to the current configuration, offers each figure as PNG or SVG, and says when
it is busy.

ipywidgets and ipympl only: the numbers come from the engine, the drawing
from :mod:`bpttviz.plots`.
"""

from __future__ import annotations

import base64
import html
import io
import math
import os
import time
import traceback
from contextlib import contextmanager
from dataclasses import dataclass
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

import ipywidgets as widgets
import numpy as np
from ipympl.backend_nbagg import Canvas, FigureManager

from matplotlib.backends.backend_agg import FigureCanvasAgg

from ..plots import (OKABE_ITO, draw_moving, freeze_layout, hidden, projector_style,
                     split_for_blitting)

__all__ = ["Control", "LessonApp", "LessonCanvas", "FigureSaver", "parse_query", "notice_html",
           "readout_html", "overflow_step", "overflow_notes", "random_sequence",
           "IGNORED_QUERY_KEYS", "FIGURE_PX"]

#: Query-string keys that belong to Voila or Jupyter, not to a lesson.
IGNORED_QUERY_KEYS = frozenset({"template", "theme", "token", "voila-template", "voila-theme"})

KINDS = ("int", "float", "option", "bool")
LABEL_WIDTH = "140px"
CONTROL_WIDTH = "310px"
#: Figure size in pixels: two per row beside the controls fit a 1280x720 screen. Multiples
#: of 25 px are whole at 100 dpi in binary, so the canvas is a whole number of pixels.
FIGURE_PX = (425, 300)
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
            return widgets.IntSlider(value=self.default, min=self.low, max=self.high,
                                     step=self.step or 1, continuous_update=self.continuous,
                                     **common)
        if self.kind == "float":
            decimals = max(0, -int(math.floor(math.log10(self.step)))) if self.step else 2
            return widgets.FloatSlider(value=self.default, min=self.low, max=self.high,
                                       step=self.step or 0.01, continuous_update=self.continuous,
                                       readout_format=f".{decimals}f", **common)
        if self.kind == "option":
            return widgets.Dropdown(options=list(self.options), value=self.default, **common)
        return widgets.Checkbox(value=bool(self.default), indent=False, **common)

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


def parse_query(query: str | None) -> dict:
    """``{key: value}`` from a query string like ``"k1=5&k2=20"`` (the last repeat wins).

    A leading ``?`` is allowed; Voila's and Jupyter's own keys
    (:data:`IGNORED_QUERY_KEYS`) are left out.
    """
    query = (query or "").lstrip("?")
    parsed = parse_qs(query, keep_blank_values=True)
    return {k: v[-1] for k, v in parsed.items() if k not in IGNORED_QUERY_KEYS}


_NOTICE_STYLE = {
    "error": ("#fbe9e0", OKABE_ITO["vermillion"], "Something went wrong"),
    "warning": ("#fdf4dc", OKABE_ITO["orange"], "Note"),
    "info": ("#e6f1f8", OKABE_ITO["blue"], ""),
}


def notice_html(lines, level="info") -> str:
    """A coloured box with one paragraph per line (escaped), or "" for no lines."""
    if isinstance(lines, str):
        lines = [lines]
    lines = [str(x) for x in lines if x]
    if not lines:
        return ""
    bg, edge, head = _NOTICE_STYLE[level]
    body = "".join(f"<div>{html.escape(x)}</div>" for x in lines)
    title = f"<b>{head}</b>" if head else ""
    return (f'<div class="bpttviz-notice bpttviz-{level}" style="background:{bg};'
            f'border-left:5px solid {edge};padding:6px 10px;margin:4px 0;font-size:14px;'
            f'line-height:1.35;white-space:normal">{title}{body}</div>')


def random_sequence(T: int, seed: int, stream: int):
    """Seeded N(0, 1) inputs (T, 1, 1) and targets (T, 1, 1); ``stream`` keeps lessons apart."""
    rng = np.random.default_rng([seed, stream])
    return rng.normal(size=(T, 1, 1)), rng.normal(size=(T, 1, 1))


def readout_html(lines) -> str:
    """The numbers under the controls: one line each (HTML allowed, the caller escapes)."""
    return (f"<div style='font-size:14px;line-height:1.4'>"
            f"{'<br>'.join(x for x in lines if x)}</div>")


def overflow_step(trace):
    """First step where a trace's forward pass or a backward sweep stopped being finite, or None."""
    steps = [trace.first_nonfinite] + [u.first_nonfinite for u in trace.updates]
    steps = [s for s in steps if s is not None]
    return min(steps) if steps else None


def overflow_notes(trace) -> list:
    """A sentence saying where ``trace`` overflowed, or none."""
    step = overflow_step(trace)
    if step is None:
        return []
    return [f"This run overflowed at step {step}: numbers beyond float64's range (about "
            f"1.8e308) became inf or NaN ({trace.nonfinite_at}). The figures mark the step and "
            "draw those values "
            "in vermillion."]


class LessonCanvas(Canvas):
    """An ipympl canvas that renders the ticks of its axes once and then only what changes.

    A draw renders the static part of the figure (each axes' face, ticks,
    tick labels and axis labels: most of the cost of a Matplotlib figure)
    into a background, kept for as long as the figure's axes keep their
    limits, labels and artists, then draws every other artist over it (see
    :func:`bpttviz.plots.split_for_blitting`): the blitting recipe of
    Matplotlib's animation guide, applied to every redraw. The image equals
    a full draw but where a tick mark meets an image or a collection.
    ``blit = False`` draws the whole figure every time.
    """

    blit = True

    def __init__(self, figure, *args, **kwargs):
        super().__init__(figure, *args, **kwargs)
        self._background = None
        self._static = None
        #: ``on_error(exc)`` is called with an error of :meth:`draw` instead of raising it:
        #: ipympl draws in its message handler, where a raised error reaches no one.
        self.on_error = None

    def draw(self):
        self._png_is_old = True
        try:
            self._draw_over_background()
        except Exception as exc:
            self._background = None         # the next draw starts from a full one
            if self.on_error is None:
                raise
            self.on_error(exc)
        finally:
            self.manager.refresh_all()      # send the new image to the browser

    def _draw_over_background(self):
        if not self.blit:
            FigureCanvasAgg.draw(self)
            return
        static, moving = split_for_blitting(self.figure)
        if self._background is None or static != self._static:
            with hidden(moving):
                FigureCanvasAgg.draw(self)
            self._background = self.copy_from_bbox(self.figure.bbox)
            self._static = static
        else:
            self.restore_region(self._background)
        draw_moving(self.figure, self.get_renderer())


class FigureSaver:
    """Buttons that turn a figure into a PNG or SVG file the browser downloads.

    A click renders the figure in the kernel and offers the file as a link
    (a ``data:`` URL with a ``download`` name), which works the same in
    Voila and JupyterLab.
    """

    FORMATS = {"png": "image/png", "svg": "image/svg+xml"}

    def __init__(self, fig, stem: str, on_error=None):
        self.fig, self.stem, self.on_error = fig, stem, on_error
        self.link = widgets.HTML(layout=widgets.Layout(margin="0 0 0 8px"))
        buttons = []
        for fmt in self.FORMATS:
            b = widgets.Button(description=fmt.upper(), icon="download",
                               tooltip=f"Save this figure as {fmt.upper()}",
                               layout=widgets.Layout(width="80px"))
            b.add_class(f"bpttviz-save-{fmt}")
            b.on_click(lambda _, fmt=fmt: self._clicked(fmt))
            buttons.append(b)
        self.widget = widgets.HBox([widgets.Label("Save as"), *buttons, self.link])
        self.widget.add_class("bpttviz-saver")

    def render(self, fmt: str) -> bytes:
        """The figure as ``fmt`` ("png" or "svg") bytes."""
        if fmt not in self.FORMATS:
            raise ValueError(f"A figure can be saved as {' or '.join(self.FORMATS)}. "
                             f"Got {fmt!r} instead.")
        buf = io.BytesIO()
        with projector_style():
            self.fig.savefig(buf, format=fmt, dpi=150 if fmt == "png" else None)
        return buf.getvalue()

    def offer(self, fmt: str) -> str:
        """Render the figure and show a download link for it; returns the link's HTML."""
        data = self.render(fmt)
        name = f"{self.stem}.{fmt}"
        url = f"data:{self.FORMATS[fmt]};base64,{base64.b64encode(data).decode('ascii')}"
        self.link.value = (f'<a href="{url}" download="{html.escape(name)}" '
                           f'class="bpttviz-download">Download {html.escape(name)} '
                           f'({len(data) / 1024:.0f} kB)</a>')
        return self.link.value

    def _clicked(self, fmt):
        try:
            self.offer(fmt)
        except Exception as exc:  # shown in the page, never raised into the comm handler
            self.link.value = ""
            if self.on_error is not None:
                self.on_error(f"save the figure as {fmt.upper()}", exc)


class LessonApp:
    """Base of a lesson app. Subclasses set the class attributes and the three hooks.

    Parameters
    ----------
    query : str, optional
        Initial values as a query string, e.g. ``"k1=5&k2=20&radius=1.1"``.
        Default: ``os.environ["QUERY_STRING"]``, which Voila sets to the
        page's query string. Unusable entries are reported in the page and
        left at their defaults; so is a shortcut (:attr:`aliases`) that a
        setting named explicitly, or an earlier shortcut, contradicts.

    Attributes
    ----------
    widget : ipywidgets.Widget
        The whole app; displaying the app displays it.
    widgets : dict of str -> Widget
        One widget per control.
    figures : dict of str -> Figure
    artists : dict of str -> artists record
        What ``bpttviz.plots.draw_*`` returned, one entry per figure; filled
        by ``build_figures``.
    result
        What the last ``compute`` returned.
    runs : int
        How many times ``compute`` ran.
    last_error : str or None
        The traceback of the last error shown in the page (for debugging;
        never shown to the audience).
    last_update_ms : float
        Duration of the last update (compute and render).
    """

    title = "Lesson"
    slug = "lesson"
    #: The controls, in the order they are shown and applied.
    controls: tuple = ()
    #: Named sets of control values; applied by a button or by ``?preset=name``.
    presets: dict = {}
    #: Shortcuts: query keys that set a control plus fixed values of others,
    #: e.g. ``{"radius": ("scale", {"scale_by": "radius"})}``. A control named in the
    #: query wins over a shortcut; of two shortcuts, the first (see ``_apply_query``).
    aliases: dict = {}

    def __init__(self, query: str | None = None):
        self.runs = 0
        self.result = None
        self._cache = {}
        self.last_error = None
        self.last_update_ms = float("nan")
        self._holding = False
        self._spec = {c.name: c for c in self.controls}
        self.widgets = {}
        for c in self.controls:
            w = c.widget()
            w.add_class(f"bpttviz-control-{c.name}")
            self.widgets[c.name] = w
        self.status = widgets.HTML(layout=widgets.Layout(min_height="24px"))
        self.status.add_class("bpttviz-status")
        self.progress = widgets.FloatProgress(value=0, min=0, max=1,
                                              layout=widgets.Layout(width=CONTROL_WIDTH,
                                                                    display="none"))
        self.progress.add_class("bpttviz-progress")
        self.message = widgets.HTML()
        self.message.add_class("bpttviz-message")
        self.notes = widgets.HTML()
        self.notes.add_class("bpttviz-notes")
        self.readout = widgets.HTML()
        self.readout.add_class("bpttviz-readout")
        self.link = widgets.HTML()
        self.link.add_class("bpttviz-link")
        self._notes = []
        self.artists = {}
        with projector_style():
            self.figures = dict(self.build_figures())
        self.savers = {name: FigureSaver(fig, f"bpttviz-{self.slug}-{name}", self._show_error)
                       for name, fig in self.figures.items()}
        self.canvases = {name: self._canvas(fig, name) for name, fig in self.figures.items()}
        with self.hold():
            self.constrain()
        self._apply_query(os.environ.get("QUERY_STRING", "") if query is None else query)
        for name, w in self.widgets.items():
            w.observe(lambda change, name=name: self._changed(name), names="value")
        self.widget = self.layout()
        self.widget.add_class("bpttviz-app")
        self.widget.add_class(f"bpttviz-{self.slug}")
        self.update()
        for fig in self.figures.values():
            freeze_layout(fig)

    # -- hooks for the lessons ------------------------------------------------------
    def build_figures(self) -> dict:
        """Create the figures (:func:`bpttviz.plots.new_figure`) and their artists."""
        raise NotImplementedError

    def compute(self, values: dict):
        """The engine run for these control values; its result is shared by all figures."""
        raise NotImplementedError

    def render(self, result, values: dict):
        """Update the artists from ``result``; return the names of figures changed (None: all)."""
        raise NotImplementedError

    def constrain(self):
        """Adjust controls that depend on others (e.g. ``k1 <= T``); runs before each update."""

    def describe(self, result, values: dict) -> str:
        """HTML shown under the controls: the numbers that matter for this configuration."""
        return ""

    def extra_controls(self) -> list:
        """Widgets shown after the controls (e.g. a Play button)."""
        return []

    def notes_for(self, result, values: dict) -> list:
        """Warnings about the result to show in the page (e.g. where it overflowed)."""
        return []

    def cached(self, key: tuple, make, keep: int = 8):
        """``make()`` once per ``key`` and kept, for work that only some controls change.

        ``key`` is a tuple naming its kind first (``("curve", T, k1)``); the
        latest ``keep`` results of each kind are kept.
        """
        if key not in self._cache:
            same = [k for k in self._cache if k[0] == key[0]]
            if len(same) >= keep:
                del self._cache[same[0]]
            self._cache[key] = make()
        return self._cache[key]

    # -- values ------------------------------------------------------------------------
    def values(self) -> dict:
        """The current control values, checked against the controls' ranges."""
        out = {}
        for name, c in self._spec.items():
            w = self.widgets[name]
            out[name] = c.check(w.value, getattr(w, "min", None), getattr(w, "max", None))
        return out

    @contextmanager
    def hold(self):
        """Within this block, changing controls does not update the app."""
        prev, self._holding = self._holding, True
        try:
            yield
        finally:
            self._holding = prev

    def _assign(self, name, value):
        """Check ``value`` against the widget's current range and set it (no update)."""
        if name not in self._spec:
            raise ValueError(f"{type(self).__name__} has no control {name!r}; its controls are "
                             f"{', '.join(self._spec)}.")
        w = self.widgets[name]
        self.widgets[name].value = self._spec[name].check(value, getattr(w, "min", None),
                                                           getattr(w, "max", None))
        self.constrain()

    def set(self, **values):
        """Set several controls at once (in the controls' order), then update once.

        Raises ``ValueError`` for an unknown control or a value out of range;
        nothing is changed then.
        """
        unknown = [k for k in values if k not in self._spec]
        if unknown:
            raise ValueError(f"{type(self).__name__} has no control {', '.join(map(repr, unknown))}"
                             f"; its controls are {', '.join(self._spec)}.")
        before = {k: w.value for k, w in self.widgets.items()}
        try:
            with self.hold():
                for name in self._spec:
                    if name in values:
                        self._assign(name, values[name])
        except Exception:
            with self.hold():
                for k, v in before.items():
                    self.widgets[k].value = v
                self.constrain()
            raise
        self.update()

    def apply_preset(self, name: str):
        """Set the controls of preset ``name`` and update once."""
        if name not in self.presets:
            raise ValueError(f"{type(self).__name__} has no preset {name!r}; its presets are "
                             f"{', '.join(self.presets)}.")
        self.set(**self.presets[name])

    # -- query string and link ------------------------------------------------------------
    def _apply_query(self, query):
        """Set initial values from a query string; keep a note of every entry not used.

        Precedence: a preset first, then the settings over it. A setting named
        explicitly (``scale=2``) wins over a shortcut (``radius=2``, see
        :attr:`aliases`) that would set it differently; of two shortcuts that
        set the same control differently, the first in the link is used. The
        entry not used is reported in the page's notes.
        """
        entries = parse_query(query)
        problems = []
        if "preset" in entries:
            name = entries.pop("preset")
            if name in self.presets:
                with self.hold():
                    for k in self._spec:
                        if k in self.presets[name]:
                            self._assign(k, self.presets[name][k])
            else:
                problems.append(f"preset={name}: there is no such preset (try "
                                f"{', '.join(self.presets) or 'none'}).")
        wanted = {k: (text, f"{k}={text}") for k, text in entries.items() if k in self._spec}
        for key, text in entries.items():
            if key in self._spec:
                continue
            if key not in self.aliases:
                known = list(self._spec) + list(self.aliases) + (["preset"] if self.presets else [])
                problems.append(f"{key}={text}: not a setting of this lesson (settings: "
                                f"{', '.join(known)}).")
                continue
            target, implied = self.aliases[key]
            sets = {target: text, **{k: self._spec[k].format(v) for k, v in implied.items()}}
            meaning = ", ".join(f"{k}={v}" for k, v in sets.items())
            clash = next((k for k, v in sets.items()
                          if k in wanted and not self._same(k, wanted[k][0], v)), None)
            if clash is None:
                wanted.update({k: (v, f"{key}={text}") for k, v in sets.items()})
            elif clash in entries:
                problems.append(f"{key}={text} (which means {meaning}): not used, because the "
                                f"link also sets {clash}={entries[clash]}, and a setting named "
                                f"explicitly wins over a shortcut.")
            else:
                problems.append(f"{key}={text} (which means {meaning}): not used, because "
                                f"{wanted[clash][1]} comes first in the link and sets {clash} "
                                f"too; of two shortcuts, the first is used.")
        with self.hold():
            for name, c in self._spec.items():
                if name not in wanted:
                    continue
                text, source = wanted[name]
                w = self.widgets[name]
                try:
                    value = c.parse(text, getattr(w, "min", None), getattr(w, "max", None))
                    self._assign(name, value)
                except ValueError as exc:
                    problems.append(f"{source}: {exc} Kept {c.format(w.value)}.")
        if problems:
            self._notes = ["The link asked for settings this lesson cannot use:"] + problems
        return problems

    def _same(self, name, a, b) -> bool:
        """Whether two query texts ask control ``name`` for the same value ("1.1", "1.10")."""
        try:
            return self._spec[name].parse(a, -math.inf, math.inf) == \
                self._spec[name].parse(b, -math.inf, math.inf)
        except ValueError:
            return a.strip() == b.strip()

    def query_string(self, values=None) -> str:
        """The query string that reproduces ``values`` (default: the current ones)."""
        values = self.values() if values is None else values
        return urlencode([(n, self._spec[n].format(values[n])) for n in self._spec])

    def link_url(self, values=None) -> str:
        """The full link to this configuration when served by Voila, else ``"?" + query``."""
        query = self.query_string(values)
        page = os.environ.get("VOILA_REQUEST_URL", "")
        if not page:
            return "?" + query
        parts = urlsplit(page)
        return urlunsplit((parts.scheme, parts.netloc, parts.path, query, ""))

    def _update_link(self, values):
        url = self.link_url(values)
        shown = html.escape(url)
        hint = ("" if url.startswith("http") else
                " <i>(add it to the lesson's Voilà address)</i>")
        self.link.value = (f'<div style="font-size:13px;word-break:break-all">'
                           f'<b>Link to this configuration:</b><br>'
                           f'<a href="{shown}" target="_blank">{shown}</a>{hint}</div>')

    # -- updating ---------------------------------------------------------------------------
    def _changed(self, name):
        if self._holding:
            return
        self.update(recompute=self._spec[name].recompute)

    def update(self, recompute=True) -> bool:
        """Run the engine once (unless ``recompute=False``) and redraw the figures that changed.

        Never raises: an error is shown in the page, the figures keep their
        last state, and the result is False.
        """
        t0 = time.perf_counter()
        done = False
        with self.busy("computing"):
            with self.hold():
                self.constrain()
            values = self.values()
            if recompute or self.result is None:
                self.runs += 1
                self.result = self.compute(values)
            changed = self.render(self.result, values)
            for name in (self.figures if changed is None else changed):
                self.canvases[name].draw_idle()
            self.readout.value = self.describe(self.result, values)
            self.notes.value = notice_html(self._notes + list(self.notes_for(self.result, values)),
                                           "warning")
            self._update_link(values)
            done = True
        self.last_update_ms = (time.perf_counter() - t0) * 1e3
        if done:
            self.message.value = ""
            self.status.value = self._status_html(f"✓ updated in {self.last_update_ms:.0f} ms",
                                                  OKABE_ITO["green"])
        return done

    @contextmanager
    def busy(self, label="computing"):
        """Show ``label…`` while the block runs; an error in it is shown, not raised."""
        self.status.value = self._status_html(f"● {label}…", OKABE_ITO["orange"])
        try:
            yield
        except Exception as exc:
            self._show_error("update the lesson", exc)
        finally:
            self.progress.layout.display = "none"

    def report_progress(self, fraction: float, label: str = ""):
        """Show a progress bar at ``fraction`` (0..1) for long work inside :meth:`busy`."""
        self.progress.layout.display = None
        self.progress.value = min(max(float(fraction), 0.0), 1.0)
        if label:
            self.status.value = self._status_html(f"● {label}…", OKABE_ITO["orange"])

    @staticmethod
    def _status_html(text, color):
        return f'<span style="color:{color};font-size:14px">{html.escape(text)}</span>'

    def _show_error(self, action, exc):
        """Show ``exc`` in the page as "Could not <action>: <message>"."""
        self.last_error = traceback.format_exc()
        message = str(exc) or type(exc).__name__
        self.message.value = notice_html(
            [f"Could not {action}: {message}",
             "The figures show the last settings that worked; change a control to try again."],
            "error")
        self.status.value = self._status_html("✗ failed", OKABE_ITO["vermillion"])

    # -- widgets and layout ------------------------------------------------------------------
    def _canvas(self, fig, name):
        """Attach an ipympl canvas to ``fig`` (not registered with pyplot) and return it.

        Errors of its draws, which run in ipympl's message handler, are shown in the page.
        """
        canvas = LessonCanvas(fig)
        FigureManager(canvas, 0)
        canvas.on_error = lambda exc: self._show_error(f"draw the figure {name!r}", exc)
        canvas.header_visible = False
        canvas.footer_visible = False
        canvas.resizable = False
        canvas.toolbar_visible = False      # saving has its own buttons; the space goes to figures
        return canvas

    def preset_buttons(self):
        """One button per preset, or None."""
        if not self.presets:
            return None
        buttons = []
        for name in self.presets:
            b = widgets.Button(description=name, layout=widgets.Layout(width="auto"),
                               tooltip=f"Set the controls to the {name!r} preset")
            b.add_class(f"bpttviz-preset-{name.replace(' ', '-')}")

            def clicked(_, name=name):
                try:
                    self.apply_preset(name)
                except Exception as exc:
                    self._show_error(f"apply the preset {name!r}", exc)

            b.on_click(clicked)
            buttons.append(b)
        return widgets.VBox([widgets.HTML("<b>Presets</b>"),
                             widgets.HBox(buttons, layout=widgets.Layout(flex_flow="row wrap"))])

    def figure_box(self, name):
        """A figure's canvas with its save buttons."""
        box = widgets.VBox([self.canvases[name], self.savers[name].widget])
        box.add_class(f"bpttviz-figure-{name}")
        return box

    def figure_grid(self):
        """The figures, two per row."""
        boxes = [self.figure_box(name) for name in self.figures]
        return widgets.GridBox(boxes, layout=widgets.Layout(
            grid_template_columns="repeat(2, max-content)", grid_gap="4px 8px"))

    def layout(self):
        """Controls on the left, figures on the right; fits 1280 pixels."""
        side = [w for w in (self.preset_buttons(),) if w is not None]
        side += [self.widgets[c.name] for c in self.controls]
        side += list(self.extra_controls())
        side += [self.status, self.progress, self.message, self.notes, self.readout, self.link]
        controls = widgets.VBox(side, layout=widgets.Layout(width="320px", min_width="320px"))
        controls.add_class("bpttviz-controls")
        return widgets.HBox([controls, self.figure_grid()],
                            layout=widgets.Layout(align_items="flex-start"))

    def close(self):
        """Close every widget of the app (frees the kernel's side)."""
        stack = [self.widget, *self.widgets.values(), *self.canvases.values()]
        while stack:
            w = stack.pop()
            stack.extend(getattr(w, "children", ()))
            w.close()

    def _repr_mimebundle_(self, **kwargs):
        return self.widget._repr_mimebundle_(**kwargs)
