"""Serving the lessons: the layer between the lessons' pages and the command line.

- :mod:`~bpttviz.serve.notebooks`: where the lesson notebooks are and their names;
- :mod:`~bpttviz.serve.hall`: the lecture hall, ``bpttviz serve``: every student's page in
  the server's process (Solara), several processes behind nginx (``--workers``), the
  "class is full" page, how many students fit (:mod:`~bpttviz.serve.hall.capacity`);
- :mod:`~bpttviz.serve.server`: one server of the lessons in this process, and Voila for
  the slides;
- :mod:`~bpttviz.serve.settings`: Voila's settings for the servers that still run it
  (``bpttviz slides``, each JupyterHub user's server), and its page template;
- :mod:`~bpttviz.serve.slides`: the lecture deck cut from the lessons (reveal.js);
- :mod:`~bpttviz.serve.classview`: the class view (``--class``): the class's answers to the
  guided steps for the lecturer, pacing and reveal;
- :mod:`~bpttviz.serve.process`: a server in a child process, ended with its children
  (the browser tests and the benchmarks start theirs with :func:`served`).

Nothing here imports Voila or Solara until a server starts.
"""

from .hall.capacity import (PAGE_MB, SERVER_MB, available_memory_mb, capacity_note, class_size,
                            default_max_students, parse_lessons)
from .notebooks import LANDING, copy_lessons, lesson_names, lessons_dir, page_names
from .process import Server, ServerFailed, free_port, free_ports, running, served
from .server import launch_voila, port_problem, serve_lessons
from .settings import (CULL_IDLE_TIMEOUT, CULL_INTERVAL, EXECUTOR_TIMEOUTS, TEMPLATE,
                       UNUSED_EXTENSIONS, template_root, voila_argv, voila_config,
                       voila_settings)
from .slides import build_decks, serve_slides, slides_argv, slides_config

__all__ = [
    "LANDING", "lessons_dir", "page_names", "lesson_names", "copy_lessons",
    "CULL_INTERVAL", "CULL_IDLE_TIMEOUT", "EXECUTOR_TIMEOUTS", "TEMPLATE", "template_root",
    "UNUSED_EXTENSIONS",
    "voila_settings", "voila_argv", "voila_config",
    "parse_lessons", "class_size", "capacity_note", "available_memory_mb",
    "default_max_students", "PAGE_MB", "SERVER_MB",
    "port_problem", "serve_lessons", "launch_voila",
    "build_decks", "slides_argv", "slides_config", "serve_slides",
    "served", "running", "free_port", "free_ports", "Server", "ServerFailed",
]
