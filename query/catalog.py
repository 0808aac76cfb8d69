"""The metric catalogue: DOMAIN.md's metrics (query/metrics.toml + one SQL file each) and every count column of
the warehouse as a measure; the low-base thresholds, the map's rate → raw figure pairs and which metrics each
page offers (query/metrics.toml too). Nothing else defines a metric or names one for a page."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from core.contract import SHEETS

HERE = Path(__file__).resolve().parent
SQL = HERE / "sql"
SPEC = tomllib.loads((HERE / "metrics.toml").read_text(encoding="utf-8"))
# Low-base thresholds per base column (DOMAIN.md: e.g. 30 complaints or 1 亿元 premium); a rate is flagged when
# any of its base columns sums below its threshold. Override per Warehouse(low_base={...}).
LOW_BASE: dict[str, float] = dict(SPEC["low_base"])
# The map's rates in order, and the raw figure (numerator) each one's toggle shows instead; None: no raw figure.
MAP_RATES: tuple[str, ...] = tuple(SPEC["map"]["rates"])
MAP_RAW: dict[str, str | None] = {m: SPEC["map"]["raw_figure"].get(m) for m in MAP_RATES}
UNIT_EN = {"件": "cases", "人次": "person-times", "场": "events", "个": "units", "万元": "10k yuan"}


@dataclass(frozen=True)
class Metric:
    id: str
    zh: str
    en: str
    unit_zh: str
    unit_en: str
    definition_zh: str
    definition_en: str
    direction: str | None  # "lower" | "higher" | None: which way is better
    kind: str  # rate | count | money | stock | index | across_firms
    dataset: str
    sql: str  # an aggregate expression over the dataset's rows
    low_base: tuple[str, ...] = ()
    of: str | None = None  # across_firms: the per-firm metric
    aggregate: str | None = None  # across_firms: median | max

    @property
    def percent(self) -> bool:
        return self.unit_zh == "%"


def _expression(metric_id: str) -> str:
    lines = (SQL / "metrics" / f"{metric_id}.sql").read_text(encoding="utf-8").splitlines()
    return "\n".join(line for line in lines if not line.lstrip().startswith("--")).strip()


def _measures(defined: set[str]) -> list[Metric]:
    out = []
    for sheet in SHEETS:
        for c in sheet.measures:
            if c.id in defined:
                continue
            stock = c.stock
            expr = f"sum({c.id}) FILTER (WHERE is_latest)" if stock else f"sum({c.id})"
            unit = c.unit or ""
            zh_def = (f"期末存量：各公司、各地区在区间内最后一个季度的「{c.zh}」之和（不跨季度相加）。" if stock
                      else f"各公司、各地区「{c.zh}」之和。")
            en = c.en or c.id.replace("_", " ").capitalize()
            en_def = (f"Stock as at quarter end: {en.lower()} in the latest quarter of the range, summed over firms "
                      "and regions (never over quarters)." if stock else f"Sum of {en.lower()} over firms and regions.")
            out.append(Metric(c.id, c.zh, en, unit, UNIT_EN.get(unit, unit),
                              zh_def, en_def, None, "stock" if stock else c.kind, sheet.id, expr))
    return out


def view(page: str) -> dict[str, tuple[str, ...]]:
    """The metrics a page offers, by section: `view("overview")["headlines"]`."""
    try:
        sections = SPEC["views"][page]
    except KeyError:
        raise KeyError(f"query/metrics.toml has no [views.{page}]") from None
    return {name: tuple(ids) for name, ids in sections.items()}


@lru_cache(maxsize=1)
def metrics() -> tuple[Metric, ...]:
    spec = SPEC["metric"]
    defined = []
    for mid, m in spec.items():
        direction = None if m["direction"] == "none" else m["direction"]
        sql = "" if m["kind"] == "across_firms" else _expression(mid)
        defined.append(Metric(mid, m["zh"], m["en"], m["unit_zh"], m["unit_en"], m["definition_zh"],
                              m["definition_en"], direction, m["kind"], m["dataset"], sql,
                              tuple(m.get("low_base", ())), m.get("of"), m.get("aggregate")))
    return tuple(defined) + tuple(_measures(set(spec)))


@lru_cache(maxsize=1)
def by_id() -> dict[str, Metric]:
    return {m.id: m for m in metrics()}
