"""The lecture hall: every student's page in one server process, a few processes behind one address.

``bpttviz serve`` runs :func:`serve_hall`: a Starlette application (:mod:`.web`) under
uvicorn, in which Solara keeps each page's widgets in the process itself (one "virtual
kernel" per page, no kernel process per student). A page costs the server its lesson's
app (built and computed once, about a megabyte kept) instead of a Python process of its
own, so one small machine holds a lecture hall.
"""

from __future__ import annotations

import gc
import os
from pathlib import Path

__all__ = ["serve_hall", "solara_environment", "quiet_collector", "SESSION_KEEP", "PAGES_ENV",
           "YOUNG_OBJECTS"]

#: How long a page's session is kept after its websocket closed, for a page that
#: reconnects (a network blip, a laptop waking up); a closed tab frees its memory then.
SESSION_KEEP = "60s"
#: How many new objects the cyclic collector lets pile up before it looks at them (Python's
#: default: 700). Each look at the young ones also counts towards a look at every object.
YOUNG_OBJECTS = 20_000
#: The folder of the notebooks served (their narratives), for the pages' module.
PAGES_ENV = "BPTTVIZ_HALL_NOTEBOOKS"


def solara_environment(notebooks) -> dict:
    """The environment Solara reads when it is imported (so: before anything imports it):
    this app, production mode, the front end from the installed assets (no other host), no
    badge, no telemetry."""
    return {"SOLARA_APP": "bpttviz.serve.hall.pages", "SOLARA_MODE": "production",
            "SOLARA_THEME_SHOW_BANNER": "False", "SOLARA_THEME_LOADER": "plain",
            "SOLARA_THEME_TITLE": "bpttviz", "SOLARA_TELEMETRY_MIXPANEL_ENABLE": "False",
            "SOLARA_ASSETS_PROXY": "True", "SOLARA_KERNEL_CULL_TIMEOUT": SESSION_KEEP,
            "SOLARA_CHECK_HOOKS": "off", PAGES_ENV: str(Path(notebooks).resolve()),
            # A page shows each widget once: ipywidgets' echo of every change back to the
            # page would be one more message per slider move, to no one.
            "JUPYTER_WIDGETS_ECHO": "0"}


def quiet_collector():
    """Keep Python's cyclic garbage collector from stopping every page at once.

    A full collection walks every object of the process with the GIL held: with 60 pages open
    it stopped every student's slider for about 0.2 s, every two seconds while a class arrived
    (each page built makes the objects that count towards the next one). What the server
    built before its first page (the modules, the lessons prepared) lives as long as the
    process: it is frozen out of the collector's walks (:func:`gc.freeze`). The young
    generation is looked at every :data:`YOUNG_OBJECTS` new objects instead of 700, so the
    older generations are collected far less often; garbage in cycles is still collected.
    (A page opened before the server said it was ready is frozen with the rest: what it
    leaves in cycles when it closes stays; a class arrives after.)
    """
    gc.collect()
    gc.freeze()
    gc.set_threshold(YOUNG_OBJECTS, *gc.get_threshold()[1:])


def serve_hall(notebooks, *, host="127.0.0.1", port=8866, max_students=None, class_view=None,
               students=None, lessons=None, log_level="warning") -> None:
    """Serve the lessons in the folder ``notebooks`` until stopped (one process).

    ``class_view``: a :class:`~bpttviz.serve.classview.ClassView` served beside the lessons.
    With ``students``, the lessons named in ``lessons`` (page names; None: all) are
    computed before the server says it is "ready for N students".
    """
    os.environ.update(solara_environment(notebooks))
    import warnings

    import uvicorn

    # Solara says once that a cookie cannot be cross-site on plain http: nothing a lecturer
    # acts on (the pages are not embedded in other sites' frames).
    warnings.filterwarnings("ignore", message="Cookies with samesite=none require https")

    from ...lessons import lesson_of_page
    from .web import make_app

    def ready():
        from .pages import prepare

        if students:
            import time

            names = lessons or [p.stem for p in Path(notebooks).glob("*.ipynb")]
            slugs = [cls.slug for cls in map(lesson_of_page, names) if cls is not None]
            start = time.perf_counter()
            prepare(slugs)
            took = time.perf_counter() - start
            print(f"ready for {students} student{'s' if students != 1 else ''} "
                  f"({len(slugs)} lesson"
                  f"{'s' if len(slugs) != 1 else ''} prepared in {took:.1f} s)", flush=True)
        quiet_collector()

    app = make_app(Path(notebooks), max_students, class_view, on_start=ready)
    config = uvicorn.Config(app, host=host, port=int(port), log_level=log_level,
                            ws_max_size=64 * 2**20, lifespan="on",
                            # On a lecture hall's network, compressing every widget message costs
                            # the server more than the bytes it saves.
                            ws_per_message_deflate=False)
    uvicorn.Server(config).run()
