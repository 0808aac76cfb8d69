"""数据报送 in AppTest: a member uploads its workbook and learns at once what became of it; another firm's file is
refused; errors are listed; the history is the member's own; the secretariat opens periods and sees whom to remind."""

from __future__ import annotations

import re
from datetime import date

import polars as pl
import pytest

from core import collection, layout
from tests.dashboard.apptest import SECRETARIAT, member, no_traceback
from tests.etl.workbooks import good_sheets, write_registry, write_xlsx

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
