"""The class view: the lecturer sees the class's answers to the guided steps, paces and reveals.

``bpttviz serve --class`` adds these routes to the Voila server of the lessons; on
JupyterHub the same routes run as a hub-managed service of their own
(``python -m bpttviz.serve.classview``, :mod:`bpttviz.hub`).

Routes, under :data:`ROUTE` (``/bpttviz/class``):

``GET  /bpttviz/class?token=T``             the lecturer's page (:data:`PAGE`)
``GET  /bpttviz/class/api/summary``         the class's answers and open pages (JSON)
``GET  /bpttviz/class/api/summary.csv``     the same counts as CSV
``GET  /bpttviz/class/api/lessons``         each lesson's steps: titles, choices, answers, pace
``POST /bpttviz/class/api/pace``            ``{"lesson", "step"}``: bring the class to a step
``POST /bpttviz/class/api/reveal``          ``{"lesson", "step"}``: reveal a step's answer
``POST /bpttviz/class/api/clear``           ``{"lesson"}``: forget a lesson's answers, pace, reveals
``POST /bpttviz/class/api/vote``            ``{"lesson", "step", "open"}``: open a new round of a
                                            step's vote, or close it (:mod:`~.teaching`)
``POST /bpttviz/class/api/pause``           ``{"lesson", "paused"}``: pause a lesson's controls
``POST /bpttviz/class/api/experiment``      ``{"lesson", "running"}``: start or stop an experiment
``GET  /bpttviz/class/api/experiment``      ``?lesson=L``: ``{"running", "points"}``
``POST /bpttviz/class/kernel/answer``       a kernel reports its page's choice
``GET  /bpttviz/class/kernel/state``        a kernel waits for the pace and reveals (long poll)
``POST /bpttviz/class/kernel/result``       a kernel sends its page's point in an experiment

The lecturer's routes take the token (``Authorization: token T`` or ``?token=T``),
compared in constant time; the access log shows paths without their query, so the
token is never logged. The kernel routes take a per-server secret
(``Authorization: bpttviz-kernel S``) that only the kernels have (their environment,
inherited from the server): a page's browser cannot read or forge answers. On
JupyterHub a kernel shows its user's own hub token instead.

Storage is SQLite in the state folder (:func:`default_state_dir`): answers (a random
page id, lesson, step, choice, time; the latest answer of a page at a step replaces
its earlier one) and the pace and reveals. Only this server writes; the counts are
kept in memory too, so a summary costs no query. A page is "open" while its kernel
waits on ``kernel/state`` or did within :data:`OPEN_S` seconds.

Its parts, one job each: :mod:`~.options` (the token, the page's address, the state folder,
the kernels' environment), :mod:`~.store` (the SQLite store, the lessons followed),
:mod:`~.view` (who may do what, the pages open, the answers' rate, the long poll),
:mod:`~.handlers` (the HTTP handlers and their routes), :mod:`~.hub` (the JupyterHub
service) and :mod:`~.command` (``python -m bpttviz.serve.classview``). What the kernels
share with it is :mod:`bpttviz.class_protocol`.
"""

from ...class_protocol import HOLD_S, ROUTE, SECRET_ENV, URL_ENV
from .command import main
from .options import (TOKEN_ENV, ClassOptions, class_options, class_url, default_state_dir,
                      kernel_environment, new_token)
from .store import BadRequest, ClassLesson, ClassStore, class_lessons
from .view import ANSWERS_PER_S, OPEN_S, ClassView

__all__ = ["ROUTE", "MAX_BODY", "ANSWERS_PER_S", "OPEN_S", "HOLD_S", "SECRET_ENV", "URL_ENV",
           "TOKEN_ENV", "ClassLesson", "ClassOptions", "class_options", "ClassStore", "ClassView",
           "HubClassView", "class_lessons",
           "default_state_dir", "new_token", "kernel_environment", "class_url", "make_app",
           "main"]


def __getattr__(name):
    """The names whose modules import tornado (and JupyterHub), loaded when first asked for:
    ``bpttviz serve --class`` imports this package before any server starts."""
    if name in ("MAX_BODY", "PAGE", "make_app"):
        from . import handlers

        return getattr(handlers, name)
    if name == "HubClassView":
        from .hub import HubClassView

        return HubClassView
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
