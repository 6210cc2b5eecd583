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
from .store import ClassStore, class_lessons
from .view import ClassView

__all__ = ["TOKEN_ENV", "ClassOptions", "class_options", "default_state_dir", "new_token",
           "class_url", "kernel_environment"]

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
