"""The lessons on JupyterHub: every user lands on the Voila view of a lesson.

JupyterHub starts one Jupyter server per user (its "single-user server") behind
its proxy; Voila runs inside each of them as a server extension, so a lesson
is at ``/user/<name>/voila/render/<lesson>.ipynb``. :func:`configure` sets a
hub's configuration object so that a user who logs in lands there; ``bpttviz
hub-config`` writes a ``jupyterhub_config.py`` that calls it::

    bpttviz hub-config --try-locally > jupyterhub_config.py
    jupyterhub -f jupyterhub_config.py

With ``bpttviz hub-config --class --teacher NAME`` the hub also runs the class view
(:mod:`bpttviz.serve.classview`) as a hub-managed service, :func:`configure_class`: the
teacher (or a hub admin) opens it at ``/services/bpttviz-class/``, logged in by the hub,
and every user's lesson kernels report to it with their user's own hub token.

See docs/jupyterhub.md for what was tested and what a larger deployment needs.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

from .class_protocol import KERNEL_ROUTE, URL_ENV
from .serve import LANDING, UNUSED_EXTENSIONS, lessons_dir, page_names, voila_settings

__all__ = ["LANDING", "CLASS_SERVICE", "landing_url", "singleuser_args", "configure",
           "configure_class", "hub_config_text"]

#: The name of the class view's service: its address is ``/services/<name>/``.
CLASS_SERVICE = "bpttviz-class"
#: A JupyterHub user name as ``--teacher`` takes it (no spaces, quotes or slashes).
_USER_NAME = re.compile(r"[\w.@+-]{1,100}\Z")


def landing_url(lesson: str = LANDING) -> str:
    """The single-user server's URL (after ``/user/<name>``) of ``lesson`` in Voila.

    Raises ``ValueError`` naming the lessons there are when ``lesson`` is not one of them.
    """
    names = page_names()
    stem = lesson[:-len(".ipynb")] if lesson.endswith(".ipynb") else lesson
    if stem not in names:
        raise ValueError(f"The 'lesson' users land on must be one of {', '.join(names)}. "
                         f"Got {lesson!r} instead.")
    return f"/voila/render/{stem}.ipynb"


def singleuser_args() -> list:
    """Arguments for each user's Jupyter server: Voila enabled and set as ``bpttviz serve`` sets it.

    Voila's server extension is enabled explicitly (pip enables it when Voila is installed,
    but an image or environment built otherwise may not); then the settings of every
    server of the lessons (:func:`bpttviz.serve.voila_settings`), and the lab extensions
    no lesson page uses left out of Voila's pages as ``bpttviz slides`` leaves them out
    (:data:`bpttviz.serve.UNUSED_EXTENSIONS`; the user's JupyterLab still loads them).
    """
    # The list as one Python literal: the Jupyter server reads a setting of Voila's before
    # Voila is loaded, as a string, which Voila turns into a list only if it reads as one (a
    # bare name leaves the setting unset).
    unused = repr(list(UNUSED_EXTENSIONS))
    return (["--ServerApp.jpserver_extensions=voila.server_extension=True"]
            + voila_settings(extension=True)
            + [f"--VoilaConfiguration.extension_denylist={unused}"])


def configure(c, *, lesson: str = LANDING, notebooks=None):
    """Set JupyterHub's config ``c`` so that users land on ``lesson`` in Voila.

    Parameters
    ----------
    c : traitlets.config.Config
        The object ``get_config()`` returns in a ``jupyterhub_config.py``.
    lesson : str
        The lesson users land on, a notebook stem such as ``"02_vanishing_exploding"``;
        default the landing page ``"index"``, which links every lesson.
    notebooks : str or None
        The folder each user's server serves, as JupyterHub's ``Spawner.notebook_dir`` (``~``
        and ``{username}`` are expanded per user), holding copies of the lessons (``bpttviz
        lessons DIR``); default the lessons installed with bpttviz, read by every user.

    Returns
    -------
    c : traitlets.config.Config
        The same object, for chaining. Spawner and authenticator are left to the caller:
        they are what differs between one machine and a cluster.
    """
    c.Spawner.default_url = landing_url(lesson)
    c.Spawner.notebook_dir = str(lessons_dir() if notebooks is None else notebooks)
    args = list(c.Spawner.args) if "args" in c.Spawner else []
    c.Spawner.args = args + [a for a in singleuser_args() if a not in args]
    return c


def configure_class(c, *, teachers, hub_url, port=8867, state_dir=None, notebooks=None):
    """Add the class view to JupyterHub's config ``c`` as a hub-managed service.

    Parameters
    ----------
    c : traitlets.config.Config
    teachers : sequence of str
        The users who may open it (with hub admins): they get a role with the scope
        ``access:services!service=bpttviz-class``.
    hub_url : str
        The hub's public address as the users' kernels reach it, e.g.
        ``"http://127.0.0.1:8000"``: they report through the hub's proxy.
    port : int
        The port of the service on 127.0.0.1 (the proxy forwards to it).
    state_dir, notebooks : str or None
        The service's ``--state-dir`` and ``--notebooks`` (defaults as ``bpttviz serve``'s).

    Returns
    -------
    c : traitlets.config.Config
    """
    teachers = _checked_teachers(teachers)
    command = [sys.executable, "-m", "bpttviz.serve.classview", "--hub"]
    if state_dir:
        command += ["--state-dir", str(state_dir)]
    if notebooks:
        command += ["--notebooks", str(notebooks)]
    services = list(c.JupyterHub.services) if "services" in c.JupyterHub else []
    services.append({"name": CLASS_SERVICE, "url": f"http://127.0.0.1:{int(port)}",
                     "command": command, "oauth_no_confirm": True, "display": True})
    c.JupyterHub.services = services
    roles = list(c.JupyterHub.load_roles) if "load_roles" in c.JupyterHub else []
    roles.append({"name": f"{CLASS_SERVICE}-teacher", "users": teachers,
                  "scopes": [f"access:services!service={CLASS_SERVICE}"]})
    c.JupyterHub.load_roles = roles
    env = dict(c.Spawner.environment) if "environment" in c.Spawner else {}
    env[URL_ENV] = f"{hub_url.rstrip('/')}/services/{CLASS_SERVICE}{KERNEL_ROUTE}"
    c.Spawner.environment = env
    return c


_HEADER = '''\
"""JupyterHub configuration: every user lands on the bpttviz lessons in Voila.

Written by `bpttviz hub-config`. Run with:  jupyterhub -f {filename}
See docs/jupyterhub.md in the bpttviz repository.
"""
import os
import sys

from bpttviz.hub import configure

c = get_config()  # noqa: F821 (JupyterHub's configuration loader provides get_config)

configure(c, lesson={lesson!r})
# Users' servers start with the Python that runs the hub, where bpttviz is installed.
c.Spawner.cmd = [sys.executable, "-m", "jupyterhub.singleuser"]
'''

_SYSTEM_USERS = '''
# Who may log in, and how their servers start, depends on the site. With these lines
# unchanged, JupyterHub's defaults apply: system accounts and passwords (PAM), one
# server per account started as that account on this machine. Name who is allowed:
# c.Authenticator.allowed_users = {{"ada", "alan"}}   # or c.Authenticator.allow_all = True
c.JupyterHub.bind_url = "http://{host}:{port}"
'''

_TRY_LOCALLY = '''
# Trying it on one machine. INSECURE: any user name logs in with any password, and
# every user's server runs as the account that runs the hub, in /tmp/<name>.
c.JupyterHub.bind_url = "http://{host}:{port}"
c.JupyterHub.authenticator_class = "dummy"
c.JupyterHub.spawner_class = "simple"
if os.geteuid() == 0:   # a Jupyter server refuses to run as root unless told
    c.Spawner.args = list(c.Spawner.args) + ["--ServerApp.allow_root=True"]
'''


_CLASS = '''
# The class view (bpttviz hub-config --class): {names} (and hub admins) open it at
# http://{host}:{port}/services/{service}/ ; users' lesson kernels report their answers to it.
from bpttviz.hub import configure_class

configure_class(c, teachers={teachers!r}, hub_url="http://{reach}:{port}")
'''


def hub_config_text(*, lesson: str = LANDING, try_locally: bool = False, host: str = "127.0.0.1",
                    port: int = 8000, filename: str = "jupyterhub_config.py",
                    teachers=()) -> str:
    """The text of a ``jupyterhub_config.py`` whose users land on ``lesson`` in Voila.

    With ``try_locally`` the hub lets any user name in with any password
    (JupyterHub's ``DummyAuthenticator``) and starts their servers as the hub's
    own account (``SimpleLocalProcessSpawner``): for trying on one machine only.
    Otherwise it keeps JupyterHub's defaults (system accounts, PAM). With ``teachers`` (user
    names) the hub also runs the class view for them (:func:`configure_class`).
    """
    landing_url(lesson)                                        # a bad name fails here
    if not 0 < int(port) < 65536:
        raise ValueError(f"The 'port' of the hub must be an int in the range [1, 65535]. "
                         f"Got {port!r} instead.")
    text = _HEADER.format(filename=filename, lesson=Path(lesson).stem)
    part = _TRY_LOCALLY if try_locally else _SYSTEM_USERS
    text += part.format(host=host, port=int(port))
    if teachers:
        teachers = _checked_teachers(teachers)
        reach = "127.0.0.1" if host in ("0.0.0.0", "::", "") else host
        text += _CLASS.format(teachers=teachers, names=", ".join(teachers), host=host, port=int(port), reach=reach,
                              service=CLASS_SERVICE)
    return text


def _checked_teachers(teachers) -> list:
    """``teachers`` as a list of hub user names; ``ValueError`` saying which is not one."""
    teachers = [teachers] if isinstance(teachers, str) else list(teachers)
    bad = [t for t in teachers if not _USER_NAME.match(t)]
    if not teachers or bad:
        raise ValueError(f"The 'teacher' of the class view must be a hub user name (letters, "
                         f"digits, . _ @ + -). Got {bad or teachers!r} instead.")
    return teachers
