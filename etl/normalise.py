"""From the member's spelling to the contract: sheets, headers and units, the 封面, regions, periods, numbers, and
the data sheets themselves (title lines, notes and 合计 rows set apart).

Every lookup is derived from `core.contract` and `data/reference/regions.csv`; nothing here keeps a second copy of
a header or a region name. Functions are pure: a raw sheet in, a normalised table out; nothing is judged here
beyond marking what could not be understood (`etl.validate` turns that into Issues).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache

import polars as pl

from core import quarters
from core.contract import (
    BASIS_SPELLINGS,
    COVER,
    NOTE_PREFIXES,
    PRODUCT_LINES,
    SHEETS,
    TOTAL_LABELS,
    TOTAL_SUFFIXES,
    ZERO_SPELLINGS,
    Column,
    Sheet,
)
from core.text import clean
from etl.read import ROW, RawSheet

HEADER_SEARCH_ROWS = 15  # title lines above the header row are tolerated up to here
_HEADER_FIRST_LOOK = 3


# ── headers and units ────────────────────────────────────────────────────────────────────────────────────────
# Money units a header may carry, as the factor that turns the cell into 万元 (the contract's money unit).
MONEY_UNITS = {"元": 1e-4, "人民币元": 1e-4, "千元": 0.1, "万元": 1.0, "万": 1.0, "百万元": 100.0, "亿元": 1e4,
               "亿": 1e4}
# A count header may carry its unit, (件) (人次) (场) (个); only a 万/亿 in front of it changes the figures.
COUNT_SCALES = {"万": 1e4, "亿": 1e8}
_BRACKETED = re.compile(r"^(?P<name>.+?)[(\[【](?:单位[:：]?)?(?P<unit>[^)\]】]*)[)\]】]$")
_UNIT_SUFFIX = re.compile(r"^(?P<name>.+?)(?:[-_/:：]|单位[:：]?)?(?P<unit>人民币元|百万元|亿元|万元|千元|元)$")
_MARKS = "*※＊:："  # required-field marks and colons around a label: *投诉总量, 公司名称：
# 其中：销售纠纷 (a part of the column before it, often under a grouped header): the column it names.
_PART_OF = re.compile(r"^其中[:,、]?(?=.)")


@dataclass(frozen=True)
class HeaderMatch:
    column: str  # contract column id
    factor: float  # multiply the cell by this to get the contract unit (万元 for money; 1 for a plain count)


@lru_cache(maxsize=8)
def _header_lookup(sheet_id_: str) -> dict[str, str]:
    sheet = next(s for s in SHEETS if s.id == sheet_id_)
    lookup: dict[str, str] = {}
    for column in sheet.columns:
        for name in (column.zh, column.id, column.header, *column.aliases):
            lookup.setdefault(clean(name), column.id)
    return lookup


def header_key(text: str) -> str:
    """The cleaned header: Simplified, half-width, no spaces, lower case, without required marks (*) or colons."""
    return clean(text).strip(_MARKS)


def header(sheet: Sheet, text: str | None) -> HeaderMatch | None:
    """原保险保费收入（元） → premium_wan ×0.0001; 投訴總量 → complaints_total; None if not a contract column."""
    if not text:
        return None
    lookup = _header_lookup(sheet.id)
    key = _PART_OF.sub("", header_key(text))
    if key in lookup:
        return HeaderMatch(lookup[key], 1.0)
    for pattern in (_BRACKETED, _UNIT_SUFFIX):
        match = pattern.match(key)
        if not match or match.group("name") not in lookup:
            continue
        column = sheet.column(lookup[match.group("name")])
        unit = match.group("unit")
        if column.kind == "money":
            return HeaderMatch(column.id, MONEY_UNITS[unit]) if unit in MONEY_UNITS else None
        return HeaderMatch(column.id, COUNT_SCALES.get(unit[:1], 1.0) if len(unit) > 1 else 1.0)
    return None


# ── 封面 ─────────────────────────────────────────────────────────────────────────────────────────────────────
@lru_cache(maxsize=1)
def _cover_lookup() -> dict[str, str]:
    lookup: dict[str, str] = {}
    for field in COVER:
        for name in (field.zh, field.id, *field.aliases):
            lookup.setdefault(clean(name), field.id)
    return lookup


_FILL_HINT = re.compile(r"[(\[【][^)\]】]*[)\]】]$")  # 公司名称（必填）, 报送期间(如2025Q3)


def cover_label(text: str | None) -> tuple[str | None, str | None]:
    """(cover field id, value written in the same cell) for a label cell: 公司名称 → ('firm_name', None);
    '报送期间：2025Q3' → ('period', '2025Q3'); (None, None) when the cell is not a cover label."""
    if not text:
        return None, None
    lookup = _cover_lookup()
    key = header_key(text)
    fid = lookup.get(key) or lookup.get(_FILL_HINT.sub("", key))
    if fid:
        return fid, None
    label, sep, value = re.sub("：", ":", str(text)).partition(":")
    if sep and value.strip():
        fid = lookup.get(header_key(label)) or lookup.get(_FILL_HINT.sub("", header_key(label)))
        if fid:
            return fid, value.strip()
    return None, None


@dataclass(frozen=True)
class CoverCell:
    value: str | None  # the value as written (None = blank)
    row: int  # Excel row of the label
    label: str  # the label as written


def read_cover(raw: RawSheet) -> dict[str, CoverCell]:
    """Cover field id → its value, from a key/value table anywhere on the sheet (a title line above is fine; two
    pairs side by side on one row too). The first occurrence of a field wins."""
    found: dict[str, CoverCell] = {}
    for number, cells in raw.rows():
        i = 0
        while i < len(cells):
            fid, value = cover_label(cells[i])
            if fid is None:
                i += 1
                continue
            j = i + 1
            if value is None:
                while j < len(cells) and cells[j] is None:
                    j += 1
                if j < len(cells) and cover_label(cells[j])[0] is None:
                    value = cells[j]
                    j += 1
            found.setdefault(fid, CoverCell(value, number, str(cells[i])))
            i = j
    return found


# ── firms ────────────────────────────────────────────────────────────────────────────────────────────────────
def firm_lookup(registry: pl.DataFrame) -> dict[str, tuple[str, str]]:
    """Legal name, short name, every alias and the id itself (cleaned) → (firm_id, firm_type)."""
    lookup: dict[str, tuple[str, str]] = {}
    for row in registry.iter_rows(named=True):
        entry = (row["firm_id"], row["firm_type"])
        for name in (row["firm_id"], row["name"], row["short_name"], *(row["aliases"] or "").split("|")):
            if name and name.strip():
                lookup.setdefault(clean(name), entry)
    return lookup


# ── regions ──────────────────────────────────────────────────────────────────────────────────────────────────
# What members append to a region name: 广东分公司, 广东省分公司, 深圳市分公司, Guangdong Branch.
_BRANCH_SUFFIXES = ("省分公司", "市分公司", "分公司", "省公司", "市公司", "分行", "中心支公司", "公司", "地区", "辖区",
                    "province", "branch", "city", "municipality")
_QUALIFIER = re.compile(r"[(\[【][^)\]】]*[)\]】]$")  # 广东（不含深圳）


def region_lookup(regions: pl.DataFrame) -> dict[str, str]:
    """Every spelling of every region (cleaned) → its code: full name, short name, one-character abbreviation,
    English name, the code itself, and the aliases column."""
    lookup: dict[str, str] = {}
    for row in regions.iter_rows(named=True):
        code = row["code"]
        for name in (code, row["name"], row["short_name"], row["abbr"], row["name_en"],
                     *(row["aliases"] or "").split("|")):
            if name:
                lookup.setdefault(clean(name), code)
    return lookup


def region_code(text: str | None, lookup: dict[str, str]) -> str | None:
    """广东省 / 廣東省 / 广东 / 粤 / Guangdong / 440000 / 深圳分公司 / 广东（不含深圳）→ a code; None when
    unrecognised."""
    if not text:
        return None
    key = clean(text)
    if key.endswith(".0") and key[:-2].isdigit():  # a code typed into a number cell
        key = key[:-2]
    for candidate in (key, _QUALIFIER.sub("", key)):
        if candidate in lookup:
            return lookup[candidate]
        for suffix in _BRANCH_SUFFIXES:
            if candidate.endswith(suffix) and candidate[: -len(suffix)] in lookup:
                return lookup[candidate[: -len(suffix)]]
    return None


# ── rows that are not figures ────────────────────────────────────────────────────────────────────────────────

def is_total(text: str | None) -> bool:
    """合计 / 总计 / 合 计 / 小计 / 全国合计 / Total → True: a row the member added up, not a region."""
    if not text:
        return False
    key = clean(text).strip(_MARKS)
    return key in TOTAL_LABELS or key.endswith(TOTAL_SUFFIXES)


def is_note(text: str | None) -> bool:
    """注：… / 说明 … / 数据来源 … / 填表人 … → True: a note under the table."""
    return bool(text) and clean(text).startswith(NOTE_PREFIXES)


# ── periods, basis, version, dates ───────────────────────────────────────────────────────────────────────────
def parse_period(text: str | None) -> str | None:
    """2025Q3 / 2025-Q3 / 2025年第三季度 / 2025年三季度 / 2025年3季度 → '2025Q3' (core.quarters.parse)."""
    return quarters.parse(text)


def parse_basis(text: str | None) -> str | None:
    """当季 / 當季 / 当期 / 本季 → '当季'; 年累计 / 年累計 → '年累计'; None otherwise."""
    return BASIS_SPELLINGS.get(clean(text)) if text else None


_VERSION = re.compile(r"^(?:v|版本|第)?(\d+)(?:\.0+)?版?$")


def parse_version(text: str | None) -> int | None:
    """Blank → 1; '2', '2.0', 'V2', '第2版' → 2; anything else (0, 1.5, 二) → None (an error)."""
    if not text:
        return 1
    match = _VERSION.match(clean(text))
    if not match or int(match.group(1)) < 1:
        return None
    return int(match.group(1))


_DATE = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?"
                   r"(?:[\sT]+\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?$")
_COMPACT_DATE = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
EXCEL_EPOCH = date(1899, 12, 30)  # Excel's day 0 (its 1900 leap-year bug makes it the 30th, not the 31st)


def parse_date(text: str | None) -> date | None:
    """2025-10-15 / 2025/10/15 / 2025年10月15日 / 20251015 / 45945 (an Excel serial date) → date(2025, 10, 15)."""
    if not text:
        return None
    key = str(text).strip().translate(_HALF_WIDTH_TABLE)
    match = _DATE.match(key) or _COMPACT_DATE.match(key)
    if match:
        try:
            return date(*map(int, match.groups()))
        except ValueError:
            return None
    try:
        serial = float(key)
    except ValueError:
        return None
    if 20000 <= serial < 80000:  # 1954 … 2118: a date cell read as its serial number
        return EXCEL_EPOCH + timedelta(days=int(serial))
    return None


# ── numbers ──────────────────────────────────────────────────────────────────────────────────────────────────
_HALF_WIDTH = {**{chr(0xFF10 + i): str(i) for i in range(10)}, "．": ".", "，": ",", "－": "-", "％": "%", "＋": "+",
               "／": "/", "　": " ", "−": "-"}
_HALF_WIDTH_TABLE = str.maketrans(_HALF_WIDTH)
NUMBER_SCALES = {"万": 1e4, "亿": 1e8}  # 1.2万 = 12,000 of the column's unit, whatever that unit is
_INTEGER_TOLERANCE = 1e-6  # 1.2万 is 12000.000000000002 in binary floating point


def read_numbers(frame: pl.DataFrame, columns: dict[str, tuple[str, bool, float | str]]) -> pl.DataFrame:
    """Read text columns as figures, all cells at once: `columns` maps a text column to (output column, integer?,
    factor to the contract unit, or the name of a column of `frame` holding it row by row). Adds `<out>` (Float64;
    counts whole) and `<out>__rule` (Utf8) per column.

    `1,234`, `１２３４`, `1.2万`, ` 12 ` are numbers; `-` `—` `/` `无` are 0; blank is null (not reported) with no
    rule; an unreadable cell is null with its CELL_RULES id: not_a_percentage, not_a_number, non_negative_integer
    (counts: whole and not negative), non_negative_amount (money)."""
    n, names = frame.height, list(columns)
    cells = pl.DataFrame({
        "text": pl.concat([frame[c] for c in names]) if names else pl.Series([], dtype=pl.Utf8),
        "integer": pl.Series([columns[c][1] for c in names for _ in range(n)], dtype=pl.Boolean),
        "factor": pl.concat([_factor(frame, columns[c][2]) for c in names]) if names
        else pl.Series([], dtype=pl.Float64),
    })
    cells = _read_cells(cells)
    value, rule = cells["value"], cells["rule"]
    return frame.with_columns(
        *(value.slice(k * n, n).alias(columns[c][0]) for k, c in enumerate(names)),
        *(rule.slice(k * n, n).alias(f"{columns[c][0]}__rule") for k, c in enumerate(names)),
    )


def _factor(frame: pl.DataFrame, factor: float | str) -> pl.Series:
    if isinstance(factor, str):
        return frame.get_column(factor).cast(pl.Float64)
    return pl.Series([factor] * frame.height, dtype=pl.Float64)


def _read_cells(cells: pl.DataFrame) -> pl.DataFrame:
    """text, integer, factor → value, rule. In stages, each a small expression (one big expression per column is
    many times slower to plan than to run)."""
    key = pl.col("key")
    cells = cells.with_columns(pl.col("text").str.replace_many(_HALF_WIDTH).str.replace_all(r"[\s,]", "").alias("key"))
    scale = pl.lit(1.0)
    for suffix, multiplier in NUMBER_SCALES.items():
        scale = pl.when(key.str.ends_with(suffix)).then(pl.lit(multiplier)).otherwise(scale)
    cells = cells.with_columns(
        (key.str.strip_suffix("万").str.strip_suffix("亿").cast(pl.Float64, strict=False)).alias("number"),
        scale.alias("scale"),
        key.is_in(ZERO_SPELLINGS).alias("zero"),
        (pl.col("text").is_null() | (key == "")).alias("blank"),
    ).with_columns((pl.col("number") * pl.col("scale") * pl.col("factor")).alias("raw"))
    raw, integer = pl.col("raw"), pl.col("integer")
    fraction = (raw - raw.round(0)).abs() > _INTEGER_TOLERANCE
    cells = cells.with_columns(
        pl.when(pl.col("blank") | pl.col("zero")).then(None)
        .when(key.str.ends_with("%")).then(pl.lit("not_a_percentage"))
        .when(pl.col("number").is_null() | ~pl.col("number").is_finite()).then(pl.lit("not_a_number"))
        .when(integer & ((raw < 0) | fraction)).then(pl.lit("non_negative_integer"))
        .when(~integer & (raw < 0)).then(pl.lit("non_negative_amount"))
        .alias("rule"))
    # 元 → 万元 leaves binary noise (1234.5000000000002): money is rounded to 6 decimals, counts to whole.
    return cells.select(
        pl.when(pl.col("zero")).then(pl.lit(0.0)).when(pl.col("rule").is_null())
        .then(pl.when(integer).then(raw.round(0)).otherwise(raw.round(6))).alias("value"),
        pl.col("rule"))


def precision(text: str | None, factor: float = 1.0) -> float:
    """Half a unit of the last digit written, in the contract unit: '3580.25' → 0.005; '35802450' (元) → 0.00005
    万元; '1.2万' → 500. A 合计 typed at that precision matches a sum that rounds to it."""
    key = re.sub(r"[\s,]", "", (text or "").translate(_HALF_WIDTH_TABLE))
    scale = NUMBER_SCALES.get(key[-1:], 1.0)
    digits = key.rstrip("万亿").partition(".")[2]
    return 0.5 * 10.0 ** -len(digits) * scale * factor


@dataclass(frozen=True)
class Number:
    value: float | None  # None = blank (not reported) or unreadable
    rule: str | None = None  # a CELL_RULES id when the cell is wrong


def parse_number(text: str | None, *, integer: bool, factor: float = 1.0) -> Number:
    """One cell through `read_numbers` (the single definition of how a figure is read)."""
    frame = read_numbers(pl.DataFrame({"t": [text]}, schema={"t": pl.Utf8}), {"t": ("v", integer, factor)})
    return Number(frame["v"][0], frame["v__rule"][0])


# ── product lines ────────────────────────────────────────────────────────────────────────────────────────────
@lru_cache(maxsize=4)
def _line_lookup(firm_type: str | None) -> dict[str, str]:
    lines = PRODUCT_LINES.get(firm_type or "") or tuple(dict.fromkeys(l for ls in PRODUCT_LINES.values() for l in ls))
    return {clean(line): line for line in lines}


def product_line(text: str | None, firm_type: str | None) -> str | None:
    """The canonical product line for this firm type (Traditional accepted); None when not in its list. With the
    firm unknown, either list is accepted (the unknown firm is the error then)."""
    return _line_lookup(firm_type).get(clean(text)) if text else None


# ── data sheets ──────────────────────────────────────────────────────────────────────────────────────────────
DATA, TOTAL = "data", "total"


@dataclass(frozen=True)
class Table:
    """A data sheet normalised: one row per figure row of the member's sheet.

    `rows` columns: source_row (Excel row), role (`data` | `total`), region_text, region_code (null when
    unrecognised; 000000 for a lone 合计 row), [line_text, product_line,] then per measure `<id>__text` (the cell
    as written), `<id>` (Float64 in the contract unit; null = blank or unreadable) and `<id>__rule` (CELL_RULES
    id of an unreadable cell). Title lines, the header, blank lines and notes are gone.
    """

    sheet: Sheet
    name: str  # the sheet name as in the file
    header_row: int | None  # Excel row of the header (its last line); None when no header row was found
    headers: dict[str, str]  # column id → header as written
    missing: tuple[Column, ...]  # contract columns the header lacks
    rows: pl.DataFrame
    factors: dict[str, float]  # column id → factor from the header's unit to the contract unit


def find_header(sheet: Sheet, raw: RawSheet) -> tuple[int, int, dict[str, tuple[int, HeaderMatch, str]]] | None:
    """(index of the first data row in raw.grid, Excel row of the header, column id → (grid column, match, header
    as written)). The header is the first row, within HEADER_SEARCH_ROWS, naming 地区 and one more contract
    column; a second header line under it (grouped headers: 纠纷类型 over 销售纠纷 …) adds its columns."""
    # Most headers are in the first rows: those are looked at first, the rest of the search only when needed.
    rows = raw.rows(_HEADER_FIRST_LOOK + 1)
    complete = len(rows) <= _HEADER_FIRST_LOOK  # the sheet has no more rows than these
    for index in range(HEADER_SEARCH_ROWS):
        if index + 1 >= len(rows) and not complete:  # a row and the one under it are needed
            rows, complete = raw.rows(HEADER_SEARCH_ROWS + 1), True
        if index >= len(rows):
            break
        number, cells = rows[index]
        found = _header_cells(sheet, cells)
        if "region_code" not in found or len(found) < 2:
            continue
        if index + 1 < len(rows):
            below = _header_cells(sheet, rows[index + 1][1])
            used = {pos for pos, _, _ in found.values()}
            extra = {cid: m for cid, m in below.items() if cid not in found and m[0] not in used}
            if extra:
                return index + 2, rows[index + 1][0], {**found, **extra}
        return index + 1, number, found
    return None


@lru_cache(maxsize=65536)
def _header_of(sheet_id_: str, text: str | None) -> HeaderMatch | None:
    """`header` by sheet id, remembered: every workbook of a batch repeats the same few headers."""
    return header(next(s for s in SHEETS if s.id == sheet_id_), text)


def _header_cells(sheet: Sheet, cells: list[str | None]) -> dict[str, tuple[int, HeaderMatch, str]]:
    found: dict[str, tuple[int, HeaderMatch, str]] = {}
    for pos, cell in enumerate(cells):
        match = _header_of(sheet.id, cell) if cell is None or len(cell) <= 200 else header(sheet, cell)
        if match and cell is not None and match.column not in found:
            found[match.column] = (pos, match, cell)
    return found


TABLE = "_table"  # in Tables.rows: the index of the table in Tables.tables a row belongs to


@dataclass(frozen=True)
class Tables:
    """Many sheets of one kind normalised together (the 投诉 of every workbook in a batch, say): `tables[i]` as
    `read_table` describes it but without rows; `rows` holds every table's rows, in table order, with the table's
    index in the column `_table` first. One query over all of them costs what one over a single sheet costs."""

    sheet: Sheet
    tables: list[Table]
    rows: pl.DataFrame

    def table(self, index: int) -> Table:
        """tables[index] with its rows (as `read_table` returns it)."""
        meta = self.tables[index]
        rows = self.rows.filter(pl.col(TABLE) == index).drop(TABLE) if meta.header_row is not None else pl.DataFrame()
        return Table(meta.sheet, meta.name, meta.header_row, meta.headers, meta.missing, rows, meta.factors)


def read_table(sheet: Sheet, raw: RawSheet, regions: dict[str, str], firm_type: str | None) -> Table:
    """Raw sheet → Table (see there). `regions` is `region_lookup(...)`; `firm_type` picks the product lines."""
    return read_tables(sheet, [(raw, firm_type)], regions).table(0)


def read_tables(sheet: Sheet, raws: list[tuple[RawSheet, str | None]], regions: dict[str, str]) -> Tables:
    """`read_table` for many (raw sheet, firm type) of the same kind at once."""
    long = any(c.id == "product_line" and c.kind == "key" for c in sheet.columns)
    texts = [f"{c.id}__text" for c in sheet.measures]
    tables: list[Table] = []
    names = ["source_row", "_first", "region_text", *(["line_text"] if long else []), *texts]
    columns: dict[str, list[pl.Series]] = {name: [] for name in names}
    index: list[int] = []
    for i, (raw, firm_type) in enumerate(raws):
        table, part = _table_part(sheet, raw, long)
        tables.append(table)
        if part is not None:
            for name, series in zip(names, part, strict=True):
                columns[name].append(series)
            index += [i] * len(part[0])
    if not index:
        return Tables(sheet, tables, pl.DataFrame())
    # One column at a time across the tables (no frame per table); then what differs between tables (firm type,
    # each header's unit) comes from the table's index.
    body = pl.DataFrame([pl.Series(TABLE, index, dtype=pl.Int32),
                         *(pl.concat(columns[name], rechunk=True).alias(name) for name in names)])
    per_table = pl.col(TABLE)
    body = body.with_columns(
        *([per_table.replace_strict({i: ft for i, (_, ft) in enumerate(raws)}, default=None, return_dtype=pl.Utf8)
           .alias("_firm_type")] if long else []),
        *(per_table.replace_strict({i: t.factors.get(c.id, 1.0) for i, t in enumerate(tables)}, default=1.0,
                                   return_dtype=pl.Float64).alias(f"{c.id}__factor") for c in sheet.measures))
    # Everything from the first note on (注：…, 数据来源：…) is not part of the table.
    lazy = body.lazy().filter(_flag(body, "_first", is_note).cum_sum().over(TABLE) == 0)
    # Blank lines go; so does a row naming a region but reporting nothing (the template lists all 37 regions).
    lazy = lazy.filter(pl.any_horizontal(pl.col(t).is_not_null() for t in texts))
    if long:
        # In the long sheet 地区 is often written once for the block of its 险种 rows (merged, or left blank).
        lazy = lazy.with_columns(pl.when(pl.col("line_text").is_not_null()).then(
            pl.col("region_text").forward_fill().over(TABLE)).otherwise(pl.col("region_text")).alias("region_text"))
    body = lazy.collect()
    label_cols = ["region_text", *(["line_text"] if long else [])]
    total = pl.any_horizontal(_flag(body, c, is_total) for c in label_cols)
    codes = {t: region_code(t, regions) for t in body["region_text"].unique().drop_nulls().to_list()}
    body = body.with_columns(
        pl.when(total).then(pl.lit(TOTAL)).otherwise(pl.lit(DATA)).alias("role"),
        pl.col("region_text").replace_strict(codes, default=None, return_dtype=pl.Utf8).alias("region_code"))
    if not long:
        # The only figures are one 合计 row (全国合计): what the firm cannot split by region, read as the
        # 总公司/全国 row rather than checked against regions that are not there.
        lone = (pl.len().over(TABLE) == 1) & (pl.col("role") == TOTAL)
        body = body.with_columns(pl.when(lone).then(pl.lit(DATA)).otherwise(pl.col("role")).alias("role"),
                                 pl.when(lone).then(pl.lit(region_code("全国", regions), pl.Utf8))
                                 .otherwise(pl.col("region_code")).alias("region_code"))
    else:
        pairs = body.select("_firm_type", "line_text").unique().drop_nulls("line_text").iter_rows()
        lines = {f"{firm_type}\x1f{text}": product_line(text, firm_type) for firm_type, text in pairs}
        line_key = pl.col("_firm_type").fill_null("None") + pl.lit("\x1f") + pl.col("line_text")
        body = body.with_columns(line_key.replace_strict(lines, default=None, return_dtype=pl.Utf8)
                                 .alias("product_line"))
    body = read_numbers(body, {f"{c.id}__text": (c.id, c.kind == "count", f"{c.id}__factor") for c in sheet.measures})
    order = [TABLE, "source_row", "role", "region_text", "region_code",
             *(["line_text", "product_line"] if long else [])]
    for column in sheet.measures:
        order += [f"{column.id}__text", column.id, f"{column.id}__rule"]
    return Tables(sheet, tables, body.select(order))


def _table_part(sheet: Sheet, raw: RawSheet, long: bool) -> tuple[Table, list[pl.Series] | None]:
    """One sheet's Table (without rows) and its cells under the header: source_row, _first, region_text,
    [line_text,] then each measure's text (a column the header lacks: nulls)."""
    found = find_header(sheet, raw)
    if found is None:
        return Table(sheet, raw.name, None, {}, sheet.columns, pl.DataFrame(), {}), None
    start, header_row, columns = found
    headers = {cid: text for cid, (_, _, text) in columns.items()}
    factors = {cid: match.factor for cid, (_, match, _) in columns.items()}
    missing = tuple(c for c in sheet.columns if c.id not in columns)
    table = Table(sheet, raw.name, header_row, headers, missing, pl.DataFrame(), factors)
    below = raw.grid.slice(start)  # one slice of the frame, not one per column
    rows = below.get_column(ROW)
    blank = pl.Series([None] * len(rows), dtype=pl.Utf8)

    def text_of(cid: str) -> pl.Series:
        return below.get_column(f"c{columns[cid][0]}") if cid in columns else blank

    return table, [rows, raw.first_cells().slice(start), text_of("region_code"),
                   *([text_of("product_line")] if long else []), *(text_of(c.id) for c in sheet.measures)]


def _flag(frame: pl.DataFrame, column: str, test) -> pl.Expr:
    """`test(text)` for every cell of a text column, computed once per distinct text (labels repeat little)."""
    flags = {t: bool(test(t)) for t in frame[column].unique().drop_nulls().to_list()}
    return pl.col(column).replace_strict(flags, default=False, return_dtype=pl.Boolean)
