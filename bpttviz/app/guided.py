"""The guided steps of a lesson in its page: set the controls, ask, wait for a prediction, reveal.

Predict, observe, explain (White & Gunstone 1992, *Probing understanding*):
each step of :mod:`bpttviz.steps` sets the lesson's controls, asks a
question with choices, and, once a choice is made, says whether it was
right, computes what happened with the engine (the step's checks, on the
figures' own result), marks the figure it is about (an outline around the
figure and a marker on its axes, removed on the next step) and explains
why, with the source. The current step travels in the page's link as
``?step=N`` (numbered from 1).

Every button is a real button: Tab reaches it, Enter or Space presses it,
and its text is its accessible name. After a choice the focus moves to
"Next", after "Next" to the first choice, so a keyboard walks the steps
without the mouse. The reveal is a polite live region: screen readers say
it when it appears.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from typing import Callable

import ipywidgets as widgets

from ..figures import OKABE_ITO
from ..steps import evaluate, figure_title, highlight_marks
from ..upstream.ipywidgets_classes import classed
from .classroom import ClassLink
from .notices import notice_html

__all__ = ["StepsPanel", "StepsHost", "MARK_COLOR"]

#: Colour of the outline and the marks (Okabe-Ito orange, seen by colour-blind readers).
MARK_COLOR = OKABE_ITO["orange"]
_FOCUS_COLOR = OKABE_ITO["blue"]

_STYLE = f"""<style>
.bpttviz-steps .bpttviz-step-choice {{ height: auto; min-height: 32px; white-space: normal;
  text-align: left; line-height: 1.3; padding: 4px 8px; width: 100%; }}
.bpttviz-steps .jupyter-button:focus-visible, .bpttviz-steps button:focus-visible {{
  outline: 3px solid {_FOCUS_COLOR}; outline-offset: 2px; }}
.bpttviz-steps .bpttviz-step-text {{ font-size: 14px; line-height: 1.4; white-space: normal; }}
</style>"""


@dataclass(frozen=True)
class StepsHost:
    """What the steps panel may do to its lesson's page: values and callbacks, no more."""

    #: ``set_values(**values)``: set controls and update once.
    set_values: Callable
    #: ``values() -> dict``: the controls' values now.
    values: Callable
    #: ``result()``: what the lesson computed last.
    result: Callable
    #: ``compute(values)``: the lesson's engine run (for a check's baseline).
    compute: Callable
    #: ``record(name)``: the record figure ``name`` shows (None before it is drawn).
    record: Callable
    #: ``set_overlay(name, marks)``: draw ``(panel, mark)`` pairs over figure ``name``.
    set_overlay: Callable
    #: ``attempt(action, what)``: run a button's action, an error shown in the page.
    attempt: Callable
    #: ``show_link()``: show the link to the current configuration.
    show_link: Callable


class StepsPanel:
    """The "Guided steps" panel of a lesson's page.

    Parameters
    ----------
    lesson : type of bpttviz.lessons.Lesson
        Its steps (:meth:`~bpttviz.lessons.Lesson.steps`), quantities, defaults and page slug.
    host : StepsHost
        What the panel may do to the page.

    Attributes
    ----------
    steps : tuple of bpttviz.steps.Step
    index : int or None
        The step shown (0-based), None when no step is.
    choice : int or None
        The choice made at this step, None while waiting for one.
    outcome : bpttviz.steps.Outcome or None
        The step's checks computed when its choice was made.
    widget : ipywidgets.Widget or None
        The panel; None for a lesson without steps.
    """

    def __init__(self, lesson, host: StepsHost):
        self.lesson, self.host = lesson, host
        self.steps = lesson.steps()
        self.index = None
        self.choice = None
        self.outcome = None
        #: Whether the answer of the step shown was revealed by the lecturer (class view).
        self.lecturer_revealed = False
        #: The figure the step's marks are drawn over (None: none is).
        self.marked = None
        #: ``{step: (round, choice)}``: the page's latest choice in a vote (0-based step and
        #: choice, 1-based round); a vote's choice reveals nothing until the lecturer does.
        self.voted = {}
        self._vote_shown = None
        self.widget = None
        #: The page's link to the class view (:mod:`.classroom`); inactive without one.
        self.classroom = ClassLink(len(self.steps), self._follow_lecturer, host.attempt,
                                   page_name=lesson.page_name())
        if not self.steps:
            return
        button = dict(layout=widgets.Layout(width="auto"))
        self.start_button = classed(widgets.Button, "bpttviz-step-start",
                                    description="Start guided steps",
                                    tooltip="Predict, then see what happens",
                                    button_style="info", **button)
        self.prev_button = classed(widgets.Button, "bpttviz-step-previous",
                                   description="Previous step", disabled=True,
                                   tooltip="Go back one step", **button)
        self.next_button = classed(widgets.Button, "bpttviz-step-next",
                                   description="Next step", disabled=True,
                                   tooltip="Go to the next step", **button)
        attempt = host.attempt
        self.start_button.on_click(lambda _: attempt(self._start_or_end, "start the steps"))
        self.prev_button.on_click(lambda _: attempt(lambda: self.go(self.index - 1),
                                                    "go to the previous step"))
        self.next_button.on_click(lambda _: attempt(lambda: self.go(self.index + 1),
                                                    "go to the next step"))
        self.heading = classed(widgets.HTML, "bpttviz-step-heading", value=self._heading())
        self.question = classed(widgets.HTML, "bpttviz-step-question")
        self.choices = classed(widgets.VBox, "bpttviz-step-choices",
                               layout=widgets.Layout(width="100%"))
        self.reveal = classed(widgets.HTML, "bpttviz-step-reveal")
        self.style = widgets.HTML(_STYLE)
        self.highlight_style = widgets.HTML()
        self.buttons = []
        self._buttons_step = None
        self.widget = classed(
            widgets.VBox, "bpttviz-steps",
            children=[self.style, self.highlight_style, self.heading,
                      widgets.HBox([self.start_button, self.prev_button, self.next_button],
                                   layout=widgets.Layout(flex_flow="row wrap", grid_gap="4px")),
                      *([self.classroom.follow, self.classroom.delivery] if self.classroom.active
                        else []),
                      self.question, self.choices, self.reveal],
            layout=widgets.Layout(width="310px", border="1px solid #767676", padding="4px 6px",
                                  margin="0 0 6px 0"))

    # -- the page's link -------------------------------------------------------------------
    def query_pairs(self) -> list:
        """``[("step", "N")]`` while step N is shown, else ``[]``: what the page's link carries."""
        return [] if self.index is None else [("step", str(self.index + 1))]

    def from_page(self, page, problems: list) -> dict:
        """Show the step a page's link asks for (``page.step``); return the control values it sets.

        Called while the app applies its query string (at construction and
        again whenever a query string is applied later) with the
        :class:`~bpttviz.app.query.PageQuery` read from it: the values
        returned are assigned there, before the settings named in the query,
        which win over them. A bad ``?step=`` is appended to ``problems`` and
        no step is shown.
        """
        if page.step_problem:
            problems.append(page.step_problem)
        self._clear_marks()
        self.index, self.choice, self.outcome = page.step, None, None
        self.lecturer_revealed = False
        self._show()
        self.classroom.page_known()
        return {} if page.step is None else self.values_of(page.step)

    def values_of(self, index: int) -> dict:
        """Every control's value at step ``index``: the step's settings over the defaults."""
        return {**self.lesson.defaults(), **self.steps[index].settings}

    # -- moving through the steps ----------------------------------------------------------
    def _start_or_end(self):
        if self.index is None:
            self.go(0)
        else:
            self.end()

    def go(self, index: int):
        """Show step ``index`` (0-based): set its controls, ask its question."""
        if not 0 <= index < len(self.steps):
            raise ValueError(f"The step must be from 1 to {len(self.steps)}. "
                             f"Got {index + 1} instead.")
        self._clear_marks()
        self.index, self.choice, self.outcome = index, None, None
        self.lecturer_revealed = False
        self._show()
        self.host.set_values(**self.values_of(index))     # updates the figures and the link
        if self.buttons:
            self.buttons[0].focus()
        self.show_revealed()

    def end(self):
        """Leave the steps: no step shown, the controls as they are."""
        self._clear_marks()
        self.index, self.choice, self.outcome = None, None, None
        self.lecturer_revealed = False
        self._show()
        self.host.show_link()
        self.start_button.focus()

    def choose(self, k: int):
        """Take choice ``k`` as the prediction and reveal what happened."""
        if self.index is None or self.choice is not None or self.lecturer_revealed:
            return
        step = self.steps[self.index]
        if not 0 <= k < len(step.choices):
            raise ValueError(f"The choice must be from 0 to {len(step.choices) - 1}. "
                             f"Got {k} instead.")
        if self.vote() is not None:
            self._cast(k)
            return
        self.choice = k
        self.classroom.chose(self.index, k)
        self._evaluate_and_show(step)
        # The button that takes the focus describes the outcome too (its title is its
        # accessible description): a screen reader says it with the button.
        said = f"{self._verdict(step)} {step.reveal.format(**self.outcome.facts)}"
        self.next_button.tooltip = self.start_button.tooltip = said
        target = self.next_button if not self.next_button.disabled else self.start_button
        target.focus()

    def _evaluate_and_show(self, step):
        """Compute the step's checks on its own configuration; show the answer and the marks."""
        host = self.host
        wanted = self.values_of(self.index)
        moved = host.values() != wanted
        if moved:                       # the reveal is about the step's own configuration
            host.set_values(**wanted)
        values = host.values()
        self.outcome = evaluate(step, host.result(), values, host.compute,
                                self.lesson.quantities)
        self._show(moved=moved)
        self._mark(step, self.outcome.facts)

    def _follow_lecturer(self, step):
        """What the class view said: go to the lecturer's ``step`` (0-based; None: stay), and
        show the answers revealed."""
        if step is not None and self.index != step:
            self.go(step)
        self.show_revealed()
        if (self.widget is not None and self.vote() != self._vote_shown
                and self.choice is None and not self.lecturer_revealed):
            self._show()

    def show_revealed(self):
        """Show the answer of the step shown when the lecturer revealed it (the class view).

        A page still waiting for its prediction gets the answer, what happened and why, its
        choices closed; a page that chose already says that the lecturer revealed it too.
        """
        if (self.index is None or self.lecturer_revealed or self.widget is None
                or self.index not in self.classroom.revealed):
            return
        self.lecturer_revealed = True
        step = self.steps[self.index]
        if self.choice is None:
            self.choice = self.my_vote()       # None without a vote in its latest round
            self._evaluate_and_show(step)
        else:
            self.reveal.value = self._reveal_html(step, False)

    # -- votes in rounds (peer instruction) ----------------------------------------------------
    def vote(self):
        """``(round, open)`` of the lecturer's vote on the step shown; None without one."""
        return None if self.index is None else self.classroom.votes.get(self.index)

    def my_vote(self):
        """The page's choice (0-based) in the latest round of the step shown; None if none."""
        vote, mine = self.vote(), self.voted.get(self.index)
        return mine[1] if vote is not None and mine is not None and mine[0] == vote[0] else None

    def _cast(self, k):
        """Vote ``k`` in the open round (the latest choice counts); refused once it is closed."""
        round_, is_open = self.vote()
        if not is_open:
            raise ValueError(f"The vote on step {self.index + 1} is closed: choices are counted "
                             f"only while the lecturer has it open.")
        self.voted[self.index] = (round_, k)
        self.classroom.chose(self.index, k, round_)
        self._show()

    def _vote_html(self):
        round_, is_open = self.vote()
        mine = self.my_vote()
        said = ("" if mine is None else
                f" Your vote: “{html.escape(self.steps[self.index].choices[mine])}”.")
        if is_open:
            head = (f"<b>Vote open</b> (round {round_}): choose your answer; you may change it "
                    "until the lecturer closes the vote.")
        else:
            head = f"<b>Vote closed</b> (round {round_}). The lecturer shows the class's split."
        return ("<div class='bpttviz-step-text bpttviz-step-vote' role='status' "
                f"aria-live='polite'>{head}{said}</div>")

    # -- what the panel shows --------------------------------------------------------------
    def _heading(self):
        n = len(self.steps)
        if self.index is None:
            return (f"<div class='bpttviz-step-text'><b>Guided steps</b> ({n}): predict what "
                    "happens, then see it computed.</div>")
        step = self.steps[self.index]
        return (f"<div class='bpttviz-step-text'><b>Step {self.index + 1} of {n}:</b> "
                f"{html.escape(step.title)}</div>")

    def _show(self, moved=False):
        if self.widget is None:
            return
        active = self.index is not None
        self.heading.value = self._heading()
        if self.choice is None:
            self.next_button.tooltip = "Go to the next step"
            self.start_button.tooltip = ("Leave the guided steps" if active else
                                         "Predict, then see what happens")
        self.start_button.description = "End guided steps" if active else "Start guided steps"
        self.start_button.button_style = "" if active else "info"
        self.prev_button.disabled = not active or self.index == 0
        self.next_button.disabled = not active or self.index == len(self.steps) - 1
        if not active:
            self._drop_buttons()
            self.question.value = ""
            self.reveal.value = ""
            self.highlight_style.value = ""
            return
        step = self.steps[self.index]
        self.question.value = (f"<div class='bpttviz-step-text'>"
                               f"{html.escape(step.question)}</div>")
        vote = None if self.choice is not None or self.lecturer_revealed else self.vote()
        self._vote_shown = self.vote()
        mine = self.my_vote()
        answered = self.choice is not None or self.lecturer_revealed
        for k, (b, text) in enumerate(zip(self._buttons_for(step), step.choices)):
            if vote is not None:            # a round: the page's vote marked; closed, disabled
                look = (f"Your vote: {text}" if k == mine else text, not vote[1],
                        "info" if k == mine else "")
            elif answered:                  # the answer shown: right and the page's wrong one
                look = ((f"✓ {text}", True, "success") if k == step.answer_index else
                        (f"✗ {text}", True, "danger") if k == self.choice else (text, True, ""))
            else:
                look = (text, False, "")
            with b.hold_sync():             # one message for the three traits
                b.description, b.disabled, b.button_style = look
        self.reveal.value = self._vote_html() if vote is not None else self._reveal_html(step,
                                                                                          moved)

    def _buttons_for(self, step):
        """The choice buttons of ``step``, made when the step is shown and then changed in place:
        a round opened or closed, a vote or a prediction changes a few of their traits, not the
        widgets (a widget made is its whole state sent to the page, and a class's pages all
        change at once when the lecturer opens a round)."""
        if self._buttons_step is not step:
            self._drop_buttons()
            for k, text in enumerate(step.choices):
                b = classed(widgets.Button, "bpttviz-step-choice", f"bpttviz-step-choice-{k + 1}",
                            description=text, tooltip=text,
                            layout=widgets.Layout(width="100%", height="auto"))
                b.on_click(lambda _, k=k: self.host.attempt(
                    lambda: self.choose(k), "vote" if self.vote() else "reveal the step"))
                self.buttons.append(b)
            self.choices.children = tuple(self.buttons)
            self._buttons_step = step
        return self.buttons

    def _drop_buttons(self):
        """Close the choice buttons shown, with the layout and style each made for itself."""
        self.choices.children = ()
        for b in self.buttons:
            b.layout.close()
            b.style.close()
            b.close()
        self.buttons, self._buttons_step = [], None

    def _verdict(self, step):
        return verdict(step, self.choice)

    def _reveal_html(self, step, moved):
        if self.choice is None and not self.lecturer_revealed:
            return ("<div class='bpttviz-step-text' role='status' aria-live='polite'>"
                    "<i>Choose your prediction.</i></div>")
        figure = figure_title(step.highlight, self.host.record(step.highlight["figure"]))
        return reveal_html(step, self.choice, self.outcome, figure, self.lecturer_revealed,
                           moved)

    # -- marks on the figure ---------------------------------------------------------------
    def _mark(self, step, facts):
        """Outline the step's figure and draw its marker over the figure's record."""
        name = step.highlight["figure"]
        self.highlight_style.value = (
            f"<style>.bpttviz-{self.lesson.page_slug()} .bpttviz-figure-{name} {{ outline: 4px "
            f"solid {MARK_COLOR}; outline-offset: 2px; }}</style>")
        record = self.host.record(name)
        if record is None or step.highlight.get("kind", "none") == "none":
            return
        panel, marks = highlight_marks(step.highlight, facts, record, MARK_COLOR)
        self.marked = name
        self.host.set_overlay(name, [(panel, m) for m in marks])

    def _clear_marks(self):
        """Remove the outline and the markers of the previous step."""
        if self.widget is not None:
            self.highlight_style.value = ""
        if self.marked is not None:
            name, self.marked = self.marked, None
            self.host.set_overlay(name, ())


def verdict(step, choice) -> str:
    """What a page says of its prediction ``choice`` at ``step`` (None: it made none)."""
    if choice is None:
        return f"The lecturer revealed the answer: “{step.answer}”."
    if choice == step.answer_index:
        return "✓ Your prediction was right."
    return f"✗ Not this time: the answer is “{step.answer}”."


def reveal_html(step, choice, outcome, figure: str, lecturer_revealed: bool, moved: bool) -> str:
    """A step's reveal: the verdict on ``choice``, what happened (``outcome``'s numbers), the
    ``figure`` marked, why, and the source; a warning when the numbers do not hold."""
    right = choice == step.answer_index
    color = "#006e4f" if right else "#b03c00"     # contrast 4.5:1 or more on white
    if choice is None:                            # revealed before this page chose
        color = "#1a1a1a"
    parts = [f"<div style='color:{color};font-weight:bold'>"
             f"{html.escape(verdict(step, choice))}</div>"]
    if lecturer_revealed:
        parts.append("<div class='bpttviz-step-revealed'><b>Revealed by the lecturer"
                     f":</b> the answer is “{html.escape(step.answer)}”.</div>")
    if moved:
        parts.append("<div><i>The controls were set back to this step's values.</i></div>")
    parts.append(f"<div><b>What happened:</b> "
                 f"{html.escape(step.reveal.format(**outcome.facts))}</div>")
    label = step.highlight.get("label")
    parts.append(f"<div><i>Marked in orange: the figure “{html.escape(figure)}”"
                 + (f", {html.escape(label)}" if label else "") + ".</i></div>")
    parts.append(f"<div><b>Why:</b> {html.escape(step.explanation)}</div>")
    parts.append(f"<div style='font-size:13px'><b>Source:</b> {html.escape(step.source)}</div>")
    warning = ""
    if not outcome.holds:
        warning = notice_html(["The numbers computed here do not support this step's answer: "
                               + "; ".join(outcome.failed())], "warning")
    return (f"<div class='bpttviz-step-text' role='status' aria-live='polite'>{''.join(parts)}"
            f"</div>" + warning)
