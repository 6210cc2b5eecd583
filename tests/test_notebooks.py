"""The lesson notebooks: committed without outputs, linked from the landing page,
built from bpttviz.app, and each runs top to bottom headless (the browser draws the figures:
no Matplotlib backend to choose)."""

import pathlib
import re

import nbformat
import pytest

from bpttviz.lessons import contents

ROOT = pathlib.Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
LESSONS = [p for p in NOTEBOOKS if p.name != "index.ipynb"]
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


def ids(paths):
    return [p.stem for p in paths]


def read(path):
    return nbformat.read(path, as_version=4)


def test_there_is_a_landing_page_and_lessons():
    assert (ROOT / "notebooks" / "index.ipynb") in NOTEBOOKS
    assert len(LESSONS) >= 3


@pytest.mark.parametrize("path", NOTEBOOKS, ids=ids(NOTEBOOKS))
def test_notebook_is_committed_without_outputs(path):
    nb = read(path)
    nbformat.validate(nb)
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [], f"{path.name}: a code cell has outputs"
            assert cell.execution_count is None, f"{path.name}: a code cell has a count"
    assert "widgets" not in nb.metadata, f"{path.name} carries saved widget state"


def test_landing_page_links_every_lesson_and_only_existing_pages():
    # Its list of lessons is the registry's, written by a code cell where the page runs.
    page = read(ROOT / "notebooks" / "index.ipynb")
    assert any("contents(" in c.source for c in page.cells if c.cell_type == "code")
    text = "\n".join(c.source for c in page.cells if c.cell_type == "markdown")
    text += "\n" + contents(ROOT / "notebooks")
    targets = set(re.findall(r"\]\(([^)#?\s]+\.ipynb)", text))
    assert targets == {p.name for p in LESSONS}


@pytest.mark.parametrize("path", LESSONS, ids=ids(LESSONS))
def test_lesson_builds_its_app_from_the_package_and_needs_no_matplotlib_backend(path):
    code = [c.source for c in read(path).cells if c.cell_type == "code"]
    assert code[0].startswith("from bpttviz.app import")
    assert not any("%matplotlib" in c or "ipympl" in c for c in code)
    # Shared code lives in the package: a lesson's code is a few lines.
    assert sum(len(c.splitlines()) for c in code) <= 8


@pytest.mark.parametrize("path", LESSONS, ids=ids(LESSONS))
def test_lesson_cites_its_sources(path):
    text = "\n".join(c.source for c in read(path).cells if c.cell_type == "markdown")
    assert "References" in text and re.search(r"\(\d{4}\)", text)


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=ids(NOTEBOOKS))
def test_notebook_runs_top_to_bottom_headless(path, monkeypatch):
    from nbclient import NotebookClient

    for name in ("QUERY_STRING", "VOILA_REQUEST_URL"):
        monkeypatch.delenv(name, raising=False)
    nb = read(path)
    if path in LESSONS:    # the app must have run, and shown no error in the page
        nb.cells.append(nbformat.v4.new_code_cell(
            "assert app.runs == 1 and app.message.value == '', app.message.value"))
    NotebookClient(nb, timeout=180, kernel_name="python3",
                   resources={"metadata": {"path": str(path.parent)}}).execute()
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    assert not [o for o in outputs if o.get("name") == "stderr" and "Error" in o.get("text", "")]
    if path in LESSONS:
        assert any(WIDGET_VIEW in o.get("data", {}) for o in outputs), "the app was not displayed"
