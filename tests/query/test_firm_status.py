"""Which files belong to a quarter and each firm's status, on hand-made submissions."""

from __future__ import annotations

from datetime import UTC, datetime

import polars as pl

from query import Filters, firm_status
from tests.query.handmade import SUBMISSIONS as SUBS
from tests.query.handmade import SUBMITTING_FIRMS as REGISTRY


def test_firm_status_takes_the_strongest_file_status_and_lists_missing_firms():
    firms = firm_status.firm_status(REGISTRY, firm_status.within(SUBS, Filters(period="2025Q3")))
    # F1: superseded v1, accepted v2, rejected v3 → its figures stand (accepted v2), last file rejected.
    # Those that need the secretariat first (issue 8 item 10): missing, held, rejected, then accepted.
    assert firms.select("firm_id", "status", "version", "files", "last_file_status").rows() == [
        ("F4", "missing", None, 0, None), ("F5", "missing", None, 0, None), ("F3", "held", None, 1, "held"),
        ("F2", "rejected", None, 1, "rejected"), ("F1", "accepted", 2, 3, "rejected")]
    assert firm_status.counts(firms) == {"accepted": 1, "held": 1, "rejected": 1, "missing": 2}


def test_files_without_a_readable_period_stay_in_every_quarter_and_problem_files_are_newest_first():
    kept = firm_status.within(SUBS, Filters(period="2025Q2"))
    assert kept["submission_id"].to_list() == ["s5"]
    assert firm_status.problem_files(firm_status.within(SUBS, Filters(period="2025Q3")))["submission_id"].to_list() == [
        "s6", "s5", "s4", "s3"]


def _file(sid, firm, period, version, status, hour, **extra):
    return {"submission_id": sid, "firm_id": firm, "firm_name_raw": firm, "period": period, "version": version,
            "file_name": f"{sid}.xlsx", "status": status, "superseded_by": None,
            "received_at": datetime(2025, 10, 1, hour, tzinfo=UTC), "status_note": extra.get("note"),
            "n_errors": extra.get("errors", 0)}


FILES = pl.DataFrame([
    _file("q1", "F1", "2025Q1", 1, "accepted", 1),
    _file("h3", "F1", "2025Q3", 1, "held", 2, note="年累计报送暂缓入库：缺少本年 2025Q2 的报送"),
    _file("r3", "F2", "2025Q3", 1, "rejected", 3, note="报送有 3 处错误，整份退回，请更正后重报", errors=3),
    _file("a3", "F2", "2025Q3", 2, "accepted", 4),
    _file("x3", "F3", "2025Q3", 1, "rejected", 5, note="报送有 2 处错误，整份退回，请更正后重报", errors=2),
])


def test_a_firm_without_figures_carries_its_reason_and_a_held_file_the_quarters_it_waits_for():
    quarter = firm_status.within(FILES, Filters(period="2025Q3"))
    firms = firm_status.firm_status(REGISTRY, quarter, everything=FILES)
    rows = {r["firm_id"]: r for r in firms.iter_rows(named=True)}
    assert rows["F1"]["status"] == "held" and rows["F1"]["missing_periods"] == ["2025Q2"]  # 2025Q1 is in
    assert rows["F1"]["reason"].startswith("年累计报送暂缓入库")
    assert rows["F3"]["status"] == "rejected" and rows["F3"]["n_errors"] == 2
    assert rows["F2"]["status"] == "accepted" and rows["F2"]["reason"] is None
    assert rows["F4"]["status"] == "missing" and rows["F4"]["missing_periods"] is None


def test_a_rejected_file_knows_the_accepted_resubmission_that_replaced_it():
    problems = firm_status.problem_files(firm_status.within(FILES, Filters(period="2025Q3")))
    rows = {r["submission_id"]: r for r in problems.iter_rows(named=True)}
    assert rows["r3"]["accepted_later"] is True
    assert (rows["r3"]["accepted_version"], rows["r3"]["accepted_file"]) == (2, "a3.xlsx")
    assert rows["x3"]["accepted_later"] is False and rows["x3"]["accepted_file"] is None
    assert rows["h3"]["accepted_later"] is False
