"""Serving the lessons with Voila: the layer between the lessons' apps and the command line.

- :mod:`~bpttviz.serve.notebooks`: where the lesson notebooks are and their names;
- :mod:`~bpttviz.serve.settings`: Voila's settings for every server of the lessons,
  written once (the standalone ``bpttviz serve`` and ``bpttviz slides``, and each
  JupyterHub user's server), and the page template;
- :mod:`~bpttviz.serve.pools`: how many kernels a class keeps warm and holds, idle kernels
  culled;
- :mod:`~bpttviz.serve.warm`: the warm kernels, handed to any lesson's page, and the
  "class is full" page;
- :mod:`~bpttviz.serve.server`: one Voila server of the lessons in this process;
- :mod:`~bpttviz.serve.static`: the files a page fetches, compressed and cached as
  their URLs allow;
- :mod:`~bpttviz.serve.slides`: the lecture deck cut from the lessons (reveal.js);
- :mod:`~bpttviz.serve.classview`: the class view (``--class``): the class's answers to the
  guided steps for the lecturer, pacing and reveal;
- :mod:`~bpttviz.serve.process`: a server in a child process, ended with its kernels
  (the browser tests and the benchmarks start theirs with :func:`served`).

Nothing here imports Voila until a server starts.
"""

from .notebooks import LANDING, copy_lessons, lesson_names, lessons_dir, page_names
from .pools import (KERNEL_MB, KERNEL_WAITING_MB, REFILL_HEAT_S, REFILL_INTERVAL_S,
                    REFILL_MAX_BUSY, REFILL_QUIET_S, SERVER_MB, ConcurrentCulling,
                    available_memory_mb, class_size, cpu_busy_sampler, default_max_students,
                    parse_lessons, pool_memory_note, refill_decision)
from .process import Server, ServerFailed, free_port, running, served
from .server import launch_voila, port_problem, serve_lessons
from .settings import (CULL_IDLE_TIMEOUT, CULL_INTERVAL, EXECUTOR_TIMEOUTS, TEMPLATE,
                       template_root, voila_argv, voila_config, voila_settings)
from .slides import build_decks, serve_slides, slides_argv, slides_config
from .warm import install_kernel_managers

__all__ = [
    "LANDING", "lessons_dir", "page_names", "lesson_names", "copy_lessons",
    "CULL_INTERVAL", "CULL_IDLE_TIMEOUT", "EXECUTOR_TIMEOUTS", "TEMPLATE", "template_root",
    "voila_settings", "voila_argv", "voila_config",
    "parse_lessons", "class_size", "pool_memory_note", "available_memory_mb",
    "default_max_students", "refill_decision", "cpu_busy_sampler", "install_kernel_managers",
    "ConcurrentCulling", "KERNEL_MB", "KERNEL_WAITING_MB", "SERVER_MB", "REFILL_QUIET_S",
    "REFILL_MAX_BUSY", "REFILL_INTERVAL_S", "REFILL_HEAT_S",
    "port_problem", "serve_lessons", "launch_voila",
    "build_decks", "slides_argv", "slides_config", "serve_slides",
    "served", "running", "free_port", "Server", "ServerFailed",
]
