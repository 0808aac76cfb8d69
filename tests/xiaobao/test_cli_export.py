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


# ── --user: what a user would receive (issue 10 item 5), over tests/query/handmade.py's scope warehouse ─────────
@pytest.fixture(scope="module")
def scoped(tmp_path_factory):
    from auth import users

    path = handmade.build_scope(tmp_path_factory.mktemp("scope"))
    users_file = tmp_path_factory.mktemp("users") / "users.json"
    users.add(users_file, "m-user", "member", "correct horse battery", firm_id="M")
    users.add(users_file, "analyst", "analyst", "correct horse battery")
    return path, users_file


def others(text: str) -> list[str]:
    return [v for row in handmade.SCOPE_FIRMS if row[0] != "M" for v in row[:4] if v and v in text]


def test_export_as_a_member_is_what_the_member_sees(scoped):
    path, users_file = scoped
    args = ["export", "complaints_total", "--period", "2025Q1", "--warehouse", str(path), "--users", str(users_file)]
    result = runner.invoke(app, [*args, "--by", "region", "--user", "m-user"])
    assert result.exit_code == 0, result.output
    # tests/query/test_warehouse.py computes these by hand: 广东 250, 北京 24, 深圳 and 上海 withheld
    assert "110000,北京市,24,true" in result.stdout and "440000,广东省（不含深圳）,250,false" in result.stdout
    assert "440300,深圳市,,true" in result.stdout and "已隐去" in result.stderr
    chinese = runner.invoke(app, [*args, "--by", "region", "--user", "m-user", "--labels", "zh"])
    assert "地区代码,地区,投诉总量,已隐去部分（同业不足）" in chinese.stdout and "440300,深圳市,,是" in chinese.stdout
    firms = runner.invoke(app, [*args, "--by", "firm", "--user", "m-user"])
    assert firms.exit_code == 0 and "会员财险" in firms.stdout and "同业A" in firms.stdout
    assert others(firms.stdout) == []
    everything = runner.invoke(app, [*args, "--by", "firm", "--user", "analyst"])  # an analyst sees every firm
    assert "P1,他家1号财险,30" in everything.stdout and "同业" not in everything.stdout


def test_peers_and_anomalies_as_a_member_show_peers_by_pseudonym(scoped):
    path, users_file = scoped
    common = ["--warehouse", str(path), "--users", str(users_file), "--user", "m-user"]
    peers = runner.invoke(app, ["peers", "complaints_per_100m_premium", "--period", "2025Q1", *common,
                                "--format", "csv"])
    assert peers.exit_code == 0, peers.output
    assert others(peers.stdout) == [] and "同业" in peers.stdout and "\nM,会员财险,38.0,7," in peers.stdout
    life = runner.invoke(app, ["peers", "complaints_per_100m_premium", "--period", "2025Q1", "--firm-type",
                               "人身险", *common])
    assert life.exit_code == 0 and "已隐去" in life.stderr and others(life.stdout) == []
    anomalies = runner.invoke(app, ["anomalies", "--period", "2025Q1", *common, "--format", "csv"])
    assert anomalies.exit_code == 0 and others(anomalies.stdout) == []


def test_a_member_naming_another_firm_gets_the_answer_an_unknown_firm_gets(scoped):
    path, users_file = scoped
    said = []
    for firm in ("P1", "NOPE"):
        result = runner.invoke(app, ["export", "complaints_total", "--by", "firm", "--firm", firm, "--warehouse",
                                     str(path), "--users", str(users_file), "--user", "m-user"])
        assert result.exit_code == 2
        said.append(result.output.replace(firm, "…"))
    assert said[0] == said[1]
    unknown = runner.invoke(app, ["export", "complaints_total", "--warehouse", str(path), "--users", str(users_file),
                                  "--user", "nobody"])
    assert unknown.exit_code == 2 and "nobody" in unknown.output
