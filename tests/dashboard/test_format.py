"""Number conventions, each expected string written by hand."""

import math

import pytest

from dashboard.format import fmt_money_wan, fmt_number, fmt_pct, fmt_value


@pytest.mark.parametrize(("x", "zh", "en"), [
    (0, "0", "0"), (0.0, "0", "0"), (987, "987", "987"), (1234, "1234", "1,234"), (1234.5, "1234.5", "1,234.5"),
    (12345, "1.23万", "12.3k"), (10000, "1万", "10k"), (456_000_000, "4.56亿", "456M"),
    (2_500_000_000, "25亿", "2.5bn"), (5.1e12, "5.1万亿", "5,100bn"), (12.345, "12.35", "12.35"), (1.5, "1.5", "1.5"),
    # rounding that carries into the next unit reads in that unit
    (9999.999, "1万", "10k"), (9999.4, "9999.4", "9,999.4"), (99_995, "10万", "100k"),
    (99_999_999, "1亿", "100M"), (999_999.7, "100万", "1M"), (999_950_000, "10亿", "1bn"),
    # past 万, four significant figures at most
    (1_234_500, "123.5万", "1.2M"), (19_749_300, "1975万", "19.7M"), (99_995_000, "1亿", "100M"),
    # changes are negative; what rounds to nothing carries no minus; a small non-zero rate keeps its size
    (-12345, "-1.23万", "-12.3k"), (-3.456, "-3.46", "-3.46"), (-0.004, "-0.004", "-0.004"),
    (0.0012, "0.0012", "0.0012"), (0.5, "0.5", "0.5"),
    (None, "—", "—"), (math.nan, "—", "—"), (math.inf, "—", "—"),
])
def test_fmt_number(x, zh, en):
    assert fmt_number(x, "zh") == zh
    assert fmt_number(x, "en") == en


def test_fmt_number_digits():
    assert fmt_number(12345, "zh", digits=1) == "1.2万"
    assert fmt_number(3.14159, "zh", digits=3) == "3.142"
    assert fmt_number(-0.001, "zh", digits=2) == "-0.001"


def test_fmt_value():
    assert fmt_value(12.3, "件/亿元") == "12.3 件/亿元"
    assert fmt_value(12345, "人次") == "1.23万 人次"
    assert fmt_value(12345, "person-times", "en") == "12.3k person-times"
    assert fmt_value(7, "") == "7" and fmt_value(7, None) == "7"
    assert fmt_value(0, "件") == "0 件"
    assert fmt_value(None, "件/亿元") == "—" and fmt_value(math.nan, "件") == "—"


@pytest.mark.parametrize(("x", "text"), [
    (0.1234, "12.3%"), (0.12351, "12.4%"), (1, "100.0%"), (0.99951, "100.0%"), (1.5, "150.0%"), (0, "0.0%"),
    (-0.05, "-5.0%"), (-0.0004, "0.0%"), (None, "—"), (math.nan, "—"),
])
def test_fmt_pct(x, text):
    assert fmt_pct(x) == text
    assert fmt_pct(x, "en") == text


def test_fmt_pct_digits():
    assert fmt_pct(0.12345, digits=2) == "12.35%" and fmt_pct(0.5, digits=0) == "50%"


@pytest.mark.parametrize(("wan", "zh", "en"), [
    (1234.5, "1235万元", "CNY 12.3M"), (123.45, "123.5万元", "CNY 1.2M"), (123456, "12.35亿元", "CNY 1.2bn"),
    (9999.999, "1亿元", "CNY 100M"),
    (0.5, "5000元", "CNY 5,000"), (0, "0元", "CNY 0"), (-250, "-250万元", "CNY -2.5M"),
    (None, "—", "—"), (math.nan, "—", "—"),
])
def test_fmt_money_wan(wan, zh, en):
    assert fmt_money_wan(wan) == zh
    assert fmt_money_wan(wan, "en") == en


def test_better_than_reads_as_a_share_of_peers_in_both_languages():
    from dashboard.charts.labels import better_than_text

    assert better_than_text(0.6, "zh") == "优于 60% 同业"
    assert better_than_text(1 / 14, "en") == "better than 7% of peers"
    assert better_than_text(1.0, "zh") == "优于 100% 同业" and better_than_text(None, "en") == "—"


def test_a_share_changes_in_points_a_rate_absolute_and_relative_a_total_relative():
    from dashboard.charts.labels import delta_text

    assert delta_text(0.111, 0.247, "%", "rate", "zh") == "+11.1 百分点"
    assert delta_text(-0.111, -0.2, "%", "rate", "en") == "-11.1 pp"
    assert delta_text(-0.0004, -0.001, "%", "rate", "en") == "0.0 pp"  # never -0.0
    assert delta_text(0.52, 0.072, "件/亿元", "rate", "zh") == "+0.52 件/亿元（+7.2%）"
    assert delta_text(-2.0, -0.218, "per 100m yuan", "rate", "en") == "-2 per 100m yuan (-21.8%)"
    assert delta_text(0.5, None, "件/亿元", "rate", "zh") == "+0.5 件/亿元"  # from a zero base: no relative change
    assert delta_text(12, 0.052, "件", "count", "zh") == "+5.2%"
    assert delta_text(None, None, "%", "rate", "zh") == delta_text(None, None, "件/亿元", "rate", "en") == "—"
