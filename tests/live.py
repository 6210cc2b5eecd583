"""What the browser tests read from a lesson's live figures.

Each figure of a lesson is a live figure widget in a box ``.bpttviz-figure-<name>``; its
element ``.bpttviz-live`` carries ``data-drawn``, the version of the record it last drew (the
server counts the records it sends), ``data-error`` when drawing failed, and
``bpttvizFigure``, the record it drew with its arrays decoded to typed arrays. Tests wait for
``data-drawn`` to change, so a figure whose update never reaches the page fails them, then
read the record and compare its numbers with what bpttviz computes in the test process
(:func:`close`).
"""

from __future__ import annotations

import base64
import io
import re

import numpy as np

from bpttviz.figures import record as R

#: The live figure element of figure ``name``.
LIVE = ".bpttviz-figure-{name} .bpttviz-live"

#: ``{figure name: data-drawn as a number, or null while it has drawn nothing}``, for every
#: figure of the page (in the order of the page).
DRAWN = """() => Object.fromEntries([...document.querySelectorAll('.bpttviz-app .bpttviz-figure')]
  .map(box => {
    const name = [...box.classList].map(c => /^bpttviz-figure-(.+)$/.exec(c))
      .filter(m => m && m[1] !== 'wide')[0]?.[1];
    const el = box.querySelector('.bpttviz-live');
    const v = el?.dataset.drawn;
    return [name, v === undefined ? null : Number(v)];
  }))"""

#: The figures that failed to draw: ``{name: data-error}``.
ERRORS = """() => Object.fromEntries([...document.querySelectorAll('.bpttviz-app .bpttviz-figure')]
  .map(box => [box.className, box.querySelector('.bpttviz-live')?.dataset.error])
  .filter(([, e]) => e !== undefined))"""

#: The record figure ``name`` drew: typed arrays become ``{__array__, shape}`` (Playwright
#: carries NaN and infinities in plain arrays), with the version it was drawn for.
RECORD = """(name) => {
  const el = document.querySelector('.bpttviz-figure-' + name + ' .bpttviz-live');
  if (!el || !el.bpttvizFigure) return null;
  const plain = (v) => {
    if (ArrayBuffer.isView(v)) return {__array__: Array.from(v), shape: v.shape};
    if (Array.isArray(v)) return v.map(plain);
    if (v && typeof v === 'object') {
      const o = {};
      for (const [k, x] of Object.entries(v)) o[k] = plain(x);
      return o;
    }
    return v;
  };
  return {drawn: Number(el.dataset.drawn), figure: plain(el.bpttvizFigure)};
}"""

#: ``{legend label: number of points}`` of each labelled line in the first panel of figure
#: ``name`` (a training curve grows by one point an update).
LINE_POINTS = """(name) => {
  const fig = document.querySelector('.bpttviz-figure-' + name + ' .bpttviz-live')?.bpttvizFigure;
  return fig ? Object.fromEntries(fig.panels[0].marks.filter(m => m.type === 'Line' && m.label)
    .map(m => [m.label, m.y.length])) : {}; }"""

#: Whether every figure has drawn and none has changed for 400 ms (the last records the server
#: sent have been drawn: a lesson may send a figure twice while it starts).
SETTLED = f"""() => {{
  const key = JSON.stringify(({DRAWN})());
  const now = performance.now(), last = window.__bpttvizDrawnSettled;
  if (key.includes('null') || key === '{{}}' || !last || last.key !== key) {{
    window.__bpttvizDrawnSettled = {{key, since: now}};
    return false;
  }}
  return now - last.since >= 400; }}"""


#: Whether the canvas of figure ``name`` has something drawn (a pixel not transparent).
CANVAS_DRAWN = """(name) => { try {
    const c = document.querySelector('.bpttviz-figure-' + name + ' .bpttviz-live canvas');
    if (!c || !c.width || !c.height) return false;
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    for (let i = 3; i < d.length; i += 4 * 101) { if (d[i] !== 0) return true; }
    return false;
  } catch (e) { return false; } }"""


#: A script for ``page.add_init_script``: it logs every text of the latest drawing of each
#: live figure (``window.__bpttvizTexts``): the figure, the text, its size in CSS pixels, its
#: baseline, and whether it lies inside the canvas. A drawing starts by painting the whole
#: canvas white; the texts of the figure's earlier drawings are dropped then.
TEXT_LOG = """(() => {
  const fillText = CanvasRenderingContext2D.prototype.fillText;
  const fillRect = CanvasRenderingContext2D.prototype.fillRect;
  window.__bpttvizTexts = [];
  const figureOf = (canvas) => {
    const box = canvas.closest && canvas.closest('.bpttviz-figure');
    return box ? [...box.classList].map(c => /^bpttviz-figure-(.+)$/.exec(c))
      .filter(m => m && m[1] !== 'wide')[0]?.[1] : undefined;
  };
  CanvasRenderingContext2D.prototype.fillRect = function (x, y, w, h) {
    const name = figureOf(this.canvas), dpr = window.devicePixelRatio || 1;
    if (name && x === 0 && y === 0 && Math.abs(w * dpr - this.canvas.width) < 1)
      window.__bpttvizTexts = window.__bpttvizTexts.filter(e => e.figure !== name);
    return fillRect.call(this, x, y, w, h);
  };
  CanvasRenderingContext2D.prototype.fillText = function (text, x, y, ...rest) {
    const name = figureOf(this.canvas);
    if (name) {
      const t = this.getTransform(), dpr = window.devicePixelRatio || 1;
      const w = this.measureText(String(text)).width;
      const at = (u, v) => [(t.a * u + t.c * v + t.e) / dpr, (t.b * u + t.d * v + t.f) / dpr];
      const [x0, y0] = at(x, y), [x1, y1] = at(x + w, y);
      const W = this.canvas.width / dpr, H = this.canvas.height / dpr;
      const inside = [x0, x1].every(v => v >= -0.5 && v <= W + 0.5)
        && [y0, y1].every(v => v >= -0.5 && v <= H + 0.5);
      const px = +(/([\\d.]+)px/.exec(this.font) || [0, 0])[1] * Math.hypot(t.c, t.d) / dpr;
      window.__bpttvizTexts.push({figure: name, text: String(text), px, baseline: Math.round(y0),
                                  rotated: Math.abs(t.b) > 1e-9, inside, width: W});
    }
    return fillText.call(this, text, x, y, ...rest);
  };
})();"""


def drawn(page) -> dict:
    """``{figure: version drawn (None: nothing yet)}`` of every figure in the page."""
    return page.evaluate(DRAWN)


def wait_settled(page):
    """Wait until every figure has drawn and none changed for 400 ms; none may have failed."""
    page.wait_for_function(SETTLED, polling=100)
    assert page.evaluate(ERRORS) == {}


def wait_redrawn(page, names, before: dict, timeout=None):
    """Wait until each figure of ``names`` drew a newer record than ``before[name]``."""
    page.wait_for_function(
        f"([names, before]) => {{ const now = ({DRAWN})();"
        " return names.every(n => now[n] !== null && now[n] > (before[n] ?? 0)); }",
        arg=[list(names), before], timeout=timeout)
    assert page.evaluate(ERRORS) == {}
    return drawn(page)


def line_points(page, name, prefixes) -> list:
    """The number of points of each line of figure ``name`` whose label starts with one of
    ``prefixes``, in the figure's order."""
    return [n for label, n in page.evaluate(LINE_POINTS, name).items()
            if label.startswith(tuple(prefixes))]


def record(page, name) -> dict:
    """The record figure ``name`` drew, as JSON with NumPy arrays (its numbers as the page has
    them: float32 where the values fit it)."""
    got = page.evaluate(RECORD, name)
    assert got is not None, f"figure {name!r} has drawn nothing"
    return _arrays(got["figure"])


def _arrays(v):
    if isinstance(v, dict) and "__array__" in v:
        a = np.array([np.nan if x is None else x for x in v["__array__"]], dtype=float)
        return a.reshape(v["shape"]) if v.get("shape") else a
    if isinstance(v, list):
        return [_arrays(x) for x in v]
    if isinstance(v, dict):
        return {k: _arrays(x) for k, x in v.items()}
    return v


def marks(rec: dict, panel: int = 0, kind: str | None = None) -> list:
    """The marks of a page record's panel, of one type when ``kind`` is given."""
    out = rec["panels"][panel]["marks"]
    return [m for m in out if kind is None or m["type"] == kind]


def labelled(rec: dict, label: str, panel: int = 0) -> dict:
    """The one mark of a panel whose legend label is ``label``."""
    found = [m for m in marks(rec, panel) if m.get("label") == label]
    assert len(found) == 1, [m.get("label") for m in marks(rec, panel)]
    return found[0]


def texts(rec: dict) -> list:
    """Every text a record shows in words: titles, axis labels, tick labels, legend labels,
    colour bar labels and text marks."""
    out = [rec.get("title", "")]
    for p in rec["panels"]:
        out.append(p.get("title", ""))
        for key in ("x", "y", "y2"):
            axis = p.get(key)
            if axis:
                out.append(axis.get("label", ""))
                out += list(axis.get("tick_labels") or [])
        for m in p["marks"]:
            out.append(m.get("label") or "")
            if m["type"] == "Text":
                out += m["text"].split("\n")
            if m["type"] == "Heatmap":
                out.append(m["scale"].get("label", ""))
    return [t for t in out if t]


# --- type on the canvas ----------------------------------------------------------------------
_NUMBER_TEXT = re.compile(r"^[\u2212-]?\d+(?:\.\d+)?$")


def drawn_type(page, records: dict) -> dict:
    """The type of each figure's latest drawing (logged by :data:`TEXT_LOG`).

    ``records`` maps figure names to their page records. Returns ``{"ticks": {figure: px},
    "labels": {figure: [(text, px)]}, "outside": [(figure, text, canvas width)]}``:

    * ``ticks``: the size of the tick labels of a figure whose x axis has numbers for ticks (a
      linear axis, visible, its ticks left to the renderer): the largest row of two numbers or
      more set in one size on one baseline (smaller rows are sub- and superscripts, or numbers
      a figure writes beside its data);
    * ``labels``: the first words of each title and axis label (insets aside), as drawn;
    * ``outside``: texts that do not lie inside their canvas (cut off).
    """
    log = page.evaluate("window.__bpttvizTexts")
    rows = {}
    for e in log:
        if e["figure"] in records and not e["rotated"] and _NUMBER_TEXT.match(e["text"]):
            rows.setdefault((e["figure"], e["baseline"], round(e["px"], 1)), []).append(e)
    numbered = {f for f, rec in records.items()
                if any(p["frame"] and p["x"]["visible"] and p["x"]["scale"] == "linear"
                       and p["x"]["ticks"] is None and p["inset"] is None
                       for p in rec["panels"])}
    ticks = {}
    for (figure, _, px), row in rows.items():
        if figure in numbered and len(row) >= 2:
            ticks[figure] = max(ticks.get(figure, 0), px)
    labels = {}
    for figure, rec in records.items():
        words = set()
        for p in rec["panels"]:
            if p["inset"] is not None:          # an inset is small on purpose
                continue
            for text in (p.get("title"), *(p[k]["label"] for k in ("x", "y", "y2") if p.get(k))):
                if text and text.split("$")[0].strip():
                    words.add(text.split("$")[0])
        labels[figure] = sorted({(e["text"], round(e["px"], 1)) for e in log
                                 if e["figure"] == figure and e["text"] in words})
    outside = sorted({(e["figure"], e["text"], e["width"]) for e in log if not e["inside"]})
    return {"ticks": ticks, "labels": labels, "outside": outside}


# --- the page's record as a bpttviz record again -----------------------------------------------
_TYPES = {t.__name__: t for t in (*R.MARK_TYPES, R.Axis, R.ColourScale, R.Panel, R.Figure)}


def _hex(rgba) -> str:
    return "#" + "".join(f"{round(c):02x}" for c in rgba)


def rebuild(rec: dict) -> R.Figure:
    """A :class:`bpttviz.figures.Figure` made of what the page drew (its float32 numbers, its
    colours), for Matplotlib to draw: what a download of this figure must look like."""

    def value(v, field=None):
        if isinstance(v, np.ndarray):
            if field in ("color", "edge") and v.ndim == 2 and v.shape[1] == 4:
                return tuple(_hex(c) for c in v)        # per-item colours travel as bytes
            return v
        if isinstance(v, dict):
            kind = _TYPES[v["type"]]
            return kind(**{k: value(x, k) for k, x in v.items() if k not in ("type", "luts")})
        if isinstance(v, list):
            return tuple(value(x) for x in v)
        return v

    return value(rec)


# --- files -------------------------------------------------------------------------------------
def png_pixels(data: bytes) -> np.ndarray:
    """A PNG file's pixels, (height, width, channels) floats in [0, 1]."""
    import matplotlib.image

    assert data.startswith(b"\x89PNG"), data[:16]
    return matplotlib.image.imread(io.BytesIO(data), format="png")


def pixels_differ(a: np.ndarray, b: np.ndarray, level: float = 0.5 / 255) -> float:
    """The fraction of pixels whose colour differs by more than ``level`` in some channel
    (1.0 when the images differ in size)."""
    if a.shape != b.shape:
        return 1.0
    return float(np.mean(np.abs(a - b).max(axis=-1) > level))


#: Matplotlib's SVG names each text it draws in a comment (its glyphs are paths).
_SVG_TEXT = re.compile(r"<!-- (.*?) -->", re.DOTALL)
_SVG_IMAGE = re.compile(r'xlink:href="data:image/png;base64,([^"]+)"')
# Names Matplotlib makes up anew each time (ids and references to them), its date, and images.
_SVG_VOLATILE = re.compile(r'<metadata>.*?</metadata>|\bid="[^"]*"|href="#[^"]*"|url\(#[^)]*\)|'
                           r'xlink:href="data:image/png;base64,[^"]+"', re.DOTALL)
_NUMBER = re.compile(r"-?\d+(?:\.\d+)?(?:e[-+]?\d+)?")


def svg_texts(svg: str) -> list:
    """The texts a Matplotlib SVG draws, in its own words (``<!-- ... -->`` before each)."""
    import html

    return [html.unescape(t) for t in _SVG_TEXT.findall(svg)]


def svg_images(svg: str) -> list:
    """The pixels of the images an SVG embeds (a heatmap is one)."""
    return [png_pixels(base64.b64decode(b)) for b in _SVG_IMAGE.findall(svg)]


def svg_geometry(svg: str):
    """``(skeleton, numbers)`` of an SVG: its text with every number taken out (and what changes
    from one drawing to the next: the date, made-up ids, embedded images), and the numbers, in
    order. Two drawings of the same record share the skeleton and their numbers agree."""
    body = _SVG_VOLATILE.sub("", svg)
    numbers = np.array([float(x) for x in _NUMBER.findall(body)])
    return _NUMBER.sub("#", body), numbers


def same_drawing(svg_a: str, svg_b: str) -> bool:
    """Whether two Matplotlib SVGs draw the same: the same elements and texts, numbers equal
    within a thousandth of a point, the same embedded images."""
    (ka, na), (kb, nb) = svg_geometry(svg_a), svg_geometry(svg_b)
    if ka != kb or na.shape != nb.shape or not np.allclose(na, nb, rtol=0, atol=1e-3):
        return False
    ia, ib = svg_images(svg_a), svg_images(svg_b)
    return len(ia) == len(ib) and all(pixels_differ(a, b) == 0 for a, b in zip(ia, ib))


# --- the page's numbers against the engine's ----------------------------------------------------
#: The page's numbers are float32 where the values fit it: seven significant digits.
RTOL = 1e-6


def close(page_values, expected, what):
    np.testing.assert_allclose(np.asarray(page_values, dtype=float),
                               np.asarray(expected, dtype=float), rtol=RTOL, atol=0,
                               equal_nan=True, err_msg=what)


def lower_triangle(flow, vmin):
    """A flow matrix as its heatmap shows it: the lower triangle, values below the colour
    scale's floor at the floor, the rest blank (NaN)."""
    T = flow.shape[0]
    return np.where(np.tril(np.ones((T, T), dtype=bool)), np.maximum(flow, vmin), np.nan)


__all__ = ["CANVAS_DRAWN", "DRAWN", "LINE_POINTS", "LIVE", "RECORD", "RTOL", "TEXT_LOG", "close",
           "drawn", "drawn_type", "labelled", "line_points", "lower_triangle", "marks",
           "pixels_differ", "png_pixels", "rebuild", "record", "same_drawing", "svg_geometry",
           "svg_images", "svg_texts", "texts", "wait_redrawn", "wait_settled"]
