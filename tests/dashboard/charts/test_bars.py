"""Bar charts (pure frame → Figure): ranked, change and mix bars."""

from __future__ import annotations

import polars as pl

from dashboard import format as fmt
from dashboard import theme
from dashboard.charts.bars import change_bars, mix_bars, ranked_bars


def test_ranked_bars_sort_drop_missing_and_colour_against_the_peer_median():
    frame = pl.DataFrame({"firm_name": ["甲", "乙", "丙", "丁"], "value": [10.0, None, 30.0, 20.0],
                          "low_base": [False, False, True, False]})
    fig = ranked_bars(frame, "firm_name", "value", title="亿元保费投诉量", unit="件/亿元", direction="lower",
                      reference=20.0, reference_label="同业中位数", low_base="low_base")
    (bars,) = fig.data
    assert list(bars.y) == ["丙", "丁", "甲"] and list(bars.x) == [30.0, 20.0, 10.0]
    assert list(bars.marker.color) == [theme.WORSE, theme.NEUTRAL, theme.BETTER]
    assert list(bars.marker.pattern.shape) == ["/", "", ""]
    assert bars.text[0] == fmt.fmt_number(30.0, "zh")                          # unit is in the title …
    assert bars.hovertext[0] == fmt.fmt_value(30.0, "件/亿元", "zh") + " ⚠ 低基数"  # … and in the hover
    (line,) = fig.layout.shapes
    assert (line.x0, line.x1, line.line.dash) == (20.0, 20.0, "dash")
    assert fig.layout.xaxis.range[1] > 30.0                           # room for the outside labels


def test_ranked_bars_keep_the_highest_and_lowest_and_say_how_many_are_left_out():
    frame = pl.DataFrame({"firm_name": [f"公司{i:02d}" for i in range(40)], "value": [float(i) for i in range(40)]})
    (bars,) = ranked_bars(frame, "firm_name", "value", title="t", unit="件", most=10).data
    assert list(bars.y) == ["公司39", "公司38", "公司37", "公司36", "公司35", "⋯ 中间 30 项未显示 ⋯",
                            "公司04", "公司03", "公司02", "公司01", "公司00"]
    assert list(bars.x) == [39.0, 38.0, 37.0, 36.0, 35.0, None, 4.0, 3.0, 2.0, 1.0, 0.0]
    assert bars.text[5] == ""
    (english,) = ranked_bars(frame, "firm_name", "value", title="t", unit="件", lang="en", most=10).data
    assert english.y[5] == "⋯ 30 in between not shown ⋯"
    (short,) = ranked_bars(frame.head(10), "firm_name", "value", title="t", unit="件", most=10).data
    assert len(short.y) == 10  # nothing left out, no gap row


def test_ranked_bars_without_reference_are_neutral_and_percent_axis():
    frame = pl.DataFrame({"region_name": ["北京市", "广东省"], "share": [0.2, 0.5]})
    fig = ranked_bars(frame, "region_name", "share", title="重点人群占比", unit="%")
    assert list(fig.data[0].marker.color) == [theme.NEUTRAL, theme.NEUTRAL]
    assert list(fig.data[0].text) == [fmt.fmt_pct(0.5, "zh"), fmt.fmt_pct(0.2, "zh")]
    assert list(fig.layout.xaxis.ticktext) == ["0%", "10%", "20%", "30%", "40%", "50%"]
    assert fig.layout.shapes == ()


def test_change_bars_colour_moves_by_direction():
    frame = pl.DataFrame({"firm_name": ["甲", "乙", "丙"], "qoq_pct": [0.25, -0.1, None]})
    fig = change_bars(frame, "firm_name", "qoq_pct", title="环比", direction="lower")
    (bars,) = fig.data
    assert list(bars.y) == ["甲", "乙"]
    assert list(bars.marker.color) == [theme.WORSE, theme.BETTER]
    assert bars.text[0].startswith("+")


def test_movers_bars_write_the_absolute_change_beside_the_relative_one_right_of_the_plot():
    frame = pl.DataFrame({"firm_name": ["甲", "乙"], "qoq_pct": [0.07, -0.162], "qoq_abs": [0.87, -1.75],
                          "prev_quarter": [12.48, 10.8], "value": [13.35, 9.05]})
    fig = change_bars(frame, "firm_name", "qoq_pct", title="财产险 · 环比", direction="lower", absolute="qoq_abs",
                      unit="件/亿元", before="prev_quarter", after="value")
    (bars,) = fig.data
    assert bars.text is None and list(bars.x) == [0.07, -0.162]
    notes = fig.layout.annotations
    assert [a.text for a in notes] == ["+7.0%（+0.87 件/亿元）", "-16.2%（-1.75 件/亿元）"]
    assert [a.font.color for a in notes] == [theme.WORSE, theme.BETTER] and {a.xref for a in notes} == {"paper"}
    assert min(a.x for a in notes) > 1 and fig.layout.margin.r >= 200  # a column of its own, never over a name
    assert bars.hovertext[1] == "10.8 件/亿元 → 9.05 件/亿元 · -16.2%（-1.75 件/亿元）"
    en = change_bars(frame, "firm_name", "qoq_pct", title="t", lang="en", absolute="qoq_abs", unit="per 100m yuan")
    assert en.layout.annotations[1].text == "-16.2% (-1.75 per 100m yuan)"


def test_mix_bars_one_segment_per_part_normalised_to_100():
    frame = pl.DataFrame({"firm_name": ["甲", "乙"], "events_rural": [3, 1], "events_campus": [1, 1]})
    fig = mix_bars(frame, "firm_name", {"events_rural": "进农村", "events_campus": "进校园"}, title="五进入")
    assert [(d.name, list(d.x)) for d in fig.data] == [("进农村", [3, 1]), ("进校园", [1, 1])]
    assert fig.layout.barmode == "stack" and fig.layout.barnorm == "percent"


def test_the_value_axis_ends_near_the_largest_bar_and_the_low_base_flag_never_crosses_the_median():
    # Issue 8 item 9: a maximum of 22.44 drew on a 0–35 axis; a low-base bar's "⚠ 低基数" ran across the median.
    frame = pl.DataFrame({"firm_name": ["甲", "乙", "丙"], "value": [22.44, 3.1, 12.0],
                          "low_base": [False, True, False]})
    fig = ranked_bars(frame, "firm_name", "value", title="亿元保费投诉量", unit="件/亿元", direction="lower",
                      reference=12.0, reference_label="同业中位数", low_base="low_base")
    (bars,) = fig.data
    assert 22.44 < fig.layout.xaxis.range[1] <= 22.44 * 1.15
    assert not any("低基数" in text for text in bars.text)            # bar labels are the numbers alone
    assert list(fig.layout.yaxis.ticktext) == ["甲", "丙", "乙 ⚠ 低基数"]  # the flag goes with the name
    assert list(bars.y) == ["甲", "丙", "乙"]


def test_better_and_worse_are_told_apart_without_red_against_green():
    frame = pl.DataFrame({"firm_name": ["甲", "乙"], "value": [30.0, 10.0]})
    fig = ranked_bars(frame, "firm_name", "value", title="t", unit="件/亿元", direction="lower", reference=20.0,
                      reference_label="同业中位数")
    assert list(fig.data[0].marker.color) == [theme.WORSE, theme.BETTER]
    key = " ".join(a.text for a in fig.layout.annotations)
    assert "优于同业中位数" in key and "劣于同业中位数" in key   # the colours said in words on the chart


def test_english_axis_ticks_follow_the_k_convention_of_the_labels():
    frame = pl.DataFrame({"firm_name": ["A", "B"], "n": [15_900.0, 4_000.0]})
    fig = ranked_bars(frame, "firm_name", "n", title="Complaints", unit="", lang="en")
    assert fig.data[0].text[0] == "15.9k"
    assert all(t == "0" or t.endswith("k") for t in fig.layout.xaxis.ticktext)
    zh = ranked_bars(frame, "firm_name", "n", title="投诉", unit="", lang="zh")
    assert zh.data[0].text[0] == "1.59万" and "1万" in list(zh.layout.xaxis.ticktext)
