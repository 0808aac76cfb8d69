"""xiaobao audit: the log as plain text, filtered by --since (a Beijing date) and --user."""

from __future__ import annotations

from typer.testing import CliRunner

from core import audit
from xiaobao.cli import app

runner = CliRunner()


def test_audit_prints_plain_lines_filtered(tmp_path):
    audit.append(tmp_path, {"at": "2025-03-01T01:00:00+00:00", "who": "a", "role": "analyst", "what": "login"})
    audit.append(tmp_path, {"at": "2025-03-05T01:00:00+00:00", "who": "b\x1b[31m", "what": "table", "rows": 4})
    r = runner.invoke(app, ["audit", "--warehouse", str(tmp_path)])
    assert r.exit_code == 0
    assert r.output.splitlines() == ["2025-03-01 09:00:00  a（analyst）  登录",
                                     "2025-03-05 09:00:00  b[31m  导出数据  rows=4"]
    since = runner.invoke(app, ["audit", "--warehouse", str(tmp_path), "--since", "2025-03-02"])
    assert since.output.splitlines() == ["2025-03-05 09:00:00  b[31m  导出数据  rows=4"]
    assert runner.invoke(app, ["audit", "--warehouse", str(tmp_path), "--user", "a"]).output.count("\n") == 1
    none = runner.invoke(app, ["audit", "--warehouse", str(tmp_path), "--user", "zzz"])
    assert none.exit_code == 0 and "没有符合条件" in none.output


def test_a_bad_date_exits_1(tmp_path):
    r = runner.invoke(app, ["audit", "--warehouse", str(tmp_path), "--since", "yesterday"])
    assert r.exit_code == 1 and "--since" in r.output
