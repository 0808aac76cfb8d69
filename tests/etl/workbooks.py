"""Tiny submission fixtures, built in code: a valid submission as rows of cells, and writers for xlsx and CSV bundles.

Figures per region (scaled by `k`), chosen so every contract rule holds:
投诉 premium 1234.5k 万元, policies 20000k, insured 30000k, total 50k = regulator 10k + direct 40k
   = sales 10k + claims 20k + surrender 5k + service 10k + other 5k; resolved 45k, on time 40k, proxy 3k
投诉险种 two lines: 30k + 20k
调解 accepted 10k, voluntary 8k, concluded 9k, succeeded 6k, fulfilled 5k, amount 123.45k 万元, court-linked 2k
宣教 events 12k, offline 1000k, online 5000k, elderly 200k, youth 150k, new citizens 100k, disabled 20k,
   五进入 2k/3k/3k/2k/2k, counties 10, outlets 50, age-friendly 20 (stock: not scaled)
"""

from __future__ import annotations

import csv
import io
import zipfile
from pathlib import Path

import polars as pl
import xlsxwriter
import xlwt

from core.contract import COMPLAINTS, COMPLAINTS_BY_LINE, MEDIATION, OUTREACH
from core.reference import load_regions

Sheets = dict[str, list[list[object]]]

PROPERTY_FIRM = ("F001", "示例安泰财产保险股份有限公司", "示例安泰财险", "安泰财险|示例安泰", "财产险")
LIFE_FIRM = ("F002", "示例康宁人寿保险股份有限公司", "示例康宁人寿", "", "人身险")
LINES = {"财产险": ("机动车辆保险", "健康保险"), "人身险": ("普通人寿保险", "医疗保险")}


def registry_frame() -> pl.DataFrame:
    rows = [PROPERTY_FIRM, LIFE_FIRM]
    return pl.DataFrame(rows, schema=["firm_id", "name", "short_name", "aliases", "firm_type"], orient="row")


def write_registry(path: Path) -> Path:
    registry_frame().write_csv(path)
    return path


def regions_frame() -> pl.DataFrame:
    return load_regions()


def complaints_row(region: str, k: int = 1) -> list[object]:
    return [region, 1234.5 * k, 20000 * k, 30000 * k, 50 * k, 10 * k, 40 * k, 10 * k, 20 * k, 5 * k, 10 * k, 5 * k,
            45 * k, 40 * k, 3 * k]


def mediation_row(region: str, k: int = 1) -> list[object]:
    return [region, 10 * k, 8 * k, 9 * k, 6 * k, 5 * k, 123.45 * k, 2 * k]


def outreach_row(region: str, k: int = 1) -> list[object]:
    return [region, 12 * k, 1000 * k, 5000 * k, 200 * k, 150 * k, 100 * k, 20 * k, 2 * k, 3 * k, 3 * k, 2 * k, 2 * k,
            10, 50, 20]


def good_sheets(firm: str = "示例安泰财险", period: str = "2025Q3", *, basis: str = "当季", version: object = 1,
                regions: tuple[str, ...] = ("广东省", "深圳市"), k: int = 1, firm_type: str = "财产险",
                filled_on: str = "2025-10-15") -> Sheets:
    """A valid submission: sheet name → rows (header first)."""
    lines = LINES[firm_type]
    return {
        "封面": [["公司名称", firm], ["报送期间", period], ["数据口径", basis], ["版本", version],
               ["填报人", "张三"], ["联系电话", "010-12345678"], ["填报日期", filled_on]],
        "投诉": [[c.header for c in COMPLAINTS.columns], *(complaints_row(r, k) for r in regions)],
        "投诉险种": [[c.header for c in COMPLAINTS_BY_LINE.columns],
                 *([r, lines[0], 30 * k] for r in regions), *([r, lines[1], 20 * k] for r in regions)],
        "调解": [[c.header for c in MEDIATION.columns], *(mediation_row(r, k) for r in regions)],
        "宣教": [[c.header for c in OUTREACH.columns], *(outreach_row(r, k) for r in regions)],
    }


def write_rows(sheet, rows: list[list[object]], top: int = 0, left: int = 0) -> None:
    """`rows` into an xlsxwriter worksheet from (top, left), blanks (None) left unwritten."""
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            if value is not None:
                sheet.write(top + r, left + c, value)


def write_xlsx(path: Path, sheets: Sheets) -> Path:
    workbook = xlsxwriter.Workbook(str(path))
    for name, rows in sheets.items():
        write_rows(workbook.add_worksheet(name), rows)
    workbook.close()
    return path


def write_xls(path: Path, sheets: Sheets, top: int = 0, left: int = 0) -> Path:
    """An Excel 97–2003 workbook (.xls, BIFF8): every sheet's rows from (top, left)."""
    workbook = xlwt.Workbook(encoding="utf-8")
    for name, rows in sheets.items():
        sheet = workbook.add_sheet(name)
        for r, row in enumerate(rows):
            for c, value in enumerate(row):
                if value is not None:
                    sheet.write(top + r, left + c, value)
    workbook.save(str(path))
    return path


def _csv_bytes(rows: list[list[object]], encoding: str) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows([["" if v is None else v for v in row] for row in rows])
    return buffer.getvalue().encode(encoding)


def write_csv_bundle(target: Path, sheets: Sheets, encoding: str = "utf-8-sig") -> Path:
    """A folder of CSVs, or a .zip when `target` ends in .zip; one CSV per sheet, named after the sheet."""
    if target.suffix == ".zip":
        with zipfile.ZipFile(target, "w") as zf:
            for name, rows in sheets.items():
                zf.writestr(f"{name}.csv", _csv_bytes(rows, encoding))
        return target
    target.mkdir(parents=True, exist_ok=True)
    for name, rows in sheets.items():
        (target / f"{name}.csv").write_bytes(_csv_bytes(rows, encoding))
    return target


# ── hostile and broken files (tests/etl/test_read.py) ─────────────────────────────────────────────────────────
def rewrite_zip(path: Path, changes: dict[str, bytes | None], target: Path | None = None) -> Path:
    """A copy of a zip (an .xlsx is one) with members replaced (bytes), removed (None) or added."""
    target = target or path
    with zipfile.ZipFile(path) as zf:
        members = [(i, zf.read(i)) for i in zf.infolist()]
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as zf:
        for info, data in members:
            if info.filename in changes:
                data = changes.pop(info.filename)
                if data is None:
                    continue
            zf.writestr(info, data, compress_type=zipfile.ZIP_DEFLATED)
        for name, data in changes.items():
            if data is not None:
                zf.writestr(name, data)
    return target


def deflated_zip(path: Path, members: dict[str, tuple[bytes, int]], declared: dict[str, int] | None = None
                 ) -> Path:
    """A zip written by hand, each member `name: (chunk, times)` deflated as `chunk` repeated `times` times
    (streamed, so a member inflating to gigabytes costs only its packed size), its header declaring `declared[name]`
    as the inflated size when given (a lying header) instead of the true one."""
    import struct
    import zlib

    local, central = b"", b""
    for name, (chunk, times) in members.items():
        packer = zlib.compressobj(9, zlib.DEFLATED, -15)
        crc, parts = 0, []
        for _ in range(times):
            parts.append(packer.compress(chunk))
            crc = zlib.crc32(chunk, crc)
        parts.append(packer.flush())
        packed = b"".join(parts)
        size = (declared or {}).get(name, len(chunk) * times)
        raw = name.encode("utf-8")
        offset = len(local)
        local += struct.pack("<4sHHHHHIIIHH", b"PK\x03\x04", 20, 0x800, 8, 0, 0x21, crc, len(packed), size, len(raw),
                             0) + raw + packed
        central += struct.pack("<4sHHHHHHIIIHHHHHII", b"PK\x01\x02", 20, 20, 0x800, 8, 0, 0x21, crc, len(packed),
                               size, len(raw), 0, 0, 0, 0, 0, offset) + raw
    end = struct.pack("<4sHHHHIIH", b"PK\x05\x06", 0, 0, len(members), len(members), len(central), len(local), 0)
    path.write_bytes(local + central + end)
    return path


def write_xlsx_with(path: Path, sheets: Sheets, *, hidden: tuple[str, ...] = (),
                    cells: dict[tuple[str, int, int], object] | None = None) -> Path:
    """`write_xlsx`, with some sheets hidden and extra cells (sheet, row, col) → value written, e.g. a stray cell."""
    workbook = xlsxwriter.Workbook(str(path))
    for name, rows in sheets.items():
        sheet = workbook.add_worksheet(name)
        write_rows(sheet, rows)
        for (where, r, c), value in (cells or {}).items():
            if where == name:
                sheet.write(r, c, value)
        if name in hidden:
            sheet.hide()
    visible = [n for n in sheets if n not in hidden]
    if visible:
        workbook.get_worksheet_by_name(visible[0]).activate()
    workbook.close()
    return path
