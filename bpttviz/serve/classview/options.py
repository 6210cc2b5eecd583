"""What the class view is started with: the lecturer's token and page address, the state
folder, and the environment that tells the lessons' kernels where to report."""

from __future__ import annotations

import os
import re
import secrets
from dataclasses import dataclass
from pathlib import Path

from ...class_protocol import KERNEL_ROUTE, ROUTE, SECRET_ENV, URL_ENV
from ..notebooks import page_names
from .store import PACE_EXPIRES_S, ClassStore, class_lessons
from .view import ClassView

__all__ = ["TOKEN_ENV", "ClassOptions", "class_options", "default_state_dir", "new_token",
           "class_url", "kernel_environment", "start_note"]

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


def start_note(kept: dict, cleared: str | None = None) -> str:
    """The line that says at start what the class view continues, or that it starts a new
    class. ``kept`` is :meth:`ClassStore.kept`; ``cleared`` says why the pace and reveals were
    cleared (``"new"``: ``--new-class``; ``"expired"``), None when they were not."""
    pages = kept["pages"]
    answers = f"{pages} page{'s' if pages != 1 else ''}' answers"
    if cleared is not None:
        why = ("" if cleared == "new" else
               f", those left from more than {PACE_EXPIRES_S / 3600:g} hour ago expired")
        note = f"The class view starts a new class: no pace, no reveals{why}"
        return note + (f"; {answers} kept for export (Clear on the lecturer's page forgets "
                       f"them)." if pages else ".")
    guided = [f"paced to step {step} in {lesson}" for lesson, step in kept["pace"].items()]
    guided += [f"step{'s' if len(steps) > 1 else ''} {', '.join(map(str, steps))} revealed in "
               f"{lesson}" for lesson, steps in kept["revealed"].items()]
    if not pages and not guided:
        return "The class view starts a new class."
    return (f"The class view continues {', '.join([answers] + guided)}; --new-class to start "
            f"afresh.")


@dataclass(frozen=True)
class ClassOptions:
    """What ``bpttviz serve --class`` asks for: the lecturer's token, the state folder, and
    whether a new class starts (``--new-class``: the pace and reveals cleared)."""

    token: str             #: the lecturer's token
    state_dir: Path        #: the folder of the SQLite file
    new_class: bool = False    #: clear the pace and reveals at start (the answers stay)

    def url(self, host, port) -> str:
        return class_url(host, port, self.token)

    def begin(self, notebooks) -> str:
        """Open the state folder once before the class view serves: clear the pace and
        reveals for a new class (and those expired); return :func:`start_note`'s line."""
        store = ClassStore(Path(self.state_dir) / "class.sqlite",
                           class_lessons(page_names(notebooks)))
        try:
            guided = store.kept()
            guided = guided["pace"] or guided["revealed"]
            if self.new_class:
                store.new_class()
            cleared = ("new" if self.new_class and guided else
                       "expired" if store.expired_at_start else None)
            return start_note(store.kept(), cleared)
        finally:
            store.close()

    def start(self, notebooks, host, port):
        """The :class:`ClassView` of the lessons in ``notebooks`` and the kernels' environment."""
        secret = secrets.token_urlsafe(32)
        store = ClassStore(Path(self.state_dir) / "class.sqlite",
                           class_lessons(page_names(notebooks)))
        return (ClassView(store, token=self.token, secret=secret),
                kernel_environment(host, port, secret))


def class_options(token=None, state_dir=None, new_class=False) -> ClassOptions:
    """The options of ``bpttviz serve --class``: ``token`` (else ``$BPTTVIZ_CLASS_TOKEN``, else
    a fresh one), ``state_dir`` (else :func:`default_state_dir`) and ``new_class``.

    Raises ``ValueError`` for a token shorter than 8 characters or with characters a link
    would have to escape.
    """
    token = token or os.environ.get(TOKEN_ENV) or new_token()
    if not re.fullmatch(r"[A-Za-z0-9._~-]{8,256}", token):
        raise ValueError("the class token must be 8 to 256 letters, digits or . _ ~ -. "
                         f"Got one of {len(token)} characters with others.")
    return ClassOptions(token, Path(state_dir) if state_dir else default_state_dir(),
                        bool(new_class))
