"""Lines over quarters: the association's trend, or several firms side by side. Pure: frame → Figure."""

from __future__ import annotations

import plotly.graph_objects as go
import polars as pl

from dashboard import theme
from dashboard.charts import axes
from dashboard.charts.labels import title_with_unit, value_text


def trend(frame: pl.DataFrame, metric: str, *, title: str, unit: str, lang: str = "zh",
          series: str | None = None, low_base: str | None = None, highlight: str | None = None,
          low_base_label: str = "⚠ 低基数") -> go.Figure:
    """One line per value of `series` (e.g. firm_name), or a single line, of `metric` over `period`.

    Null values leave a gap (no value is never drawn as 0). Low-base points (`low_base` boolean column)
    get a hollow amber marker and the flag in their hover text. `highlight` draws that series thicker.
    """
    fig = go.Figure()
    groups = [(None, frame)] if series is None else \
        [(name, frame.filter(pl.col(series) == name)) for name in frame[series].unique(maintain_order=True)]
    for i, (name, part) in enumerate(groups):
        part = part.sort("period")
        values = part[metric].to_list()
        flags = part[low_base].fill_null(False).to_list() if low_base else [False] * part.height
        texts = [value_text(v, unit, lang) + (f" {low_base_label}" if f else "")
                 for v, f in zip(values, flags, strict=True)]
        colour = theme.HIGHLIGHT if series is None else theme.SERIES[i % len(theme.SERIES)]
        wide = series is None or name == highlight
        fig.add_trace(go.Scatter(
            x=part["period"].to_list(), y=values, name=title if name is None else str(name),
            mode="lines+markers", connectgaps=False, text=texts,
            hovertemplate="%{x}<br>%{fullData.name}: %{text}<extra></extra>",
            line={"color": colour, "width": 4 if wide else 2},
            marker={"size": [14 if f else 8 for f in flags], "color": colour,
                    "symbol": ["circle-open" if f else "circle" for f in flags],
                    "line": {"color": [theme.LOW_BASE if f else colour for f in flags], "width": 3}},
        ))
    fig.update_layout(template=theme.TEMPLATE, title={"text": title_with_unit(title, unit, lang)},
                      showlegend=series is not None, hovermode="x unified" if series else "closest")
    fig.update_xaxes(type="category", title=None)
    # Lines start where the data is (not at 0): a rate moving 8.9 → 9.4 must be visible on a projector.
    shown = [v for v in frame[metric].to_list() if v is not None] if frame.height else []
    if shown:   # ticks in the reader's conventions (1.2万 / 12k), never plotly's SI style beside our labels
        tickvals, ticktext = axes.ticks(min(shown), max(shown), unit, lang, count=5)
        fig.update_yaxes(tickvals=tickvals, ticktext=ticktext)
    fig.update_yaxes(title=None)
    return fig
