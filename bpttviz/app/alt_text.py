"""Moved: the text alternatives of figures are :mod:`bpttviz.figures.alt_text` (NumPy only,
beside the records they describe). This name stays for code that still imports it from here."""

from ..figures.alt_text import (cost_text, figure_text, flow_text, lag_norms_text, number,
                                plain, position, trend, truncation_bias_text)

__all__ = ["number", "position", "plain", "trend", "lag_norms_text", "flow_text",
           "truncation_bias_text", "cost_text", "figure_text"]
