"""`xiaobao template`: the blank workbook is the contract, readable by a person and by the parser."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import polars as pl
import pytest
from typer.testing import CliRunner

from core.contract import CELL_RULES, COVER, COVER_SHEET, PRODUCT_LINES, SHEETS, WARNING_RULES
from core.reference import load_regions
from etl.template import GUIDE_SHEET, region_order, write_template
from xiaobao.cli import app


@pytest.fixture(scope="module")
def template_path(tmp_path_factory) -> Path:
    return write_template(tmp_path_factory.mktemp("template") / "模板.xlsx")


@pytest.fixture(scope="module")
def book(template_path):
    return openpyxl.load_workbook(template_path)


def _guide_text(book) -> str:
    return "\n".join(str(v) for row in book[GUIDE_SHEET].iter_rows(values_only=True) for v in row if v is not None)


def test_sheets_in_submission_order(book):
    assert book.sheetnames == [COVER_SHEET, "投诉", "投诉险种", "调解", "宣教", GUIDE_SHEET]


def test_every_column_header_with_unit_in_its_sheet(book):
    for sheet in SHEETS:
        headers = [c.value for c in book[sheet.zh][1]]
        assert headers == [c.header for c in sheet.columns]
    # units by hand: money carries 万元 in the header
    assert book["投诉"]["B1"].value == "原保险保费收入(万元)"
    assert book["调解"]["G1"].value == "涉案金额(万元)"


def test_cover_lists_every_field_and_defaults_version_1(book):
    ws = book[COVER_SHEET]
    assert [ws.cell(r + 1, 1).value for r in range(len(COVER))] == [f.zh for f in COVER]
    assert ws.cell(4, 1).value == "版本" and ws.cell(4, 2).value == 1
    basis_lists = [dv.formula1 for dv in ws.data_validations.dataValidation if "B3" in str(dv.sqref)]
    assert basis_lists == ['"当季,年累计"']


def test_region_column_prefilled_with_all_37_regions(book):
    names = set(load_regions()["name"])
    assert len(names) == 37
    for sheet in ("投诉", "调解", "宣教"):
        ws = book[sheet]
        prefilled = [ws.cell(r, 1).value for r in range(2, ws.max_row + 1)]
        assert len(prefilled) == 37 and set(prefilled) == names
        assert prefilled[:2] == ["北京市", "天津市"] and prefilled[-1] == "总公司/全国"
        # the separately supervised city right after its province
        assert prefilled[prefilled.index("广东省") + 1] == "深圳市"
        assert ws.freeze_panes == "B2"
    assert book["投诉险种"].max_row == 1  # long sheet: rows are the member's to add


def test_guide_explains_every_field_and_rule(book):
    text = _guide_text(book)
    for sheet in SHEETS:
        for column in sheet.columns:
            assert column.header in text and column.help in text
        for rule in sheet.rules:
            assert rule.id in text and rule.zh in text
    for field in COVER:
        assert field.help in text
    for rule_id, zh in {**CELL_RULES, **WARNING_RULES}.items():
        assert rule_id in text and zh in text
    for convention in ("年累计", "版本号加一", "空白表示未报送，不等于 0", "合计/总计", "季末存量"):
        assert convention in text
    for line in PRODUCT_LINES["财产险"] + PRODUCT_LINES["人身险"]:
        assert line in text


def test_guide_field_rows_carry_unit(book):
    rows = list(book[GUIDE_SHEET].iter_rows(values_only=True))
    by_code = {r[2]: r for r in rows if r[2] in ("premium_wan", "reach_offline", "outlets", "events")}
    assert by_code["premium_wan"][3] == "万元"
    assert by_code["reach_offline"][3] == "人次"
    assert by_code["events"][3] == "场"
    assert by_code["outlets"][3] == "个" and by_code["outlets"][4] == "存量（季末数）"


def test_drop_downs_point_at_the_guide_lists(book):
    guide = book[GUIDE_SHEET]
    lists = {str(dv.sqref)[0]: dv.formula1 for dv in book["投诉险种"].data_validations.dataValidation
             if dv.type == "list"}
    regions = _values(guide, lists["A"])
    assert len(regions) == 37 and regions[:3] == ["北京市", "天津市", "河北省"]
    assert regions == region_order(load_regions())["name"].to_list()
    lines = _values(guide, lists["B"])
    # 10 property + 9 life lines, 意外伤害保险 and 其他 shared: 17
    assert len(lines) == 17 and lines[0] == "机动车辆保险" and lines[-1] == "年金保险"


def _values(ws, formula: str) -> list[str]:
    first, last = formula.split("!")[1].replace("$", "").split(":")
    return [ws[f"{first[0]}{r}"].value for r in range(int(first[1:]), int(last[1:]) + 1)]


def test_template_bytes_are_reproducible(template_path, tmp_path):
    assert write_template(tmp_path / "again.xlsx").read_bytes() == template_path.read_bytes()


def test_cli_writes_template(tmp_path):
    out = tmp_path / "t.xlsx"
    result = CliRunner().invoke(app, ["template", str(out)])
    assert result.exit_code == 0, result.output
    assert openpyxl.load_workbook(out).sheetnames[-1] == GUIDE_SHEET
    bad = CliRunner().invoke(app, ["template", str(tmp_path / "t.csv")])
    assert bad.exit_code == 2


def test_filled_in_template_parses_clean(template_path, tmp_path):
    from etl.parse import parse_file

    registry = pl.DataFrame({"firm_id": ["F001"], "name": ["示例安泰财产保险股份有限公司"],
                             "short_name": ["示例安泰财险"], "aliases": [""], "firm_type": ["财产险"]})
    wb = openpyxl.load_workbook(template_path)
    cover = wb[COVER_SHEET]
    for r, value in enumerate(["示例安泰财险", "2025Q3", "当季", 1, "张晓", "010-00001234", "2025-10-15"], start=1):
        cover.cell(r, 2).value = value
    # 北京市 (row 2) and 天津市 (row 3); every other prefilled region stays blank (no business there)
    complaints = {2: [1234.5, 800, 900, 12, 4, 8, 1, 7, 1, 2, 1, 11, 10, 0],
                  3: [99.25, 50, 60, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]}
    for r, values in complaints.items():
        for c, v in enumerate(values, start=2):
            wb["投诉"].cell(r, c).value = v
    for r, (region, line, n) in enumerate([("北京市", "机动车辆保险", 9), ("北京市", "责任保险", 3)], start=2):
        sheet = wb["投诉险种"]
        sheet.cell(r, 1).value, sheet.cell(r, 2).value, sheet.cell(r, 3).value = region, line, n
    for c, v in enumerate([2, 2, 1, 1, 1, 12.75, 0], start=2):
        wb["调解"].cell(2, c).value = v
    for c, v in enumerate([3, 500, 2000, 100, 50, 20, 5, 1, 1, 0, 1, 0, 5, 4, 2], start=2):
        wb["宣教"].cell(2, c).value = v
    filled = tmp_path / "filled.xlsx"
    wb.save(filled)

    parsed = parse_file(filled, registry, load_regions())
    assert parsed.errors == [], [i.message for i in parsed.errors]
    assert (parsed.firm_id, parsed.period, parsed.basis, parsed.version) == ("F001", "2025Q3", "当季", 1)
    c = parsed.frames["complaints"]
    assert c["region_code"].to_list() == ["110000", "120000"]
    assert c["premium_wan"].to_list() == [1234.5, 99.25]
    assert c["complaints_total"].to_list() == [12, 0]
    assert parsed.frames["complaints_by_line"]["complaints"].to_list() == [9, 3]
    assert parsed.frames["mediation"]["mediation_amount_wan"].to_list() == [12.75]
    assert parsed.frames["outreach"]["outlets_age_friendly"].to_list() == [2]


def test_a_prefilled_template_carries_its_cover_and_the_rest_unchanged(template_path, tmp_path):
    path = write_template(tmp_path / "pre.xlsx", {"firm_name": "示例安泰财险", "period": "2025Q4", "version": 3,
                                                   "filler": "=HYPERLINK(\"http://x\")"})
    ws = openpyxl.load_workbook(path)[COVER_SHEET]
    values = {f.id: ws.cell(r + 1, 2).value for r, f in enumerate(COVER)}
    assert (values["firm_name"], values["period"], values["version"]) == ("示例安泰财险", "2025Q4", 3)
    assert values["filler"] == "=HYPERLINK(\"http://x\")"  # kept as text, never a formula
    assert ws.cell([f.id for f in COVER].index("filler") + 1, 2).data_type == "s"
    assert values["basis"] is None
    blank = openpyxl.load_workbook(template_path)
    assert openpyxl.load_workbook(path).sheetnames == blank.sheetnames
