"""`xiaobao ingest | validate | status`: exit codes, the JSON report, the summary."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from tests.etl.workbooks import good_sheets, write_registry, write_xlsx
from xiaobao import layout
from xiaobao.cli import app

runner = CliRunner()


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
    return runner.invoke(app, [str(a) for a in args], env=env, terminal_width=200)


def test_exit_1_and_a_report_when_something_is_rejected(batch, tmp_path):
    inbox, registry, wh = batch
    result = invoke("ingest", inbox, "--warehouse", wh, "--registry", registry, "--report", tmp_path / "r.json")
    assert result.exit_code == 1, result.output
    assert "退回" in result.output and "汇总" in result.output
    report = {e["file_name"]: e for e in json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))}
    assert report["good.xlsx"]["status"] == "accepted" and report["good.xlsx"]["errors"] == []
    bad = report["bad.xlsx"]
    assert (bad["status"], bad["firm_id"], bad["period"], bad["version"]) == ("rejected", "F002", "2025Q3", 1)
    assert bad["path"].endswith("bad.xlsx")
    error = next(e for e in bad["errors"] if e["rule"] == "not_a_percentage")
    assert (error["sheet"], error["row"], error["column"], error["value"]) == ("投诉", 2, "投诉总量", "12%")
    assert "计数栏不得填写百分比" in error["message"] and "bad.xlsx" in error["message"]
    assert set(bad) >= {"path", "status", "firm_id", "period", "version", "warnings", "errors"}


def test_exit_0_when_all_accepted_and_again_for_duplicates(batch):
    inbox, registry, wh = batch
    (inbox / "bad.xlsx").unlink()
    assert invoke("ingest", inbox, "--warehouse", wh, "--registry", registry).exit_code == 0
    result = invoke("ingest", inbox, "--warehouse", wh, "--registry", registry)
    assert result.exit_code == 0 and "重复文件" in result.output


def test_exit_2_on_usage_errors(batch, tmp_path):
    inbox, registry, wh = batch
    assert invoke("ingest", tmp_path / "nowhere", "--warehouse", wh, "--registry", registry).exit_code == 2
    missing = invoke("ingest", inbox, "--warehouse", wh, "--registry", tmp_path / "none.csv")
    assert missing.exit_code == 2 and "会员名录不存在" in missing.output
    assert invoke("ingest", "--bogus-option").exit_code == 2


def test_environment_variables_choose_warehouse_and_registry(batch):
    inbox, registry, wh = batch
    (inbox / "bad.xlsx").unlink()
    result = invoke("ingest", inbox, env={"XIAOBAO_WAREHOUSE": str(wh), "XIAOBAO_REGISTRY": str(registry)})
    assert result.exit_code == 0, result.output
    assert layout.version(wh) == "000001"


def test_validate_writes_nothing(batch, tmp_path):
    inbox, registry, wh = batch
    result = invoke("validate", inbox, "--warehouse", wh, "--registry", registry, "--report", tmp_path / "v.json")
    assert result.exit_code == 1
    assert not wh.exists() or layout.version(wh) is None
    statuses = sorted(e["status"] for e in json.loads((tmp_path / "v.json").read_text(encoding="utf-8")))
    assert statuses == ["accepted", "rejected"]


def test_status_lists_submitted_missing_and_rejected(batch):
    inbox, registry, wh = batch
    invoke("ingest", inbox, "--warehouse", wh, "--registry", registry)
    result = invoke("status", "--period", "2025Q3", "--warehouse", wh)
    assert result.exit_code == 0, result.output
    assert "已入库 1 家" in result.output and "未入库 1 家" in result.output
    assert "示例康宁人寿（F002）" in result.output
    assert "bad.xlsx" in result.output and "百分比" in result.output
