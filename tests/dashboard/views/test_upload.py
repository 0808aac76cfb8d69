"""数据报送 in AppTest: a member uploads its workbook and learns at once what became of it; another firm's file is
refused; errors are listed; the history is the member's own; the secretariat opens periods and sees whom to remind."""

from __future__ import annotations

import io
import re
import shutil
import subprocess
from datetime import date, timedelta
from pathlib import Path

import openpyxl
import polars as pl
import pytest

from core import collection, layout, quarters
from core.reference import load_regions, load_registry
from core.status import FILE_LABELS
from etl.parse import parse_file
from fixtures.browser import (
    DEMO_FIRMS,
    DEMO_SEED,
    DEMO_TO,
    XIAOBAO,
    log_in,
    new_page,
    open_page,
    screenshot,
    serve,
    wait_settled,
)
from query import Warehouse
from query import uploads as portal_queries
from tests.dashboard.apptest import SECRETARIAT, member, no_traceback
from tests.etl.workbooks import deflated_zip, good_sheets, rewrite_zip, write_registry, write_xlsx

LIFE = {"firm": "示例康宁人寿", "firm_type": "人身险"}


@pytest.fixture
def portal(tmp_path, monkeypatch):
    """An empty warehouse with 2025Q3 open for collection, and the two-firm registry of the workbook helpers."""
    wh = tmp_path / "wh"
    collection.open_period(wh, "2025Q3", date(2099, 1, 20))
    monkeypatch.setenv("XIAOBAO_REGISTRY", str(write_registry(tmp_path / "firms.csv")))
    return wh


def workbook(tmp_path, name: str, sheets) -> bytes:
    return write_xlsx(tmp_path / name, sheets).read_bytes()


def accepted_firms(wh) -> list[tuple[str, str]]:
    snapshot = layout.current_snapshot(wh)
    subs = pl.read_parquet(snapshot / layout.SUBMISSIONS) if snapshot else pl.DataFrame({"firm_id": [], "status": []})
    return sorted(zip(subs["firm_id"].to_list(), subs["status"].to_list(), strict=True))


def texts(at) -> str:
    """The alerts as a person reads them (their markdown escapes undone)."""
    shown = "\n".join(str(e.value) for kind in ("success", "error", "warning", "info") for e in getattr(at, kind))
    return re.sub(r"\\(.)", r"\1", shown)


def test_a_member_uploads_a_good_file_and_sees_it_accepted_and_in_its_history(app_test, portal, tmp_path):
    at = app_test("upload.py", warehouse=portal, user=member("F001"))
    no_traceback(at)
    assert at.title[0].value == "数据报送"
    assert at.selectbox(key="upload_period").value == "2025Q3"
    at.file_uploader(key="uploader_2025Q3_F001").upload("安泰_2025Q3.xlsx", workbook(tmp_path, "a.xlsx", good_sheets()))
    at.run()
    no_traceback(at)
    assert "已入库：安泰_2025Q3.xlsx" in texts(at)
    assert accepted_firms(portal) == [("F001", "accepted")]
    history = at.dataframe[-1].value
    assert history["文件"].to_list() == ["安泰_2025Q3.xlsx"] and history["结果"].to_list() == ["已入库"]
    at.run()  # a rerun does not receive the same file again
    assert accepted_firms(portal) == [("F001", "accepted")]


def test_another_firms_file_is_refused_and_changes_nothing(app_test, portal, tmp_path):
    at = app_test("upload.py", warehouse=portal, user=member("F001"))
    at.file_uploader(key="uploader_2025Q3_F001").upload("x.xlsx", workbook(tmp_path, "b.xlsx", good_sheets(**LIFE)))
    at.run()
    no_traceback(at)
    assert "未受理：文件封面的公司名称与您账户所属的会员公司不符" in texts(at)
    assert "康宁" not in texts(at)
    assert accepted_firms(portal) == []


def test_every_error_is_listed_with_its_place(app_test, portal, tmp_path):
    sheets = good_sheets()
    sheets["投诉"][1][4] = "很多"
    at = app_test("upload.py", warehouse=portal, user=member("F001"))
    at.file_uploader(key="uploader_2025Q3_F001").upload("bad.xlsx", workbook(tmp_path, "c.xlsx", sheets))
    at.run()
    no_traceback(at)
    assert texts(at).startswith("已退回")
    errors = at.dataframe[0].value
    located = set(errors[["工作表", "行", "列", "值"]].itertuples(index=False, name=None))
    assert ("投诉", 2, "投诉总量", "很多") in located
    assert accepted_firms(portal) == [("F001", "rejected")]


def test_a_member_sees_only_its_own_uploads(app_test, portal, tmp_path):
    other = app_test("upload.py", warehouse=portal, user=member("F002"))
    other.file_uploader(key="uploader_2025Q3_F002").upload("康宁机密.xlsx",
                                                          workbook(tmp_path, "d.xlsx", good_sheets(**LIFE)))
    other.run()
    at = app_test("upload.py", warehouse=portal, user=member("F001"))
    no_traceback(at)
    assert "康宁机密" not in "\n".join(str(df.value) for df in at.dataframe)
    assert "还没有上传过文件。" in [c.value for c in at.caption]


def test_the_secretariat_opens_a_period_and_sees_whom_to_remind(app_test, portal, tmp_path):
    first = app_test("upload.py", warehouse=portal, user=member("F001"))
    first.file_uploader(key="uploader_2025Q3_F001").upload("a.xlsx", workbook(tmp_path, "a.xlsx", good_sheets()))
    first.run()
    at = app_test("upload.py", warehouse=portal, user=SECRETARIAT)
    no_traceback(at)
    at.text_input(key="period_new").input("2025Q4")
    at.date_input(key="period_deadline").set_value(date(2026, 1, 20))
    at.button(key="period_open").click().run()
    no_traceback(at)
    assert collection.find(portal, "2025Q4").deadline == date(2026, 1, 20)
    at.selectbox(key="upload_period").set_value("2025Q3").run()
    reminders = at.dataframe[-1].value
    assert reminders[["公司", "状态"]].values.tolist() == [["示例康宁人寿", "未报送"]]  # 安泰 is in, on time


# ── in Chromium, logged in as a member, over a copy of the browser suite's warehouse ─────────────────────────────
@pytest.fixture(scope="module")
def portal_server(e2e_warehouse, e2e_users, tmp_path_factory):
    """A server of its own over a copy of the e2e warehouse (uploads change its figures), the quarter after the
    demo's open, and that quarter's demo files (same seed and firms: the member's firm's file among them)."""
    warehouse, registry = e2e_warehouse
    root = tmp_path_factory.mktemp("portal-e2e")
    copy = root / "parquet"
    shutil.copytree(warehouse, copy, symlinks=True)
    upcoming = quarters.shift(DEMO_TO, 1)
    collection.open_period(copy, upcoming, quarters.end_date(upcoming) + timedelta(days=3650))
    subprocess.run([str(XIAOBAO), "demo", str(root / "next"), "--firms", str(DEMO_FIRMS), "--from", upcoming,
                    "--to", upcoming, "--seed", str(DEMO_SEED)], check=True, capture_output=True)
    manifest = pl.read_csv(root / "next" / "manifest.csv")
    files = {row["firm_id"]: next((root / "next" / "submissions").rglob(row["file_name"]))
             for row in manifest.iter_rows(named=True)}
    with serve(copy, registry, users=Path(e2e_users["file"])) as base_url:
        yield base_url, copy, upcoming, files, manifest


@pytest.mark.browser
def test_a_member_uploads_in_chromium_and_sees_the_result_at_once(portal_server, chromium, e2e_users,
                                                                   e2e_member_firm):
    base_url, warehouse, upcoming, files, manifest = portal_server
    page = new_page(chromium, [])
    log_in(page, base_url, e2e_users["member"])
    open_page(page, f"{base_url}/upload")
    assert page.get_by_role("heading", name="数据报送").is_visible()
    other = next(f for f, path in files.items() if f != e2e_member_firm)
    page.locator('input[type="file"]').set_input_files(str(files[other]))
    page.get_by_text("未受理").wait_for(timeout=60_000)
    wait_settled(page)
    assert "公司名称与您账户所属的会员公司不符" in page.inner_text("body")
    expected = manifest.filter(pl.col("firm_id") == e2e_member_firm)["status"][0]
    page.locator('input[type="file"]').set_input_files(str(files[e2e_member_firm]))
    page.get_by_text(FILE_LABELS["zh"][expected] + "：").first.wait_for(timeout=60_000)
    wait_settled(page)
    screenshot(page, "upload_member_zh")
    body = page.inner_text("body")
    assert files[e2e_member_firm].name in body
    subs = pl.read_parquet(layout.current_snapshot(warehouse) / layout.SUBMISSIONS)
    mine = subs.filter((pl.col("firm_id") == e2e_member_firm) & (pl.col("period") == upcoming))
    assert mine["status"].to_list() == [expected]
    assert subs.filter(pl.col("firm_id") == other).filter(pl.col("period") == upcoming).height == 0
    page.context.close()


def refused_in_chromium(page, path: Path, expected: str) -> str:
    """Upload `path` on the open page; the alert that answers it, once `expected` is on screen."""
    page.locator('input[type="file"]').set_input_files(str(path))
    page.get_by_text(expected).first.wait_for(timeout=60_000)
    wait_settled(page)
    return page.inner_text("body")


@pytest.mark.browser
def test_bad_uploads_are_refused_in_chromium_with_their_reasons_and_change_no_figures(
        portal_server, chromium, e2e_users, e2e_member_firm, e2e_warehouse, tmp_path):
    base_url, warehouse, _, files, _ = portal_server
    before = pl.read_parquet(layout.current_snapshot(warehouse) / layout.SUBMISSIONS)
    renamed = tmp_path / "报表.xlsx"
    renamed.write_text("公司名称,示例\n", encoding="utf-8")
    macro = rewrite_zip(files[e2e_member_firm], {"xl/vbaProject.bin": b"vba"}, tmp_path / "宏.xlsm")
    oversized = tmp_path / "大文件.xlsx"
    oversized.write_bytes(b"PK\x03\x04" + b"\0" * (20 * 1024 * 1024 + 512 * 1024))
    bomb = deflated_zip(tmp_path / "bomb.zip", {"投诉.csv": (b"a," * 512 + b"\n", 70_000)})
    demo = e2e_warehouse[0].parent / "demo" / "submissions"  # the member's own file of a quarter now closed
    closed = next(p for p in demo.rglob(f"*_{DEMO_TO}_*.xlsx")
                  if parse_file(p, load_registry(e2e_warehouse[1]), load_regions()).firm_id == e2e_member_firm)
    page = new_page(chromium, [])
    log_in(page, base_url, e2e_users["member"])
    open_page(page, f"{base_url}/upload")
    cases = [(renamed, "文件内容不是 Excel 工作簿"), (macro, "工作簿含宏"), (oversized, "超过上限 20 MiB"),
             (closed, f"报送期间 {DEMO_TO} 未开放在线报送"), (bomb, "已退回")]
    for path, expected in cases:
        assert expected in refused_in_chromium(page, path, expected), path.name
    screenshot(page, "upload_refused_zh")
    after = pl.read_parquet(layout.current_snapshot(warehouse) / layout.SUBMISSIONS)
    accepted = pl.col("status") == "accepted"
    assert after.filter(accepted).equals(before.filter(accepted))   # no figures changed
    assert after.height == before.height + 1  # only the bomb reached the ingest: kept as rejected, with its reason
    page.context.close()


def downloaded(page, label: str) -> bytes:
    with page.expect_download() as download:
        page.get_by_role("button", name=label).click()
    return Path(download.value.path()).read_bytes()


@pytest.mark.browser
def test_a_member_fills_in_the_prefilled_template_and_sees_every_error_then_its_quarter_on_the_pages(
        portal_server, chromium, e2e_users, e2e_member_firm, e2e_warehouse, tmp_path):
    base_url, warehouse, upcoming, files, _ = portal_server
    page = new_page(chromium, [])
    log_in(page, base_url, e2e_users["member"])
    open_page(page, f"{base_url}/upload")
    template = tmp_path / "template.xlsx"
    template.write_bytes(downloaded(page, "下载预填模板（.xlsx）"))
    cover = openpyxl.load_workbook(template)["封面"]
    received = pl.read_parquet(layout.current_snapshot(warehouse) / layout.SUBMISSIONS).filter(
        (pl.col("firm_id") == e2e_member_firm) & (pl.col("period") == upcoming))
    registry = pl.read_csv(e2e_warehouse[1])
    short_name = registry.filter(pl.col("firm_id") == e2e_member_firm)["short_name"][0]
    assert (cover["B1"].value, cover["B2"].value, cover["B4"].value) == (
        short_name, upcoming, int(received["version"].max() or 0) + 1)
    # the member's own workbook with two mistakes: every error is listed and downloadable
    book = openpyxl.load_workbook(files[e2e_member_firm])
    book["投诉"]["E2"] = "很多"
    book["调解"]["A3"] = "火星"
    wrong = tmp_path / "有误.xlsx"
    book.save(wrong)
    page.locator('input[type="file"]').set_input_files(str(wrong))
    page.get_by_text("已退回").first.wait_for(timeout=60_000)
    wait_settled(page)
    screenshot(page, "upload_errors_zh")
    errors = openpyxl.load_workbook(io.BytesIO(downloaded(page, "下载错误清单（.xlsx）"))).active
    cells = {str(c.value) for row in errors.iter_rows() for c in row}
    assert {"很多", "火星", "投诉", "调解"} <= cells
    page.context.close()
    # its accepted file (the first test of this module, or now) is on the analysis pages without a restart
    page = new_page(chromium, [])
    log_in(page, base_url, e2e_users["member"])
    open_page(page, f"{base_url}/complaints?period={upcoming}")
    assert upcoming in page.get_by_role("heading", level=1).first.inner_text()
    page.context.close()


@pytest.mark.browser
def test_the_secretariat_sees_whom_to_remind_and_exports_the_list(portal_server, chromium, e2e_users):
    base_url, warehouse, upcoming, _, _ = portal_server
    page = new_page(chromium, [])
    log_in(page, base_url, e2e_users["secretariat"])
    open_page(page, f"{base_url}/upload")
    assert page.get_by_text(f"催报名单（{upcoming}）").is_visible()
    sheet = openpyxl.load_workbook(io.BytesIO(downloaded(page, "导出催报名单（.xlsx）"))).active
    rows = [[c.value for c in row] for row in sheet.iter_rows()]
    missing = [r for r in rows if "未报送" in r]
    expected = portal_queries.reminders(Warehouse(warehouse), upcoming)
    assert len(missing) == expected.filter(pl.col("status") == "missing").height > 0
    screenshot(page, "upload_secretariat_zh")
    page.context.close()

