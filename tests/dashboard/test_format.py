"""Number conventions, each expected string written by hand."""

import math

import pytest

from dashboard.format import fmt_money_wan, fmt_number, fmt_pct, fmt_value


@pytest.mark.parametrize(("x", "zh", "en"), [
    (0, "0", "0"), (987, "987", "987"), (12345, "1.23万", "12,345"), (10000, "1万", "10,000"),
    (456_000_000, "4.56亿", "456M"), (2_500_000_000, "25亿", "2.5bn"), (12.345, "12.35", "12.35"),
    (-12345, "-1.23万", "-12,345"), (None, "—", "—"), (math.nan, "—", "—"), (1.5, "1.5", "1.5"),
])
def test_fmt_number(x, zh, en):
    assert fmt_number(x, "zh") == zh
    assert fmt_number(x, "en") == en


def test_fmt_value_and_pct_and_money():
    assert fmt_value(12.3, "件/亿元") == "12.3 件/亿元"
    assert fmt_value(12345, "人次") == "1.23万 人次"
    assert fmt_value(None, "件/亿元") == "—"
    assert fmt_pct(0.1234) == "12.3%" and fmt_pct(-0.05) == "-5.0%" and fmt_pct(None) == "—"
    assert fmt_money_wan(1234.5) == "1234.5万元" and fmt_money_wan(123456) == "12.35亿元"
    assert fmt_money_wan(1234.5, "en") == "CNY 12.3M"
