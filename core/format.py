"""Numbers as people in the room read them: Chinese conventions (万, 亿, 件/亿元) in zh, thousands separators in en.

Pure functions; no value (None, NaN, ±inf) always reads "—", never 0. Shared by the dashboard (dashboard/format.py
and dashboard/charts/labels.py re-export them) and the meeting deck (deck/), so a figure reads the same on a page
and on a slide.
"""

from __future__ import annotations

import math
from decimal import ROUND_HALF_UP, Decimal
from typing import NamedTuple

NO_VALUE = "—"


class _Step(NamedTuple):
    threshold: float   # from this size on …
    divisor: float     # … the number is divided by this …
    suffix: str        # … and carries this suffix
    decimals: int | None  # None: the caller's `digits`
    grouped: bool      # thousands separators


# zh: 9876 · 1.23万 · 1975万 · 4.56亿 · 5.1万亿 (a Chinese reader counts in 万 and 亿, never in thousands or
# millions; past 万 at most four significant figures, as on a printed notice).
ZH_STEPS = (_Step(0, 1, "", None, False), _Step(1e4, 1e4, "万", None, False), _Step(1e8, 1e8, "亿", None, False),
            _Step(1e12, 1e12, "万亿", None, False))
# en: 9,876.5 · 12.3k · 1.2M · 4.6bn — one convention (k, M, bn) on tiles, labels and axes alike; never 15,900
# beside an axis reading 15.9k.
EN_STEPS = (_Step(0, 1, "", None, True), _Step(1e4, 1e3, "k", 1, True), _Step(1e6, 1e6, "M", 1, True),
            _Step(1e9, 1e9, "bn", 1, True))


def _missing(x: float | None) -> bool:
    return x is None or not math.isfinite(float(x))


def _trim(text: str) -> str:
    """1.50 → 1.5, 2.00 → 2 (trailing zeros carry no information on a slide)."""
    return text.rstrip("0").rstrip(".") if "." in text else text


def _signed(negative: bool, text: str) -> str:
    """A minus only on what still reads as non-zero after rounding (-0.001 → 0, never -0)."""
    return "-" + text if negative and text.strip("0.,%") else text


def _scaled(a: float, steps: tuple[_Step, ...], digits: int) -> str:
    i = max(k for k, step in enumerate(steps) if a >= step.threshold)
    while True:
        step = steps[i]
        decimals = digits if step.decimals is None else step.decimals
        if step.suffix and step.decimals is None:  # 1.23万 · 12.35万 · 123.5万 · 1975万: four figures fit a tile
            decimals = min(decimals, max(0, 3 - math.floor(math.log10(a / step.divisor))))
        # 四舍五入, as a person rounds (float formatting would round 1234.5 to even: 1234).
        rounded = Decimal(repr(a / step.divisor)).quantize(Decimal(1).scaleb(-decimals), ROUND_HALF_UP)
        text = f"{rounded:{',' if step.grouped else ''}.{decimals}f}"
        # Rounding may carry into the next unit: 99,999,999 is 1亿, not 10000万.
        if i + 1 < len(steps) and float(text.replace(",", "")) * step.divisor >= steps[i + 1].threshold:
            i += 1
            continue
        if 0 < a < 1 and float(text) == 0:  # a small rate still shows its size: 0.0012, not 0
            decimals = min(10, 1 - math.floor(math.log10(a)))
            text = f"{a:.{decimals}f}"
        return _trim(text) + step.suffix


def fmt_number(x: float | None, lang: str = "zh", digits: int = 2) -> str:
    """zh: 987 · 1.23万 · 4.56亿 · 5.1万亿 · 12.35; en: 987 · 9,876 · 12.3k · 1.2M · 4.6bn · 12.35."""
    if x is None or _missing(x):
        return NO_VALUE
    text = _scaled(abs(float(x)), ZH_STEPS if lang == "zh" else EN_STEPS, digits)
    return _signed(x < 0, text)


def fmt_value(x: float | None, unit: str | None, lang: str = "zh") -> str:
    """12.3 件/亿元 · 1.23万 人次; the unit follows after a space; no unit → the number alone."""
    text = fmt_number(x, lang)
    if text == NO_VALUE or not unit:
        return text
    return f"{text} {unit}"


def fmt_pct(x: float | None, lang: str = "zh", digits: int = 1) -> str:
    """A fraction as per cent: 0.1234 → 12.3%; -0.05 → -5.0% (the same in both languages)."""
    if x is None or _missing(x):
        return NO_VALUE
    return _signed(x < 0, f"{abs(float(x)) * 100:.{digits}f}%")


def fmt_money_wan(x: float | None, lang: str = "zh") -> str:
    """An amount held in 万元: 1234.5 → 1234.5万元; 123456 → 12.35亿元; 0.5 → 5000元; en: CNY 12.3M."""
    if x is None or _missing(x):
        return NO_VALUE
    yuan = float(x) * 1e4
    return f"{fmt_number(yuan, 'zh')}元" if lang == "zh" else f"CNY {fmt_number(yuan, 'en')}"


# ── a metric's value and its change, as the metric's unit and kind read them ──────────────────────────────────
PERCENT_UNITS = ("%", "％")
MONEY_UNIT = "万元"   # amounts are held in 万元 and read 1234.5万元 / 12.35亿元
POINTS = {"zh": "百分点", "en": "pp"}  # a share's change: 45.0% → 56.1% is +11.1 百分点, not +24.7%
RELATIVE_KINDS = ("count", "stock", "money")  # changes of totals read relative only (+5.2%)


def is_percent(unit: str | None) -> bool:
    return (unit or "").strip() in PERCENT_UNITS


def value_text(value: float | None, unit: str | None, lang: str = "zh", bare: bool = False) -> str:
    """12.3 件/亿元, 45.6%, 12.35亿元, — (no value). `bare`: without a unit the chart title already states
    (bar labels in a half-width column); per cent and money keep their sign and scale."""
    if is_percent(unit):
        return fmt_pct(value, lang)
    if (unit or "").strip() == MONEY_UNIT:
        return fmt_money_wan(value, lang)
    return fmt_value(value, "" if bare else unit or "", lang)


def change_text(value: float | None, lang: str = "zh") -> str:
    """A relative change with its sign: +5.2%, -3.0%, — when the base is missing or zero."""
    text = fmt_pct(value, lang)
    return "+" + text if value is not None and value > 0 and not text.startswith("+") else text


def points_text(value: float | None, lang: str = "zh") -> str:
    """The change of a share (fractions, 0.111) in percentage points: +11.1 百分点 / +11.1 pp; — without one."""
    if value is None or _missing(value):
        return NO_VALUE
    text = fmt_pct(value, lang).removesuffix("%")
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
        return NO_VALUE
    first = absolute_text(absolute, unit, lang)
    if relative is None:
        return first
    return f"{first}（{change_text(relative, lang)}）" if lang == "zh" else f"{first} ({change_text(relative, lang)})"
