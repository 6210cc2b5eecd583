"""Training runs in background threads, read while they go: what a lesson's Train starts.

:class:`TrainingRun` runs :func:`bpttviz.train` once per configuration, each
in its own thread; the threads only train and record (each ``History`` grows
row by row), and whoever shows the runs reads ``rows(i)`` from its own thread.
No widget here: the page (:mod:`bpttviz.app.background`) follows the runs.
"""

from __future__ import annotations

import threading
import time

import numpy as np

__all__ = ["TrainingRun"]


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
