"""Figure downloads: the record a figure shows, drawn by Matplotlib and offered as PNG or SVG."""

from __future__ import annotations

import base64
import html

import ipywidgets as widgets

from ..upstream.ipywidgets_classes import classed

__all__ = ["FigureSaver"]


class FigureSaver:
    """Buttons that turn a figure into a PNG or SVG file the browser downloads.

    A click draws the record the page shows (``record()`` returns it) with
    Matplotlib in the kernel and offers the file as a link (a ``data:`` URL
    with a ``download`` name), which works the same in Voila and JupyterLab.
    """

    FORMATS = {"png": "image/png", "svg": "image/svg+xml"}

    def __init__(self, record, stem: str, on_error=None):
        self.record, self.stem, self.on_error = record, stem, on_error
        self.link = widgets.HTML(layout=widgets.Layout(margin="0 0 0 8px"))
        buttons = []
        for fmt in self.FORMATS:
            b = classed(widgets.Button, f"bpttviz-save-{fmt}", description=fmt.upper(),
                        icon="download", tooltip=f"Save this figure as {fmt.upper()}",
                        # As wide as its label in any type size (projector, slides).
                        layout=widgets.Layout(width="auto"))
            b.on_click(lambda _, fmt=fmt: self._clicked(fmt))
            buttons.append(b)
        self.widget = classed(widgets.HBox, "bpttviz-saver",
                              children=[widgets.Label("Save as"), *buttons, self.link])

    def render(self, fmt: str) -> bytes:
        """The figure as ``fmt`` ("png" or "svg") bytes."""
        if fmt not in self.FORMATS:
            raise ValueError(f"A figure can be saved as {' or '.join(self.FORMATS)}. "
                             f"Got {fmt!r} instead.")
        record = self.record()
        if record is None:
            raise ValueError("The figure has not been drawn yet: there is nothing to save.")
        # Matplotlib is imported on the first download, not with every kernel: a page draws
        # its figures in the browser.
        from ..plots import save
        return save(record, fmt=fmt)

    def offer(self, fmt: str) -> str:
        """Render the figure and show a download link for it; returns the link's HTML."""
        data = self.render(fmt)
        name = f"{self.stem}.{fmt}"
        url = f"data:{self.FORMATS[fmt]};base64,{base64.b64encode(data).decode('ascii')}"
        self.link.value = (f'<a href="{url}" download="{html.escape(name)}" '
                           f'class="bpttviz-download">Download {html.escape(name)} '
                           f'({len(data) / 1024:.0f} kB)</a>')
        return self.link.value

    def _clicked(self, fmt):
        try:
            self.offer(fmt)
        except Exception as exc:  # shown in the page, never raised into the comm handler
            self.link.value = ""
            if self.on_error is not None:
                self.on_error(f"save the figure as {fmt.upper()}", exc)
