"""Bars: rankings against a peer median, biggest movers, and composition (mix). Pure: frame → Figure.

Colours keep their meaning (dashboard.theme): a bar is WORSE / BETTER only relative to a stated reference
(the peer median) and the metric's direction; without one it is NEUTRAL.
"""

from __future__ import annotations

from collections.abc import Mapping

import plotly.graph_objects as go
import polars as pl

from dashboard import theme
from dashboard.charts import axes
from dashboard.charts.labels import change_text, move_text, title_with_unit, value_text

ROW_HEIGHT = 44      # px per bar: readable from the back of a meeting room
# The value axis ends just past the largest bar (a 0–35 axis for a maximum of 22.44 wastes a third of the width);
# the outside labels are short numbers (the ⚠ 低基数 flag goes with the bar's name on the category axis), and
# they may run into the right margin, kept for them.
LABEL_ROOM = 1.12
LABEL_MARGIN = 72    # px on the right for the largest bar's label
CHANGE_LABEL_MIN = 200     # px right of a movers chart for its labels ("-21.8%（-1.75 件/亿元）"), at least,
CHANGE_LABEL_MAX = 380     # and at most (a label wider than that is shortened by Plotly, never drawn over bars)


def _text_px(text: str) -> int:
    """Rough width of a label at theme.FONT_SIZE: a CJK character is about one em, others a little over half."""
    em = theme.FONT_SIZE
    return sum(em if ord(c) >= 0x2E80 else round(em * 0.56) for c in text)


def _height(rows: int) -> int:
    return max(320, ROW_HEIGHT * rows + 150)


def _value_axis(fig: go.Figure, values: list[float], unit: str | None, room: float = LABEL_ROOM,
                lang: str = "zh") -> None:
    top = max([v for v in values if v is not None] + [0])
    low = min([v for v in values if v is not None] + [0])
    span = (top - low) or 1
    lo, hi = low - (0.3 * span if low < 0 else 0), top + (room - 1) * span
    tickvals, ticktext = axes.ticks(lo, top, unit, lang, count=5)
    fig.update_xaxes(title=None, range=[lo, hi], tickvals=tickvals, ticktext=ticktext)


def _colour_key(fig: go.Figure, lang: str, reference_label: str) -> None:
    """Which colour is which, in words and marks, above the plot: blue ▼ better, vermillion ▲ worse."""
    better = "优于" if lang == "zh" else "better than "
    worse = "劣于" if lang == "zh" else "worse than "
    median = reference_label or ("中位数" if lang == "zh" else "median")
    fig.add_annotation(
        text=(f"<span style='color:{theme.BETTER}'>■ {better}{median}</span>　"
              f"<span style='color:{theme.WORSE}'>■ {worse}{median}</span>"),
        xref="paper", yref="paper", x=0, y=1, yanchor="bottom", xanchor="left", showarrow=False,
        font={"size": theme.FONT_SIZE - 2})


def ranked_bars(frame: pl.DataFrame, label: str, metric: str, *, title: str, unit: str, lang: str = "zh",
                direction: str | None = None, reference: float | None = None, reference_label: str = "",
                low_base: str | None = None, low_base_label: str = "⚠ 低基数", most: int | None = None
                ) -> go.Figure:
    """Horizontal bars of `metric` per `label`, largest first; rows without a value are left out.

    With a `reference` (peer median) a dashed line marks it and each bar is coloured by which side of it
    the value lies, read through the metric's `direction`. Low-base bars are hatched amber and labelled.
    With `most`, a longer list keeps its highest and lowest most/2 bars, and an empty row between them says
    how many were left out (a bar per firm of 125 is neither legible on a projector nor quick to draw).
    """
    rows = frame.filter(pl.col(metric).is_not_null()).sort(metric, descending=True)
    left_out = rows.height - most if most is not None and rows.height > most else 0
    if left_out:
        rows = pl.concat([rows.head(most - most // 2), rows.tail(most // 2)])
    values = rows[metric].to_list()
    flags = rows[low_base].fill_null(False).to_list() if low_base else [False] * rows.height
    colours = [theme.NEUTRAL if reference is None else theme.direction_colour(direction, v - reference)
               for v in values]
    # Bar labels without the unit (the title states it); the hover text carries it. The low-base flag is not in
    # the bar's label, which would run across the median line: it goes with the name on the category axis.
    texts = [value_text(v, unit, lang, bare=True) for v in values]
    hovers = [value_text(v, unit, lang) + (f" {low_base_label}" if f else "")
              for v, f in zip(values, flags, strict=True)]
    labels = [str(v) for v in rows[label].to_list()]
    if left_out:
        gap = f"⋯ 中间 {left_out} 项未显示 ⋯" if lang == "zh" else f"⋯ {left_out} in between not shown ⋯"
        bars = list(zip(labels, values, colours, flags, texts, hovers, strict=True))
        bars.insert(most - most // 2, (gap, None, theme.NEUTRAL, False, "", ""))
        labels, values, colours, flags, texts, hovers = (list(c) for c in zip(*bars, strict=True))
    fig = go.Figure(go.Bar(
        x=values, y=labels, orientation="h", text=texts, hovertext=hovers,
        textposition="outside", cliponaxis=False, hovertemplate="%{y}: %{hovertext}<extra></extra>",
        marker={"color": colours, "pattern": {"shape": ["/" if f else "" for f in flags],
                                             "fgcolor": theme.LOW_BASE}},
        name=title,
    ))
    if reference is not None:
        fig.add_vline(x=reference, line={"dash": "dash", "color": theme.REFERENCE, "width": 3},
                      annotation_text=f"{reference_label} {value_text(reference, unit, lang)}".strip(),
                      annotation_position="top")
    fig.update_layout(template=theme.TEMPLATE, title={"text": title_with_unit(title, unit, lang)},
                      showlegend=False, height=_height(len(labels)),
                      margin={"t": 96} if reference is not None else None)   # room for the median's label
    fig.update_yaxes(autorange="reversed", title=None, tickvals=labels,
                     ticktext=[f"{name} {low_base_label}" if f else name
                               for name, f in zip(labels, flags, strict=True)])
    _value_axis(fig, values + ([reference] if reference is not None else []), unit, LABEL_ROOM, lang)
    fig.update_layout(margin={"r": LABEL_MARGIN})
    if reference is not None and direction in ("lower", "higher"):
        _colour_key(fig, lang, reference_label)
    return fig


def change_bars(frame: pl.DataFrame, label: str, change: str, *, title: str, lang: str = "zh",
                direction: str | None = None, absolute: str | None = None, unit: str | None = None,
                before: str | None = None, after: str | None = None) -> go.Figure:
    """Diverging bars of a relative change (0.12 = +12%) per `label`, coloured better / worse.

    With `absolute` (a column of the absolute change, in `unit`) each bar's label shows it beside the relative
    one (-21.8%（-2 件/亿元）; a share's in percentage points, labels.move_text), written in a column right of the
    plot in the bar's colour, so that a long label never runs into the names of a bar that points left.
    `before` / `after`: columns of the two values, shown in the hover (6.1 → 4.8 件/亿元)."""
    rows = frame.filter(pl.col(change).is_not_null())
    values = rows[change].to_list()
    names = [str(v) for v in rows[label].to_list()]
    colours = [theme.direction_colour(direction, v) for v in values]
    if absolute is not None:
        texts = [move_text(a, r, unit, lang) for a, r in zip(rows[absolute].to_list(), values, strict=True)]
    else:
        texts = [change_text(v, lang) for v in values]
    hovers = texts
    if before is not None and after is not None:
        hovers = [f"{value_text(b, unit, lang)} → {value_text(a, unit, lang)} · {text}"
                  for b, a, text in zip(rows[before].to_list(), rows[after].to_list(), texts, strict=True)]
    beside = absolute is not None
    fig = go.Figure(go.Bar(
        x=values, y=names, orientation="h", text=None if beside else texts, hovertext=hovers,
        textposition="outside", cliponaxis=False, hovertemplate="%{y}: %{hovertext}<extra></extra>",
        marker={"color": colours}, name=title,
    ))
    fig.update_layout(template=theme.TEMPLATE, title={"text": title}, showlegend=False,
                      height=_height(rows.height))
    fig.update_yaxes(autorange="reversed", title=None)
    if beside:
        width = min(CHANGE_LABEL_MAX, max([CHANGE_LABEL_MIN, *(_text_px(x) + 24 for x in texts)]))
        fig.update_layout(margin={"r": width}, annotations=[
            {"text": text, "x": 1.02, "xref": "paper", "xanchor": "left", "y": name, "yref": "y",
             "showarrow": False, "align": "left", "font": {"color": colour, "size": theme.FONT_SIZE}}
            for name, text, colour in zip(names, texts, colours, strict=True)])
        low, top = min([*values, 0]), max([*values, 0])
        pad = 0.08 * ((top - low) or 1)
        fig.update_xaxes(title=None, tickformat=".0%", range=[low - (pad if low < 0 else 0), top + pad])
    else:
        _value_axis(fig, values, "%", LABEL_ROOM, lang)
        fig.update_layout(margin={"r": LABEL_MARGIN})
    fig.update_xaxes(zeroline=True, zerolinewidth=2)
    return fig


def mix_bars(frame: pl.DataFrame, label: str, parts: Mapping[str, str], *, title: str, unit: str = "",
             lang: str = "zh", percent: bool = True) -> go.Figure:
    """Stacked horizontal bars: one bar per `label`, one segment per column of `parts` ({column: name}).

    With `percent` Plotly normalises each bar to 100% (a picture of the mix; the counts stay in the hover).
    """
    fig = go.Figure()
    labels = [str(v) for v in frame[label].to_list()]
    for i, (column, name) in enumerate(parts.items()):
        values = frame[column].to_list()
        fig.add_trace(go.Bar(
            x=values, y=labels, orientation="h", name=name, text=[value_text(v, unit, lang) for v in values],
            hovertemplate="%{y} · " + name + ": %{text}<extra></extra>", textposition="none",
            marker={"color": theme.SERIES[i % len(theme.SERIES)]},
        ))
    fig.update_layout(template=theme.TEMPLATE, title={"text": title}, barmode="stack",
                      barnorm="percent" if percent else None, height=_height(len(labels)) + 60,
                      legend={"orientation": "h", "yanchor": "top", "y": -0.08, "x": 0, "traceorder": "normal"})
    fig.update_yaxes(autorange="reversed", title=None)
    fig.update_xaxes(title=None, ticksuffix="%" if percent else "")
    return fig
