"""A tiny warehouse written by hand: every figure is here, so every metric the tests expect is computed by hand.

Firms: A and B and D 财产险, C 人身险. Regions: 广东 (440000, excluding 深圳 as reported), 深圳 (440300),
总公司/全国 (000000). 广东 whole province: 126,012,510 residents, 122 counties; 深圳: 17,560,061 and 9.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import polars as pl

from core.contract import SHEETS_BY_ID
from core.reference import REGISTRY_COLUMNS
from fixtures import warehouse

FIRMS = [("A", "示例甲财产保险股份有限公司", "甲财险", "", "财产险"),
         ("B", "示例乙财产保险股份有限公司", "乙财险", "", "财产险"),
         ("C", "示例丙人寿保险股份有限公司", "丙人寿", "", "人身险"),
         ("D", "示例丁财产保险股份有限公司", "丁财险", "", "财产险")]
CAUSES = ("cause_sales", "cause_claims", "cause_surrender", "cause_policy_service", "cause_other")


def complaint(period, firm, region, premium, policies, insured, total, regulator, causes, resolved, on_time, proxy):
    return {"period": period, "firm_id": firm, "region_code": region, "premium_wan": premium, "policies": policies,
            "insured_persons": insured, "complaints_total": total, "complaints_regulator": regulator,
            "complaints_direct": None if total is None else total - regulator,
            **dict(zip(CAUSES, causes, strict=True)), "resolved": resolved, "resolved_on_time": on_time,
            "proxy_surrender_suspected": proxy}


COMPLAINTS = [
    complaint("2024Q4", "A", "440000", 20000.0, 10000, 20000, 40, 10, (10, 10, 10, 5, 5), 30, 27, 4),
    complaint("2024Q4", "A", "440300", 10000.0, 5000, 0, 30, 5, (10, 5, 5, 5, 5), 10, 10, 0),
    complaint("2024Q4", "B", "440000", 0.0, 0, None, 0, 0, (0, 0, 0, 0, 0), 0, 0, 0),
    complaint("2024Q4", "C", "000000", 5000.0, 1000, 1000, 10, 2, (2, 2, 2, 2, 2), 10, 5, 1),
    complaint("2025Q1", "A", "440000", 30000.0, 10000, 10000, 30, 6, (6, 6, 6, 6, 6), 30, 30, 3),
    complaint("2025Q1", "B", "440000", 10000.0, 5000, 5000, 30, 3, (6, 6, 6, 6, 6), 20, 10, 0),
    complaint("2025Q1", "D", "440300", 10000.0, 5000, 5000, 30, 3, (6, 6, 6, 6, 6), 20, 10, 0),
    complaint("2025Q4", "A", "440000", 20000.0, 10000, 10000, 35, 5, (7, 7, 7, 7, 7), 35, 35, 0),
]
LINES = [("2025Q1", "A", "440000", "机动车辆保险", 20), ("2025Q1", "A", "440000", "健康保险", 10),
         ("2025Q1", "B", "440000", "机动车辆保险", 30)]
MEDIATION = [("2025Q1", "A", "440000", 10, 8, 8, 6, 3, 12.5, 2), ("2025Q1", "B", "440000", 0, 0, 0, 0, 0, 0.0, 0)]
OUTREACH = [
    # period, firm, region, events, offline, online, elderly, youth, new, disabled, 5×五进入, counties, outlets, age
    ("2024Q4", "A", "440000", 5, 1000, 500, 100, 100, 50, 50, 1, 1, 1, 1, 1, 50, 100, 40),
    ("2024Q4", "A", "440300", 2, 1000, 0, 0, 0, 0, 0, 1, 1, 0, 0, 0, 5, 10, 10),
    ("2025Q1", "A", "440000", 9, 3000, 700, 300, 300, 200, 200, 2, 2, 2, 2, 1, 60, 120, 60),
]


def _frame(dataset: str, rows: list) -> pl.DataFrame:
    schema = SHEETS_BY_ID[dataset].schema()
    if rows and isinstance(rows[0], tuple):
        rows = [dict(zip(schema, r, strict=True)) for r in rows]
    return pl.DataFrame(rows, schema=schema)


def build(path: Path, submissions: pl.DataFrame | None = None) -> Path:
    frames = {dataset: _frame(dataset, rows) for dataset, rows in (
        ("complaints", COMPLAINTS), ("complaints_by_line", LINES), ("mediation", MEDIATION), ("outreach", OUTREACH))}
    registry = pl.DataFrame(FIRMS, schema=list(REGISTRY_COLUMNS), orient="row")
    return warehouse.write(path, frames, registry, submissions=submissions)


# ── submissions: six files of five firms, one unreadable, by hand ──────────────────────────────────────────
def _at(hour: int) -> datetime:
    return datetime(2025, 10, 1, hour, tzinfo=UTC)


SUBMITTING_FIRMS = pl.DataFrame({"firm_id": ["F1", "F2", "F3", "F4", "F5"], "name": list("abcde"),
                                 "short_name": ["甲", "乙", "丙", "丁", "戊"],
                                 "firm_type": ["财产险"] * 3 + ["人身险"] * 2})
ISSUES = [{"severity": "warning", "rule": "tenfold_jump", "message": "较上季度变化超过十倍", "file": "b.xlsx",
           "sheet": "投诉", "row": 5, "column": "投诉总量", "value": 1200},
          {"severity": "error", "rule": "non_negative_integer", "message": "须为非负整数", "file": "b.xlsx",
           "sheet": "投诉", "row": 9, "column": "办结件数", "value": "-1"}]
SUBMISSIONS = pl.DataFrame({
    "submission_id": ["s1", "s2", "s3", "s4", "s5", "s6"],
    "firm_id": ["F1", "F1", "F2", "F3", None, "F1"],
    "firm_name_raw": ["甲", "甲", "乙", "丙", "无名保险", "甲"],
    "period": ["2025Q3", "2025Q3", "2025Q3", "2025Q3", None, "2025Q3"],
    "version": [1, 2, 1, 1, None, 3],
    "file_name": ["a.xlsx", "a2.xlsx", "b.xlsx", "c.xlsx", "x.pdf", "a3.xlsx"],
    "status": ["superseded", "accepted", "rejected", "held", "rejected", "rejected"],
    "superseded_by": ["s2", None, None, None, None, None],
    "received_at": [_at(1), _at(2), _at(3), _at(4), _at(5), _at(6)],
    "issues_json": [None, None, json.dumps(ISSUES, ensure_ascii=False), None, None, None],
})


# ── member scope: a member (M) and enough peers for cells both shown and withheld, by hand ─────────────────────
# 2025Q1 complaints_total per firm and region (premium 10,000 万元 = 1 亿元 in every row):
#   440000 广东（不含深圳）  M 100, P1 10, P2 20, P3 30, P4 40, P5 50   → 5 firms besides M: shown
#   440300 深圳             M 5, P1 7, P6 11                        → 2 besides M: withheld
#   310000 上海             M 9, P1 12, P2 13, P3 14, P4 15          → 4 besides M (5 with M): withheld
#   110000 北京             P1 1, P2 2, P3 3, P4 4, P5 6, P6 8       → 6 property firms: shown
#                           L1 1000, L2 2000, L3 4000 (人身险)       → 3 life firms: withheld
SCOPE_FIRMS = [("M", "示例会员财产保险股份有限公司", "会员财险", "会员", "财产险"),
               *[(f"P{i}", f"示例他家{i}号财产保险股份有限公司", f"他家{i}号财险", f"别名P{i}", "财产险")
                 for i in range(1, 7)],
               *[(f"L{i}", f"示例他家{i}号人寿保险股份有限公司", f"他家{i}号人寿", f"别名L{i}", "人身险")
                 for i in range(1, 4)]]
SCOPE_CELLS = {
    "440000": {"M": 100, "P1": 10, "P2": 20, "P3": 30, "P4": 40, "P5": 50},
    "440300": {"M": 5, "P1": 7, "P6": 11},
    "310000": {"M": 9, "P1": 12, "P2": 13, "P3": 14, "P4": 15},
    "110000": {"P1": 1, "P2": 2, "P3": 3, "P4": 4, "P5": 6, "P6": 8, "L1": 1000, "L2": 2000, "L3": 4000},
}


# The other firms' figures a member may never see, alone or by any difference: 深圳 and 上海's peers, the life firms.
SCOPE_WITHHELD = {("440300", "P1"), ("440300", "P6"), *(("310000", f"P{i}") for i in range(1, 5)),
                  *(("110000", f"L{i}") for i in range(1, 4))}


def build_scope(path: Path, submissions: pl.DataFrame | None = None, bump: int = 1) -> Path:
    """`bump`: multiply the SCOPE_WITHHELD figures (complaints and premium) by it — what M sees must not change."""
    def row(region: str, firm: str, total: int) -> dict:
        k = bump if (region, firm) in SCOPE_WITHHELD else 1
        return complaint("2025Q1", firm, region, 10000.0 * k, 100 * k, 100 * k, total * k, 0, (total * k, 0, 0, 0, 0),
                         total * k, total * k, 0)

    rows = [row(region, firm, total) for region, cells in SCOPE_CELLS.items() for firm, total in cells.items()]
    frames = {"complaints": _frame("complaints", rows),
              **{dataset: _frame(dataset, []) for dataset in ("complaints_by_line", "mediation", "outreach")}}
    registry = pl.DataFrame(SCOPE_FIRMS, schema=list(REGISTRY_COLUMNS), orient="row")
    return warehouse.write(path, frames, registry, submissions=submissions)


# ── anomalies: one firm's two regions over eight quarters, then a jump in one of them ─────────────────────
HISTORY = ("2023Q1", "2023Q2", "2023Q3", "2023Q4", "2024Q1", "2024Q2", "2024Q3", "2024Q4")
# (firm, region): complaints per quarter of HISTORY (None: not reported), then 2025Q1's, and 2025Q1's 代理退保.
ANOMALY_CELLS = {
    ("A", "440000"): ((10, 12, 11, 13, 10, 12, 11, 12), 40, 30),   # median 11.5, MAD 0.5: the jump
    ("A", "440300"): ((20,) * 8, 22, 0),                          # the firm's other region: far below its factor
    ("B", "440000"): ((None,) * 5 + (5, 5, 5), 100, 0),           # 3 quarters of history: too few to judge
    ("C", "000000"): ((1,) * 8, 10, 0),                           # z 9 but a jump of 9 (< 10): not listed
    ("D", "440300"): ((1,) * 8, 11, 2),                           # z 10 and a jump of exactly 10: listed
}
OLD_OUTLIER = ("2022Q4", "A", "440000", 1000)   # nine quarters back: outside the history


def build_anomalies(path: Path) -> Path:
    def row(period: str, firm: str, region: str, total: int, proxy: int = 0) -> dict:
        return complaint(period, firm, region, 10000.0, 1000, 1000, total, 0, (total, 0, 0, 0, 0), total, total, proxy)

    rows = [row(*OLD_OUTLIER)]
    for (firm, region), (history, now, proxy) in ANOMALY_CELLS.items():
        rows += [row(q, firm, region, n) for q, n in zip(HISTORY, history, strict=True) if n is not None]
        rows.append(row("2025Q1", firm, region, now, proxy))
    frames = {"complaints": _frame("complaints", rows),
              **{dataset: _frame(dataset, []) for dataset in ("complaints_by_line", "mediation", "outreach")}}
    return warehouse.write(path, frames, pl.DataFrame(FIRMS, schema=list(REGISTRY_COLUMNS), orient="row"))
