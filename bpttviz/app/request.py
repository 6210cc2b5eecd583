"""The page's request under Voila's kernel preheating.

With ``--preheat_kernel`` Voila starts a lesson's kernel and runs its notebook
before anyone asks for the page, so the app is built with no query string;
the request (its query string, its address) reaches the kernel only through
``voila.utils.wait_for_request()``, which blocks until a student's page takes
the kernel. Elsewhere (Voila without preheating, JupyterLab, nbclient) there is
nothing to wait for: the app read the query string when it was built.
"""

from __future__ import annotations

import os
from urllib.parse import urlunsplit

__all__ = ["preheated", "wait_for_page", "page_url_from"]


def preheated(environ=None) -> bool:
    """Whether this kernel was started ahead of its page by Voila's preheating."""
    environ = os.environ if environ is None else environ
    return environ.get("VOILA_PREHEAT", "False") == "True"


def page_url_from(environ) -> str:
    """The page's address from the request Voila handed over (``""`` if not known).

    Under preheating ``VOILA_REQUEST_URL`` is not this page's (Voila gives it to
    the kernel that replaces this one), so the address is rebuilt from the
    request's host, port and path (CGI's ``SERVER_NAME``, ``SERVER_PORT``,
    ``SCRIPT_NAME``); the scheme is http unless the server's address says https.
    """
    host, path = environ.get("SERVER_NAME", ""), environ.get("SCRIPT_NAME", "")
    if not host or not path:
        return ""
    port = environ.get("SERVER_PORT", "")
    scheme = "https" if environ.get("VOILA_REQUEST_URL", "").startswith("https:") else "http"
    netloc = f"{host}:{port}" if port and (scheme, port) not in (("http", "80"),
                                                                  ("https", "443")) else host
    return urlunsplit((scheme, netloc, path, "", ""))


def wait_for_page():
    """Block until this preheated kernel's page is asked for; return ``(query, page_url)``.

    Returns None at once when the kernel was not preheated (or Voila is not
    installed): the query string was already there when the app was built.
    """
    if not preheated():
        return None
    try:
        from voila.utils import wait_for_request
    except ImportError:
        return None
    wait_for_request()
    return os.environ.get("QUERY_STRING", ""), page_url_from(os.environ)
