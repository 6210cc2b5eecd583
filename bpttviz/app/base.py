"""A lesson's page: the shell that turns a lesson declaration into widgets and keeps them current.

A lesson is declared widget-free (:class:`bpttviz.lessons.Lesson`). The
page, :class:`LessonApp`, makes one instance of it and builds parts around it,
each in its module and each given values and callbacks, never the page:
:mod:`.values` (the controls), :mod:`.figure_panel` (live figures drawn by the
browser, marks over them, downloads), :mod:`.status` (what the page says),
:mod:`.access` (text alternatives), :mod:`.projector`, :mod:`.link`,
:mod:`.guided` (the guided steps), :mod:`.teacher` (links that hide and fix
controls), :mod:`.background` (training runs) and :mod:`.upload` (the user's
file). The page reads its settings from the query string (``?k1=5&k2=20``,
:mod:`.query`) and redraws (:mod:`.redraw`) at each change of the controls: the
lesson's ``compute`` once, ``render`` after it, each figure sent only when it changed.

Of a burst of changes from the page (a held arrow key, a dragged slider),
only the newest is computed: a change that comes while the kernel has just
computed waits :data:`SETTLE_S`, and every change that arrives meanwhile
only moves the value it will compute.
"""

from __future__ import annotations

import os

import ipywidgets as widgets

from ..figures import FIGURE_PX
from ..lessons import Lesson, LessonWithRuns, lesson as lesson_named
from ..upstream.ipywidgets_classes import classed
from .access import ACCESS_CSS, TextAlternatives, access_markup
from .background import TrainingPanel
from .class_teaching import ClassTeaching
from .controls import play_widget
from .redraw import SLOW_MS, RedrawLoop
from .figure_panel import FigurePanel
from .guided import StepsHost, StepsPanel
from .link import PageLink
from .projector import PROJECTOR_CSS, ProjectorMode
from .ratelimit import ChangeGate
from .shared import Shared
from .query import PageQuery, apply_page
from .settle import Settler
from .status import Messages
from .teacher import TeacherLinks
from .upload import YourDataPanel
from .values import ControlPanel, preset_buttons

__all__ = ["LessonApp", "FIGURE_PX", "SETTLE_S", "SLOW_MS"]

#: A change from the page that comes less than this many seconds after the last computation
#: waits this long; changes that arrive meanwhile replace its value (:mod:`.settle`).
SETTLE_S = Settler.SETTLE_S
#: What a page takes from its lesson's declaration, under the same names.
DECLARED = ("slug", "title", "controls", "figure_names", "wide_figures", "presets", "aliases")


class LessonApp:
    """The page of a lesson: its widgets, built from the lesson's declaration.

    Parameters
    ----------
    query : str, optional
        Initial values as a query string, e.g. ``"k1=5&k2=20&radius=1.1"``.
        Default: ``os.environ["QUERY_STRING"]``, which Voila sets to the page's
        query string. Unusable entries are reported in the page and left at
        their defaults.
    lesson : Lesson subclass or str, optional
        The lesson (or its slug); default the class attribute :attr:`lesson`
        (``VanishingApp.lesson`` is :class:`bpttviz.lessons.VanishingLesson`).
    shared : bpttviz.app.shared.Shared, optional
        What the pages of this process share (a lecture hall's server): results, the
        processes that train.

    Attributes
    ----------
    lesson : bpttviz.lessons.Lesson
        This page's instance of the lesson.
    widget : ipywidgets.Widget
        The whole page; displaying the app displays it.
    widgets, figures, records, savers, overlays
        The controls' widgets, the live figures, what each figure shows as the lesson
        rendered it, the save buttons, the marks over figures (:class:`.FigurePanel`).
    result
        What the last ``compute`` returned.
    runs, updates : int
        How many times the lesson computed; how many redraws finished (the status line
        carries the number: ``data-update``).
    page, page_url : PageQuery, str or None
        The page's query string as last applied; its address (None: ``VOILA_REQUEST_URL``).
    alt_text : dict of str -> str
        What each figure shows, in words, updated with the figure.
    steps, teacher, training, your_data
        The guided steps, the teacher's links, the Train/Stop buttons (lessons that train,
        else None), the user's file (lessons that take one, else None).
    """

    lesson = None

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if isinstance(cls.__dict__.get("lesson"), type):
            for name in DECLARED:
                setattr(cls, name, getattr(cls.lesson, name))

    def __init__(self, query: str | None = None, *, lesson=None, shared=None):
        declared = lesson if lesson is not None else type(self).lesson
        declared = lesson_named(declared) if isinstance(declared, str) else declared
        if not (isinstance(declared, type) and issubclass(declared, Lesson)):
            raise ValueError(f"A LessonApp needs a lesson: a bpttviz.lessons.Lesson subclass or "
                             f"a lesson's slug. Got {declared!r} instead.")
        for name in DECLARED:
            setattr(self, name, getattr(declared, name))
        self.lesson = declared()
        self.page, self.page_url = PageQuery.parse(""), None
        owner = type(self).__name__
        self.messages = m = Messages()
        self.status, self.progress, self.message = m.status, m.progress, m.message
        self.rate_notice, self.notes, self.readout = m.rate_notice, m.notes, m.readout
        # What the page says of its work: Messages.attempt, busy, report_progress, show_error.
        self.attempt, self.busy, self.report_progress = m.attempt, m.busy, m.report_progress
        self._show_error = m.show_error
        self.control_panel = cp = ControlPanel(declared.controls, self.lesson.limits, owner)
        self.widgets = cp.widgets
        # The controls' values (checked), a block that holds redraws, the lesson's limits.
        self.values, self.hold, self.constrain = cp.values, cp.hold, cp.constrain
        gate = ChangeGate(m.rate_limited)   # past its rate, only the newest change waits
        for w in self.widgets.values():
            w.gate = gate
        self.figure_panel = fp = FigurePanel(declared.figure_names, declared.wide_figures,
                                             f"bpttviz-{self.page_slug}", m.show_error, owner)
        self.figures, self.records, self.savers = fp.figures, fp.records, fp.savers
        self.overlays = fp.overlays
        for name, fig in self.figures.items():
            fig.on_click(lambda panel, x, y, name=name: self.attempt(
                lambda: self._clicked(name, panel, x, y), "use the click on the figure"))
        self.page_link = PageLink(declared.controls, self.lesson.link_refusal,
                                  self.lesson.link_note, self._link_extra,
                                  lambda: self.page_url, lambda v: self.teacher.refresh(v))
        self.link = self.page_link.widget
        self.descriptions = TextAlternatives(self.figures, self.lesson.describe_figures, lambda: (
            self.result, self.values()), self._keep_error)
        self.alt_text = self.descriptions.text
        # Figures shown (FigurePanel.show) and described again (TextAlternatives.refresh).
        self.show_figures, self.refresh_alt_text = fp.show, self.descriptions.refresh
        self.widget = None
        self.projector_mode = ProjectorMode(fp.set_scale, lambda: self.widget, self.attempt)
        self.projector_toggle = self.projector_mode.toggle
        self.set_projector = self.projector_mode.set     # large type, thick lines, big figures
        # Style sheet (projector mode, reflow) and the script that names unnamed controls.
        self.page_style = classed(
            widgets.HTML, "bpttviz-page-style",
            value=f"<style>{PROJECTOR_CSS}{ACCESS_CSS}</style>{access_markup()}",
            layout=widgets.Layout(display="none"))
        self.control_panel.constrain()
        self.steps = StepsPanel(declared, StepsHost(
            set_values=self.set, values=self.values, result=lambda: self.result,
            compute=lambda values: self.compute(values), record=self.records.get,
            set_overlay=self.set_overlay, attempt=self.attempt, show_link=self.show_link))
        self.teacher = TeacherLinks(self.control_panel, self.page_link.settings,
                                    self.page_link.url, self.attempt, self._fixed)
        # The lecturer's pause and class experiment (nothing without the class view).
        self.class_teaching = ClassTeaching(self.steps.classroom, self.control_panel,
                                            self.experiment_point, self.attempt)
        shared = shared or Shared(results=None)
        self.training = (TrainingPanel(self.lesson, m, lambda: (self.result, self.values()),
                                       self.show_figures, self.refresh_alt_text,
                                       lambda: self.redraw_loop.show_notes(), shared.runs)
                         if isinstance(self.lesson, LessonWithRuns) else None)
        self.your_data = None
        if declared.uploads is not None:
            self.your_data = YourDataPanel(self._use_data)
            menu, choice = declared.uploads        # the upload shows while its choice is made
            self.widgets[menu].observe(lambda change: self.your_data.show(change.new == choice),
                                       names="value")
        self.redraw_loop = RedrawLoop(
            self.lesson, self.control_panel, fp, self.refresh_alt_text, m, self.show_link,
            self.training.end_run if self.training is not None else lambda: None,
            self.training.notes if self.training is not None else lambda result: [],
            lambda: setattr(self.your_data.message, "value", self.your_data.waiting_text()),
            shared.results)
        # The lesson's engine run; a redraw: compute (if asked), render, show what changed.
        self.compute, self.redraw = self.redraw_loop.compute, self.redraw_loop.redraw
        self.update = self.redraw           # the name a redraw had before
        self._apply_query(os.environ.get("QUERY_STRING", "") if query is None else query)
        for name, w in self.widgets.items():
            w.observe(lambda change, name=name: self.redraw_loop.changed(name, change["owner"]),
                      names="value")
        self.widget = self.layout()
        # A lecturer's pause holds what starts something, besides the controls.
        if self.training is not None:
            self.training.refusal = self.class_teaching.refusal
            self.class_teaching.hold_also(self.training.start_button,
                                          after=lambda: self.training.running)
        if self.lesson.play:
            self.class_teaching.hold_also(self.play)
        self.projector_mode.show()
        self.redraw()

    # What the page computed and how often (:class:`.RedrawLoop`).
    result = property(lambda self: self.redraw_loop.result)
    runs = property(lambda self: self.redraw_loop.runs)
    updates = property(lambda self: self.redraw_loop.updates)
    last_update_ms = property(lambda self: self.redraw_loop.last_update_ms,
                              lambda self, ms: setattr(self.redraw_loop, "last_update_ms", ms))
    _notes = property(lambda self: self.redraw_loop.link_notes)

    @property
    def page_slug(self) -> str:
        """The slug as the page and the downloads spell it: hyphens, not underscores."""
        return self.lesson.page_slug()

    @property
    def page_options(self):
        """The page-level entries of the query string, as text."""
        return self.page.options

    @property
    def last_error(self):
        """The traceback of the last error shown in the page (never shown to the audience)."""
        return self.messages.last_error

    def _keep_error(self, text):
        self.messages.last_error = text

    def _fixed(self, names):
        self.lesson.fixed = names

    # -- values ------------------------------------------------------------------------
    def set(self, **values):
        """Set several controls at once (in the controls' order), then redraw once.

        Raises ``ValueError`` for an unknown control or a value out of range;
        nothing is changed then.
        """
        self.control_panel.set_all(values)
        self.redraw()

    def apply_preset(self, name: str):
        """Set the controls of preset ``name`` and redraw once."""
        if name not in self.presets:
            raise ValueError(f"{type(self).__name__} has no preset {name!r}; its presets are "
                             f"{', '.join(self.presets)}.")
        self.set(**self.presets[name])

    # -- query string and link ------------------------------------------------------------
    def apply_query(self, query: str, page_url: str | None = None) -> list:
        """Apply a page's query string to the app already built, then redraw once.

        The controls go back to their defaults, then ``query`` is applied as the
        constructor applies it, so ``app.apply_query(q)`` leaves the app as
        ``App(query=q)`` would (for an app built before its page's link was known).
        ``page_url``: the page's address without its query.
        Returns the entries not used, with why (also shown in the page's notes).
        """
        if page_url:
            self.page_url = page_url
        before = self.control_panel.raw()
        self.control_panel.reset()
        self.redraw_loop.link_notes = []
        problems = self._apply_query(query)
        if self.result is not None and before == self.control_panel.raw():
            self.redraw_loop.show_notes()   # the same controls: the figures stand, the text goes on
            self.show_link()
        else:
            self.redraw()
        return problems

    def _apply_query(self, query):
        """Set initial values from a query string (:func:`.query.apply_page`); keep a note of
        every entry not used."""
        self.page = PageQuery.parse(query, len(self.steps.steps))
        problems = apply_page(self.page, self.lesson, self.control_panel, self.steps,
                              self.projector_mode, self.teacher)
        if problems:
            self.redraw_loop.link_notes = ["The link asked for settings this lesson cannot use:",
                                           *problems]
        return problems

    def _link_extra(self) -> list:
        return self.steps.query_pairs() + self.teacher.link_items()

    def query_string(self, values=None) -> str:
        """The query string that reproduces ``values`` (default: the current ones)."""
        return self.page_link.query_string(self.values() if values is None else values)

    def link_url(self, values=None) -> str:
        """The full link to this configuration when served by Voila, else ``"?" + query``."""
        return self.page_link.url(self.query_string(values))

    def experiment_point(self) -> dict:
        """What the page sends to a class experiment: its settings, the lesson's result
        (:meth:`~bpttviz.lessons.Lesson.experiment_result`) and its link."""
        values = self.values()
        run = self.training.run if self.training is not None else None
        return {"settings": values, "result": self.lesson.experiment_result(self.result, run),
                "link": self.link_url(values)}

    def show_link(self, values=None):
        """Show the link to ``values`` (default: the current ones) in the page."""
        self.page_link.show(self.values() if values is None else values)

    def _use_data(self, data):
        """Use ``data``, a file the upload read: the lesson's values for it, set at once."""
        values = self.lesson.use_data(data, self.values())
        self.lesson.data = data
        with self.hold():
            for name, value in values.items():
                self.widgets[name].value = value
                self.constrain()
        self.redraw()

    def _clicked(self, name, panel, x, y):
        """A click inside figure ``name``'s axes: the values the lesson sets for it."""
        values = self.lesson.clicked(name, panel, x, y, self.values())
        if values:
            self.set(**values)

    def set_overlay(self, name: str, marks=()):
        """Draw ``marks`` (``(panel, mark)`` pairs) over figure ``name`` until set again."""
        if self.figure_panel.set_overlay(name, marks):
            self.refresh_alt_text([name])

    # -- projector mode and text alternatives ---------------------------------------------
    @property
    def projector(self) -> bool:
        return self.projector_mode.on

    # -- widgets and layout ------------------------------------------------------------------
    def layout(self):
        """Controls on the left, figures on the right (1280 pixels); figures under the
        controls where the page is narrower (the style sheet of :mod:`.projector`). The
        controls and their buttons come first, the guided steps after them: a lesson scrolled
        into view shows its controls, buttons and first figures on a laptop or projector."""
        presets = preset_buttons(self.presets, self.apply_preset, self.attempt)
        side = [presets] if presets is not None else []
        for c in self.controls:
            side.append(self.widgets[c.name])
            if self.your_data is not None and c.name == self.lesson.uploads[0]:
                side.append(self.your_data.widget)    # under the menu where it is chosen
        if self.lesson.play:
            self.play, self.play_link = play_widget(self.widgets[self.lesson.play])
            side.append(widgets.HBox([widgets.Label("walk the passes"), self.play]))
        if self.training is not None:
            side.append(self.training.widget)
        # The class's parts (a pause, Send my result; the guided steps) after the buttons.
        side += self.class_teaching.widgets
        side += [self.steps.widget] if self.steps.widget is not None else []
        side += [self.teacher.notice, self.projector_toggle, *self.messages.children, self.link,
                 self.teacher.panel, self.page_style]
        self.figure_area = self.figure_panel.grid()     # the figures beside the controls
        return page_layout(side, self.figure_area,
                           classes=("bpttviz-app", f"bpttviz-{self.page_slug}"))

    def close(self):
        """Close every widget of the app (frees the kernel's side), end a run in progress and
        the link to the class view."""
        if self.training is not None:
            self.training.end_run()
        self.steps.classroom.close()
        stack = [self.widget, *self.widgets.values(), *self.figures.values()]
        while stack:
            w = stack.pop()
            stack.extend(getattr(w, "children", ()))
            w.close()

    def _repr_mimebundle_(self, **kwargs):
        return self.widget._repr_mimebundle_(**kwargs)


def page_layout(side: list, figures, classes=()):
    """The page (with the DOM classes ``classes``): the widgets ``side`` in the controls'
    column, ``figures`` beside them."""
    controls = classed(widgets.VBox, "bpttviz-controls", children=side)
    root = classed(widgets.HBox, "bpttviz-layout", *classes, children=[controls, figures])
    return root
