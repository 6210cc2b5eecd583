"""What makes a lesson usable with a keyboard and a screen reader, in Voilà and in JupyterLab.

* Every figure has a text alternative (:mod:`bpttviz.figures.alt_text`), kept up to date
  by the app (:class:`TextAlternatives`) as its live figure's
  ``description``: the page shows the figure as an image (``role="img"``)
  named by that text, and the same text in a visually hidden polite live
  region beside it, read out when it changes.
* ipywidgets 8 does not link a slider's visible label to its handle
  (``[role=slider]``), and the Play widget's buttons are icons without names.
  No widget option reaches those elements, so a small script names them: a
  slider's handle after its label (which carries the unit, e.g. "T (steps)"),
  an icon-only button after its icon or its tooltip. It hides every button's
  icon from assistive technology (``aria-hidden``): the icon font's glyph is
  a private-use character, which a screen reader would otherwise read as part
  of the name ("\\uf04b Train" for Train). It runs again whenever
  the page's widgets change (a ``MutationObserver``), in any page that shows
  a lesson: Voilà's and JupyterLab's alike, as both render an HTML widget's
  markup unchanged.
* Status text uses darker shades of the Okabe & Ito hues, with a contrast of
  at least 4.5:1 on white (WCAG 2.1, success criterion 1.4.3).

References: W3C (2018), "Web Content Accessibility Guidelines (WCAG) 2.1";
W3C (2019), "WAI-ARIA Authoring Practices 1.1", slider pattern.
"""

from __future__ import annotations

import html
import traceback

from ..figures.alt_text import figure_text

__all__ = ["TEXT_COLOURS", "ACCESS_SCRIPT", "ACCESS_CSS", "access_markup", "TextAlternatives"]

#: Okabe & Ito hues darkened until text in them reaches 4.5:1 on white (green 5.4, orange 5.4,
#: vermillion 5.2; the plain hues give 3.4, 2.3 and 3.9).
TEXT_COLOURS = {"green": "#007A59", "orange": "#8F6200", "vermillion": "#B34E00"}

#: Names a script gives to what ipywidgets leaves unnamed; idempotent, re-run on DOM changes.
ACCESS_SCRIPT = r"""(function () {
  var ICONS = {'fa-play': 'Play', 'fa-pause': 'Pause', 'fa-stop': 'Stop',
               'fa-retweet': 'Repeat', 'fa-repeat': 'Repeat', 'fa-download': 'Download'};
  function name(el, text) {
    text = (text || '').replace(/\s+/g, ' ').trim();
    if (text && el.getAttribute('aria-label') !== text) el.setAttribute('aria-label', text);
  }
  function fix() {
    document.querySelectorAll('.bpttviz-app .widget-slider, .bpttviz-app .widget-hslider')
      .forEach(function (box) {
        var label = box.querySelector('.widget-label');
        var text = label ? label.textContent : '';
        box.querySelectorAll('[role=slider]').forEach(function (h) { name(h, text); });
        box.querySelectorAll('.widget-readout').forEach(function (r) {
          name(r, text + ', value'); });
      });
    document.querySelectorAll('.bpttviz-app button').forEach(function (b) {
      // An icon is a private-use glyph of the icon font: out of the button's name.
      b.querySelectorAll('i, .fa').forEach(function (i) {
        if (i.getAttribute('aria-hidden') !== 'true') i.setAttribute('aria-hidden', 'true'); });
      if (b.textContent.trim()) return;
      var icon = b.querySelector('i');
      var known = icon && Object.keys(ICONS).find(function (c) {
        return icon.classList.contains(c); });
      name(b, b.getAttribute('title') || (known && ICONS[known]) || 'button');
    });
  }
  var queued = false;
  function later() {
    if (queued) return;
    queued = true;
    requestAnimationFrame(function () { queued = false; fix(); });
  }
  if (!window.__bpttvizAccess) {
    window.__bpttvizAccess = fix;
    new MutationObserver(later).observe(document.body,
      {childList: true, subtree: true, characterData: true});
  }
  fix();
})();"""

#: Visually hidden but read: the text alternatives of the figures. Coloured buttons' white
#: labels at 5.1:1 or more (ipywidgets' own green gives 2.8:1, its blue 3.1:1): green 5.4:1,
#: Okabe & Ito's blue 5.2:1, a darker vermillion 5.5:1 and a darker orange 5.8:1.
ACCESS_CSS = """
.bpttviz-app .bpttviz-alt { position: absolute !important; width: 1px !important;
  height: 1px !important; overflow: hidden !important; clip: rect(0 0 0 0) !important;
  clip-path: inset(50%) !important; white-space: nowrap !important; margin: 0 !important; }
.bpttviz-app .jupyter-button.mod-success { background-color: #007A59 !important;
  color: #fff !important; }
.bpttviz-app .jupyter-button.mod-info, .bpttviz-app .jupyter-button.mod-primary {
  background-color: #0072B2 !important; color: #fff !important; }
.bpttviz-app .jupyter-button.mod-danger { background-color: #B34700 !important;
  color: #fff !important; }
.bpttviz-app .jupyter-button.mod-warning { background-color: #8F5A00 !important;
  color: #fff !important; }
"""


def access_markup() -> str:
    """The script above, as markup an HTML widget runs wherever it is shown.

    An HTML widget's value is set as the element's ``innerHTML``, where a
    ``<script>`` does not run but an image's ``onerror`` does; the image is
    an empty ``data:`` URL, fails at once, and is hidden from everyone.
    """
    handler = html.escape(ACCESS_SCRIPT, quote=True)
    return (f'<img src="data:," alt="" aria-hidden="true" style="display:none" '
            f'onerror="{handler}">')


class TextAlternatives:
    """The text alternatives of a lesson's figures.

    Parameters
    ----------
    figures : dict of str -> LiveFigure
        The figures described (each gets its text as ``description``).
    own : callable
        ``own(result, values) -> {name: text}``: the lesson's own wording of
        some figures (:meth:`bpttviz.lessons.Lesson.describe_figures`); the
        others are described from their records
        (:func:`bpttviz.figures.alt_text.figure_text`).
    state : callable
        ``state() -> (result, values)``: the last ones, used when none are given.
    on_error : callable
        ``on_error(traceback_text)``: an error of ``own`` is kept there, and the
        description from the record used instead.

    Attributes
    ----------
    text : dict of str -> str
        What each figure shows now, in words (also each live figure's ``description``).
    """

    def __init__(self, figures, own, state, on_error):
        self.figures, self.own, self.state, self.on_error = figures, own, state, on_error
        self.text = {name: "" for name in figures}

    def texts(self, names, result=None, values=None, records=None) -> dict:
        """``{name: text}`` for figures ``names``, from ``records`` (default: what the page
        shows), ``result`` and ``values`` (default: the last ones)."""
        own = {}
        try:
            if result is None or values is None:
                last_result, last_values = self.state()
                result = last_result if result is None else result
                values = last_values if values is None else values
            if result is not None:
                own = self.own(result, values)
        except Exception:
            self.on_error(traceback.format_exc())
        out = {}
        for name in names:
            record = (records or {}).get(name) or self.figures[name].record
            if record is not None:
                out[name] = own.get(name) or figure_text(record)
        return out

    def refresh(self, names=None, result=None, values=None):
        """Recompute the text alternatives of figures ``names`` (default all) from what they
        show."""
        names = list(self.figures if names is None else names)
        for name, text in self.texts(names, result, values).items():
            if text != self.text[name]:
                self.text[name] = text
                self.figures[name].description = text
