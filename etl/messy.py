"""A submission as the member's spreadsheet shows it, the ways real members deviate from the template,
and the writers that put it on disk (xlsx, or a CSV bundle as a folder or a .zip).

`Book` holds exactly the cells a person would see; `etl.demo` builds a clean one from the contract, and
each transform here rewrites it the way a real member's workbook differs (DOMAIN.md "Normalise"). Every
transform keeps the figures a correct parser reads back unchanged: money converted to 元 or 亿元 only where
the conversion back to 万元 is exact, `1.2万` only where it is exact, `-`/`无` only for 0, a 合计 row that
really is the sum of the regions.
"""

from __future__ import annotations

import csv
import io
import random
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Literal

import xlsxwriter
from opencc import OpenCC

from etl.contract import SHEETS_BY_ID
from etl.reference import load_regions

Cell = str | int | Decimal | None
Format = Literal["xlsx", "csv_dir", "csv_zip"]

# Written into every workbook so that the same figures give the same bytes (xlsxwriter otherwise stamps now()).
FIXED_CREATED = datetime(2025, 1, 1, 8, 0, 0)
_ZIP_DATE = (2025, 1, 1, 8, 0, 0)
TOTAL_LABELS = ("合计", "总计")
_S2T = OpenCC("s2t")


@dataclass
class Table:
    """One data sheet: header row, region rows, optional title line above, 合计 row and notes below."""

    dataset: str  # contract Sheet.id
    name: str  # sheet name as written
    ids: list[str]  # contract column id of each column, for the transforms
    headers: list[str]  # header text as written
    rows: list[list[Cell]]
    title: str | None = None
    total: list[Cell] | None = None
    notes: list[str] = field(default_factory=list)

    def col(self, id_: str) -> int:
        return self.ids.index(id_)

    def grid(self) -> list[list[Cell]]:
        """Every line as the member sees it, top to bottom (blank line before the notes)."""
        lines: list[list[Cell]] = [[self.title]] if self.title else []
        lines.append(list(self.headers))
        lines.extend(self.rows)
        if self.total is not None:
            lines.append(self.total)
        if self.notes:
            lines.append([])
            lines.extend([[n] for n in self.notes])
        return lines


@dataclass
class Book:
    """A whole submission: the 封面 key/value pairs and the data sheets, plus how it is saved."""

    cover_name: str
    cover: list[list[Cell]]  # [key, value] pairs
    tables: list[Table]
    fmt: Format = "xlsx"
    encoding: str = "utf-8"  # CSV only: utf-8, utf-8-sig (with BOM) or gbk

    def table(self, dataset: str) -> Table:
        return next(t for t in self.tables if t.dataset == dataset)

    def suffix(self) -> str:
        return {"xlsx": ".xlsx", "csv_dir": "", "csv_zip": ".zip"}[self.fmt]


# --------------------------------------------------------------------------------------------- writers

def write_book(book: Book, path: Path) -> Path:
    """Save `book` at `path` (the suffix is added for xlsx and zip) and return the submission unit's path."""
    target = path.with_name(path.name + book.suffix())
    if book.fmt == "xlsx":
        _write_xlsx(book, target)
    elif book.fmt == "csv_dir":
        target.mkdir(parents=True, exist_ok=False)
        for name, data in _csv_files(book):
            (target / name).write_bytes(data)
    else:
        with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as zf:
            for name, data in _csv_files(book):
                info = zipfile.ZipInfo(name, date_time=_ZIP_DATE)
                info.compress_type = zipfile.ZIP_DEFLATED
                zf.writestr(info, data)
    return target


def _write_xlsx(book: Book, path: Path) -> None:
    wb = xlsxwriter.Workbook(str(path), {"in_memory": True})
    wb.set_properties({"created": FIXED_CREATED, "author": "xiaobao demo"})
    bold = wb.add_format({"bold": True})
    cover = wb.add_worksheet(book.cover_name)
    cover.set_column(0, 0, 14)
    cover.set_column(1, 1, 36)
    for r, pair in enumerate(book.cover):
        cover.write_string(r, 0, str(pair[0]), bold)
        _write_cell(cover, r, 1, pair[1])
    for table in book.tables:
        ws = wb.add_worksheet(table.name)
        ws.set_column(0, len(table.headers) - 1, 15)
        header_row = 1 if table.title else 0
        for r, line in enumerate(table.grid()):
            for c, value in enumerate(line):
                if r == header_row:
                    ws.write_string(r, c, str(value), bold)
                else:
                    _write_cell(ws, r, c, value)
        ws.freeze_panes(header_row + 1, 0)
    wb.close()


def _write_cell(ws, row: int, col: int, value: Cell) -> None:
    if value is None:
        return
    if isinstance(value, str):
        ws.write_string(row, col, value)
    else:
        ws.write_number(row, col, float(value) if isinstance(value, Decimal) else value)


def _csv_files(book: Book) -> list[tuple[str, bytes]]:
    """One CSV per sheet, named after the sheet, as Excel saves them (CRLF, quoted where needed)."""
    files = [(f"{book.cover_name}.csv", _csv_bytes(book.cover, book.encoding))]
    files += [(f"{t.name}.csv", _csv_bytes(t.grid(), book.encoding)) for t in book.tables]
    return files


def _csv_bytes(lines: list[list[Cell]], encoding: str) -> bytes:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    for line in lines:
        writer.writerow(["" if v is None else _plain(v) for v in line])
    return buf.getvalue().encode(encoding)


def _plain(value: Cell) -> str:
    return format(value, "f") if isinstance(value, Decimal) else str(value)


# ------------------------------------------------------------------------------------------ transforms
# Each transform rewrites a freshly built Book in place; `rng` makes every choice, so a seed fixes the bytes.

Transform = Callable[[Book, random.Random], None]


def add_total_row(book: Book, rng: random.Random) -> None:
    """A 合计/总计 row under the regions of every one-row-per-region sheet, equal to their sum."""
    label = rng.choice(TOTAL_LABELS)
    for table in book.tables:
        if table.dataset == "complaints_by_line":
            continue  # a long sheet has no meaningful total row
        total: list[Cell] = [label]
        for c in range(1, len(table.ids)):
            values = [row[c] for row in table.rows if row[c] is not None]
            total.append(sum(values[1:], values[0]) if values else None)
        table.total = total


def money_in_yuan_or_yi(book: Book, rng: random.Random) -> None:
    """Money columns in 元 or 亿元 (unit written in the header), scaled so the 万元 value read back is exact."""
    for table in book.tables:
        for c, id_ in enumerate(table.ids):
            column = SHEETS_BY_ID[table.dataset].column(id_)
            if column.kind != "money":
                continue
            cells = [row[c] for row in table.rows] + ([table.total[c]] if table.total else [])
            unit = "亿元" if rng.random() < 0.4 and all(_yi_exact(v) for v in cells) else "元"
            factor = Decimal(10000) if unit == "元" else Decimal("0.0001")
            for row in table.rows + ([table.total] if table.total else []):
                if row[c] is not None:
                    row[c] = _tidy(Decimal(row[c]) * factor)
            bracket = rng.choice(("({})", "（{}）"))
            table.headers[c] = column.zh + bracket.format(unit)


def _yi_exact(value: Cell) -> bool:
    """True when value 万元 written in 亿元 reads back as exactly the same double, multiplied or divided."""
    if value is None:
        return True
    yi = Decimal(value) / 10000
    exact = float(Decimal(value))
    return float(yi) * 10000 == exact and float(yi * 10000) == exact and float(yi) / 0.0001 == exact


def _tidy(value: Decimal) -> Decimal | int:
    value = value.normalize()
    return int(value) if value == value.to_integral_value() else value


def count_units_in_headers(book: Book, rng: random.Random) -> None:
    """Count headers with their unit, as many members add it: 投诉总量(件), 线下触达人次（人次）."""
    bracket = rng.choice(("({})", "（{}）"))
    for table in book.tables:
        for c, id_ in enumerate(table.ids):
            column = SHEETS_BY_ID[table.dataset].column(id_)
            if column.kind == "count" and column.unit and table.headers[c] == column.zh:
                table.headers[c] = column.zh + bracket.format(column.unit)


def spaced_headers(book: Book, rng: random.Random) -> None:
    """Stray spaces around headers and full-width brackets around units: ' 投诉总量', '涉案金额 （万元）'."""
    for table in book.tables:
        for c, header in enumerate(table.headers):
            header = header.replace("(", "（").replace(")", "）")
            header = header.replace("（", rng.choice(("（", " （", "（ ")), 1)
            table.headers[c] = rng.choice(("{} ", " {}", "\u3000{}", "{}")).format(header)


def english_headers(book: Book, rng: random.Random) -> None:
    """Headers and sheet names as the warehouse column ids (premium_wan, complaints_total, …)."""
    del rng
    for table in book.tables:
        table.headers = list(table.ids)
        table.name = table.dataset


def traditional(book: Book, rng: random.Random) -> None:
    """Traditional Chinese throughout: sheet names, headers, cover keys and values, regions, product lines."""
    del rng
    book.cover_name = _S2T.convert(book.cover_name)
    book.cover = [[_t(k), _t(v)] for k, v in book.cover]
    for table in book.tables:
        table.name = _S2T.convert(table.name)
        table.headers = [_S2T.convert(h) for h in table.headers]
        for c, id_ in enumerate(table.ids):
            if id_ in ("region_code", "product_line"):
                for row in table.rows:
                    row[c] = _t(row[c])
        if table.total:
            table.total[0] = _t(table.total[0])
        table.title = _t(table.title) if table.title else None
        table.notes = [_S2T.convert(n) for n in table.notes]


def _t(value: Cell) -> Cell:
    return _S2T.convert(value) if isinstance(value, str) else value


def region_spellings(book: Book, rng: random.Random) -> None:
    """Each region row spelled another way: 广东 / 粤 / Guangdong / 440000 / 深圳分公司 / 总公司 …"""
    names, variants = _region_variants()
    for table in book.tables:
        c = table.col("region_code")
        for row in table.rows:
            code = names.get(row[c]) if isinstance(row[c], str) else None
            if code is not None:
                row[c] = rng.choice(variants[code])


@cache
def _region_variants() -> tuple[dict[str, str], dict[str, tuple[Cell, ...]]]:
    """Canonical name -> code, and code -> the spellings members use (from data/reference/regions.csv)."""
    names: dict[str, str] = {}
    variants: dict[str, tuple[Cell, ...]] = {}
    for r in load_regions().iter_rows(named=True):
        names[r["name"]] = r["code"]
        if r["kind"] == "national":
            variants[r["code"]] = ("总公司", "全国", "总公司本级", r["code"])
            continue
        spellings: list[Cell] = [r["name"], r["short_name"], r["name_en"], r["short_name"] + "分公司",
                                 int(r["code"]), r["code"]]
        if r["abbr"]:
            spellings.append(r["abbr"])
        variants[r["code"]] = tuple(spellings)
    return names, variants


PERIOD_SPELLINGS = ("{y}Q{q}", "{y}-Q{q}", "{y}年第{cq}季度", "{y}年{cq}季度", "{y}年{q}季度")
_CN_DIGITS = "一二三四"


def period_spelling(book: Book, rng: random.Random) -> None:
    """报送期间 as 2025-Q3 / 2025年第三季度 / 2025年三季度 / 2025年3季度."""
    for pair in book.cover:
        if pair[0] == "报送期间" and isinstance(pair[1], str) and "Q" in pair[1]:
            y, q = pair[1].split("Q")
            spelling = rng.choice(PERIOD_SPELLINGS[1:])
            pair[1] = spelling.format(y=y, q=q, cq=_CN_DIGITS[int(q) - 1])


_FULL_WIDTH = str.maketrans("0123456789", "０１２３４５６７８９")
ZERO_SPELLINGS = ("-", "—", "/", "无")


def number_spellings(book: Book, rng: random.Random, share: float = 0.3) -> None:
    """About `share` of the figures written as text the way people type them: 1,234 / １２３４ / 1.2万 /
    ' 56 ' / '-' or '无' for 0. Blank cells stay blank (blank = not reported, never 0)."""
    for table in book.tables:
        measures = [c for c, id_ in enumerate(table.ids) if SHEETS_BY_ID[table.dataset].column(id_).kind != "key"]
        for row in table.rows + ([table.total] if table.total else []):
            for c in measures:
                if row[c] is not None and rng.random() < share:
                    row[c] = spell_number(row[c], rng)


def spell_number(value: int | Decimal | str, rng: random.Random) -> str:
    """One textual spelling of `value` that reads back as exactly `value`."""
    if isinstance(value, str):
        return value
    if value == 0:
        return rng.choice(ZERO_SPELLINGS + ("0",))
    options = [f" {_plain(value)} ", f"{_plain(value)} "]
    if abs(value) >= 1000:
        options.append(format(value, ","))
    if isinstance(value, int):
        options.append(str(value).translate(_FULL_WIDTH))
        wan = wan_spelling(value)
        if wan:
            options.append(wan)
    return rng.choice(options)


def wan_spelling(value: int) -> str | None:
    """`1.2万` for 12000, only when the figure read back (decimal or binary float) is exactly `value`."""
    if value < 10000 or value % 100:
        return None
    text = format((Decimal(value) / 10000).normalize(), "f")
    if float(text) * 10000 != value or Decimal(text) * 10000 != value:
        return None
    return text + "万"


def title_line(book: Book, rng: random.Random) -> None:
    """A title above the header row of every data sheet, naming the firm and period from the cover."""
    del rng
    cover = {k: v for k, v in book.cover}
    for table in book.tables:
        table.title = f"{cover.get('公司名称', '')} {cover.get('报送期间', '')} 消费者权益保护数据报送表——{table.name}"


NOTES = ("注：1. 本表数据取自公司业务系统，已经分管领导审核。", "2. 如有疑问请联系填报人。")


def notes_below(book: Book, rng: random.Random) -> None:
    """A blank line and a few notes under every table."""
    for table in book.tables:
        table.notes = list(NOTES[: rng.randint(1, len(NOTES))])


def csv_bundle(book: Book, rng: random.Random) -> None:
    """Saved as one CSV per sheet, in a folder or a .zip, in UTF-8 (with or without BOM) or GBK."""
    book.fmt = rng.choice(("csv_dir", "csv_zip"))
    book.encoding = rng.choice(("utf-8", "utf-8-sig", "gbk"))
    if book.encoding == "gbk" and not _encodable(book, "gbk"):
        book.encoding = "utf-8-sig"


def _encodable(book: Book, encoding: str) -> bool:
    try:
        for _, data in _csv_files(Book(book.cover_name, book.cover, book.tables, "csv_dir", "utf-8")):
            data.decode("utf-8").encode(encoding)
    except UnicodeEncodeError:
        return False
    return True


# The order transforms are applied in: content first (totals, then units on them), then layout, then spelling.
TRANSFORMS: dict[str, Transform] = {
    "total_row": add_total_row,
    "money_units": money_in_yuan_or_yi,
    "count_units": count_units_in_headers,
    "english_headers": english_headers,
    "spaced_headers": spaced_headers,
    "title_line": title_line,
    "notes_below": notes_below,
    "region_spellings": region_spellings,
    "period_spelling": period_spelling,
    "traditional": traditional,
    "number_spellings": number_spellings,
    "csv_bundle": csv_bundle,
}
# English id headers carry no unit and no spaces: those transforms would undo each other.
INCOMPATIBLE = {frozenset(("english_headers", other)) for other in ("spaced_headers", "count_units", "money_units")}


def apply(book: Book, names: list[str] | tuple[str, ...], rng: random.Random) -> None:
    """Apply the named transforms to `book`, in the order of TRANSFORMS whatever the order of `names`."""
    unknown = set(names) - set(TRANSFORMS)
    if unknown:
        raise ValueError(f"unknown transforms: {sorted(unknown)}")
    for name, transform in TRANSFORMS.items():
        if name in names:
            transform(book, rng)
