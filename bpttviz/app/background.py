"""Training in the background: runs of :func:`bpttviz.train` in threads, the page following them.

Training is long work. A lesson that trains (:class:`TrainingLesson`: lessons
4 and 7) runs its :func:`bpttviz.train` calls in background threads and
returns at once: the kernel stays free to handle widget messages (the Stop
button, a control moved), which Voila and JupyterLab deliver only while the
kernel is not executing anything. A task on the kernel's asyncio loop
shows the curves a few times a second from what the runs have recorded
(the page receives only the points added since: :mod:`.live`); the threads
never touch a widget or a figure. Without a running event loop
(a script, a test) ``start`` trains in the calling thread's wait instead.
"""

from __future__ import annotations

import asyncio
import threading
import time

import ipywidgets as widgets
import numpy as np

from .access import TEXT_COLOURS
from .base import LessonApp
from .notices import notice_html

__all__ = ["TrainingRun", "TrainingLesson", "REDRAW_SECONDS", "WATCH_SECONDS"]

REDRAW_SECONDS = 0.25       # live redraws: four a second keep up without starving the runs
WATCH_SECONDS = 0.05        # how often the page looks whether the runs have ended


class TrainingRun:
    """Runs of ``train`` in background threads, one per configuration, read while they go.

    Parameters
    ----------
    setup
        What the lesson computed: its ``model`` (the initial network, copied
        for each run), its ``task`` and its ``configs`` (``train`` arguments,
        one dict per run).
    n_updates : int
        Updates each run is asked for (what the page's progress counts).
    train : callable
        :func:`bpttviz.train`, or a function called as it is.

    The threads only train and record (each ``History`` grows row by row);
    the page reads ``rows(i)`` from the kernel's thread. ``stop()`` makes
    each run end after its current update.
    """

    def __init__(self, setup, n_updates: int, train):
        self.setup = setup
        self.n_updates = n_updates
        self.train = train
        self.histories = [None] * len(setup.configs)
        self.done = [0] * len(setup.configs)         # complete rows, set by the runs
        self.errors = [None] * len(setup.configs)
        self.stop_requested = threading.Event()
        self.started = self.ended = None
        self.threads = [threading.Thread(target=self._run, args=(i,), daemon=True,
                                         name=f"bpttviz-train-{i}")
                        for i in range(len(setup.configs))]

    def _run(self, i):
        def progress(history, u):
            self.histories[i] = history
            self.done[i] = u + 1
            return not self.stop_requested.is_set()

        try:
            history = self.train(self.setup.model.copy(), self.setup.task, callback=progress,
                                 progress=False, **self.setup.configs[i])
            self.histories[i] = history
            self.done[i] = len(history)
        except Exception as exc:        # shown in the page by the reader
            self.errors[i] = exc

    def start(self):
        self.started = time.perf_counter()
        for t in self.threads:
            t.start()
        return self

    def alive(self) -> bool:
        return any(t.is_alive() for t in self.threads)

    def join(self, timeout=None):
        """Wait up to ``timeout`` seconds for every run; True when all have ended."""
        deadline = None if timeout is None else time.monotonic() + timeout
        for t in self.threads:
            t.join(None if deadline is None else max(0.0, deadline - time.monotonic()))
        if not self.alive() and self.ended is None:
            self.ended = time.perf_counter()
        return not self.alive()

    def stop(self):
        self.stop_requested.set()

    def rows(self, i) -> dict:
        """The complete rows of run ``i`` so far: ``{column: array (n,)}`` (n may be 0)."""
        h, n = self.histories[i], self.done[i]
        cols = ("loss", "grad_norm", "clipped", "nonfinite")
        if h is None or n == 0:
            return {c: np.zeros(0) for c in cols}
        return {c: h[c][:n] for c in cols}

    def stop_reason(self, i):
        """Why run ``i`` ended early, in the page's words, or None."""
        h = self.histories[i]
        if h is None or self.threads[i].is_alive() or not h.stopped:
            return None
        if h.reason and h.reason.startswith("the callback asked to stop"):
            return f"stopped by the Stop button after update {h.stopped_at}"
        return f"stopped: {h.reason}"

    def divergence_note(self, i):
        """A sentence saying that run ``i``'s loss diverged while staying finite, or None."""
        h = self.histories[i]
        if h is None or not h.diverged or (h.stopped and h.diverged_at == h.stopped_at):
            return None
        return h.divergence


class TrainingLesson(LessonApp):
    """A lesson that trains: a Start and a Stop button, runs in the background, live curves.

    A change of the controls stops a run in progress (call :meth:`end_run`
    at the top of ``compute``); Start begins the runs of :meth:`new_run`,
    Stop ends them. Subclasses set the class attributes below and implement
    :meth:`new_run` and :meth:`draw_run`.

    Attributes
    ----------
    run : TrainingRun or None
        The latest run.
    train_runs : int
        How many times training was started.
    watcher : asyncio.Task or None
        The task following the latest run in a kernel.
    """

    #: The runs' names, in the order of ``setup.configs`` (and of the curves).
    run_names: tuple = ()
    #: The figures that show the runs: redrawn live, described again when a run ends.
    live_figures: tuple = ()
    start_label = "Train"
    start_tooltip = "Train from the same start"
    stop_tooltip = "Stop every run after its current update"
    #: What the page says it could not do when a step of training fails ("Could not ...").
    actions = {"start": "start training", "stop": "stop training",
               "follow": "follow the training run", "redraw": "redraw the training curves",
               "finish": "finish the training run"}
    #: The status word of a run that was not stopped.
    finished_word = "trained"
    #: Longest wait for a run to end after Stop (seconds): a run ends after its current update.
    join_seconds = 10.0

    def __init__(self, query=None):
        self.run = None
        self.train_runs = 0
        self.watcher = None
        self._live_ms = []
        super().__init__(query)

    # -- hooks ----------------------------------------------------------------------------
    def new_run(self) -> TrainingRun:
        """The runs a press of Start begins, from the current setup (not started yet)."""
        raise NotImplementedError

    def draw_run(self, run) -> dict:
        """The records of what ``run`` has recorded (None: empty curves waiting for Start),
        ``{name: bpttviz.figures.Figure}``."""
        raise NotImplementedError

    def progress_text(self, run) -> str:
        """The status while ``run`` trains."""
        return "training: " + ", ".join(f"{name} {d}/{run.n_updates}"
                                        for name, d in zip(self.run_names, run.done))

    def count_text(self, run) -> str:
        """How far each run of ``run`` went, for the status when it ends."""
        return ", ".join(f"{name} {d} updates" for name, d in zip(self.run_names, run.done))

    # -- buttons -------------------------------------------------------------------------------
    def extra_controls(self):
        self.start_button = widgets.Button(description=self.start_label, icon="play",
                                           button_style="success", tooltip=self.start_tooltip,
                                           layout=widgets.Layout(width="120px"))
        self.start_button.add_class("bpttviz-start")
        self.stop_button = widgets.Button(description="Stop", icon="stop", disabled=True,
                                          tooltip=self.stop_tooltip,
                                          layout=widgets.Layout(width="120px"))
        self.stop_button.add_class("bpttviz-stop")
        self.start_button.on_click(lambda _: self.attempt(self.start, self.actions["start"]))
        self.stop_button.on_click(lambda _: self.attempt(self.stop, self.actions["stop"]))
        return [widgets.HBox([self.start_button, self.stop_button])]

    # -- training -------------------------------------------------------------------------------
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
        if self.result is None:
            raise RuntimeError("The lesson has no valid settings to train with; change a "
                               "control first.")
        run = self.new_run()
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
        self.message.value = ""
        self.start_button.disabled = True
        self.stop_button.disabled = False
        run.start()
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

    def close(self):
        """End a run in progress, then close every widget."""
        self.end_run()
        super().close()

    def end_run(self):
        """Stop a run in progress and wait for it (it ends after its current update)."""
        run = self.run
        if run is not None:
            run.stop()
            run.join(self.join_seconds)
            self.run = None
        if hasattr(self, "start_button"):
            self._idle()

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
            self._show_error(self.actions["follow"], exc)
            if run is self.run:
                self._idle()

    def _idle(self):
        """Buttons and progress as they are when nothing trains: Start on, Stop off."""
        self.progress.layout.display = "none"
        self.start_button.disabled = False
        self.stop_button.disabled = True

    def _show_live(self, run):
        """Redraw the curves and the progress of ``run``; never raises."""
        t0 = time.perf_counter()
        try:
            self.show_figures(self.draw_run(run))     # described when the run ends
            done = sum(min(d, run.n_updates) for d in run.done)
            self.report_progress(done / (run.n_updates * len(run.done)), self.progress_text(run))
        except Exception as exc:
            self._show_error(self.actions["redraw"], exc)
        self._live_ms.append((time.perf_counter() - t0) * 1e3)

    def _finish(self, run):
        """The last redraw of ``run``, its notes and status; never raises (errors are shown)."""
        try:
            run.join(self.join_seconds)
            self._show_live(run)
            self.refresh_alt_text(self.live_figures)    # once at the end: no chatter while live
            failed = [f"{name}: {e}" for name, e in zip(self.run_names, run.errors)
                      if e is not None]
            if failed:
                self.message.value = notice_html(["Could not train " + "; ".join(failed)],
                                                 "error")
            self.notes.value = notice_html(self._notes + self.notes_for(self.result,
                                                                        self.values()),
                                           "warning")
            seconds = (run.ended or time.perf_counter()) - run.started
            word = "stopped" if run.stop_requested.is_set() else self.finished_word
            color = TEXT_COLOURS["vermillion"] if failed else TEXT_COLOURS["green"]
            self._idle()            # buttons back before the status says the run is over
            self.status.value = self._status_html(
                f"{'✗' if failed else '✓'} {word}: {self.count_text(run)} in {seconds:.1f} s",
                color)
        except Exception as exc:
            run.stop()
            self._show_error(self.actions["finish"], exc)
        finally:
            self._idle()

    # -- text -------------------------------------------------------------------------------------
    def notes_for(self, setup, values):
        """Why a run of this setup ended early, and which diverged, once they have all ended."""
        run = self.run
        if run is None or run.setup is not setup or run.alive():
            return []
        names = self.run_names
        notes = [f"{names[i]} {r}." for i in range(len(names))
                 if (r := run.stop_reason(i)) is not None and "Stop button" not in r]
        return notes + [f"{names[i]}: {d} (values stayed finite; a smaller learning rate or "
                        f"clipping would help)." for i in range(len(names))
                        if (d := run.divergence_note(i)) is not None]
