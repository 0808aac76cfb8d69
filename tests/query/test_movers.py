"""Biggest movers (`Warehouse.movers`): ranked within each firm type, low-base firms left unranked, the absolute
change beside the relative one; every figure below is computed by hand."""

from __future__ import annotations

import polars as pl
import pytest

from core.reference import REGISTRY_COLUMNS
from fixtures import warehouse
from query import Filters, Scope, Warehouse
from tests.query.handmade import _frame, complaint

FIRMS = [("P1", "示例一财产保险股份有限公司", "一财险", "", "财产险"),
         ("P2", "示例二财产保险股份有限公司", "二财险", "", "财产险"),
         ("P3", "示例三财产保险股份有限公司", "三财险", "", "财产险"),
         ("P4", "示例四财产保险股份有限公司", "四财险", "", "财产险"),
         ("L1", "示例一人寿保险股份有限公司", "一人寿", "", "人身险"),
         ("L2", "示例二人寿保险股份有限公司", "二人寿", "", "人身险"),
         ("L3", "示例三人寿保险股份有限公司", "三人寿", "", "人身险")]
# firm: (premium 万元, complaints 2025Q1, complaints 2025Q2) → complaints per 亿元 premium
FIGURES = {
    "P1": (20_000.0, 40, 44),    # 20 → 22: +2 (+10%)
    "P2": (20_000.0, 6, 4),      # 3 → 2: -33% on 6 → 4 complaints: low base both quarters
    "P3": (40_000.0, 80, 76),    # 20 → 19: -1 (-5%)
    "P4": (20_000.0, 10, 60),    # 5 → 30: +500%, low base last quarter (10 complaints)
    "L1": (10_000.0, 30, 90),    # 30 → 90: +60 (+200%)
    "L2": (50_000.0, 100, 120),  # 20 → 24: +4 (+20%)
    "L3": (5_000.0, 40, 200),    # 80 → 400: +400%, low base (0.5 亿元 premium)
}


@pytest.fixture(scope="module")
def wh(tmp_path_factory) -> Warehouse:
    rows = [complaint(period, firm, "440000", premium, 1000, 1000, total, 0, (total, 0, 0, 0, 0), total, total, 0)
            for firm, (premium, q1, q2) in FIGURES.items() for period, total in (("2025Q1", q1), ("2025Q2", q2))]
    frames = {"complaints": _frame("complaints", rows)}
    for dataset in ("complaints_by_line", "mediation", "outreach"):
        frames[dataset] = _frame(dataset, [])
    registry = pl.DataFrame(FIRMS, schema=list(REGISTRY_COLUMNS), orient="row")
    return Warehouse(warehouse.write(tmp_path_factory.mktemp("movers"), frames, registry))


def test_movers_rank_each_firm_type_alone_and_leave_low_base_firms_unranked(wh):
    m = wh.movers("complaints_per_100m_premium", Filters(period="2025Q2"))
    assert m["firm_type"].to_list() == ["财产险"] * 4 + ["人身险"] * 3  # property first, never mixed
    # each type's movers by size of the relative change, then its low-base firms (also by size)
    assert m["firm_id"].to_list() == ["P1", "P3", "P4", "P2", "L1", "L2", "L3"]
    assert m["mover_rank"].to_list() == [1, 2, None, None, 1, 2, None]
    assert m["low_base"].to_list() == [False, False, True, True, False, False, True]
    assert m["qoq_abs"].to_list() == pytest.approx([2.0, -1.0, 25.0, -1.0, 60.0, 4.0, 320.0])
    assert m["qoq_pct"].to_list() == pytest.approx([0.1, -0.05, 5.0, -1 / 3, 2.0, 0.2, 4.0])
    assert m.row(0, named=True) | {"qoq_pct": None} == {
        "firm_type": "财产险", "firm_id": "P1", "firm_name": "一财险", "value": 22.0, "prev_quarter": 20.0,
        "qoq_abs": 2.0, "qoq_pct": None, "low_base": False, "mover_rank": 1}


def test_movers_keep_n_per_firm_type_and_follow_the_filters(wh):
    one = wh.movers("complaints_per_100m_premium", Filters(period="2025Q2"), n=1)
    assert one.filter(pl.col("mover_rank").is_not_null())["firm_id"].to_list() == ["P1", "L1"]
    life = wh.movers("complaints_per_100m_premium", Filters(period="2025Q2", firm_type="人身险"))
    assert life["firm_id"].to_list() == ["L1", "L2", "L3"]
    # a lower threshold lets P4 in: its 环比 of +500% then leads the property firms
    low = Warehouse(wh.path, low_base={"complaints_total": 10})
    ranked = low.movers("complaints_per_100m_premium", Filters(period="2025Q2")).filter(
        pl.col("mover_rank").is_not_null())
    assert ranked["firm_id"].to_list() == ["P4", "P1", "P3", "L1", "L2"]
    assert wh.movers("complaints_per_100m_premium", Filters(period="2025Q1")).height == 0  # nothing before


def test_a_members_movers_show_peers_as_pseudonyms(wh):
    member = Warehouse(wh.path, scope=Scope(firm_id="P1"))
    m = member.movers("complaints_per_100m_premium", Filters(period="2025Q2"))
    assert m["firm_id"][0] == "P1" and all(f.startswith("同业") for f in m["firm_id"][1:])
    assert m["mover_rank"].to_list() == [1, 2, None, None, 1, 2, None]
