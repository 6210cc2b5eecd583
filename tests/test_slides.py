"""The lecture deck: slides cut from the lessons, and ``bpttviz slides``'s Voila settings."""

import json
import socket

import pytest

from bpttviz.cli import main
from bpttviz.serve import UNUSED_EXTENSIONS, lessons_dir, slides_argv, slides_config
from bpttviz.serve.slides import ASSETS, KEEP_KEYS_SCRIPT, MAX_LINES, THEME, build_decks
from bpttviz.serve.slides import deck_cells as all_deck_cells


def md(text):
    return {"cell_type": "markdown", "metadata": {}, "source": text}


def code(text):
    return {"cell_type": "code", "metadata": {}, "source": text, "outputs": [],
            "execution_count": 3}


def deck_cells(nb):
    """The deck's cells cut from the lesson's, without the key script (tested on its own)."""
    return [c for c in all_deck_cells(nb) if c["source"] != KEEP_KEYS_SCRIPT]


def types(cells):
    return [(c["cell_type"], c["metadata"]["slideshow"]["slide_type"]) for c in cells]


def test_each_heading_starts_a_slide_and_the_text_is_kept_in_order():
    text = "# Title\n\nIntro.\n\n## Part\n\nMore.\n\n## Other\n\n- a\n- b"
    cells = deck_cells({"cells": [md(text)]})
    assert types(cells) == [("markdown", "slide")] * 3
    assert [c["source"] for c in cells] == ["# Title\n\nIntro.", "## Part\n\nMore.",
                                            "## Other\n\n- a\n- b"]


def test_a_long_cell_is_split_at_paragraphs_never_inside_a_formula():
    paragraphs = [f"Paragraph {i}.\nsecond line." for i in range(12)]
    formula = "$$\na = b\n\nc = d\n$$"
    text = "\n\n".join(paragraphs[:6] + [formula] + paragraphs[6:])
    cells = deck_cells({"cells": [md(text)]})
    assert len(cells) > 1
    assert all(len(c["source"].split("\n")) <= MAX_LINES for c in cells)
    assert sum(formula in c["source"] for c in cells) == 1
    words = lambda s: s.split()                                       # noqa: E731
    assert sum((words(c["source"]) for c in cells), []) == words(text)


def test_setup_code_is_run_but_not_shown_and_the_app_gets_its_own_slide():
    cells = deck_cells({"cells": [code("%matplotlib widget"), code("import numpy as np"),
                                  code("x = 3"), code("from bpttviz.app import X\n\napp = X()\napp"),
                                  code("x == 3")]})
    assert types(cells) == [("code", "skip"), ("code", "skip"), ("code", "skip"),
                            ("code", "slide"), ("code", "slide")]
    assert all(c["outputs"] == [] and c["execution_count"] is None for c in cells)


def test_the_first_slide_carries_the_script_that_keeps_a_controls_keys():
    cells = all_deck_cells({"cells": [md("# A\n\n## B"), code("app")]})
    assert types(cells) == [("markdown", "slide"), ("markdown", "-"), ("markdown", "slide"),
                            ("code", "slide")]
    assert cells[1]["source"] == KEEP_KEYS_SCRIPT and "stopPropagation" in KEEP_KEYS_SCRIPT


def test_a_cell_marked_by_its_author_keeps_its_slide_type():
    marked = md("# A\n\nB\n\n## C")
    marked["metadata"] = {"slideshow": {"slide_type": "fragment"}}
    assert types(deck_cells({"cells": [marked]})) == [("markdown", "fragment")]


def test_every_lesson_becomes_a_deck_with_its_app_on_a_slide(tmp_path):
    decks = build_decks(lessons_dir(), tmp_path)
    assert sorted(p.name for p in decks) == sorted(p.name for p in lessons_dir().glob("*.ipynb"))
    for path in decks:
        nb = json.loads(path.read_text())
        lesson = json.loads((lessons_dir() / path.name).read_text())
        assert nb["metadata"]["title"]
        shown = [c for c in nb["cells"]
                 if c["metadata"]["slideshow"]["slide_type"] == "slide"]
        assert shown[0]["cell_type"] == "markdown" and shown[0]["source"].startswith("# ")
        apps = [c for c in shown if c["cell_type"] == "code"]
        assert len(apps) == 1
        # The landing page's one cell on a slide is its list of lessons, which the registry writes.
        assert ("contents(" if path.stem == "index" else "App()") in apps[0]["source"]
        # Every line of the lesson's narrative is on a slide.
        narrative = "\n".join("".join(c["source"]) for c in lesson["cells"]
                            if c["cell_type"] == "markdown").split()
        assert "\n".join(c["source"] for c in nb["cells"] if c["cell_type"] == "markdown"
                         and c["source"] != KEEP_KEYS_SCRIPT).split() == narrative
    for sheet in ("dist/reveal.css", "dist/theme/white.css", f"dist/theme/{THEME}.css"):
        assert (tmp_path / ASSETS / sheet).stat().st_size > 500


def test_the_lessons_are_not_changed(tmp_path):
    before = {p.name: p.read_bytes() for p in lessons_dir().glob("*.ipynb")}
    build_decks(lessons_dir(), tmp_path)
    assert {p.name: p.read_bytes() for p in lessons_dir().glob("*.ipynb")} == before


def test_a_folder_without_notebooks_is_refused(tmp_path):
    with pytest.raises(FileNotFoundError, match="must hold .ipynb files. Got .*holds none"):
        build_decks(tmp_path, tmp_path / "out")


def test_slides_are_served_with_the_reveal_template_and_local_style_sheets(tmp_path):
    argv = slides_argv(tmp_path, "127.0.0.1", 9001)
    assert "--template=reveal" in argv and "--port=9001" in argv
    # Voila takes one template: the lessons' page template gives way to reveal.js.
    assert [a for a in argv if a.startswith("--template=")] == ["--template=reveal"]
    assert "--strip_sources=True" in argv and "--show_tracebacks=False" in argv
    config = slides_config().VoilaConfiguration
    reveal = config.resources["reveal"]
    assert reveal["url_prefix"] == f"/voila/files/{ASSETS}" and reveal["theme"] == THEME
    assert any(p.startswith(ASSETS) for p in config.file_allowlist)
    # The deck's pages leave out the lab extensions no page uses, as every Voila of the lessons.
    assert config.extension_denylist == list(UNUSED_EXTENSIONS)


def test_slides_says_when_the_port_is_busy(capsys):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        assert main(["slides", "--port", str(port)]) == 2
    assert "already in use" in capsys.readouterr().err


def test_slides_refuses_a_folder_without_notebooks(tmp_path, capsys):
    assert main(["slides", "--notebooks", str(tmp_path)]) == 2
    assert "no notebooks directory" in capsys.readouterr().err
