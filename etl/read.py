"""Bytes → raw sheets: every cell as text, every row with the number the member sees in Excel.

A submission unit is one workbook (.xlsx/.xlsm/.xls), or a CSV bundle (one CSV per sheet, named after the sheet)
given as a folder or a .zip. A folder is read through the same deterministic zip that `source_bytes` archives, so
what is parsed is exactly what is kept. Nothing here interprets the figures; `etl.normalise` does.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import fastexcel
import polars as pl

from core.contract import sheet_id

WORKBOOK_EXTS = {".xlsx", ".xlsm", ".xls"}
BUNDLE_EXT = ".zip"
ROW = "row"  # the grid column holding the Excel row number (CSV: line number)
FIRST = "first"  # RawSheet.first: the first non-empty cell of each row
_EPOCH_ZIP = (1980, 1, 1, 0, 0, 0)
# An Office file with an opening password is an OLE container holding an `EncryptedPackage` stream.
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ENCRYPTED = "EncryptedPackage".encode("utf-16-le")


@dataclass(frozen=True)
class RawSheet:
    """One sheet as the member typed it.

    `grid` has the column `row` (Int64, the row number Excel shows; CSV: the line number) and then `c0`, `c1`, …
    (Utf8, text stripped, blank = null), one per column from the first non-empty one.
    """

    name: str  # the sheet name as it appears in the file (CSV: the file name without .csv)
    grid: pl.DataFrame
    # The first non-empty cell of each row (where notes under a table are recognised), when the reader has it.
    first: pl.Series | None = None

    def first_cells(self) -> pl.Series:
        if self.first is not None:
            return self.first
        cells = [c for c in self.grid.columns if c != ROW]
        if not cells:
            return pl.Series(FIRST, [None] * self.grid.height, dtype=pl.Utf8)
        return self.grid.select(pl.coalesce(cells).alias(FIRST)).to_series()

    @property
    def width(self) -> int:
        return self.grid.width - 1

    def rows(self, limit: int | None = None) -> list[tuple[int, list[str | None]]]:
        """(row number, cells) for the first `limit` rows (all by default), for small scans: headers, 封面."""
        grid = self.grid if limit is None else self.grid.head(limit)
        return [(r[0], list(r[1:])) for r in grid.iter_rows()]


class UnreadableFile(Exception):
    """The unit is not a workbook or CSV bundle we can open; the message is Chinese and names the cause."""


# ── finding submission units ──────────────────────────────────────────────────────────────────────────────────
def _hidden(name: str) -> bool:
    # .DS_Store, ._x (macOS), ~$x.xlsx (Excel's lock file while the workbook is open)
    return name.startswith((".", "~$"))


def is_csv_bundle(folder: Path) -> bool:
    """A folder holding at least one CSV named after a submission sheet (封面.csv, 投訴.csv, complaints.csv …)."""
    return any(p.is_file() and p.suffix.lower() == ".csv" and not _hidden(p.name) and sheet_id(p.stem)
               for p in folder.iterdir())


def find_submissions(paths: list[Path]) -> list[Path]:
    """Expand files and folders (recursively) into submission units, in a stable order.

    A unit is a workbook, a .zip, a folder that is a CSV bundle, or any other file (which `parse_file` rejects as
    unreadable, so that nothing a member sent goes unreported). Hidden files and folders and Excel lock files
    (~$…) are skipped.
    """
    found: list[Path] = []

    def visit(path: Path) -> None:
        if _hidden(path.name):
            return
        if path.is_dir():
            if is_csv_bundle(path):
                found.append(path)
                return
            for child in sorted(path.iterdir()):
                visit(child)
        elif path.is_file():
            found.append(path)

    for p in map(Path, paths):
        if p.is_dir() and not is_csv_bundle(p):
            for child in sorted(p.iterdir()):  # a folder named by the user is searched even if hidden
                visit(child)
        else:
            found.append(p)  # a file named by the user is always a unit (a missing one is reported as unreadable)
    return found


def source_bytes(path: Path) -> tuple[bytes, str]:
    """The bytes archived for a unit and their extension (sha256 is taken over them).

    A folder bundle becomes a zip of its visible files in name order with fixed timestamps, so the same folder
    always gives the same bytes. Raises OSError when the path cannot be read.
    """
    path = Path(path)
    if not path.is_dir():
        return path.read_bytes(), path.suffix.lower() or ".bin"
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        for child in sorted(p for p in path.iterdir() if p.is_file() and not _hidden(p.name)):
            info = zipfile.ZipInfo(child.name, date_time=_EPOCH_ZIP)
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, child.read_bytes())
    return buffer.getvalue(), BUNDLE_EXT


# ── reading a unit ────────────────────────────────────────────────────────────────────────────────────────────
def read_unit(path: Path) -> list[RawSheet]:
    """Every sheet of a unit; raises UnreadableFile (Chinese message) or OSError."""
    return read_bytes(*source_bytes(Path(path)))


def read_bytes(data: bytes, ext: str) -> list[RawSheet]:
    """Every sheet of a unit given as `source_bytes` returns it; raises UnreadableFile (Chinese message)."""
    result = read_many([(data, ext)])[0]
    if isinstance(result, Exception):
        raise result
    return result


def read_many(sources: list[tuple[bytes, str]]) -> list[list[RawSheet] | Exception]:
    """`read_bytes` for many units at once: each unit's sheets, or what that unit raised (UnreadableFile, or
    whatever else the reader tripped on; one bad unit never stops the others). The cells of every sheet are tidied
    in one pass over all of them: a polars query costs about the same for 40 cells as for 40,000, so a query per
    sheet would cost more than the reading."""
    loaded: list[list[_Loaded] | Exception] = []
    for data, ext in sources:
        try:
            loaded.append(_load(data, ext))
        except Exception as exc:  # noqa: BLE001 — reported for this unit only
            loaded.append(exc)
    sheets = [s for unit in loaded if not isinstance(unit, Exception) for s in unit]
    tidied = iter(zip(*_tidy_all(sheets), strict=True))
    result: list[list[RawSheet] | Exception] = []
    for unit in loaded:
        if isinstance(unit, Exception):
            result.append(unit)
            continue
        raws = []
        for sheet in unit:
            grid, first = next(tidied)
            if sheet.merges:  # the first cells are computed again from the filled grid
                raws.append(RawSheet(sheet.name, _fill_merges(grid, sheet.merges)))
            else:
                raws.append(RawSheet(sheet.name, grid, first))
        result.append(raws)
    return result


@dataclass(frozen=True)
class _Loaded:
    """One sheet as loaded, before tidying: `frame` holds the cells (`c0`, `c1`, … as text); `rows` the row number
    of each (CSV: its line), or None for a workbook sheet, numbered from 1 (its leading empty rows are dropped by
    `_tidy_all`)."""

    name: str
    frame: pl.DataFrame
    rows: list[int] | None = None
    merges: _Geometry | None = None


def _load(data: bytes, ext: str) -> list[_Loaded]:
    if not data:
        raise UnreadableFile("文件为空")
    if data.startswith(_OLE_MAGIC) and _ENCRYPTED in data:
        raise UnreadableFile("工作簿设有打开密码（已加密）：请取消密码后重新报送")
    if ext == BUNDLE_EXT:
        return _read_zip(data)
    if ext in WORKBOOK_EXTS:
        return _read_workbook(data, ext)
    if ext == ".csv":
        raise UnreadableFile("单个 CSV 文件不是完整的报送：CSV 报送须为每个工作表一个 CSV（封面.csv、投诉.csv …），"
                             "放在同一文件夹或 .zip 中")
    raise UnreadableFile(f"不支持的文件类型“{ext if ext != '.bin' else '无扩展名'}”：请报送 .xlsx 工作簿或 CSV 文件包")


def _cells(rows: list[list[str | None]]) -> pl.DataFrame:
    width = max((len(cells) for cells in rows), default=0)
    data = {f"c{i}": [cells[i] if i < len(cells) else None for cells in rows] for i in range(width)}
    return pl.DataFrame(data, schema={f"c{i}": pl.Utf8 for i in range(width)})


_ITEM = "_sheet"
_NONEMPTY = "_nonempty"


def _tidy_all(sheets: list[_Loaded]) -> tuple[list[pl.DataFrame], list[pl.Series]]:
    """Every sheet's grid (see RawSheet), in one query over all of them: cell text stripped (spaces, full-width
    spaces, NBSP), an empty cell null, and a workbook sheet's leading empty rows gone (calamine's grid starts at
    the sheet's first non-empty row; `row` keeps the number Excel shows); and each grid's first non-empty cells."""
    if not sheets:
        return [], []
    items: list[int] = []
    rows: list[int] = []
    frames = []
    for k, sheet in enumerate(sheets):
        height = len(sheet.rows) if sheet.rows is not None else sheet.frame.height
        items += [k] * height
        rows += sheet.rows if sheet.rows is not None else range(1, height + 1)
        # a frame without columns would lose its height in the concatenation
        frames.append(sheet.frame if sheet.frame.width else pl.DataFrame({"c0": [None] * height},
                                                                          schema={"c0": pl.Utf8}))
    every = pl.concat(frames, how="diagonal") if len(frames) > 1 else frames[0].clone()  # insert_column is in place
    cells = list(every.columns)
    every.insert_column(0, pl.Series(ROW, rows, dtype=pl.Int64))
    every.insert_column(0, pl.Series(_ITEM, items, dtype=pl.Int32))

    def tidy(cell: pl.Expr) -> pl.Expr:
        text = cell.str.strip_chars()
        return pl.when(text.str.len_bytes() > 0).then(text)

    tidied = every.lazy().with_columns(
        *(tidy(pl.col(c)).alias(c) for c in cells),
        pl.any_horizontal(pl.col(c).is_not_null() for c in cells).alias(_NONEMPTY),  # as loaded, before tidying
    ).with_columns(pl.coalesce(cells).alias(FIRST)).collect()
    nonempty = tidied.get_column(_NONEMPTY).arg_true()
    bounds = []
    start = 0
    for sheet in sheets:
        end = start + (len(sheet.rows) if sheet.rows is not None else sheet.frame.height)
        bounds.append((start, end))
        start = end
    firsts = nonempty.search_sorted(pl.Series([b for b, _ in bounds], dtype=nonempty.dtype)).to_list()
    nonempty_at = nonempty.to_list()
    grids, first_cells = [], []
    for sheet, (start, end), f in zip(sheets, bounds, firsts, strict=True):
        if sheet.rows is None:  # a workbook sheet starts at its first non-empty row
            start = nonempty_at[f] if f < len(nonempty_at) and nonempty_at[f] < end else end
        own = [ROW, *sheet.frame.columns]
        grids.append(pl.DataFrame([tidied.get_column(c).slice(start, end - start) for c in own]))
        first_cells.append(tidied.get_column(FIRST).slice(start, end - start))
    return grids, first_cells


# ── CSV bundles ───────────────────────────────────────────────────────────────────────────────────────────────
def _read_zip(data: bytes) -> list[_Loaded]:
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, OSError) as exc:
        raise UnreadableFile("压缩包已损坏或不是 zip 文件") from exc
    sheets = []
    with zf:
        for info in sorted(zf.infolist(), key=_zip_name):
            name = PurePosixPath(_zip_name(info))
            if info.is_dir() or _hidden(name.name) or "__MACOSX" in name.parts or name.suffix.lower() != ".csv":
                continue
            try:
                payload = zf.read(info)
            except (zipfile.BadZipFile, OSError, RuntimeError, EOFError) as exc:  # RuntimeError: encrypted member
                raise UnreadableFile(f"压缩包中的“{name.name}”无法解压（已损坏或加密）") from exc
            sheets.append(_load_csv(name.stem, payload))
    if not sheets:
        raise UnreadableFile("压缩包中没有 CSV 文件（CSV 报送须为每个工作表一个 CSV，文件名即工作表名）")
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
    """UTF-8 (with or without BOM) or GBK (read as its superset GB18030), as Excel on a Chinese Windows saves CSV."""
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise UnreadableFile("CSV 编码无法识别（应为 UTF-8 或 GBK）")


def read_csv(name: str, data: bytes) -> RawSheet:
    """One CSV of a bundle; each row is numbered with the line it starts on (a quoted cell may span lines)."""
    grids, firsts = _tidy_all([_load_csv(name, data)])
    return RawSheet(name, grids[0], firsts[0])


def _load_csv(name: str, data: bytes) -> _Loaded:
    reader = csv.reader(io.StringIO(decode_text(data), newline=""))
    rows: list[tuple[int, list[str | None]]] = []
    start = 1
    try:
        for cells in reader:
            rows.append((start, [c or None for c in cells]))
            start = reader.line_num + 1
    except csv.Error as exc:
        raise UnreadableFile(f"CSV 文件“{name}.csv”格式错误（第 {start} 行）") from exc
    return _Loaded(name, _cells([cells for _, cells in rows]), rows=[n for n, _ in rows])


# ── workbooks ─────────────────────────────────────────────────────────────────────────────────────────────────
def _read_workbook(data: bytes, ext: str) -> list[_Loaded]:
    try:
        reader = fastexcel.read_excel(data)
        names = reader.sheet_names
    except Exception as exc:  # calamine raises several error types for corrupt files
        raise UnreadableFile("工作簿已损坏、不完整或不是 Excel 文件") from exc
    merges = _xlsx_merges(data) if ext != ".xls" else {}
    sheets = []
    for name in names:
        try:
            # skip_rows=0: the leading empty rows are kept, so the grid's first row is the sheet's row 1.
            frame = reader.load_sheet(name, header_row=None, skip_rows=0, dtypes="string").to_polars()
        except Exception as exc:
            raise UnreadableFile(f"工作表“{name}”无法读取") from exc
        frame.columns = [f"c{i}" for i in range(frame.width)]
        sheets.append(_Loaded(name, frame, merges=merges.get(name)))
    return sheets


@dataclass(frozen=True)
class _Geometry:
    first_col: int = 1  # Excel column number (A = 1) of the grid's first column
    merges: tuple[tuple[int, int, int, int], ...] = ()  # (row1, col1, row2, col2) of each merged range


_CELL_XML = re.compile(rb'<(?:\w+:)?c\b[^>]*?\br="([A-Z]+)\d+"[^>]*?(?<!/)>(.*?)</(?:\w+:)?c>', re.DOTALL)
_HAS_VALUE = re.compile(rb"<(?:\w+:)?(?:v|t)\b[^>]*>[^<]")
_MERGE_XML = re.compile(rb'<(?:\w+:)?mergeCell\b[^>]*?\bref="([A-Z]+)(\d+):([A-Z]+)(\d+)"')


def _col_number(letters: bytes) -> int:
    number = 0
    for ch in letters:
        number = number * 26 + ch - 64
    return number


def _xlsx_merges(data: bytes) -> dict[str, _Geometry]:
    """Sheet name → its merged ranges and where calamine's grid starts, for the sheets that have merged cells
    (best effort). calamine does not report merges; the sheet XML is only searched for them, and the workbook's
    sheet names resolved, when some sheet has them."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            merged = {}
            for info in zf.infolist():
                if info.filename.startswith("xl/worksheets/") and info.filename.endswith(".xml"):
                    xml = zf.read(info)
                    if b"mergeCell" in xml:
                        merged[info.filename] = xml
            if not merged:
                return {}
            workbook = zf.read("xl/workbook.xml").decode("utf-8")
            rels = zf.read("xl/_rels/workbook.xml.rels").decode("utf-8")
            targets: dict[str, str] = {}
            for tag in re.findall(r"<Relationship\b[^>]*>", rels):
                rid, found = re.search(r'\bId="([^"]+)"', tag), re.search(r'\bTarget="([^"]+)"', tag)
                if rid and found:
                    targets[rid.group(1)] = found.group(1)
            result = {}
            for tag in re.findall(r"<(?:\w+:)?sheet\b[^>]*>", workbook):
                name, rid = re.search(r'\bname="([^"]*)"', tag), re.search(r'\br:id="([^"]+)"', tag)
                if not (name and rid and rid.group(1) in targets):
                    continue
                target = targets[rid.group(1)]
                member = target.lstrip("/") if target.startswith("/") else f"xl/{target}"
                geometry = _sheet_merges(merged[member]) if member in merged else None
                if geometry:
                    result[_unescape(name.group(1))] = geometry
            return result
    except (KeyError, zipfile.BadZipFile, UnicodeDecodeError, OSError):
        return {}


def _sheet_merges(xml: bytes) -> _Geometry | None:
    merges = tuple((int(r1), _col_number(c1), int(r2), _col_number(c2))
                   for c1, r1, c2, r2 in _MERGE_XML.findall(xml))
    if not merges:
        return None
    first_col = min((_col_number(m.group(1)) for m in _CELL_XML.finditer(xml) if _HAS_VALUE.search(m.group(2))),
                    default=1)
    return _Geometry(first_col, merges)


def _fill_merges(grid: pl.DataFrame, geo: _Geometry) -> pl.DataFrame:
    """A cell merged down a column reads, on every row it covers, as its value (as a person reads it: 地区 merged
    over the 险种 rows of one region). Merges across columns (titles, grouped headers) are left as they are."""
    if grid.height == 0:
        return grid
    first_row = grid[ROW][0]
    columns = {c: grid[c].to_list() for c in grid.columns if c != ROW}
    for r1, c1, r2, c2 in geo.merges:
        name = f"c{c1 - geo.first_col}"
        if c1 != c2 or name not in columns:
            continue
        cells = columns[name]
        top = r1 - first_row
        if not 0 <= top < len(cells):
            continue
        for i in range(top + 1, min(r2 - first_row + 1, len(cells))):
            if cells[i] is None:
                cells[i] = cells[top]
    return grid.with_columns(pl.Series(c, v, dtype=pl.Utf8) for c, v in columns.items())


def _unescape(text: str) -> str:
    return (text.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", '"')
            .replace("&apos;", "'").replace("&amp;", "&"))
