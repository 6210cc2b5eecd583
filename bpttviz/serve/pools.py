"""Serving a class: lessons ready before the students arrive, idle kernels ended side by side.

``bpttviz serve --students N --lessons A,B`` keeps ``N`` kernels of the named
lessons started and executed ahead of time with Voila's kernel preheating
(``--preheat_kernel``, ``VoilaKernelManager.kernel_pools_config``). Two things
are added to Voila's own pools:

* **How N is split.** Each student has one lesson open at a time, so the ``N``
  kernels are shared out evenly between the lessons named (the first lessons
  get one more when ``N`` does not divide): ``--students 30 --lessons A,B,C``
  keeps 10 of each; without ``--lessons``, every lesson served gets its share.
  A class that will open one lesson all at once names only that lesson.
* **When the pool is refilled.** Voila replaces each kernel a student takes at
  once (``fill_delay`` later), so the replacements start while the rest of the
  class's pages connect and compete with them for the processors: pages wait,
  and a later wave gets pages without their app. Here a kernel taken is
  replaced later, one kernel at a time, only when the server is quiet: no page
  asked for in the last :data:`REFILL_QUIET_S` seconds, the processors less
  than :data:`REFILL_MAX_BUSY` busy, and no other kernel of the pool still
  starting (:func:`refill_decision`). A pool that ran dry serves the next
  students as without a pool, with a fresh kernel each.

Kernels that students used are culled like any other (the culler skips only
kernels still waiting in the pool), and all idle kernels are ended side by
side rather than one after another, so a closed tab's kernel ends within
``cull_idle_timeout + cull_interval`` seconds and the time of one shutdown.

The classes :class:`ClassroomPools` and :class:`ConcurrentCulling` are mixed
into the kernel manager class Voila builds (:func:`install_kernel_managers`).
"""

from __future__ import annotations

import asyncio
import difflib
import math
import os
import time

from ..upstream.voila_server import preheated_pools, wrap_kernel_manager_factory

__all__ = ["split_students", "parse_lessons", "class_pools", "pool_config", "refill_decision",
           "cpu_busy_sampler", "install_kernel_managers", "ClassroomPools", "ConcurrentCulling",
           "KERNEL_MB", "KERNEL_WAITING_MB", "SERVER_MB", "pool_memory_note", "REFILL_QUIET_S",
           "REFILL_MAX_BUSY", "REFILL_INTERVAL_S", "REFILL_HEAT_S"]

#: Resident memory to plan for (MB): a lesson kernel waiting in the pool after its first
#: draw, the same kernel once a student moves its controls (``benchmarks/bench_kernel_start.py``
#: and ``benchmarks/bench_classroom.py`` measure both), and the server itself.
KERNEL_WAITING_MB = 120
KERNEL_MB = 160
SERVER_MB = 110
#: Refill only when no page was asked for during this many seconds ...
REFILL_QUIET_S = 20.0
#: ... and the processors were busy less than this fraction of the time ...
REFILL_MAX_BUSY = 0.25
#: ... checked this often (seconds) ...
REFILL_INTERVAL_S = 5.0
#: ... and no kernel added in the last this many seconds (the time one takes to heat).
REFILL_HEAT_S = 15.0


def parse_lessons(text: str, available) -> list:
    """Lesson names from ``"A,B"`` checked against ``available`` (notebook stems).

    Raises ``ValueError`` naming the option, the lessons available and what was received,
    with the closest lesson for each name not found ("did you mean").
    """
    available = sorted(available)
    names = [t.strip().removesuffix(".ipynb") for t in str(text).split(",") if t.strip()]
    unknown = [n for n in names if n not in available]
    if not names or unknown:
        got = ", ".join(unknown) if unknown else repr(text)
        guesses = {n: _closest(n, available) for n in unknown}
        guesses = {n: g for n, g in guesses.items() if g}
        hint = "."
        if len(unknown) == 1 and guesses:
            hint = f"; did you mean {guesses[unknown[0]]}?"
        elif guesses:
            hint = "; did you mean " + ", ".join(f"{g} for {n}" for n, g in guesses.items()) + "?"
        raise ValueError(f"The '--lessons' option of bpttviz serve must be lesson names "
                         f"separated by commas, from: {', '.join(available)}. "
                         f"Got {got} instead{hint}")
    return list(dict.fromkeys(names))       # a lesson named twice counts once


def _closest(name: str, available) -> str | None:
    """The lesson ``name`` was most likely meant to be, or None if none is close."""
    close = difflib.get_close_matches(name, available, n=2, cutoff=0.6)
    # "03_truncation" is as close to 07_beyond_truncation as to 03_truncated_bptt: the
    # number typed decides.
    number = name.split("_", 1)[0]
    close.sort(key=lambda lesson: lesson.split("_", 1)[0] != number)
    return close[0] if close else None


def split_students(students: int, lessons) -> dict:
    """``{lesson: kernels}``: ``students`` shared out evenly, the first lessons one more.

    Raises ``ValueError`` unless ``1 <= students <= 500``.
    """
    if isinstance(students, bool) or not isinstance(students, int) or not 1 <= students <= 500:
        raise ValueError(f"The '--students' option of bpttviz serve must be a whole number in "
                         f"the range [1, 500]. Got {students!r} instead.")
    lessons = list(lessons)
    if not lessons:
        raise ValueError("The '--students' option of bpttviz serve needs '--lessons' too: "
                         "the lessons whose kernels to keep ready.")
    base, extra = divmod(students, len(lessons))
    return {name: base + (i < extra) for i, name in enumerate(lessons)}


def class_pools(students, lessons, available) -> dict:
    """``{lesson: kernels}`` for ``--students N --lessons A,B``; ``available`` are the lessons
    served, and all of them share the ``N`` kernels when ``lessons`` is None.

    Raises ``ValueError`` naming the option when either is wrong, or ``--students`` missing.
    """
    names = sorted(available) if lessons is None else parse_lessons(lessons, available)
    if students is None:
        raise ValueError("The '--lessons' option of bpttviz serve needs '--students N' too: how "
                         "many kernels to keep ready.")
    return split_students(students, names)


def pool_config(split: dict) -> dict:
    """Voila's ``kernel_pools_config``: only the named lessons are preheated."""
    config = {"default": {"pool_size": 0}}
    config.update({f"{name}.ipynb": {"pool_size": int(n)} for name, n in split.items() if n > 0})
    return config


def pool_memory_note(split: dict) -> str:
    """The start-up line that states the pool's memory."""
    n = sum(split.values())
    shares = ", ".join(f"{name}: {k}" for name, k in split.items())
    gb = n * KERNEL_MB / 1024
    return (f"Keeping {n} kernels ready ({shares}): plan for {n} x {KERNEL_MB} MB = {gb:.1f} GB "
            f"of memory (a kernel holds about {KERNEL_WAITING_MB} MB while it waits, up to "
            f"{KERNEL_MB} MB once a student uses it), plus {SERVER_MB} MB for the server and "
            f"{KERNEL_MB} MB for each student beyond the pool. Heating them takes about "
            f"{max(15, n)} s on 2 cores: start the server before the class arrives.")


def refill_decision(now: float, last_request: float, busy: float, starting: int,
                    missing: dict) -> str | None:
    """Which lesson's pool to give one more kernel now, or None to wait.

    Parameters
    ----------
    now, last_request : float
        Monotonic seconds; ``last_request`` is when a page was last asked for.
    busy : float
        Fraction of the processors' time spent working since the last check (0..1).
    starting : int
        Pool kernels still starting or running their notebook.
    missing : dict of str -> int
        Kernels each pool lacks.

    Returns
    -------
    str or None
        The pool missing most kernels, if the server is quiet; else None.
    """
    wanted = {nb: k for nb, k in missing.items() if k > 0}
    if not wanted or starting > 0:
        return None
    if now - last_request < REFILL_QUIET_S or busy >= REFILL_MAX_BUSY:
        return None
    return max(wanted, key=lambda nb: (wanted[nb], nb))


def cpu_busy_sampler():
    """A function returning the fraction of processor time spent working since its last call.

    Reads ``/proc/stat``; where it cannot, the one-minute load average per core
    stands in for it.
    """
    def read():
        try:
            with open("/proc/stat") as f:
                fields = [float(x) for x in f.readline().split()[1:]]
        except (OSError, ValueError):
            return None
        idle = fields[3] + (fields[4] if len(fields) > 4 else 0.0)   # idle + iowait
        return sum(fields), idle

    last = [read()]

    def sample() -> float:
        now = read()
        prev, last[0] = last[0], now
        if now is None or prev is None or now[0] <= prev[0]:
            try:
                return min(1.0, os.getloadavg()[0] / (os.cpu_count() or 1))
            except OSError:
                return 1.0
        return 1.0 - (now[1] - prev[1]) / (now[0] - prev[0])

    return sample


class ClassroomPools:
    """Refill a preheated pool one kernel at a time, only when the server is quiet.

    Mixed into the class of Voila's preheating kernel manager.
    """

    def __init__(self, **kwargs):
        self._targets = {}
        self._last_request = -math.inf
        self._last_start = -math.inf
        self._busy = cpu_busy_sampler()
        super().__init__(**kwargs)
        self._refiller = asyncio.get_event_loop().create_task(self._refill_loop())

    def fill_if_needed(self, delay=None, notebook_name=None, extra_kernel_env_variables={},
                       **kwargs):
        if delay is None:         # the refill Voila asks for when a kernel is taken: later
            return None
        config = self.kernel_pools_config
        entry = config.get(notebook_name, config.get("default", {}))
        self._targets[notebook_name] = int(entry.get("pool_size", 0))
        return super().fill_if_needed(delay=delay, notebook_name=notebook_name,
                                      extra_kernel_env_variables=extra_kernel_env_variables,
                                      **kwargs)

    def _purge(self, notebook_name):
        """Drop pool kernels that failed while heating (a kernel can die starting, as when
        two kernels started at once draw the same port); a student never gets one."""
        pool = preheated_pools(self).get(notebook_name, [])
        for task in list(pool):
            if not task.done():
                continue
            bad = task.cancelled() or task.exception() is not None
            if not bad:
                content = task.result()
                render = content["task"]
                bad = content["kernel_id"] not in self or (
                    render.done() and (render.cancelled() or render.exception() is not None))
                if bad and content["kernel_id"] in self:
                    asyncio.ensure_future(self.shutdown_kernel(content["kernel_id"], now=True))
            if bad:
                pool.remove(task)
                self.log.warning("bpttviz: a pool kernel of %s failed while heating; it is "
                                 "not handed out", notebook_name)

    def get_pool_size(self, notebook_name):
        self._purge(notebook_name)
        return super().get_pool_size(notebook_name)

    async def get_rendered_notebook(self, notebook_name, extra_kernel_env_variables={},
                                    **kwargs):
        self._purge(notebook_name)
        self._last_request = time.monotonic()
        pool = preheated_pools(self).get(notebook_name, [])
        ready = [t for t in pool if t.done() and not t.cancelled() and t.exception() is None]
        if ready and pool[0] is not ready[0]:     # a ready kernel before one still starting
            pool.remove(ready[0])
            pool.insert(0, ready[0])
        return await super().get_rendered_notebook(notebook_name,
                                                   extra_kernel_env_variables, **kwargs)

    def _starting(self) -> int:
        """Pool kernels still starting; the last one added counts for REFILL_HEAT_S.

        (A pooled kernel's notebook never finishes before its page is asked for: it
        waits for the request in its last cell. The busy check sees the heating.)
        """
        n = sum(not task.done() for pool in preheated_pools(self).values() for task in pool)
        return n + (time.monotonic() - self._last_start < REFILL_HEAT_S)

    async def _refill_loop(self):
        while True:
            await asyncio.sleep(REFILL_INTERVAL_S)
            try:
                busy = self._busy()
                missing = {nb: n - len(preheated_pools(self).get(nb, []))
                           for nb, n in self._targets.items()}
                nb = refill_decision(time.monotonic(), self._last_request, busy,
                                     self._starting(), missing)
                if nb is not None:
                    self._start_one(nb)
            except Exception:             # the loop must outlive any one failure
                self.log.exception("bpttviz: refilling the kernel pool failed")

    def _start_one(self, notebook_name):
        """Start one kernel for ``notebook_name``'s pool (Voila's fill, capped at one more)."""
        saved = self.kernel_pools_config
        one_more = dict(saved)
        entry = dict(saved.get(notebook_name, saved.get("default", {})))
        entry["pool_size"] = len(preheated_pools(self).get(notebook_name, [])) + 1
        one_more[notebook_name] = entry
        self.kernel_pools_config = one_more
        try:
            super().fill_if_needed(delay=0, notebook_name=notebook_name)
        finally:
            self.kernel_pools_config = saved
        self._last_start = time.monotonic()
        self.log.info("bpttviz: one kernel added to the pool of %s (server quiet)",
                      notebook_name)


class ConcurrentCulling:
    """Check (and end) idle kernels concurrently.

    Mixed into the class of Voila's kernel manager. jupyter_server's culler awaits each
    kernel's shutdown in turn, so when a class closes its tabs the last kernel ends a whole
    pass of shutdowns after its tab closed; side by side, a pass takes about as long as one
    shutdown.
    """

    async def cull_kernels(self):
        async def one(kernel_id):
            try:
                await self.cull_kernel_if_idle(kernel_id)
            except Exception as exc:
                self.log.exception("Checking the idle time of kernel %s failed: %s",
                                   kernel_id, exc)

        await asyncio.gather(*(one(k) for k in self.list_kernel_ids()))


def install_kernel_managers():
    """Make Voila's kernel managers cull concurrently and refill pools as :func:`refill_decision`.

    Wraps Voila's kernel manager factory in this process (call it before
    ``Voila.launch_instance``). Every kernel manager culls idle kernels concurrently
    (:class:`ConcurrentCulling`); with ``--preheat_kernel`` the pools are refilled one
    kernel at a time when the server is quiet (:class:`ClassroomPools`).
    """
    def wrap(original):
        def factory(base_class, preheat_kernel, default_pool_size, page_config_hook=None):
            cls = original(base_class, preheat_kernel, default_pool_size,
                           page_config_hook=page_config_hook)
            if not preheat_kernel:
                return type("BpttvizKernelManager", (ConcurrentCulling, cls), {})
            return type("ClassroomKernelManager", (ClassroomPools, ConcurrentCulling, cls), {})

        return factory

    wrap_kernel_manager_factory(wrap)
