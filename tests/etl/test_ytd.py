"""年累计: turned into the quarter against the current figures of the earlier quarters, stock columns untouched,
held while an earlier quarter is missing and released by a later ingest, re-derived when an earlier quarter is
resubmitted, rejected when the difference is negative.

Figures per region and quarter from tests/etl/workbooks.py scaled by k: 投诉总量 50k, 保单件数 20000k,
保费 1234.5k 万元, 涉案金额 123.45k 万元, 险种 机动车辆 30k / 健康 20k, 线下触达 1000k; stock columns
(覆盖县区 10, 营业网点 50, 适老化网点 20) are not scaled."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from core import layout
from etl.ingest import run
from tests.etl.test_store import facts, submissions, xlsx
from tests.etl.workbooks import good_sheets, write_registry, write_xlsx

OUTLETS, COUNTIES = 14, 13  # column positions in the 宣教 sheet


@pytest.fixture
def registry(tmp_path) -> Path:
    return write_registry(tmp_path / "firms.csv")


def quarter(warehouse: Path, period: str, dataset: str = "complaints", firm: str = "F001") -> pl.DataFrame:
    return facts(warehouse, dataset).filter((pl.col("period") == period) & (pl.col("firm_id") == firm))


def by_name(report) -> dict:
    return {o.file_name: o for o in report.outcomes}


def test_ytd_becomes_the_quarter_and_stock_columns_stay(tmp_path, registry):
    xlsx(tmp_path / "in", "q1.xlsx", period="2025Q1", k=1)
    q2 = good_sheets(period="2025Q2", k=3, basis="年累计")  # year to date = 3 × the Q1 figures
    q2["宣教"][1][OUTLETS], q2["宣教"][1][COUNTIES] = 55, 12  # 广东省 grew its network during Q2
    write_xlsx(tmp_path / "in" / "q2.xlsx", q2)
    report = run([tmp_path / "in"], tmp_path / "wh", registry)
    assert [o.status for o in report.outcomes] == ["accepted", "accepted"] and report.ok
    wh = tmp_path / "wh"
    c = quarter(wh, "2025Q2")
    assert c["complaints_total"].to_list() == [100, 100]  # 150 − 50
    assert c["policies"].to_list() == [40000, 40000]  # 60000 − 20000
    assert c["premium_wan"].to_list() == [2469.0, 2469.0]  # 3703.5 − 1234.5
    assert c["proxy_surrender_suspected"].to_list() == [6, 6]  # 9 − 3
    m = quarter(wh, "2025Q2", "mediation")
    assert m["mediation_amount_wan"].to_list() == [246.9, 246.9]  # 370.35 − 123.45, without float residue
    o = quarter(wh, "2025Q2", "outreach")
    assert o["reach_offline"].to_list() == [2000, 2000]  # 3000 − 1000
    assert o["outlets"].to_list() == [55, 50]  # stock: as at quarter end, never 55 − 50
    assert o["counties_covered"].to_list() == [12, 10]
    assert o["outlets_age_friendly"].to_list() == [20, 20]
    lines = quarter(wh, "2025Q2", "complaints_by_line")
    assert lines.select("region_code", "product_line", "complaints").rows() == [
        ("440000", "健康保险", 40), ("440000", "机动车辆保险", 60),  # 60 − 20, 90 − 30: line by line
        ("440300", "健康保险", 40), ("440300", "机动车辆保险", 60)]
    # The ledger keeps the figures as submitted (year to date), the facts hold the quarter.
    ledger = pl.read_parquet(layout.current_snapshot(wh) / "ledger/complaints/2025Q2.parquet")
    assert ledger["complaints_total"].to_list() == [150, 150]


def test_q3_subtracts_every_earlier_quarter_even_a_ytd_one(tmp_path, registry):
    xlsx(tmp_path / "in", "q1.xlsx", period="2025Q1", k=1)
    xlsx(tmp_path / "in", "q2.xlsx", period="2025Q2", k=3, basis="年累计")  # Q2 = 150 − 50 = 100
    xlsx(tmp_path / "in", "q3.xlsx", period="2025Q3", k=7, basis="年累计")  # Q3 = 350 − 50 − 100 = 200
    xlsx(tmp_path / "in", "q1_2026.xlsx", period="2026Q1", k=2, basis="年累计")  # a new year: as it is
    report = run([tmp_path / "in"], tmp_path / "wh", registry)
    assert report.ok
    totals = facts(tmp_path / "wh").group_by("period").agg(pl.col("complaints_total").sum()).sort("period")
    assert totals.rows() == [("2025Q1", 100), ("2025Q2", 200), ("2025Q3", 400), ("2026Q1", 200)]


def test_blank_and_absent_figures(tmp_path, registry):
    q1 = good_sheets(period="2025Q1", regions=("广东省",))  # 深圳市 not reported in Q1 at all
    q1["投诉"][1][11] = None  # 广东省 其他纠纷 blank in Q1 (not reported); the causes rule is skipped for the row
    write_xlsx(tmp_path / "q1.xlsx", q1)
    q2 = good_sheets(period="2025Q2", k=3, basis="年累计")
    q2["投诉"][2][14] = None  # 深圳市 疑似代理退保 blank in the year-to-date file
    write_xlsx(tmp_path / "q2.xlsx", q2)
    report = run([tmp_path / "q1.xlsx", tmp_path / "q2.xlsx"], tmp_path / "wh", registry)
    assert [o.status for o in report.outcomes] == ["accepted", "accepted"]
    gd, sz = quarter(tmp_path / "wh", "2025Q2").iter_rows(named=True)
    assert (gd["region_code"], gd["complaints_total"], gd["cause_other"]) == ("440000", 100, 15)  # 15 − blank(0)
    assert (sz["region_code"], sz["complaints_total"], sz["cause_sales"]) == ("440300", 150, 30)  # absent = 0
    assert sz["proxy_surrender_suspected"] is None  # a blank year-to-date cell stays not reported
    assert quarter(tmp_path / "wh", "2025Q1")["cause_other"].to_list() == [None]  # and Q1's blank stays blank


def test_held_until_the_gap_is_filled_then_released_by_a_later_ingest(tmp_path, registry):
    wh = tmp_path / "wh"
    q3 = xlsx(tmp_path / "b1", "q3.xlsx", period="2025Q3", k=6, basis="年累计")
    report = run([tmp_path / "b1"], wh, registry)
    held = report.outcomes[0]
    assert held.status == "held" and not report.ok and held.issues == []
    assert held.message == ("年累计报送暂缓入库：缺少本年 2025Q1、2025Q2 的报送（或其尚未入库），无法换算为当季数；"
                            "补齐后下次导入时自动入库")
    assert facts(wh).height == 0
    row = submissions(wh).row(0, named=True)
    assert row["status"] == "held" and row["reasons"] == held.message
    assert (wh / row["stored_file"]).read_bytes() == q3.read_bytes()  # the original is kept, byte for byte

    xlsx(tmp_path / "b2", "q1.xlsx", period="2025Q1", k=1)
    report = run([tmp_path / "b2"], wh, registry)
    assert [(o.file_name, o.status) for o in report.outcomes] == [("q1.xlsx", "accepted")]  # q3 still held
    assert "缺少本年 2025Q2 的报送" in submissions(wh).filter(pl.col("file_name") == "q3.xlsx")["status_note"][0]

    xlsx(tmp_path / "b3", "q2.xlsx", period="2025Q2", k=2)
    report = run([tmp_path / "b3"], wh, registry)
    assert report.ok and [(o.file_name, o.status, o.released) for o in report.outcomes] == [
        ("q2.xlsx", "accepted", False), ("q3.xlsx", "accepted", True)]
    released = report.outcomes[1]
    assert released.previous_status == "held" and released.file == str(wh / row["stored_file"])
    assert released.message == "此前因缺少本年早前季度而暂缓的年累计报送，现已补齐并入库"
    assert quarter(wh, "2025Q3")["complaints_total"].to_list() == [150, 150]  # 300 − 50 − 100
    assert submissions(wh)["status"].to_list() == ["accepted", "accepted", "accepted"]


def test_a_held_resubmission_leaves_the_accepted_version_current_until_released(tmp_path, registry):
    wh = tmp_path / "wh"
    xlsx(tmp_path / "b1", "q2v1.xlsx", period="2025Q2", k=1)
    run([tmp_path / "b1"], wh, registry)
    xlsx(tmp_path / "b2", "q2v2.xlsx", period="2025Q2", k=3, basis="年累计", version=2)
    report = run([tmp_path / "b2"], wh, registry)
    assert [o.status for o in report.outcomes] == ["held"]
    assert quarter(wh, "2025Q2")["complaints_total"].to_list() == [50, 50]  # version 1 still current
    assert submissions(wh)["status"].to_list() == ["accepted", "held"]
    xlsx(tmp_path / "b3", "q1.xlsx", period="2025Q1", k=1)
    report = run([tmp_path / "b3"], wh, registry)
    # Version 1 becoming superseded is not an entry of its own; the release is.
    assert [(o.file_name, o.status, o.released) for o in report.outcomes] == [
        ("q1.xlsx", "accepted", False), ("q2v2.xlsx", "accepted", True)]
    assert quarter(wh, "2025Q2")["complaints_total"].to_list() == [100, 100]  # 150 − 50
    assert submissions(wh)["status"].to_list() == ["superseded", "accepted", "accepted"]


def test_a_resubmitted_q1_re_derives_later_ytd_quarters(tmp_path, registry):
    wh = tmp_path / "wh"
    life = {"firm": "示例康宁人寿", "firm_type": "人身险"}
    xlsx(tmp_path / "b1", "a_q1.xlsx", period="2025Q1", k=1)
    xlsx(tmp_path / "b1", "a_q2.xlsx", period="2025Q2", k=4, basis="年累计")  # Q2 = 200 − 50 = 150
    xlsx(tmp_path / "b1", "b_q1.xlsx", period="2025Q1", k=1, **life)
    xlsx(tmp_path / "b1", "b_q2.xlsx", period="2025Q2", k=2, **life)  # 当季 100
    xlsx(tmp_path / "b1", "b_q3.xlsx", period="2025Q3", k=6, basis="年累计", **life)  # Q3 = 300 − 50 − 100 = 150
    run([tmp_path / "b1"], wh, registry)
    assert quarter(wh, "2025Q2")["complaints_total"].to_list() == [150, 150]
    assert quarter(wh, "2025Q3", firm="F002")["complaints_total"].to_list() == [150, 150]
    xlsx(tmp_path / "b2", "a_q1v2.xlsx", period="2025Q1", k=2, version=2)
    xlsx(tmp_path / "b2", "b_q1v2.xlsx", period="2025Q1", k=2, version=2, **life)
    report = run([tmp_path / "b2"], wh, registry)
    assert [o.status for o in report.outcomes] == ["accepted", "accepted"] and report.ok
    assert quarter(wh, "2025Q2")["complaints_total"].to_list() == [100, 100]  # 200 − 100
    assert quarter(wh, "2025Q3", firm="F002")["complaints_total"].to_list() == [100, 100]  # 300 − 100 − 100
    assert quarter(wh, "2025Q2", firm="F002")["complaints_total"].to_list() == [100, 100]  # 当季: untouched


def test_negative_ytd_difference_is_rejected_naming_the_cell(tmp_path, registry):
    xlsx(tmp_path / "in", "q1.xlsx", period="2025Q1", k=2)
    q2 = good_sheets(period="2025Q2", k=3, basis="年累计")
    q2["投诉"][2][4:7] = [90, 10, 80]  # 深圳市 (row 3): 投诉总量 90 < Q1's 100; causes no longer sum
    q2["投诉"][2][7:12] = [30, 60, 0, 0, 0]  # …so they are kept consistent: 30 + 60 = 90
    write_xlsx(tmp_path / "in" / "q2.xlsx", q2)
    report = run([tmp_path / "in"], tmp_path / "wh", registry)
    out = by_name(report)["q2.xlsx"]
    assert out.status == "rejected" and not report.ok
    negative = {(i.sheet, i.row, i.column, i.value) for i in out.issues if i.rule == "ytd_negative"}
    # 深圳市: 投诉总量 90 − 100, 监管转送 10 − 20, 退保 0 − 10, 保单服务 0 − 20, 其他 0 − 10 are negative.
    assert negative == {("投诉", 3, "投诉总量", "90"), ("投诉", 3, "监管转送投诉", "10"), ("投诉", 3, "退保纠纷", "0"),
                        ("投诉", 3, "保单服务纠纷", "0"), ("投诉", 3, "其他纠纷", "0")}
    issue = next(i for i in out.issues if i.column == "投诉总量")
    assert issue.severity == "error" and issue.message == (
        "文件「q2.xlsx」工作表「投诉」第 3 行「投诉总量」列，值“90”：年累计减去本年此前季度后为负数"
        "（年累计 90 − 此前季度合计 100 = -10）。")
    assert out.message == "年累计减去本年 2025Q1 的已入库数后出现 5 处负数，整份退回，请核对后重报"
    assert facts(tmp_path / "wh")["period"].unique().to_list() == ["2025Q1"]
    row = submissions(tmp_path / "wh").filter(pl.col("file_name") == "q2.xlsx").row(0, named=True)
    assert row["status"] == "rejected" and row["n_errors"] == 5


def test_a_larger_resubmitted_q1_rejects_an_accepted_ytd_q2_and_says_so(tmp_path, registry):
    wh = tmp_path / "wh"
    xlsx(tmp_path / "b1", "q1.xlsx", period="2025Q1", k=1)
    xlsx(tmp_path / "b1", "q2.xlsx", period="2025Q2", k=2, basis="年累计")  # Q2 = 100 − 50 = 50
    run([tmp_path / "b1"], wh, registry)
    xlsx(tmp_path / "b2", "q1v2.xlsx", period="2025Q1", k=3, version=2)  # 150 > Q2's year to date of 100
    report = run([tmp_path / "b2"], wh, registry)
    assert [(o.file_name, o.status, o.previous_status) for o in report.outcomes] == [
        ("q1v2.xlsx", "accepted", None), ("q2.xlsx", "rejected", "accepted")]
    assert not report.ok  # an earlier quarter's figures left the warehouse: the secretariat must know
    assert {i.rule for i in report.outcomes[1].issues if i.severity == "error"} == {"ytd_negative"}
    assert facts(wh)["period"].unique().to_list() == ["2025Q1"]
