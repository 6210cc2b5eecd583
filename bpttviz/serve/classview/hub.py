"""The class view as a JupyterHub service: the lecturer logs in through the hub, a kernel shows
its user's own hub token.

The hub's handlers are the class view's own with JupyterHub's ``HubOAuthenticated`` mixed in
first (it gives ``current_user`` and the login URL), as JupyterHub services write theirs.
The only module of the class view that imports JupyterHub.
"""

from __future__ import annotations

import secrets

import tornado.web
from jupyterhub.services.auth import HubOAuthCallbackHandler, HubOAuthenticated

from ...class_protocol import ROUTE
from .handlers import (AnswerHandler, CsvHandler, ExperimentHandler, FileHandler, GuideHandler,
                       Handlers, LessonsHandler, PageHandler, ResultHandler, StateHandler,
                       SummaryHandler, TeachingHandler, routes)
from .view import ClassView

__all__ = ["HubClassView", "HubHandler", "HUB_HANDLERS"]


class HubHandler(HubOAuthenticated):
    """Mixed in before a class view handler: the hub's login, with the view's ``hub_auth``."""

    def initialize(self, view):
        super().initialize(view)
        self.hub_auth = view.hub_auth

    def page_xsrf(self) -> str:
        # A page logged in through JupyterHub sends the hub's XSRF token with its requests.
        return self.xsrf_token.decode()


class HubPageHandler(HubHandler, PageHandler):
    pass


class HubFileHandler(HubHandler, FileHandler):
    pass


class HubSummaryHandler(HubHandler, SummaryHandler):
    pass


class HubCsvHandler(HubHandler, CsvHandler):
    pass


class HubLessonsHandler(HubHandler, LessonsHandler):
    pass


class HubGuideHandler(HubHandler, GuideHandler):
    pass


class HubAnswerHandler(HubHandler, AnswerHandler):
    pass


class HubStateHandler(HubHandler, StateHandler):
    pass


class HubTeachingHandler(HubHandler, TeachingHandler):
    pass


class HubExperimentHandler(HubHandler, ExperimentHandler):
    pass


class HubResultHandler(HubHandler, ResultHandler):
    pass


HUB_HANDLERS = Handlers(HubPageHandler, HubFileHandler, HubSummaryHandler, HubCsvHandler,
                        HubLessonsHandler, HubGuideHandler, HubAnswerHandler, HubStateHandler,
                        HubTeachingHandler, HubExperimentHandler, HubResultHandler)


class HubClassView(ClassView):
    """The class view as a JupyterHub service: the lecturer logs in through the hub (OAuth;
    users with the scope ``access:services!service=<name>``: the teacher's role, admins), and
    a kernel shows its user's own hub token (``JUPYTERHUB_API_TOKEN``), which the hub
    identifies."""

    refusal = ("log in through JupyterHub as the class's teacher or an admin (or send a hub "
               "token of theirs: Authorization: token TOKEN).")

    def __init__(self, store, hub_auth):
        super().__init__(store)
        self.hub_auth = hub_auth

    def lecturer_allowed(self, handler) -> bool:
        return handler.current_user is not None

    def login_first(self, handler) -> bool:
        if handler.current_user is None and handler.hub_auth.get_user(handler) is None:
            handler.redirect(handler.get_login_url())
            return True
        return False

    async def kernel_allowed(self, handler) -> bool:
        token = self._credential(handler, "token")
        if not token:
            return False
        model = await self.hub_auth.user_for_token(token, sync=False)
        return bool(model) and model.get("kind", "user") == "user"

    def handlers(self, prefix="") -> list:
        return routes(self, prefix, HUB_HANDLERS)

    def standalone(self, prefix="") -> tuple:
        """The routes, with the hub's OAuth callback and the service's root sent to the page;
        a cookie secret for the login's state."""
        root = prefix.rstrip("/")
        oauth = [(root + "/oauth_callback", HubOAuthCallbackHandler),
                 (root + "/?", tornado.web.RedirectHandler, {"url": root + ROUTE})]
        return self.handlers(prefix) + oauth, {"cookie_secret": secrets.token_bytes(32)}
