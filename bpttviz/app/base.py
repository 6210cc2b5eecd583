"""The shared machinery of a lesson app: controls -> one engine run -> figures the browser draws.

A lesson subclasses :class:`LessonApp`, declares its :class:`~bpttviz.app.controls.Control` s
and its :attr:`~LessonApp.figure_names`, and implements two hooks:

* ``compute(values)`` is the one engine run a change of the controls needs;
  every figure reads its result;
* ``render(result, values)`` turns the result into figure records
  (:mod:`bpttviz.figures`), ``{name: record}`` for the figures it changed.

The base class builds the widgets and the layout, runs ``compute`` once per
change and ``render`` after it, sends each record that changed to its live
figure (:class:`~bpttviz.app.live.LiveFigure`: the page draws it, the kernel
sends only the arrays the page lacks), shows every error of a callback as a
readable message in the page (Voila hides tracebacks), reads the initial
values from the page's query string (``?k1=5&k2=20``) and reports the values
it could not use, shows a link to the current configuration, offers each
figure as PNG or SVG (Matplotlib draws the same record), and says when it is
busy.

Of a burst of changes from the page (a held arrow key, a dragged slider),
only the newest is computed: a change that comes while the kernel has just
computed waits :data:`SETTLE_S`, and every change that arrives meanwhile
only moves the value it will compute.

It is built from parts, each in its module: :mod:`.controls` (a control
declared once), :mod:`.query` (the page's query string, read once into a
:class:`~bpttviz.app.query.PageQuery`), :mod:`.link` (the link to the
configuration), :mod:`.live` (figures drawn by the browser), :mod:`.downloads` (figure files),
:mod:`.notices` (messages), :mod:`.projector` (projector mode and the
layout's reflow), :mod:`.alt_text` and :mod:`.access` (what each figure
shows, in words; names for screen readers), :mod:`.guided` (the guided
steps), :mod:`.teacher` (links that hide and fix controls) and
:mod:`.request` (the page's request under Voila's preheating).

ipywidgets only: the numbers come from the engine, the figures' content from
:mod:`bpttviz.figures`.
"""

from __future__ import annotations

import asyncio
import html
import os
import time
import traceback
from contextlib import contextmanager

import ipywidgets as widgets

from ..figures import FIGURE_PX, Figure, records_equal
from .access import ACCESS_CSS, TEXT_COLOURS, TextAlternatives, access_markup
from .controls import CONTROL_WIDTH, widget_range
from .downloads import FigureSaver
from .guided import StepsPanel
from .link import PageLink
from .live import LiveFigure
from .notices import notice_html
from .projector import PROJECTOR_CSS, ProjectorMode
from .query import PageQuery, settings_asked
from .request import wait_for_page
from .teacher import TeacherLinks

__all__ = ["LessonApp", "FIGURE_PX", "SETTLE_S", "SLOW_MS"]

#: A change from the page that comes less than this many seconds after the last computation
#: waits this long before it is computed; changes that arrive meanwhile replace its value. A
#: held key or a dragged slider then costs a computation every SETTLE_S at most, whatever the
#: rate of its messages, while a single move is computed at once.
SETTLE_S = 0.05
#: An update that took longer than this (milliseconds) says "computing…" while the next one runs.
SLOW_MS = 150.0


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
    figures : dict of str -> LiveFigure
        The live figure widget of each name in :attr:`figure_names`.
    records : dict of str -> bpttviz.figures.Figure
        What each figure shows, as the lesson last rendered it (a guided
        step's marks come on top: ``figures[name].record`` is what the page
        shows).
    result
        What the last ``compute`` returned.
    runs : int
        How many times ``compute`` ran.
    last_error : str or None
        The traceback of the last error shown in the page (for debugging;
        never shown to the audience).
    last_update_ms : float
        Duration of the last update (compute and render).
    page : PageQuery
        The page's query string as the app last applied it.
    page_url : str or None
        The page's address for the link (None: Voila's ``VOILA_REQUEST_URL``).
    projector : bool
        Whether the lesson is in projector mode (:meth:`set_projector`).
    alt_text : dict of str -> str
        What each figure shows, in words: its text alternative, read by
        screen readers, updated with the figure.
    """

    title = "Lesson"
    #: The lesson's name: its module in :mod:`bpttviz.app.lessons`, its steps file, and, with
    #: hyphens, its class in the page and its download names (:attr:`page_slug`).
    slug = "lesson"
    #: The controls, in the order they are shown and applied.
    controls: tuple = ()
    #: The figures, by name, in the order they are shown (each gets a ``bpttviz-figure-<name>``
    #: box in the page).
    figure_names: tuple = ()
    #: The figures that take a row of their own (a wide diagram).
    wide_figures: tuple = ()
    #: Named sets of control values; applied by a button or by ``?preset=name``.
    presets: dict = {}
    #: Shortcuts: query keys that set a control plus fixed values of others,
    #: e.g. ``{"radius": ("scale", {"scale_by": "radius"})}``. A control named in the
    #: query wins over a shortcut; of two shortcuts, the first (see ``_apply_query``).
    aliases: dict = {}

    def __init__(self, query: str | None = None):
        self.runs = 0
        #: Updates finished (the status line carries the number: ``data-update``).
        self.updates = 0
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
            w.on_rate_limited = self._rate_limited
            self.widgets[c.name] = w
        self.status = widgets.HTML(layout=widgets.Layout(min_height="24px"))
        self.status.add_class("bpttviz-status")
        self.progress = widgets.FloatProgress(value=0, min=0, max=1,
                                              layout=widgets.Layout(width=CONTROL_WIDTH,
                                                                    display="none"))
        self.progress.add_class("bpttviz-progress")
        self.message = widgets.HTML()
        self.message.add_class("bpttviz-message")
        self.rate_notice = widgets.HTML()
        self.rate_notice.add_class("bpttviz-rate-notice")
        self.notes = widgets.HTML()
        self.notes.add_class("bpttviz-notes")
        self.readout = widgets.HTML()
        self.readout.add_class("bpttviz-readout")
        self._notes = []
        self.page = PageQuery.parse("")
        self.page_url = None
        self.page_link = PageLink(self)
        self.link = self.page_link.widget
        self.figures = {name: LiveFigure() for name in self.figure_names}
        self.records = {}
        #: Marks drawn over a figure's record: ``{name: ((panel, mark), ...)}`` (the guided steps').
        self.overlays = {}
        self.savers = {name: FigureSaver(lambda name=name: self.figures[name].record,
                                         f"bpttviz-{self.page_slug}-{name}", self._show_error)
                       for name in self.figures}
        self._settle = {"scheduled": False, "recompute": False, "done": 0.0}
        self.descriptions = TextAlternatives(self)
        self.alt_text = self.descriptions.text
        self.projector_mode = ProjectorMode(self)
        self.projector_toggle = self.projector_mode.toggle
        # Style sheet (projector mode, reflow) and the script that names unnamed controls.
        self.page_style = widgets.HTML(
            f"<style>{PROJECTOR_CSS}{ACCESS_CSS}</style>{access_markup()}",
            layout=widgets.Layout(display="none"))
        self.page_style.add_class("bpttviz-page-style")
        with self.hold():
            self.constrain()
        #: The lesson's guided steps (``?step=N``), see :mod:`.guided`.
        self.steps = StepsPanel(self)
        #: ``hide``/``lock`` of the link and the "Link for my class" panel (:mod:`.teacher`).
        self.teacher = TeacherLinks(self)
        self._apply_query(os.environ.get("QUERY_STRING", "") if query is None else query)
        for name, w in self.widgets.items():
            w.observe(lambda change, name=name: self._changed(name, change["owner"]),
                      names="value")
        self.widget = self.layout()
        self.widget.add_class("bpttviz-app")
        self.widget.add_class(f"bpttviz-{self.page_slug}")
        self.projector_mode.show()
        self.update()

    @property
    def page_slug(self) -> str:
        """The slug as the page and the downloads spell it: hyphens, not underscores."""
        return self.slug.replace("_", "-")

    @property
    def page_options(self):
        """The page-level entries of the query string (:data:`~bpttviz.app.query.PAGE_KEYS`),
        as text."""
        return self.page.options

    # -- hooks for the lessons ------------------------------------------------------
    def compute(self, values: dict):
        """The engine run for these control values; its result is shared by all figures."""
        raise NotImplementedError

    def render(self, result, values: dict) -> dict:
        """The figures' records for ``result``: ``{name: bpttviz.figures.Figure}`` for each
        figure that may have changed (a record equal to the one shown is not sent again)."""
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

    def describe_figures(self, result, values: dict) -> dict:
        """Text alternatives of figures (name -> sentence) that have their own wording.

        A figure not named here is described from its record
        (:func:`bpttviz.app.alt_text.figure_text`).
        """
        return {}

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
        return {name: c.check(self.widgets[name].value, *widget_range(self.widgets[name]))
                for name, c in self._spec.items()}

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
        w.value = self._spec[name].check(value, *widget_range(w))
        self.constrain()

    def _assign_all(self, values: dict):
        """Set the controls that ``values`` names, in the controls' order (no update)."""
        with self.hold():
            for name in self._spec:
                if name in values:
                    self._assign(name, values[name])

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
            self._assign_all(values)
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
    def apply_query(self, query: str, page_url: str | None = None) -> list:
        """Apply a page's query string to the app already built, then update once.

        The one place a query string reaches an app after construction: under
        Voila's kernel preheating the app is built before its page is asked
        for (:meth:`follow_request`). The controls go back to their defaults,
        then ``query`` is applied exactly as the constructor applies it (a
        preset, settings, shortcuts; :attr:`page_options` replaced by the
        page-level keys, :data:`~bpttviz.app.query.PAGE_KEYS`), so
        ``app.apply_query(q)`` leaves the app as ``App(query=q)`` would.
        Entries that cannot be used are reported in the page's notes, as at
        construction.

        Parameters
        ----------
        query : str
            The query string, e.g. ``"k1=5&k2=20&projector=1"`` (a leading ``?`` allowed).
        page_url : str, optional
            The page's address without its query, for the link to the
            configuration; default: keep the one known (``VOILA_REQUEST_URL``).

        Returns
        -------
        list of str
            The entries not used, with why.
        """
        if page_url:
            self.page_url = page_url
        before = {k: w.value for k, w in self.widgets.items()}
        with self.hold():
            for c in self.controls:
                self.widgets[c.name].value = c.default
            self.constrain()
        self._notes = []
        problems = self._apply_query(query)
        if self.result is not None and before == {k: w.value for k, w in self.widgets.items()}:
            # Same controls (a page with no settings): the figures stand, the text follows.
            values = self.values()
            self.notes.value = notice_html(self._notes + list(self.notes_for(self.result, values)),
                                           "warning")
            self.show_link(values)
        else:
            self.update()
        return problems

    def follow_request(self) -> None:
        """Under Voila's kernel preheating, wait for the page's request and apply its query.

        A lesson notebook calls it in its last cell. It returns at once where
        the kernel was not preheated (plain Voila, JupyterLab, nbclient): the
        app read the query string when it was built. A preheated kernel first
        computed its figures when it was built, so the page's first draw is
        the browser's. An error is shown in the page.
        """
        try:
            request = wait_for_page()
            if request is not None:
                self.apply_query(*request)
        except Exception as exc:
            self._show_error("read the page's settings", exc)

    def _apply_query(self, query):
        """Set initial values from a query string; keep a note of every entry not used.

        Precedence: a preset first, then a guided step's values, then the
        settings over them. A setting named explicitly (``scale=2``) wins over
        a shortcut (``radius=2``, see :attr:`aliases`) that would set it
        differently; of two shortcuts that set the same control differently,
        the first in the link is used. The entry not used is reported in the
        page's notes.
        """
        page = PageQuery.parse(query, len(self.steps.steps))
        self.page = page
        self.teacher.release()              # the link's settings may set controls it fixed
        problems = self.projector_mode.apply(page)
        if page.preset is not None:
            if page.preset in self.presets:
                self._assign_all(self.presets[page.preset])
            else:
                problems.append(f"preset={page.preset}: there is no such preset (try "
                                f"{', '.join(self.presets) or 'none'}).")
        # A step's values; settings named in the link win.
        self._assign_all(self.steps.from_page(page, problems))
        wanted = settings_asked(page.settings, self._spec, self.aliases, self.presets, problems)
        with self.hold():
            for name, c in self._spec.items():
                if name not in wanted:
                    continue
                text, source = wanted[name]
                w = self.widgets[name]
                try:
                    self._assign(name, c.parse(text, *widget_range(w)))
                except ValueError as exc:
                    problems.append(f"{source}: {exc} Kept {c.format(w.value)}.")
        problems += self.teacher.apply(page)
        if problems:
            self._notes = ["The link asked for settings this lesson cannot use:"] + problems
        return problems

    def query_string(self, values=None) -> str:
        """The query string that reproduces ``values`` (default: the current ones)."""
        return self.page_link.query_string(self.values() if values is None else values)

    def link_url(self, values=None) -> str:
        """The full link to this configuration when served by Voila, else ``"?" + query``."""
        return self.page_link.url(self.query_string(values))

    def link_settings(self, values: dict) -> dict:
        """The values a link to this page carries: all of them, unless a lesson holds what a
        link cannot carry (lesson 4's uploaded file): it leaves those out."""
        return values

    def link_note(self, values: dict) -> str:
        """What the page says beside its link (plain text; "" for nothing), e.g. what the link
        leaves out."""
        return ""

    def show_link(self, values=None):
        """Show the link to ``values`` (default: the current ones) in the page."""
        self.page_link.show(self.values() if values is None else values)

    # -- updating ---------------------------------------------------------------------------
    def _changed(self, name, owner=None):
        if self._holding:
            return
        recompute = self._spec[name].recompute
        loop = _running_loop()
        if loop is None or not getattr(owner, "from_page", False):
            self.update(recompute=recompute)
            return
        # A change from the page: compute now if the kernel has been quiet, else a little later,
        # so that of many queued changes (a held key) only the newest is computed.
        settle = self._settle
        settle["recompute"] = settle["recompute"] or recompute
        if settle["scheduled"]:
            return
        if time.monotonic() - settle["done"] > SETTLE_S:    # quiet: at once, as any change
            settle["recompute"] = False
            self.update(recompute=recompute)
            return
        settle["scheduled"] = True
        loop.call_later(SETTLE_S, self._settled)

    def _settled(self):
        """Compute the newest of the changes that came from the page since the last."""
        settle = self._settle
        recompute = settle["recompute"]
        settle["scheduled"], settle["recompute"] = False, False
        self.update(recompute=recompute)

    def update(self, recompute=True) -> bool:
        """Run the engine once (unless ``recompute=False``) and redraw the figures that changed.

        Never raises: an error is shown in the page, the figures keep their
        last state, and the result is False.
        """
        t0 = time.perf_counter()
        done = False
        # An update expected to be quick does not say "computing": the word would show for a
        # few milliseconds at the cost of one more message per move.
        with self.busy("computing", say=not self.last_update_ms < SLOW_MS):
            with self.hold():
                self.constrain()
            values = self.values()
            if recompute or self.result is None:
                self.runs += 1
                self.result = self.compute(values)
            records = self.render(self.result, values) or {}
            # The figures go first, their text alternatives after: the page draws every canvas
            # before it touches the text around them.
            changed = self.show_figures(records)
            self.refresh_alt_text(changed, self.result, values)
            self.readout.value = self.describe(self.result, values)
            self.notes.value = notice_html(self._notes + list(self.notes_for(self.result, values)),
                                           "warning")
            self.show_link(values)
            done = True
        self.last_update_ms = (time.perf_counter() - t0) * 1e3
        self._settle["done"] = time.monotonic()
        if done:
            self.updates += 1
            self.message.value = ""
            # Numbered, so that each update reaches the page even when its words repeat.
            self.status.value = self._status_html(f"✓ updated in {self.last_update_ms:.0f} ms",
                                                  TEXT_COLOURS["green"], self.updates)
        return done

    def show_figures(self, records: dict) -> list:
        """Show each ``{name: record}`` (a guided step's marks over it); return the names whose
        page figure changed (their text alternatives are the caller's to refresh)."""
        unknown = set(records) - set(self.figures)
        if unknown:
            raise ValueError(f"{type(self).__name__} has no figure {', '.join(sorted(unknown))}; "
                             f"its figures are {', '.join(self.figures)}.")
        for name, record in records.items():
            if not isinstance(record, Figure):
                raise TypeError(f"A live figure shows a bpttviz.figures.Figure. Got "
                                f"{type(record).__name__} instead for figure {name!r}.")
        self.records.update(records)
        return [name for name in records if self._show(name)]

    def set_overlay(self, name: str, marks=()):
        """Draw ``marks`` (``(panel, mark)`` pairs) over figure ``name`` until set again."""
        self.overlays[name] = tuple(marks)
        if self._show(name):
            self.refresh_alt_text([name])

    def _show(self, name) -> bool:
        """Send figure ``name``'s record, with its overlay, unless the page shows it already."""
        record = self.records.get(name)
        if record is None:
            return False
        for panel, mark in self.overlays.get(name, ()):
            record = record.with_mark(panel, mark)
        live = self.figures[name]
        if live.record is not None and records_equal(record, live.record):
            return False
        live.show(record)
        return True

    @contextmanager
    def busy(self, label="computing", say=True):
        """Show ``label…`` (if ``say``) while the block runs; an error in it is shown, not raised."""
        if say:
            self.status.value = self._status_html(f"● {label}…", TEXT_COLOURS["orange"])
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
            self.status.value = self._status_html(f"● {label}…", TEXT_COLOURS["orange"])

    @staticmethod
    def _status_html(text, color, update=None):
        number = "" if update is None else f' data-update="{int(update)}"'
        return (f'<span style="color:{color};font-size:14px"{number}>'
                f'{html.escape(text)}</span>')

    def _rate_limited(self, dropped: int):
        """The server dropped ``dropped`` changes that the page sent too fast: say so."""
        was = "change from this page was" if dropped == 1 else "changes from this page were"
        self.rate_notice.value = notice_html(
            [f"{dropped} {was} dropped: the page sent them faster than the server takes "
             f"them. The newest value of each control was kept."], "warning")

    def _show_error(self, action, exc):
        """Show ``exc`` in the page as "Could not <action>: <message>"."""
        self.last_error = traceback.format_exc()
        message = str(exc) or type(exc).__name__
        self.message.value = notice_html(
            [f"Could not {action}: {message}",
             "The figures show the last settings that worked; change a control to try again."],
            "error")
        self.status.value = self._status_html("✗ failed", TEXT_COLOURS["vermillion"])

    def attempt(self, action, what: str):
        """Call ``action()``; an error is shown in the page ("Could not <what>: ...").

        For the widgets' callbacks: an error raised in ipywidgets' message
        handler reaches no one.
        """
        try:
            action()
        except Exception as exc:
            self._show_error(what, exc)

    # -- projector mode and text alternatives ---------------------------------------------
    @property
    def projector(self) -> bool:
        return self.projector_mode.on

    def set_projector(self, on: bool):
        """Turn projector mode on or off: large type, thick lines, bigger figures.

        Can be called at any time, also after the page is shown (the toggle
        in the page calls it).
        """
        self.projector_mode.set(on)

    def apply_projector_option(self) -> list:
        """Apply ``projector`` of :attr:`page_options` (absent: off); return the problems."""
        return self.projector_mode.apply(self.page)

    def refresh_alt_text(self, names=None, result=None, values=None):
        """Recompute the text alternatives of figures ``names`` (default all) from what they show.

        ``result`` and ``values`` (default: the last ones) feed
        :meth:`describe_figures`; an error in it falls back on the
        description from the figure's record.
        """
        self.descriptions.refresh(names, result, values)

    # -- widgets and layout ------------------------------------------------------------------
    def preset_buttons(self):
        """One button per preset, or None."""
        if not self.presets:
            return None
        buttons = []
        for name in self.presets:
            b = widgets.Button(description=name, layout=widgets.Layout(width="auto"),
                               tooltip=f"Set the controls to the {name!r} preset")
            b.add_class(f"bpttviz-preset-{name.replace(' ', '-')}")
            b.on_click(lambda _, name=name: self.attempt(lambda: self.apply_preset(name),
                                                         f"apply the preset {name!r}"))
            buttons.append(b)
        return widgets.VBox([widgets.HTML("<b>Presets</b>"),
                             widgets.HBox(buttons, layout=widgets.Layout(flex_flow="row wrap"))])

    def figure_box(self, name):
        """A figure (with its text alternative) and its save buttons."""
        box = widgets.VBox([self.figures[name], self.savers[name].widget])
        box.add_class("bpttviz-figure")
        box.add_class(f"bpttviz-figure-{name}")
        if name in self.wide_figures:
            box.add_class("bpttviz-figure-wide")
        return box

    def figure_grid(self):
        """The figures, two per row where two fit, else one (the style sheet of :mod:`.projector`
        sizes them)."""
        return widgets.HBox([self.figure_box(name) for name in self.figures])

    def layout(self):
        """Controls on the left, figures on the right (1280 pixels); figures under the
        controls where the page is narrower."""
        side = [w for w in (self.steps.widget, self.preset_buttons()) if w is not None]
        side += [self.widgets[c.name] for c in self.controls]
        side += list(self.extra_controls())
        side += [self.teacher.notice, self.projector_toggle]
        side += [self.status, self.progress, self.message, self.rate_notice, self.notes,
                 self.readout, self.link]
        side += [self.teacher.panel, self.page_style]
        controls = widgets.VBox(side)
        controls.add_class("bpttviz-controls")
        #: The figures beside the controls (:meth:`figure_grid`).
        self.figure_area = self.figure_grid()
        self.figure_area.add_class("bpttviz-figures")
        root = widgets.HBox([controls, self.figure_area])
        root.add_class("bpttviz-layout")
        return root

    def close(self):
        """Close every widget of the app (frees the kernel's side) and its link to the class view."""
        self.steps.classroom.close()
        stack = [self.widget, *self.widgets.values(), *self.figures.values()]
        while stack:
            w = stack.pop()
            stack.extend(getattr(w, "children", ()))
            w.close()

    def _repr_mimebundle_(self, **kwargs):
        return self.widget._repr_mimebundle_(**kwargs)


def _running_loop():
    """The asyncio loop running in this thread (a kernel's), or None (a script, a test)."""
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None
