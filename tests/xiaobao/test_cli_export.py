"""xiaobao export / peers: a filter the warehouse does not know exits 2 with a message instead of printing an
empty table (which reads as "no complaints"); a quarter in any spelling the ETL accepts works."""

from __future__ import annotations

import builtins
import errno
import os

import pytest
from typer.testing import CliRunner

from tests.query import handmade
from xiaobao.cli import app

runner = CliRunner()


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory):
    return handmade.build(tmp_path_factory.mktemp("wh"))


@pytest.mark.parametrize(("options", "said"), [
    (["--firm", "ZZZ"], "ZZZ"),
    (["--firm", "A,NOPE"], "NOPE"),
    (["--region", "999999"], "999999"),
    (["--province", "440300"], "440300"),   # a city is a region, not a province
    (["--firm-type", "寿险"], "寿险"),
    (["--firm-type", "财产险", "--firm", "C"], "C"),   # C is 人身险
    (["--period", "2031Q1"], "2031Q1"),
    (["--period", "soon"], "soon"),
])
def test_export_with_an_unknown_filter_exits_2_and_says_which(warehouse, options, said):
    result = runner.invoke(app, ["export", "complaints_total", "--by", "firm", *options, "--warehouse",
                                 str(warehouse)])
    assert result.exit_code == 2, result.output
    assert said in result.output and "错误" in result.output
    assert "firm_id" not in result.stdout   # no table


def test_peers_with_an_unknown_firm_type_or_quarter_exits_2(warehouse):
    for options in (["--period", "2024Q4", "--firm-type", "寿险"], ["--period", "2031Q1"]):
        result = runner.invoke(app, ["peers", "complaints_total", *options, "--warehouse", str(warehouse)])
        assert result.exit_code == 2, result.output
        assert "错误" in result.output


def test_a_value_echoed_back_is_cut_and_shown_as_typed(warehouse):
    result = runner.invoke(app, ["export", "complaints_total", "--firm", "[bold]" + "x" * 100,
                                 "--warehouse", str(warehouse)])
    assert result.exit_code == 2
    assert "[bold]" in result.output and "x" * 40 not in result.output


def test_a_quarter_in_any_spelling_exports_that_quarter(warehouse):
    canonical = runner.invoke(app, ["export", "complaints_total", "--by", "firm", "--period", "2024Q4",
                                    "--warehouse", str(warehouse)])
    spelled = runner.invoke(app, ["export", "complaints_total", "--by", "firm", "--period", "2024年第四季度",
                                  "--warehouse", str(warehouse)])
    assert canonical.exit_code == spelled.exit_code == 0
    assert canonical.stdout_bytes == spelled.stdout_bytes and canonical.stdout.count("\n") > 1


@pytest.mark.parametrize("code", [errno.ENOSPC, errno.EROFS, errno.EACCES])
@pytest.mark.parametrize("primitive", ["open", "write", "fsync"])
def test_an_export_whose_audit_line_cannot_be_written_hands_out_nothing_and_exits_2(warehouse, tmp_path, monkeypatch,
                                                                                    code, primitive):
    """The audit file refused at its opening, its write or its fsync (disk full, read-only, permissions)."""
    real = {name: getattr(os, name) for name in ("open", "write", "fsync")}
    real_open = builtins.open
    audit_fds: set[int] = set()

    def refuse(path: object) -> None:
        raise OSError(code, os.strerror(code), str(path))

    def os_open(path, flags, *args, **kwargs):
        if "audit" in str(path) and primitive == "open":
            refuse(path)
        fd = real["open"](path, flags, *args, **kwargs)
        if "audit" in str(path):
            audit_fds.add(fd)
        return fd

    def os_write(fd, data):
        if fd in audit_fds and primitive == "write":
            refuse("exports.jsonl")
        return real["write"](fd, data)

    def os_fsync(fd):
        if fd in audit_fds and primitive == "fsync":
            refuse("exports.jsonl")
        return real["fsync"](fd)

    def opened(file, mode="r", *args, **kwargs):  # an audit writer that opens the file the Python way
        if "audit" in str(file) and any(c in mode for c in "wax+") and primitive == "open":
            refuse(file)
        return real_open(file, mode, *args, **kwargs)

    monkeypatch.setattr(os, "open", os_open)
    monkeypatch.setattr(os, "write", os_write)
    monkeypatch.setattr(os, "fsync", os_fsync)
    monkeypatch.setattr(builtins, "open", opened)
    out = tmp_path / "e.csv"
    for args in (["export", "complaints_total", "--by", "firm"], ["export", "complaints_total", "--out", str(out)],
                 ["peers", "complaints_total", "--period", "2024Q4", "--format", "csv"],
                 ["anomalies", "--format", "json"]):
        result = runner.invoke(app, [*args, "--warehouse", str(warehouse)])
        assert result.exit_code == 2, (args, result.output)
        assert "导出未完成：无法写入导出审计记录" in result.stderr and "没有输出任何数据" in result.stderr
        assert result.stdout_bytes == b"" and not out.exists()  # not one row, not a partial file
        assert result.exception is None or isinstance(result.exception, SystemExit)
