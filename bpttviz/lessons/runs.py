"""Training runs in the background, read while they go: what a lesson's Train starts.

:class:`TrainingRun` runs :func:`bpttviz.train` once per configuration, each followed
by a thread of its own; whoever shows the runs reads ``rows(i)`` from its own thread.
By default the thread trains (a notebook, a script, a test). In a lecture hall, where
one process holds every student's page, a :class:`RunPool` trains instead: processes
of their own, at a lower priority than the pages, so that thirty students training
at once do not hold up the others' sliders (threads in the pages' process would share
its one interpreter lock with them); the thread then only receives the rows as they
come. No widget here: the page (:mod:`bpttviz.app.background`) follows the runs.
"""

from __future__ import annotations

import itertools
import os
import queue
import threading
import time

import numpy as np

__all__ = ["TrainingRun", "RunPool", "ROW_SECONDS"]

#: How often a pooled run sends the rows it has recorded since (seconds).
ROW_SECONDS = 0.1


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
        self.pool = None
        self.threads = [threading.Thread(target=self._run, args=(i,), daemon=True,
                                         name=f"bpttviz-train-{i}")
                        for i in range(len(setup.configs))]

    def _run(self, i):
        if self.pool is not None:
            return self._run_pooled(i)

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

    def _run_pooled(self, i):
        """Run ``i`` in the pool: its rows arrive as the process records them."""
        inbox = self.pool.submit(self.train, self.setup.model.copy(), self.setup.task,
                                 self.setup.configs[i])
        try:
            told = False
            while True:
                if self.stop_requested.is_set() and not told:
                    inbox.stop()
                    told = True
                try:
                    kind, data = inbox.get(timeout=0.2)
                except queue.Empty:
                    continue
                if kind == "start":
                    from ..training import History

                    columns, config, factor = data
                    self.histories[i] = History(columns, config, factor)
                elif kind == "rows":
                    history = self.histories[i]
                    for row in data:
                        history.append(**row)
                    self.done[i] = len(history)
                elif kind == "done":
                    self.histories[i] = data
                    self.done[i] = len(data)
                    return
                else:
                    self.errors[i] = data
                    return
        finally:
            inbox.close()

    def start(self, pool=None):
        """Start every run: in threads of this process, or in ``pool`` (a :class:`RunPool`)."""
        self.pool = pool
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


class _Inbox:
    """What a pooled run sends its thread: ``(kind, data)``; ``stop()`` asks it to end."""

    def __init__(self, pool, run_id):
        self.pool, self.run_id = pool, run_id
        self.messages = queue.Queue()

    def get(self, timeout):
        return self.messages.get(timeout=timeout)

    def stop(self):
        self.pool.stops[self.run_id] = True

    def close(self):
        self.pool.forget(self.run_id)


def _lower_priority(nice, results, stops):
    """A pool process's start: below the pages' priority; the queues it talks through."""
    try:
        os.nice(nice)
    except OSError:                     # not allowed here: the same priority, still apart
        pass
    global _RESULTS, _STOPS
    _RESULTS, _STOPS = results, stops


_RESULTS = _STOPS = None


def _train_in_pool(run_id, train, model, task, config):
    """One run in a pool process: its rows sent every :data:`ROW_SECONDS`, its end."""
    sent = {"rows": 0, "at": 0.0}

    def progress(history, u):
        if sent["at"] == 0.0:
            _RESULTS.put((run_id, "start", (history.columns, history.config,
                                            history.divergence_factor)))
        now = time.monotonic()
        if now - sent["at"] >= ROW_SECONDS:
            _send_rows(run_id, history, sent)
            sent["at"] = now
        return not _STOPS.get(run_id, False)

    try:
        history = train(model, task, callback=progress, progress=False, **config)
        _RESULTS.put((run_id, "done", history))
    except Exception as exc:
        _RESULTS.put((run_id, "error", exc))


def _send_rows(run_id, history, sent):
    n = len(history)
    if n > sent["rows"]:
        columns = {c: history[c][sent["rows"]:n] for c in history.columns}
        _RESULTS.put((run_id, "rows", [{c: columns[c][j].item() if hasattr(columns[c][j], "item")
                                        else columns[c][j] for c in columns}
                                       for j in range(n - sent["rows"])]))
        sent["rows"] = n


class RunPool:
    """Processes that train the runs of every page of a process, at a lower priority.

    Parameters
    ----------
    processes : int, optional
        Default: the processors of the machine.
    nice : int
        How much lower the processes' priority is than the pages' (Unix ``nice``).

    The processes start when the first run is submitted (each imports bpttviz once) and
    end with :meth:`close`. A run is a task of the pool: more runs than processes wait
    their turn.
    """

    def __init__(self, processes=None, nice=10):
        self.processes = processes or os.cpu_count() or 1
        self.nice = nice
        self._executor = None
        self._inboxes = {}
        self._ids = itertools.count()
        self._lock = threading.Lock()

    def _start(self):
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        context = multiprocessing.get_context("spawn")      # no fork of a threaded server
        self._manager = context.Manager()
        self.stops = self._manager.dict()
        self._results = context.Queue()
        self._executor = ProcessPoolExecutor(self.processes, mp_context=context,
                                             initializer=_lower_priority,
                                             initargs=(self.nice, self._results, self.stops))
        threading.Thread(target=self._deliver, name="bpttviz-run-pool", daemon=True).start()

    def submit(self, train, model, task, config) -> _Inbox:
        """Train ``model`` on ``task`` with ``train(..., **config)`` in a pool process."""
        with self._lock:
            if self._executor is None:
                self._start()
            run_id = next(self._ids)
            inbox = self._inboxes[run_id] = _Inbox(self, run_id)
        future = self._executor.submit(_train_in_pool, run_id, train, model, task, config)
        future.add_done_callback(lambda f: f.exception() is not None and inbox.messages.put(
            ("error", f.exception())))
        return inbox

    def forget(self, run_id):
        with self._lock:
            self._inboxes.pop(run_id, None)
        self.stops.pop(run_id, None)

    def _deliver(self):
        while True:
            try:
                run_id, kind, data = self._results.get()
            except (EOFError, OSError):
                return
            inbox = self._inboxes.get(run_id)
            if inbox is not None:
                inbox.messages.put((kind, data))

    def close(self):
        """End the processes (runs in progress stop with them)."""
        if self._executor is not None:
            self._executor.shutdown(wait=False, cancel_futures=True)
            self._manager.shutdown()
