"""The warehouse store: resubmission, 年累计, held then released, duplicates, idempotency, order, atomicity."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import polars as pl
import pytest

from etl import store
from etl.ingest import run
from tests.etl.workbooks import good_sheets, write_registry, write_xlsx
from xiaobao import layout

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def registry(tmp_path) -> Path:
    return write_registry(tmp_path / "firms.csv")


def facts(warehouse: Path, dataset: str = "complaints") -> pl.DataFrame:
    snap = layout.current_snapshot(warehouse)
    return (pl.read_parquet(f"{snap}/{dataset}/**/*.parquet", hive_partitioning=True)
            .sort(["period", "firm_id", "region_code"]))


def submissions(warehouse: Path) -> pl.DataFrame:
    return pl.read_parquet(layout.current_snapshot(warehouse) / "submissions.parquet").sort("seq")


def xlsx(folder: Path, name: str, **kwargs) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    return write_xlsx(folder / name, good_sheets(**kwargs))


def test_accepted_figures_land_partitioned_with_contract_ids(tmp_path, registry):
    xlsx(tmp_path / "in", "a.xlsx")
    report = run([tmp_path / "in"], tmp_path / "wh", registry)
    assert [o.status for o in report.outcomes] == ["accepted"] and report.ok
    snap = layout.current_snapshot(tmp_path / "wh")
    assert (snap / "complaints" / "year=2025" / "quarter=3" / "part-0.parquet").exists()
    c = facts(tmp_path / "wh")
    assert c.select("period", "firm_id", "region_code", "complaints_total").rows() == [
        ("2025Q3", "F001", "440000", 50), ("2025Q3", "F001", "440300", 50)]
    assert "source_row" not in c.columns
    assert pl.read_parquet(snap / "firms.parquet")["firm_id"].to_list() == ["F001", "F002"]
    assert pl.read_parquet(snap / "regions.parquet").height == 37


def test_resubmission_supersedes_and_keeps_history(tmp_path, registry):
    xlsx(tmp_path / "b1", "v1.xlsx", k=1)
    run([tmp_path / "b1"], tmp_path / "wh", registry)
    xlsx(tmp_path / "b2", "v2.xlsx", k=2, version=2)
    report = run([tmp_path / "b2"], tmp_path / "wh", registry)
    assert [o.status for o in report.outcomes] == ["accepted"]
    assert facts(tmp_path / "wh")["complaints_total"].to_list() == [100, 100]
    subs = submissions(tmp_path / "wh")
    assert subs["status"].to_list() == ["superseded", "accepted"]
    assert subs["superseded_by"][0] == subs["submission_id"][1]
    # A lower version arriving later is superseded at once; the figures stay those of version 2.
    xlsx(tmp_path / "b3", "late_v1.xlsx", k=3, version=1)
    report = run([tmp_path / "b3"], tmp_path / "wh", registry)
    assert [o.status for o in report.outcomes] == ["superseded"]
    assert facts(tmp_path / "wh")["complaints_total"].to_list() == [100, 100]


def test_same_version_later_fill_date_wins_whatever_the_file_order(tmp_path, registry):
    xlsx(tmp_path / "in", "z_early.xlsx", k=1, filled_on="2025-10-01")
    xlsx(tmp_path / "in", "a_late.xlsx", k=3, filled_on="2025-10-20")
    report = run([tmp_path / "in"], tmp_path / "wh", registry)
    assert {o.file_name: o.status for o in report.outcomes} == {"a_late.xlsx": "accepted",
                                                                 "z_early.xlsx": "superseded"}
    assert facts(tmp_path / "wh")["complaints_total"].to_list() == [150, 150]


def test_ytd_becomes_the_quarter_and_stock_columns_stay(tmp_path, registry):
    xlsx(tmp_path / "in", "q1.xlsx", period="2025Q1", k=1)
    xlsx(tmp_path / "in", "q2.xlsx", period="2025Q2", k=3, basis="年累计")  # year to date = 3 × the Q1 figures
    report = run([tmp_path / "in"], tmp_path / "wh", registry)
    assert [o.status for o in report.outcomes] == ["accepted", "accepted"]
    c = facts(tmp_path / "wh").filter(pl.col("period") == "2025Q2")
    assert c["complaints_total"].to_list() == [100, 100]  # 150 − 50
    assert c["policies"].to_list() == [40000, 40000]  # 60000 − 20000
    assert c["premium_wan"].to_list() == [2469.0, 2469.0]  # 3703.5 − 1234.5
    o = facts(tmp_path / "wh", "outreach").filter(pl.col("period") == "2025Q2")
    assert o["reach_offline"].to_list() == [2000, 2000]  # 3000 − 1000
    assert o["outlets"].to_list() == [50, 50]  # stock: as at quarter end, never differenced
    lines = facts(tmp_path / "wh", "complaints_by_line").filter(pl.col("period") == "2025Q2")
    assert sorted(lines["complaints"].to_list()) == [40, 40, 60, 60]  # (20, 30) × 3 − (20, 30)


def test_ytd_held_until_the_gap_is_filled_then_released(tmp_path, registry):
    xlsx(tmp_path / "b1", "q1.xlsx", period="2025Q1", k=1)
    xlsx(tmp_path / "b1", "q3.xlsx", period="2025Q3", k=6, basis="年累计")
    report = run([tmp_path / "b1"], tmp_path / "wh", registry)
    by_name = {o.file_name: o for o in report.outcomes}
    assert by_name["q3.xlsx"].status == "held" and not report.ok
    assert "缺少 2025Q2" in by_name["q3.xlsx"].note
    assert facts(tmp_path / "wh")["period"].unique().to_list() == ["2025Q1"]
    held = submissions(tmp_path / "wh").filter(pl.col("status") == "held")
    assert (tmp_path / "wh" / held["stored_file"][0]).read_bytes() == (tmp_path / "b1" / "q3.xlsx").read_bytes()

    xlsx(tmp_path / "b2", "q2.xlsx", period="2025Q2", k=2)
    report = run([tmp_path / "b2"], tmp_path / "wh", registry)
    released = [o for o in report.outcomes if o.released]
    assert [o.file_name for o in released] == ["q3.xlsx"] and report.ok
    q3 = facts(tmp_path / "wh").filter(pl.col("period") == "2025Q3")
    assert q3["complaints_total"].to_list() == [150, 150]  # 300 − 50 − 100
    assert submissions(tmp_path / "wh")["status"].to_list() == ["accepted", "accepted", "accepted"]


def test_resubmitted_q1_re_derives_a_ytd_q2(tmp_path, registry):
    xlsx(tmp_path / "b1", "q1.xlsx", period="2025Q1", k=1)
    xlsx(tmp_path / "b1", "q2.xlsx", period="2025Q2", k=4, basis="年累计")
    run([tmp_path / "b1"], tmp_path / "wh", registry)
    xlsx(tmp_path / "b2", "q1v2.xlsx", period="2025Q1", k=2, version=2)
    run([tmp_path / "b2"], tmp_path / "wh", registry)
    c = facts(tmp_path / "wh")
    assert c.filter(pl.col("period") == "2025Q2")["complaints_total"].to_list() == [100, 100]  # 200 − 100


def test_negative_ytd_difference_is_rejected(tmp_path, registry):
    xlsx(tmp_path / "in", "q1.xlsx", period="2025Q1", k=2)
    xlsx(tmp_path / "in", "q2.xlsx", period="2025Q2", k=1, basis="年累计")
    report = run([tmp_path / "in"], tmp_path / "wh", registry)
    q2 = next(o for o in report.outcomes if o.file_name == "q2.xlsx")
    assert q2.status == "rejected"
    issue = next(i for i in q2.issues if i.column == "投诉总量" and i.row == 2)
    assert issue.rule == "ytd_negative" and issue.sheet == "投诉" and issue.value == "50"
    assert facts(tmp_path / "wh")["period"].unique().to_list() == ["2025Q1"]


def test_rejected_whole_with_every_error_and_original_kept(tmp_path, registry):
    sheets = good_sheets()
    sheets["投诉"][1][4] = "12%"
    sheets["调解"][2][4] = 99
    write_xlsx(tmp_path / "bad.xlsx", sheets)
    xlsx(tmp_path, "good.xlsx", firm="示例康宁人寿", firm_type="人身险")
    (tmp_path / "junk.xlsx").write_bytes(b"not a workbook")
    report = run([tmp_path / "bad.xlsx", tmp_path / "junk.xlsx", tmp_path / "good.xlsx"], tmp_path / "wh",
                 registry)
    assert [o.status for o in report.outcomes] == ["rejected", "rejected", "accepted"]
    assert {i.rule for i in report.outcomes[0].issues if i.severity == "error"} >= {
        "not_a_percentage", "succeeded_within_concluded"}
    assert facts(tmp_path / "wh")["firm_id"].unique().to_list() == ["F002"]
    subs = submissions(tmp_path / "wh")
    for name in ("bad.xlsx", "junk.xlsx"):
        row = subs.filter(pl.col("file_name") == name).row(0, named=True)
        assert row["status"] == "rejected" and row["reasons"]
        assert (tmp_path / "wh" / row["stored_file"]).read_bytes() == (tmp_path / name).read_bytes()


def test_duplicate_and_idempotent_batch(tmp_path, registry):
    xlsx(tmp_path / "in", "a.xlsx", period="2025Q2")
    xlsx(tmp_path / "in", "b.xlsx", period="2025Q3", firm="示例康宁人寿", firm_type="人身险")
    run([tmp_path / "in"], tmp_path / "wh", registry)
    version = layout.version(tmp_path / "wh")
    before = {d: facts(tmp_path / "wh", d) for d in layout.FACT_DATASETS}
    subs_before = submissions(tmp_path / "wh")
    report = run([tmp_path / "in"], tmp_path / "wh", registry)
    assert [o.status for o in report.outcomes] == ["duplicate", "duplicate"] and report.ok
    assert layout.version(tmp_path / "wh") == version  # nothing changed, no new snapshot
    for dataset, frame in before.items():
        assert facts(tmp_path / "wh", dataset).equals(frame)
    assert submissions(tmp_path / "wh").equals(subs_before)


def test_batch_order_does_not_matter(tmp_path, registry):
    xlsx(tmp_path / "in", "q1.xlsx", period="2025Q1", k=1)
    xlsx(tmp_path / "in", "q2v1.xlsx", period="2025Q2", k=3, basis="年累计")
    xlsx(tmp_path / "in", "q2v2.xlsx", period="2025Q2", k=5, basis="年累计", version=2)
    files = sorted((tmp_path / "in").iterdir())
    run(files, tmp_path / "wa", registry)
    run(list(reversed(files)), tmp_path / "wb", registry)
    for dataset in layout.FACT_DATASETS:
        assert facts(tmp_path / "wa", dataset).equals(facts(tmp_path / "wb", dataset))
    q2 = facts(tmp_path / "wa").filter(pl.col("period") == "2025Q2")
    assert q2["complaints_total"].to_list() == [200, 200]  # version 2: 250 − 50


def test_tenfold_jump_is_a_warning_that_does_not_block(tmp_path, registry):
    xlsx(tmp_path / "b1", "q2.xlsx", period="2025Q2", k=1)
    run([tmp_path / "b1"], tmp_path / "wh", registry)
    xlsx(tmp_path / "b2", "q3.xlsx", period="2025Q3", k=11)
    report = run([tmp_path / "b2"], tmp_path / "wh", registry)
    out = report.outcomes[0]
    assert out.status == "accepted"
    jumps = [i for i in out.issues if i.rule == "tenfold_jump"]
    assert any(i.sheet == "投诉" and i.column == "投诉总量" and i.row == 2 and i.value == "550" for i in jumps)


def test_a_failure_mid_write_leaves_the_old_warehouse_whole(tmp_path, registry, monkeypatch):
    xlsx(tmp_path / "b1", "q2.xlsx", period="2025Q2")
    run([tmp_path / "b1"], tmp_path / "wh", registry)
    before = facts(tmp_path / "wh")
    version = layout.version(tmp_path / "wh")
    calls = {"n": 0}
    real = store.write_parquet

    def failing(frame, path):
        calls["n"] += 1
        if calls["n"] == 3:
            raise OSError("disk full (injected)")
        real(frame, path)

    monkeypatch.setattr(store, "write_parquet", failing)
    xlsx(tmp_path / "b2", "q3.xlsx", period="2025Q3", k=2)
    with pytest.raises(OSError, match="injected"):
        run([tmp_path / "b2"], tmp_path / "wh", registry)
    assert layout.version(tmp_path / "wh") == version
    assert facts(tmp_path / "wh").equals(before)
    monkeypatch.setattr(store, "write_parquet", real)
    report = run([tmp_path / "b2"], tmp_path / "wh", registry)
    assert report.ok and facts(tmp_path / "wh")["period"].unique().sort().to_list() == ["2025Q2", "2025Q3"]
    assert not list((tmp_path / "wh" / "snapshots").glob(".tmp-*"))  # the half-written snapshot was cleaned


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
    assert layout.version(tmp_path / "wh") == version
    assert facts(tmp_path / "wh").equals(before)
    report = run([tmp_path / "b2"], tmp_path / "wh", registry)
    assert report.ok and facts(tmp_path / "wh").height == 4
