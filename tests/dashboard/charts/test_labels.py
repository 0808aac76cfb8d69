"""Value and change labels on charts read as the formatting module writes them."""

from __future__ import annotations

from dashboard import format as fmt
from dashboard.charts.labels import change_text, value_text


def test_value_text_reads_shares_as_per_cent_and_rates_with_their_unit():
    assert value_text(0.456, "%") == fmt.fmt_pct(0.456, "zh")
    assert value_text(12.345, "件/亿元") == fmt.fmt_value(12.345, "件/亿元", "zh")
    assert value_text(None, "件/亿元") == fmt.fmt_value(None, "件/亿元", "zh")
    assert value_text(123456.0, "万元") == fmt.fmt_money_wan(123456.0, "zh") == "12.35亿元"
    assert change_text(0.052).startswith("+")
    assert change_text(-0.03) == fmt.fmt_pct(-0.03, "zh")
