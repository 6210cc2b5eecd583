"""A lesson page in a class with the class view: its answers reported, the lecturer followed.

When the server runs the class view (``bpttviz serve --class``, or the JupyterHub
service), a lesson's kernel finds in its environment where to report
(``BPTTVIZ_CLASS_URL``) and with what secret (``BPTTVIZ_CLASS_SECRET``; on JupyterHub,
the user's own ``JUPYTERHUB_API_TOKEN``). Then the steps panel gets a "Follow the
lecturer" switch, on by default; each choice the page makes is reported (the page is
a random id: no name, no address); and a background thread waits on the server for
the step the lecturer brings the class to and the answers revealed. What it hears is
applied on the kernel's event loop, where the widgets live (they are not thread-safe).

No answer is lost on the way: each carries an id of its own (:data:`ANSWER_ID`), and a
thread sends them in order, each until the class view acknowledges it (2xx), waiting
longer after each failure (:data:`ANSWER_RETRY_S` doubling up to :data:`ANSWER_RETRY_MAX_S`;
a page closed meanwhile goes on for :data:`CLOSE_GRACE_S`).
The class view stores an answer once by its id, so one sent again counts once. While the
class view cannot be reached (or answers 5xx) the page says so (:data:`WAITING`), and it
clears that once the answers are delivered; an answer the class view refuses as wrong (a
4xx other than :data:`~bpttviz.class_protocol.RETRY_STATUSES`) is said in the page too.

Without those variables (plain ``bpttviz serve``, JupyterLab, tests) nothing is built,
nothing is sent and no thread starts.
"""

from __future__ import annotations

import io
import json
import os
import queue
import random
import secrets
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from pathlib import PurePosixPath

import ipywidgets as widgets

from ..class_protocol import (ANSWER_ID, ANSWER_PATH, HOLD_S, KERNEL_SCHEME, RETRY_STATUSES,
                              SECRET_ENV, STATE_PATH, URL_ENV, in_process)
from ..upstream.ipywidgets_classes import classed
from .notices import NoticeWidgets, notice_html

__all__ = ["ClassLink", "URL_ENV", "SECRET_ENV", "RETRY_S", "ANSWER_RETRY_S",
           "ANSWER_RETRY_MAX_S", "WAITING"]

#: Wait after a failed request for the class's state before the next one.
RETRY_S = 2.0
#: The first wait before an answer is sent again; each later one doubles, up to the second.
#: Each wait is drawn between half and all of that, so that a class's pages spread their
#: tries once the class view is back.
ANSWER_RETRY_S, ANSWER_RETRY_MAX_S = 0.5, 15.0
#: How long a closed page goes on sending the answers still waiting (s).
CLOSE_GRACE_S = 300.0
#: What the page says while an answer waits for the class view.
WAITING = "Your answer will be sent when the class view can be reached."


def _lesson_of(environ) -> str | None:
    """The lesson of this kernel's page, from the address Voila ran it for (``SCRIPT_NAME``,
    ``/voila/render/02_vanishing_exploding.ipynb``), or None before a page asked for it."""
    path = environ.get("SCRIPT_NAME", "")
    if not path.endswith(".ipynb"):
        return None
    return PurePosixPath(urllib.parse.unquote(path)).stem


class ClassLink:
    """The link of one lesson page to the class view, built by the steps panel.

    Parameters
    ----------
    n_steps : int
        How many guided steps the lesson has (none: the link stays inactive).
    on_state : callable
        ``on_state(step)``: called on the kernel's event loop with each state heard, after
        :attr:`revealed` is updated; ``step`` is the step (0-based) the lecturer brings the
        class to when the page follows and it is new, else None.
    attempt : callable
        ``attempt(action, what)``: runs ``action``, an error shown in the page.
    environ : mapping, optional
        Default ``os.environ``.
    page_name : str, optional
        The lesson's page (``02_vanishing_exploding``) when the environment does not name it:
        a lecture-hall page, one of many in its process.
    wait : callable, optional
        ``wait(seconds)`` between two tries of an answer (default ``time.sleep``); tests give
        their own.

    Attributes
    ----------
    active : bool
        Whether the class view is on (the environment names it).
    follow : ipywidgets.Checkbox or None
        The "Follow the lecturer" switch; None when not active.
    delivery : ipywidgets.HTML or None
        What the page says of its answers' way to the class view (DOM class
        ``bpttviz-class-delivery``): :data:`WAITING` while one waits, a refusal, or nothing.
    delivered : int
        The answers the class view acknowledged.
    revealed : set of int
        The steps (0-based) whose answer the lecturer revealed.
    votes : dict of int -> (int, bool)
        The steps (0-based) with a vote: its latest round (1-based) and whether it is open.
    """

    def __init__(self, n_steps, on_state, attempt, environ=None, page_name=None, wait=None):
        environ = os.environ if environ is None else environ
        self.n_steps, self.on_state, self.attempt = n_steps, on_state, attempt
        self.page_name = page_name
        self.url = environ.get(URL_ENV, "").rstrip("/")
        secret = environ.get(SECRET_ENV)
        hub = environ.get("JUPYTERHUB_API_TOKEN")
        self.auth = (f"{KERNEL_SCHEME} {secret}" if secret else f"token {hub}" if hub else None)
        self.active = bool(self.url and self.auth and n_steps)
        self.page = secrets.token_urlsafe(12)
        self.lesson = None
        self.revealed = set()
        self.votes = {}
        #: Called as ``listener(state)`` after :attr:`on_state` with each state heard (on the
        #: kernel's event loop): the pause and the experiment (:mod:`.class_teaching`).
        self.listeners = []
        self.follow = None
        self._applied_pace = None
        self._outbox = queue.Queue()
        self._stop = threading.Event()
        self._wait = time.sleep if wait is None else wait
        self._closed_at = None
        self._rng = random.Random()
        self._unsent = 0              # answers queued or on their way, not yet acknowledged
        self._count = threading.Lock()
        self._refusal = None          # (text, level) of the last answer refused as wrong
        self.delivered = 0
        self.delivery = self.notices = None
        self._thread = None
        self._loop = None
        #: The last state heard from the class view.
        self.state = None
        if not self.active:
            return
        self.follow = classed(widgets.Checkbox, "bpttviz-step-follow", value=True,
                              description="Follow the lecturer", indent=False,
                              tooltip="Go to the step the lecturer brings the class to")
        self.follow.observe(self._follow_changed, names="value")
        #: The page's class notices (this delivery one, the pause, a result sent) share a
        #: Layout and a style (:class:`~.notices.NoticeWidgets`).
        self.notices = NoticeWidgets()
        self.delivery = self.notices("bpttviz-class-delivery")

    def _mark(self):
        """Say on the switch what this kernel made of it and heard, as classes a test can wait
        for: ``bpttviz-follow-off`` while it is off, ``bpttviz-lecturer-step-N`` once the
        lecturer's step N is heard."""
        pace = (self.state or {}).get("pace")
        kept = [c for c in self.follow._dom_classes
                if c != "bpttviz-follow-off" and not c.startswith("bpttviz-lecturer-step-")]
        kept += [] if self.follow.value else ["bpttviz-follow-off"]
        kept += [] if pace is None else [f"bpttviz-lecturer-step-{pace}"]
        self.follow._dom_classes = tuple(kept)

    # -- starting, once the page is known --------------------------------------------------
    def page_known(self, environ=None):
        """Start reporting once this page's lesson is known."""
        if not self.active or self._thread is not None:
            return
        self.lesson = _lesson_of(os.environ if environ is None else environ) or self.page_name
        if self.lesson is None:
            return
        import asyncio

        try:
            self._loop = asyncio.get_running_loop()
        except RuntimeError:
            self._loop = None
        self._thread = threading.Thread(target=self._run, name="bpttviz-class", daemon=True)
        self._thread.start()

    def close(self):
        """Stop following the lecturer; answers still waiting are sent for
        :data:`CLOSE_GRACE_S` more seconds (the server's process outlives the page)."""
        self._closed_at = time.monotonic()
        self._stop.set()
        self._outbox.put(None)          # wakes the sending thread, which waits for answers

    def _sending(self) -> bool:
        """Whether to go on sending answers: until closed, then while some wait, for a while."""
        if not self._stop.is_set():
            return True
        return self._unsent > 0 and time.monotonic() - self._closed_at < CLOSE_GRACE_S

    # -- what the page does ----------------------------------------------------------------
    def chose(self, index, k, round_=None):
        """Report that the page chose ``k`` (0-based) at step ``index`` (0-based), in round
        ``round_`` of the step's vote (1-based; None: no vote)."""
        if self.active and self.lesson is not None:
            body = {ANSWER_ID: uuid.uuid4().hex, "page": self.page, "lesson": self.lesson,
                    "step": index + 1, "choice": k + 1}
            if round_ is not None:
                body["round"] = round_
            with self._count:
                self._unsent += 1
            self._outbox.put(body)

    @property
    def unsent(self) -> int:
        """Answers chosen and not yet acknowledged by the class view."""
        return self._unsent

    def _follow_changed(self, change):
        self._mark()
        if change["new"]:
            # Switched on again: go to the lecturer's step now.
            self._applied_pace = None
            if self.state is not None:
                self._apply(self.state)

    # -- the thread that talks to the server -----------------------------------------------
    def _send(self, path, body=None, timeout=10.0) -> tuple:
        """``(status, body)`` of a GET of ``path`` (a POST of ``body``, JSON, when given); raises
        ``urllib.error.HTTPError`` for a status of 400 or more and ``OSError`` when nothing
        answers. In the class view's own process (a lecture hall's page) without a socket
        (:func:`~bpttviz.class_protocol.in_process`): the same request and answer."""
        data = None if body is None else json.dumps(body).encode()
        headers = {"Authorization": self.auth}
        if data is not None:
            headers["Content-Type"] = "application/json"
        call = in_process(self.url)
        if call is None:
            req = urllib.request.Request(self.url + path, method="POST" if data else "GET",
                                         data=data, headers=headers)
            with urllib.request.urlopen(req, timeout=timeout) as r:
                return r.status, r.read()
        status, reply = call("POST" if data else "GET", path, headers, data, timeout)
        if status >= 400:
            raise urllib.error.HTTPError(self.url + path, status, "", None, io.BytesIO(reply))
        return status, reply

    def _request(self, path, body=None, timeout=10.0):
        """The JSON answer to :meth:`_send`."""
        return json.loads(self._send(path, body, timeout)[1])

    def _run(self):
        version = -1
        answers = threading.Thread(target=self._answers_loop, daemon=True)
        answers.start()
        while not self._stop.is_set():
            query = urllib.parse.urlencode({"page": self.page, "lesson": self.lesson,
                                            "version": version, "hold": HOLD_S})
            try:
                state = self._request(f"{STATE_PATH}?{query}", timeout=HOLD_S + 10)
            except (OSError, ValueError):
                self._stop.wait(RETRY_S)
                continue
            version = state.get("version", -1)
            self._schedule(state)

    def _answers_loop(self):
        """Send the answers queued, in order, each until the class view takes it. The thread
        sleeps until an answer (or the page's end) comes: a lecture hall's process holds a
        thread per page, and each waking would take the interpreter from the others."""
        while self._sending():
            body = self._outbox.get()
            if body is not None:
                self._deliver(body)

    def _deliver(self, body):
        """Send ``body`` until the class view acknowledges it (2xx) or refuses the answer
        itself (a 4xx not in RETRY_STATUSES), waiting longer after each failed try."""
        tries = 0
        while self._sending():
            try:
                status, reply = self._send(ANSWER_PATH, body)[0], None
            except urllib.error.HTTPError as exc:
                status, reply = exc.code, exc
            except OSError:              # unreachable, refused, timed out, reset
                status = reply = None
            if status is not None and 200 <= status < 300:
                with self._count:
                    self._unsent -= 1
                    self.delivered += 1
                    done = not self._unsent
                if done:            # nothing waits: the notice goes (a refusal stays)
                    self._on_loop(lambda: self._say(*(self._refusal or ("",))))
                return
            if status is not None and 400 <= status < 500 and status not in RETRY_STATUSES:
                with self._count:
                    self._unsent -= 1
                self._refusal = (f"The class view refused your answer to step {body['step']}: "
                                 f"{_error_of(reply)}", "error")
                self._on_loop(lambda: self._say(*self._refusal))
                return
            if tries == 0:
                self._on_loop(lambda: self._say(WAITING, "warning"))
            delay = min(ANSWER_RETRY_MAX_S, ANSWER_RETRY_S * 2 ** tries)
            tries += 1
            self._wait(self._rng.uniform(delay / 2, delay))

    def _say(self, text, level="warning"):
        """Put ``text`` in the delivery notice ("" clears it)."""
        self.delivery.value = (f"<div role='status' aria-live='polite'>"
                               f"{notice_html([text], level)}</div>" if text else "")

    def _on_loop(self, action):
        """Run ``action`` on the kernel's event loop (the widgets' thread), its error shown."""
        def run():
            self.attempt(action, "say how your answer is sent")

        if self._loop is not None and self._loop.is_running():
            self._loop.call_soon_threadsafe(run)
        else:
            run()

    def _schedule(self, state):
        """Apply ``state`` on the kernel's event loop (the widgets' thread)."""
        if self._loop is not None and self._loop.is_running():
            self._loop.call_soon_threadsafe(self._apply_safely, state)
        else:
            self._apply_safely(state)

    def _apply_safely(self, state):
        self.attempt(lambda: self._apply(state), "follow the lecturer")

    def _apply(self, state):
        """Tell the panel the lecturer's step (when followed and new); the reveals are in
        :attr:`revealed`."""
        self.state = state
        self._mark()
        self.revealed = {s - 1 for s in state.get("revealed", ())}
        self.votes = {int(s) - 1: (v["round"], v["open"])
                      for s, v in state.get("votes", {}).items()}
        pace = (state.get("pace"), state.get("pace_serial"))
        step = None
        if (pace[0] is not None and self.follow.value and pace != self._applied_pace
                and 1 <= pace[0] <= self.n_steps):
            self._applied_pace = pace
            step = pace[0] - 1
        self.on_state(step)
        for listener in self.listeners:
            listener(state)


def _error_of(reply) -> str:
    """The reason an HTTP error ``reply`` gives (its JSON ``error``), else its status."""
    try:
        return str(json.loads(reply.read())["error"])
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return f"HTTP {getattr(reply, 'code', '?')}"
