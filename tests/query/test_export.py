"""query/export.py: exports round-trip in every format; SQL injection through every filter finds nothing; the CLI;
anomalies. Every way data leaves the product goes through `export.export`: the source tree holds no other writer of
a handed-out file, each path neutralises a formula cell and appends its audit line, and an audit line that cannot be
written means no data at all."""

from __future__ import annotations

import ast
import csv
import io
import json
import re
import tomllib
from datetime import datetime, timedelta
from pathlib import Path

import openpyxl
import polars as pl
import pytest
from streamlit.testing.v1 import AppTest
from typer.testing import CliRunner

from core import clock, layout
from dashboard import submission_status as status
from etl.ingest import run
from fixtures import synthetic
from query import Filters, Warehouse, export
from tests.dashboard.apptest import SECRETARIAT, log_in
from tests.etl.workbooks import PROPERTY_FIRM, good_sheets, write_csv_bundle, write_xlsx
from tests.query import handmade
from xiaobao.cli import app

runner = CliRunner()


@pytest.fixture(scope="module")
def wh(tmp_path_factory) -> Warehouse:
    return Warehouse(handmade.build(tmp_path_factory.mktemp("wh")))


@pytest.fixture
def out(tmp_path):
    """Where the tests' exports are audited: a warehouse folder of their own (the handmade one is shared)."""
    return tmp_path / "audited"


def to_bytes(frame, fmt, where, **kwargs) -> bytes:
    return export.export(frame, fmt, warehouse=where, **kwargs)


@pytest.fixture
def table(wh):
    return wh.table(["complaints_total", "complaints_per_100m_premium"], ["firm"], Filters(period="2024Q4"))


def test_csv_has_bom_full_precision_empty_cells_and_neutralised_formulas(table, out):
    risky = table.with_columns(pl.Series("firm_name", ["=HYPERLINK(\"x\")", "+1", "@SUM(A1)"]))
    data = to_bytes(risky, "csv", out)
    assert data.startswith(b"\xef\xbb\xbf")
    text = data.decode("utf-8-sig").splitlines()
    assert text[0] == "firm_id,firm_name,complaints_total,complaints_per_100m_premium," \
                      "complaints_per_100m_premium__low_base"
    assert text[1].startswith("A,\"'=HYPERLINK(\"\"x\"\")\",70,23.333333333333332,")  # full precision
    assert text[2] == "B,'+1,0,,true"  # no value: an empty cell (and a zero base is low)
    assert text[3].startswith("C,'@SUM(A1),10,20.0,")
    back = pl.read_csv(io.BytesIO(data))
    assert back["complaints_per_100m_premium"].to_list()[1] is None
    assert to_bytes(table, "csv", out) == to_bytes(table, "csv", out)  # deterministic


def test_chinese_labels(table, out):
    header = to_bytes(table, "csv", out, labels="zh").decode("utf-8-sig").splitlines()[0]
    assert header == "公司代码,公司,投诉总量,亿元保费投诉量,亿元保费投诉量（低基数）"


def test_parquet_and_json_round_trip(table, out):
    assert pl.read_parquet(io.BytesIO(to_bytes(table, "parquet", out))).equals(table)
    assert to_bytes(table, "parquet", out) == to_bytes(table, "parquet", out)
    records = json.loads(to_bytes(table, "json", out))
    assert records[0] == {"firm_id": "A", "firm_name": "甲财险", "complaints_total": 70,
                          "complaints_per_100m_premium": pytest.approx(70 / 3),
                          "complaints_per_100m_premium__low_base": False}
    assert records[1]["complaints_per_100m_premium"] is None


def test_xlsx_has_the_cells_and_a_sheet_of_filters(table, tmp_path):
    meta = export.meta(Filters(period="2024Q4"), ["complaints_total"], ["firm"], version="000001", who="tester")
    export.export(table, "xlsx", tmp_path / "t.xlsx", warehouse=tmp_path, meta=meta)
    book = openpyxl.load_workbook(tmp_path / "t.xlsx")
    data = list(book["数据"].iter_rows(values_only=True))
    assert data[0][:3] == ("firm_id", "firm_name", "complaints_total")
    assert data[1][:3] == ("A", "甲财险", 70) and data[2][3] is None
    about = dict(book["筛选条件"].iter_rows(values_only=True))
    assert about["期间"] == "2024Q4" and about["公司类型"] == "全部类型" and about["公司"] == "全部公司"
    assert about["指标"] == "投诉总量" and about["维度"] == "公司"
    assert about["数据仓库版本"] == "000001" and about["导出人"] == "tester" and about["行数"] == "3"
    assert about["导出时间（北京时间）"]


def test_xlsx_opens_well_in_excel_formats_filter_and_frozen_header(wh, table, tmp_path):
    """Shares as %, rates with two decimals, counts with thousands separators; an autofilter over the table and
    the header row frozen; the 筛选条件 sheet in names and periods, not ids or JSON; flags as 是/否."""
    shares = wh.table(["complaints_total", "complaints_per_100m_premium", "on_time_resolution_rate",
                       "premium_wan"], ["firm", "period"], Filters(period_from="2024Q3", period_to="2024Q4",
                                                                    firms=("A", "B"), firm_type="财产险"))
    meta = export.meta(Filters(period_from="2024Q3", period_to="2024Q4", firms=("A", "B"), firm_type="财产险",
                               regions=("440300",)), list(shares.columns[3:7]), ["firm", "period"], version="000001")
    export.export(shares, "xlsx", tmp_path / "t.xlsx", warehouse=wh.path, meta=meta, labels="zh")
    sheet = openpyxl.load_workbook(tmp_path / "t.xlsx")["数据"]
    header = [c.value for c in sheet[1]]
    formats = {h: sheet.cell(row=2, column=i + 1).number_format for i, h in enumerate(header)}
    assert formats["投诉总量"] == "#,##0" and formats["亿元保费投诉量"] == "0.00"
    assert formats["按时办结率"] == "0.0%" and formats["原保险保费收入"] == "#,##0.00"
    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref == f"A1:{openpyxl.utils.get_column_letter(len(header))}{shares.height + 1}"
    flags = {sheet.cell(row=r, column=header.index("亿元保费投诉量（低基数）") + 1).value
             for r in range(2, shares.height + 2)}
    assert flags <= {"是", "否"} and flags
    about = dict(openpyxl.load_workbook(tmp_path / "t.xlsx")["筛选条件"].iter_rows(values_only=True))
    assert about["期间"] == "2024Q3 至 2024Q4" and about["公司类型"] == "财产险"
    assert about["公司"] == "甲财险、乙财险" and about["地区"] == "深圳市"
    assert about["指标"] == "投诉总量、亿元保费投诉量、按时办结率、原保险保费收入" and about["维度"] == "公司、期间"
    assert not any("{" in str(v) or "[" in str(v) for v in about.values())


def test_a_range_export_is_named_for_its_range():
    assert export.file_name(Filters(period_from="2024Q3", period_to="2025Q3"), "xlsx") == "xiaobao_2024Q3-2025Q3.xlsx"
    assert export.file_name(Filters(period="2025Q3"), "csv") == "xiaobao_2025Q3.csv"
    assert export.file_name(Filters(), "parquet") == "xiaobao.parquet"


def test_english_labels_give_readable_headers_and_english_values(wh, out):
    frame = wh.table(["complaints_total", "complaints_per_100m_premium"], ["firm_type", "region"],
                     Filters(period="2024Q4"))
    text = to_bytes(frame, "csv", out, labels="en").decode("utf-8-sig").splitlines()
    assert text[0] == "Firm type,Region code,Region,Complaints,Complaints per 100m yuan premium," \
                      "Complaints per 100m yuan premium (low base)"
    rows = list(csv.reader(text[1:]))
    assert {r[0] for r in rows} <= {"Property", "Life"} and {r[0] for r in rows}
    assert all(re.fullmatch(r"[\x00-\x7f]*", r[2]) for r in rows)  # region names in English
    assert {r[5] for r in rows} <= {"Yes", "No"}
    lines = pl.DataFrame({"product_line": ["年金保险", "机动车辆保险"], "complaints": [3, 1200]})
    assert to_bytes(lines, "csv", out, labels="en").decode("utf-8-sig").splitlines() == [
        "Product line,Complaints", "Annuity,3", "Motor,1200"]


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
    assert out.read_bytes() == to_bytes(expected, "csv", tmp_path)
    audit = [json.loads(line) for line in (wh.path / "audit" / "log.jsonl").read_text().splitlines()]
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


ROOT = Path(__file__).resolve().parents[2]


PACKAGES = ("core", "etl", "query", "fixtures", "deck", "dashboard", "xiaobao")


runner = CliRunner()


EVIL_FIRM = ("F003", "示例恶意财产保险股份有限公司", '=HYPERLINK("http://evil.example","点我")', "恶意示例", "财产险")


EVIL_CELL = "=1+cmd|' /C calc'!A0"


FORMULA_START = re.compile(r"^\s*[=+\-@\t\r]")


# ── the source tree: nothing else writes a file that is handed out ────────────────────────────────────────
# Calls that write a file, a buffer or a download. Each hit outside query/export.py must be listed here, with why
# it is not a path that hands out data.
WRITERS = {"download_button", "write_csv", "write_excel", "write_parquet", "write_json", "write_ndjson",
           "write_ipc", "write_ipc_stream", "write_avro", "write_database", "write_delta", "write_clipboard",
           "sink_csv", "sink_parquet", "sink_ipc", "sink_ndjson", "to_csv", "to_excel", "to_parquet", "to_json",
           "Workbook", "write", "write_bytes", "write_text", "write_with", "save", "to_bytes"}


ALLOWED = {
    "dashboard/timing.py": "the benchmark's run log (page, role, milliseconds), off unless XIAOBAO_RUN_LOG: no data",
    "core/atomic.py": "the atomic-write primitive itself (query.export and the warehouse use it)",
    "core/audit.py": "the audit log itself (query.export appends its lines through it): who did what, no data",
    "auth/sessions.py": "the server's session secret, made at first start",
    "etl/store.py": "the warehouse's own snapshot and original files, read back only through the query layer",
    "etl/template.py": "the submission template, blank or with the uploader's own cover filled in: no data in it",
    "core/collection.py": "the collection periods the secretariat opens: no data",
    "core/uploads.py": "the portal's history of uploads received (who sent which file, what became of it)",
    "etl/intake.py": "keeps each uploaded file as received, with its receipt (nothing a member sent is lost)",
    "etl/report.py": "the ingest operator's own --report of the batch just read (what was received, not data out)",
    "xiaobao/cli_ingest.py": "writes that --report (etl.report)",
    "fixtures/demo.py": "the demo inbox and registry, made up for `xiaobao demo` and the tests",
    "fixtures/messy.py": "made-up messy submissions for the tests",
    "fixtures/synthetic.py": "a made-up warehouse for the tests",
    "query/pseudonyms.py": "the secret that letters a member's peers (同业A …): a key, no data",
    "deck/build.py": "renders the deck into memory; it leaves through query.export.document (deck.make, the page)",
    "deck/pdf.py": "LibreOffice's input and output in a private temporary folder, removed after the conversion",
}


NOT_FILES = {"page_params.write"}  # the URL's query parameters


def _calls() -> list[tuple[str, str, str, int]]:
    """(file, innermost enclosing function or "<module>", call, line) of every writer call in the packages."""
    found = []
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            parents = {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}
            for node in ast.walk(tree):
                if not isinstance(node, ast.Call):
                    continue
                func = node.func
                name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
                if name not in WRITERS:
                    continue
                scope = node
                while scope in parents and not isinstance(scope, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    scope = parents[scope]
                where = scope.name if isinstance(scope, (ast.FunctionDef, ast.AsyncFunctionDef)) else "<module>"
                found.append((path.relative_to(ROOT).as_posix(), where, ast.unparse(func), node.lineno))
    return sorted(found)


def test_no_path_writes_or_offers_data_except_through_query_export():
    stray = [f"{file}:{line} {call}() in {where}" for file, where, call, line in _calls()
             if file != "query/export.py" and file not in ALLOWED and call not in NOT_FILES
             and not (file == "dashboard/ui.py" and where in ("download", "download_original", "download_document"))]
    assert stray == [], "data handed out without query.export.export (formulas, audit line): " + "; ".join(stray)


def test_the_dashboards_two_download_buttons_hand_out_through_export():
    source = (ROOT / "dashboard" / "ui.py").read_text(encoding="utf-8")
    tree = ast.parse(source)
    functions = {f.name: ast.unparse(f) for f in ast.walk(tree) if isinstance(f, ast.FunctionDef)}
    assert "partial(export.export," in functions["download"]
    assert "export.original(" in functions["download_original"]
    buttons = [c for c in _calls() if c[2].endswith("download_button")]
    assert "partial(export.document," in functions["download_document"]
    assert {(file, where) for file, where, _, _ in buttons} == {("dashboard/ui.py", "download"),
                                                             ("dashboard/ui.py", "download_original"),
                                                             ("dashboard/ui.py", "download_document")}


def test_the_writers_below_export_are_private_and_nothing_reaches_past_them():
    public = {name for name in vars(export) if not name.startswith("_") and callable(getattr(export, name))}
    assert {"to_bytes", "write", "record", "render"} & public == set()
    assert {"export", "original"} <= public
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            if path.name != "export.py":
                assert not re.search(r"\bexport\._\w", path.read_text(encoding="utf-8")), path


def test_the_dashboards_tables_offer_no_download_of_their_own():
    # st.dataframe's toolbar would hand out a CSV with neither neutralised formulas nor an audit line.
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8"))
    assert config["client"]["disableDataExport"] is True


# ── neutralising ──────────────────────────────────────────────────────────────────────────────────────────
@pytest.mark.parametrize("cell", ["=1+1", "+1", "-1+1", "@SUM(A1)", "\tx", "\rx", "  =1", "\u3000@x", "\n=1",
                                  "-", '=HYPERLINK("x")'])
def test_a_formula_looking_cell_is_prefixed_in_every_format(cell, tmp_path):
    frame = pl.DataFrame({"name": [cell], "n": [1]})
    assert export.neutralise(frame)["name"][0] == "'" + cell
    csv_text = export.export(frame, "csv", warehouse=tmp_path).decode("utf-8-sig")
    assert next(csv.reader(io.StringIO(csv_text[csv_text.index("\n") + 1:])))[0] == "'" + cell
    assert json.loads(export.export(frame, "json", warehouse=tmp_path))[0]["name"] == "'" + cell
    parquet = pl.read_parquet(io.BytesIO(export.export(frame, "parquet", warehouse=tmp_path)))
    assert parquet["name"][0] == "'" + cell


@pytest.mark.parametrize("cell", ["-1", "-12.5", "ok", "a=b", "甲财险", "", "—"])
def test_plain_text_and_negative_numbers_stay_as_they_are(cell):
    assert export.neutralise(pl.DataFrame({"v": [cell]}))["v"][0] == cell


def test_categorical_cells_and_headers_are_neutralised_too():
    frame = pl.DataFrame({"=bad": ["=x"], "c": ["@y"]}).with_columns(pl.col("c").cast(pl.Categorical))
    assert export.neutralise(frame).rows(named=True) == [{"'=bad": "'=x", "c": "'@y"}]


# ── the audit line ────────────────────────────────────────────────────────────────────────────────────────
def audit_lines(warehouse: Path) -> list[dict]:
    path = Path(warehouse) / layout.AUDIT
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()] if path.exists() else []


def test_each_export_appends_one_line_saying_who_when_what_and_where(tmp_path):
    from query import Filters

    frame = pl.DataFrame({"firm_id": ["A", "B"], "complaints_total": [1, 2]})
    meta = export.meta(Filters(period="2025Q3", firm_type="财产险"), ["complaints_total"], ["firm"],
                       version="000007", who="meta-who")
    before = clock.now() - timedelta(seconds=1)
    export.export(frame, "csv", tmp_path / "out.csv", warehouse=tmp_path / "wh", meta=meta, what="table")
    data = export.export(frame, "json", warehouse=tmp_path / "wh", meta=meta, who="张三", destination="download:x")
    lines = audit_lines(tmp_path / "wh")
    assert len(lines) == 2
    first, second = lines
    assert datetime.fromisoformat(first["at"]).utcoffset() == timedelta(0)  # UTC
    assert before <= datetime.fromisoformat(first["at"]) <= clock.now()
    assert first | {"at": None} == {
        "at": None, "who": "meta-who", "what": "table", "filters": {"period": "2025Q3", "firm_type": "财产险"},
        "metrics": ["complaints_total"], "by": ["firm"], "version": "000007", "rows": 2, "columns": 2,
        "format": "csv", "labels": "id", "destination": str((tmp_path / "out.csv").resolve()),
        "bytes": (tmp_path / "out.csv").stat().st_size, "sha256": first["sha256"]}
    assert second["who"] == "张三" and second["format"] == "json" and second["destination"] == "download:x"
    import hashlib

    assert second["sha256"] == hashlib.sha256(data).hexdigest()


def test_no_audit_line_no_data(tmp_path):
    blocked = tmp_path / "wh"
    blocked.mkdir()
    (blocked / "audit").write_text("not a folder")  # the audit folder cannot be made, even by root
    frame = pl.DataFrame({"v": ["=x"]})
    buffer = io.BytesIO()
    with pytest.raises(export.ExportError, match="无法写入导出审计记录"):
        export.export(frame, "csv", tmp_path / "out.csv", warehouse=blocked)
    with pytest.raises(export.ExportError):
        export.export(frame, "xlsx", buffer, warehouse=blocked)
    with pytest.raises(export.ExportError):
        export.original(blocked, "a.xlsx", b"bytes", submission_id="s1")
    with pytest.raises(export.ExportError):
        status.issues_csv(status.issues_frame(None), warehouse=blocked)
    assert not (tmp_path / "out.csv").exists() and buffer.getvalue() == b""


def test_concurrent_exports_each_leave_a_whole_line(tmp_path):
    from concurrent.futures import ThreadPoolExecutor

    frame = pl.DataFrame({"v": ["x" * 5000]})
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda i: export.export(frame, "csv", warehouse=tmp_path, who=f"u{i}"), range(40)))
    assert sorted(line["who"] for line in audit_lines(tmp_path)) == sorted(f"u{i}" for i in range(40))


# ── every path, end to end, over a warehouse with a formula in a registry name and in a rejected file ──────
@pytest.fixture(scope="module")
def evil(tmp_path_factory) -> Path:
    """2025Q3: F001 accepted; F003 (its short name a formula) accepted; F002's CSV rejected for a formula cell."""
    root = tmp_path_factory.mktemp("evil")
    registry = root / "firms.csv"
    life = ("F002", "示例康宁人寿保险股份有限公司", "示例康宁人寿", "", "人身险")
    pl.DataFrame([PROPERTY_FIRM, life, EVIL_FIRM], schema=["firm_id", "name", "short_name", "aliases", "firm_type"],
                 orient="row").write_csv(registry)
    inbox = root / "in"
    inbox.mkdir()
    write_xlsx(inbox / "f001.xlsx", good_sheets())
    write_xlsx(inbox / "f003.xlsx", good_sheets(firm=EVIL_FIRM[3]))
    bad = good_sheets(firm="示例康宁人寿", firm_type="人身险")
    bad["投诉"][1][4] = EVIL_CELL
    write_csv_bundle(inbox / "f002", bad)
    report = run([inbox], root / "wh", registry)
    assert sorted(o.status for o in report.outcomes) == ["accepted", "accepted", "rejected"]
    return root / "wh"


def assert_neutralised(rows: list[list[str]], *, expect: str) -> None:
    cells = [c for row in rows for c in row]
    assert "'" + expect in cells
    assert [c for c in cells if FORMULA_START.match(c) and not re.fullmatch(r"-[0-9.]+", c)] == []


def csv_rows(data: bytes) -> list[list[str]]:
    assert data.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))


def test_xiaobao_export_neutralises_and_audits(evil, tmp_path):
    before = len(audit_lines(evil))
    r = runner.invoke(app, ["export", "complaints_total", "--by", "firm", "--period", "2025Q3",
                            "--warehouse", str(evil)])
    assert r.exit_code == 0, r.output
    assert_neutralised(csv_rows(r.stdout_bytes), expect=EVIL_FIRM[2])
    line = audit_lines(evil)[-1]
    assert len(audit_lines(evil)) == before + 1
    assert (line["what"], line["rows"], line["format"], line["destination"], line["filters"]) == \
        ("table", 2, "csv", "stdout", {"period": "2025Q3"})
    assert line["version"] == Warehouse(evil).version and line["who"]


def test_xiaobao_peers_format_neutralises_and_audits(evil, tmp_path):
    out = tmp_path / "peers.xlsx"
    r = runner.invoke(app, ["peers", "complaints_total", "--period", "2025Q3", "--firm-type", "财产险",
                            "--format", "xlsx", "--out", str(out), "--warehouse", str(evil)])
    assert r.exit_code == 0, r.output
    import openpyxl

    sheet = openpyxl.load_workbook(out)["数据"]
    rows = [[str(c) for c in row if c is not None] for row in sheet.iter_rows(values_only=True)]
    assert_neutralised(rows, expect=EVIL_FIRM[2])
    line = audit_lines(evil)[-1]
    assert (line["what"], line["format"], line["destination"]) == ("peers", "xlsx", str(out.resolve()))


def test_xiaobao_anomalies_format_neutralises_and_audits(evil, monkeypatch):
    # One quarter has no history to be anomalous against: the rows come from a stand-in, the path is the real one.
    flagged = pl.DataFrame({"firm_id": ["F003"], "firm_name": [EVIL_FIRM[2]], "region_name": ["@广东"],
                            "complaints": [50]})
    monkeypatch.setattr(Warehouse, "anomalies", lambda self, *args, **kwargs: flagged)
    r = runner.invoke(app, ["anomalies", "--period", "2025Q3", "--format", "csv", "--warehouse", str(evil)])
    assert r.exit_code == 0, r.output
    assert_neutralised(csv_rows(r.stdout_bytes), expect="@广东")
    line = audit_lines(evil)[-1]
    assert (line["what"], line["rows"], line["filters"]) == ("anomalies", 1, {"period": "2025Q3"})


def test_a_cli_export_that_cannot_be_audited_writes_nothing(evil, tmp_path):
    import shutil

    blocked = tmp_path / "wh"
    shutil.copytree(evil, blocked, symlinks=True)
    shutil.rmtree(blocked / "audit", ignore_errors=True)
    (blocked / "audit").write_text("not a folder")
    out = tmp_path / "e.csv"
    for args in (["export", "complaints_total", "--by", "firm", "--out", str(out)],
                 ["export", "complaints_total", "--by", "firm"],
                 ["peers", "complaints_total", "--period", "2025Q3", "--format", "json"]):
        r = runner.invoke(app, [*args, "--warehouse", str(blocked)])
        assert r.exit_code == 2 and "无法写入导出审计记录" in r.stderr
        assert r.stdout_bytes == b"" and not out.exists()


def page(warehouse: Path, name: str, monkeypatch, params: dict[str, str]) -> AppTest:
    monkeypatch.setenv("XIAOBAO_WAREHOUSE", str(warehouse))
    log_in(monkeypatch, SECRETARIAT)
    at = AppTest.from_file(str(ROOT / "dashboard" / "app.py"), default_timeout=60)
    params = dict(params)
    section = params.pop("section", None)   # the page's own section (dashboard/sections.py), not the first page's
    for key, value in params.items():
        at.query_params[key] = value
    at.run()
    at.query_params.pop("section", None)
    if section is not None:
        at.query_params["section"] = section
    at.switch_page(f"views/{name}").run()
    assert not at.exception
    return at


def test_explorer_downloads_neutralise_and_audit_on_click_only(evil, monkeypatch, downloads):
    page(evil, "explorer.py", monkeypatch, {"period": "2025Q3", "metrics": "complaints_total", "by": "firm"})
    before = len(audit_lines(evil))
    buttons = {b["file_name"].rsplit(".", 1)[1]: b for b in downloads}
    assert set(buttons) == {"csv", "xlsx", "parquet"}
    assert len(audit_lines(evil)) == before  # showing the buttons hands nothing out
    assert_neutralised(csv_rows(buttons["csv"]["data"]()), expect=EVIL_FIRM[2])
    parquet = pl.read_parquet(io.BytesIO(buttons["parquet"]["data"]()))
    assert "'" + EVIL_FIRM[2] in parquet[parquet.columns[1]].to_list()
    lines = audit_lines(evil)[before:]
    assert [(line["what"], line["format"]) for line in lines] == [("table", "csv"), ("table", "parquet")]
    assert (lines[0]["who"], lines[0]["role"]) == (SECRETARIAT.username, "secretariat")  # the logged-in user
    assert lines[0]["destination"] == "download:xiaobao_2025Q3.csv"
    assert lines[0]["filters"]["period"] == "2025Q3" and lines[0]["rows"] == 2


def test_the_error_list_and_original_downloads_neutralise_and_audit(evil, monkeypatch, downloads):
    page(evil, "submissions.py", monkeypatch, {"period": "2025Q3", "section": "problems"})
    wh = Warehouse(evil)
    rejected = wh.submissions().filter(pl.col("status") == "rejected").row(0, named=True)
    by_label = {b["label"]: b for b in downloads}
    before = len(audit_lines(evil))
    errors = by_label["下载错误清单（CSV）"]["data"]()
    assert_neutralised(csv_rows(errors), expect=EVIL_CELL)
    assert errors == status.issues_csv(status.issues_frame(rejected["issues_json"]), warehouse=Path(evil))
    original = by_label["下载原始文件"]["data"]()
    assert original == wh.original_file(rejected["submission_id"])[1]  # as received, byte for byte
    lines = audit_lines(evil)[before:]
    assert [line["what"] for line in lines] == ["error_list", "error_list", "original_file"]
    assert lines[0]["filters"] == {"submission_id": rejected["submission_id"]}
    assert lines[0]["destination"] == f"download:{rejected['file_name']}.错误清单.csv"
    assert lines[2]["submission_id"] == rejected["submission_id"] and lines[2]["rows"] is None


def test_a_dashboard_download_that_cannot_be_audited_hands_out_nothing(evil, monkeypatch, downloads):
    page(evil, "submissions.py", monkeypatch, {"period": "2025Q3"})
    monkeypatch.setattr(export, "_append_audit", lambda *a: (_ for _ in ()).throw(PermissionError(13, "denied")))
    for button in downloads:
        with pytest.raises(export.ExportError, match="没有输出任何数据"):
            button["data"]()


def test_an_unwritable_out_file_is_a_clear_error(evil, tmp_path):
    r = runner.invoke(app, ["export", "complaints_total", "--out", str(tmp_path / "no" / "such" / "e.csv"),
                            "--warehouse", str(evil)])
    assert r.exit_code == 2 and "无法写入" in r.stderr and "Traceback" not in r.output


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_explorer_csv_in_either_language_is_byte_for_byte_the_export_command(evil, monkeypatch, downloads,
                                                                                 lang):
    params = {"period": "2025Q3", "metrics": "complaints_total,complaints_per_100m_premium", "by": "firm_type,region",
              "lang": lang}
    at = page(evil, "explorer.py", monkeypatch, params)
    (csv_button,) = [b for b in downloads if b["file_name"].endswith(".csv")]
    (line,) = [c.value for c in at.code if c.value.startswith("xiaobao export")]
    assert f"--labels {lang}" in line
    r = runner.invoke(app, ["export", "complaints_total,complaints_per_100m_premium", "--by", "firm_type,region",
                            "--period", "2025Q3", "--labels", lang, "--warehouse", str(evil)])
    assert r.exit_code == 0, r.output
    assert csv_button["data"]() == r.stdout_bytes
    if lang == "en":
        assert r.stdout.splitlines()[1].startswith(("Property,", "Life,"))
