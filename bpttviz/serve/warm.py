"""Warm kernels for a class: started before the students arrive, for any lesson.

A lesson page costs its kernel a start (Python, ipykernel, NumPy, ipywidgets
and bpttviz imported: most of the CPU a page needs) and then its notebook (the
lesson's app built and computed). :class:`WarmKernels` does the first part
ahead of time: ``N`` kernels with ``bpttviz.app`` imported, shared by every
lesson. When a page is asked for, Voila asks its kernel manager for a kernel
(``start_kernel``); a warm one is handed over instead, given the page's request
(its query string and address: what a kernel started for the page would have
in its environment) and its folder, and Voila runs the lesson's notebook in it
as in any kernel. So a class may open any mix of lessons, and a page's link
applies as it does without a pool (Voila's own preheating runs one notebook
per pool ahead and binds each kernel to a lesson).

* **Heating never storms.** Kernels start :data:`HEAT_AT_ONCE` at a time: 30
  started at once on 2 cores took 10-12 CPU-s each instead of about one, and
  the last was ready after 3 minutes. Start-up prints progress and one line
  when the pool is ready ("ready for N students").
* **A pool never makes a page slower than no pool.** A page asked for while the
  pool is empty takes the next kernel to become warm if one is heating and not
  yet promised to another page; otherwise it starts its own kernel, as without
  a pool.
* **Refilled when the server is quiet.** A kernel taken is replaced later, one
  at a time, when no page was asked for lately and the processors are idle
  (:func:`bpttviz.serve.pools.refill_decision`), so replacements never compete
  with arriving students.
* **Never culled, never handed out dead.** The idle culler skips warm kernels
  (they wait by design); a warm kernel that died is dropped (and one found
  dead when a page asks is never handed out).

Beside the pool, the manager counts the kernels in use by pages (the landing
page's does not count: every landing page shares one kernel, as it has no
code) for :func:`class_full_hook`. A page's kernel that dies
is not restarted (a restarted kernel has none of the page's widgets) but
removed, so the page's watchdog hears it is gone, says so and offers Retry,
which gets a fresh kernel.
"""

from __future__ import annotations

import asyncio
import json
import math
import sys
import time

from ..upstream.voila_server import wrap_kernel_manager_factory
from .notebooks import LANDING
from .pools import (REFILL_HEAT_S, REFILL_INTERVAL_S, ConcurrentCulling, cpu_busy_sampler,
                    refill_decision)

__all__ = ["WarmKernels", "HEAT_AT_ONCE", "PRELUDE", "REQUEST_KEYS", "request_code",
           "class_full_hook", "CLASS_FULL", "ADMIT_S", "install_kernel_managers"]

#: Kernels heated at the same time: two cores, two kernels.
HEAT_AT_ONCE = 2
#: What a warm kernel runs before any page: the imports every lesson needs.
PRELUDE = "import bpttviz.app"
#: The environment of a kernel that Voila starts for a page, from its request
#: (``voila.handler.VoilaHandler``): a warm kernel is given these when it is handed over.
REQUEST_KEYS = ("QUERY_STRING", "SCRIPT_NAME", "PATH_INFO", "SERVER_SOFTWARE", "SERVER_PROTOCOL",
                "SERVER_PORT", "SERVER_NAME", "VOILA_PREHEAT", "VOILA_BASE_URL",
                "VOILA_SERVER_URL", "VOILA_REQUEST_URL", "VOILA_APP_PORT")
#: Seconds to wait for a kernel to run the prelude or take a request.
RUN_TIMEOUT = 120
#: A page let in by :func:`class_full_hook` holds its place this many seconds while its kernel
#: starts (pages asked for at once all pass the hook before any kernel is counted).
ADMIT_S = 60.0
#: What a page past ``--max-students`` is told (the template's 503 page shows it).
CLASS_FULL = "The class is full; try again in a minute."


def request_code(env: dict, cwd: str | None) -> str:
    """The code that gives a warm kernel a page's request: its environment and folder."""
    values = {k: str(env[k]) for k in REQUEST_KEYS if k in env}
    code = f"import os as _os\n_os.environ.update({json.dumps(values)})\n"
    if cwd:
        code += f"_os.chdir({json.dumps(str(cwd))})\n"
    return code + "del _os\n"


def is_landing(env) -> bool:
    """Whether the request in ``env`` is for the landing page (which has no app)."""
    return str((env or {}).get("SCRIPT_NAME", "")).endswith(f"/{LANDING}.ipynb")


def _say(text: str):
    print(f"bpttviz: {text}", file=sys.stderr, flush=True)


class WarmKernels:
    """Mixed into the class of Voila's kernel manager: ``warm_target`` kernels kept warm.

    Set ``warm_target`` and ``warm_path`` (the lessons' folder, an API path) on the
    class before Voila builds the manager; heating starts on the server's loop.
    ``max_students`` (None: no limit) is read by :func:`class_full_hook`.
    """

    warm_target = 0
    warm_path = ""
    max_students = None

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.warm = []              # kernel ids ready for a page, oldest first
        self.heating = 0            # kernels starting now
        self.waiting = []           # futures of pages promised the next warm kernel
        self.pages = set()          # kernels handed to lesson pages
        self.admitted = []          # monotonic times of pages let in whose kernel is starting
        self.heated = 0             # kernels heated since the server started
        self.last_page = -math.inf
        self._landing = None        # the kernel every landing page shares
        self._landing_lock = asyncio.Lock()
        self._last_heat = -math.inf
        self._busy = cpu_busy_sampler()
        self._tasks = []
        if self.warm_target > 0:
            loop = asyncio.get_event_loop()
            self._tasks.append(loop.create_task(self._first_heat(self.warm_target)))

    # -- heating ------------------------------------------------------------------------
    async def _first_heat(self, n: int):
        """Bring the pool to ``n`` warm kernels, :data:`HEAT_AT_ONCE` at a time, then refill."""
        t0 = time.monotonic()
        _say(f"heating {n} kernel{'s' if n != 1 else ''} for the class, {HEAT_AT_ONCE} at a "
             f"time...")
        started = 0
        while started < n:
            if self.heating >= HEAT_AT_ONCE:
                await asyncio.sleep(0.05)
                continue
            started += 1
            self._spawn(progress=(n, t0))
        while self.heating:
            await asyncio.sleep(0.1)
        took = time.monotonic() - t0
        # wall time of one kernel, HEAT_AT_ONCE heating side by side
        each = took * HEAT_AT_ONCE / n
        _say(f"ready for {n} student{'s' if n != 1 else ''} ({len(self.warm)} kernels warm, "
             f"{self.heated - len(self.warm)} already taken; heating took {took:.0f} s, "
             f"{each:.1f} s per kernel)")
        await self._refill_loop()

    def _spawn(self, progress=None):
        self.heating += 1
        self._last_heat = time.monotonic()
        task = asyncio.ensure_future(self._heat_one(progress))
        self._tasks.append(task)
        task.add_done_callback(self._tasks.remove)

    async def _heat_one(self, progress):
        kernel_id = None
        try:
            kernel_id = await super().start_kernel(path=self.warm_path)
            await self.run_code(kernel_id, PRELUDE)
            self.add_restart_callback(kernel_id, lambda: self._died(kernel_id), "dead")
        except Exception as exc:
            self.log.warning("bpttviz: a warm kernel failed to start (%s); it is not kept", exc)
            if kernel_id is not None and kernel_id in self:
                await self.shutdown_kernel(kernel_id, now=True)
            kernel_id = None
        finally:
            self.heating -= 1
        if kernel_id is None:
            if self.waiting and len(self.waiting) > self.heating:
                self.waiting.pop(0).set_result(None)     # promised, now starts its own
            return
        self.heated += 1
        if self.waiting:                        # a page is waiting: it gets this one first
            self.waiting.pop(0).set_result(kernel_id)
        else:
            self.warm.append(kernel_id)
        if progress is not None:
            n, t0 = progress
            if self.heated % 5 == 0 or self.heated == n or n <= 5:
                _say(f"{min(self.heated, n)} of {n} kernels warm "
                     f"({time.monotonic() - t0:.0f} s)")

    async def _refill_loop(self):
        """Replace taken kernels one at a time, when the server is quiet."""
        while True:
            await asyncio.sleep(REFILL_INTERVAL_S)
            try:
                missing = self.warm_target - len(self.warm) - self.heating
                starting = self.heating + (time.monotonic() - self._last_heat < REFILL_HEAT_S)
                if refill_decision(time.monotonic(), self.last_page, self._busy(), starting,
                                   {"warm": missing}):
                    self._spawn()
                    self.log.info("bpttviz: one warm kernel added (server quiet)")
            except Exception:             # the loop must outlive any one failure
                self.log.exception("bpttviz: refilling the warm kernels failed")

    async def run_code(self, kernel_id: str, code: str):
        """Run ``code`` in kernel ``kernel_id`` and wait for its reply (raise on an error)."""
        client = self.get_kernel(kernel_id).client()
        client.start_channels()
        try:
            await client.wait_for_ready(timeout=RUN_TIMEOUT)
            msg_id = client.execute(code, silent=True, store_history=False)
            while True:
                reply = await client.get_shell_msg(timeout=RUN_TIMEOUT)
                if reply["parent_header"].get("msg_id") == msg_id:
                    break
            if reply["content"].get("status") != "ok":
                raise RuntimeError(f"{reply['content'].get('ename')}: "
                                   f"{reply['content'].get('evalue')}")
        finally:
            client.stop_channels()

    # -- kernels that died ----------------------------------------------------------------
    def _died(self, kernel_id):
        """A kernel died (killed, out of memory). The server is told not to restart it
        (``KernelRestarter.restart_limit=0``: a restarted kernel has lost its imports, or its
        page's widgets) and removes it; here it leaves the pool and the class."""
        was = "warm" if kernel_id in self.warm else "page's"
        if kernel_id in self.warm:
            self.warm.remove(kernel_id)
        self.pages.discard(kernel_id)
        self.log.warning("bpttviz: a %s kernel died (%s); it is dropped", was, kernel_id)

    async def _end(self, kernel_id):
        try:
            if kernel_id in self:
                await self.shutdown_kernel(kernel_id, now=True)
        except Exception as exc:
            self.log.warning("bpttviz: ending kernel %s failed: %s", kernel_id, exc)

    async def _alive(self, kernel_id) -> bool:
        try:
            return kernel_id in self and bool(await self.get_kernel(kernel_id).is_alive())
        except Exception:
            return False

    # -- handing out -----------------------------------------------------------------------
    def in_use(self) -> int:
        """Kernels of lesson pages now, plus pages let in whose kernel is still starting."""
        now = time.monotonic()
        self.admitted = [t for t in self.admitted if now - t < ADMIT_S]
        self.pages &= set(self.list_kernel_ids())
        return len(self.pages) + len(self.admitted)

    async def start_kernel(self, kernel_name=None, path=None, env=None, **kwargs):
        """A kernel for a page: a warm one given the page's request, else a new one."""
        if env is not None and env.get("VOILA_PREHEAT") == "False" and is_landing(env):
            return await self._landing_kernel(kernel_name, path, env, **kwargs)
        page = env is not None and env.get("VOILA_PREHEAT") == "False"
        if not page:
            return await super().start_kernel(kernel_name=kernel_name, path=path, env=env,
                                              **kwargs)
        self.last_page = time.monotonic()
        # Warm kernels are of the default kernel spec (python3); a notebook asking for another
        # gets its own.
        ours = kernel_name in (None, getattr(self, "default_kernel_name", "python3"))
        kernel_id = await self._take() if self.warm_target > 0 and ours else None
        if kernel_id is not None:
            try:
                cwd = self.cwd_for_path(path) if path is not None else None
                await self.run_code(kernel_id, request_code(env, cwd))
            except Exception as exc:
                self.log.warning("bpttviz: a warm kernel could not take a page (%s); a new "
                                 "kernel is started instead", exc)
                await self._end(kernel_id)
                kernel_id = None
        if kernel_id is None:
            kernel_id = await super().start_kernel(kernel_name=kernel_name, path=path, env=env,
                                                   **kwargs)
            self.add_restart_callback(kernel_id, lambda: self._died(kernel_id), "dead")
        self.pages.add(kernel_id)
        if self.admitted:                        # this page's place is now its kernel
            self.admitted.pop(0)
        return kernel_id

    async def _landing_kernel(self, kernel_name, path, env, **kwargs):
        """The landing page's kernel: one shared by every landing page.

        The landing page has no code and no widgets, but Voila starts a kernel for each page:
        a class opening the landing page at once would start as many kernels at once (the
        storm the warm kernels avoid). One kernel serves them all; once culled (idle, no tab
        connected) or dead, the next landing page starts another.
        """
        async with self._landing_lock:
            kernel_id = self._landing
            if kernel_id is None or not await self._alive(kernel_id):
                kernel_id = await super().start_kernel(kernel_name=kernel_name, path=path,
                                                       env=env, **kwargs)
                self._landing = kernel_id
            return kernel_id

    async def _take(self):
        """A warm kernel now; else the next to become warm if one heating is not promised to
        another page; else None (the page starts its own)."""
        while self.warm:
            kernel_id = self.warm.pop(0)
            if await self._alive(kernel_id):
                return kernel_id
            self.log.warning("bpttviz: a warm kernel had died; it is dropped")
            await self._end(kernel_id)
        if self.heating > len(self.waiting):
            future = asyncio.get_event_loop().create_future()
            self.waiting.append(future)
            return await future
        return None

    async def cull_kernel_if_idle(self, kernel_id):
        if kernel_id in self.warm:          # waiting for a student, idle by design
            return None
        return await super().cull_kernel_if_idle(kernel_id)


def class_full_hook(handler, notebook=None, cwd=None):
    """Voila's ``prelaunch_hook``: a lesson page past ``--max-students`` gets HTTP 503.

    Runs before Voila starts the page's kernel. The landing page always passes (it has no
    app); a page let in holds its place for :data:`ADMIT_S` seconds while its kernel
    starts, so a class arriving at once is counted as it arrives.
    """
    from tornado.web import HTTPError

    manager = handler.kernel_manager
    limit = getattr(manager, "max_students", None)
    if not limit or is_landing({"SCRIPT_NAME": handler.request.path}):
        return None
    if manager.in_use() >= limit:
        manager.log.warning("bpttviz: the class is full (%d students); a page was turned away",
                            limit)
        raise HTTPError(503, CLASS_FULL)
    manager.admitted.append(time.monotonic())
    return None


def install_kernel_managers(warm: int = 0, warm_path: str = "", max_students=None):
    """Make Voila's kernel managers keep ``warm`` kernels warm, refuse pages past
    ``max_students``, and cull concurrently.

    Wraps Voila's kernel manager factory in this process (call it before
    ``Voila.launch_instance``): every kernel manager is a
    :class:`~bpttviz.serve.warm.WarmKernels` (``warm`` 0: no pool) culling idle kernels
    concurrently (:class:`ConcurrentCulling`). ``warm_path`` is the lessons' folder (an API
    path, "" for the server's root).
    """
    def wrap(original):
        def factory(base_class, preheat_kernel, default_pool_size, page_config_hook=None):
            cls = original(base_class, preheat_kernel, default_pool_size,
                           page_config_hook=page_config_hook)
            return type("BpttvizKernelManager", (WarmKernels, ConcurrentCulling, cls),
                        {"warm_target": int(warm), "warm_path": warm_path,
                         "max_students": max_students})

        return factory

    wrap_kernel_manager_factory(wrap)
