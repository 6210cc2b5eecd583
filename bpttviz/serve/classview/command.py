"""``python -m bpttviz.serve.classview``: the class view on its own, beside servers of the
lessons whose kernels report to it; with ``--hub``, as a JupyterHub service
(:func:`bpttviz.hub.configure_class` starts it so)."""

from __future__ import annotations

import argparse
import asyncio
import os
import secrets
from pathlib import Path

from ...class_protocol import ROUTE, SECRET_ENV
from ..notebooks import lessons_dir, page_names
from .options import TOKEN_ENV, class_url, default_state_dir, new_token, start_note
from .store import ClassStore, class_lessons
from .view import ClassView

__all__ = ["main"]


def main(argv=None) -> int:
    """``python -m bpttviz.serve.classview``: the class view on its own (see :mod:`bpttviz.hub`)."""
    parser = argparse.ArgumentParser(prog="python -m bpttviz.serve.classview",
                                     description="The class view on its own, beside servers "
                                                 "of the lessons whose kernels report to it.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8867)
    parser.add_argument("--notebooks", default=None, help="the lessons' folder (its names)")
    parser.add_argument("--state-dir", default=None)
    parser.add_argument("--new-class", action="store_true",
                        help="start a new class: the pace and reveals cleared (answers kept)")
    parser.add_argument("--prefix", default="", help="a path the routes are under")
    parser.add_argument("--hub", action="store_true",
                        help="run as a JupyterHub service: address, prefix and authentication "
                             "from the hub's JUPYTERHUB_* variables")
    args = parser.parse_args(argv)
    lessons = class_lessons(page_names(args.notebooks or lessons_dir()))
    state = Path(args.state_dir) if args.state_dir else default_state_dir()

    async def run():
        from .handlers import make_app      # tornado, imported once the server starts

        store = ClassStore(state / "class.sqlite", lessons)
        kept = store.kept()
        cleared = args.new_class and (kept["pace"] or kept["revealed"])
        if args.new_class:
            store.new_class()
        print(start_note(store.kept(), "new" if cleared else
                         "expired" if store.expired_at_start else None), flush=True)
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
