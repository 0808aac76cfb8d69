import polars as pl
import pytest

from dashboard import theme
from dashboard.charts import margins
from dashboard.charts.bars import mix_bars, ranked_bars
from dashboard.charts.peers import bullet_benchmark
from dashboard.charts.trend import trend

TICK = theme.FONT_SIZE - 2   # the template's tick font


def test_text_width_counts_cjk_as_one_em_and_other_characters_as_a_little_over_half():
    assert margins.text_px("广东省", 16) == 48
    assert margins.text_px("Guangdong", 10) == pytest.approx(9 * 6.2)
    assert margins.text_px("<b>北京</b>", 10) == 20   # markup takes no room
    assert margins.text_px("北京<br>Beijing<BR/>京", 10) == pytest.approx(7 * 6.2)   # the widest line


def test_horizontal_bars_get_a_left_margin_for_their_longest_name_and_no_automargin():
    frame = pl.DataFrame({"region": ["北京", "新疆生产建设兵团", "广东省（不含深圳）"], "v": [1.0, 2.0, 3.0]})
    fig = margins.fit(ranked_bars(frame, "region", "v", title="投诉量", unit="件"))
    # 广东省（不含深圳）: 9 characters at or above U+2E80 (the full-width brackets too), 16 px each, + 18 px
    assert fig.layout.margin.l == 9 * TICK + margins.PAD
    assert fig.layout.margin.r == 72            # the chart's own room for the bar labels is kept
    assert fig.layout.xaxis.automargin is False and fig.layout.yaxis.automargin is False


def test_a_low_base_flag_in_the_tick_text_is_given_room():
    frame = pl.DataFrame({"firm": ["甲公司", "乙公司"], "v": [1.0, 2.0], "low": [True, False]})
    fig = margins.fit(ranked_bars(frame, "firm", "v", title="t", unit="件", low_base="low"))
    # "甲公司 ⚠ 低基数": six CJK characters at one em; the two spaces and ⚠ (below U+2E80) at 0.62 em
    assert fig.layout.margin.l == round(6 * TICK + 3 * TICK * margins.NARROW_EM + margins.PAD)


def test_a_legend_under_the_plot_gets_room_below_the_axis():
    frame = pl.DataFrame({"firm": ["甲", "乙"], "a": [1, 2], "b": [3, 4]})
    with_legend = margins.fit(mix_bars(frame, "firm", {"a": "销售纠纷", "b": "理赔纠纷"}, title="t"))
    line = pl.DataFrame({"period": ["2025Q1", "2025Q2"], "v": [1.0, 2.0]})
    without = margins.fit(trend(line, "v", title="t", unit="件"))
    assert with_legend.layout.margin.b > without.layout.margin.b == round(TICK * 1.4 + margins.PAD)


def test_many_quarters_on_a_category_axis_leave_room_for_rotated_labels():
    few = pl.DataFrame({"period": ["2025Q1", "2025Q2"], "v": [1.0, 2.0]})
    many = pl.DataFrame({"period": [f"{y}Q{q}" for y in range(2016, 2026) for q in (1, 2, 3, 4)],
                         "v": [1.0] * 40})
    assert margins.fit(trend(many, "v", title="t", unit="件")).layout.margin.b > \
        margins.fit(trend(few, "v", title="t", unit="件")).layout.margin.b


def test_the_bullet_rows_names_and_scales_left_of_the_plot_set_their_own_margin_and_fit_keeps_it():
    frame = pl.DataFrame({"label": ["投诉量", "每万张保单投诉量"], "unit": ["件", "件/万张"],
                          "direction": ["lower", "lower"], "value": [1.0, 2.0], "p25": [0.5, 1.0],
                          "median": [1.0, 1.5], "p75": [1.5, 2.5], "low_base": [False, False]})
    fig = margins.fit(bullet_benchmark(frame, firm_label="甲"))
    assert [a.automargin for a in fig.select_yaxes()] == [False]
    assert [a.automargin for a in fig.select_xaxes()] == [False]
    # the widest line is a scale, "0 – 2.5 件/万张" (3 CJK and 9 others at the annotations' 18 px), wider than
    # 每万张保单投诉量 (8 CJK); PAD either side of it
    assert 8 * theme.FONT_SIZE < 3 * theme.FONT_SIZE + 9 * theme.FONT_SIZE * margins.NARROW_EM
    assert fig.layout.margin.l == round(3 * theme.FONT_SIZE + 9 * theme.FONT_SIZE * margins.NARROW_EM) + 2 * margins.PAD
