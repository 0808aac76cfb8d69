"""Peer benchmark charts: one firm against its peer group. Pure: frame → Figure, no Streamlit.

The peer group (same firm type, same quarter) and every number drawn here — the firm's value, the group's
P25 / median / P75, rank and better_than_share — come from `wh.peers`; these functions only place them.
Colours keep their meaning (dashboard.theme): the firm's marker is BETTER / WORSE by which side of the
group median it lies, read through the metric's direction; the peer spread is MUTED.
"""

from __future__ import annotations

import math

import plotly.graph_objects as go
import polars as pl

from core import untrusted
from dashboard import theme
from dashboard.charts.labels import better_than_text, value_text
from dashboard.charts.margins import PAD, text_px

ROW_HEIGHT = 84   # px per metric: room for an 18 px label, the band and the axis ticks


def marker_colour(direction: str | None, value: float | None, median: float | None) -> str:
    """BETTER / WORSE for the firm's marker relative to the group median; NEUTRAL without a direction."""
    if value is None or median is None:
        return theme.NEUTRAL
    return theme.direction_colour(direction, value - median)


def _nice_top(biggest: float) -> float:
    """The smallest 1, 2, 2.5 or 5 × 10ⁿ at or above `biggest` (a row's scale ends on a round number)."""
    if biggest <= 0 or not math.isfinite(biggest):
        return 1.0
    power = 10 ** math.floor(math.log10(biggest))
    return next(step * power for step in (1, 2, 2.5, 5, 10) if step * power >= biggest * (1 - 1e-9))


def bullet_benchmark(frame: pl.DataFrame, *, firm_label: str, lang: str = "zh",
                     low_base_label: str = "⚠ 低基数", median_label: str = "中位数",
                     spread_label: str = "P25–P75") -> go.Figure:
    """One bullet row per metric: the group's P25–P75 band, its median tick and the firm's value (a diamond),
    with the firm's value (and 优于 X% 同业 under it) written at the right end of the row in its colour.

    `frame`: one row per metric with columns label (metric name), unit, direction, value, p25, median,
    p75, better_than_share (optional), low_base. Units differ, so each row has its own scale, from 0 to a round
    number at or above its largest figure, written in grey under the metric's name (0 – 12.5 件/亿元); the rows share
    one plot whose x runs 0–1 along every row's scale (three traces in all: Plotly lays one axis out instead of one a
    metric, which in Chromium was most of the page's drawing time). A metric where the firm has no value shows the
    band alone and "—" on the right. The hover gives each mark's own figure.
    """
    rows = list(frame.iter_rows(named=True))
    spans: list[tuple[float, float]] = []
    for row in rows:
        figures = [row[k] for k in ("value", "p25", "median", "p75") if row[k] is not None]
        low = min([0.0, *figures])
        spans.append((low, _nice_top(max([0.0, *figures]) - low) + low))

    def at(i: int, x: float | None) -> float | None:
        low, high = spans[i]
        return None if x is None else (x - low) / (high - low)

    band: dict[str, list] = {"x": [], "base": [], "y": [], "customdata": []}
    ticks: dict[str, list] = {"x": [], "y": [], "customdata": []}
    firm: dict[str, list] = {"x": [], "y": [], "customdata": [], "color": [], "symbol": [], "line": []}
    annotations: list[dict] = []
    left = 0.0
    for i, row in enumerate(rows):
        unit, value, median = row["unit"] or "", row["value"], row["median"]
        low, high = spans[i]
        name = untrusted.plotly(row["label"])
        scale = f"{'0' if low == 0 else value_text(low, unit, lang)} – {value_text(high, unit, lang)}"
        left = max(left, text_px(name, theme.FONT_SIZE), text_px(scale, theme.FONT_SIZE))
        annotations.append({"text": f"{name}<br><span style=\"color:{theme.NEUTRAL}\">{scale}</span>", "x": 0,
                            "xref": "paper", "xanchor": "right", "xshift": -PAD, "y": i, "yref": "y",
                            "showarrow": False, "align": "right", "font": {"size": theme.FONT_SIZE}})
        if row["p25"] is not None and row["p75"] is not None:
            band["x"].append(at(i, row["p75"]) - at(i, row["p25"]))
            band["base"].append(at(i, row["p25"]))
            band["y"].append(i)
            band["customdata"].append(f"{spread_label}: {value_text(row['p25'], unit, lang)} – "
                                      f"{value_text(row['p75'], unit, lang)}")
        if median is not None:
            ticks["x"].append(at(i, median))
            ticks["y"].append(i)
            ticks["customdata"].append(f"{median_label}: {value_text(median, unit, lang)}")
        text = value_text(value, unit, lang) + (f"<br>{low_base_label}" if row.get("low_base") else "")
        if value is not None and row.get("better_than_share") is not None:
            text += f"<br>{better_than_text(row['better_than_share'], lang)}"
        colour = marker_colour(row["direction"], value, median)
        if value is not None:
            firm["x"].append(at(i, value))
            firm["y"].append(i)
            firm["customdata"].append(f"{firm_label}: " + text.replace("<br>", " · "))
            firm["color"].append(colour)
            firm["symbol"].append(theme.direction_symbol(row["direction"], None if median is None else value - median))
            firm["line"].append(theme.LOW_BASE if row.get("low_base") else "#ffffff")
        annotations.append({"text": text, "x": 1.01, "xref": "paper", "xanchor": "left", "y": i, "yref": "y",
                            "showarrow": False, "align": "left", "font": {"color": colour, "size": theme.FONT_SIZE}})
    hover = "%{customdata}<extra></extra>"
    traces = [
        {"type": "bar", "orientation": "h", "width": 0.6, "marker": {"color": theme.MUTED}, "name": spread_label,
         "hovertemplate": hover, **band},
        {"type": "scatter", "mode": "markers", "name": median_label, "hovertemplate": hover, **ticks,
         "marker": {"symbol": "line-ns", "size": 34, "line": {"width": 5, "color": theme.REFERENCE}}},
        {"type": "scatter", "mode": "markers", "name": firm_label, "hovertemplate": hover,
         "x": firm["x"], "y": firm["y"], "customdata": firm["customdata"],
         "marker": {"symbol": firm["symbol"], "size": 22, "color": firm["color"],
                    "line": {"width": 3, "color": firm["line"]}}},
    ]
    n = max(len(rows), 1)
    return go.Figure(data=traces, layout={
        "template": theme.TEMPLATE, "height": ROW_HEIGHT * n + 80, "barmode": "overlay",
        "margin": {"t": 50, "r": 230, "l": round(left) + 2 * PAD}, "hovermode": "closest", "annotations": annotations,
        # the row's scale, quartered: a reader sees how far along it a mark lies
        "xaxis": {"range": [0, 1], "tickvals": [0, 0.25, 0.5, 0.75, 1], "showticklabels": False, "title": None,
                  "showgrid": True, "zeroline": False, "fixedrange": True},
        # the metric's name and its scale are annotations left of the row (tick labels are made inert: no markup)
        "yaxis": {"showticklabels": False, "range": [n - 0.5, -0.5], "title": None, "showgrid": False,
                  "zeroline": False, "fixedrange": True},
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
