"""Voila's settings for every server of the lessons, written once.

``bpttviz slides`` runs Voila on its own (:func:`voila_argv`); each JupyterHub
user's Jupyter server runs it as a server extension (:mod:`bpttviz.hub`). Both get
:func:`voila_settings`: sources stripped and tracebacks hidden; idle kernels culled,
since a closed tab does not end its kernel (voila#1458) and the culler is what frees
it; and the notebook executor's waits raised, so that a busy server is slow rather
than broken. Both also leave out the lab extensions no page uses (:data:`UNUSED_EXTENSIONS`;
``bpttviz slides`` in :func:`voila_config`). (``bpttviz serve`` runs no Voila:
:mod:`bpttviz.serve.hall`.)

Pages are served with bpttviz's page template :data:`TEMPLATE` (found in
:func:`template_root`), which extends Voila's ``lab`` with a watchdog on lesson
pages (notebooks whose metadata has ``"bpttviz": {"app": true}``): if the app has
not appeared some seconds after the page loaded, or a cell failed, or the app's
cell came back without output, the page says so in words and offers a Retry button.
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["CULL_INTERVAL", "CULL_IDLE_TIMEOUT", "EXECUTOR_TIMEOUTS", "UNUSED_EXTENSIONS",
           "TEMPLATE", "template_root", "voila_settings", "voila_argv", "voila_config"]

#: Check for idle kernels every half minute; end those idle for two minutes with no tab
#: connected, so a closed tab's kernel ends within three minutes.
CULL_INTERVAL = 30
CULL_IDLE_TIMEOUT = 120
#: Waits of Voila's notebook executor (nbclient), in seconds. nbclient's default wait for a
#: cell's output after its reply is 4 s: on a server busy starting a class's kernels it runs
#: out, and the page comes without its app. A cell's own run is not limited (``timeout``
#: stays None): on a loaded server a lesson's first computation may take long.
EXECUTOR_TIMEOUTS = {"iopub_timeout": 120, "startup_timeout": 180}
#: Lab extensions installed beside Voila that no lesson page uses, left out of the pages (each
#: costs a page its requests): jupyterlab_pygments colours code, and the pages show none
#: (sources stripped, no code in the narrative); jupyter-vue and jupyter-vuetify are the
#: lecture hall's front end (ipyvue and ipyvuetify, for Solara), and a Voila page has no Vue
#: widget. jupyter-vuetify 3 also asks for JupyterLab 4.6's @jupyterlab/apputils (^4.7.3), newer
#: than the 4.3.5 Voila 0.5 carries: loaded, it warns "Unsatisfied version" in a page's console.
UNUSED_EXTENSIONS = ("jupyterlab_pygments", "jupyter-vue", "jupyter-vuetify")
#: The page template shipped with bpttviz (``share/voila/templates/bpttviz``).
TEMPLATE = "bpttviz"


def template_root() -> Path:
    """The Jupyter data folder holding the ``bpttviz`` Voila template (put it on JUPYTER_PATH)."""
    return Path(__file__).resolve().parent / "share"


def voila_settings(*, extension: bool = False) -> list:
    """Voila's settings for every server of the lessons, as command-line arguments.

    For the standalone Voila, which takes its own settings by their short names
    (``--strip_sources=True``); with ``extension``, for a Jupyter server that runs Voila
    as a server extension (``--VoilaConfiguration.strip_sources=True``).
    """
    voila = "VoilaConfiguration." if extension else ""
    return [
        f"--{voila}strip_sources=True",
        f"--{voila}show_tracebacks=False",
        f"--MappingKernelManager.cull_interval={CULL_INTERVAL}",
        f"--MappingKernelManager.cull_idle_timeout={CULL_IDLE_TIMEOUT}",
        "--MappingKernelManager.cull_connected=False",
    ] + [f"--VoilaExecutor.{k}={v}" for k, v in EXECUTOR_TIMEOUTS.items()]


def voila_argv(notebooks, host="127.0.0.1", port=8866, open_browser=False, extra=()) -> list:
    """Voila's command-line arguments for serving the lessons in ``notebooks``.

    ``extra`` are more Voila arguments, last.
    """
    argv = [
        str(notebooks),
        f"--Voila.ip={host}",
        f"--port={int(port)}",
        "--Voila.port_retries=0",            # a busy port is an error, not a silent move
        *voila_settings(),
        f"--template={TEMPLATE}",
    ]
    if os.name == "posix":
        # Kernels talk over Unix sockets, not TCP ports: kernels started at once can draw
        # the same free port, and the one that loses it dies with its page.
        argv.append("--KernelManager.transport=ipc")
    # A kernel that died (killed, out of memory) is removed, not restarted: a restarted kernel
    # has none of its page's widgets, and the page says it stopped and offers Retry. (Not in
    # voila_settings: a hub user's server also runs JupyterLab, whose kernels restart.)
    argv.append("--KernelRestarter.restart_limit=0")
    if not open_browser:
        argv.append("--no-browser")
    return argv + list(extra)


def voila_config():
    """Voila's configuration that its command line cannot carry, a ``traitlets.config.Config``
    to give the application beside :func:`voila_argv`: the lab extensions no page uses
    (:data:`UNUSED_EXTENSIONS`) left out."""
    from traitlets.config import Config

    config = Config()
    # A list as configuration, not on the command line: there traitlets takes a list only as
    # repeated items, and a Jupyter server (JupyterHub's) passes Voila's settings on as
    # strings that fail to validate as a list, and every page with them.
    config.VoilaConfiguration.extension_denylist = list(UNUSED_EXTENSIONS)
    return config
