"""Every Normalise and Validate item of DOMAIN.md, one small fixture each, through `parse_file`; and many units
parsed together (`parse_files`, the ingest's path) give exactly what `parse_file` gives each alone."""

from __future__ import annotations

import copy
import zipfile
from decimal import Decimal

import pytest
import xlsxwriter
from opencc import OpenCC

from etl import ingest
from etl import normalise as norm
from etl.parse import parse_file, parse_files
from tests.etl.workbooks import (
    complaints_row,
    good_sheets,
    regions_frame,
    registry_frame,
    write_csv_bundle,
    write_rows,
    write_xls,
    write_xlsx,
)

REGISTRY = registry_frame()
REGIONS = regions_frame()
S2T = OpenCC("s2t")


def parse(tmp_path, sheets, name="s.xlsx"):
    return parse_file(write_xlsx(tmp_path / name, sheets), REGISTRY, REGIONS)


def errors(sub):
    return [(i.rule, i.sheet, i.row, i.column, i.value) for i in sub.errors]


# ── a clean submission ────────────────────────────────────────────────────────────────────────────────────────
def test_good_submission_parses_to_the_contract(tmp_path):
    sub = parse(tmp_path, good_sheets())
    assert sub.errors == []
    assert (sub.firm_id, sub.firm_type, sub.period, sub.basis, sub.version) == ("F001", "财产险", "2025Q3", "当季", 1)
    assert str(sub.filled_on) == "2025-10-15"
    c = sub.frames["complaints"]
    assert c.columns[:3] == ["period", "firm_id", "region_code"] and c.columns[-1] == "source_row"
    assert c["region_code"].to_list() == ["440000", "440300"]
    assert c["premium_wan"].to_list() == [1234.5, 1234.5]
    assert c["complaints_total"].to_list() == [50, 50]
    assert c["source_row"].to_list() == [2, 3]  # Excel rows under the header
    assert sub.frames["complaints_by_line"].height == 4
    assert sub.frames["outreach"]["outlets_age_friendly"].to_list() == [20, 20]
    assert sub.frames["mediation"]["mediation_amount_wan"].to_list() == [123.45, 123.45]


# ── Normalise ─────────────────────────────────────────────────────────────────────────────────────────────────
def test_traditional_headers_sheet_names_and_firm_name(tmp_path):
    sheets = good_sheets(firm="示例安泰财产保险股份有限公司")
    trad = {}
    for name, rows in sheets.items():
        rows = copy.deepcopy(rows)
        if name == "封面":
            rows = [[S2T.convert(str(a)), S2T.convert(str(b))] for a, b in rows]
        else:
            rows[0] = [S2T.convert(h) for h in rows[0]]
        trad[S2T.convert(name)] = rows
    assert "投訴" in trad and "投訴總量" in trad["投訴"][0]
    sub = parse(tmp_path, trad)
    assert sub.errors == [], errors(sub)
    assert sub.firm_id == "F001"
    assert sub.frames["complaints"]["complaints_total"].sum() == 100


@pytest.mark.parametrize(("header", "cell", "expected"), [
    ("原保险保费收入（元）", 12345000, 1234.5),
    ("原保险保费收入(亿元)", 0.12345, 1234.5),
    (" 原保险保费收入 （ 万元 ） ", 1234.5, 1234.5),
    ("premium_wan", 1234.5, 1234.5),
])
def test_money_units_in_headers_convert_to_wan(tmp_path, header, cell, expected):
    sheets = good_sheets(regions=("广东省",))
    sheets["投诉"][0][1] = header
    sheets["投诉"][1][1] = cell
    sub = parse(tmp_path, sheets)
    assert sub.errors == []
    assert sub.frames["complaints"]["premium_wan"].to_list() == [expected]


def test_english_id_headers(tmp_path):
    from core.contract import SHEETS_BY_ID
    sheets = good_sheets()
    for name, dataset in (("投诉", "complaints"), ("投诉险种", "complaints_by_line"), ("调解", "mediation"),
                          ("宣教", "outreach")):
        sheets[name][0] = [c.id for c in SHEETS_BY_ID[dataset].columns]
    sub = parse(tmp_path, sheets)
    assert sub.errors == []
    assert sub.frames["mediation"]["mediation_succeeded"].to_list() == [6, 6]


@pytest.mark.parametrize(("spelling", "code"), [
    ("广东省", "440000"), ("廣東省", "440000"), ("广东", "440000"), ("粤", "440000"), ("Guangdong", "440000"),
    ("440000", "440000"), ("广东分公司", "440000"), ("深圳市", "440300"), ("深圳分公司", "440300"),
    ("深圳", "440300"), ("总公司", "000000"), ("全国", "000000"), ("新疆维吾尔自治区", "650000"), ("大连", "210200"),
])
def test_region_spellings(tmp_path, spelling, code):
    sub = parse(tmp_path, good_sheets(regions=(spelling,)))
    assert sub.errors == []
    assert sub.frames["complaints"]["region_code"].to_list() == [code]


@pytest.mark.parametrize("spelling", ["2025Q3", "2025-Q3", "2025q3", "2025年第三季度", "2025年三季度", "2025年3季度",
                                      "２０２５Ｑ３"])
def test_period_spellings(tmp_path, spelling):
    sub = parse(tmp_path, good_sheets(period=spelling))
    assert sub.errors == []
    assert sub.period == "2025Q3"
    assert sub.frames["complaints"]["period"].unique().to_list() == ["2025Q3"]


@pytest.mark.parametrize(("text", "expected"), [
    ("1,234", 1234), ("１２３４", 1234), ("1.2万", 12000), (" 1 234 ", 1234), ("-", 0), ("—", 0), ("/", 0),
    ("无", 0), (None, None), ("", None), ("12.0", 12),
])
def test_number_spellings(text, expected):
    parsed = norm.parse_number(text, integer=True)
    assert parsed.rule is None
    assert parsed.value == (None if expected is None else Decimal(expected))


@pytest.mark.parametrize(("text", "rule"), [
    ("12%", "not_a_percentage"), ("12％", "not_a_percentage"), ("1.5", "non_negative_integer"),
    ("-3", "non_negative_integer"), ("很多", "not_a_number"),
])
def test_bad_counts(text, rule):
    assert norm.parse_number(text, integer=True).rule == rule


def test_number_spellings_in_a_workbook_and_blank_is_not_zero(tmp_path):
    sheets = good_sheets(regions=("广东省",))
    row = sheets["投诉"][1]
    row[2], row[3], row[14] = "２０,０００", "3万", None  # policies, insured, proxy surrender left blank
    sheets["宣教"][1][8] = "-"  # events_rural
    sub = parse(tmp_path, sheets)
    assert sub.errors == []
    c = sub.frames["complaints"]
    assert (c["policies"][0], c["insured_persons"][0], c["proxy_surrender_suspected"][0]) == (20000, 30000, None)
    assert sub.frames["outreach"]["events_rural"][0] == 0
    assert [w.rule for w in sub.warnings] == ["blank_not_reported"]
    assert "疑似代理退保投诉" in sub.warnings[0].message


def test_title_line_notes_and_a_correct_total_row(tmp_path):
    sheets = good_sheets()
    rows = sheets["投诉"]
    total = ["合计", 2469.0, 40000, 60000, 100, 20, 80, 20, 40, 10, 20, 10, 90, 80, 6]
    sheets["投诉"] = [["2025年第三季度投诉情况表"], [], *rows, total, [], ["注：本表由示例公司填报"],
                    ["数据来源：客服系统"]]
    sub = parse(tmp_path, sheets)
    assert sub.errors == [], errors(sub)
    c = sub.frames["complaints"]
    assert c["region_code"].to_list() == ["440000", "440300"]  # 合计 and notes dropped, never counted twice
    assert c["complaints_total"].sum() == 100
    assert c["source_row"].to_list() == [4, 5]


def test_total_row_mismatch_is_an_error(tmp_path):
    sheets = good_sheets()
    sheets["投诉"].append(["总计", 2469.0, 40000, 60000, 99, 20, 80, 20, 40, 10, 20, 10, 90, 80, 6])
    sub = parse(tmp_path, sheets)
    assert errors(sub) == [("total_row_mismatch", "投诉", 4, "投诉总量", "99")]
    assert "各地区之和 100" in sub.errors[0].message


def test_leading_blank_rows_keep_excel_row_numbers(tmp_path):
    sheets = good_sheets(regions=("广东省", "火星"))
    sheets["投诉"] = [[], [], ["投诉情况"], *sheets["投诉"]]
    sub = parse(tmp_path, sheets)
    assert ("unknown_region", "投诉", 6, "地区", "火星") in errors(sub)  # title at row 3, header 4


def test_xls_row_numbers_are_the_ones_excel_shows_when_the_sheet_starts_below_row_1(tmp_path):
    sheets = good_sheets(regions=("广东省", "深圳市", "火星", "北京"))
    sub = parse_file(write_xls(tmp_path / "s.xls", sheets, top=3, left=2), REGISTRY, REGIONS)
    # header at Excel row 4 (three blank rows above it), 火星 the third region: row 7; in 投诉险种 also row 11
    assert [(i.rule, i.sheet, i.row, i.value) for i in sub.errors] == [
        ("unknown_region", "投诉", 7, "火星"), ("unknown_region", "投诉险种", 7, "火星"),
        ("unknown_region", "投诉险种", 11, "火星"), ("unknown_region", "调解", 7, "火星"),
        ("unknown_region", "宣教", 7, "火星")]
    assert sub.frames["complaints"]["source_row"].to_list() == [5, 6, 8]  # 火星's row is not stored
    assert sub.frames["complaints"]["complaints_total"].to_list() == [50, 50, 50]


CAUSES = ("销售纠纷", "理赔纠纷", "退保纠纷", "保单服务纠纷", "其他纠纷")


def grouped_causes(sheets, group: str, prefix: str) -> None:
    """投诉's header on two lines: `group` over the five cause columns (the rest of the first line as it was),
    `prefix` + cause under it; the cells of the second line outside the group left blank."""
    first = sheets["投诉"][0]
    at = first.index(CAUSES[0])
    top = [*first[:at], group, *([None] * (len(CAUSES) - 1)), *first[at + len(CAUSES):]]
    below = [None] * at + [prefix + c for c in CAUSES] + [None] * (len(first) - at - len(CAUSES))
    sheets["投诉"][0:1] = [top, below]


@pytest.mark.parametrize(("group", "prefix"), [("其中", "其中："), ("按原因分：", "其中:"), ("投诉原因", ""),
                                               (None, "其中，")])
def test_two_line_headers_with_qizhong_are_read_as_the_columns_they_name(tmp_path, group, prefix):
    sheets = good_sheets(regions=("广东省", "火星"))
    grouped_causes(sheets, group, prefix)
    sub = parse(tmp_path, sheets)
    # the header's last line is row 2, so the regions are rows 3 and 4 (火星 is unknown in every sheet)
    assert [e for e in errors(sub) if e[1] == "投诉"] == [("unknown_region", "投诉", 4, "地区", "火星")]
    complaints = sub.frames["complaints"]
    assert complaints.select("cause_sales", "cause_claims", "cause_surrender", "cause_policy_service", "cause_other") \
        .row(0) == (10, 20, 5, 10, 5)


def test_a_qizhong_header_on_one_line_is_the_column_it_names(tmp_path):
    sheets = good_sheets()
    sheets["投诉"][0] = [f"其中：{h}" if h in CAUSES else h for h in sheets["投诉"][0]]
    sub = parse(tmp_path, sheets)
    assert sub.errors == []
    assert sub.frames["complaints"]["cause_claims"].to_list() == [20, 20]


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk"])
@pytest.mark.parametrize("as_zip", [False, True])
def test_csv_bundles(tmp_path, encoding, as_zip):
    target = tmp_path / ("bundle.zip" if as_zip else "bundle")
    write_csv_bundle(target, good_sheets(firm="示例康宁人寿", firm_type="人身险"), encoding)
    sub = parse_file(target, REGISTRY, REGIONS)
    assert sub.errors == [], errors(sub)
    assert sub.firm_id == "F002"
    assert sub.frames["complaints"]["premium_wan"].to_list() == [1234.5, 1234.5]
    assert sorted(sub.frames["complaints_by_line"]["product_line"].unique()) == ["医疗保险", "普通人寿保险"]


def test_gbk_zip_with_gbk_file_names(tmp_path):
    # A zip tool on Chinese Windows stores GBK names without the UTF-8 flag: write ASCII placeholders of the
    # same length, then put the GBK bytes in their place.
    target = tmp_path / "gbk.zip"
    names = {}
    with zipfile.ZipFile(target, "w") as zf:
        for i, (name, rows) in enumerate(good_sheets().items()):
            raw = f"{name}.csv".encode("gbk")
            placeholder = f"{i}".encode() * (len(raw) - 4) + b".csv"
            names[placeholder] = raw
            zf.writestr(placeholder.decode(), "\r\n".join(",".join("" if v is None else str(v) for v in r)
                                                          for r in rows).encode("gbk"))
    data = target.read_bytes()
    for placeholder, raw in names.items():
        data = data.replace(placeholder, raw)
    target.write_bytes(data)
    sub = parse_file(target, REGISTRY, REGIONS)
    assert sub.errors == [], errors(sub)
    assert sub.frames["complaints"]["complaints_total"].to_list() == [50, 50]


@pytest.mark.parametrize(("name", "data"), [
    ("broken.xlsx", b"PK\x03\x04 not really a workbook"),
    ("notes.txt", "这不是报送".encode()),
    ("empty.xlsx", b""),
    ("broken.zip", b"PK\x05\x06garbage"),
    ("single.csv", "地区,投诉总量\n广东,1\n".encode()),
])
def test_unreadable_files_are_rejected_with_a_message(tmp_path, name, data):
    path = tmp_path / name
    path.write_bytes(data)
    sub = parse_file(path, REGISTRY, REGIONS)
    assert [i.rule for i in sub.errors] == ["unreadable_file"]
    assert name in sub.errors[0].message and "无法读取" in sub.errors[0].message


# ── Validate ──────────────────────────────────────────────────────────────────────────────────────────────────
# (sheet, row index in the sheet's rows, column index, new value, rule, column header named in the issue)
RULE_CASES = [
    ("投诉", 1, 7, 11, "causes_sum_to_total", "销售纠纷、理赔纠纷、退保纠纷、保单服务纠纷、其他纠纷"),
    ("投诉", 1, 5, 11, "sources_sum_to_total", "监管转送投诉、自受理投诉"),
    ("投诉", 1, 13, 46, "on_time_within_resolved", "按时办结件数"),
    ("调解", 1, 4, 10, "succeeded_within_concluded", "调解成功件数"),
    ("调解", 1, 3, 11, "concluded_within_accepted", "调解结案件数"),
    ("调解", 1, 2, 11, "voluntary_within_accepted", "自主参调件数"),
    ("调解", 1, 5, 7, "fulfilled_within_succeeded", "协议履行件数"),
    ("宣教", 1, 4, 1001, "reach_elderly_within_offline", "老年人触达人次"),
    ("宣教", 1, 5, 1001, "reach_youth_within_offline", "青少年触达人次"),
    ("宣教", 1, 6, 1001, "reach_new_citizens_within_offline", "新市民触达人次"),
    ("宣教", 1, 7, 1001, "reach_disabled_within_offline", "残障人士触达人次"),
    ("宣教", 1, 15, 51, "age_friendly_within_outlets", "适老化网点数"),
]


@pytest.mark.parametrize(("sheet", "row", "col", "value", "rule", "column"), RULE_CASES,
                         ids=[c[4] for c in RULE_CASES])
def test_every_cross_column_rule(tmp_path, sheet, row, col, value, rule, column):
    sheets = good_sheets()
    sheets[sheet][row][col] = value
    sub = parse(tmp_path, sheets)
    assert [(i.rule, i.sheet, i.row, i.column) for i in sub.errors] == [(rule, sheet, 2, column)]
    assert "不得大于" in sub.errors[0].message or "应等于" in sub.errors[0].message


@pytest.mark.parametrize(("sheet", "col", "value", "rule"), [
    ("投诉", 4, "-5", "non_negative_integer"), ("投诉", 4, 2.5, "non_negative_integer"),
    ("投诉", 13, "88%", "not_a_percentage"), ("投诉", 2, "未知", "not_a_number"),
    ("投诉", 1, -1, "non_negative_amount"),
])
def test_cell_rules_name_the_cell(tmp_path, sheet, col, value, rule):
    sheets = good_sheets()
    sheets[sheet][2][col] = value
    sub = parse(tmp_path, sheets)
    header = sheets[sheet][0][col]
    assert (rule, sheet, 3, header, str(value)) in errors(sub)


def test_unknown_region_duplicate_region_and_unknown_line(tmp_path):
    sheets = good_sheets(regions=("广东省", "粤", "火星"))
    sheets["投诉险种"][1][1] = "航天保险"
    sub = parse(tmp_path, sheets)
    found = {(i.rule, i.sheet, i.row, i.value) for i in sub.errors}
    assert ("unknown_region", "投诉", 4, "火星") in found
    assert ("duplicate_region", "投诉", 3, "粤") in found
    assert ("unknown_product_line", "投诉险种", 2, "航天保险") in found


def test_life_lines_are_not_property_lines(tmp_path):
    sheets = good_sheets()
    sheets["投诉险种"][1][1] = "万能型人寿保险"  # a life line in a property firm's workbook
    sub = parse(tmp_path, sheets)
    assert ("unknown_product_line", "投诉险种", 2, "险种", "万能型人寿保险") in errors(sub)


def test_cover_errors_are_all_listed_at_once(tmp_path):
    sheets = good_sheets(firm="不存在的保险公司", period="2025年第五季度", basis="半年", version="二")
    sheets["投诉"][1][4] = "12%"
    sub = parse(tmp_path, sheets)
    rules = [i.rule for i in sub.errors]
    assert rules[:4] == ["unknown_firm", "bad_period", "bad_basis", "bad_version"]
    assert "not_a_percentage" in rules
    assert sub.errors[0].row == 1 and sub.errors[0].sheet == "封面"


def test_missing_sheet_and_missing_column(tmp_path):
    sheets = good_sheets()
    del sheets["宣教"]
    sheets["调解"] = [[h for h in row[:-1]] for row in sheets["调解"]]  # drop 诉调对接件数
    sub = parse(tmp_path, sheets)
    found = {(i.rule, i.sheet, i.column) for i in sub.errors}
    assert ("missing_sheet", "宣教", None) in found
    assert ("missing_column", "调解", "诉调对接件数") in found


@pytest.mark.parametrize(("text", "version"), [(None, 1), ("2", 2), (2.0, 2), ("V3", 3)])
def test_versions(tmp_path, text, version):
    sub = parse(tmp_path, good_sheets(version=text))
    assert sub.errors == [] and sub.version == version


def test_ytd_basis_spellings(tmp_path):
    assert norm.parse_basis("年累計") == "年累计" and norm.parse_basis("當季") == "当季"
    assert norm.parse_basis("半年") is None


def test_dates(tmp_path):
    assert str(norm.parse_date("2025/10/15")) == "2025-10-15"
    assert str(norm.parse_date("2025年10月15日")) == "2025-10-15"
    assert str(norm.parse_date("45945")) == "2025-10-15"  # an Excel serial date


def described(sub):
    return (sub.sha256, sub.firm_id, sub.period, sub.basis, sub.version, sub.filled_on,
            [i.to_dict() for i in sub.issues], {k: f.to_dicts() for k, f in sub.frames.items()})


def bad_sheets():
    sheets = good_sheets(regions=("广东省", "深圳市", "广东省", "火星"))
    sheets["投诉"][1][4] = "12%"
    sheets["投诉"][2][5] = "abc"
    sheets["投诉"][1][6] = None
    sheets["投诉"] += [["合计", 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14], ["注：说明"], ["广东", 1, 2]]
    sheets["调解"][1][2] = 100
    sheets["投诉险种"] += [["广东省", "火箭保险", 3], ["合计", "机动车辆保险", 999]]
    return sheets


def write_shifted(path, sheets, rows=2, cols=1, merge="投诉险种"):
    """The sheets moved down and right (blank rows and columns before them), the first 地区 of sheet `merge`
    merged over three rows."""
    workbook = xlsxwriter.Workbook(str(path))
    for name, lines in sheets.items():
        ws = workbook.add_worksheet(name)
        write_rows(ws, lines, rows, cols)
        if name == merge:
            ws.merge_range(rows + 1, cols, rows + 3, cols, lines[1][0])  # the first region over three rows
    workbook.close()
    return path


def test_parse_files_is_parse_file_for_each(tmp_path):
    life = good_sheets(firm="示例康宁人寿", firm_type="人身险", period="2025Q2")
    only_total = good_sheets()
    only_total["投诉"] = [only_total["投诉"][0], ["全国合计", *complaints_row("x")[1:]]]
    no_header = good_sheets()
    no_header["调解"] = [["a", "b"], ["1", "2"]]
    del no_header["宣教"]
    units = [write_xlsx(tmp_path / "good.xlsx", good_sheets()), write_xlsx(tmp_path / "bad.xlsx", bad_sheets()),
             write_csv_bundle(tmp_path / "life", life), write_csv_bundle(tmp_path / "bad.zip", bad_sheets(), "gbk"),
             write_xlsx(tmp_path / "total.xlsx", only_total), write_xlsx(tmp_path / "nohdr.xlsx", no_header),
             write_shifted(tmp_path / "shifted.xlsx", bad_sheets()), tmp_path / "missing.xlsx"]
    (tmp_path / "garbage.xlsx").write_bytes(b"garbage")
    units.insert(3, tmp_path / "garbage.xlsx")
    together = parse_files(units, REGISTRY, REGIONS)
    alone = [parse_file(u, REGISTRY, REGIONS) for u in units]
    assert [described(s) for s in together] == [described(s) for s in alone]
    assert together[1].errors and together[3].issues[0].rule == "unreadable_file"
    assert together[-1].issues[0].rule == "unreadable_file"


def test_merged_region_and_blank_rows_and_columns_before_the_table(tmp_path):
    sheets = good_sheets(regions=("广东省", "深圳市", "火星", "北京"))
    sheets["投诉"][2][0] = sheets["投诉"][3][0] = None  # under the merged cell: read as 广东省
    sub = parse_file(write_shifted(tmp_path / "s.xlsx", sheets, rows=3, cols=2, merge="投诉"), REGISTRY, REGIONS)
    # header at Excel row 4, data from row 5; 火星 is the third region row
    assert [(i.rule, i.sheet, i.row, i.value) for i in sub.errors] == [
        ("duplicate_region", "投诉", 6, "广东省"), ("duplicate_region", "投诉", 7, "广东省"),
        ("unknown_region", "投诉险种", 7, "火星"), ("unknown_region", "投诉险种", 11, "火星"),
        ("unknown_region", "调解", 7, "火星"), ("unknown_region", "宣教", 7, "火星")]
    complaints = sub.frames["complaints"]
    assert complaints["source_row"].to_list() == [5, 6, 7, 8]
    assert complaints["region_code"].to_list() == ["440000", "440000", "440000", "110000"]


def test_a_parser_crash_in_a_batch_rejects_that_file_only(tmp_path, monkeypatch):
    units = [write_xlsx(tmp_path / f"{n}.xlsx", good_sheets()) for n in range(ingest.BATCH_MIN)]
    units.append(write_xlsx(tmp_path / "crash.xlsx", good_sheets(firm="示例康宁人寿", firm_type="人身险")))
    real = norm.product_line

    def crashing(text, firm_type):
        if firm_type == "人身险":
            raise KeyError("parser bug")
        return real(text, firm_type)

    monkeypatch.setattr(norm, "product_line", crashing)
    parsed = ingest.parse_all(units, {}, REGISTRY, REGIONS)
    assert [s.errors for s in parsed[:-1]] == [[]] * ingest.BATCH_MIN
    assert all(s.frames for s in parsed[:-1])
    crashed = parsed[-1]
    assert crashed.frames == {} and [i.rule for i in crashed.issues] == ["unreadable_file"]
    assert "解析出错：KeyError" in crashed.issues[0].message and "crash.xlsx" in crashed.issues[0].message


def test_a_sheet_of_one_kind_in_many_units_keeps_each_units_headers(tmp_path):
    # one unit writes money in 元, the other in 万元: the factor is the unit's own
    yuan = copy.deepcopy(good_sheets())
    yuan["投诉"][0][1] = "原保险保费收入（元）"
    for line in yuan["投诉"][1:]:
        line[1] = line[1] * 10000
    units = [write_xlsx(tmp_path / "yuan.xlsx", yuan), write_xlsx(tmp_path / "wan.xlsx", good_sheets())]
    units += [write_xlsx(tmp_path / f"{n}.xlsx", good_sheets()) for n in range(ingest.BATCH_MIN)]
    parsed = parse_files(units, REGISTRY, REGIONS)
    assert [s.frames["complaints"]["premium_wan"].to_list() for s in parsed[:2]] == [[1234.5, 1234.5]] * 2
