"""A lecture deck from the lessons: each lesson's narrative as slides, its app live on a slide.

:func:`build_decks` writes one deck notebook per lesson (and one for the
landing page) into a folder; ``bpttviz slides`` serves that folder with
Voila's reveal.js template (``--template=reveal``). The lessons stay as they
are: the slides are cut from them by :func:`deck_cells`, so a lesson edited
or added becomes slides without marking its cells. A cell that already
carries ``slideshow.slide_type`` metadata keeps it.

Rules: a markdown cell starts a new slide at each heading and when a slide
grows past :data:`MAX_LINES` lines (at a paragraph break, never inside a
display formula or a list); a code cell that only sets up (``%matplotlib``,
imports, assignments) is run but not shown; a code cell that shows something
(the lesson's app) gets a slide of its own.

The folder also gets reveal.js's style sheets (:data:`ASSETS`, shipped in
``bpttviz/serve/reveal``), which nbconvert's template would fetch from a CDN:
the deck works without a network.

Cutting the decks needs the standard library only; serving them
(:func:`serve_slides`) needs Voila.
"""

from __future__ import annotations

import copy
import json
import re
import shutil
import tempfile
from pathlib import Path

from .server import launch_voila
from .settings import voila_argv, voila_config

__all__ = ["deck_cells", "build_decks", "slides_argv", "slides_config", "serve_slides",
           "MAX_LINES", "DECK_WIDTH", "DECK_HEIGHT", "ASSETS", "THEME", "KEEP_KEYS_SCRIPT"]

#: Lines of markdown on one slide before the rest goes to the next.
MAX_LINES = 14
#: The slide size reveal.js scales to the screen: a lesson's app (controls and two figures a
#: row) fits it, and 16:10 fills a projector.
DECK_WIDTH, DECK_HEIGHT = 1280, 800

#: The folder of the decks' reveal.js style sheets, beside the decks; and the theme used.
ASSETS, THEME = "_reveal", "bpttviz"

_HEADING = re.compile(r"^#{1,6}\s")

#: Keys a focused control of a lesson uses stay with it: reveal.js listens on the document and
#: would also turn the slide (an arrow key moving a slider would move the deck on too). Stopped
#: on the way up at <body>, after the control has had them and before reveal.js sees them.
#: It also stands in for MathJax 2's ``Hub``, which Voila's reveal.js set-up calls on every
#: change of slide (the page's formulas are typeset by JupyterLab's MathJax 3, which has none).
KEEP_KEYS_SCRIPT = """<script>
if (!window.MathJax) {
  window.MathJax = {Hub: {getAllJax: () => null, Rerender: () => null}};
}
document.body.addEventListener('keydown', (event) => {
  const keys = ['ArrowLeft', 'ArrowRight', 'ArrowUp', 'ArrowDown', 'Home', 'End', 'PageUp',
                'PageDown', ' '];
  const t = event.target;
  if (keys.includes(event.key) && t.closest && t.closest('.bpttviz-app')
      && t.matches('[role=slider], input, select, textarea, button')) {
    event.stopPropagation();
  }
});
</script>"""


def _slide(cell_type, source, slide_type):
    """A cell of the deck with its reveal.js slide type."""
    cell = {"cell_type": cell_type, "metadata": {"slideshow": {"slide_type": slide_type}},
            "source": source}
    if cell_type == "code":
        cell.update(execution_count=None, outputs=[])
    return cell


def _blocks(text):
    """Paragraph-level blocks of markdown: display maths, lists and tables kept whole."""
    blocks, current, in_math = [], [], False
    for line in text.split("\n"):
        if line.strip().startswith("$$") and line.strip().count("$$") % 2 == 1:
            in_math = not in_math
        if not line.strip() and not in_math:
            if current:
                blocks.append(current)
                current = []
            continue
        if _HEADING.match(line) and current and not in_math:
            blocks.append(current)
            current = []
        current.append(line)
    if current:
        blocks.append(current)
    return blocks


def _markdown_slides(text):
    """The slides of one markdown cell's text, as lists of lines."""
    slides, current = [], []
    for block in _blocks(text):
        starts = bool(_HEADING.match(block[0]))
        if current and (starts or len(current) + len(block) > MAX_LINES):
            slides.append(current)
            current = []
        current += ([""] if current else []) + block
    if current:
        slides.append(current)
    return slides


def _shows_something(source):
    """Whether a code cell displays a value: its last line is an expression, not set-up."""
    lines = [ln for ln in source.split("\n") if ln.strip() and not ln.lstrip().startswith("#")]
    if not lines:
        return False
    last = lines[-1].strip()
    if last.startswith(("%", "!", "import ", "from ")):
        return False
    return not re.match(r"^[A-Za-z_][\w.\[\], ]*\s*[-+*/]?=(?!=)", last)


def deck_cells(nb: dict) -> list:
    """The cells of a deck cut from the notebook ``nb`` (nbformat 4 as a dict).

    Returns a list of new cells, each with ``metadata.slideshow.slide_type``
    ("slide", "skip"); ``nb`` is not changed.
    """
    cells = []
    for cell in nb["cells"]:
        source = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
        marked = cell.get("metadata", {}).get("slideshow", {}).get("slide_type")
        if marked:                                     # the author's choice wins
            kept = copy.deepcopy(cell)
            if kept["cell_type"] == "code":
                kept.update(execution_count=None, outputs=[])
            cells.append(kept)
        elif cell["cell_type"] == "markdown":
            cells += [_slide("markdown", "\n".join(lines), "slide")
                      for lines in _markdown_slides(source)]
        elif cell["cell_type"] == "code":
            cells.append(_slide("code", source, "slide" if _shows_something(source) else "skip"))
        else:
            cells.append(_slide(cell["cell_type"], source, "skip"))
    # On the first slide, where it shows nothing.
    cells.insert(1, _slide("markdown", KEEP_KEYS_SCRIPT, "-"))
    return cells


def build_decks(lessons, dest) -> list:
    """Write a deck of every notebook in the folder ``lessons`` into ``dest``; return the decks.

    A deck keeps its lesson's file name, so the landing page's links lead
    from deck to deck. reveal.js's style sheets go to ``dest/_reveal``.
    """
    lessons, dest = Path(lessons), Path(dest)
    sources = sorted(lessons.glob("*.ipynb"))
    if not sources:
        raise FileNotFoundError(f"The 'lessons' folder of build_decks must hold .ipynb files. "
                                f"Got {lessons}, which holds none.")
    dest.mkdir(parents=True, exist_ok=True)
    decks = []
    for path in sources:
        nb = json.loads(path.read_text(encoding="utf-8"))
        deck = {**nb, "cells": deck_cells(nb)}
        deck["metadata"] = {**nb.get("metadata", {}),
                            "title": _title(nb) or path.stem}
        out = dest / path.name
        out.write_text(json.dumps(deck, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
        decks.append(out)
    # nbconvert's template links to <prefix>/dist/reveal.css and <prefix>/dist/theme/<theme>.css.
    shutil.copytree(Path(__file__).resolve().parent / "reveal" / "css",
                    dest / ASSETS / "dist", dirs_exist_ok=True)
    return decks


def _title(nb):
    """The first heading of the notebook, without its ``#``."""
    for cell in nb["cells"]:
        if cell["cell_type"] == "markdown":
            text = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
            for line in text.split("\n"):
                if _HEADING.match(line):
                    return line.lstrip("#").strip()
    return None


def slides_argv(decks, host="127.0.0.1", port=8866, open_browser=False) -> list:
    """Voila's command-line arguments for serving the decks in ``decks`` as reveal.js slides."""
    lessons_page = voila_argv(decks, host, port, open_browser)
    return [a for a in lessons_page if not a.startswith("--template=")] + ["--template=reveal"]


def slides_config():
    """Voila's configuration of the deck: reveal.js's slide size and style sheets, no transition.

    No ``scroll``: Voila's reveal.js set-up scrolls a tall slide with jQuery, which nbconvert's
    template loads from a CDN (slides are cut short enough instead).

    Given as a configuration object: Voila's command line cannot set a nested dictionary.
    Built on :func:`~bpttviz.serve.settings.voila_config`: the lab extensions no page uses
    are left out of the deck's pages too.
    """
    config = voila_config()
    config.VoilaConfiguration.resources = {"reveal": {
        "width": DECK_WIDTH, "height": DECK_HEIGHT, "transition": "none",
        "url_prefix": f"/voila/files/{ASSETS}", "theme": THEME}}
    # Voila serves the decks' folder's files it is allowed to: its images, and the style sheets.
    config.VoilaConfiguration.file_allowlist = [r".*\.(png|jpg|gif|svg)", ASSETS + r"/.*\.css"]
    return config


def serve_slides(notebooks, *, host="127.0.0.1", port=8866, open_browser=False) -> None:
    """Serve the lessons in the folder ``notebooks`` as decks with Voila until it is stopped.

    The decks are cut into a temporary folder, removed when Voila ends.
    """
    with tempfile.TemporaryDirectory(prefix="bpttviz-slides-") as decks:
        build_decks(notebooks, decks)
        print(f"Serving the lessons in {notebooks} as slides at "
              f"http://{host}:{port}/voila/render/index.ipynb (arrow keys turn the slides)",
              flush=True)
        launch_voila(slides_argv(decks, host, port, open_browser), slides_config())
