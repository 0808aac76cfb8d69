"""Exports round-trip in every format; SQL injection through every filter finds nothing; the CLI; anomalies."""

from __future__ import annotations

import io
import json

import openpyxl
import polars as pl
import pytest
from typer.testing import CliRunner

from fixtures import synthetic
from query import Filters, Warehouse, export
from tests.query import handmade
from xiaobao.cli import app

runner = CliRunner()


@pytest.fixture(scope="module")
def wh(tmp_path_factory) -> Warehouse:
    return Warehouse(handmade.build(tmp_path_factory.mktemp("wh")))


@pytest.fixture
def table(wh):
    return wh.table(["complaints_total", "complaints_per_100m_premium"], ["firm"], Filters(period="2024Q4"))


def test_csv_has_bom_full_precision_empty_cells_and_neutralised_formulas(table):
    risky = table.with_columns(pl.Series("firm_name", ["=HYPERLINK(\"x\")", "+1", "@SUM(A1)"]))
    data = export.to_bytes(risky, "csv")
    assert data.startswith(b"\xef\xbb\xbf")
    text = data.decode("utf-8-sig").splitlines()
    assert text[0] == "firm_id,firm_name,complaints_total,complaints_per_100m_premium," \
                      "complaints_per_100m_premium__low_base"
    assert text[1].startswith("A,\"'=HYPERLINK(\"\"x\"\")\",70,23.333333333333332,")  # full precision
    assert text[2] == "B,'+1,0,,true"  # no value: an empty cell (and a zero base is low)
    assert text[3].startswith("C,'@SUM(A1),10,20.0,")
    back = pl.read_csv(io.BytesIO(data))
    assert back["complaints_per_100m_premium"].to_list()[1] is None
    assert export.to_bytes(table, "csv") == export.to_bytes(table, "csv")  # deterministic


def test_chinese_labels(table):
    header = export.to_bytes(table, "csv", labels="zh").decode("utf-8-sig").splitlines()[0]
    assert header == "公司代码,公司,投诉总量,亿元保费投诉量,亿元保费投诉量（低基数）"


def test_parquet_and_json_round_trip(table):
    assert pl.read_parquet(io.BytesIO(export.to_bytes(table, "parquet"))).equals(table)
    assert export.to_bytes(table, "parquet") == export.to_bytes(table, "parquet")
    records = json.loads(export.to_bytes(table, "json"))
    assert records[0] == {"firm_id": "A", "firm_name": "甲财险", "complaints_total": 70,
                          "complaints_per_100m_premium": pytest.approx(70 / 3),
                          "complaints_per_100m_premium__low_base": False}
    assert records[1]["complaints_per_100m_premium"] is None


def test_xlsx_has_the_cells_and_a_sheet_of_filters(table, tmp_path):
    meta = export.meta(Filters(period="2024Q4"), ["complaints_total"], ["firm"], version="000001", who="tester")
    export.write(table, "xlsx", tmp_path / "t.xlsx", meta=meta)
    book = openpyxl.load_workbook(tmp_path / "t.xlsx")
    data = list(book["数据"].iter_rows(values_only=True))
    assert data[0][:3] == ("firm_id", "firm_name", "complaints_total")
    assert data[1][:3] == ("A", "甲财险", 70) and data[2][3] is None
    about = dict(book["筛选条件"].iter_rows(values_only=True))
    assert json.loads(about["筛选条件"]) == {"period": "2024Q4"}
    assert about["数据仓库版本"] == "000001" and about["导出人"] == "tester" and about["行数"] == "3"
    assert about["导出时间（北京时间）"]


INJECTIONS = ["x' OR 1=1 --", "'; DROP TABLE complaints; --", "A' UNION SELECT * FROM firms --", "财产险' OR '1'='1"]


@pytest.mark.parametrize("evil", INJECTIONS)
def test_sql_injection_through_every_filter_finds_nothing(wh, evil):
    for filters in (Filters(firms=(evil,)), Filters(regions=(evil,)), Filters(provinces=(evil,)),
                    Filters(firm_type=evil)):
        assert wh.table(["complaints_total"], ["firm"], filters).height == 0
        assert wh.change("complaints_total", ["firm"], filters).height == 0
    with pytest.raises(ValueError):
        Filters(period=evil)
    assert wh.peers("complaints_total", "2025Q1", evil).height == 0
    assert wh.table(["complaints_total"], [], Filters())["complaints_total"][0] == 205  # nothing was dropped


def test_cli_export_equals_the_layer_and_records_an_audit_line(wh, tmp_path):
    out = tmp_path / "e.csv"
    result = runner.invoke(app, ["export", "complaints_total,complaints_per_100m_premium", "--by", "firm",
                                 "--period", "2024Q4", "--out", str(out), "--warehouse", str(wh.path)])
    assert result.exit_code == 0, result.output
    expected = wh.table(["complaints_total", "complaints_per_100m_premium"], ["firm"], Filters(period="2024Q4"))
    assert out.read_bytes() == export.to_bytes(expected, "csv")
    audit = [json.loads(line) for line in (wh.path / "audit" / "exports.jsonl").read_text().splitlines()]
    assert audit[-1]["rows"] == 3 and audit[-1]["filters"] == {"period": "2024Q4"} and audit[-1]["who"]
    for fmt in ("xlsx", "parquet", "json"):
        r = runner.invoke(app, ["export", "complaints_total", "--period", "2025Q1", "--format", fmt, "--out",
                                str(tmp_path / f"e.{fmt}"), "--warehouse", str(wh.path)])
        assert r.exit_code == 0 and (tmp_path / f"e.{fmt}").stat().st_size > 0


@pytest.mark.parametrize("args", [["export", "nope"], ["export", "complaints_total", "--by", "planet"],
                                  ["export", "complaints_total", "--period", "2025Q1", "--from", "2024Q1"],
                                  ["export", "complaints_total", "--period", "25Q1"],
                                  ["peers", "nope", "--period", "2025Q1"]])
def test_cli_usage_errors_exit_2(wh, args):
    result = runner.invoke(app, [*args, "--warehouse", str(wh.path)])
    assert result.exit_code == 2, result.output


def test_peers_and_anomalies_commands(wh, tmp_path):
    r = runner.invoke(app, ["peers", "complaints_per_100m_premium", "--period", "2025Q1", "--firm-type", "财产险",
                            "--format", "json", "--warehouse", str(wh.path)], terminal_width=200)
    assert r.exit_code == 0, r.output
    assert [row["rank"] for row in json.loads(r.stdout)] == [1, 2, 2]
    assert [row["better_than_share"] for row in json.loads(r.stdout)] == [1.0, 0.25, 0.25]  # A 10 vs B, D 30
    r = runner.invoke(app, ["peers", "complaints_per_100m_premium", "--period", "2025Q1", "--firm-type", "财产险",
                            "--warehouse", str(wh.path)], terminal_width=200)
    assert r.exit_code == 0 and "better_than_share" in r.stdout and "percentile" not in r.stdout
    assert "优于 100% 同业" in r.stdout and r.stdout.count("优于 25% 同业") == 2
    assert export.labels_zh(["better_than_share"]) == {"better_than_share": "优于同业比例"}
    big = synthetic.build(tmp_path / "syn", years=2, firms=12, seed=0)
    r = runner.invoke(app, ["anomalies", "--period", "2025Q2", "--format", "csv", "--warehouse", str(big)])
    assert r.exit_code == 0
    assert len(r.stdout.splitlines()) > 1


def test_a_proxy_surrender_surge_shows_first(tmp_path):
    wh = Warehouse(synthetic.build(tmp_path / "syn", years=3, firms=12, seed=3))
    surge_period = wh.periods()[-2]  # synthetic surges sit in the second-to-last quarter
    top = wh.anomalies(Filters(period=surge_period)).row(0, named=True)
    assert top["proxy_surrender_share"] > 0.5 and top["robust_z"] >= 3.5 and top["jump"] >= 10
    assert top["complaints"] > top["expected"]
