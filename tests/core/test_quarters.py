from datetime import date

import pytest

from core import quarters


@pytest.mark.parametrize("text", ["2025Q3", "2025-Q3", "2025 q3", "2025年第三季度", "2025年三季度", "2025年3季度",
                                  "2025年第3季度", "Q3 2025", "２０２５Ｑ３", "2025年第三季"])
def test_every_spelling_members_use_reads_as_the_quarter(text):
    assert quarters.parse(text) == "2025Q3"


@pytest.mark.parametrize("text", [None, "", "2025Q5", "2025", "三季度", "2025-13"])
def test_what_is_not_a_quarter_is_none(text):
    assert quarters.parse(text) is None


def test_arithmetic_crosses_years():
    assert quarters.shift("2025Q1", -1) == "2024Q4"
    assert quarters.shift("2025Q3", -4) == "2024Q3"
    assert quarters.shift("2024Q4", 1) == "2025Q1"
    assert quarters.previous("2025Q1") == "2024Q4"
    assert quarters.span("2024Q3", "2025Q2") == ["2024Q3", "2024Q4", "2025Q1", "2025Q2"]
    assert quarters.of_year("2025") == ["2025Q1", "2025Q2", "2025Q3", "2025Q4"]
    assert quarters.earlier_in_year("2025Q3") == ["2025Q1", "2025Q2"] and quarters.earlier_in_year("2025Q1") == []
    assert quarters.end_date("2025Q3") == date(2025, 9, 30) and quarters.end_date("2025Q4") == date(2025, 12, 31)
    assert quarters.end_date("2024Q1") == date(2024, 3, 31)


def test_a_backwards_range_or_a_bad_period_is_refused_in_chinese():
    with pytest.raises(ValueError, match="晚于"):
        quarters.span("2025Q3", "2025Q1")
    with pytest.raises(ValueError, match="自然季度"):
        quarters.year_quarter("2025-3")


def test_every_spelling_the_demo_writes_reads_back():
    for style in range(quarters.SPELLING_STYLES):
        assert quarters.parse(quarters.spell("2024Q4", style)) == "2024Q4"
    assert quarters.spell("2024Q4", 2) == "2024年第四季度"
