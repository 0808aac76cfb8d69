"""Bytes → raw sheets: every cell as text, every row with the number the member sees in Excel.

A submission unit is one workbook (.xlsx/.xlsm/.xls), or a CSV bundle (one CSV per sheet, named after the sheet)
given as a folder or a .zip. Nothing here interprets the figures; `etl.normalise` does.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import fastexcel

from etl.text import clean

WORKBOOK_EXTS = {".xlsx", ".xlsm", ".xls"}
_EPOCH_ZIP = (1980, 1, 1, 0, 0, 0)


@dataclass(frozen=True)
class RawSheet:
    name: str  # the sheet name as it appears in the file (CSV: the file stem)
    rows: list[tuple[int, list[str | None]]]  # (row number as Excel shows it, cell texts; None = blank)


class UnreadableFile(Exception):
    """The file is not a workbook or CSV bundle we can open; the message is Chinese and names the cause."""


def _sheet_names() -> set[str]:
    # Every name a sheet may carry (cleaned), so a folder of CSVs can be recognised as a bundle.
    from etl.contract import COVER_SHEET, COVER_SHEET_ALIASES, SHEETS

    names = {clean(COVER_SHEET), *map(clean, COVER_SHEET_ALIASES)}
    for sheet in SHEETS:
        names |= {clean(sheet.zh), clean(sheet.id), *map(clean, sheet.aliases)}
    return names


def _hidden(path: Path) -> bool:
    return path.name.startswith((".", "~$"))


def is_csv_bundle(folder: Path) -> bool:
    names = _sheet_names()
    return any(p.suffix.lower() == ".csv" and clean(p.stem) in names for p in folder.iterdir() if p.is_file())


def find_submissions(paths: list[Path]) -> list[Path]:
    """Expand files and folders (recursively) into submission units, in a stable order."""
    found: list[Path] = []

    def visit(path: Path) -> None:
        if _hidden(path):
            return
        if path.is_dir():
            if is_csv_bundle(path):
                found.append(path)
                return
            for child in sorted(path.iterdir()):
                visit(child)
        elif path.is_file():
            found.append(path)

    for p in paths:
        visit(Path(p))
    return found


def source_bytes(path: Path) -> tuple[bytes, str]:
    """The bytes archived for a unit and their extension; a folder bundle becomes a deterministic zip."""
    path = Path(path)
    if not path.is_dir():
        return path.read_bytes(), path.suffix.lower() or ".bin"
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        for child in sorted(p for p in path.iterdir() if p.is_file() and not _hidden(p)):
            info = zipfile.ZipInfo(child.name, date_time=_EPOCH_ZIP)
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, child.read_bytes())
    return buffer.getvalue(), ".zip"


def read_unit(path: Path) -> list[RawSheet]:
    path = Path(path)
    if path.is_dir():
        return [_read_csv(p.stem, p.read_bytes()) for p in sorted(path.iterdir())
                if p.is_file() and p.suffix.lower() == ".csv" and not _hidden(p)]
    suffix = path.suffix.lower()
    data = path.read_bytes()
    if not data:
        raise UnreadableFile("文件为空")
    if suffix == ".zip":
        return _read_zip(data)
    if suffix in WORKBOOK_EXTS:
        return _read_workbook(data, suffix)
    if suffix == ".csv":
        raise UnreadableFile("单个 CSV 文件不是完整的报送：CSV 报送须为每个工作表一个 CSV（封面.csv、投诉.csv …），"
                             "放在同一文件夹或 .zip 中")
    raise UnreadableFile(f"不支持的文件类型“{suffix or '无扩展名'}”：请报送 .xlsx 工作簿或 CSV 压缩包")


def _read_zip(data: bytes) -> list[RawSheet]:
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile as exc:
        raise UnreadableFile("压缩包已损坏或不是 zip 文件") from exc
    sheets = []
    with zf:
        for info in sorted(zf.infolist(), key=lambda i: i.filename):
            name = _zip_name(info)
            if info.is_dir() or PurePosixPath(name).name.startswith((".", "~$")):
                continue
            if PurePosixPath(name).suffix.lower() == ".csv":
                sheets.append(_read_csv(PurePosixPath(name).stem, zf.read(info)))
    if not sheets:
        raise UnreadableFile("压缩包中没有 CSV 文件")
    return sheets


def _zip_name(info: zipfile.ZipInfo) -> str:
    # Zips made on Chinese Windows store GBK names without the UTF-8 flag; Python decodes them as cp437.
    if info.flag_bits & 0x800:
        return info.filename
    try:
        return info.filename.encode("cp437").decode("gbk")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return info.filename


def decode_text(data: bytes) -> str:
    """UTF-8 (with or without BOM) or GBK/GB18030, as Excel on a Chinese Windows saves CSV."""
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise UnreadableFile("CSV 编码无法识别（应为 UTF-8 或 GBK）")


def _read_csv(name: str, data: bytes) -> RawSheet:
    text = decode_text(data)
    rows = []
    for number, cells in enumerate(csv.reader(io.StringIO(text)), start=1):
        rows.append((number, [_cell(c) for c in cells]))
    return RawSheet(name, rows)


def _cell(value: str | None) -> str | None:
    if value is None:
        return None
    value = value.strip()
    return value or None


def _read_workbook(data: bytes, suffix: str) -> list[RawSheet]:
    try:
        reader = fastexcel.read_excel(data)
        names = reader.sheet_names
    except Exception as exc:  # calamine raises several error types for corrupt files
        raise UnreadableFile("工作簿已损坏、加密或不是 Excel 文件") from exc
    first_rows = _first_rows(data) if suffix != ".xls" else {}
    sheets = []
    for name in names:
        try:
            frame = reader.load_sheet(name, header_row=None, dtypes="string").to_polars()
        except Exception as exc:
            raise UnreadableFile(f"工作表“{name}”无法读取") from exc
        # calamine drops leading empty rows; Excel row numbers must still be the ones the member sees.
        start = first_rows.get(name, 1)
        rows = [(start + i, [_cell(v) for v in row]) for i, row in enumerate(frame.iter_rows())]
        sheets.append(RawSheet(name, rows))
    return sheets


_ROW = re.compile(rb'<(?:\w+:)?row\b[^>]*?\br="(\d+)"[^>]*>(.*?)</(?:\w+:)?row>', re.DOTALL)
_HAS_VALUE = re.compile(rb"<(?:\w+:)?(?:v|t)\b[^>]*>[^<]")


def _first_rows(data: bytes) -> dict[str, int]:
    """Sheet name → number of its first non-empty row, read from the sheet XML (best effort; default 1)."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            workbook = zf.read("xl/workbook.xml").decode("utf-8")
            rels = zf.read("xl/_rels/workbook.xml.rels").decode("utf-8")
            targets = dict(re.findall(r'<Relationship\b[^>]*?Id="([^"]+)"[^>]*?Target="([^"]+)"', rels))
            targets |= {k: v for v, k in re.findall(r'<Relationship\b[^>]*?Target="([^"]+)"[^>]*?Id="([^"]+)"',
                                                      rels)}
            result = {}
            for name, rid in re.findall(r'<sheet\b[^>]*?name="([^"]+)"[^>]*?r:id="([^"]+)"', workbook):
                target = targets.get(rid, "")
                member = target.lstrip("/") if target.startswith("/") else f"xl/{target}"
                xml = zf.read(member)
                for match in _ROW.finditer(xml):
                    if _HAS_VALUE.search(match.group(2)):
                        result[_unescape(name)] = int(match.group(1))
                        break
            return result
    except (KeyError, zipfile.BadZipFile, UnicodeDecodeError):
        return {}


def _unescape(text: str) -> str:
    return (text.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", '"')
            .replace("&apos;", "'").replace("&amp;", "&"))
