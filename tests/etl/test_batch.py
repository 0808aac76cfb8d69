"""Many units parsed together (`parse_files`, the ingest's path) give exactly what `parse_file` gives each alone."""

from __future__ import annotations

import copy

import xlsxwriter

from etl import ingest, normalise
from etl.parse import parse_file, parse_files
from tests.etl.workbooks import (
    complaints_row,
    good_sheets,
    regions_frame,
    registry_frame,
    write_csv_bundle,
    write_xlsx,
)

REGISTRY = registry_frame()
REGIONS = regions_frame()


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
        for r, line in enumerate(lines):
            for c, value in enumerate(line):
                if value is not None:
                    ws.write(rows + r, cols + c, value)
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
    real = normalise.product_line

    def crashing(text, firm_type):
        if firm_type == "人身险":
            raise KeyError("parser bug")
        return real(text, firm_type)

    monkeypatch.setattr(normalise, "product_line", crashing)
    parsed = ingest.parse_all(units, {}, REGISTRY, REGIONS)
    assert [s.errors for s in parsed[:-1]] == [[]] * ingest.BATCH_MIN
    assert all(s.frames for s in parsed[:-1])
    crashed = parsed[-1]
    assert crashed.frames == {} and [i.rule for i in crashed.issues] == ["unreadable_file"]
    assert "解析出错：KeyError" in crashed.issues[0].message and "crash.xlsx" in crashed.issues[0].message


def test_progress_counts_every_file_once(tmp_path):
    units = [write_xlsx(tmp_path / f"{n}.xlsx", good_sheets()) for n in range(ingest.BATCH_MIN + 1)]
    seen = []
    ingest.parse_all(units, {}, REGISTRY, REGIONS, lambda done, total, unit: seen.append((done, total, unit)))
    assert [d for d, _, _ in seen] == list(range(1, len(units) + 1))
    assert sorted(u for _, _, u in seen) == sorted(units) and {t for _, t, _ in seen} == {len(units)}


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
