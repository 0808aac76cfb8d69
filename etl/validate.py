"""Checks on a normalised submission, each finding an `Issue` naming file, sheet, row, column, value and rule in
Chinese. Every check runs and every finding is listed (a member corrects everything in one go); the rule texts
come from `core.contract`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import lru_cache

import polars as pl

from core.contract import CELL_RULES, COVER, COVER_SHEET, SHEETS, WARNING_RULES, Column, Rule
from core.text import clean
from etl.model import Issue, Severity
from etl.normalise import (
    DATA,
    HEADER_SEARCH_ROWS,
    TOTAL,
    CoverCell,
    Table,
    is_total,
    parse_basis,
    parse_date,
    parse_period,
    parse_version,
    precision,
)
from etl.read import RawSheet

BLANK = "（空白）"
ROWS_LISTED = 10  # a blank_not_reported warning names this many rows, then says 等


@lru_cache(maxsize=1)
def _rule_texts() -> dict[str, str]:
    return {**CELL_RULES, **WARNING_RULES, **{r.id: r.zh for s in SHEETS for r in s.rules}}


def rule_text(rule: str) -> str:
    """The Chinese text of a rule id: a cell rule, a warning or a cross-column Rule of the contract."""
    return _rule_texts().get(rule, rule)


def make_issue(severity: Severity, rule: str, file: str, *, sheet: str | None = None, row: int | None = None,
               column: str | None = None, value: object = None, detail: str | None = None,
               note: str | None = None) -> Issue:
    """One finding with its complete Chinese sentence:
    文件「a.xlsx」工作表「投诉」第 5 行「按时办结件数」列，值“12%”：计数栏不得填写百分比。

    The sentence ends with the rule's text, followed by `note` in brackets when given; `detail` replaces the
    rule's text entirely (for callers whose text already contains it)."""
    where = [f"文件「{file}」"]
    if sheet:
        where.append(f"工作表「{sheet}」")
    if row:
        where.append(f"第 {row} 行")
    if column:
        where.append(f"「{column}」列")
    text = "".join(where)
    if value is not None and value != "":
        text += f"，值“{value}”"
    text += f"：{detail or rule_text(rule)}"
    if note:
        text += f"（{note}）"
    if not text.endswith("。"):
        text += "。"
    return Issue(severity, rule, text, file, sheet, row, column, None if value is None else str(value))


def fmt(value: object) -> str:
    """1234.0 → '1234', 1234.5 → '1234.5', 0.00015 → '0.00015' (no exponent, no binary noise)."""
    if isinstance(value, float):
        if value == int(value):
            return str(int(value))
        return f"{value:.6f}".rstrip("0").rstrip(".")
    return str(value)


# ── 封面 ─────────────────────────────────────────────────────────────────────────────────────────────────────
@dataclass
class Cover:
    """What the 封面 says, as far as it could be understood."""

    firm_name_raw: str | None = None
    firm_id: str | None = None
    firm_type: str | None = None
    period: str | None = None  # YYYYQn
    basis: str | None = None  # 当季 | 年累计
    version: int = 1
    filler: str | None = None
    phone: str | None = None
    filled_on: date | None = None


_COVER_ZH = {f.id: f.zh for f in COVER}


def check_cover(raw: RawSheet | None, fields: dict[str, CoverCell], firms: dict[str, tuple[str, str]],
                file: str) -> tuple[Cover, list[Issue]]:
    """The 封面 fields (from `normalise.read_cover`) checked: firm in the registry, period, basis, version, date."""
    cover = Cover()
    if raw is None:
        return cover, [make_issue("error", "missing_sheet", file, sheet=COVER_SHEET, note=f"缺少“{COVER_SHEET}”工作表")]
    issues: list[Issue] = []

    def value(fid: str) -> str | None:
        return fields[fid].value if fid in fields else None

    def problem(severity: Severity, rule: str, fid: str, note: str | None = None, detail: str | None = None) -> None:
        cell = fields.get(fid)
        issues.append(make_issue(severity, rule, file, sheet=raw.name, row=cell.row if cell else None,
                                 column=cell.label if cell else _COVER_ZH[fid], value=value(fid),
                                 note=note or (None if value(fid) else "未填写"), detail=detail))

    cover.firm_name_raw = value("firm_name")
    match = firms.get(clean(cover.firm_name_raw)) if cover.firm_name_raw else None
    if match:
        cover.firm_id, cover.firm_type = match
    else:
        problem("error", "unknown_firm", "firm_name")
    cover.period = parse_period(value("period"))
    if cover.period is None:
        problem("error", "bad_period", "period")
    cover.basis = parse_basis(value("basis"))
    if cover.basis is None:
        problem("error", "bad_basis", "basis")
    version = parse_version(value("version"))
    if version is None:
        problem("error", "bad_version", "version")
    cover.version = version or 1
    cover.filler, cover.phone = value("filler"), value("phone")
    cover.filled_on = parse_date(value("filled_on"))
    if value("filled_on") and cover.filled_on is None:
        # Optional field: a date that cannot be read is ignored with a warning, never a rejection.
        problem("warning", "bad_date", "filled_on",
                detail=WARNING_RULES.get("bad_date", "填报日期无法识别（应为如 2025-10-15 的日期），已忽略"))
    return cover, issues


def missing_sheet(name: str, file: str) -> Issue:
    return make_issue("error", "missing_sheet", file, sheet=name, note=f"缺少“{name}”工作表")


# ── data sheets ──────────────────────────────────────────────────────────────────────────────────────────────
def check_table(table: Table, file: str, firm_type: str | None = None) -> list[Issue]:
    """Every check of one data sheet: header, regions, product lines, cells, blanks, cross-column rules,
    duplicates and 合计 rows. Issues come in row order (the order a member reads the sheet)."""
    sheet, name = table.sheet, table.name
    if table.header_row is None:
        return [make_issue("error", "missing_column", file, sheet=name, column=sheet.column("region_code").zh,
                           note=f"前 {HEADER_SEARCH_ROWS} 行中找不到表头行：应有一行写明“地区”及各列名称")]
    issues = [make_issue("error", "missing_column", file, sheet=name, row=table.header_row, column=c.header)
              for c in table.missing]
    data = table.rows.filter(pl.col("role") == DATA)
    issues += _unknown_keys(table, data, file, firm_type)
    issues += _cell_rules(table, file)
    issues += _cross_rules(table, data, file)
    issues += _duplicates(table, data, file)
    issues += _totals(table, data, file)
    issues.sort(key=lambda i: i.row or 0)
    return issues + _blanks(table, data, file)


def _unknown_keys(table: Table, data: pl.DataFrame, file: str, firm_type: str | None) -> list[Issue]:
    issues = []
    region_header = table.headers["region_code"]
    for row, text in data.filter(pl.col("region_code").is_null()).select("source_row", "region_text").iter_rows():
        issues.append(make_issue("error", "unknown_region", file, sheet=table.name, row=row, column=region_header,
                                 value=text or BLANK))
    if "product_line" in data.columns and "product_line" in table.headers:
        note = f"本公司为{firm_type}公司" if firm_type else None
        for row, text in data.filter(pl.col("product_line").is_null()).select("source_row", "line_text").iter_rows():
            issues.append(make_issue("error", "unknown_product_line", file, sheet=table.name, row=row,
                                     column=table.headers["product_line"], value=text or BLANK, note=note))
    return issues


def _null_counts(table: Table, frame: pl.DataFrame, suffix: str) -> dict[Column, int]:
    """Measure in the header → nulls in its `<id><suffix>` column of `frame`, in one query for all (most sheets
    are clean, and a query per column costs more than the check itself)."""
    columns = [c for c in table.sheet.measures if c.id in table.headers]
    if not columns:
        return {}
    counts = frame.select(pl.col(f"{c.id}{suffix}").null_count() for c in columns).row(0)
    return dict(zip(columns, counts, strict=True))


def _cell_rules(table: Table, file: str) -> list[Issue]:
    issues = []
    for column, nulls in _null_counts(table, table.rows, "__rule").items():
        if nulls == table.rows.height:
            continue  # every cell of the column was read
        bad = table.rows.filter(pl.col(f"{column.id}__rule").is_not_null())
        for row, text, rule in bad.select("source_row", f"{column.id}__text", f"{column.id}__rule").iter_rows():
            issues.append(make_issue("error", rule, file, sheet=table.name, row=row, column=table.headers[column.id],
                                     value=text))
    return issues


def _blanks(table: Table, data: pl.DataFrame, file: str) -> list[Issue]:
    """One warning per column with blank cells (blank = not reported, never 0), naming the rows."""
    issues = []
    for column, blanks in _null_counts(table, data, "__text").items():
        if blanks:
            rows = data.filter(pl.col(f"{column.id}__text").is_null())["source_row"].to_list()
            listed = "、".join(map(str, rows[:ROWS_LISTED])) + (" 等" if len(rows) > ROWS_LISTED else "")
            issues.append(make_issue("warning", "blank_not_reported", file, sheet=table.name,
                                     column=table.headers[column.id], note=f"共 {len(rows)} 处：第 {listed} 行"))
    return issues


def _side(columns: tuple[str, ...]) -> pl.Expr:
    """sum of the columns, or null when any of them is null (a blank or unreadable cell skips the rule)."""
    return pl.when(pl.any_horizontal(pl.col(c).is_null() for c in columns)).then(None).otherwise(
        pl.sum_horizontal(columns))


def _cross_rules(table: Table, data: pl.DataFrame, file: str) -> list[Issue]:
    """Every cross-column Rule of the contract on every row: sum(left) op sum(right)."""
    # A rule over a column the header lacks is skipped: the missing column is the error.
    rules = [r for r in table.sheet.rules if all(c in table.headers for c in r.left + r.right)]
    if not rules or data.height == 0:
        return []
    sides = data.select("source_row", *(e for k, r in enumerate(rules) for e in (
        _side(r.left).alias(f"l{k}"), _side(r.right).alias(f"r{k}"))))
    broken = [((pl.col(f"l{k}") != pl.col(f"r{k}")) if r.op == "==" else (pl.col(f"l{k}") > pl.col(f"r{k}")))
              .fill_null(False).alias(f"b{k}") for k, r in enumerate(rules)]
    sides = sides.with_columns(broken).filter(pl.any_horizontal(f"b{k}" for k in range(len(rules))))
    if sides.height == 0:
        return []
    issues = []
    for k, rule in enumerate(rules):  # issues rule by rule, then row by row
        for row, lsum, rsum in sides.filter(pl.col(f"b{k}")).select("source_row", f"l{k}", f"r{k}").iter_rows():
            issues.append(_rule_issue(table, rule, row, lsum, rsum, file))
    return issues


def _rule_issue(table: Table, rule: Rule, row: int, lsum: float, rsum: float, file: str) -> Issue:
    def names(ids: tuple[str, ...]) -> str:
        return "+".join(table.headers[c] for c in ids)

    column = "、".join(table.headers[c] for c in rule.left)
    return make_issue("error", rule.id, file, sheet=table.name, row=row, column=column, value=fmt(lsum),
                      note=f"{names(rule.left)} 为 {fmt(lsum)}，{names(rule.right)} 为 {fmt(rsum)}")


def _duplicates(table: Table, data: pl.DataFrame, file: str) -> list[Issue]:
    """A region (in 投诉险种: a region and product line) on more than one row: every later row is an error."""
    keys = [c.id for c in table.sheet.columns if c.kind == "key"]
    known = data.filter(pl.all_horizontal(pl.col(k).is_not_null() for k in keys))
    repeated = known.with_columns(pl.col("source_row").min().over(keys).alias("first")).filter(
        pl.col("source_row") != pl.col("first"))
    issues = []
    for r in repeated.iter_rows(named=True):
        value = r["region_text"] if "product_line" not in keys else f"{r['region_text']} / {r['line_text']}"
        issues.append(make_issue("error", "duplicate_region", file, sheet=table.name, row=r["source_row"],
                                 column=table.headers["region_code"], value=value, note=f"与第 {r['first']} 行重复"))
    return issues


def _totals(table: Table, data: pl.DataFrame, file: str) -> list[Issue]:
    """Each 合计 row against the sum of the rows it adds up (a 小计 of one region's 险种, a 合计 of one 险种 over the
    regions, or the whole sheet), column by column. A blank 合计 cell is not checked, nor is a column where an
    unreadable cell makes the sum unknowable. Money is compared at the precision the member wrote the 合计 in."""
    issues = []
    long = "line_text" in table.rows.columns
    for total in table.rows.filter(pl.col("role") == TOTAL).iter_rows(named=True):
        group, parts = data, "各地区"
        if long and not is_total(total["region_text"]) and total["region_code"]:
            group, parts = data.filter(pl.col("region_code") == total["region_code"]), "该地区各险种"
        elif long and total["product_line"]:
            group, parts = data.filter(pl.col("product_line") == total["product_line"]), "该险种各地区"
        for column in table.sheet.measures:
            stated = total[column.id]
            if (column.id not in table.headers or stated is None
                    or group[f"{column.id}__rule"].null_count() < group.height):
                continue
            actual = float(group[column.id].sum() or 0.0)
            tolerance = 1e-9 if column.kind == "count" else precision(total[f"{column.id}__text"],
                                                                         table.factors[column.id])
            if abs(stated - actual) > tolerance + 1e-9 * abs(actual):
                issues.append(make_issue("error", "total_row_mismatch", file, sheet=table.name,
                                         row=total["source_row"], column=table.headers[column.id],
                                         value=total[f"{column.id}__text"],
                                         note=f"合计 {fmt(stated)}，{parts}之和 {fmt(float(actual))}"))
    return issues
