"""Margins worked out from the labels in Python, so that Plotly lays a chart out once.

With `automargin` Plotly draws a chart, measures every tick label, and draws it again with the margins it found
(for a bar chart of 36 regions, two or three times over): in Chromium on this 2-core machine that was more than
half of each chart's drawing time (bench/pages.py, a CPU profile of a quarter change on the outreach page). Here the
room the tick labels need is estimated from their text and font size (a CJK character is one em wide, other
characters a little over half) and set as the left and bottom margins, with automargin off on every axis.
The estimate errs wide: a label never loses its start. Legends and colour bars keep Plotly's `autoexpand`, which
only adds a pass when they would not fit the room given here.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from typing import Any

import plotly.graph_objects as go

from dashboard import theme

WIDE = 0x2E80          # from here on (CJK, full-width forms) a character is about one em wide
NARROW_EM = 0.62       # any other character, a little wider than the average Latin letter or digit
PAD = 18               # px between the labels and the plot (tick length, stand-off) and on the paper's edge
PLOT_WIDTH = 560       # px: the narrowest plot a chart gets (a column of two); more categories than fit rotate
BREAK = re.compile(r"<br\s*/?>", re.IGNORECASE)
TAGS = re.compile(r"<[^>]+>|&[a-z]+;|&#\d+;")


def text_px(text: str, size: float) -> float:
    """Estimated width in px of `text` (markup removed; of its widest line) at font size `size`."""
    return max(sum(size if ord(c) >= WIDE else size * NARROW_EM for c in TAGS.sub("", line))
               for line in BREAK.split(text))


def _size(axis: Any, fig: go.Figure) -> float:
    base = axis.plotly_name.rstrip("0123456789")   # yaxis2 takes the template's yaxis
    for layout in (axis, fig.layout.template.layout[base] if fig.layout.template else None):
        if layout is not None and layout.tickfont is not None and layout.tickfont.size:
            return float(layout.tickfont.size)
    return float(fig.layout.font.size or theme.FONT_SIZE)


def _labels(axis: Any, fig: go.Figure, letter: str) -> list[str]:
    """The tick labels the axis will show: its ticktext, else its categories or the numbers on it."""
    if axis.ticktext:
        return [str(t) for t in axis.ticktext]
    ref = letter + axis.plotly_name[5:]   # yaxis2 → y2
    values: list[Any] = []
    for trace in fig.data:
        if (getattr(trace, f"{letter}axis", None) or letter) == ref and getattr(trace, letter, None) is not None:
            values += list(getattr(trace, letter))
    texts = [v for v in values if isinstance(v, str)]
    if texts:
        return texts
    numbers = [abs(v) for v in values if isinstance(v, (int, float)) and math.isfinite(v)]
    biggest = max(numbers, default=0)
    return [f"{biggest:,.1f}", "−0.0"]   # Plotly's own ticks: the largest value's digits, a sign and a decimal


def _title_px(axis: Any, size: float) -> float:
    return size * 1.6 if axis.title is not None and axis.title.text else 0.0


def _legend_below_px(fig: go.Figure) -> float:
    """Room for a horizontal legend under the plot (rows of entries the width of the narrowest plot)."""
    legend = fig.layout.legend
    template = fig.layout.template.layout.legend if fig.layout.template else None
    y = legend.y if legend.y is not None else (template.y if template is not None else None)
    shown = [t.name for t in fig.data if t.showlegend is not False and t.name]
    if fig.layout.showlegend is False or not shown or y is None or y >= 0:
        return 0.0
    font = (legend.font.size if legend.font and legend.font.size else None) or \
        (template.font.size if template is not None and template.font and template.font.size else None) or \
        theme.FONT_SIZE
    width = sum(text_px(str(n), font) + 48 for n in dict.fromkeys(shown))
    return math.ceil(width / PLOT_WIDTH) * (font * 1.5 + 6) + 12


def fit(fig: go.Figure) -> go.Figure:
    """Left and bottom margins from the y and x tick labels; automargin off on every axis. Margins the chart set
    larger are kept."""
    left = bottom = 0.0
    axes: Iterable[tuple[str, Any]] = [*(("y", a) for a in fig.select_yaxes()),
                                      *(("x", a) for a in fig.select_xaxes())]
    for letter, axis in axes:
        axis.automargin = False
        if axis.visible is False or axis.showticklabels is False:
            continue
        size = _size(axis, fig)
        labels = _labels(axis, fig, letter)
        widest = max((text_px(t, size) for t in labels), default=0.0)
        if letter == "y":
            left = max(left, widest + PAD + _title_px(axis, size))
        else:
            rotated = len(set(labels)) * (widest + size) > PLOT_WIDTH and axis.type == "category"
            tall = widest * 0.75 + size if rotated else size * 1.4
            bottom = max(bottom, tall + PAD + _title_px(axis, size))
    bottom += _legend_below_px(fig)
    margin = fig.layout.margin
    template = fig.layout.template.layout.margin if fig.layout.template else None

    def have(side: str) -> float:
        value = getattr(margin, side)
        if value is None and template is not None:
            value = getattr(template, side)
        return float(value or 0)

    fig.update_layout(margin={"l": round(max(have("l"), left)), "b": round(max(have("b"), bottom))})
    return fig
