"""core/format.py: the value and change texts the dashboard and the deck share (the number conventions themselves
are tested through their dashboard re-export, tests/dashboard/test_format.py)."""

from __future__ import annotations

from core import format as fmt
from dashboard import format as dashboard_format
from dashboard.charts import labels


def test_the_dashboard_reads_figures_through_the_same_functions():
    assert dashboard_format.fmt_number is fmt.fmt_number
    assert labels.value_text is fmt.value_text and labels.delta_text is fmt.delta_text


def test_values_read_by_unit():
    assert fmt.value_text(0.4567, "%") == "45.7%"
    assert fmt.value_text(123456, "万元") == "12.35亿元"
    assert fmt.value_text(12345, "件") == "1.23万 件"
    assert fmt.value_text(None, "件") == "—"


def test_changes_read_by_kind():
    assert fmt.delta_text(0.111, 0.247, "%", "rate") == "+11.1 百分点"
    assert fmt.delta_text(0.52, 0.072, "件/亿元", "rate") == "+0.52 件/亿元（+7.2%）"
    assert fmt.delta_text(0.52, 0.072, "per 100m yuan", "rate", "en") == "+0.52 per 100m yuan (+7.2%)"
    assert fmt.delta_text(40, 0.052, "件", "count") == "+5.2%"
    assert fmt.delta_text(None, None, "件/亿元", "rate") == "—"
