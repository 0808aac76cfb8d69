"""The upload portal's door (etl/intake.py): checks by content, refusals kept with their reasons, the same ingest
as the CLI for everything else, and the history each upload leaves."""

from __future__ import annotations

import json
import threading
from datetime import UTC, date, datetime
from pathlib import Path

import polars as pl
import pytest

from core import collection, layout, uploads
from etl import intake
from etl.ingest import IngestFailed
from etl.intake import REFUSED, content_type, receive, safe_name
from etl.report import Report
from tests.etl.workbooks import deflated_zip, good_sheets, rewrite_zip, write_csv_bundle, write_registry, write_xlsx

ON_TIME = datetime(2025, 10, 15, 2, 0, tzinfo=UTC)
LIFE = {"firm": "示例康宁人寿", "firm_type": "人身险"}


@pytest.fixture
def wh(tmp_path) -> Path:
    warehouse = tmp_path / "wh"
    collection.open_period(warehouse, "2025Q3", date(2025, 10, 20))
    return warehouse


@pytest.fixture
def registry(tmp_path) -> Path:
    return write_registry(tmp_path / "firms.csv")


def upload(wh, registry, path: Path, *, firm_id: str | None = "F001", name: str | None = None, now=ON_TIME):
    return receive(name or path.name, path.read_bytes(), warehouse=wh, registry_path=registry, who="m1",
                   firm_id=firm_id, now=now)


def statuses(wh) -> list[tuple[str, str]]:
    snapshot = layout.current_snapshot(wh)
    if snapshot is None:
        return []
    subs = pl.read_parquet(snapshot / layout.SUBMISSIONS)
    return sorted(zip(subs["firm_id"].to_list(), subs["status"].to_list(), strict=True))


def test_a_good_file_is_ingested_as_the_cli_would_and_is_in_the_history(wh, registry, tmp_path):
    r = upload(wh, registry, write_xlsx(tmp_path / "安泰.xlsx", good_sheets()))
    assert (r.status, r.period, r.found_firm_id, r.late, r.errors) == ("accepted", "2025Q3", "F001", False, [])
    assert statuses(wh) == [("F001", "accepted")]
    assert [x.upload_id for x in uploads.receipts(wh)] == [r.upload_id]
    kept = uploads.folder(wh) / r.upload_id
    assert (kept / "安泰.xlsx").read_bytes() == (tmp_path / "安泰.xlsx").read_bytes()
    assert json.loads((kept / "receipt.json").read_text(encoding="utf-8"))["status"] == "accepted"


def test_a_file_with_errors_is_rejected_with_every_error_located(wh, registry, tmp_path):
    sheets = good_sheets()
    sheets["投诉"][1][4] = "很多"          # 投诉总量 of 广东省, Excel row 2
    sheets["调解"][2][0] = "火星"          # an unknown region, row 3
    r = upload(wh, registry, write_xlsx(tmp_path / "bad.xlsx", sheets))
    assert r.status == "rejected"
    located = {(e["sheet"], e["row"], e["column"], e["value"]) for e in r.errors}
    assert ("投诉", 2, "投诉总量", "很多") in located and ("调解", 3, "地区", "火星") in located
    assert all(e["message"] for e in r.errors)
    assert statuses(wh) == [("F001", "rejected")]  # kept, with its reasons, as the CLI keeps it


def test_a_file_naming_another_firm_is_refused_and_changes_nothing(wh, registry, tmp_path):
    r = upload(wh, registry, write_xlsx(tmp_path / "life.xlsx", good_sheets(**LIFE)), firm_id="F001")
    assert (r.status, r.rule, r.reason) == ("refused", "other_firm", REFUSED["other_firm"])
    assert "康宁" not in r.reason and "F002" not in r.reason
    assert statuses(wh) == []
    assert (uploads.folder(wh) / r.upload_id / "life.xlsx").exists()  # what was received is kept


def test_the_secretariat_may_upload_for_any_firm(wh, registry, tmp_path):
    r = upload(wh, registry, write_xlsx(tmp_path / "life.xlsx", good_sheets(**LIFE)), firm_id=None)
    assert r.status == "accepted" and statuses(wh) == [("F002", "accepted")]


def test_a_period_not_open_is_refused(wh, registry, tmp_path):
    r = upload(wh, registry, write_xlsx(tmp_path / "q2.xlsx", good_sheets(period="2025Q2")))
    assert (r.status, r.rule, r.period) == ("refused", "period_closed", "2025Q2")
    assert "2025Q2" in r.reason and statuses(wh) == []
    collection.close_period(wh, "2025Q3")
    closed = upload(wh, registry, write_xlsx(tmp_path / "q3.xlsx", good_sheets()))
    assert (closed.status, closed.rule) == ("refused", "period_closed")


def test_a_file_after_the_deadline_is_accepted_and_flagged_late(wh, registry, tmp_path):
    late = datetime(2025, 10, 20, 16, 0, tzinfo=UTC)  # 2025-10-21 00:00 in Beijing
    r = upload(wh, registry, write_xlsx(tmp_path / "late.xlsx", good_sheets()), now=late)
    assert (r.status, r.late) == ("accepted", True)


def test_an_oversized_file_is_refused_before_it_is_read(wh, registry, tmp_path, monkeypatch):
    monkeypatch.setenv("XIAOBAO_MAX_UPLOAD_MIB", "1")
    big = tmp_path / "big.xlsx"
    big.write_bytes(b"PK\x03\x04" + b"\0" * (3 * 1024 * 1024 // 2))
    r = upload(wh, registry, big)
    assert (r.status, r.rule) == ("refused", "too_large")
    assert "1.5 MiB" in r.reason and "1 MiB" in r.reason


def test_a_renamed_non_workbook_is_refused_by_its_content(wh, registry, tmp_path):
    fake = tmp_path / "报表.xlsx"
    fake.write_text("公司名称,示例安泰财险\n", encoding="utf-8")
    r = upload(wh, registry, fake)
    assert (r.status, r.rule, r.file_name) == ("refused", "not_a_submission", "报表.bin")


def test_a_workbook_with_macros_is_refused(wh, registry, tmp_path):
    good = write_xlsx(tmp_path / "good.xlsx", good_sheets())
    macro = rewrite_zip(good, {"xl/vbaProject.bin": b"\xd0\xcf\x11\xe0 vba"}, tmp_path / "宏.xlsm")
    r = upload(wh, registry, macro, name="宏.xlsx")
    assert (r.status, r.rule) == ("refused", "macro")
    assert statuses(wh) == []


def test_a_zip_bomb_passes_the_door_and_is_rejected_by_the_ingest_limits(wh, registry, tmp_path):
    bomb = deflated_zip(tmp_path / "bomb.zip", {"投诉.csv": (b"a," * 512 + b"\n", 70_000)})
    r = upload(wh, registry, bomb)
    assert r.status == "rejected" and any("上限" in e["message"] for e in r.errors)


def test_a_csv_bundle_zip_is_accepted(wh, registry, tmp_path):
    r = upload(wh, registry, write_csv_bundle(tmp_path / "bundle.zip", good_sheets()))
    assert r.status == "accepted"


@pytest.mark.parametrize(("name", "ext", "expected"), [
    ("../../etc/passwd.xlsx", ".xlsx", "passwd.xlsx"),
    ("C:\\Users\\张三\\报送.xls", ".xls", "报送.xls"),
    ("a\u202egpj.xlsx", ".xlsx", "a_gpj.xlsx"),
    ("\x1b[2J报送.xlsx", ".xlsx", "_[2J报送.xlsx"),
    ("..", ".zip", "upload.zip"),
    ("长" * 200 + ".xlsx", ".xlsx", "长" * 75 + ".xlsx"),
])
def test_file_names_are_made_safe_and_end_in_what_the_content_is(name, ext, expected):
    assert safe_name(name, ext) == expected


def test_content_type_is_by_content(tmp_path):
    good = write_xlsx(tmp_path / "g.xlsx", good_sheets()).read_bytes()
    assert content_type(good) == (".xlsx", None)
    assert content_type(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100) == (".xls", None)
    assert content_type(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + "_VBA_PROJECT".encode("utf-16-le")) == (None, "macro")
    assert content_type(b"") == (None, "empty")
    assert content_type(b"PK\x03\x04 broken") == (None, "not_a_submission")


def test_uploads_at_the_same_moment_all_land(wh, registry, tmp_path):
    collection.open_period(wh, "2025Q2", date(2025, 7, 20))
    files = [(write_xlsx(tmp_path / f"{firm}{period}.xlsx", good_sheets(period=period, **kind)), firm)
             for period in ("2025Q2", "2025Q3") for firm, kind in (("F001", {}), ("F002", LIFE))]
    results = []
    threads = [threading.Thread(target=lambda p=p, f=f: results.append(upload(wh, registry, p, firm_id=f)))
               for p, f in files]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(r.status for r in results) == ["accepted"] * 4
    assert statuses(wh) == [("F001", "accepted")] * 2 + [("F002", "accepted")] * 2
    assert len(uploads.receipts(wh)) == 4


def test_a_warehouse_that_cannot_be_written_keeps_the_file_and_says_so(wh, registry, tmp_path, monkeypatch):
    def full(*args, **kwargs):
        raise IngestFailed("数据仓库无法写入：磁盘已满", Report())

    monkeypatch.setattr(intake, "run", full)
    r = upload(wh, registry, write_xlsx(tmp_path / "a.xlsx", good_sheets()))
    assert (r.status, r.rule) == ("refused", "not_stored") and "磁盘已满" in r.reason
    assert (uploads.folder(wh) / r.upload_id / "a.xlsx").exists() and statuses(wh) == []
