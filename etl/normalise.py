"""Pure functions from the member's spelling to the contract: sheets, headers and units, regions, periods, numbers.

Every lookup is derived from `etl.contract` and `data/reference/regions.csv`; nothing here keeps a second copy of
a header or a region name.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from functools import lru_cache

import polars as pl

from etl.contract import COVER, COVER_SHEET, COVER_SHEET_ALIASES, SHEETS, Sheet
from etl.text import clean

# ── sheets and headers ────────────────────────────────────────────────────────────────────────────────────────
COVER_ID = "cover"


@lru_cache(maxsize=1)
def _sheet_lookup() -> dict[str, str]:
    lookup = {clean(COVER_SHEET): COVER_ID, **{clean(a): COVER_ID for a in COVER_SHEET_ALIASES}}
    for sheet in SHEETS:
        for name in (sheet.zh, sheet.id, *sheet.aliases):
            lookup.setdefault(clean(name), sheet.id)
    return lookup


def sheet_id(name: str) -> str | None:
    """封面 / 投訴 / complaints … → 'cover' / 'complaints' …; None for any other sheet (说明, 附表 …)."""
    return _sheet_lookup().get(clean(name))


# Money units a header may carry, as the factor that turns the cell into 万元.
MONEY_UNITS = {"元": Decimal("0.0001"), "人民币元": Decimal("0.0001"), "千元": Decimal("0.1"), "万元": Decimal(1),
               "万": Decimal(1), "百万元": Decimal(100), "亿元": Decimal(10000), "亿": Decimal(10000)}
_UNIT = re.compile(r"^(?P<name>.*?)[(\[【](?P<unit>[^)\]】]*)[)\]】]$")
_UNIT_SUFFIX = re.compile(r"^(?P<name>.*?)(?:[-_/:：]|单位[:：]?)?(?P<unit>万元|亿元|千元|元)$")


@dataclass(frozen=True)
class HeaderMatch:
    column: str  # contract column id
    factor: Decimal  # multiply the cell by this to get the contract unit (万元 for money, 1 for counts)


@lru_cache(maxsize=8)
def _header_lookup(sheet_id_: str) -> dict[str, str]:
    sheet = next(s for s in SHEETS if s.id == sheet_id_)
    lookup: dict[str, str] = {}
    for column in sheet.columns:
        for name in (column.zh, column.id, column.header, *column.aliases):
            lookup.setdefault(clean(name), column.id)
    return lookup


def header(sheet: Sheet, text: str | None) -> HeaderMatch | None:
    """原保险保费收入（元） → premium_wan ×0.0001; 投訴總量 → complaints_total; None if not a contract column."""
    if not text:
        return None
    lookup = _header_lookup(sheet.id)
    key = clean(text)
    if key in lookup:
        column = sheet.column(lookup[key])
        return HeaderMatch(column.id, Decimal(1))
    for pattern in (_UNIT, _UNIT_SUFFIX):
        match = pattern.match(key)
        if match and match.group("name") in lookup:
            column = sheet.column(lookup[match.group("name")])
            unit = match.group("unit")
            if column.kind == "money":
                if unit not in MONEY_UNITS:
                    return None
                return HeaderMatch(column.id, MONEY_UNITS[unit])
            return HeaderMatch(column.id, Decimal(1))  # (件), (人次), (个): the unit is the contract's
    return None


@lru_cache(maxsize=1)
def _cover_lookup() -> dict[str, str]:
    lookup: dict[str, str] = {}
    for field in COVER:
        for name in (field.zh, field.id, *field.aliases):
            lookup.setdefault(clean(name), field.id)
    return lookup


def cover_field(text: str | None) -> str | None:
    if not text:
        return None
    key = clean(text).rstrip(":：")
    return _cover_lookup().get(key)


# ── regions ──────────────────────────────────────────────────────────────────────────────────────────────────
_BRANCH_SUFFIXES = ("省分公司", "市分公司", "分公司", "省公司", "分行", "中心支公司", "公司", "地区", "辖区")


def region_lookup(regions: pl.DataFrame) -> dict[str, str]:
    """Every spelling of every region (cleaned) → its code."""
    lookup: dict[str, str] = {}
    for row in regions.iter_rows(named=True):
        code = row["code"]
        names = [code, row["name"], row["short_name"], row["abbr"], row["name_en"],
                 *(row["aliases"] or "").split("|")]
        for name in names:
            if name:
                lookup.setdefault(clean(name), code)
    return lookup


def region_code(text: str | None, lookup: dict[str, str]) -> str | None:
    """广东省 / 廣東省 / 广东 / 粤 / Guangdong / 440000 / 深圳分公司 → a code; None when unrecognised."""
    if not text:
        return None
    key = clean(text)
    if key.endswith(".0") and key[:-2].isdigit():  # a code typed into a number cell
        key = key[:-2]
    if key in lookup:
        return lookup[key]
    for suffix in _BRANCH_SUFFIXES:
        if key.endswith(suffix) and key[: -len(suffix)] in lookup:
            return lookup[key[: -len(suffix)]]
    return None


TOTAL_LABELS = ("合计", "总计", "全部合计", "总合计", "合计数", "total")
NOTE_PREFIXES = ("注", "说明", "备注", "数据来源", "填表", "填报说明", "单位", "制表", "*", "note")


def is_total(text: str | None) -> bool:
    return bool(text) and clean(text) in TOTAL_LABELS


def is_note(text: str | None) -> bool:
    return bool(text) and clean(text).startswith(NOTE_PREFIXES)


# ── periods, basis, version, dates ───────────────────────────────────────────────────────────────────────────
_CN_DIGITS = {"一": 1, "二": 2, "三": 3, "四": 4, "1": 1, "2": 2, "3": 3, "4": 4}
_PERIODS = (
    re.compile(r"^(?P<y>\d{4})[-_/.]?q(?P<q>[1-4])$"),
    re.compile(r"^(?P<y>\d{4})年?第?(?P<q>[一二三四1-4])季度?$"),
    re.compile(r"^(?P<y>\d{4})年?(?P<q>[一二三四1-4])季度$"),
)


def parse_period(text: str | None) -> str | None:
    """2025Q3 / 2025-Q3 / 2025年第三季度 / 2025年三季度 / 2025年3季度 → '2025Q3'; None when unrecognised."""
    if not text:
        return None
    key = clean(text)
    for pattern in _PERIODS:
        match = pattern.match(key)
        if match:
            return f"{match.group('y')}Q{_CN_DIGITS[match.group('q')]}"
    return None


_BASES = {"当季": "当季", "当期": "当季", "本季": "当季", "本季度": "当季", "季度": "当季", "单季": "当季",
          "年累计": "年累计", "累计": "年累计", "本年累计": "年累计", "年初至今": "年累计", "ytd": "年累计",
          "quarter": "当季"}


def parse_basis(text: str | None) -> str | None:
    return _BASES.get(clean(text)) if text else None


def parse_version(text: str | None) -> int | None:
    """Blank → 1; '2', '2.0', 'V2', '第2版' → 2; anything else → None (an error)."""
    if not text:
        return 1
    key = clean(text).removeprefix("v").removeprefix("第").removesuffix("版")
    try:
        value = Decimal(key)
    except InvalidOperation:
        return None
    if value != value.to_integral_value() or value < 1:
        return None
    return int(value)


_DATE = re.compile(r"^(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?(?:\d{1,2}:\d{2}(?::\d{2})?)?$")


def parse_date(text: str | None) -> date | None:
    if not text:
        return None
    key = clean(text)
    match = _DATE.match(key)
    if match:
        try:
            return date(*map(int, match.groups()))
        except ValueError:
            return None
    try:
        serial = float(key)
    except ValueError:
        return None
    if 20000 < serial < 80000:  # an Excel serial date (days since 1899-12-30)
        return date(1899, 12, 30) + timedelta(days=int(serial))
    return None


# ── numbers ──────────────────────────────────────────────────────────────────────────────────────────────────
ZERO_WORDS = {"-", "—", "–", "--", "——", "/", "无", "0"}
_MULTIPLIERS = {"万": Decimal(10000), "亿": Decimal(100000000)}


@dataclass(frozen=True)
class Number:
    value: Decimal | None  # None = blank, not reported
    rule: str | None = None  # a CELL_RULES id when the cell is wrong


def parse_number(text: str | None, *, integer: bool, factor: Decimal = Decimal(1)) -> Number:
    """`1,234`, `１２３４`, `1.2万`, ` 12 `, `-`/`无` (0), blank (not reported); counts must be whole and ≥ 0."""
    if text is None:
        return Number(None)
    key = clean(text).replace(",", "")
    if not key:
        return Number(None)
    if key in ZERO_WORDS:
        return Number(Decimal(0))
    if key.endswith("%"):
        return Number(None, "not_a_percentage")
    multiplier = Decimal(1)
    if key[-1] in _MULTIPLIERS:
        # 1.2万 is 12,000 of the column's unit, whatever that unit is.
        multiplier, key = _MULTIPLIERS[key[-1]], key[:-1]
    try:
        value = Decimal(key) * multiplier
    except InvalidOperation:
        return Number(None, "not_a_number")
    if not value.is_finite():
        return Number(None, "not_a_number")
    value *= factor
    if integer:
        if value < 0 or value != value.to_integral_value():
            return Number(None, "non_negative_integer")
        return Number(value.to_integral_value())
    if value < 0:
        return Number(None, "non_negative_amount")
    return Number(value)
