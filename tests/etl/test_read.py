"""Hostile and broken files (issue 9, items 1–4): each is read within fixed limits or rejected naming why, and the
rest of the batch goes on. Every file is tiny and generated here; the ones that would exhaust memory or abort the
process today are also ingested in a child process under an address-space limit (`ulimit -v`)."""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile
from pathlib import Path

import openpyxl
import pytest

from core.settings import ROOT
from etl.parse import parse_file
from etl.read import find_submissions, source_bytes
from tests.etl.workbooks import (
    complaints_row,
    deflated_zip,
    good_sheets,
    regions_frame,
    registry_frame,
    rewrite_zip,
    write_csv_bundle,
    write_registry,
    write_rows,
    write_xlsx,
    write_xlsx_with,
)

REGISTRY = registry_frame()
REGIONS = regions_frame()
MIB = 1024 * 1024


def parse(path: Path):
    return parse_file(path, REGISTRY, REGIONS)


def rejected_for(path: Path) -> list[tuple[str, str | None, str]]:
    """(rule, sheet, message) of each error of the file."""
    return [(i.rule, i.sheet, i.message) for i in parse(path).errors]


def only_rule(path: Path) -> tuple[str, str | None, str]:
    found = rejected_for(path)
    assert len(found) == 1, found
    return found[0]


# ── 1. bounded resources ──────────────────────────────────────────────────────────────────────────────────────
# Address space for a child ingest: a normal file needs about 1 GiB of it here (polars and DuckDB reserve virtual
# memory they never touch); the limit leaves room for that, not for a 100 GB allocation.
ADDRESS_SPACE = 2 * 1024 * MIB
PEAK_RSS = 1024 * MIB
_LINE = "广东省,1234.5,20000,30000,50,10,40,10,20,5,10,5,45,40,3\r\n".encode()
BOMB = (_LINE * (MIB // len(_LINE)), 64)  # (chunk, times): 64 MiB inflated


def hostile_files(root: Path) -> dict[str, tuple[Path, str]]:
    """name → (file, the rule that rejects it)."""
    root.mkdir(parents=True, exist_ok=True)
    long_lines = good_sheets()
    long_lines["投诉险种"] += [["广东省", "机动车辆保险", 1]] * 3000
    tall = good_sheets()
    tall["投诉"] += [complaints_row("广东省")] * 2500
    return {
        # one stray cell far from the data: calamine would allocate 1048576 × 16384 cells
        "stray_corner": (write_xlsx_with(root / "stray_corner.xlsx", good_sheets(),
                                         cells={("投诉", 1048575, 16383): "x"}), "sheet_too_large"),
        "stray_row": (write_xlsx_with(root / "stray_row.xlsx", good_sheets(), cells={("调解", 1048575, 0): 1}),
                      "sheet_too_large"),
        "stray_column": (write_xlsx_with(root / "stray_column.xlsx", good_sheets(), cells={("宣教", 0, 16383): 1}),
                         "sheet_too_large"),
        "too_many_lines": (write_xlsx(root / "too_many_lines.xlsx", long_lines), "sheet_too_large"),
        "too_many_rows_csv": (write_csv_bundle(root / "too_many_rows.zip", tall), "sheet_too_large"),
        # 64 MiB of CSV lines packed into 200 KiB (today: 1.2 M rows of Python lists), its header honest
        "zip_bomb": (deflated_zip(root / "zip_bomb.zip", {"投诉.csv": BOMB}), "zip_limit"),
        # the same, its header claiming 1 KiB: inflated a chunk at a time, it is caught at the declared size
        "zip_bomb_lying": (deflated_zip(root / "zip_bomb_lying.zip", {"投诉.csv": BOMB}, declared={"投诉.csv": 1024}),
                           "unreadable_file"),
        # a workbook with a 1 GiB shared-strings part
        "xlsx_bomb": (_xlsx_with_bomb(root), "zip_limit"),
    }


def _xlsx_with_bomb(root: Path) -> Path:
    """A valid workbook plus a part inflating to 64 MiB."""
    good = write_xlsx(root / "xlsx_bomb.src.xlsx", good_sheets())
    with zipfile.ZipFile(good) as zf:
        parts = {i.filename: (zf.read(i), 1) for i in zf.infolist()}
    good.unlink()
    return deflated_zip(root / "xlsx_bomb.xlsx", {**parts, "xl/sharedStrings2.xml": BOMB})


_INGEST = """
import resource
resource.setrlimit(resource.RLIMIT_AS, ({limit}, {limit}))  # ulimit -v, before anything is imported
import json, sys
from pathlib import Path
from etl.ingest import run
report = run([Path(p) for p in sys.argv[3:]], Path(sys.argv[1]), Path(sys.argv[2]))
outcomes = [(o.file_name, o.status, [i.rule for i in o.issues if i.severity == "error"],
             [i.message for i in o.issues if i.severity == "error"]) for o in report.outcomes]
# VmHWM: this process's own peak RSS (ru_maxrss would include the parent's image, copied at the fork)
peak = next(int(line.split()[1]) for line in open("/proc/self/status") if line.startswith("VmHWM:"))
print(json.dumps({{"outcomes": outcomes, "peak_kib": peak}}, ensure_ascii=False))
"""


def ingest_bounded(tmp_path: Path, files: list[Path]) -> tuple[int, list, int]:
    """(exit status, outcomes, peak RSS in bytes) of an ingest of `files` in a child under ADDRESS_SPACE."""
    out, err = tmp_path / "child.out", tmp_path / "child.err"
    registry = write_registry(tmp_path / "firms.csv")
    with out.open("wb") as stdout, err.open("wb") as stderr:
        child = subprocess.Popen([sys.executable, "-c", _INGEST.format(limit=ADDRESS_SPACE), str(tmp_path / "wh"),
                                  str(registry), *map(str, files)], cwd=ROOT, stdout=stdout, stderr=stderr)
        child.wait()
    assert child.returncode == 0, err.read_bytes()[-2000:].decode("utf-8", "replace")
    result = json.loads(out.read_text(encoding="utf-8"))
    return child.returncode, result["outcomes"], result["peak_kib"] * 1024


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    return hostile_files(tmp_path_factory.mktemp("hostile"))


def test_hostile_files_are_rejected_within_bounded_memory_and_the_batch_goes_on(tmp_path, hostile):
    good = write_xlsx(tmp_path / "good.xlsx", good_sheets())
    _, outcomes, peak = ingest_bounded(tmp_path, [*(path for path, _ in hostile.values()), good])
    got = {name: (status, rules) for name, status, rules, _ in outcomes}
    assert got == {"good.xlsx": ("accepted", []),
                   **{path.name: ("rejected", [rule]) for path, rule in hostile.values()}}, outcomes
    assert peak < PEAK_RSS, f"peak RSS {peak / MIB:.0f} MiB"


def test_a_stray_cell_is_named_with_the_limit(tmp_path):
    path = write_xlsx_with(tmp_path / "s.xlsx", good_sheets(), cells={("投诉", 1048575, 16383): "x"})
    _, outcomes, _ = ingest_bounded(tmp_path, [path])
    (_, status, rules, messages), = outcomes
    assert status == "rejected" and rules == ["sheet_too_large"]
    assert "工作表「投诉」" in messages[0] and "XFD1048576" in messages[0] and "1048576 行" in messages[0]
    assert "XIAOBAO_MAX_SHEET_ROWS" in messages[0]


def test_a_stray_cell_in_a_sheet_not_read_is_not_loaded(tmp_path):
    sheets = {**good_sheets(), "说明": [["填表说明"]]}
    path = write_xlsx_with(tmp_path / "s.xlsx", sheets, cells={("说明", 1048575, 16383): "x"})
    _, outcomes, _ = ingest_bounded(tmp_path, [path])
    assert outcomes[0][1] == "accepted", outcomes


def test_formatted_blank_cells_far_away_do_not_count(tmp_path):
    # Excel writes <c r="…" s="1"/> for a formatted empty cell: calamine leaves it out, so does the extent
    import xlsxwriter

    path = tmp_path / "s.xlsx"
    workbook = xlsxwriter.Workbook(str(path))
    bold = workbook.add_format({"bold": True})
    for name, rows in good_sheets().items():
        sheet = workbook.add_worksheet(name)
        write_rows(sheet, rows)
        sheet.write_blank(1048575, 16383, None, bold)
    workbook.close()
    assert rejected_for(path) == []


def test_the_row_count_of_a_long_sheet_is_named(tmp_path):
    sheets = good_sheets()
    sheets["投诉险种"] += [["广东省", "机动车辆保险", 1]] * 3000
    rule, sheet, message = only_rule(write_xlsx(tmp_path / "s.xlsx", sheets))
    assert (rule, sheet) == ("sheet_too_large", "投诉险种") and "3005 行" in message and "上限 2000" in message
    rule, sheet, message = only_rule(write_csv_bundle(tmp_path / "b.zip", sheets))
    assert (rule, sheet) == ("sheet_too_large", "投诉险种") and "有 3005 行" in message


def test_a_long_sheet_within_a_raised_limit_is_read(tmp_path, monkeypatch):
    sheets = good_sheets()
    sheets["投诉险种"] += [[None, None, None]] * 2500 + [["注：本表为测试"]]
    monkeypatch.setenv("XIAOBAO_MAX_SHEET_ROWS", "3000")
    assert rejected_for(write_xlsx(tmp_path / "s.xlsx", sheets)) == []


@pytest.mark.parametrize("env, value, members, expected", [
    ("XIAOBAO_MAX_MEMBER_MIB", "1", {"投诉.csv": (b"a" * 1024, 2048)}, "XIAOBAO_MAX_MEMBER_MIB"),
    ("XIAOBAO_MAX_BUNDLE_MIB", "1", {"投诉.csv": (b"a" * 1024, 600), "调解.csv": (b"a" * 1024, 600)},
     "XIAOBAO_MAX_BUNDLE_MIB"),
    ("XIAOBAO_MAX_RATIO", "50", {"投诉.csv": (b"a" * 1024, 2048)}, "XIAOBAO_MAX_RATIO"),
])
def test_zip_limits_are_settings_and_named(tmp_path, monkeypatch, env, value, members, expected):
    monkeypatch.setenv(env, value)
    rule, _, message = only_rule(deflated_zip(tmp_path / "b.zip", members))
    assert rule == "zip_limit" and expected in message and "投诉.csv" in message or "合计" in message


def test_a_zip_whose_header_lies_about_its_size_is_rejected(tmp_path):
    path = deflated_zip(tmp_path / "b.zip", {"投诉.csv": (b"0" * MIB, 64)}, declared={"投诉.csv": 1024})
    rule, _, message = only_rule(path)
    assert rule == "unreadable_file" and "投诉.csv" in message and "无法解压" in message


def test_a_file_over_the_size_limit_is_not_read(tmp_path, monkeypatch):
    monkeypatch.setenv("XIAOBAO_MAX_FILE_MIB", "1")
    path = tmp_path / "big.xlsx"
    path.write_bytes(b"\0" * (2 * MIB))
    rule, _, message = only_rule(path)
    assert rule == "file_too_large" and "big.xlsx" in message and "XIAOBAO_MAX_FILE_MIB" in message


# ── 2. sheets ─────────────────────────────────────────────────────────────────────────────────────────────────
def test_a_hidden_stale_sheet_is_never_read_in_place_of_the_visible_one(tmp_path):
    stale = good_sheets(k=7)
    sheets = {"封面": good_sheets()["封面"], "投訴": stale["投诉"], **{k: v for k, v in good_sheets().items()
                                                                  if k != "封面"}}
    sub = parse(write_xlsx_with(tmp_path / "s.xlsx", sheets, hidden=("投訴",)))
    assert sub.errors == []
    assert sub.frames["complaints"]["complaints_total"].to_list() == [50, 50]  # the visible sheet's, not 7 × 50


def test_a_contract_sheet_only_present_hidden_is_an_error_naming_it(tmp_path):
    rule, sheet, message = only_rule(write_xlsx_with(tmp_path / "s.xlsx", good_sheets(), hidden=("调解",)))
    assert (rule, sheet) == ("hidden_sheet", "调解") and "取消隐藏" in message


def test_two_visible_sheets_of_one_kind_are_an_error_naming_both(tmp_path):
    sheets = {**good_sheets(), "投訴": good_sheets(k=2)["投诉"]}
    rule, _, message = only_rule(write_xlsx(tmp_path / "s.xlsx", sheets))
    assert rule == "duplicate_sheet" and "“投诉”" in message and "“投訴”" in message
    bundle = {**good_sheets(), "complaints": good_sheets(k=2)["投诉"]}
    rule, _, message = only_rule(write_csv_bundle(tmp_path / "b.zip", bundle))
    assert rule == "duplicate_sheet" and "投诉.csv" in message and "complaints.csv" in message


# ── 3. formulas without a stored result ───────────────────────────────────────────────────────────────────────
def write_openpyxl(path: Path, formulas: dict[tuple[str, str], str]) -> Path:
    """good_sheets() as openpyxl writes them (formulas stored without a result), some cells replaced by formulas."""
    workbook = openpyxl.Workbook()
    workbook.remove(workbook.active)
    for name, rows in good_sheets().items():
        sheet = workbook.create_sheet(name)
        for row in rows:
            sheet.append(row)
        for (where, cell), formula in formulas.items():
            if where == name:
                sheet[cell] = formula
    workbook.save(path)
    return path


def test_a_formula_without_a_stored_result_is_an_error_naming_the_cell(tmp_path):
    path = write_openpyxl(tmp_path / "s.xlsx", {("投诉", "E2"): "=H2+I2+J2+K2+L2", ("投诉", "E3"): "=H3+I3+J3+K3+L3"})
    (rule, sheet, message), = [(i.rule, i.sheet, i.message) for i in parse(path).errors]
    assert (rule, sheet) == ("formula_no_value", "投诉")
    assert "第 2 行「E」列" in message and "E2、E3" in message and "Excel 或 WPS 中打开并保存" in message


def test_a_formula_with_a_placeholder_result_is_an_error(tmp_path):
    import xlsxwriter

    path = tmp_path / "s.xlsx"
    workbook = xlsxwriter.Workbook(str(path))  # stores 0 as every formula's result and asks for a recalculation
    for name, rows in good_sheets().items():
        sheet = workbook.add_worksheet(name)
        write_rows(sheet, rows)
        if name == "投诉":
            sheet.write_formula("E2", "=H2+I2+J2+K2+L2")
    workbook.close()
    rule, sheet, message = only_rule(path)
    assert (rule, sheet) == ("formula_no_value", "投诉") and "E2" in message


def test_formulas_with_stored_results_are_read_by_their_results(tmp_path):
    import xlsxwriter

    path = tmp_path / "s.xlsx"
    workbook = xlsxwriter.Workbook(str(path))
    for name, rows in good_sheets().items():
        sheet = workbook.add_worksheet(name)
        write_rows(sheet, rows)
        if name == "投诉":
            sheet.write_formula("E2", "=H2+I2+J2+K2+L2", None, 50)
            sheet.write_formula("P2", '=IF(E2>0,"","x")', None, "")  # an empty text result is a result
    workbook.close()
    # as Excel saves it: the results stored, no request to recalculate on opening
    with zipfile.ZipFile(path) as zf:
        book = zf.read("xl/workbook.xml").replace(b' fullCalcOnLoad="1"', b"")
        sheet_xml = zf.read("xl/worksheets/sheet2.xml").replace(b'<c r="P2"', b'<c r="P2" t="str"')
    rewrite_zip(path, {"xl/workbook.xml": book, "xl/worksheets/sheet2.xml": sheet_xml})
    sub = parse(path)
    assert sub.errors == []
    assert sub.frames["complaints"]["complaints_total"].to_list() == [50, 50]


# ── 4. folder bundles and zips ────────────────────────────────────────────────────────────────────────────────
def test_a_link_in_a_folder_bundle_is_never_followed(tmp_path):
    secret = tmp_path / "secret.csv"
    secret.write_text("地区,投诉总量\n秘密,123456\n", encoding="utf-8")
    bundle = write_csv_bundle(tmp_path / "in" / "bundle", good_sheets())
    (bundle / "调解.csv").unlink()
    (bundle / "调解.csv").symlink_to(secret)
    data, _ = source_bytes(bundle)
    assert "秘密".encode() not in data and b"123456" not in data  # the archived bytes hold only the link
    rule, _, message = only_rule(bundle)
    assert rule == "symlink" and "调解.csv" in message


def test_a_link_among_submissions_is_rejected_not_followed(tmp_path):
    outside = write_xlsx(tmp_path / "outside.xlsx", good_sheets())
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "member.xlsx").symlink_to(outside)
    (inbox / "folder").symlink_to(tmp_path, target_is_directory=True)
    units = find_submissions([inbox])
    assert sorted(u.name for u in units) == ["folder", "member.xlsx"]  # listed, not descended into
    for unit in units:
        sub = parse(unit)
        assert sub.sha256 == "" and [i.rule for i in sub.errors] == ["symlink"]  # nothing to hash or archive
    _, outcomes, _ = ingest_bounded(tmp_path, [inbox])
    assert sorted((name, status) for name, status, *_ in outcomes) == [("folder", "rejected"),
                                                                       ("member.xlsx", "rejected")]
    assert not list((tmp_path / "wh").rglob("files/*.xlsx"))


@pytest.mark.parametrize("member", ["../投诉.csv", "/tmp/投诉.csv", "a/../../投诉.csv", "C:/投诉.csv",
                                    "..\\投诉.csv"])
def test_zip_members_with_absolute_paths_or_dotdot_are_rejected_by_name(tmp_path, member):
    path = write_csv_bundle(tmp_path / "b.zip", good_sheets())
    rewrite_zip(path, {member: "地区\n广东\n".encode()})
    rule, _, message = only_rule(path)
    assert rule == "unsafe_member" and member in message


def test_a_link_inside_a_zip_is_rejected(tmp_path):
    path = write_csv_bundle(tmp_path / "b.zip", good_sheets())
    with zipfile.ZipFile(path, "a") as zf:
        info = zipfile.ZipInfo("说明.csv")
        info.create_system = 3
        info.external_attr = (0o120777) << 16
        zf.writestr(info, "/etc/passwd")
    rule, _, message = only_rule(path)
    assert rule == "symlink" and "说明.csv" in message
