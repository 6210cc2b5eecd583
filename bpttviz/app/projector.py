"""Projector mode and the layout that reflows: a lesson readable from the back of a lecture hall.

Projector mode (a toggle on every lesson, or ``?projector=1``) sets every text
of the lesson in type of at least 18 px, thickens lines and slider handles,
raises the contrast of the controls, and redraws the figures bigger: the
same figure at a higher resolution (:data:`FIGURE_SCALE` times the pixels
per inch), so its type and lines grow with it and its layout stays as it is.

All of it is a style sheet scoped under the app's own classes
(``.bpttviz-app.bpttviz-projector``), shown by an HTML widget, so it works
wherever the widgets do: Voilà and JupyterLab alike, with no template.
:class:`ProjectorMode` is the app's side: the toggle, the figures' scale and
the class that switches the style sheet.

The same style sheet makes the layout reflow: the figures sit beside the
controls while there is room and go under them when there is not (a narrow
JupyterLab notebook, a 1024-pixel projector), and wrap one per row when
one is all that fits; in projector mode a figure wider than the page is
shrunk to the page's width rather than cut off.
"""

from __future__ import annotations

import ipywidgets as widgets

from ..upstream.matplotlib_canvas import set_base_dpi

__all__ = ["FIGURE_SCALE", "PROJECTOR_CSS", "parse_projector", "scale_figure", "ProjectorMode"]

#: How much bigger figures are drawn in projector mode (resolution, type and lines alike):
#: 12-point type becomes 20 px, 11-point tick labels 18 px. A redraw's time grows with the
#: pixels (1.2² = 1.44 times as many), so the scale is no larger than those sizes need (what
#: each mode costs: ``docs/benchmarks.md``). 1.2 times a multiple of 25 px is a whole number
#: of pixels (25 px -> 30 px), as the figures' sizes are.
FIGURE_SCALE = 1.2

_ON = {"1", "true", "yes", "on"}
_OFF = {"0", "false", "no", "off", ""}

#: Reflow in every mode; type, contrast and sizes in projector mode.
PROJECTOR_CSS = """
.bpttviz-app.bpttviz-layout { flex-flow: row wrap !important; gap: 8px 16px; max-width: 100%; }
.bpttviz-app .bpttviz-figures { flex-flow: row wrap !important; min-width: 0; max-width: 100%; }
.bpttviz-app .bpttviz-controls { flex: 0 0 auto; }

.bpttviz-app.bpttviz-projector {
  --jp-widgets-font-size: 18px; --jp-ui-font-size1: 18px; --jp-content-font-size1: 18px;
  --jp-widgets-inline-height: 36px; --jp-widgets-slider-handle-size: 22px;
  --jp-widgets-slider-track-thickness: 6px; --jp-widgets-slider-border-width: 2px;
  --jp-widgets-input-border-width: 2px; --jp-widgets-inline-label-width: 190px;
  --jp-widgets-input-color: #000; --jp-widgets-label-color: #000; --jp-widgets-readout-color: #000;
  --jp-widgets-slider-handle-border-color: #000; --jp-widgets-slider-active-handle-color: #0072B2;
  --jp-widgets-input-border-color: #000; --jp-border-color1: #000;
  color: #000; font-size: 18px; line-height: 1.4;
}
.bpttviz-app.bpttviz-projector,
.bpttviz-app.bpttviz-projector * { font-size: 18px !important; }
.bpttviz-app.bpttviz-projector .widget-label,
.bpttviz-app.bpttviz-projector .widget-readout,
.bpttviz-app.bpttviz-projector .widget-html-content,
.bpttviz-app.bpttviz-projector button,
.bpttviz-app.bpttviz-projector select { color: #000; line-height: 1.4 !important; }
.bpttviz-app.bpttviz-projector .bpttviz-controls { width: 470px !important;
  min-width: 0 !important; max-width: 100%; }
.bpttviz-app.bpttviz-projector .bpttviz-controls .widget-inline-hbox,
.bpttviz-app.bpttviz-projector .bpttviz-controls .widget-progress {
  width: 460px !important; max-width: 100%; height: auto !important; }
.bpttviz-app.bpttviz-projector .bpttviz-controls .widget-label {
  width: 190px !important; min-width: 190px !important; white-space: normal !important;
  overflow: visible !important; height: auto !important; }
.bpttviz-app.bpttviz-projector .widget-readout { min-width: 64px !important;
  width: auto !important; overflow: visible !important; }
.bpttviz-app.bpttviz-projector .widget-slider .noUi-handle {
  border: 2px solid #000 !important; }
.bpttviz-app.bpttviz-projector button { height: auto !important; min-height: 36px;
  border: 2px solid #000 !important; padding: 2px 10px; }
.bpttviz-app.bpttviz-projector a { color: #003f7a !important;
  text-decoration: underline !important; }
.bpttviz-app.bpttviz-projector .bpttviz-figures > * { max-width: 100%; }
.bpttviz-app.bpttviz-projector .jupyter-matplotlib-figure,
.bpttviz-app.bpttviz-projector .jupyter-matplotlib-canvas-div { max-width: 100%; }
.bpttviz-app.bpttviz-projector .jupyter-matplotlib-canvas-div canvas {
  max-width: 100% !important; height: auto !important; }
.bpttviz-app.bpttviz-projector .bpttviz-saver { flex-wrap: wrap; height: auto !important; }
.bpttviz-app.bpttviz-projector .bpttviz-saver button { width: auto !important; }
.bpttviz-app.bpttviz-projector .widget-slider .widget-readout { line-height: 36px !important; }

/* The notebook that shows a lesson in projector mode: its narrative in large type too. */
.jp-Notebook:has(.bpttviz-app.bpttviz-projector) {
  --jp-content-font-size1: 20px; --jp-content-font-size0: 18px; --jp-code-font-size: 18px;
  --jp-ui-font-size0: 18px; --jp-ui-font-size1: 18px;
}
.jp-Notebook:has(.bpttviz-app.bpttviz-projector) .jp-RenderedMarkdown { font-size: 20px; }
.jp-Notebook:has(.bpttviz-app.bpttviz-projector) .jp-RenderedMarkdown * {
  font-size: max(18px, 1em); }
"""


def parse_projector(text: str) -> bool:
    """Whether ``?projector=<text>`` asks for projector mode.

    ``1, true, yes, on`` (any case) turn it on, ``0, false, no, off`` or an
    empty value leave it off; anything else raises ``ValueError`` naming the
    allowed values and what was received.
    """
    value = str(text).strip().lower()
    if value in _ON:
        return True
    if value in _OFF:
        return False
    raise ValueError(f"projector must be 1 or 0 (also true/false, yes/no, on/off). "
                     f"Got {text!r} instead.")


def scale_figure(fig, scale: float, base_dpi: float = 100.0):
    """Draw ``fig`` at ``scale`` times ``base_dpi``: type, lines and pixels grow, layout stays.

    The figure keeps its size in inches; its canvas (in the browser) grows by
    ``scale``. A browser's device pixel ratio stays applied on top: Matplotlib
    multiplies the figure's base resolution by it
    (:func:`bpttviz.upstream.matplotlib_canvas.set_base_dpi`).
    """
    if not scale > 0:
        raise ValueError(f"scale must be a positive number. Got {scale!r} instead.")
    ratio = getattr(fig.canvas, "device_pixel_ratio", 1) or 1
    set_base_dpi(fig, base_dpi * scale)
    fig.set_dpi(base_dpi * scale * ratio)
    return fig


class ProjectorMode:
    """Projector mode of a :class:`~bpttviz.app.base.LessonApp`: its toggle and what it changes.

    Parameters
    ----------
    app : LessonApp
        Its figures are scaled, its root widget (``app.widget``) gets the
        ``bpttviz-projector`` class and its figure area (``app.figure_area``)
        the width of two figures, once they exist.

    Attributes
    ----------
    on : bool
        Whether the lesson is in projector mode.
    toggle : ipywidgets.ToggleButton
        The page's switch.
    """

    def __init__(self, app):
        self.app = app
        self.on = False
        self.toggle = widgets.ToggleButton(
            value=False, description="Projector mode", icon="television",
            tooltip="Large type, thick lines, high contrast and bigger figures for a projector",
            layout=widgets.Layout(width="auto"))
        self.toggle.add_class("bpttviz-projector-toggle")
        self.toggle.observe(lambda change: app.attempt(lambda: self.set(change["new"]),
                                                       "switch projector mode"), names="value")

    def set(self, on: bool):
        """Turn projector mode on or off: large type, thick lines, bigger figures."""
        on = bool(on)
        app = self.app
        if on != self.on:
            self.on = on
            for name, fig in app.figures.items():
                scale_figure(fig, FIGURE_SCALE if on else 1.0)
                app.canvases[name].forget_background()
                app.canvases[name].draw_idle()
        self.show()

    def apply(self, page) -> list:
        """Set the mode a page's link asks for (:class:`~bpttviz.app.query.PageQuery`; absent:
        off); return the problems."""
        self.set(page.projector)
        return [page.projector_problem] if page.projector_problem else []

    def show(self):
        """Make the page show the current mode (the toggle, the app's class, the layout)."""
        if self.toggle.value != self.on:
            self.toggle.value = self.on
        widget = getattr(self.app, "widget", None)
        if widget is None:
            return
        if self.on:
            widget.add_class("bpttviz-projector")
        else:
            widget.remove_class("bpttviz-projector")
        area = getattr(self.app, "figure_area", None)
        if area is not None:
            area.layout.flex = f"1 1 {self.figures_width()}px"

    def figures_width(self) -> int:
        """Width in pixels of the figure area beside the controls: two figures (or the widest)."""
        widths = [fig.get_size_inches()[0] * 100 for fig in self.app.figures.values()]
        scale = FIGURE_SCALE if self.on else 1.0
        two = 2 * min(widths) + 8 if len(widths) > 1 else 0
        return int(scale * max(max(widths), two))
