"""Projector mode and the layout that reflows: a lesson readable from the back of a lecture hall.

Projector mode (a toggle on every lesson, or ``?projector=1``) sets every text
of the lesson in type of at least 18 px, thickens lines and slider handles,
raises the contrast of the controls, and draws the figures bigger: type,
lines and size :data:`FIGURE_SCALE` times (the live figures' ``scale``).

All of it is a style sheet scoped under the app's own classes
(``.bpttviz-app.bpttviz-projector``), shown by an HTML widget, so it works
wherever the widgets do: Voilà and JupyterLab alike, with no template.
:class:`ProjectorMode` is the app's side: the toggle, the figures' scale and
the class that switches the style sheet.

The same style sheet lays the lesson out (:data:`LAYOUT_CSS`): the figures
sit beside the controls while two figures at their narrowest fit there, two
per row; where the page is narrower still (a narrow JupyterLab notebook) the
figures go under the controls. Nothing in the lesson scrolls by itself: the
page scrolls, once, and a lesson scrolled into view shows its controls, its
buttons and its first row of figures on a 1280x800 laptop and on a 1024x768
projector in projector mode (the guided steps and the page's link come after
the buttons). A live figure draws itself at the width its place allows (never
below :data:`FIGURE_MIN` pixels), so a narrower figure is a smaller one,
never a cut one.
"""

from __future__ import annotations

import ipywidgets as widgets

from ..figures import FIGURE_PX
from ..upstream.ipywidgets_classes import classed

__all__ = ["FIGURE_SCALE", "FIGURE_MIN", "LAYOUT_CSS", "PROJECTOR_CSS", "parse_projector",
           "ProjectorMode"]

#: How much bigger figures are drawn in projector mode (type, lines and size alike): 12-point
#: type becomes 20 px, 11-point tick labels 18 px.
FIGURE_SCALE = 1.2
#: The narrowest a figure is drawn (pixels): below, labels would crowd the data.
FIGURE_MIN = 360
#: The controls' column (pixels), in normal and in projector mode.
CONTROLS_PX = 320
PROJECTOR_CONTROLS_PX = 470

#: The layout, in every mode.
LAYOUT_CSS = f"""
.bpttviz-app.bpttviz-layout {{ container-type: inline-size; display: flex;
  flex-flow: row wrap !important; align-items: flex-start !important; gap: 8px 16px;
  max-width: 100%; overflow: visible; }}
.bpttviz-app .bpttviz-controls {{ flex: 0 0 {CONTROLS_PX}px; width: {CONTROLS_PX}px;
  overflow: visible; }}
.bpttviz-app .bpttviz-controls > * {{ flex-shrink: 0; }}
.bpttviz-app .bpttviz-figures {{ display: flex; flex-flow: row wrap !important;
  flex: 1 1 {FIGURE_MIN}px; min-width: {FIGURE_MIN}px; max-width: 100%; gap: 4px 8px;
  align-items: flex-start; overflow: visible; }}
.bpttviz-app .bpttviz-figure {{ flex: 1 1 {FIGURE_MIN}px; min-width: {FIGURE_MIN}px;
  max-width: {FIGURE_PX[0]}px; overflow: visible; }}
.bpttviz-app .bpttviz-figure.bpttviz-figure-wide {{ flex-basis: 100%; max-width: 100%; }}
.bpttviz-app .bpttviz-live {{ display: block; }}
.bpttviz-app .bpttviz-live-note {{ display: none; color: #B34E00; font-size: 14px; }}
.bpttviz-app.bpttviz-projector .bpttviz-controls {{ flex-basis: {PROJECTOR_CONTROLS_PX}px !important; }}
.bpttviz-app.bpttviz-projector .bpttviz-figure {{ max-width: {round(FIGURE_PX[0] * FIGURE_SCALE)}px;
  flex-basis: {round(FIGURE_MIN * FIGURE_SCALE)}px; min-width: {round(FIGURE_MIN * FIGURE_SCALE)}px; }}
.bpttviz-app.bpttviz-projector .bpttviz-figure.bpttviz-figure-wide {{ flex-basis: 100%;
  max-width: 100%; }}
/* JupyterLab's output area scrolls sideways by itself, which would hold the controls in it:
   an output that shows a lesson lets the notebook scroll. */
.jp-OutputArea:has(.bpttviz-app), .jp-OutputArea-output:has(.bpttviz-app),
.jp-OutputArea-child:has(.bpttviz-app) {{ overflow: visible !important; }}
"""

_ON = {"1", "true", "yes", "on"}
_OFF = {"0", "false", "no", "off", ""}

#: Type, contrast and sizes in projector mode (after the layout, :data:`LAYOUT_CSS`).
PROJECTOR_CSS = LAYOUT_CSS + """
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
.bpttviz-app.bpttviz-projector .bpttviz-saver { flex-wrap: wrap; height: auto !important; }
.bpttviz-app.bpttviz-projector .widget-slider .widget-readout { line-height: 36px !important; }

/* The notebook that shows a lesson in projector mode: its narrative in large type too. */
.jp-Notebook:has(.bpttviz-app.bpttviz-projector) {
  --jp-content-font-size1: 20px; --jp-content-font-size0: 18px; --jp-code-font-size: 18px;
  --jp-ui-font-size0: 18px; --jp-ui-font-size1: 18px;
}
.jp-Notebook:has(.bpttviz-app.bpttviz-projector) .jp-RenderedMarkdown { font-size: 20px; }
.jp-Notebook:has(.bpttviz-app.bpttviz-projector) .jp-RenderedMarkdown * {
  font-size: max(18px, 1em); }
/* The lecture hall's page of a lesson in projector mode: its narrative in large type too
   (its code too, which Solara's style sets in 14 px, important). */
.bpttviz-page:has(.bpttviz-app.bpttviz-projector) .bpttviz-narrative { font-size: 20px; }
.bpttviz-page:has(.bpttviz-app.bpttviz-projector) .bpttviz-narrative * {
  font-size: max(18px, 1em) !important; }
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


class ProjectorMode:
    """Projector mode of a lesson's page: its toggle and what it changes.

    Parameters
    ----------
    set_scale : callable
        ``set_scale(scale)``: draws the figures ``scale`` times bigger.
    root : callable
        ``root()``: the page's root widget (None while it is being built), which gets the
        ``bpttviz-projector`` class.
    attempt : callable
        ``attempt(action, what)``: runs the toggle's action, an error shown in the page.

    Attributes
    ----------
    on : bool
        Whether the lesson is in projector mode.
    toggle : ipywidgets.ToggleButton
        The page's switch.
    """

    def __init__(self, set_scale, root, attempt):
        self.set_scale, self.root = set_scale, root
        self.on = False
        self.toggle = classed(
            widgets.ToggleButton, "bpttviz-projector-toggle",
            value=False, description="Projector mode", icon="television",
            tooltip="Large type, thick lines, high contrast and bigger figures for a projector",
            layout=widgets.Layout(width="auto"))
        self.toggle.observe(lambda change: attempt(lambda: self.set(change["new"]),
                                                   "switch projector mode"), names="value")

    def set(self, on: bool):
        """Turn projector mode on or off: large type, thick lines, bigger figures."""
        on = bool(on)
        if on != self.on:
            self.on = on
            self.set_scale(FIGURE_SCALE if on else 1.0)
        self.show()

    def apply(self, page) -> list:
        """Set the mode a page's link asks for (:class:`~bpttviz.app.query.PageQuery`; absent:
        off); return the problems."""
        self.set(page.projector)
        return [page.projector_problem] if page.projector_problem else []

    def show(self):
        """Make the page show the current mode (the toggle, the root's class)."""
        if self.toggle.value != self.on:
            self.toggle.value = self.on
        root = self.root()
        if root is None:
            return
        if self.on:
            root.add_class("bpttviz-projector")
        else:
            root.remove_class("bpttviz-projector")
