"""Teacher links: a lesson's link that hides some controls and fixes others.

``?hide=seed,hidden&lock=T`` shows the lesson without the ``seed`` and
``hidden`` controls and with ``T`` fixed at the value the link gives it
(TensorFlow Playground's classroom links hide controls the same way). Names
are those of the query string; a control's symbol from its label is also
understood (``H`` for ``H (hidden units)``). ``class_link`` in ``hide`` hides
the "Link for my class" panel, which every link the panel makes does.

A fixed control is shown disabled, but ``disabled`` is only a hint to the
browser: a crafted widget message can still ask the kernel for a new value.
So the kernel checks: the control's widget is locked
(:class:`~bpttviz.app.controls.Lockable`: its value is validated to stay at
the fixed value whatever sets it, and a state update from the browser is
refused and answered with the kernel's state), and a change of another
control that would put a fixed value out of its range (for example ``T``
below a fixed ``k1``) is undone. Each refusal is said in the page.

Everything here can be applied again after the app is built
(:meth:`TeacherLinks.apply` undoes the previous link's choices first), as a
kernel started before the request needs.
"""

from __future__ import annotations

import difflib
import html
from urllib.parse import urlencode

import ipywidgets as widgets

from ..upstream.ipywidgets_classes import classed
from .controls import widget_range
from .notices import notice_html

__all__ = ["TeacherLinks", "PANEL_NAME", "CHOICES", "PAUSED"]

#: The name that hides the "Link for my class" panel in ``hide=``.
PANEL_NAME = "class_link"
#: What the panel offers for each control: (label, choice).
CHOICES = (("students may change it", "change"), ("shown, fixed", "fixed"), ("hidden", "hidden"))
_LOCKED_CLASS = "bpttviz-locked"
#: What a page paused by the lecturer says (:mod:`.class_teaching`).
PAUSED = "Paused by the lecturer"

# Copies the link beside the button: the clipboard API where the page is a secure context
# (https or localhost), else the selection with execCommand, which Chromium and Firefox still
# honour on plain http; the text field stays selectable either way.
_COPY_JS = ("const b=this.parentElement,i=b.querySelector('input'),"
            "s=b.querySelector('.bpttviz-copied');i.focus();i.select();"
            "const done=(ok)=>{s.textContent=ok?'Copied.':'Select the link and copy it.';};"
            "if(navigator.clipboard&&window.isSecureContext){navigator.clipboard"
            ".writeText(i.value).then(()=>done(true),()=>done(document.execCommand('copy')));}"
            "else{done(document.execCommand('copy'));}")


def _symbol(label: str) -> str:
    """A label's leading symbol: "H (hidden units)" -> "H"."""
    return label.split(" (")[0].strip()


class TeacherLinks:
    """The page options ``hide`` and ``lock`` of a lesson's page, and its "Link for my class"
    panel.

    Parameters
    ----------
    controls : ControlPanel
        The controls hidden or fixed (:class:`~bpttviz.app.values.ControlPanel`). Build
        this before the page registers its own observers on the controls, so a change
        that a fixed control forbids is undone before the page sees it.
    link_settings : callable
        ``link_settings(values) -> [(name, text), ...]``: the settings a link carries.
    link_url : callable
        ``link_url(query) -> str``: the page's address with ``query``.
    attempt : callable
        ``attempt(action, what)``: runs a panel action, an error shown in the page.
    on_fixed : callable
        ``on_fixed(names)``: told the controls fixed now, each time they change.

    Attributes
    ----------
    hidden : tuple of str
        Controls hidden now (control order).
    panel_hidden : bool
        Whether the link hides the "Link for my class" panel.
    refusals : list of str
        What was refused, newest last (the latest 20; the newest is shown in the page).
    notice : ipywidgets.HTML
        Says which controls are fixed and what was refused.
    panel : ipywidgets.VBox
        The "Link for my class" panel (collapsed; its choices are built when
        first opened, so a student's page costs no extra widgets).
    """

    def __init__(self, controls, link_settings, link_url, attempt, on_fixed):
        self.controls = controls
        self.link_settings, self.link_url = link_settings, link_url
        self.attempt, self.on_fixed = attempt, on_fixed
        self.hidden = ()
        self.panel_hidden = False
        self.refusals = []
        self._reverting = False
        self._checking = False
        self._symbols = {}
        spec = controls.spec
        symbols = [_symbol(c.label) for c in controls.controls]
        for c, s in zip(controls.controls, symbols):
            if s != c.name and symbols.count(s) == 1 and s not in spec:
                self._symbols[s] = c.name
        if PANEL_NAME in spec:
            raise ValueError(f"A lesson control may not be named {PANEL_NAME!r}: the name "
                             f"hides the class-link panel in hide=.")
        self.notice = classed(widgets.HTML, "bpttviz-lock-notice")
        for name, w in controls.widgets.items():
            self._guard(name, w)
        self.choices = {}
        self.made = classed(widgets.HTML, "bpttviz-class-link-made")
        self.toggle = widgets.ToggleButton(
            value=False, description="Link for my class", icon="link",
            tooltip="Choose which controls your students see and may change, and copy the link",
            layout=widgets.Layout(width="auto"))
        self.body = widgets.VBox([self.made], layout=widgets.Layout(display="none",
                                                                    width="310px"))
        self.toggle.observe(self._toggled, names="value")
        self.panel = classed(widgets.VBox, "bpttviz-class-link",
                             children=[self.toggle, self.body])

    # -- the kernel's side of a fixed control ------------------------------------------------
    @property
    def locked(self) -> dict:
        """Controls fixed now and the value each is fixed at (control order)."""
        return {name: w.locked_value for name, w in self.controls.widgets.items() if w.locked}

    def _guard(self, name, w):
        """Say each refusal of the control's locked widget, and keep fixed controls in range."""
        w.on_refusal = lambda asked, request: self._refused(name, asked, request)
        w.observe(lambda change: self._keep_fixed_in_range(name, change), names="value")

    def _refused(self, name, asked, request):
        if not self._checking:          # the lesson's own range rule: see _keep_fixed_in_range
            self._refuse(name, asked, request)

    def _refuse(self, name, asked, request=None):
        spec = self.controls.spec[name]
        if request is None:
            try:
                request = f"set it to {spec.format(asked)}"
            except (TypeError, ValueError):
                request = f"set it to {asked!r}"
        w = self.controls.widgets[name]
        if w.paused and not w.locked:
            self._say(f"{PAUSED}: {spec.label} stays at {spec.format(w.paused_value)}; a "
                      f"request to {request} was refused.")
            return
        self._say(f"{spec.label} is fixed at {spec.format(self.locked[name])} for this class; "
                  f"a request to {request} was refused.")

    def _keep_fixed_in_range(self, name, change):
        """Undo a change of ``name`` that puts a fixed control outside its range."""
        if self._reverting or not self.locked or name in self.locked:
            return
        controls = self.controls
        self._checking = True
        try:
            controls.constrain()
        finally:
            self._checking = False
        broken = [n for n in self.locked if not self._in_range(n)]
        if not broken:
            return
        self._reverting = True
        try:
            self._checking = True
            with controls.hold():
                controls.widgets[name].value = change.old
            controls.constrain()
        finally:
            self._reverting = self._checking = False
        spec, fixed = controls.spec[name], controls.spec[broken[0]]
        self._say(f"{spec.label} = {spec.format(change.new)} would put {fixed.label} "
                  f"(fixed at {fixed.format(self.locked[broken[0]])} for this class) out of its "
                  f"range; {spec.label} stays at {spec.format(change.old)}.")

    def _in_range(self, name):
        w = self.controls.widgets[name]
        try:
            self.controls.spec[name].check(w.value, *widget_range(w))
        except ValueError:
            return False
        return True

    def _say(self, refusal=None):
        if refusal:
            self.refusals = self.refusals[-19:] + [refusal]
        lines = []
        if self.locked:
            spec = self.controls.spec
            lines.append("Fixed for this class: " + ", ".join(
                f"{spec[n].label} = {spec[n].format(v)}" for n, v in self.locked.items()) + ".")
        if refusal:
            lines.append(refusal)
        self.notice.value = notice_html(lines, "info")

    # -- applying a link -----------------------------------------------------------------------
    def resolve(self, page, key: str, parts: bool = False):
        """The control names that a page's ``hide`` or ``lock`` (``key``) asks for, and a note
        for each unknown one.

        Returns ``(names, problems)``: names in the lessons' control order
        (``class_link`` last when ``parts``), problems as sentences.
        """
        found, problems = set(), []
        text = page.options.get(key)
        allowed = list(self.controls.spec) + ([PANEL_NAME] if parts else [])
        for name in getattr(page, key):
            target = self._symbols.get(name, name)
            if target in allowed:
                found.add(target)
                continue
            close = difflib.get_close_matches(name, allowed + list(self._symbols), n=1)
            hint = f" Did you mean {self._symbols.get(close[0], close[0])}?" if close else ""
            problems.append(f"{key}={text}: {name} is not a control of this lesson.{hint} "
                            f"({key} takes {', '.join(allowed)}.)")
        return [n for n in allowed if n in found], problems

    def release(self):
        """Show and free every control again, as with no ``hide``/``lock`` in the link."""
        widgets = self.controls.widgets
        freed = list(self.locked)
        for name in freed:
            widgets[name].unlock()
            widgets[name].disabled = False
            widgets[name].remove_class(_LOCKED_CLASS)
        for name in self.hidden:
            widgets[name].layout.display = None
        self.hidden = ()
        self.panel_hidden = False
        self.panel.layout.display = None
        if freed:
            self.controls.constrain()   # a lesson's own rules for disabling controls come back
        self.on_fixed(frozenset())
        self._say()

    def apply(self, page) -> list:
        """Hide and fix what a page's ``hide`` and ``lock`` name; return the problems.

        ``page`` is the :class:`~bpttviz.app.query.PageQuery` of the link.
        Undoes the previous choices first; a control is fixed at the value it
        has now, so apply the link's settings before. Unknown names are left
        out and reported (one sentence each).
        """
        self.release()
        hide, problems = self.resolve(page, "hide", parts=True)
        lock, more = self.resolve(page, "lock")
        widgets = self.controls.widgets
        self.panel_hidden = PANEL_NAME in hide
        self.hidden = tuple(n for n in hide if n != PANEL_NAME)
        for name in self.hidden:
            widgets[name].layout.display = "none"
        if self.panel_hidden:
            self.panel.layout.display = "none"
        for name in lock:
            widgets[name].lock(widgets[name].value)
            widgets[name].add_class(_LOCKED_CLASS)
        self.on_fixed(frozenset(self.locked))
        self._say()
        if self.choices:
            self._set_choices()
        return problems + more

    def link_items(self) -> list:
        """The ``hide``/``lock`` entries that reproduce the current choices (for the page's link)."""
        return self._items(self.hidden + ((PANEL_NAME,) if self.panel_hidden else ()),
                           tuple(self.locked))

    @staticmethod
    def _items(hide, lock):
        return [(k, ",".join(v)) for k, v in (("hide", hide), ("lock", lock)) if v]

    # -- the "Link for my class" panel ----------------------------------------------------------
    def class_link(self, choices: dict | None = None, values: dict | None = None) -> str:
        """The link for students: the current settings, ``choices`` applied, this panel hidden.

        Parameters
        ----------
        choices : dict of str -> {"change", "fixed", "hidden"}, optional
            Per control; missing ones may be changed. Default: the panel's.
            A hidden control is also fixed.
        values : dict, optional
            Control values (default: the current ones).
        """
        spec = self.controls.spec
        choices = self._chosen() if choices is None else choices
        bad = {k: v for k, v in choices.items()
               if k not in spec or v not in {c for _, c in CHOICES}}
        if bad:
            raise ValueError(f"choices must map controls of this lesson ({', '.join(spec)}) "
                             f"to one of {', '.join(c for _, c in CHOICES)}. Got {bad!r}.")
        values = self.controls.values() if values is None else values
        hide = tuple(n for n in spec if choices.get(n) == "hidden") + (PANEL_NAME,)
        lock = tuple(n for n in spec if choices.get(n) in ("fixed", "hidden"))
        items = self.link_settings(values) + self._items(hide, lock)
        return self.link_url(urlencode(items, safe=","))

    def _chosen(self):
        if self.choices:
            return {n: d.value for n, d in self.choices.items()}
        return self._chosen_from_page()

    def _set_choices(self):
        for name, choice in self._chosen_from_page().items():
            self.choices[name].value = choice

    def _chosen_from_page(self):
        return {n: ("hidden" if n in self.hidden else "fixed" if n in self.locked else "change")
                for n in self.controls.spec}

    def _toggled(self, change):
        self.attempt(lambda: self._open(change.new), "open the link for your class")

    def _open(self, shown):
        if shown and not self.choices:
            self._build()
        self.body.layout.display = None if shown else "none"
        if shown:
            self.refresh()

    def _build(self):
        intro = widgets.HTML(
            "<div style='font-size:13px;line-height:1.35'>Set the controls as the class should "
            "start, choose what students see and may change, then copy the link. The link "
            "hides this panel.</div>")
        for c in self.controls.controls:
            d = classed(widgets.Dropdown, f"bpttviz-class-link-{c.name}", options=list(CHOICES),
                        value="change", description=c.label,
                        style={"description_width": "130px"},
                        layout=widgets.Layout(width="300px"))
            d.observe(lambda change: self.refresh(), names="value")
            self.choices[c.name] = d
        self._set_choices()
        self.body.children = [intro, *self.choices.values(), self.made]

    def refresh(self, values: dict | None = None):
        """Rewrite the panel's link from the current settings (nothing while it was never opened)."""
        if not self.choices:
            return
        url = html.escape(self.class_link(values=values), quote=True)
        self.made.value = (
            "<div style='font-size:13px'><label>Link for my class<br>"
            f"<input type='text' readonly value=\"{url}\" onfocus='this.select()' "
            "style='width:290px;font-size:13px'></label><br>"
            f"<button type='button' class='bpttviz-copy' onclick=\"{html.escape(_COPY_JS)}\">"
            "Copy link</button> <span class='bpttviz-copied' role='status'></span></div>")
