"""Value labels shared by the chart functions and the tables: one place decides how a value reads.

Shares and rates in per cent arrive as fractions (0.456) with unit "%" and read 45.6%; everything else
reads in Chinese conventions with its unit (12.3 件/亿元, 1.23万 人次, 12.35亿元). The value and change texts live in
core/format.py (the meeting deck reads figures the same way) and are re-exported here.
"""

from __future__ import annotations

from core.format import (
    MONEY_UNIT,
    PERCENT_UNITS,
    POINTS,
    RELATIVE_KINDS,
    absolute_text,
    change_text,
    delta_text,
    is_percent,
    points_text,
    value_text,
)

__all__ = ["MONEY_UNIT", "PERCENT_UNITS", "POINTS", "RELATIVE_KINDS", "absolute_text", "better_than_text",
           "change_text", "delta_text", "is_percent", "move_text", "points_text", "title_with_unit", "value_text"]


def _fmt():
    from dashboard import format as fmt

    return fmt


def move_text(absolute: float | None, relative: float | None, unit: str | None, lang: str = "zh") -> str:
    """A mover's bar label: the relative change first (the bar's length) and the absolute one beside it, with its
    unit: -21.8%（-2 件/亿元）; a share's change in points first: +11.1 百分点（+24.7%）."""
    if is_percent(unit):
        first, second = points_text(absolute, lang), change_text(relative, lang)
    else:
        first, second = change_text(relative, lang), absolute_text(absolute, unit, lang)
    if second == _fmt().NO_VALUE:
        return first
    return f"{first}（{second}）" if lang == "zh" else f"{first} ({second})"


def better_than_text(value: float | None, lang: str = "zh") -> str:
    """A peer position (query layer's better_than_share, 0–1): 优于 62% 同业 / better than 62% of peers; — when the
    firm is alone in its group, has no value or the metric has no direction."""
    if value is None:
        return _fmt().NO_VALUE
    pct = _fmt().fmt_pct(value, lang, digits=0)
    return f"优于 {pct} 同业" if lang == "zh" else f"better than {pct} of peers"


def title_with_unit(title: str, unit: str | None, lang: str = "zh") -> str:
    if not unit:
        return title
    return f"{title}（{unit}）" if lang == "zh" else f"{title} ({unit})"
