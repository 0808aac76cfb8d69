"""Peer benchmark charts: one firm against its peer group. Pure: frame → Figure, no Streamlit.

The peer group (same firm type, same quarter) and every number drawn here — the firm's value, the group's
P25 / median / P75, rank and better_than_share — come from `wh.peers`; these functions only place them.
Colours keep their meaning (dashboard.theme): the firm's marker is BETTER / WORSE by which side of the
group median it lies, read through the metric's direction; the peer spread is MUTED.
"""

from __future__ import annotations

import plotly.graph_objects as go
import polars as pl

from dashboard import theme
from dashboard.charts.labels import better_than_text, is_percent, value_text

ROW_HEIGHT = 84   # px per metric: room for an 18 px label, the band and the axis ticks


def marker_colour(direction: str | None, value: float | None, median: float | None) -> str:
    """BETTER / WORSE for the firm's marker relative to the group median; NEUTRAL without a direction."""
    if value is None or median is None:
        return theme.NEUTRAL
    return theme.direction_colour(direction, value - median)


def bullet_benchmark(frame: pl.DataFrame, *, firm_label: str, lang: str = "zh",
                     low_base_label: str = "⚠ 低基数", median_label: str = "中位数",
                     spread_label: str = "P25–P75") -> go.Figure:
    """One bullet row per metric: the group's P25–P75 band, its median tick and the firm's value (a diamond),
    with the firm's value (and 优于 X% 同业 under it) written at the right end of the row in its colour.

    `frame`: one row per metric with columns label (metric name), unit, direction, value, p25, median,
    p75, better_than_share (optional), low_base. Each metric keeps its own x axis from 0 (units differ; a bar from 0
    does not exaggerate a gap). A metric where the firm has no value shows the band alone and "—" on the right.
    """
    # Plain dicts, validated once by go.Figure: one row per metric is 3 traces, an axis pair and an
    # annotation, and building them through make_subplots/add_trace costs ~80 ms for 15 metrics.
    n = max(frame.height, 1)
    gap = min(0.5 / n, 0.08)
    traces: list[dict] = []
    layout: dict = {"annotations": []}
    for i, row in enumerate(frame.iter_rows(named=True), start=1):
        unit, value, median = row["unit"] or "", row["value"], row["median"]
        axis = "" if i == 1 else str(i)
        label = [row["label"]]
        on_row = {"y": label, "xaxis": f"x{axis}", "yaxis": f"y{axis}", "showlegend": i == 1}
        if row["p25"] is not None and row["p75"] is not None:
            traces.append({
                "type": "bar", **on_row, "x": [row["p75"] - row["p25"]], "base": [row["p25"]], "orientation": "h",
                "width": 0.6, "marker": {"color": theme.MUTED}, "name": spread_label, "legendgroup": "spread",
                "hovertemplate": (f"{spread_label}: {value_text(row['p25'], unit, lang)} – "
                                  f"{value_text(row['p75'], unit, lang)}<extra></extra>")})
        if median is not None:
            traces.append({
                "type": "scatter", **on_row, "x": [median], "mode": "markers", "name": median_label,
                "legendgroup": "median",
                "marker": {"symbol": "line-ns", "size": 34, "line": {"width": 5, "color": theme.REFERENCE}},
                "hovertemplate": f"{median_label}: {value_text(median, unit, lang)}<extra></extra>"})
        text = value_text(value, unit, lang) + (f"<br>{low_base_label}" if row.get("low_base") else "")
        if value is not None and row.get("better_than_share") is not None:
            text += f"<br>{better_than_text(row['better_than_share'], lang)}"
        colour = marker_colour(row["direction"], value, median)
        if value is not None:
            hover = text.replace("<br>", " · ")
            traces.append({
                "type": "scatter", **on_row, "x": [value], "mode": "markers", "name": firm_label,
                "legendgroup": "firm", "hovertemplate": f"{firm_label}: {hover}<extra></extra>",
                "marker": {"symbol": theme.direction_symbol(row["direction"], None if median is None else
                                                             value - median), "size": 22, "color": colour,
                           "line": {"width": 3, "color": theme.LOW_BASE if row.get("low_base") else "#ffffff"}}})
        layout["annotations"].append({
            "text": text, "x": 1.01, "xref": "paper", "xanchor": "left", "y": 0.5, "yref": f"y{axis} domain",
            "showarrow": False, "align": "left", "font": {"color": colour, "size": theme.FONT_SIZE}})
        top = 1 - (i - 1) / n - (gap / 2 if i > 1 else 0)
        bottom = 1 - i / n + (gap / 2 if i < n else 0)
        layout[f"xaxis{axis}"] = {"anchor": f"y{axis}", "domain": [0, 1], "rangemode": "tozero", "nticks": 5,
                                  "exponentformat": "none", "title": None,
                                  **({"tickformat": ".3~%"} if is_percent(unit) else {})}
        layout[f"yaxis{axis}"] = {"anchor": f"x{axis}", "domain": [bottom, top], "title": None, "showgrid": False}
    return go.Figure(data=traces, layout={
        **layout, "template": theme.TEMPLATE, "height": ROW_HEIGHT * n + 80, "barmode": "overlay",
        "margin": {"t": 50, "r": 230}, "hovermode": "closest",
        "legend": {"orientation": "h", "x": 0, "y": 1, "yanchor": "top", "yref": "container"}})


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
