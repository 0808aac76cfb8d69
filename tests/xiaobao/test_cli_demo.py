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


def test_a_template_or_demo_that_cannot_be_written_exits_2_with_a_message(tmp_path, monkeypatch):
    import builtins
    import errno
    import io
    import os

    real = builtins.open

    def full(file, mode="r", *args, **kwargs):
        if str(tmp_path) in str(file) and any(c in mode for c in "wax+"):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(file))
        return real(file, mode, *args, **kwargs)

    monkeypatch.setattr(builtins, "open", full)
    monkeypatch.setattr(io, "open", full)  # zipfile (under xlsxwriter) opens through io
    result = CliRunner().invoke(app, ["template", str(tmp_path / "模板.xlsx")], terminal_width=200)
    assert result.exit_code == 2 and "无法写入：磁盘空间不足" in result.output, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert list(tmp_path.iterdir()) == []  # not half a workbook, not a temporary
    result = CliRunner().invoke(app, ["demo", str(tmp_path / "d"), "--firms", "2", "--from", "2025Q3", "--to",
                                      "2025Q3"], terminal_width=200)
    assert result.exit_code == 2 and "示例数据无法写入" in result.output and "磁盘空间不足" in result.output
