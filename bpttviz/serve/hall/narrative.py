"""A lesson notebook's narrative as HTML: its Markdown cells, rendered once, math as MathML.

The lecture-hall server shows a lesson as its notebook reads: the Markdown
before the app's cell, the app, the Markdown after. The notebook is read once
per server (and again when it changes on disk); its Markdown is rendered to
HTML on the server, its LaTeX (``$...$``, ``$$...$$``) to MathML, which
browsers draw and screen readers read without any script. A page costs the
server no rendering, and the browser no math library.
"""

from __future__ import annotations

import html
import json
import re
from dataclasses import dataclass
from pathlib import Path

import mistune
from latex2mathml.converter import convert as latex_to_mathml

__all__ = ["Narrative", "narrative", "markdown_html"]

#: ``$$display$$`` or ``$inline$`` (not ``\$``, not across paragraphs for inline).
_MATH = re.compile(r"(?<!\\)\$\$(.+?)\$\$|(?<![\\$])\$(?!\s)([^$\n]+?)(?<!\s)\$", re.S)
_CODE = re.compile(r"(`+)(.+?)\1", re.S)
_MARKDOWN = mistune.create_markdown(escape=False, plugins=["table", "strikethrough"])


@dataclass(frozen=True)
class Narrative:
    """A lesson notebook's text around its app."""

    title: str      #: the first heading, as plain text
    before: str     #: HTML of the Markdown cells before the first code cell
    after: str      #: HTML of the Markdown cells after it


def markdown_html(text: str) -> str:
    """``text`` (Markdown with LaTeX) as HTML, its math as MathML."""
    kept = []

    def keep(piece: str) -> str:
        kept.append(piece)
        return f"\x00{len(kept) - 1}\x00"

    # Code spans first: a dollar in code is not math.
    text = _CODE.sub(lambda m: keep(f"<code>{html.escape(m.group(2))}</code>")
                     if "$" in m.group(2) else m.group(0), text)

    def math(m):
        display, inline = m.group(1), m.group(2)
        tex = display if display is not None else inline
        # Norm bars the converter does not know by these names.
        tex = tex.replace(r"\lVert", r"\|").replace(r"\rVert", r"\|")
        try:
            mathml = latex_to_mathml(tex, display="block" if display is not None else "inline")
        except Exception:                       # shown as written, never a broken page
            mathml = f"<code>{html.escape(m.group(0))}</code>"
        return keep(mathml)

    text = _MATH.sub(math, text)
    rendered = _MARKDOWN(text)
    return re.sub("\x00(\\d+)\x00", lambda m: kept[int(m.group(1))], rendered)


_CACHE: dict = {}


def narrative(path) -> Narrative:
    """The narrative of the notebook at ``path``, read again only when the file changed."""
    path = Path(path)
    stamp = path.stat().st_mtime_ns
    hit = _CACHE.get(path)
    if hit is not None and hit[0] == stamp:
        return hit[1]
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    before, after, seen_code = [], [], False
    for cell in cells:
        if cell.get("cell_type") == "code":
            seen_code = True
        elif cell.get("cell_type") == "markdown":
            (after if seen_code else before).append("".join(cell.get("source", ())))
    title = next((line.lstrip("#").strip() for text in before for line in text.splitlines()
                  if line.startswith("#")), path.stem)
    made = Narrative(title, "\n".join(markdown_html(t) for t in before),
                     "\n".join(markdown_html(t) for t in after))
    _CACHE[path] = (stamp, made)
    return made
