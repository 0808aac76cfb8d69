"""`xiaobao ingest | validate | status`: exit codes 0/1/2, the JSON report's exact fields, the summary, status."""

from __future__ import annotations

import hashlib
import json

import pytest
from typer.testing import CliRunner

from core import layout
from tests.etl.workbooks import good_sheets, write_registry, write_xlsx
from xiaobao.cli import app
from xiaobao.cli_ingest import INGEST_HELP, STATUS_HELP, VALIDATE_HELP

runner = CliRunner()
ENTRY_KEYS = {"path", "file_name", "status", "firm_id", "period", "version", "submission_id", "message", "earlier",
              "previous_status", "released", "warnings", "errors", "not_written"}


@pytest.fixture
def batch(tmp_path):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    write_xlsx(inbox / "good.xlsx", good_sheets())
    sheets = good_sheets(firm="示例康宁人寿", firm_type="人身险")
    sheets["投诉"][1][4] = "12%"
    write_xlsx(inbox / "bad.xlsx", sheets)
    return inbox, write_registry(tmp_path / "firms.csv"), tmp_path / "wh"


def invoke(*args, env=None):
    # Wide enough that rich tables do not fold the messages the assertions look for.
    return runner.invoke(app, [str(a) for a in args], env={"COLUMNS": "250", **(env or {})}, terminal_width=250)


def read_report(path) -> dict[str, dict]:
    entries = json.loads(path.read_text(encoding="utf-8"))
    assert all(set(e) == ENTRY_KEYS for e in entries)
    return {e["file_name"]: e for e in entries}


def test_exit_1_and_a_report_when_something_is_rejected(batch, tmp_path):
    inbox, registry, wh = batch
    result = invoke("ingest", inbox, "--warehouse", wh, "--registry", registry, "--report", tmp_path / "r.json")
    assert result.exit_code == 1, result.output
    assert "退回与暂缓的文件" in result.output and "计数栏不得填写百分比" in result.output
    assert "导入结果" in result.output and "当前版本 000001" in result.output
    report = read_report(tmp_path / "r.json")
    assert list(report) == ["bad.xlsx", "good.xlsx"]  # the order the files were found in
    sha = hashlib.sha256((inbox / "good.xlsx").read_bytes()).hexdigest()
    assert report["good.xlsx"] == {
        "path": str(inbox / "good.xlsx"), "file_name": "good.xlsx", "status": "accepted", "firm_id": "F001",
        "period": "2025Q3", "version": 1, "submission_id": sha[:16], "message": None, "earlier": False,
        "previous_status": None, "released": False, "warnings": [], "errors": [], "not_written": None}
    bad = report["bad.xlsx"]
    assert (bad["status"], bad["firm_id"], bad["period"], bad["version"]) == ("rejected", "F002", "2025Q3", 1)
    assert bad["message"] == "报送有 1 处错误，整份退回，请更正后重报"
    assert bad["errors"] == [{
        "sheet": "投诉", "row": 2, "column": "投诉总量", "value": "12%", "rule": "not_a_percentage",
        "message": "文件「bad.xlsx」工作表「投诉」第 2 行「投诉总量」列，值“12%”：计数栏不得填写百分比。"}]


def test_exit_0_when_all_accepted_and_again_for_duplicates(batch):
    inbox, registry, wh = batch
    (inbox / "bad.xlsx").unlink()
    assert invoke("ingest", inbox, "--warehouse", wh, "--registry", registry).exit_code == 0
    result = invoke("ingest", inbox, "--warehouse", wh, "--registry", registry)
    assert result.exit_code == 0 and "重复文件" in result.output
    assert layout.version(wh) == "000001"


def test_a_same_version_resubmission_says_which_file_counts_and_why(batch, tmp_path):
    inbox, registry, wh = batch
    (inbox / "bad.xlsx").unlink()
    assert invoke("ingest", inbox, "--warehouse", wh, "--registry", registry).exit_code == 0
    (tmp_path / "again").mkdir()
    write_xlsx(tmp_path / "again" / "corrected.xlsx", good_sheets(k=2, filled_on=None))
    result = invoke("ingest", tmp_path / "again", "--warehouse", wh, "--registry", registry,
                    "--report", tmp_path / "r.json")
    assert result.exit_code == 0, result.output
    assert "重报：以哪份文件为准及依据" in result.output
    note = ("替换了版本 1（good.xlsx）。依据：同一版本，后一次导入收到的文件优先"
            "（填报日期：本文件 未填，原文件 2025-10-15）")
    assert note in result.output and "不晚于原文件的（2025-10-15）" in result.output
    entry = read_report(tmp_path / "r.json")["corrected.xlsx"]
    assert entry["status"] == "accepted" and entry["message"] == note
    assert [w["rule"] for w in entry["warnings"]] == ["same_version_resubmission"]


def test_exit_2_on_usage_errors(batch, tmp_path):
    inbox, registry, wh = batch
    missing = invoke("ingest", tmp_path / "nowhere", "--warehouse", wh, "--registry", registry)
    assert missing.exit_code == 2 and "路径不存在" in missing.output and "nowhere" in missing.output
    no_registry = invoke("ingest", inbox, "--warehouse", wh, "--registry", tmp_path / "none.csv")
    assert no_registry.exit_code == 2 and "会员名录不存在" in no_registry.output
    (tmp_path / "garbage.csv").write_bytes(b"\x00\x01\x02")
    garbage = invoke("ingest", inbox, "--warehouse", wh, "--registry", tmp_path / "garbage.csv")
    assert garbage.exit_code == 2 and "会员名录" in garbage.output
    (tmp_path / "blocked").write_text("a file where the warehouse folder should be")
    blocked = invoke("ingest", inbox, "--warehouse", tmp_path / "blocked", "--registry", registry)
    assert blocked.exit_code == 2 and "无法写入" in blocked.output
    (tmp_path / "empty").mkdir()
    empty = invoke("ingest", tmp_path / "empty", "--warehouse", wh, "--registry", registry)
    assert empty.exit_code == 2 and "没有找到报送文件" in empty.output
    assert invoke("ingest", "--bogus-option").exit_code == 2
    assert invoke("ingest").exit_code == 2  # no PATH
    assert layout.version(wh) is None  # none of these wrote anything


def test_environment_variables_choose_warehouse_and_registry(batch, tmp_path):
    inbox, registry, wh = batch
    (inbox / "bad.xlsx").unlink()
    env = {"XIAOBAO_WAREHOUSE": str(wh), "XIAOBAO_REGISTRY": str(registry)}
    result = invoke("ingest", inbox, env=env)
    assert result.exit_code == 0, result.output
    assert layout.version(wh) == "000001"
    other = tmp_path / "other"
    assert invoke("ingest", inbox, "--warehouse", other, env=env).exit_code == 0  # the option beats the variable
    assert layout.version(other) == "000001"


def test_validate_writes_nothing_but_reads_the_warehouse_for_ytd(batch, tmp_path):
    inbox, registry, wh = batch
    result = invoke("validate", inbox, "--warehouse", wh, "--registry", registry, "--report", tmp_path / "v.json")
    assert result.exit_code == 1 and "未写入数据仓库" in result.output
    assert not wh.exists()
    assert {n: e["status"] for n, e in read_report(tmp_path / "v.json").items()} == {
        "bad.xlsx": "rejected", "good.xlsx": "accepted"}
    write_xlsx(tmp_path / "q1.xlsx", good_sheets(period="2025Q1"))
    assert invoke("ingest", tmp_path / "q1.xlsx", "--warehouse", wh, "--registry", registry).exit_code == 0
    write_xlsx(tmp_path / "q2.xlsx", good_sheets(period="2025Q2", basis="年累计", k=2))
    result = invoke("validate", tmp_path / "q2.xlsx", "--warehouse", wh, "--registry", registry)
    assert result.exit_code == 0, result.output  # Q1 is in the warehouse, so the 年累计 Q2 is not held
    assert layout.version(wh) == "000001"
    assert len(list((wh / "files").iterdir())) == 1  # only q1's original


def test_held_exits_1_and_the_release_is_reported(batch, tmp_path):
    _, registry, wh = batch
    write_xlsx(tmp_path / "q2.xlsx", good_sheets(period="2025Q2", basis="年累计", k=2))
    held = invoke("ingest", tmp_path / "q2.xlsx", "--warehouse", wh, "--registry", registry)
    assert held.exit_code == 1 and "暂缓" in held.output and "2025Q1" in held.output
    write_xlsx(tmp_path / "q1.xlsx", good_sheets(period="2025Q1"))
    result = invoke("ingest", tmp_path / "q1.xlsx", "--warehouse", wh, "--registry", registry,
                    "--report", tmp_path / "r.json")
    assert result.exit_code == 0, result.output
    assert "本次导入改变了状态的早前报送" in result.output
    report = read_report(tmp_path / "r.json")
    assert (report["q1.xlsx"]["earlier"], report["q1.xlsx"]["released"]) == (False, False)
    released = report["q2.xlsx"]
    sha = hashlib.sha256((tmp_path / "q2.xlsx").read_bytes()).hexdigest()
    assert {k: released[k] for k in ("status", "earlier", "previous_status", "released", "path", "period")} == {
        "status": "accepted", "earlier": True, "previous_status": "held", "released": True,
        "path": str(wh / "files" / f"{sha}.xlsx"), "period": "2025Q2"}


def test_status_lists_periods_submitted_missing_rejected_and_held(batch, tmp_path):
    inbox, registry, wh = batch
    write_xlsx(inbox / "q1_ytd.xlsx", good_sheets(period="2025Q2", basis="年累计"))  # F001 has no Q1: held
    invoke("ingest", inbox, "--warehouse", wh, "--registry", registry)
    result = invoke("status", "--period", "2025年第三季度", "--warehouse", wh)
    assert result.exit_code == 0, result.output
    assert "已有期间（会员 2 家，数据仓库版本 000001）" in result.output
    assert "2025Q3：会员 2 家，已入库 1 家，暂缓入库 0 家，已退回待重报 1 家，未报送 0 家" in result.output
    assert "已退回待重报：示例康宁人寿（F002）" in result.output
    assert "bad.xlsx" in result.output and "百分比" in result.output
    q2 = invoke("status", "--period", "2025Q2", "--warehouse", wh)
    assert "2025Q2：会员 2 家，已入库 0 家，暂缓入库 1 家，已退回待重报 0 家，未报送 1 家" in q2.output
    assert "未报送：示例康宁人寿（F002）" in q2.output and "q1_ytd.xlsx" in q2.output
    latest = invoke("status", "--warehouse", wh)  # no --period: the latest one
    assert "2025Q3：会员 2 家" in latest.output


def test_status_usage_errors_and_an_empty_warehouse(tmp_path):
    bad = invoke("status", "--period", "第三季度", "--warehouse", tmp_path / "wh")
    assert bad.exit_code == 2 and "无法识别" in bad.output
    empty = invoke("status", "--warehouse", tmp_path / "wh")
    assert empty.exit_code == 0 and "还没有数据" in empty.output


@pytest.mark.parametrize(("text", "command"), [(INGEST_HELP, "ingest"), (VALIDATE_HELP, "validate"),
                                               (STATUS_HELP, "status")])
def test_every_help_text_ends_with_an_example(text, command):
    lines = text.rstrip().splitlines()
    assert lines[-3] == "示例：" and lines[-1].strip().startswith(f"xiaobao {command} ")
    shown = invoke(command, "--help").output
    assert lines[-1].strip() in shown
