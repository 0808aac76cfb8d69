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


POINTS = {"zh": "百分点", "en": "pp"}  # a share's change: 45.0% → 56.1% is +11.1 百分点, not +24.7%
RELATIVE_KINDS = ("count", "stock", "money")  # changes of totals read relative only (+5.2%)


def points_text(value: float | None, lang: str = "zh") -> str:
    """The change of a share (fractions, 0.111) in percentage points: +11.1 百分点 / +11.1 pp; — without one."""
    fmt = _fmt()
    if fmt._missing(value):
        return fmt.NO_VALUE
    text = fmt.fmt_pct(value, lang).removesuffix("%")
    return f"{'+' if value > 0 and text.strip('-0.') else ''}{text} {POINTS[lang]}"


def absolute_text(value: float | None, unit: str | None, lang: str = "zh") -> str:
    """An absolute change with its sign and unit: +0.52 件/亿元, -3 件; — without one."""
    text = value_text(value, unit, lang)
    return "+" + text if value is not None and value > 0 and text[:1].isdigit() else text


def delta_text(absolute: float | None, relative: float | None, unit: str | None, kind: str | None = "rate",
               lang: str = "zh") -> str:
    """环比 / 同比 as the metric's kind reads it. A share (unit %) changes in percentage points (+11.1 百分点);
    a rate per base (件/亿元, an index) shows the absolute change with its unit and the relative one in brackets
    (+0.52 件/亿元（+7.2%）); a total (count, stock, money) the relative change (+5.2%). — without a base."""
    if is_percent(unit):
        return points_text(absolute, lang)
    if kind in RELATIVE_KINDS:
        return change_text(relative, lang)
    if absolute is None:
        return _fmt().NO_VALUE
    first = absolute_text(absolute, unit, lang)
    if relative is None:
        return first
    return f"{first}（{change_text(relative, lang)}）" if lang == "zh" else f"{first} ({change_text(relative, lang)})"


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
