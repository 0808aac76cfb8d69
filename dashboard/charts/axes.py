"""Value-axis ticks in the reader's conventions, shared by every chart: 1.2万 · 45% · 12.35亿元 in Chinese,
15k · 1.2M · 4.6bn in English — never plotly's SI style (15.9k beside a bar labelled 1.59万, or 1.2G)."""

from __future__ import annotations

import math

from dashboard.charts.labels import is_percent, value_text
from dashboard.format import fmt_pct


def ticks(lo: float, hi: float, unit: str | None, lang: str = "zh", count: int = 6) -> tuple[list[float], list[str]]:
    """About `count` round tick values between lo and hi (1-2-5 steps), labelled as the values are."""
    if hi <= lo:
        values = [lo]
    else:
        raw = (hi - lo) / count
        power = 10 ** math.floor(math.log10(raw))
        # 1-2-5 steps only: a 2.5 step would print 2.5% as "2%" at whole-per-cent labels.
        step = next(m * power for m in (1, 2, 5, 10) if m * power >= raw)
        first = math.ceil(lo / step - 1e-9) * step
        values = [round(first + i * step, 12) for i in range(int((hi - first) / step + 1e-9) + 1)]
    if is_percent(unit):
        digits = 0 if len(values) < 2 or values[1] - values[0] > 0.01 - 1e-9 else 1
        return values, [fmt_pct(v, lang, digits=digits) for v in values]
    texts = [value_text(v, unit, lang, bare=True) for v in values]
    if lang == "en" and (unit or "").strip() != "万元" and 1e4 <= max(abs(v) for v in values) < 1e6:
        # one scale along the axis: 0 · 5k · 10k · 15k, not 5,000 beside 10k
        texts = [f"{v / 1e3:,.10g}k" if abs(v) >= 1e3 else t for v, t in zip(values, texts, strict=True)]
    return values, texts
