"""`xiaobao demo` on the command line: the summary it prints and its usage errors."""

from __future__ import annotations

from typer.testing import CliRunner

from xiaobao.cli import app


def test_cli_demo_prints_summary(tmp_path):
    result = CliRunner().invoke(app, ["demo", str(tmp_path / "d"), "--firms", "4", "--from", "2025Q2",
                                      "--to", "2025Q3", "--seed", "3"], terminal_width=200)
    assert result.exit_code == 0, result.output
    assert "示例数据已写入" in result.output and "xiaobao ingest" in result.output
    assert (tmp_path / "d" / "firms.csv").exists()
    assert len(list((tmp_path / "d" / "submissions").iterdir())) == 2  # one folder per period
    bad = CliRunner().invoke(app, ["demo", str(tmp_path / "e"), "--from", "2025Q3", "--to", "2025Q1"])
    assert bad.exit_code == 2
