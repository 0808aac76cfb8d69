"""Peer charts (pure frame → Figure): bullet rows coloured by direction, rank over time with rank one on top."""

from __future__ import annotations

import polars as pl
import pytest

from dashboard import format as fmt
from dashboard import theme
from dashboard.charts.peers import bullet_benchmark, marker_colour, rank_over_time


def test_bullet_rows_colour_the_firm_by_direction_and_say_when_it_has_no_value():
    frame = pl.DataFrame([
        {"label": "亿元保费投诉量", "unit": "件/亿元", "direction": "lower", "value": 4.0, "p25": 5.0,
         "median": 9.0, "p75": 10.0, "better_than_share": 0.875, "low_base": False},
        {"label": "调解成功率", "unit": "%", "direction": "higher", "value": 0.5, "p25": 0.7, "median": 0.8,
         "p75": 0.9, "better_than_share": 0.1, "low_base": True},
        {"label": "诉调对接占比", "unit": "%", "direction": None, "value": None, "p25": 0.1, "median": 0.2,
         "p75": 0.3, "better_than_share": None, "low_base": False},
    ])
    fig = bullet_benchmark(frame, firm_label="甲")
    diamonds = [t for t in fig.data if t.name == "甲"]
    assert [(list(t.x), t.marker.color) for t in diamonds] == [([4.0], theme.BETTER), ([0.5], theme.WORSE)]
    assert diamonds[1].marker.line.color == theme.LOW_BASE
    bands = [t for t in fig.data if t.type == "bar"]
    assert [(list(t.base), list(t.x)) for t in bands] == [([5.0], [5.0]), ([0.7], [pytest.approx(0.2)]),
                                                          ([0.1], [pytest.approx(0.2)])]
    assert [a.text for a in fig.layout.annotations] == [
        fmt.fmt_value(4.0, "件/亿元", "zh") + "<br>优于 88% 同业",
        fmt.fmt_pct(0.5, "zh") + "<br>⚠ 低基数<br>优于 10% 同业",
        "—"]
    assert fig.layout.xaxis2.tickformat == ".3~%" and fig.layout.xaxis.tickformat is None
    assert marker_colour("lower", None, 3.0) == theme.NEUTRAL


def test_rank_over_time_puts_rank_one_on_top_and_leaves_gaps():
    frame = pl.DataFrame({"period": ["2025Q2", "2025Q1", "2025Q3"], "rank": [3, 1, None], "n_firms": [6, 6, 5],
                          "low_base": [False, True, None]})
    (line,) = rank_over_time(frame, title="t").data
    assert list(line.x) == ["2025Q1", "2025Q2", "2025Q3"]
    assert list(line.y) == [1, 3, None]
    assert list(line.text) == ["1/6 ⚠ 低基数", "3/6", "—"]
    fig = rank_over_time(frame, title="t")
    assert list(fig.layout.yaxis.range) == [6.5, 0.5]
