"""Value labels shared by the chart functions and the tables: one place decides how a value reads.

Shares and rates in per cent arrive as fractions (0.456) with unit "%" and read 45.6%; everything else
reads in Chinese conventions with its unit (12.3 件/亿元, 1.23万 人次, 12.35亿元). Formatting itself is MAP's
dashboard/format.py.
"""

from __future__ import annotations

PERCENT_UNITS = ("%", "％")
MONEY_UNIT = "万元"   # amounts are held in 万元 and read 1234.5万元 / 12.35亿元


def _fmt():
    from dashboard import format as fmt

    return fmt


def is_percent(unit: str | None) -> bool:
    return (unit or "").strip() in PERCENT_UNITS


def value_text(value: float | None, unit: str | None, lang: str = "zh", bare: bool = False) -> str:
    """12.3 件/亿元, 45.6%, 12.35亿元, — (no value). `bare`: without a unit the chart title already states
    (bar labels in a half-width column); per cent and money keep their sign and scale."""
    fmt = _fmt()
    if is_percent(unit):
        return fmt.fmt_pct(value, lang)
    if (unit or "").strip() == MONEY_UNIT:
        return fmt.fmt_money_wan(value, lang)
    return fmt.fmt_value(value, "" if bare else unit or "", lang)


def change_text(value: float | None, lang: str = "zh") -> str:
    """A relative change with its sign: +5.2%, -3.0%, — when the base is missing or zero."""
    text = _fmt().fmt_pct(value, lang)
    return "+" + text if value is not None and value > 0 and not text.startswith("+") else text


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
