"""Quarter arithmetic, in one place: periods are calendar quarters written `YYYYQn`.

Also the spellings members write them in (2025-Q3, 2025年第三季度 …), so that the ETL, the URL parameters and
the command line accept exactly the same ones.
"""

from __future__ import annotations

import re
from datetime import date, timedelta

from core.text import clean

_CANONICAL = re.compile(r"^(\d{4})Q([1-4])$")
_QUARTER_DIGITS = {"一": 1, "二": 2, "三": 3, "四": 4, "1": 1, "2": 2, "3": 3, "4": 4}
# Matched against core.text.clean(text): Simplified, half-width, no spaces, lower case.
_SPELLINGS = (
    re.compile(r"^(?P<y>\d{4})[-_/.]?q(?P<q>[1-4])$"),  # 2025Q3, 2025-Q3, 2025 q3
    re.compile(r"^q(?P<q>[1-4])[-_/.]?(?P<y>\d{4})$"),  # Q3 2025
    re.compile(r"^(?P<y>\d{4})(?:年度?)?第?(?P<q>[一二三四1-4])季度?$"),  # 2025年第三季度, 2025年3季度, 2025年第3季
)
CN_DIGITS = "一二三四"


def parse(text: str | None) -> str | None:
    """2025Q3 / 2025-Q3 / 2025 q3 / 2025年第三季度 / 2025年三季度 / 2025年3季度 / 2025年第3季度 → '2025Q3'."""
    if not text:
        return None
    key = clean(text)
    for pattern in _SPELLINGS:
        match = pattern.match(key)
        if match:
            return f"{match.group('y')}Q{_QUARTER_DIGITS[match.group('q')]}"
    return None


def is_period(text: str) -> bool:
    """Already canonical: `2025Q3`."""
    return bool(_CANONICAL.match(text))


def year_quarter(period: str) -> tuple[int, int]:
    """'2025Q3' → (2025, 3)."""
    match = _CANONICAL.match(period)
    if not match:
        raise ValueError(f"报送期间应为如 2025Q3 的自然季度：{period}")
    return int(match[1]), int(match[2])


def _index(period: str) -> int:
    year, quarter = year_quarter(period)
    return year * 4 + quarter - 1


def _from_index(index: int) -> str:
    return f"{index // 4}Q{index % 4 + 1}"


def shift(period: str, quarters: int) -> str:
    """2025Q1 shifted by -1 → 2024Q4; by -4 → 2024Q1 (same quarter last year)."""
    return _from_index(_index(period) + quarters)


def previous(period: str) -> str:
    return shift(period, -1)


def span(period_from: str, period_to: str) -> list[str]:
    """Every quarter from period_from to period_to inclusive ('2024Q3', '2025Q2' → 4 periods)."""
    start, end = _index(period_from), _index(period_to)
    if start > end:
        raise ValueError(f"起始期间 {period_from} 晚于结束期间 {period_to}")
    return [_from_index(i) for i in range(start, end + 1)]


def of_year(year: int | str) -> list[str]:
    """The four quarters of a year: 2025 → 2025Q1 … 2025Q4."""
    return [f"{int(year)}Q{q}" for q in range(1, 5)]


def earlier_in_year(period: str) -> list[str]:
    """The quarters of the same year before this one (what a 年累计 figure has to subtract): 2025Q3 → Q1, Q2."""
    year, quarter = year_quarter(period)
    return [f"{year}Q{q}" for q in range(1, quarter)]


def end_date(period: str) -> date:
    """The last day of the quarter: 2025Q3 → 2025-09-30."""
    year, quarter = year_quarter(period)
    return date(year + (quarter == 4), 1 if quarter == 4 else 3 * quarter + 1, 1) - timedelta(days=1)


def spell(period: str, style: int) -> str:
    """The period in one of the spellings members use (style 0 canonical … 4), for the demo files and tests."""
    year, quarter = year_quarter(period)
    return ("{y}Q{q}", "{y}-Q{q}", "{y}年第{cq}季度", "{y}年{cq}季度", "{y}年{q}季度")[style].format(
        y=year, q=quarter, cq=CN_DIGITS[quarter - 1])


SPELLING_STYLES = 5
