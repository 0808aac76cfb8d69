"""The warehouse store: layout and dtypes, resubmission, duplicates, idempotency, batch order, warnings, the lock,
atomicity (an injected failure and a SIGKILL mid-write). 年累计 further down.

Figures come from tests/etl/workbooks.py: per region 投诉总量 = 50k, 保单件数 = 20000k, 保费 = 1234.5k 万元."""

from __future__ import annotations

import hashlib
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import polars as pl
import pytest

from core import layout
from core.reference import load_regions
from etl import ingest, store
from etl.ingest import run
from etl.model import ParsedSubmission
from etl.read import source_bytes
from etl.validate import make_issue
from tests.etl.workbooks import good_sheets, registry_frame, write_csv_bundle, write_registry, write_xlsx

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def registry(tmp_path) -> Path:
    return write_registry(tmp_path / "firms.csv")


def facts(warehouse: Path, dataset: str = "complaints") -> pl.DataFrame:
    """A fact dataset of the current snapshot as the query layer reads it (hive columns included)."""
    files = layout.dataset_files(layout.current_snapshot(warehouse), dataset)
    if not files:  # every file so far held or rejected: the dataset has no partition yet
        return pl.DataFrame(schema={"period": pl.Utf8, "firm_id": pl.Utf8})
    key = ["period", "firm_id", "region_code"] + (["product_line"] if dataset == "complaints_by_line" else [])
    return pl.read_parquet(files, hive_partitioning=True).sort(key)


def submissions(warehouse: Path) -> pl.DataFrame:
    return pl.read_parquet(layout.current_snapshot(warehouse) / "submissions.parquet").sort("seq")


def xlsx(folder: Path, name: str, **kwargs) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    return write_xlsx(folder / name, good_sheets(**kwargs))


def statuses(report) -> dict[str, str]:
    return {o.file_name: o.status for o in report.outcomes}


def test_accepted_figures_land_partitioned_with_contract_ids_and_dtypes(tmp_path, registry):
    xlsx(tmp_path / "in", "a.xlsx")
    report = run([tmp_path / "in"], tmp_path / "wh", registry)
    assert statuses(report) == {"a.xlsx": "accepted"} and report.ok
    snap = layout.current_snapshot(tmp_path / "wh")
    assert snap.name == "000001" and (tmp_path / "wh" / "current").is_symlink()
    part = snap / "complaints" / "year=2025" / "quarter=3" / "part-0.parquet"
    assert pl.read_parquet_schema(part) == {
        "period": pl.Utf8, "firm_id": pl.Utf8, "region_code": pl.Utf8, "premium_wan": pl.Float64,
        **{c: pl.Int64 for c in ("policies", "insured_persons", "complaints_total", "complaints_regulator",
                                 "complaints_direct", "cause_sales", "cause_claims", "cause_surrender",
                                 "cause_policy_service", "cause_other", "resolved", "resolved_on_time",
                                 "proxy_surrender_suspected")}}
    c = facts(tmp_path / "wh")
    assert c.select("period", "firm_id", "region_code", "complaints_total", "premium_wan", "year", "quarter").rows() \
        == [("2025Q3", "F001", "440000", 50, 1234.5, 2025, 3), ("2025Q3", "F001", "440300", 50, 1234.5, 2025, 3)]
    lines = facts(tmp_path / "wh", "complaints_by_line")
    assert lines.select("region_code", "product_line", "complaints").rows() == [
        ("440000", "健康保险", 20), ("440000", "机动车辆保险", 30), ("440300", "健康保险", 20),
        ("440300", "机动车辆保险", 30)]
    assert facts(tmp_path / "wh", "mediation")["mediation_amount_wan"].to_list() == [123.45, 123.45]
    assert pl.read_parquet(snap / "firms.parquet")["firm_id"].to_list() == ["F001", "F002"]
    regions = pl.read_parquet(snap / "regions.parquet")
    assert regions.columns == pl.read_csv(ROOT / "data/reference/regions.csv", n_rows=1).columns
    assert regions.height == 37 and regions.schema["code"] == pl.Utf8
    # DuckDB reads the same partitions (what the query layer does).
    got = duckdb.sql("select sum(complaints_total) from read_parquet($glob, hive_partitioning = true) "
                     "where quarter = 3", params={"glob": f"{snap}/complaints/**/*.parquet"}).fetchall()
    assert got == [(100,)]


def test_submissions_row_records_the_file(tmp_path, registry):
    path = xlsx(tmp_path / "in", "a.xlsx", version=2, filled_on="2025-10-20")
    when = datetime(2025, 10, 21, 8, 30, tzinfo=UTC)
    store.apply(tmp_path / "wh", [ingest.parse_safely(path, registry_frame(), load_regions())], registry_frame(),
                load_regions(), received_at=when)
    row = submissions(tmp_path / "wh").row(0, named=True)
    sha = hashlib.sha256(path.read_bytes()).hexdigest()
    assert row | {"issues_json": None} == {
        "submission_id": sha[:16], "seq": 1, "file_name": "a.xlsx", "sha256": sha, "firm_id": "F001",
        "firm_name_raw": "示例安泰财险", "period": "2025Q3", "version": 2, "basis": "当季", "received_at": when,
        "filled_on": datetime(2025, 10, 20).date(), "status": "accepted", "superseded_by": None,
        "stored_file": f"files/{sha}.xlsx", "reasons": None, "issues_json": None, "n_errors": 0, "n_warnings": 0,
        "status_note": None, "filler": "张三", "phone": "010-12345678"}
    assert row["issues_json"] == "[]"


def test_resubmission_supersedes_and_keeps_history(tmp_path, registry):
    xlsx(tmp_path / "b1", "v1.xlsx", k=1)
    run([tmp_path / "b1"], tmp_path / "wh", registry)
    xlsx(tmp_path / "b2", "v2.xlsx", k=2, version=2)
    report = run([tmp_path / "b2"], tmp_path / "wh", registry)
    assert statuses(report) == {"v2.xlsx": "accepted"}  # v1's supersession is not repeated as an extra entry
    assert facts(tmp_path / "wh")["complaints_total"].to_list() == [100, 100]
    subs = submissions(tmp_path / "wh")
    assert subs["status"].to_list() == ["superseded", "accepted"]
    assert subs["superseded_by"][0] == subs["submission_id"][1]
    assert "已被版本 2（v2.xlsx）替换" in subs["status_note"][0]
    # The superseded figures stay in the ledger: history can be shown.
    ledger = pl.read_parquet(layout.current_snapshot(tmp_path / "wh") / "ledger/complaints/2025Q3.parquet")
    assert sorted(ledger.group_by("submission_id").agg(pl.col("complaints_total").sum()).rows()) == sorted(
        [(subs["submission_id"][0], 100), (subs["submission_id"][1], 200)])
    # A lower version arriving later is superseded at once and says so; the figures stay those of version 2.
    xlsx(tmp_path / "b3", "late_v1.xlsx", k=3, version=1)
    report = run([tmp_path / "b3"], tmp_path / "wh", registry)
    late = report.outcomes[0]
    assert late.status == "superseded" and report.ok
    assert late.message == "收到时已有更高版本：版本 2（v2.xlsx）；本文件不入库，仅留存备查"
    assert facts(tmp_path / "wh")["complaints_total"].to_list() == [100, 100]


def test_same_version_later_fill_date_wins_whatever_the_file_order(tmp_path, registry):
    xlsx(tmp_path / "in", "z_early.xlsx", k=1, filled_on="2025-10-01")
    xlsx(tmp_path / "in", "a_late.xlsx", k=3, filled_on="2025-10-20")
    report = run([tmp_path / "in"], tmp_path / "wh", registry)
    assert statuses(report) == {"a_late.xlsx": "accepted", "z_early.xlsx": "superseded"} and report.ok
    assert facts(tmp_path / "wh")["complaints_total"].to_list() == [150, 150]


def test_same_version_same_date_the_later_file_name_wins(tmp_path, registry):
    xlsx(tmp_path / "in", "b.xlsx", k=2)
    xlsx(tmp_path / "in", "a.xlsx", k=1)
    report = run([tmp_path / "in" / "b.xlsx", tmp_path / "in" / "a.xlsx"], tmp_path / "wh", registry)
    assert statuses(report) == {"a.xlsx": "superseded", "b.xlsx": "accepted"}
    assert [o.file_name for o in report.outcomes] == ["b.xlsx", "a.xlsx"]  # outcomes in the order given
    assert facts(tmp_path / "wh")["complaints_total"].to_list() == [100, 100]


def test_same_version_a_later_ingest_replaces_the_earlier_file_even_with_a_blank_date(tmp_path, registry):
    xlsx(tmp_path / "b1", "v1.xlsx", k=1, filled_on="2025-10-15")
    run([tmp_path / "b1"], tmp_path / "wh", registry)
    xlsx(tmp_path / "b2", "fix.xlsx", k=2, filled_on=None)  # the corrected file, 填报日期 left blank
    report = run([tmp_path / "b2"], tmp_path / "wh", registry)
    fix = report.outcomes[0]
    assert (fix.file_name, fix.status) == ("fix.xlsx", "accepted") and report.ok
    assert facts(tmp_path / "wh")["complaints_total"].to_list() == [100, 100]  # k=2: the later file's figures
    assert fix.message == ("替换了版本 1（v1.xlsx）。依据：同一版本，后一次导入收到的文件优先"
                           "（填报日期：本文件 未填，原文件 2025-10-15）")
    [warning] = [i for i in fix.issues if i.rule == "same_version_resubmission"]
    assert warning.severity == "warning"
    assert warning.message == ("文件「fix.xlsx」：同一版本（版本 1）再次报送：本文件在后一次导入中收到，替换此前收到的"
                               "「v1.xlsx」，但本文件的填报日期（未填）不晚于原文件的（2025-10-15），请核实本文件确为"
                               "最新（不影响入库）。")
    subs = submissions(tmp_path / "wh")
    assert subs["status"].to_list() == ["superseded", "accepted"]
    assert subs["superseded_by"][0] == subs["submission_id"][1]
    assert subs["status_note"][0] == ("已被版本 1（fix.xlsx）替换；本文件的数据保留在历史记录中。依据：同一版本，"
                                      "后一次导入收到的文件优先（填报日期：本文件 2025-10-15，替换文件 未填）")
    assert subs["n_warnings"][1] == 1 and subs["status_note"][1] == fix.message
    assert subs["reasons"][1].splitlines() == [fix.message, warning.message]


def test_same_version_a_later_ingest_with_an_earlier_date_replaces_and_warns_with_both_dates(tmp_path, registry):
    xlsx(tmp_path / "b1", "v1.xlsx", k=1, filled_on="2025-10-15")
    run([tmp_path / "b1"], tmp_path / "wh", registry)
    xlsx(tmp_path / "b2", "v1_again.xlsx", k=3, filled_on="2025-10-01")
    report = run([tmp_path / "b2"], tmp_path / "wh", registry)
    again = report.outcomes[0]
    assert again.status == "accepted" and facts(tmp_path / "wh")["complaints_total"].to_list() == [150, 150]
    [warning] = [i for i in again.issues if i.rule == "same_version_resubmission"]
    assert "本文件的填报日期（2025-10-01）不晚于原文件的（2025-10-15）" in warning.message
    # A later date in the later ingest replaces without a warning; the note still names the rule.
    xlsx(tmp_path / "b3", "v1_third.xlsx", k=4, filled_on="2025-10-20")
    report = run([tmp_path / "b3"], tmp_path / "wh", registry)
    third = report.outcomes[0]
    assert third.status == "accepted" and not third.issues
    assert third.message == ("替换了版本 1（v1_again.xlsx）。依据：同一版本，后一次导入收到的文件优先"
                             "（填报日期：本文件 2025-10-20，原文件 2025-10-01）")
    subs = submissions(tmp_path / "wh")
    assert subs["status"].to_list() == ["superseded", "superseded", "accepted"]
    # Warnings are re-derived with the statuses: the file no longer current replaced nothing that is current.
    assert subs["n_warnings"].to_list() == [0, 0, 0]


def test_within_one_batch_the_note_says_fill_date_or_file_name_decided(tmp_path, registry):
    xlsx(tmp_path / "in", "z_early.xlsx", k=1, filled_on="2025-10-01")
    xlsx(tmp_path / "in", "a_late.xlsx", k=3, filled_on="2025-10-20")
    xlsx(tmp_path / "in2", "b.xlsx", k=2, period="2025Q2", filled_on=None)
    xlsx(tmp_path / "in2", "a.xlsx", k=1, period="2025Q2", filled_on=None)
    report = run([tmp_path / "in", tmp_path / "in2"], tmp_path / "wh", registry)
    got = by_name(report)
    assert {n: o.status for n, o in got.items()} == {
        "a_late.xlsx": "accepted", "z_early.xlsx": "superseded", "b.xlsx": "accepted", "a.xlsx": "superseded"}
    assert got["z_early.xlsx"].message == (
        "已被版本 1（a_late.xlsx）替换；本文件的数据保留在历史记录中。依据：同一版本、同批收到，填报日期较晚者优先"
        "（填报日期：本文件 2025-10-01，替换文件 2025-10-20）")
    assert got["a.xlsx"].message == (
        "已被版本 1（b.xlsx）替换；本文件的数据保留在历史记录中。依据：同一版本、同批收到、填报日期相同，"
        "文件名排序靠后者优先（填报日期：本文件 未填，替换文件 未填）")
    assert not [i for o in report.outcomes for i in o.issues if i.rule == "same_version_resubmission"]


def test_rejected_whole_with_every_error_and_original_kept(tmp_path, registry):
    sheets = good_sheets()
    sheets["投诉"][1][4] = "12%"  # 投诉总量 of 广东省 (Excel row 2)
    sheets["调解"][2][4] = 99  # 调解成功 of 深圳市 (row 3) > 调解结案 9
    write_xlsx(tmp_path / "bad.xlsx", sheets)
    xlsx(tmp_path, "good.xlsx", firm="示例康宁人寿", firm_type="人身险")
    (tmp_path / "junk.xlsx").write_bytes(b"not a workbook")
    report = run([tmp_path / "bad.xlsx", tmp_path / "junk.xlsx", tmp_path / "good.xlsx"], tmp_path / "wh",
                 registry)
    assert [o.status for o in report.outcomes] == ["rejected", "rejected", "accepted"] and not report.ok
    bad = report.outcomes[0]
    errors = {(i.rule, i.sheet, i.row) for i in bad.issues if i.severity == "error"}
    assert errors == {("not_a_percentage", "投诉", 2), ("succeeded_within_concluded", "调解", 3)}
    assert bad.message == "报送有 2 处错误，整份退回，请更正后重报"
    assert report.outcomes[1].issues[0].rule == "unreadable_file"
    assert facts(tmp_path / "wh")["firm_id"].unique().to_list() == ["F002"]  # nothing of bad.xlsx landed
    subs = submissions(tmp_path / "wh")
    for name in ("bad.xlsx", "junk.xlsx"):
        row = subs.filter(pl.col("file_name") == name).row(0, named=True)
        assert row["status"] == "rejected" and row["n_errors"] >= 1 and row["reasons"]
        assert (tmp_path / "wh" / row["stored_file"]).read_bytes() == (tmp_path / name).read_bytes()


def test_a_csv_folder_is_kept_as_a_deterministic_zip_and_recognised_when_sent_again(tmp_path, registry):
    sheets = good_sheets()
    sheets["调解"][1][2] = 11  # 自主参调 11 > 调解受理 10: rejected, and still kept
    write_csv_bundle(tmp_path / "in" / "bundle", sheets, encoding="gbk")
    report = run([tmp_path / "in"], tmp_path / "wh", registry)
    assert statuses(report) == {"bundle": "rejected"}
    row = submissions(tmp_path / "wh").row(0, named=True)
    data, ext = source_bytes(tmp_path / "in" / "bundle")
    assert ext == ".zip" and row["stored_file"] == f"files/{row['sha256']}.zip"
    assert (tmp_path / "wh" / row["stored_file"]).read_bytes() == data
    # The folder copied elsewhere (new timestamps) is the same submission: a duplicate, nothing changes.
    shutil.copytree(tmp_path / "in" / "bundle", tmp_path / "again" / "bundle")
    report = run([tmp_path / "again"], tmp_path / "wh", registry)
    assert statuses(report) == {"bundle": "duplicate"} and layout.version(tmp_path / "wh") == "000001"


def test_a_crashing_parser_rejects_that_file_only(tmp_path, registry, monkeypatch):
    xlsx(tmp_path / "in", "a.xlsx")
    xlsx(tmp_path / "in", "b.xlsx", firm="示例康宁人寿", firm_type="人身险")
    real = ingest.parse_file

    def crashing(path, *args):
        if path.name == "a.xlsx":
            raise KeyError("reader bug")
        return real(path, *args)

    monkeypatch.setattr(ingest, "parse_file", crashing)
    report = run([tmp_path / "in"], tmp_path / "wh", registry)
    assert statuses(report) == {"a.xlsx": "rejected", "b.xlsx": "accepted"}
    issue = report.outcomes[0].issues[0]
    assert issue.rule == "unreadable_file" and "KeyError" in issue.message and "a.xlsx" in issue.message
    row = submissions(tmp_path / "wh").filter(pl.col("file_name") == "a.xlsx").row(0, named=True)
    assert (tmp_path / "wh" / row["stored_file"]).read_bytes() == (tmp_path / "in" / "a.xlsx").read_bytes()


def test_files_that_cannot_be_read_at_all_are_never_duplicates_of_each_other(tmp_path):
    # parse_file gives sha256 "" when the bytes cannot even be read (permission, vanished file).
    gone = [ParsedSubmission(path=tmp_path / f"{n}.xlsx", sha256="") for n in ("x", "y")]
    for sub in gone:
        sub.issues.append(make_issue("error", "unreadable_file", sub.path.name))
    outcomes = store.apply(tmp_path / "wh", gone, registry_frame(), load_regions())
    assert [(o.status, o.submission_id) for o in outcomes] == [("rejected", "unreadable-000001"),
                                                                ("rejected", "unreadable-000002")]
    assert submissions(tmp_path / "wh")["stored_file"].to_list() == [None, None]


def test_duplicate_and_idempotent_batch(tmp_path, registry, monkeypatch):
    xlsx(tmp_path / "in", "a.xlsx", period="2025Q2")
    xlsx(tmp_path / "in", "b.xlsx", period="2025Q3", firm="示例康宁人寿", firm_type="人身险")
    (tmp_path / "in" / "bad.xlsx").write_bytes(b"garbage")
    first = run([tmp_path / "in"], tmp_path / "wh", registry)
    version = layout.version(tmp_path / "wh")
    before = {d: facts(tmp_path / "wh", d) for d in layout.FACT_DATASETS}
    subs_before = submissions(tmp_path / "wh")

    def never(*_):
        raise AssertionError("a file already received is recognised by its hash, not parsed again")

    monkeypatch.setattr(ingest, "parse_file", never)
    report = run([tmp_path / "in"], tmp_path / "wh", registry)
    assert [o.status for o in report.outcomes] == ["duplicate"] * 3 and report.ok
    assert [(o.firm_id, o.period) for o in report.outcomes] == [("F001", "2025Q2"), ("F002", "2025Q3"), (None, None)]
    assert report.outcomes[2].issues == first.outcomes[2].issues  # the errors found the first time
    assert [o.submission_id for o in report.outcomes] == [o.submission_id for o in first.outcomes]
    assert report.outcomes[0].message == "与此前收到的文件「a.xlsx」（已入库）完全相同，未作任何改动"
    assert report.outcomes[2].message == "与此前收到的文件「bad.xlsx」（已退回）完全相同，未作任何改动"
    assert layout.version(tmp_path / "wh") == version  # nothing changed, no new snapshot
    for dataset, frame in before.items():
        assert facts(tmp_path / "wh", dataset).equals(frame)
    assert submissions(tmp_path / "wh").equals(subs_before)


def test_the_same_bytes_twice_in_one_batch_count_once(tmp_path, registry):
    path = xlsx(tmp_path / "in", "a.xlsx")
    (tmp_path / "in" / "a_copy.xlsx").write_bytes(path.read_bytes())
    report = run([tmp_path / "in"], tmp_path / "wh", registry)
    assert statuses(report) == {"a.xlsx": "accepted", "a_copy.xlsx": "duplicate"} and report.ok
    assert report.outcomes[1].message == "与此前收到的文件「a.xlsx」（已入库）完全相同，未作任何改动"
    assert submissions(tmp_path / "wh").height == 1 and facts(tmp_path / "wh").height == 2


def test_batch_order_does_not_matter(tmp_path, registry):
    xlsx(tmp_path / "in", "q1.xlsx", period="2025Q1", k=1)
    xlsx(tmp_path / "in", "q2v1.xlsx", period="2025Q2", k=3, basis="年累计")
    xlsx(tmp_path / "in", "q2v2.xlsx", period="2025Q2", k=5, basis="年累计", version=2)
    xlsx(tmp_path / "in", "q3.xlsx", period="2025Q3", k=2, filled_on="2025-10-02")
    xlsx(tmp_path / "in", "q3_again.xlsx", period="2025Q3", k=4, filled_on="2025-10-01")
    files = sorted((tmp_path / "in").iterdir())
    a = run(files, tmp_path / "wa", registry)
    b = run(list(reversed(files)), tmp_path / "wb", registry)
    assert statuses(a) == statuses(b) == {"q1.xlsx": "accepted", "q2v1.xlsx": "superseded",
                                          "q2v2.xlsx": "accepted", "q3.xlsx": "accepted",
                                          "q3_again.xlsx": "superseded"}
    for dataset in layout.FACT_DATASETS:
        assert facts(tmp_path / "wa", dataset).equals(facts(tmp_path / "wb", dataset))
    drop = ["received_at"]
    assert submissions(tmp_path / "wa").drop(drop).equals(submissions(tmp_path / "wb").drop(drop))
    c = facts(tmp_path / "wa")
    assert c.filter(pl.col("period") == "2025Q2")["complaints_total"].to_list() == [200, 200]  # v2: 250 − 50
    assert c.filter(pl.col("period") == "2025Q3")["complaints_total"].to_list() == [100, 100]  # later 填报日期


def test_tenfold_jump_is_a_warning_that_does_not_block(tmp_path, registry):
    xlsx(tmp_path / "b1", "q2.xlsx", period="2025Q2", k=1)
    run([tmp_path / "b1"], tmp_path / "wh", registry)
    xlsx(tmp_path / "b2", "q3.xlsx", period="2025Q3", k=11)
    report = run([tmp_path / "b2"], tmp_path / "wh", registry)
    out = report.outcomes[0]
    assert out.status == "accepted" and report.ok
    jumps = {(i.sheet, i.row, i.column, i.value) for i in out.issues if i.rule == "tenfold_jump"}
    # 投诉总量 50 → 550 is more than tenfold; 销售纠纷 10 → 110 too; 疑似代理退保 3 → 33 too (33 ≥ 10);
    # 自主参调 8 → 88 too; 诉调对接 2 → 22 too. Stock columns (not scaled) and money never warn.
    assert ("投诉", 2, "投诉总量", "550") in jumps and ("投诉", 3, "投诉总量", "550") in jumps
    assert ("投诉", 2, "疑似代理退保投诉", "33") in jumps
    assert not any(column in ("营业网点数", "原保险保费收入(万元)") for _, _, column, _ in jumps)
    row = submissions(tmp_path / "wh").filter(pl.col("file_name") == "q3.xlsx").row(0, named=True)
    assert row["n_warnings"] == len([i for i in out.issues if i.severity == "warning"]) and row["status"] == "accepted"


def test_tenfold_ignores_small_bases_and_exactly_tenfold(tmp_path, registry):
    xlsx(tmp_path / "b1", "q2.xlsx", period="2025Q2", k=1)
    run([tmp_path / "b1"], tmp_path / "wh", registry)
    q3 = good_sheets(period="2025Q3", k=10)  # every flow count exactly ×10: not *more* than tenfold
    q3["投诉"][1][14] = 0  # 疑似代理退保, 广东省
    write_xlsx(tmp_path / "q3.xlsx", q3)
    report = run([tmp_path / "q3.xlsx"], tmp_path / "wh", registry)
    assert [i for i in report.outcomes[0].issues if i.rule == "tenfold_jump"] == []
    q4 = good_sheets(period="2025Q4", k=10)
    q4["投诉"][1][14] = 9  # 0 → 9: both below the base of 10, noise
    q4["投诉"][1][4:12] = [4, 0, 4, 4, 0, 0, 0, 0]  # 投诉总量 500 → 4 (sources and causes kept consistent)
    write_xlsx(tmp_path / "q4.xlsx", q4)
    report = run([tmp_path / "q4.xlsx"], tmp_path / "wh", registry)
    assert report.outcomes[0].status == "accepted"
    jumps = {(i.row, i.column, i.value) for i in report.outcomes[0].issues if i.rule == "tenfold_jump"}
    assert (2, "投诉总量", "4") in jumps and (2, "监管转送投诉", "0") in jumps
    assert not any(column == "疑似代理退保投诉" for _, column, _ in jumps)
    assert not any(row == 3 for row, _, _ in jumps)  # 深圳市 unchanged


def test_nothing_received_but_duplicates_writes_no_snapshot_and_old_snapshots_are_pruned(tmp_path, registry):
    for i in range(store.KEEP_SNAPSHOTS + 2):
        xlsx(tmp_path / f"b{i}", f"v{i + 1}.xlsx", version=i + 1)
        run([tmp_path / f"b{i}"], tmp_path / "wh", registry)
    names = sorted(p.name for p in (tmp_path / "wh" / "snapshots").iterdir())
    assert names == [f"{n:06d}" for n in range(3, 3 + store.KEEP_SNAPSHOTS)]
    assert layout.version(tmp_path / "wh") == f"{store.KEEP_SNAPSHOTS + 2:06d}"
    assert submissions(tmp_path / "wh")["status"].to_list() == ["superseded"] * (store.KEEP_SNAPSHOTS + 1) + [
        "accepted"]


def test_a_warehouse_whose_current_snapshot_vanished_is_never_silently_restarted(tmp_path, registry):
    xlsx(tmp_path / "b1", "a.xlsx")
    run([tmp_path / "b1"], tmp_path / "wh", registry)
    shutil.rmtree(layout.current_snapshot(tmp_path / "wh"))
    xlsx(tmp_path / "b2", "b.xlsx", version=2)
    with pytest.raises(RuntimeError, match="已损坏"):
        run([tmp_path / "b2"], tmp_path / "wh", registry)
    assert not (tmp_path / "wh" / "snapshots").exists() or not any((tmp_path / "wh" / "snapshots").iterdir())


def test_validate_writes_nothing_and_leaves_a_running_ingest_alone(tmp_path, registry):
    xlsx(tmp_path / "b1", "q2.xlsx", period="2025Q2")
    run([tmp_path / "b1"], tmp_path / "wh", registry)
    busy = tmp_path / "wh" / "snapshots" / ".tmp-someone-writing"
    busy.mkdir()
    listing = sorted(str(p.relative_to(tmp_path / "wh")) for p in (tmp_path / "wh").rglob("*"))
    xlsx(tmp_path / "b2", "q3.xlsx", period="2025Q3")
    report = run([tmp_path / "b2"], tmp_path / "wh", registry, dry_run=True)
    assert statuses(report) == {"q3.xlsx": "accepted"} and report.dry_run
    assert sorted(str(p.relative_to(tmp_path / "wh")) for p in (tmp_path / "wh").rglob("*")) == listing
    assert not (tmp_path / "nowhere").exists()
    report = run([tmp_path / "b2"], tmp_path / "nowhere", registry, dry_run=True)
    assert statuses(report) == {"q3.xlsx": "accepted"} and not (tmp_path / "nowhere").exists()


def test_a_second_ingest_waits_for_the_lock(tmp_path, registry):
    import fcntl

    xlsx(tmp_path / "in", "a.xlsx")
    (tmp_path / "wh").mkdir()
    waiting = threading.Event()
    result = {}
    with open(tmp_path / "wh" / ".lock", "a") as held:
        fcntl.flock(held, fcntl.LOCK_EX)  # another ingest is writing
        worker = threading.Thread(target=lambda: result.update(
            report=run([tmp_path / "in"], tmp_path / "wh", registry, on_wait=waiting.set)))
        worker.start()
        assert waiting.wait(30), "the ingest did not notice the lock"
        assert layout.version(tmp_path / "wh") is None  # it waits: nothing written yet
        fcntl.flock(held, fcntl.LOCK_UN)
    worker.join(30)
    assert statuses(result["report"]) == {"a.xlsx": "accepted"} and layout.version(tmp_path / "wh") == "000001"


def test_a_failure_mid_write_leaves_the_old_warehouse_whole(tmp_path, registry, monkeypatch):
    xlsx(tmp_path / "b1", "q2.xlsx", period="2025Q2")
    run([tmp_path / "b1"], tmp_path / "wh", registry)
    before = {d: facts(tmp_path / "wh", d) for d in layout.FACT_DATASETS}
    subs = submissions(tmp_path / "wh")
    version = layout.version(tmp_path / "wh")
    calls = {"n": 0}
    real = store.write_parquet

    def failing(frame, path):
        calls["n"] += 1
        if calls["n"] == 3:  # halfway through the snapshot
            raise OSError("disk full (injected)")
        real(frame, path)

    monkeypatch.setattr(store, "write_parquet", failing)
    xlsx(tmp_path / "b2", "q3.xlsx", period="2025Q3", k=2)
    listing = sorted(str(p.relative_to(tmp_path / "wh")) for p in (tmp_path / "wh").rglob("*"))
    with pytest.raises(ingest.IngestFailed, match="injected") as failed:
        run([tmp_path / "b2"], tmp_path / "wh", registry)
    assert calls["n"] == 3 and failed.value.__cause__.step == "写入快照文件"  # failed in the middle of a snapshot
    # …and took its temporaries with it (a full disk gets its space back at once): the warehouse as it was.
    assert sorted(str(p.relative_to(tmp_path / "wh")) for p in (tmp_path / "wh").rglob("*")) == listing
    assert layout.version(tmp_path / "wh") == version
    for dataset, frame in before.items():
        assert facts(tmp_path / "wh", dataset).equals(frame)
    assert submissions(tmp_path / "wh").equals(subs)
    monkeypatch.setattr(store, "write_parquet", real)
    report = run([tmp_path / "b2"], tmp_path / "wh", registry)
    assert report.ok and facts(tmp_path / "wh")["period"].unique().sort().to_list() == ["2025Q2", "2025Q3"]


def test_a_failed_snapshot_puts_no_original_in_place_and_leaves_no_temporaries(tmp_path, registry, monkeypatch):
    xlsx(tmp_path / "b1", "q2.xlsx", period="2025Q2")
    run([tmp_path / "b1"], tmp_path / "wh", registry)
    originals = sorted(os.listdir(tmp_path / "wh" / "files"))
    real = store.write_parquet

    def failing(frame, path):
        if path.name == layout.SUBMISSIONS:  # the originals are staged by now, not yet in place
            raise OSError("disk full (injected)")
        real(frame, path)

    monkeypatch.setattr(store, "write_parquet", failing)
    q3 = xlsx(tmp_path / "b2", "q3.xlsx", period="2025Q3", k=2)
    with pytest.raises(ingest.IngestFailed, match="injected"):
        run([tmp_path / "b2"], tmp_path / "wh", registry)
    assert sorted(os.listdir(tmp_path / "wh" / "files")) == originals  # neither the file nor a temporary
    monkeypatch.setattr(store, "write_parquet", real)
    run([tmp_path / "b2"], tmp_path / "wh", registry)
    row = submissions(tmp_path / "wh").filter(pl.col("file_name") == "q3.xlsx").row(0, named=True)
    assert (tmp_path / "wh" / row["stored_file"]).read_bytes() == q3.read_bytes()
    assert len(os.listdir(tmp_path / "wh" / "files")) == len(originals) + 1


def test_the_original_archived_is_the_bytes_parsed(tmp_path, registry):
    q3 = xlsx(tmp_path / "in", "q3.xlsx", period="2025Q3")
    firms, regions = registry_frame(), load_regions()
    parsed, sources = ingest.parse_units([q3], {}, firms, regions)
    sent = q3.read_bytes()
    xlsx(tmp_path / "in", "q3.xlsx", period="2025Q3", k=3)  # the file changes after it was parsed
    store.apply(tmp_path / "wh", parsed, firms, regions, sources=sources)
    row = submissions(tmp_path / "wh").row(0, named=True)
    assert (tmp_path / "wh" / row["stored_file"]).read_bytes() == sent
    assert row["sha256"] == hashlib.sha256(sent).hexdigest()
    with pytest.raises(RuntimeError, match="被改动"):  # read again (no bytes handed over): the change is noticed
        store.apply(tmp_path / "wh2", parsed, firms, regions)
    assert layout.version(tmp_path / "wh2") is None and not (tmp_path / "wh2" / "files").exists()


KILLED_INGEST = """
import sys, time
from pathlib import Path
from etl import store
from etl.ingest import run
real = store.write_parquet
def slow(frame, path):
    real(frame, path)
    Path(sys.argv[3]).touch()
    time.sleep(60)
store.write_parquet = slow
run([Path(sys.argv[1])], Path(sys.argv[2]), Path(sys.argv[4]))
"""


def test_a_killed_ingest_leaves_the_old_warehouse_whole(tmp_path, registry):
    xlsx(tmp_path / "b1", "q2.xlsx", period="2025Q2")
    run([tmp_path / "b1"], tmp_path / "wh", registry)
    before = facts(tmp_path / "wh")
    version = layout.version(tmp_path / "wh")
    xlsx(tmp_path / "b2", "q3.xlsx", period="2025Q3", k=2)
    flag = tmp_path / "writing"
    proc = subprocess.Popen([sys.executable, "-c", KILLED_INGEST, str(tmp_path / "b2"), str(tmp_path / "wh"),
                             str(flag), str(registry)], cwd=ROOT, start_new_session=True)
    try:
        for _ in range(600):
            if flag.exists() or proc.poll() is not None:
                break
            time.sleep(0.05)
        assert flag.exists(), "the ingest never started writing"
        assert list((tmp_path / "wh" / "snapshots").glob(".tmp-*"))  # killed in the middle of a snapshot
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    assert proc.returncode == -signal.SIGKILL
    assert layout.version(tmp_path / "wh") == version
    assert facts(tmp_path / "wh").equals(before)
    snap = layout.current_snapshot(tmp_path / "wh")
    got = duckdb.sql("select period, sum(complaints_total) from read_parquet($glob, hive_partitioning = true) "
                     "group by period", params={"glob": f"{snap}/complaints/**/*.parquet"}).fetchall()
    assert got == [("2025Q2", 100)]
    report = run([tmp_path / "b2"], tmp_path / "wh", registry)
    assert report.ok and facts(tmp_path / "wh").height == 4
    assert not list((tmp_path / "wh" / "snapshots").glob(".tmp-*"))


# ── 年累计: turned into the quarter against the current figures of the earlier quarters, stock columns untouched,
# held while an earlier quarter is missing and released by a later ingest, re-derived when an earlier quarter is
# resubmitted, rejected when the difference is negative. Figures per region and quarter from tests/etl/workbooks.py
# scaled by k: 投诉总量 50k, 保单件数 20000k, 保费 1234.5k 万元, 涉案金额 123.45k 万元, 险种 机动车辆 30k / 健康 20k,
# 线下触达 1000k; stock columns (覆盖县区 10, 营业网点 50, 适老化网点 20) are not scaled.
OUTLETS, COUNTIES = 14, 13  # column positions in the 宣教 sheet


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


def test_a_snapshot_written_before_filler_and_phone_reads_them_as_unknown(tmp_path):
    snapshot = tmp_path / "000001"
    snapshot.mkdir()
    old = pl.DataFrame(schema=store.SUBMISSION_SCHEMA).drop("filler", "phone")
    old.vstack(pl.DataFrame([{"submission_id": "s1", "seq": 1}], schema=old.schema)).write_parquet(
        snapshot / layout.SUBMISSIONS)
    subs = store.load_submissions(snapshot)
    assert subs.columns == list(store.SUBMISSION_SCHEMA) and subs["filler"].to_list() == [None]
