"""A lesson page in a class with the class view: its answers reported, the lecturer followed.

When the server runs the class view (``bpttviz serve --class``, or the JupyterHub
service), a lesson's kernel finds in its environment where to report
(``BPTTVIZ_CLASS_URL``) and with what secret (``BPTTVIZ_CLASS_SECRET``; on JupyterHub,
the user's own ``JUPYTERHUB_API_TOKEN``). Then the steps panel gets a "Follow the
lecturer" switch, on by default; each choice the page makes is reported (the page is
a random id: no name, no address); and a background thread waits on the server for
the step the lecturer brings the class to and the answers revealed. What it hears is
applied on the kernel's event loop, where the widgets live (they are not thread-safe).

Without those variables (plain ``bpttviz serve``, JupyterLab, tests) nothing is built,
nothing is sent and no thread starts.
"""

from __future__ import annotations

import json
import os
import queue
import secrets
import threading
import urllib.error
import urllib.parse
import urllib.request
from pathlib import PurePosixPath

import ipywidgets as widgets

from ..class_protocol import (ANSWER_PATH, HOLD_S, KERNEL_SCHEME, SECRET_ENV, STATE_PATH,
                              URL_ENV)
from ..upstream.ipywidgets_classes import classed

__all__ = ["ClassLink", "URL_ENV", "SECRET_ENV", "RETRY_S"]

#: Wait after a failed request to the class view before the next one.
RETRY_S = 2.0


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

    Attributes
    ----------
    active : bool
        Whether the class view is on (the environment names it).
    follow : ipywidgets.Checkbox or None
        The "Follow the lecturer" switch; None when not active.
    revealed : set of int
        The steps (0-based) whose answer the lecturer revealed.
    """

    def __init__(self, n_steps, on_state, attempt, environ=None, page_name=None):
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
        self.follow = None
        self._applied_pace = None
        self._outbox = queue.Queue()
        self._stop = threading.Event()
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
        self._stop.set()

    # -- what the page does ----------------------------------------------------------------
    def chose(self, index, k):
        """Report that the page chose ``k`` (0-based) at step ``index`` (0-based)."""
        if self.active and self.lesson is not None:
            self._outbox.put({"page": self.page, "lesson": self.lesson, "step": index + 1,
                              "choice": k + 1})

    def _follow_changed(self, change):
        if change["new"]:
            # Switched on again: go to the lecturer's step now.
            self._applied_pace = None
            if self.state is not None:
                self._apply(self.state)

    # -- the thread that talks to the server -----------------------------------------------
    def _request(self, path, body=None, timeout=10.0):
        req = urllib.request.Request(self.url + path, method="POST" if body else "GET",
                                     data=None if body is None else json.dumps(body).encode())
        req.add_header("Authorization", self.auth)
        if body is not None:
            req.add_header("Content-Type", "application/json")
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return json.loads(r.read())

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
        """Send the answers queued, in order; retry one the server could not be reached for."""
        while not self._stop.is_set():
            try:
                body = self._outbox.get(timeout=1.0)
            except queue.Empty:
                continue
            while not self._stop.is_set():
                try:
                    self._request(ANSWER_PATH, body)
                    break
                except urllib.error.HTTPError:
                    break             # refused (too many, unknown): nothing the page can fix
                except OSError:
                    self._stop.wait(RETRY_S)

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
        self.revealed = {s - 1 for s in state.get("revealed", ())}
        pace = (state.get("pace"), state.get("pace_serial"))
        step = None
        if (pace[0] is not None and self.follow.value and pace != self._applied_pace
                and 1 <= pace[0] <= self.n_steps):
            self._applied_pace = pace
            step = pace[0] - 1
        self.on_state(step)

