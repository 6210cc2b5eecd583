"""Text alternatives of the lesson figures: one sentence or two saying what a figure shows now.

A screen reader cannot read a canvas. Every figure of a lesson therefore
carries a short text, recomputed from the same numbers the figure is drawn
from each time it changes, in the words a teacher would use: "the median
gradient norm falls from 1 at lag 0 to 3e-09 at lag 59". The functions here
are pure (arrays in, a string out) so they are tested against real traces;
:func:`figure_text` describes any figure from its record
(:class:`bpttviz.figures.Figure`: the numbers the page draws), for the
figures that have no sentence of their own.

Writing for a text alternative follows the W3C's "Complex images" tutorial
(Web Accessibility Initiative 2019): say the kind of chart and its trend,
with the values that matter, not every point.
"""

from __future__ import annotations

import re

import numpy as np

from . import record as R
from .heatmaps import no_target_rows

__all__ = ["number", "position", "plain", "trend", "lag_norms_text", "flow_text",
           "truncation_bias_text", "cost_text", "figure_text"]

#: Longest text alternative (characters): a screen reader reads all of it at each change.
MAX_CHARS = 600


def number(x) -> str:
    """``x`` with two significant digits, as it is read aloud: 1.2, 0.05, 3e-09, 2.4e+12, inf."""
    x = float(x)
    if np.isnan(x):
        return "not a number"
    if np.isinf(x):
        return "infinity" if x > 0 else "minus infinity"
    return f"{x:.2g}"


def position(x) -> str:
    """Where on an axis, in plain numbers as a reader counts them: 300, 12.5, 0.25."""
    x = float(x)
    if not np.isfinite(x):
        return number(x)
    if x == round(x) and abs(x) < 1e15:
        return str(int(round(x)))
    return f"{x:.4g}" if 1e-3 <= abs(x) < 1e6 else f"{x:.2g}"


def plain(label: str) -> str:
    """A label without its math markup, as it is read: ``"h$_τ$"`` -> ``"hτ"``,
    ``"$\\tanh(x)$"`` -> ``"tanh(x)"``."""
    text = re.sub(r"\\mathrm\{([^}]*)\}", r"\1", label)
    text = re.sub(r"\\([a-zA-Z]+)", lambda m: _NAMES.get(m.group(1), m.group(1)), text)
    return re.sub(r"[${}_^\\]", "", text).strip()


_NAMES = {"sigma": "σ", "tau": "τ", "gamma": "γ", "rho": "ρ", "lambda": "λ", "delta": "δ",
          "partial": "∂", "phi": "φ"}


def trend(values, positions, quantity: str, where: str) -> str:
    """How ``quantity`` moves along ``positions``: "<quantity> falls from 1 at lag 0 to 3e-09 at
    lag 59".

    Parameters
    ----------
    values, positions : array_like, shape (N,)
        The values and where they are (e.g. lags); non-finite values are left out, and
        said to be there.
    quantity : str
        What the values are ("the median gradient norm").
    where : str
        The name of a position ("lag", "step", "k2").
    """
    y = np.asarray(values, dtype=float).ravel()
    x = np.asarray(positions, dtype=float).ravel()
    if y.shape != x.shape:
        raise ValueError(f"values and positions must have the same shape. Got {y.shape} and "
                         f"{x.shape} instead.")
    ok = np.isfinite(y)
    if not ok.any():
        return f"{quantity} has no finite value"
    first, last = np.flatnonzero(ok)[[0, -1]]
    a, b = y[first], y[last]
    at = (lambda i: f"{where} {position(x[i])}")
    if first == last:
        text = f"{quantity} is {number(a)} at {at(first)}"
    else:
        scale = max(abs(a), abs(b))
        if scale == 0 or abs(b - a) <= 0.05 * scale:
            verb = "stays near"
            text = f"{quantity} {verb} {number(a)} from {at(first)} to {at(last)}"
        else:
            verb = "rises" if b > a else "falls"
            text = f"{quantity} {verb} from {number(a)} at {at(first)} to {number(b)} at {at(last)}"
        inner = y[first:last + 1]
        k = int(np.nanargmax(np.where(np.isfinite(inner), inner, -np.inf)))
        if inner[k] > max(a, b) * 1.05 and inner[k] > max(a, b) + 1e-12:
            text += f", peaking at {number(inner[k])} at {at(first + k)}"
    missing = int((~ok).sum())
    if missing:
        text += f" ({missing} of {y.size} values not finite)"
    return text


def lag_norms_text(lags, median, bound=None, quantity="median gradient norm") -> str:
    """The lag plot: how the median norm and its bound change with the lag ``tau - s``.

    ``lags``, ``median`` and ``bound`` are (L,), as given to :func:`bpttviz.figures.lag_norms`.
    """
    text = "Gradient norm against lag, log scale: " + trend(median, lags, quantity, "lag")
    if bound is not None and np.size(bound):
        text += "; the bound " + trend(bound, lags, "", "lag").strip()
    return text + "."


def flow_text(flow, kept=None, overflow_step=None, carries=None) -> str:
    """The flow heatmap ``flow[tau, s]`` (T, T): how the norms change away from the diagonal.

    ``kept`` (T, T) of bool marks the pairs a truncation schedule keeps;
    ``overflow_step`` the first step that overflowed, if any; ``carries`` (T,) of bool the
    losses with a target, as :func:`bpttviz.figures.flow` takes it (the others carry no loss).
    """
    flow, absent = no_target_rows(flow, carries)
    T = flow.shape[0]
    lower = flow[np.tril_indices(T)]
    finite = lower[np.isfinite(lower)]
    text = f"Heat map of the gradient flow over {T} steps (state s across, loss step τ up)"
    if finite.size:
        diagonal = np.nanmedian(np.where(np.isfinite(np.diag(flow)), np.diag(flow), np.nan)) \
            if np.isfinite(np.diag(flow)).any() else np.nan
        last = int(np.flatnonzero(~absent)[-1])          # the farthest pair that has a loss
        far = flow[last, 0]
        text += (f": median {number(diagonal)} on the diagonal (lag 0), {number(far)} at the "
                 f"farthest pair (lag {last}); values from {number(finite.min())} to "
                 f"{number(finite.max())}")
    if absent.any():
        text += (f"; losses at {int(absent.sum())} of {T} steps have no target (no loss), their "
                 f"rows left blank")
    if kept is not None:
        kept = np.asarray(kept, dtype=bool)
        share = kept[np.tril_indices(T)].mean()
        text += f"; the schedule keeps {100 * share:.0f}% of the pairs, the rest is dimmed"
    if overflow_step is not None:
        text += f"; values overflowed from step {overflow_step} (marked)"
    return text + "."


def truncation_bias_text(k2, cosine, current_k2=None, current_cosine=None) -> str:
    """The truncation-bias curve: cosine between the truncated and the full gradient against k2."""
    text = ("Truncation bias against k2: " +
            trend(cosine, k2, "the cosine between the truncated and the full gradient", "k2"))
    if current_k2 is not None and current_cosine is not None:
        text += f"; at the chosen k2 = {int(current_k2)} it is {float(current_cosine):.3f}"
    return text + "."


def cost_text(cost, reference) -> str:
    """The cost bars: a schedule's forward steps, backward steps and peak stored floats against
    full BPTT's (both :class:`bpttviz.Cost`)."""
    rows = [("forward steps", cost.forward_steps, reference.forward_steps),
            ("backward steps", cost.backward_steps, reference.backward_steps),
            ("peak stored floats", cost.peak_stored_floats, reference.peak_stored_floats)]
    parts = [f"{name} {mine:,.0f} against {full:,.0f} ({mine / full:.2g} times)" if full else
             f"{name} {mine:,.0f}" for name, mine, full in rows]
    return "Compute and memory of this schedule against full BPTT: " + "; ".join(parts) + "."


def _position_name(xlabel: str) -> str:
    """What one position on an x axis is called: "lag τ - s (steps)" -> "lag", "recurrent weight
    w" -> "w", "spread of the cosine over seeds (sd)" -> "spread"."""
    words = xlabel.split(" (")[0].split()
    if not words:
        return "x"
    if words[0] in ("lag", "step", "update", "k2", "state", "loss"):
        return words[0]
    return words[-1] if len(words[-1]) <= 2 else words[0]


# What each mark type says in a panel's text: describer(mark, panel, where) -> words, or None
# when this mark has nothing to say; ``where`` names one position on the x axis ("lag").

def _line_words(m: R.Line, panel: R.Panel, where: str):
    # Two-point lines are levels and references: not data to describe.
    if m.x.size < 2 or m.x.shape != m.y.shape or (m.x.size == 2 and m.y[0] == m.y[1]):
        return None
    axis = panel.y2 if m.axis == "y2" and panel.y2 is not None else panel.y
    name = plain(m.label) if m.label else (plain(axis.label) or "the line")
    xs = m.x[np.isfinite(m.x)]
    if xs.size and np.all(xs == xs[0]):
        # A vertical line: its values at one place, not a trend along x.
        ys = m.y[np.isfinite(m.y)]
        if ys.size:
            return (f"{name} from {number(ys.min())} to {number(ys.max())} at {where} "
                    f"{position(xs[0])}")
        return None
    return trend(m.y, m.x, name, where)


def _heatmap_words(m: R.Heatmap, panel: R.Panel, where: str):
    finite = m.values[np.isfinite(m.values)]
    if finite.size:
        return (f"a {m.values.shape[0]} by {m.values.shape[1]} colour map of "
                f"values from {number(finite.min())} to {number(finite.max())}")
    return None


def _counted_words(m, panel: R.Panel, where: str):
    # Named points, segments and rectangles are counted; unnamed ones are decoration.
    n = m.x.size if isinstance(m, R.Points) else m.x0.size
    if m.label and n:
        return f"{plain(m.label)}: {n} mark{'s' if n != 1 else ''}"
    return None


def _rects_words(m: R.Rects, panel: R.Panel, where: str):
    if m.label:
        return _counted_words(m, panel, where)
    # Unnamed rectangles are a bar chart's bars (each copy's share in lesson 1).
    return f"{m.x0.size} bars" if m.x0.size else None


def _text_words(m: R.Text, panel: R.Panel, where: str):
    return plain(m.text).replace("\n", " ") or None


def _mask_words(m: R.Mask, panel: R.Panel, where: str):
    # An unnamed mask only dims what the marks under it show; a named one says what it covers:
    # whole rows (a flow's losses without a target) by their count, else its cells.
    if not m.label or not m.where.any():
        return None
    rows = m.where.all(axis=1)
    if np.array_equal(m.where, np.broadcast_to(rows[:, None], m.where.shape)):
        return f"{plain(m.label)} in {int(rows.sum())} of {rows.size} rows"
    return f"{plain(m.label)} in {int(m.where.sum())} of {m.where.size} cells"


#: Every mark type of :data:`bpttviz.figures.MARKS` and its describer; None: never described
#: (bands and rules shade or mark what other marks show).
DESCRIBERS = {"Line": _line_words, "Band": None, "Points": _counted_words, "Rects": _rects_words,
              "Segments": _counted_words, "Heatmap": _heatmap_words, "Mask": _mask_words,
              "Rule": None, "Text": _text_words}
#: Mark types whose words are notes: read when a panel has a few, counted when it has many.
_NOTES = {"Text"}


def _panel_text(panel: R.Panel) -> str:
    parts, texts = [], []
    title = plain(panel.title)
    xlabel, ylabel = plain(panel.x.label), plain(panel.y.label)
    where = _position_name(xlabel)
    for m in panel.marks:
        kind = type(m).__name__
        describe = DESCRIBERS[kind]
        words = describe(m, panel, where) if describe is not None else None
        if words:
            (texts if kind in _NOTES else parts).append(words)
    # A diagram's many labels (a node each) are named by their count, a plot's few notes read.
    parts += texts if len(texts) <= 4 else [f"{len(texts)} labels"]
    head = title or ylabel or "A plot"
    axes = f" ({xlabel} across, {ylabel} up)" if xlabel and ylabel else ""
    return f"{head}{axes}: " + ("; ".join(parts) if parts else "no data shown") + "."


def figure_text(fig: R.Figure) -> str:
    """What a figure shows, from its record: each panel's title, lines, colour maps and marks.

    For figures without a sentence of their own.
    """
    texts = [_panel_text(p) for p in fig.panels]
    text = " ".join(t for t in texts if t)
    return text if len(text) <= MAX_CHARS else text[:MAX_CHARS - 1].rstrip() + "…"
