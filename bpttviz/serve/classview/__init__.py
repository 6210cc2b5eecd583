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
``POST /bpttviz/class/kernel/answer``       a kernel reports its page's choice
``GET  /bpttviz/class/kernel/state``        a kernel waits for the pace and reveals (long poll)

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
"""

from __future__ import annotations

import asyncio
import os
import re
import secrets
from dataclasses import dataclass
from pathlib import Path

from ...class_protocol import HOLD_S, KERNEL_ROUTE, ROUTE, SECRET_ENV, URL_ENV
from .store import BadRequest, ClassLesson, ClassStore, class_lessons
from .view import ANSWERS_PER_S, OPEN_S, ClassView

__all__ = ["ROUTE", "MAX_BODY", "ANSWERS_PER_S", "OPEN_S", "HOLD_S", "SECRET_ENV", "URL_ENV",
           "TOKEN_ENV", "ClassLesson", "ClassOptions", "class_options", "ClassStore", "ClassView",
           "HubClassView", "class_lessons",
           "default_state_dir", "new_token", "kernel_environment", "class_url", "make_app",
           "main"]

#: The token of the lecturer's page, if not a fresh one.
TOKEN_ENV = "BPTTVIZ_CLASS_TOKEN"


def default_state_dir() -> Path:
    """Where the class view keeps its SQLite file by default: the user's data folder
    (``$XDG_DATA_HOME/bpttviz``, else ``~/.local/share/bpttviz``)."""
    base = os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share"
    return Path(base) / "bpttviz"


def new_token() -> str:
    """A fresh random token for the lecturer's page."""
    return secrets.token_urlsafe(24)


def class_url(host: str, port: int, token: str) -> str:
    """The address of the lecturer's page that ``bpttviz serve --class`` prints."""
    return f"http://{host}:{int(port)}{ROUTE}?token={token}"


def kernel_environment(host: str, port: int, secret: str) -> dict:
    """The variables that tell a lesson's kernel where to report, and with what secret.

    A kernel reaches the server on this machine: through 127.0.0.1 when the server listens
    on every address (``0.0.0.0``, ``::``), else on the address it listens on.
    """
    reach = "127.0.0.1" if host in ("0.0.0.0", "::", "") else host
    reach = f"[{reach}]" if ":" in reach else reach
    return {URL_ENV: f"http://{reach}:{int(port)}{KERNEL_ROUTE}", SECRET_ENV: secret}


@dataclass(frozen=True)
class ClassOptions:
    """What ``bpttviz serve --class`` asks for: the lecturer's token and the state folder."""

    token: str             #: the lecturer's token
    state_dir: Path        #: the folder of the SQLite file

    def url(self, host, port) -> str:
        return class_url(host, port, self.token)

    def start(self, notebooks, host, port):
        """The :class:`ClassView` of the lessons in ``notebooks`` and the kernels' environment."""
        from ..notebooks import page_names

        secret = secrets.token_urlsafe(32)
        store = ClassStore(Path(self.state_dir) / "class.sqlite",
                           class_lessons(page_names(notebooks)))
        return (ClassView(store, token=self.token, secret=secret),
                kernel_environment(host, port, secret))


def class_options(token=None, state_dir=None) -> ClassOptions:
    """The options of ``bpttviz serve --class``: ``token`` (else ``$BPTTVIZ_CLASS_TOKEN``, else
    a fresh one) and ``state_dir`` (else :func:`default_state_dir`).

    Raises ``ValueError`` for a token shorter than 8 characters or with characters a link
    would have to escape.
    """
    token = token or os.environ.get(TOKEN_ENV) or new_token()
    if not re.fullmatch(r"[A-Za-z0-9._~-]{8,256}", token):
        raise ValueError("the class token must be 8 to 256 letters, digits or . _ ~ -. "
                         f"Got one of {len(token)} characters with others.")
    return ClassOptions(token, Path(state_dir) if state_dir else default_state_dir())


def main(argv=None) -> int:
    """``python -m bpttviz.serve.classview``: the class view on its own (see :mod:`bpttviz.hub`)."""
    import argparse

    from ..notebooks import lessons_dir, page_names

    parser = argparse.ArgumentParser(prog="python -m bpttviz.serve.classview",
                                     description="The class view on its own, beside servers "
                                                 "of the lessons whose kernels report to it.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8867)
    parser.add_argument("--notebooks", default=None, help="the lessons' folder (its names)")
    parser.add_argument("--state-dir", default=None)
    parser.add_argument("--prefix", default="", help="a path the routes are under")
    parser.add_argument("--hub", action="store_true",
                        help="run as a JupyterHub service: address, prefix and authentication "
                             "from the hub's JUPYTERHUB_* variables")
    args = parser.parse_args(argv)
    lessons = class_lessons(page_names(args.notebooks or lessons_dir()))
    state = Path(args.state_dir) if args.state_dir else default_state_dir()

    async def run():
        from .handlers import make_app

        store = ClassStore(state / "class.sqlite", lessons)
        if args.hub:
            from urllib.parse import urlsplit

            from jupyterhub.services.auth import HubOAuth

            from .hub import HubClassView

            where = urlsplit(os.environ["JUPYTERHUB_SERVICE_URL"])
            # The one instance: the OAuth callback handler finds its login state there.
            view = HubClassView(store, HubOAuth.instance(cache_max_age=60))
            prefix = os.environ.get("JUPYTERHUB_SERVICE_PREFIX", "/")
            make_app(view, prefix).listen(where.port, where.hostname)
            print(f"Class view at {prefix.rstrip('/')}{ROUTE} (through the hub)", flush=True)
        else:
            token = os.environ.get(TOKEN_ENV) or new_token()
            secret = os.environ.get(SECRET_ENV) or secrets.token_urlsafe(32)
            view = ClassView(store, token=token, secret=secret)
            make_app(view, args.prefix).listen(args.port, args.host)
            print(f"Class view: {class_url(args.host, args.port, token)}", flush=True)
        await asyncio.Event().wait()

    asyncio.run(run())
    return 0


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
