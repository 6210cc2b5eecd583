"""Drawing a figure over a cached background: its ticks rendered once, then only what moves.

The axes' ticks, tick labels and axis labels are most of the cost of drawing
a Matplotlib figure, and the lessons' updates change them only with the
limits (which move in coarse steps, :func:`~bpttviz.plots.style.whole_decades`). A
canvas can therefore keep them as a rendered background and draw the rest
over it: the blitting recipe of Matplotlib's animation guide, applied to
every redraw (:class:`bpttviz.app.canvas.LessonCanvas`).
"""

from __future__ import annotations

from contextlib import contextmanager

__all__ = ["split_for_blitting", "draw_moving", "hidden"]


def split_for_blitting(fig):
    """``(static, moving)`` parts of ``fig`` for drawing it over a cached background.

    ``static`` describes what the background shows: each axes' face and its
    two axes of ticks (tick marks, tick labels, axis labels). It holds each
    axes' place, limits, scales and axis labels and the identity of its
    artists; two equal descriptions render the same background. ``moving``
    lists every other artist of the axes (data, titles, spines, legends,
    inset axes): what must be hidden while the background is rendered and
    drawn over it afterwards (:func:`draw_moving`).
    """
    from matplotlib.axis import Axis

    static, moving = [], []
    for ax in fig.axes:
        children = ax.get_children()
        static.append((ax.get_position().bounds, ax.get_xlim(), ax.get_ylim(), ax.get_xscale(),
                       ax.get_yscale(), ax.get_visible(), ax.axison, ax.get_xlabel(),
                       ax.get_ylabel(), tuple(id(c) for c in children)))
        moving.extend(c for c in children if c is not ax.patch and not isinstance(c, Axis))
    static.append(tuple((id(t), t.get_text()) for t in fig.texts))
    return tuple(static), moving


def draw_moving(fig, renderer):
    """Draw every axes of ``fig`` except its face and ticks, in the figure's order.

    Each axes draws itself (so titles, insets and z-order are placed as in a
    full draw) with its face and its two axes of ticks hidden.
    """
    for ax in sorted(fig.axes, key=lambda a: a.get_zorder()):
        if ax.get_visible():
            with hidden((ax.patch, ax.xaxis, ax.yaxis)):
                ax.draw(renderer)


@contextmanager
def hidden(artists):
    """Within the block, the visible ones of ``artists`` are hidden."""
    shown = [a for a in artists if a.get_visible()]
    for a in shown:
        a.set_visible(False)
    try:
        yield
    finally:
        for a in shown:
            a.set_visible(True)
