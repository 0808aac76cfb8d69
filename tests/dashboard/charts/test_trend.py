"""Lines over quarters (pure frame → Figure): gaps kept, low base flagged, one line per firm."""

from __future__ import annotations

import polars as pl

from dashboard import format as fmt
from dashboard.charts.trend import trend


def test_trend_single_line_keeps_gaps_and_flags_low_base():
    frame = pl.DataFrame({"period": ["2025Q2", "2025Q1", "2025Q3"], "rate": [2.0, 1.5, None],
                          "rate__low_base": [True, False, None]})
    fig = trend(frame, "rate", title="亿元保费投诉量", unit="件/亿元", low_base="rate__low_base")
    (line,) = fig.data
    assert list(line.x) == ["2025Q1", "2025Q2", "2025Q3"]          # sorted by quarter
    assert list(line.y) == [1.5, 2.0, None]                          # no value is a gap, never 0
    assert line.connectgaps is False
    assert list(line.marker.symbol) == ["circle", "circle-open", "circle"]
    assert line.text[1] == fmt.fmt_value(2.0, "件/亿元", "zh") + " ⚠ 低基数"
    assert fig.layout.title.text == "亿元保费投诉量（件/亿元）"
    assert fig.layout.template.layout.font.family.startswith("Noto Sans CJK SC")


def test_trend_draws_one_line_per_firm_and_highlights_one():
    frame = pl.DataFrame({"period": ["2025Q1", "2025Q2"] * 2, "firm_name": ["甲", "甲", "乙", "乙"],
                          "rate": [1.0, 2.0, 3.0, 4.0]})
    fig = trend(frame, "rate", title="t", unit="", series="firm_name", highlight="乙")
    assert [(d.name, list(d.y), d.line.width) for d in fig.data] == [("甲", [1.0, 2.0], 2), ("乙", [3.0, 4.0], 4)]
    assert fig.layout.showlegend is True
