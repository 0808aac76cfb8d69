"""`xiaobao period open | close | list` over a temporary warehouse."""

from __future__ import annotations

from datetime import date

from typer.testing import CliRunner

from core import collection
from xiaobao.cli import app

runner = CliRunner()


def run(*args: str):
    return runner.invoke(app, ["period", *args], terminal_width=200, env={"COLUMNS": "200"})


def test_open_list_close(tmp_path):
    wh = str(tmp_path)
    result = run("open", "2025Q4", "--deadline", "2026-01-20", "--warehouse", wh)
    assert result.exit_code == 0, result.output
    assert "2025Q4 已开放报送，截止 2026-01-20" in result.output
    assert collection.find(tmp_path, "2025Q4").deadline == date(2026, 1, 20)
    listed = run("list", "--warehouse", wh)
    assert listed.exit_code == 0 and "2025Q4" in listed.output and "开放中" in listed.output
    assert run("close", "2025Q4", "--warehouse", wh).exit_code == 0
    assert "已关闭" in run("list", "--warehouse", wh).output
    assert not collection.find(tmp_path, "2025Q4").is_open


def test_a_bad_date_or_period_exits_2_with_a_chinese_message(tmp_path):
    bad_date = run("open", "2025Q4", "--deadline", "20.1.2026", "--warehouse", str(tmp_path))
    assert bad_date.exit_code == 2 and "无法识别" in bad_date.output
    bad_period = run("open", "2025Q5", "--deadline", "2026-01-20", "--warehouse", str(tmp_path))
    assert bad_period.exit_code == 2 and "2025Q5" in bad_period.output
    assert run("close", "2025Q4", "--warehouse", str(tmp_path)).exit_code == 2


def test_list_of_nothing_says_how_to_open(tmp_path):
    result = run("list", "--warehouse", str(tmp_path))
    assert result.exit_code == 0 and "xiaobao period open" in result.output
