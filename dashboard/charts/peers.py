"""Peer benchmark charts: one firm against its peer group. Pure: frame → Figure, no Streamlit.

The peer group (same firm type, same quarter) and every number drawn here — the firm's value, the group's
P25 / median / P75, rank and percentile — come from `wh.peers`; these functions only place them.
Colours keep their meaning (dashboard.theme): the firm's marker is BETTER / WORSE by which side of the
group median it lies, read through the metric's direction; the peer spread is MUTED.
"""

from __future__ import annotations

import plotly.graph_objects as go
import polars as pl
from plotly.subplots import make_subplots

from dashboard import theme

ROW_HEIGHT = 96   # px per metric: a projector needs room for an 18 px label and the marker's text


def _fmt():
    from dashboard import format as fmt  # MAP's module: Chinese number conventions

    return fmt


def marker_colour(direction: str | None, value: float | None, median: float | None) -> str:
    """BETTER / WORSE for the firm's marker relative to the group median; NEUTRAL without a direction."""
    if value is None or median is None:
        return theme.NEUTRAL
    return theme.direction_colour(direction, value - median)


def bullet_benchmark(frame: pl.DataFrame, *, firm_label: str, lang: str = "zh",
                     low_base_label: str = "⚠ 低基数", median_label: str = "中位数",
                     spread_label: str = "P25–P75") -> go.Figure:
    """One bullet row per metric: the group's P25–P75 band, its median tick and the firm's value.

    `frame`: one row per metric with columns label (metric name), unit, direction, value, p25, median,
    p75, percentile, rank, n_firms, low_base. Each metric keeps its own x axis (units differ).
    A metric where the firm has no value shows the band alone and says so in the row text.
    """
    fmt = _fmt()
    n = max(frame.height, 1)
    fig = make_subplots(rows=n, cols=1, vertical_spacing=min(0.5 / n, 0.06))
    for i, row in enumerate(frame.iter_rows(named=True), start=1):
        unit, value, median = row["unit"] or "", row["value"], row["median"]
        label = [row["label"]]
        if row["p25"] is not None and row["p75"] is not None:
            fig.add_trace(go.Bar(
                x=[row["p75"] - row["p25"]], base=[row["p25"]], y=label, orientation="h", width=0.55,
                marker={"color": theme.MUTED}, name=spread_label, showlegend=i == 1, legendgroup="spread",
                hovertemplate=(f"{spread_label}: {fmt.fmt_value(row['p25'], unit, lang)} – "
                               f"{fmt.fmt_value(row['p75'], unit, lang)}<extra></extra>"),
            ), row=i, col=1)
        if median is not None:
            fig.add_trace(go.Scatter(
                x=[median], y=label, mode="markers", name=median_label, showlegend=i == 1,
                legendgroup="median",
                marker={"symbol": "line-ns", "size": 40, "line": {"width": 5, "color": theme.HIGHLIGHT}},
                hovertemplate=f"{median_label}: {fmt.fmt_value(median, unit, lang)}<extra></extra>",
            ), row=i, col=1)
        text = fmt.fmt_value(value, unit, lang)
        if row.get("percentile") is not None and value is not None:
            text += f" · P{row['percentile'] * 100:.0f}" if row["percentile"] <= 1 else f" · P{row['percentile']:.0f}"
        if row.get("low_base"):
            text += f" {low_base_label}"
        if value is not None:
            colour = marker_colour(row["direction"], value, median)
            fig.add_trace(go.Scatter(
                x=[value], y=label, mode="markers+text", name=firm_label, showlegend=i == 1,
                legendgroup="firm", text=[text], textposition="top center",
                textfont={"size": theme.FONT_SIZE, "color": colour},
                marker={"symbol": "diamond-open" if row.get("low_base") else "diamond", "size": 20,
                        "color": colour, "line": {"width": 3, "color": theme.LOW_BASE if row.get("low_base")
                                                  else colour}},
                hovertemplate=f"{firm_label}: {text}<extra></extra>",
            ), row=i, col=1)
        else:
            fig.add_annotation(text=text, x=1, xref=f"x{i if i > 1 else ''} domain", y=label[0],
                               yref=f"y{i if i > 1 else ''}", showarrow=False, xanchor="right",
                               font={"color": theme.NEUTRAL})
        fig.update_xaxes(rangemode="tozero", row=i, col=1)
    fig.update_layout(template=theme.TEMPLATE, height=ROW_HEIGHT * n + 120, barmode="overlay",
                      margin={"t": 70}, hovermode="closest")
    fig.update_yaxes(title=None, showgrid=False)
    fig.update_xaxes(title=None)
    return fig


def rank_over_time(frame: pl.DataFrame, *, title: str, lang: str = "zh", rank_label: str = "排名",
                   of_label: str = "共 {n} 家", low_base_label: str = "⚠ 低基数") -> go.Figure:
    """The firm's rank in its peer group per quarter (1 = best, at the top), with the group size in the
    hover and the text; a quarter without a rank leaves a gap.

    `frame`: period, rank, n_firms, low_base (optional), sorted or not.
    """
    rows = frame.sort("period")
    flags = rows["low_base"].fill_null(False).to_list() if "low_base" in rows.columns else [False] * rows.height
    texts = [(f"{r}/{n}" if r is not None else "—") + (f" {low_base_label}" if f else "")
             for r, n, f in zip(rows["rank"].to_list(), rows["n_firms"].to_list(), flags, strict=True)]
    hover = [f"{rank_label} {r if r is not None else '—'}（{of_label.format(n=n)}）"
             if lang == "zh" else f"{rank_label} {r if r is not None else '—'} ({of_label.format(n=n)})"
             for r, n in zip(rows["rank"].to_list(), rows["n_firms"].to_list(), strict=True)]
    fig = go.Figure(go.Scatter(
        x=rows["period"].to_list(), y=rows["rank"].to_list(), mode="lines+markers+text", text=texts,
        textposition="top center", customdata=hover, connectgaps=False,
        hovertemplate="%{x}: %{customdata}<extra></extra>",
        line={"color": theme.HIGHLIGHT, "width": 4},
        marker={"size": [16 if f else 12 for f in flags], "color": theme.HIGHLIGHT,
                "symbol": ["circle-open" if f else "circle" for f in flags],
                "line": {"width": 3, "color": [theme.LOW_BASE if f else theme.HIGHLIGHT for f in flags]}},
    ))
    most = max([n for n in rows["n_firms"].to_list() if n is not None], default=1)
    fig.update_layout(template=theme.TEMPLATE, title={"text": title}, showlegend=False, height=420)
    fig.update_xaxes(type="category", title=None)
    # Rank 1 at the top; the axis spans the largest group so a move from 3rd to 9th looks like one.
    fig.update_yaxes(range=[most + 0.5, 0.5], dtick=1 if most <= 20 else None, title=rank_label)
    return fig
