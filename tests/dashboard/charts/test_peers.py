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
    assert [t.name for t in fig.data] == ["P25–P75", "中位数", "甲"]   # three traces, whatever the rows
    band, median, (diamonds) = fig.data
    # each row on its own scale from 0 to a round number at or above its largest figure: 10, 1 (100%), 0.5 (50%)
    assert list(diamonds.x) == [pytest.approx(0.4), pytest.approx(0.5)] and list(diamonds.y) == [0, 1]
    assert list(diamonds.marker.color) == [theme.BETTER, theme.WORSE]
    assert list(diamonds.marker.symbol) == [theme.BETTER_SYMBOL, theme.WORSE_SYMBOL]
    assert list(diamonds.marker.line.color) == ["#ffffff", theme.LOW_BASE]
    assert [pytest.approx(x) for x in band.base] == [0.5, 0.7, 0.2] and list(band.y) == [0, 1, 2]
    assert [pytest.approx(x) for x in band.x] == [0.5, 0.2, 0.4]
    assert [pytest.approx(x) for x in median.x] == [0.9, 0.8, 0.4]
    # the hover gives the figures themselves, not the row's 0–1 position
    spread = f"{fmt.fmt_value(5.0, '件/亿元', 'zh')} – {fmt.fmt_value(10.0, '件/亿元', 'zh')}"
    assert band.customdata[0] == f"P25–P75: {spread}"
    assert diamonds.customdata[1] == f"甲: {fmt.fmt_pct(0.5, 'zh')} · ⚠ 低基数 · 优于 10% 同业"
    right = [a for a in fig.layout.annotations if a.xanchor == "left"]
    assert [a.text for a in right] == [
        fmt.fmt_value(4.0, "件/亿元", "zh") + "<br>优于 88% 同业",
        fmt.fmt_pct(0.5, "zh") + "<br>⚠ 低基数<br>优于 10% 同业",
        "—"]
    left = [a.text for a in fig.layout.annotations if a.xanchor == "right"]
    scale = '<br><span style="color:' + theme.NEUTRAL + '">'
    assert left == [f"亿元保费投诉量{scale}0 – {fmt.fmt_value(10.0, '件/亿元', 'zh')}</span>",
                    f"调解成功率{scale}0 – {fmt.fmt_pct(1.0, 'zh')}</span>",
                    f"诉调对接占比{scale}0 – {fmt.fmt_pct(0.5, 'zh')}</span>"]
    assert marker_colour("lower", None, 3.0) == theme.NEUTRAL


def test_a_bullet_rows_scale_takes_in_a_firm_above_the_peers_and_a_name_is_inert():
    frame = pl.DataFrame([{"label": "<b>投诉指数</b>", "unit": "", "direction": "lower", "value": 3.1, "p25": 0.8,
                           "median": 1.0, "p75": 1.2, "better_than_share": 0.0, "low_base": False}])
    fig = bullet_benchmark(frame, firm_label="甲")
    assert list(fig.data[2].x) == [pytest.approx(3.1 / 5)]   # 3.1 → a scale of 0 – 5
    assert fig.layout.annotations[0].text.startswith("&lt;b&gt;投诉指数&lt;/b&gt;<br>")


def test_rank_over_time_puts_rank_one_on_top_and_leaves_gaps():
    frame = pl.DataFrame({"period": ["2025Q2", "2025Q1", "2025Q3"], "rank": [3, 1, None], "n_firms": [6, 6, 5],
                          "low_base": [False, True, None]})
    (line,) = rank_over_time(frame, title="t").data
    assert list(line.x) == ["2025Q1", "2025Q2", "2025Q3"]
    assert list(line.y) == [1, 3, None]
    assert list(line.text) == ["1/6 ⚠ 低基数", "3/6", "—"]
    fig = rank_over_time(frame, title="t")
    assert list(fig.layout.yaxis.range) == [6.5, 0.5]
