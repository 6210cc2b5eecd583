"""Where the lesson notebooks are, what they are called, and copies of them to edit.

The notebooks live in the repository's ``notebooks/`` folder, installed with bpttviz
as the package ``bpttviz.notebooks``: :func:`lessons_dir` finds that folder wherever
bpttviz is installed (from a wheel, or editable from a checkout). A folder of lessons
holds the landing page ``index.ipynb`` (:data:`LANDING`), which links every lesson, and
one notebook per lesson; a page's name is its notebook's stem, as in its address
``/voila/render/<name>.ipynb``.
"""

from __future__ import annotations

import importlib.resources
import shutil
from pathlib import Path

__all__ = ["LANDING", "lessons_dir", "page_names", "lesson_names", "copy_lessons"]

#: The page that links every lesson: the one users land on when no lesson is named.
LANDING = "index"


def lessons_dir() -> Path:
    """The folder of the lesson notebooks installed with bpttviz (the package
    ``bpttviz.notebooks``; in a checkout, the repository's ``notebooks/``)."""
    return Path(importlib.resources.files("bpttviz.notebooks"))


def page_names(notebooks=None) -> list:
    """The pages in the folder ``notebooks`` (default :func:`lessons_dir`): notebook stems,
    the landing page included."""
    folder = lessons_dir() if notebooks is None else Path(notebooks)
    return sorted(p.stem for p in folder.glob("*.ipynb"))


def lesson_names(notebooks=None) -> list:
    """The lessons in the folder ``notebooks`` (default :func:`lessons_dir`): notebook stems,
    the landing page left out."""
    return [name for name in page_names(notebooks) if name != LANDING]


def copy_lessons(dest, *, overwrite: bool = False, keep_existing: bool = False) -> list:
    """Copy the lesson notebooks into the folder ``dest`` (made if missing); return the copies.

    Raises ``FileExistsError`` naming the notebooks already there unless ``overwrite``
    (replace them) or ``keep_existing`` (copy only the others, leave those as they are) is
    true: an edited lesson is never replaced silently.
    """
    if overwrite and keep_existing:
        raise ValueError("copy_lessons takes 'overwrite' or 'keep_existing', not both.")
    dest = Path(dest)
    if dest.exists() and not dest.is_dir():
        raise NotADirectoryError(f"The 'DIR' of bpttviz lessons must be a folder. "
                                 f"Got the file {dest} instead.")
    sources = sorted(lessons_dir().glob("*.ipynb"))
    clashes = [p for p in sources if (dest / p.name).exists()]
    if clashes and not (overwrite or keep_existing):
        raise FileExistsError(f"{dest} already holds {', '.join(p.name for p in clashes)}; "
                              f"nothing was copied. Choose another folder or pass --overwrite "
                              f"(or --keep-existing to copy only the others).")
    if keep_existing:
        sources = [p for p in sources if p not in clashes]
    dest.mkdir(parents=True, exist_ok=True)
    return [Path(shutil.copy2(p, dest / p.name)) for p in sources]
