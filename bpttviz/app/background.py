"""Training in the background: the page's Train and Stop, and the runs followed live.

Training is long work. A lesson that trains
(:class:`~bpttviz.lessons.LessonWithRuns`: lessons 4 and 7) runs its
:func:`bpttviz.train` calls in background threads
(:class:`~bpttviz.lessons.runs.TrainingRun`) and returns at once: the kernel
stays free to handle widget messages (the Stop button, a control moved),
which Voila and JupyterLab deliver only while the kernel is not executing
anything. A task on the kernel's asyncio loop shows the curves a few times a
second from what the runs have recorded (the page receives only the points
added since: :mod:`.live`); the threads never touch a widget or a figure.
Without a running event loop (a script, a test) ``start`` trains in the
calling thread's wait instead.
"""

from __future__ import annotations

import asyncio
import time

import ipywidgets as widgets

from ..lessons.runs import TrainingRun
from ..upstream.ipywidgets_classes import classed
from .notices import notice_html

__all__ = ["TrainingRun", "TrainingPanel", "REDRAW_SECONDS", "WATCH_SECONDS"]

REDRAW_SECONDS = 0.25       # live redraws: four a second keep up without starving the runs
WATCH_SECONDS = 0.05        # how often the page looks whether the runs have ended


class TrainingPanel:
    """The Train (or Race) and Stop buttons of a lesson that trains, and the runs they start.

    A change of the controls stops a run in progress (:meth:`end_run`); Start
    begins the runs of the lesson's ``new_run``, Stop ends them.

    Parameters
    ----------
    lesson : bpttviz.lessons.LessonWithRuns
        What the runs are, how they are drawn and named.
    messages : bpttviz.app.status.Messages
        Where the page says what the runs do.
    setup : callable
        ``setup() -> (result, values)``: what the lesson computed last, and the values now.
    show_figures : callable
        ``show_figures(records)``: shows records in the page's figures.
    refresh_alt_text : callable
        ``refresh_alt_text(names)``: describes figures again.
    refresh_notes : callable
        ``refresh_notes()``: writes the page's notes again (a run's end adds to them).
    pool : bpttviz.lessons.runs.RunPool, optional
        Where the runs train (None: threads of this process).

    Attributes
    ----------
    run : TrainingRun or None
        The latest run.
    train_runs : int
        How many times training was started.
    watcher : asyncio.Task or None
        The task following the latest run in a kernel.
    widget : ipywidgets.HBox
        The buttons.
    """

    def __init__(self, lesson, messages, setup, show_figures, refresh_alt_text, refresh_notes,
                 pool=None):
        self.lesson, self.messages, self.setup = lesson, messages, setup
        self.show_figures, self.refresh_alt_text = show_figures, refresh_alt_text
        self.refresh_notes, self.pool = refresh_notes, pool
        self.run = None
        self.train_runs = 0
        self.watcher = None
        #: ``refusal() -> str``: why no run may start now ("": it may); the lecturer's pause.
        self.refusal = lambda: ""
        self._live_ms = []
        self.start_button = classed(widgets.Button, "bpttviz-start",
                                    description=lesson.start_label, icon="play",
                                    button_style="success", tooltip=lesson.start_tooltip,
                                    layout=widgets.Layout(width="120px"))
        self.stop_button = classed(widgets.Button, "bpttviz-stop", description="Stop",
                                   icon="stop", disabled=True, tooltip=lesson.stop_tooltip,
                                   layout=widgets.Layout(width="120px"))
        actions = lesson.actions
        self.start_button.on_click(lambda _: messages.attempt(self.start, actions["start"]))
        self.stop_button.on_click(lambda _: messages.attempt(self.stop, actions["stop"]))
        self.widget = widgets.HBox([self.start_button, self.stop_button])

    @property
    def running(self) -> bool:
        return self.run is not None and self.run.alive()

    def start(self, wait=None):
        """Start the runs of the current setup; returns the :class:`TrainingRun`.

        Parameters
        ----------
        wait : bool, optional
            Block until every run ends, redrawing every ``REDRAW_SECONDS``.
            Default: wait only when no asyncio event loop runs in this thread
            (a script); in a kernel the runs go on in the background and a
            task on the kernel's loop redraws the curves.
        """
        why = self.refusal()
        if why:
            raise ValueError(why)
        result, values = self.setup()
        if self.lesson.waiting(values):
            raise ValueError("there is no file to train on yet: choose a CSV or text file "
                             "under 'Your data' first.")
        if result is None:
            raise RuntimeError("The lesson has no valid settings to train with; change a "
                               "control first.")
        run = self.lesson.new_run(result, values)
        self.end_run()
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            loop = None
        if wait is None:
            wait = loop is None
        if not wait and loop is None:
            raise RuntimeError("start(wait=False) needs a running asyncio event loop (a Jupyter "
                               "kernel) to redraw the curves.")
        self.run = run
        self.train_runs += 1
        self._live_ms = []
        self.messages.message.value = ""
        self.start_button.disabled = True
        self.stop_button.disabled = False
        run.start(self.pool)
        self._show_live(run)
        if wait:
            while not run.join(REDRAW_SECONDS):
                self._show_live(run)
            self._finish(run)
        else:
            self.watcher = loop.create_task(self._watch(run))
        return run

    def stop(self):
        """Ask a run in progress to end after its current update."""
        if self.run is not None:
            self.run.stop()

    def end_run(self):
        """Stop a run in progress and wait for it (it ends after its current update)."""
        run = self.run
        if run is not None:
            run.stop()
            run.join(self.lesson.join_seconds)
            self.run = None
        self._idle()

    def notes(self, setup) -> list:
        """Why runs of ``setup`` ended early, and which diverged, once they have all ended."""
        run = self.run
        if run is None or run.setup is not setup or run.alive():
            return []
        return self.lesson.run_notes(run)

    async def _watch(self, run):
        """Redraw ``run`` until it ends; leaves quietly if another run replaced it.

        It looks often (so the end of a run shows at once) and redraws every
        ``REDRAW_SECONDS``. Nobody awaits this task: an error in it stops the
        run and is shown in the page.
        """
        try:
            last = time.perf_counter()
            while not run.join(0):
                await asyncio.sleep(WATCH_SECONDS)
                if run is not self.run:
                    return
                if time.perf_counter() - last >= REDRAW_SECONDS:
                    self._show_live(run)
                    last = time.perf_counter()
            if run is self.run:
                self._finish(run)
        except Exception as exc:
            run.stop()
            self.messages.show_error(self.lesson.actions["follow"], exc)
            if run is self.run:
                self._idle()

    def _idle(self):
        """Buttons and progress as they are when nothing trains: Start on, Stop off."""
        self.messages.progress.layout.display = "none"
        self.start_button.disabled = bool(self.refusal())   # a pause holds it
        self.stop_button.disabled = True

    def _show_live(self, run):
        """Redraw the curves and the progress of ``run``; never raises."""
        t0 = time.perf_counter()
        try:
            self.show_figures(self.lesson.draw_run(run, run.setup))   # described at the end
            done = sum(min(d, run.n_updates) for d in run.done)
            self.messages.report_progress(done / (run.n_updates * len(run.done)),
                                          self.lesson.progress_text(run))
        except Exception as exc:
            self.messages.show_error(self.lesson.actions["redraw"], exc)
        self._live_ms.append((time.perf_counter() - t0) * 1e3)

    def _finish(self, run):
        """The last redraw of ``run``, its notes and status; never raises (errors are shown)."""
        lesson, messages = self.lesson, self.messages
        try:
            run.join(lesson.join_seconds)
            self._show_live(run)
            self.refresh_alt_text(lesson.live_figures)   # once at the end: no chatter while live
            failed = [f"{name}: {e}" for name, e in zip(lesson.run_names, run.errors)
                      if e is not None]
            if failed:
                messages.message.value = notice_html(["Could not train " + "; ".join(failed)],
                                                     "error")
            self.refresh_notes()
            seconds = (run.ended or time.perf_counter()) - run.started
            word = "stopped" if run.stop_requested.is_set() else lesson.finished_word
            self._idle()            # buttons back before the status says the run is over
            messages.say(f"{'✗' if failed else '✓'} {word}: {lesson.count_text(run)} in "
                         f"{seconds:.1f} s", "vermillion" if failed else "green")
        except Exception as exc:
            run.stop()
            messages.show_error(lesson.actions["finish"], exc)
        finally:
            self._idle()
