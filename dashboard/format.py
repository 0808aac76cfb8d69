"""Numbers as people in the room read them: Chinese conventions (万, 亿, 件/亿元) in zh, thousands separators in en.

Pure functions; no value (None or NaN) always reads "—", never 0.
"""

from __future__ import annotations

import math

NO_VALUE = "—"


def _missing(x: float | None) -> bool:
    return x is None or (isinstance(x, float) and math.isnan(x))


def _trim(text: str) -> str:
    """1.50 → 1.5, 2.00 → 2 (trailing zeros carry no information on a slide)."""
    return text.rstrip("0").rstrip(".") if "." in text else text


def fmt_number(x: float | None, lang: str = "zh", digits: int = 2) -> str:
    """zh: 987 · 1.23万 · 4.56亿 · 12.35; en: 987 · 12,345 · 1.2M · 4.6bn · 12.35."""
    if _missing(x):
        return NO_VALUE
    sign, a = ("-" if x < 0 else ""), abs(float(x))
    if lang == "zh":
        if a >= 1e8:
            return f"{sign}{_trim(f'{a / 1e8:.{digits}f}')}亿"
        if a >= 1e4:
            return f"{sign}{_trim(f'{a / 1e4:.{digits}f}')}万"
    else:
        if a >= 1e9:
            return f"{sign}{_trim(f'{a / 1e9:.1f}')}bn"
        if a >= 1e6:
            return f"{sign}{_trim(f'{a / 1e6:.1f}')}M"
        if a >= 1e4:
            return f"{sign}{a:,.0f}"
    if float(a).is_integer():
        return f"{sign}{int(a):,}" if lang != "zh" else f"{sign}{int(a)}"
    return f"{sign}{_trim(f'{a:.{digits}f}')}"


def fmt_value(x: float | None, unit: str | None, lang: str = "zh") -> str:
    """12.3 件/亿元 · 1.23万 人次; the unit follows with a thin space; no unit → the number alone."""
    text = fmt_number(x, lang)
    if text == NO_VALUE or not unit:
        return text
    return f"{text} {unit}"


def fmt_pct(x: float | None, lang: str = "zh", digits: int = 1) -> str:
    """A fraction as per cent: 0.1234 → 12.3%; −0.05 → -5.0%."""
    if _missing(x):
        return NO_VALUE
    return f"{float(x) * 100:.{digits}f}%"


def fmt_money_wan(x: float | None, lang: str = "zh") -> str:
    """An amount held in 万元: 1234.5 → 1234.5万元; 123456 → 12.35亿元; en: CNY 12.3M."""
    if _missing(x):
        return NO_VALUE
    if lang == "zh":
        if abs(x) >= 1e4:
            return f"{_trim(f'{x / 1e4:.2f}')}亿元"
        return f"{_trim(f'{x:.2f}')}万元"
    yuan = float(x) * 1e4
    return f"CNY {fmt_number(yuan, 'en')}"
