"""The class view's rules, which its request handlers follow: who may do what, which pages are
open now, how fast a page may answer, and the change the kernels wait for.

A page is "open" while its kernel waits on ``kernel/state`` or did within :data:`OPEN_S`
seconds. A kernel's request for the state is held (a long poll) until the lecturer changes
something or :data:`~bpttviz.class_protocol.HOLD_S` seconds pass. The requests a change wakes
are answered spread over a moment (:data:`SPREAD_PER_PAGE_S` a page held, at most
:data:`SPREAD_MAX_S`): a lecture hall's pages share a process, and a round opened for all of
them at one instant would hold up every student's slider behind it.

For benchmarks of a class view that cannot serve for a while: when the environment names a
file in :data:`OUTAGE_ENV`, the kernel routes answer 503 while that file exists.
"""

from __future__ import annotations

import asyncio
import collections
import hmac
import os
import random
import time

from ...class_protocol import KERNEL_SCHEME

__all__ = ["ANSWERS_PER_S", "OPEN_S", "OUTAGE_ENV", "SPREAD_PER_PAGE_S", "SPREAD_MAX_S",
           "ClassView"]

#: Answers a page may send in one second; more are refused with 429.
ANSWERS_PER_S = 10
#: A page counts as open this many seconds after its kernel last asked for the class's state.
OPEN_S = 5.0
#: A change wakes the requests held over this many seconds per request held, at most the
#: second (60 pages: within 1.8 s; a page hears a round opened before its student has read it,
#: and the other students' sliders are held up by fewer pages at a time).
SPREAD_PER_PAGE_S, SPREAD_MAX_S = 0.03, 2.0
#: A file whose presence makes the kernel routes answer 503 (benchmarks of an outage only).
OUTAGE_ENV = "BPTTVIZ_CLASS_OUTAGE_FILE"


class ClassView:
    """The class view's state and rules, shared by its request handlers.

    Parameters
    ----------
    store : ClassStore
    token : str or None
        The lecturer's token; None when :attr:`lecturer_allowed` is replaced (JupyterHub).
    secret : str or None
        The kernels' secret; None when :attr:`kernel_allowed` is replaced (JupyterHub).
    clock : callable, optional
        The seconds of a monotonic clock, by which pages are open and answers counted per
        second; default :func:`time.monotonic` (the tests hold their own).
    """

    #: What a request without the lecturer's credentials is told.
    refusal = "a valid token is needed (Authorization: token TOKEN, or ?token=)."
    #: What a page that sends answers faster than :data:`ANSWERS_PER_S` a second is told.
    too_fast = f"at most {ANSWERS_PER_S} answers a second per page."

    def __init__(self, store, *, token=None, secret=None, clock=time.monotonic):
        self.store = store
        self.clock = clock
        self.token = token
        self.secret = secret
        #: ``{page: (lesson, last seen, requests waiting)}``
        self.pages = {}
        self._recent = collections.defaultdict(collections.deque)
        # Bound to the running loop at its first wait (Python >= 3.10), not here.
        self._changed = asyncio.Event()
        self.version = 0
        self._held = 0              # requests waiting for a change now
        self._spread = 0.0          # the seconds the last change's wakes are spread over
        self._rng = random.Random()
        self._outage = os.environ.get(OUTAGE_ENV) or None

    # -- who may do what -------------------------------------------------------------------
    @staticmethod
    def _credential(handler, scheme):
        header = handler.request.headers.get("Authorization", "")
        if header.lower().startswith(scheme + " "):
            return header[len(scheme) + 1:].strip()
        return None

    def lecturer_allowed(self, handler) -> bool:
        """Whether the request carries the lecturer's token (header, or ``?token=``)."""
        given = self._credential(handler, "token")
        if given is None:
            given = handler.get_query_argument("token", "")
        return bool(self.token) and hmac.compare_digest(given.encode(), self.token.encode())

    def login_first(self, handler) -> bool:
        """Whether the page's request was sent to log in first (never, with a token)."""
        return False

    async def kernel_allowed(self, handler) -> bool:
        """Whether the request carries the kernels' secret."""
        given = self._credential(handler, KERNEL_SCHEME) or ""
        return bool(self.secret) and hmac.compare_digest(given.encode(), self.secret.encode())

    def out_of_service(self) -> bool:
        """Whether the kernel routes answer 503 now (the file of :data:`OUTAGE_ENV` exists)."""
        return self._outage is not None and os.path.exists(self._outage)

    # -- pages open now --------------------------------------------------------------------
    def seen(self, page, lesson, waiting=0):
        """Note that ``page`` on ``lesson`` asked now; ``waiting`` changes its held requests.
        A pace and reveals left from an hour with nothing happening expire first."""
        _, _, held = self.pages.get(page, (lesson, 0.0, 0))
        self.pages[page] = (lesson, self.clock(), max(0, held + waiting))
        if self.store.page_open():
            self.changed()

    def open_pages(self) -> dict:
        """``{lesson: pages open now}``; pages gone quiet are forgotten."""
        now, counts = self.clock(), collections.Counter()
        for page, (lesson, last, held) in list(self.pages.items()):
            if held or now - last <= OPEN_S:
                counts[lesson] += 1
            elif now - last > 10 * OPEN_S:
                del self.pages[page]
                self._recent.pop(page, None)
        return dict(counts)

    def rate_limited(self, page) -> bool:
        """Whether ``page`` has sent :data:`ANSWERS_PER_S` answers in the last second already."""
        now, times = self.clock(), self._recent[page]
        while times and now - times[0] >= 1.0:
            times.popleft()
        if len(times) >= ANSWERS_PER_S:
            return True
        times.append(now)
        return False

    # -- changes the kernels wait for --------------------------------------------------------
    def changed(self):
        """Wake every kernel waiting for the state."""
        self.version += 1
        self._spread = min(SPREAD_MAX_S, SPREAD_PER_PAGE_S * self._held)
        self._changed.set()
        self._changed = asyncio.Event()

    async def wait_change(self, version, timeout):
        """Return once the state's version differs from ``version``, or after ``timeout`` s; a
        change wakes the requests held at a moment drawn within their spread."""
        if version != self.version:
            return
        self._held += 1
        try:
            await asyncio.wait_for(self._changed.wait(), timeout)
        except asyncio.TimeoutError:
            return
        finally:
            self._held -= 1
        await asyncio.sleep(self._rng.uniform(0.0, self._spread))

    # -- how it is served ------------------------------------------------------------------
    def handlers(self, prefix="") -> list:
        """Tornado's ``(pattern, handler, kwargs)`` for every route, under ``prefix``."""
        from .handlers import routes        # tornado, imported only when a server starts

        return routes(self, prefix)

    def standalone(self, prefix="") -> tuple:
        """``(routes, settings)`` of a tornado application that serves this view on its own."""
        return self.handlers(prefix), {}
