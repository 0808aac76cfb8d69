"""Bytes → raw sheets: every cell as text, every row with the number the member sees in Excel.

A submission unit is one workbook (.xlsx/.xlsm/.xls), or a CSV bundle (one CSV per sheet, named after the sheet)
given as a folder or a .zip. A folder is read through the same deterministic zip that `source_bytes` archives, so
what is parsed is exactly what is kept. Nothing here interprets the figures; `etl.normalise` does.
"""

from __future__ import annotations

import csv
import io
import os
import re
import stat
import zipfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

import fastexcel
import polars as pl

from core.contract import sheet_id
from core.settings import LIMIT_ENV, MIB, RATIO_FLOOR_BYTES, ReadLimits, read_limits

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
    """The unit is not a workbook or CSV bundle we can read; the message is Chinese and names the cause.

    `rule` is the rule id it breaks (`unreadable_file`, or one of core.contract.FILE_RULES), `sheet`, `row` and
    `column` where in the file, when one place is to blame."""

    def __init__(self, message: str, *, rule: str = "unreadable_file", sheet: str | None = None,
                 row: int | None = None, column: str | None = None) -> None:
        super().__init__(message)
        self.rule, self.sheet, self.row, self.column = rule, sheet, row, column


class Refused(UnreadableFile, OSError):
    """`source_bytes` will not read the unit at all (a symbolic link, over the size limit, not a regular file): it
    has no bytes to hash or archive. An OSError, so that every caller of `source_bytes` already handles it."""


def _limit_note(limit: str, limits: ReadLimits) -> str:
    """上限 16 MiB（XIAOBAO_MAX_MEMBER_MIB）: a limit as a member and the secretariat read it."""
    env, _ = LIMIT_ENV[limit]
    value = getattr(limits, limit)
    shown = f"{value // MIB} MiB" if limit.endswith("_bytes") else f"{value}"
    return f"上限 {shown}（可由环境变量 {env} 调整）"


def _mib(size: int) -> str:
    return f"{size / MIB:.1f} MiB"


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

    Symbolic links found inside a folder are never followed: each is a unit that is rejected as a link. A path the
    user names is taken as named.
    """
    found: list[Path] = []

    def visit(path: Path) -> None:
        if _hidden(path.name):
            return
        if path.is_symlink():  # never followed: reported (source_bytes refuses it), whatever it points at
            found.append(path)
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
        if p.is_symlink():  # the user chose this path: taken as what it names
            p = Path(os.path.realpath(p))
        if p.is_dir() and not is_csv_bundle(p):
            for child in sorted(p.iterdir()):  # a folder named by the user is searched even if hidden
                visit(child)
        else:
            found.append(p)  # a file named by the user is always a unit (a missing one is reported as unreadable)
    return found


def source_bytes(path: Path) -> tuple[bytes, str]:
    """The bytes archived for a unit and their extension (sha256 is taken over them).

    A folder bundle becomes a zip of its visible files in name order with fixed timestamps, so the same folder
    always gives the same bytes; a symbolic link in it is stored as a link (its target's text, never its target's
    contents), which `read_bytes` then rejects by name. Raises OSError when the path cannot be read, and `Refused`
    (an OSError) for a symbolic link, anything but a regular file or folder, or more bytes than the limits allow.
    """
    path = Path(path)
    limits = read_limits()
    if path.is_symlink():
        raise Refused(f"“{path.name}”是符号链接，未读取其指向的文件", rule="symlink")
    if not path.is_dir():
        return _read_regular(path, limits.file_bytes, "file_bytes", limits), path.suffix.lower() or ".bin"
    buffer = io.BytesIO()
    total = 0
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        for child in sorted(path.iterdir()):
            if _hidden(child.name):
                continue
            mode = child.lstat().st_mode
            info = zipfile.ZipInfo(child.name, date_time=_EPOCH_ZIP)
            info.compress_type = zipfile.ZIP_DEFLATED
            if stat.S_ISLNK(mode):
                info.create_system = 3  # unix: the mode bits below mark the member as a link
                info.external_attr = (stat.S_IFLNK | 0o777) << 16
                zf.writestr(info, os.readlink(child))
            elif stat.S_ISREG(mode):
                data = _read_regular(child, limits.member_bytes, "member_bytes", limits)
                total += len(data)
                if total > limits.file_bytes:
                    raise Refused(f"文件夹中的文件合计超过 {_mib(limits.file_bytes)}，合计"
                                  f"{_limit_note('file_bytes', limits)}", rule="file_too_large")
                zf.writestr(info, data)
    return buffer.getvalue(), BUNDLE_EXT


def _read_regular(path: Path, limit: int, which: str, limits: ReadLimits) -> bytes:
    """A regular file's bytes, never through a symbolic link, and never more than `limit` of them."""
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise Refused(f"“{path.name}”不是普通文件，未读取")
        if info.st_size > limit:
            raise Refused(f"“{path.name}”大小 {_mib(info.st_size)}，{_limit_note(which, limits)}",
                          rule="file_too_large")
        with os.fdopen(fd, "rb", closefd=False) as handle:
            data = handle.read(info.st_size + 1)  # read(n) allocates n bytes at once: never the limit itself
            if len(data) > info.st_size:
                data += handle.read(limit + 1 - len(data))
    finally:
        os.close(fd)
    if len(data) > limit:  # it grew while being read
        raise Refused(f"“{path.name}”大小超过 {_mib(limit)}，{_limit_note(which, limits)}", rule="file_too_large")
    return data


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
        rows_of_sheet = tidied.slice(start, end - start)  # one slice of the frame, not one per column
        grids.append(rows_of_sheet[[ROW, *sheet.frame.columns]])
        first_cells.append(rows_of_sheet.get_column(FIRST))
    return grids, first_cells


# ── CSV bundles ───────────────────────────────────────────────────────────────────────────────────────────────
def _read_zip(data: bytes) -> list[_Loaded]:
    limits = read_limits()
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, OSError) as exc:
        raise UnreadableFile("压缩包已损坏或不是 zip 文件") from exc
    sheets = []
    with zf:
        members = []
        for info in sorted(zf.infolist(), key=_zip_name):
            raw_name = _zip_name(info)
            if _unsafe_name(raw_name):
                raise UnreadableFile(f"“{raw_name}”", rule="unsafe_member")
            if stat.S_ISLNK(info.external_attr >> 16):
                raise UnreadableFile(f"压缩包中的“{raw_name}”", rule="symlink")
            name = PurePosixPath(raw_name)
            if info.is_dir() or _hidden(name.name) or "__MACOSX" in name.parts or name.suffix.lower() != ".csv":
                continue
            members.append((info, name))
        _check_sizes([(info, str(name)) for info, name in members], limits, "压缩包")
        for info, name in members:
            sheets.append(_load_csv(name.stem, _inflate(zf, info, str(name), limits), limits))
    if not sheets:
        raise UnreadableFile("压缩包中没有 CSV 文件（CSV 报送须为每个工作表一个 CSV，文件名即工作表名）")
    _check_duplicates([s.name for s in sheets], suffix=".csv")
    return sheets


def _unsafe_name(name: str) -> bool:
    """An absolute path (/x, \\x, C:x) or one that climbs out (..): never a member of a bundle."""
    return name.startswith(("/", "\\")) or re.match(r"[A-Za-z]:", name) is not None \
        or ".." in re.split(r"[\\/]", name)


def _check_sizes(members: list[tuple[zipfile.ZipInfo, str]], limits: ReadLimits, kind: str) -> None:
    """The declared sizes of the parts to be inflated, against the limits, before any is inflated."""
    total = 0
    for info, name in members:
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise UnreadableFile(f"{kind}中的“{name}”使用了不支持的压缩方式（只接受 Deflate 或不压缩）")
        if info.file_size > limits.member_bytes:
            raise UnreadableFile(f"{kind}中的“{name}”解压后 {_mib(info.file_size)}，单个文件"
                                 f"{_limit_note('member_bytes', limits)}", rule="zip_limit")
        if info.file_size > RATIO_FLOOR_BYTES and info.file_size > limits.ratio * max(info.compress_size, 1):
            ratio = info.file_size // max(info.compress_size, 1)
            raise UnreadableFile(f"{kind}中的“{name}”压缩比 {ratio}:1，压缩比{_limit_note('ratio', limits)}",
                                 rule="zip_limit")
        total += info.file_size
        if total > limits.bundle_bytes:
            raise UnreadableFile(f"{kind}解压后合计超过 {_mib(limits.bundle_bytes)}，合计"
                                 f"{_limit_note('bundle_bytes', limits)}", rule="zip_limit")


def _inflate(zf: zipfile.ZipFile, info: zipfile.ZipInfo, name: str, limits: ReadLimits, *, keep: bool = True
             ) -> bytes:
    """One part inflated, never past its declared size (checked against the limits by `_check_sizes`): zipfile
    stops there and checks the CRC, so a header that lies about the size is an error, not a bomb. Only Deflate and
    stored parts get here, whose inflation zipfile bounds per chunk. `keep=False` measures a part a chunk at a time
    without keeping it."""
    try:
        if keep:
            data = zf.read(info)
        else:
            with zf.open(info) as part:
                size = 0
                while chunk := part.read(MIB):
                    size += len(chunk)
            data = b""
    except (zipfile.BadZipFile, OSError, RuntimeError, EOFError, ValueError) as exc:  # RuntimeError: encrypted
        raise UnreadableFile(f"“{name}”无法解压（已损坏或加密）") from exc
    if (len(data) if keep else size) > min(info.file_size, limits.member_bytes):  # never, as zipfile stops
        raise UnreadableFile(f"“{name}”解压后超过声明的大小或单个文件{_limit_note('member_bytes', limits)}",
                             rule="zip_limit")
    return data


def _check_duplicates(names: list[str], suffix: str = "") -> None:
    """Two sheets (CSV files) that are the same contract sheet: an error naming both, never one chosen silently."""
    seen: dict[str, str] = {}
    for name in names:
        sid = sheet_id(name)
        if sid is None:
            continue
        if sid in seen:
            raise UnreadableFile(f"“{seen[sid]}{suffix}”与“{name}{suffix}”", rule="duplicate_sheet", sheet=name)
        seen[sid] = name


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


def _load_csv(name: str, data: bytes, limits: ReadLimits | None = None) -> _Loaded:
    limits = limits or read_limits()
    reader = csv.reader(io.StringIO(decode_text(data), newline=""))
    rows: list[tuple[int, list[str | None]]] = []
    start = 1
    try:
        for cells in reader:
            if len(rows) == limits.sheet_rows:  # one more than allowed: counted, not kept
                total = len(rows) + 1 + sum(1 for _ in reader)
                raise UnreadableFile(f"“{name}.csv”有 {total} 行，行数{_limit_note('sheet_rows', limits)}",
                                     rule="sheet_too_large", sheet=name)
            if len(cells) > limits.sheet_cols:
                raise UnreadableFile(f"“{name}.csv”第 {start} 行有 {len(cells)} 列，列数"
                                     f"{_limit_note('sheet_cols', limits)}", rule="sheet_too_large", sheet=name,
                                     row=start)
            rows.append((start, [c or None for c in cells]))
            start = reader.line_num + 1
    except csv.Error as exc:
        raise UnreadableFile(f"CSV 文件“{name}.csv”格式错误（第 {start} 行）") from exc
    return _Loaded(name, _cells([cells for _, cells in rows]), rows=[n for n, _ in rows])


# ── workbooks ─────────────────────────────────────────────────────────────────────────────────────────────────
def _read_workbook(data: bytes, ext: str) -> list[_Loaded]:
    """Every visible sheet. An .xlsx is first checked (`_scan_xlsx`) so that calamine is never handed a sheet it
    would need unbounded memory for; a hidden sheet is never read, and a contract sheet that is only there hidden,
    or there twice, rejects the file."""
    scan = _scan_xlsx(data, read_limits()) if ext != ".xls" else _Scan()
    try:
        reader = fastexcel.read_excel(data)
        names = reader.sheet_names
    except Exception as exc:  # calamine raises several error types for corrupt files
        raise UnreadableFile("工作簿已损坏、不完整或不是 Excel 文件") from exc
    sheets = []
    hidden = []
    for name in names:
        if name in scan.skip:
            continue
        try:
            # skip_rows=0: the leading empty rows are kept, so the grid's first row is the sheet's row 1.
            sheet = reader.load_sheet(name, header_row=None, skip_rows=0, dtypes="string")
            if sheet.visible != "visible":
                hidden.append(name)
                continue
            frame = sheet.to_polars()
        except Exception as exc:
            raise UnreadableFile(f"工作表“{name}”无法读取") from exc
        frame.columns = [f"c{i}" for i in range(frame.width)]
        sheets.append(_Loaded(name, frame, merges=scan.merges.get(name)))
    _check_duplicates([s.name for s in sheets])
    shown = {sheet_id(s.name) for s in sheets}
    for name in hidden:
        if sheet_id(name) and sheet_id(name) not in shown:
            raise UnreadableFile(f"工作表“{name}”是隐藏的", rule="hidden_sheet", sheet=name)
    return sheets


@dataclass(frozen=True)
class _Scan:
    """What `_scan_xlsx` found: the merged ranges of the sheets that have them, and the sheets not to load at all
    (too large, but hidden or not a contract sheet, so not needed)."""

    merges: dict[str, _Geometry] = field(default_factory=dict)
    skip: frozenset[str] = frozenset()


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


# The common case, checked with byte counts: every cell's reference (written first, as Excel, WPS, xlsxwriter and
# openpyxl write it) is one letter and at most three digits, so the sheet is within Z999; anything else is counted
# exactly (`_extent`). Letters are mapped to A and digits to 0 first, so that a count finds every such reference.
_SHAPES = bytes.maketrans(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", b"A" * 26 + b"0" * 10)
_SMALL_EXTENT = (999, 26)
_TAG_XML = re.compile(rb"<(?:\w+:)?(row|c)\b([^>]*?)(/?)>")
_REF_ATTR = re.compile(rb'\br="([A-Za-z]*)(\d*)"')
_ANY_CELL_XML = re.compile(rb"<((?:\w+:)?)c\b([^>]*?)(?<!/)>(.*?)</\1c>", re.DOTALL)
_FORMULA = re.compile(rb"<(?:\w+:)?f\b")
# Every sheet with formulas has a formula element ending `f>` (<f>, </f>, </x:f>): one search finds the candidates.
_FORMULA_HINT = b"f>"
_VALUE = re.compile(rb"<(?:\w+:)?v\b[^>]*?(/?)>([^<]*)")
_TYPE_ATTR = re.compile(rb'\bt="([^"]*)"')
_WORKSHEET = re.compile(r"xl/worksheets/[^/]+\.xml")
# A deflate stream inflates at most about 1032 to 1: a part packed smaller than limit/1032 cannot exceed the limit.
_DEFLATE_MAX_RATIO = 1032
_CELLS_LISTED = 5


def _col_letters(number: int) -> str:
    letters = ""
    while number > 0:
        number, rest = divmod(number - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def _scan_xlsx(data: bytes, limits: ReadLimits) -> _Scan:
    """An .xlsx checked before calamine reads it, from the parts of its zip:
    - every part's declared size, and the actual size of every part that could exceed it (a zip bomb);
    - each sheet's extent (calamine allocates every cell from the first to the last non-empty one: a stray cell at
      XFD1048576 would need hundreds of GB), against the limits in rows and columns;
    - formulas without a stored result (a workbook written by a program and never opened in Excel or WPS);
    - merged ranges, which calamine does not report.
    A sheet too large that is hidden or no contract sheet is not loaded; a visible contract sheet too large, or
    with formulas without results, rejects the file. A part that is not a zip is left to calamine to report."""
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, OSError):
        return _Scan()
    with zf:
        infos = [i for i in zf.infolist() if not i.is_dir()]
        _check_sizes([(i, i.filename) for i in infos], limits, "工作簿")
        xmls: dict[str, bytes] = {}
        for info in infos:
            if _WORKSHEET.fullmatch(info.filename):
                xmls[info.filename] = _inflate(zf, info, info.filename, limits)
            elif info.compress_size * _DEFLATE_MAX_RATIO > limits.member_bytes:
                _inflate(zf, info, info.filename, limits, keep=False)  # could lie about its size: measured
        exact = limits.sheet_rows < _SMALL_EXTENT[0] or limits.sheet_cols < _SMALL_EXTENT[1]
        large = {m: e for m, x in xmls.items() if (e := _too_large(x, limits, exact))}
        formulas = {m for m, x in xmls.items() if _FORMULA_HINT in x}
        merged = {m for m, x in xmls.items() if b"mergeCell" in x}
        if not (large or formulas or merged):
            return _Scan()
        sheets, recalc = _sheet_members(zf)
    merges: dict[str, _Geometry] = {}
    skip = set()
    for name, member, visible in sheets:
        if member not in xmls:
            continue
        needed = visible and sheet_id(name) is not None
        if member in large:
            if not needed:
                skip.add(name)
                continue
            raise UnreadableFile(large[member], rule="sheet_too_large", sheet=name)
        if needed and member in formulas:
            _check_formulas(xmls[member], name, recalc)
        if member in merged and (geometry := _sheet_merges(xmls[member])):
            merges[name] = geometry
    return _Scan(merges, frozenset(skip))


def _sheet_members(zf: zipfile.ZipFile) -> tuple[list[tuple[str, str, bool]], bool]:
    """(sheet name, its part, visible) in workbook order, and whether the workbook asks to be recalculated when
    opened (`fullCalcOnLoad`: what xlsxwriter and openpyxl write, whose stored results are placeholders)."""
    try:
        workbook = zf.read("xl/workbook.xml").decode("utf-8")
        rels = zf.read("xl/_rels/workbook.xml.rels").decode("utf-8")
    except (KeyError, zipfile.BadZipFile, UnicodeDecodeError, OSError):
        return [], False
    targets: dict[str, str] = {}
    for tag in re.findall(r"<Relationship\b[^>]*>", rels):
        rid, found = re.search(r'\bId="([^"]+)"', tag), re.search(r'\bTarget="([^"]+)"', tag)
        if rid and found:
            targets[rid.group(1)] = found.group(1)
    sheets = []
    for tag in re.findall(r"<(?:\w+:)?sheet\b[^>]*>", workbook):
        name, rid = re.search(r'\bname="([^"]*)"', tag), re.search(r'\br:id="([^"]+)"', tag)
        if not (name and rid and rid.group(1) in targets):
            continue
        target = targets[rid.group(1)]
        member = target.lstrip("/") if target.startswith("/") else f"xl/{target}"
        state = re.search(r'\bstate="([^"]*)"', tag)
        sheets.append((_unescape(name.group(1)), member, not state or state.group(1) == "visible"))
    recalc = re.search(r'\bfullCalcOnLoad="(?:1|true)"', workbook) is not None
    return sheets, recalc


def _too_large(xml: bytes, limits: ReadLimits, exact: bool) -> str | None:
    """Why the sheet's extent (first to last non-empty cell) is over the limits, or None. The common case costs a
    translation and a few byte counts (see _SHAPES)."""
    if not exact:
        shapes = xml.translate(_SHAPES)
        cells = shapes.count(b"<c ") + shapes.count(b"<c>")
        small = shapes.count(b'<c r="A0') - shapes.count(b'<c r="A0000')
        if cells == small and b"<sheetData" in xml:  # (no <sheetData: prefixed tags, left to the exact count)
            return None
    extent = _extent(xml)
    if extent is None:
        return None
    (top, left), (bottom, right), far = extent
    rows, cols = bottom - top + 1, right - left + 1
    if rows <= limits.sheet_rows and cols <= limits.sheet_cols:
        return None
    span = (f"有内容的单元格从 {_col_letters(left)}{top} 到 {_col_letters(right)}{bottom}，"
            f"共 {rows} 行 × {cols} 列，最远的是 {far}")
    over = (f"行数{_limit_note('sheet_rows', limits)}" if rows > limits.sheet_rows
            else f"列数{_limit_note('sheet_cols', limits)}")
    return f"{span}；{over}；请删除表格以外的内容后重新报送"


def _extent(xml: bytes) -> tuple[tuple[int, int], tuple[int, int], str] | None:
    """((first row, first column), (last row, last column), the farthest cell) over the cells with content, placed as
    calamine places them (a cell or row without a reference follows the one before)."""
    row, col = 0, 0
    top = left = 1 << 62
    bottom = right = 0
    far, far_key = "", (0, 0)
    for kind, attrs, empty in _TAG_XML.findall(xml):
        ref = _REF_ATTR.search(attrs)
        if kind == b"row":
            row = int(ref.group(2)) if ref and ref.group(2) else row + 1
            col = 0
            continue
        if ref and ref.group(1):
            col = _col_number(ref.group(1).upper())
            row = int(ref.group(2)) if ref.group(2) else row
        else:
            col += 1
        if empty:  # <c r="…" s="…"/>: formatted, no content (calamine leaves it out)
            continue
        top, left, bottom, right = min(top, row), min(left, col), max(bottom, row), max(right, col)
        if (row * col, row) > far_key:
            far_key, far = (row * col, row), f"{_col_letters(col)}{row}"
    if not bottom:
        return None
    return (top, left), (bottom, right), far


def _check_formulas(xml: bytes, sheet: str, recalc: bool) -> None:
    """Formula cells without a stored result: no value, or an empty one that is not a text result; and, when the
    workbook asks to be recalculated on opening, a stored 0 (the placeholder programs write). Raises naming the first
    cells; a member fixes them all by opening and saving the file in Excel or WPS."""
    missing = []
    for _, attrs, content in _ANY_CELL_XML.findall(xml):
        if not _FORMULA.search(content):
            continue
        value = _VALUE.search(content)
        kind = _TYPE_ATTR.search(attrs)
        text_result = kind is not None and kind.group(1) in (b"str", b"inlineStr")
        if value is None or (not value.group(2).strip() and not text_result) or (recalc and value.group(2) == b"0"):
            ref = _REF_ATTR.search(attrs)
            missing.append(ref.group(1).decode() + ref.group(2).decode() if ref else "?")
    if not missing:
        return
    first = missing[0]
    match = re.fullmatch(r"([A-Z]+)(\d+)", first)
    cells = "、".join(missing[:_CELLS_LISTED])
    if len(missing) > _CELLS_LISTED:
        cells += f" 等 {len(missing)} 个单元格"
    cause = "文件要求打开时重新计算，保存的结果只是占位的 0" if recalc else "单元格只有公式、没有值"
    raise UnreadableFile(f"单元格 {cells}；{cause}，多见于由程序生成、从未在 Excel 或 WPS 中打开保存的文件",
                         rule="formula_no_value", sheet=sheet, row=int(match.group(2)) if match else None,
                         column=match.group(1) if match else None)


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
