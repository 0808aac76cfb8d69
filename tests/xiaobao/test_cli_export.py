"""xiaobao export / peers: a filter the warehouse does not know exits 2 with a message instead of printing an
empty table (which reads as "no complaints"); a quarter in any spelling the ETL accepts works."""

from __future__ import annotations

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
