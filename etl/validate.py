"""Checks on a normalised submission, each finding an `Issue` naming file, sheet, row, column, value and rule in
Chinese. Every check runs and every finding is listed (a member corrects everything in one go); the rule texts
come from `core.contract`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache

import polars as pl

from core.contract import CELL_RULES, COVER, COVER_SHEET, FILE_RULES, SHEETS, WARNING_RULES, Rule
from core.text import clean
from etl.model import Issue, Severity
from etl.normalise import (
    DATA,
    HEADER_SEARCH_ROWS,
    TABLE,
    TOTAL,
    CoverCell,
    Table,
    Tables,
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
    return {**CELL_RULES, **FILE_RULES, **WARNING_RULES, **{r.id: r.zh for s in SHEETS for r in s.rules}}


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
    rows = table.rows.select(pl.lit(0, pl.Int32).alias(TABLE), pl.all()) if table.header_row is not None else None
    meta = Table(table.sheet, table.name, table.header_row, table.headers, table.missing, pl.DataFrame(),
                 table.factors)
    return check_tables(Tables(table.sheet, [meta], rows if rows is not None else pl.DataFrame()), [file],
                        [firm_type])[0]


def check_tables(tables: Tables, files: list[str], firm_types: list[str | None]) -> list[list[Issue]]:
    """`check_table` for every table of a `Tables` (files[i] and firm_types[i] for tables.tables[i]), the checks
    run once over all of their rows."""
    sheet = tables.sheet
    found: list[_Found] = [_Found() for _ in tables.tables]
    result: list[list[Issue]] = [[] for _ in tables.tables]
    for i, table in enumerate(tables.tables):
        if table.header_row is None:
            result[i] = [make_issue("error", "missing_column", files[i], sheet=table.name,
                                    column=sheet.column("region_code").zh,
                                    note=f"前 {HEADER_SEARCH_ROWS} 行中找不到表头行：应有一行写明“地区”及各列名称")]
        else:
            found[i].issues = [make_issue("error", "missing_column", files[i], sheet=table.name,
                                          row=table.header_row, column=c.header) for c in table.missing]
    rows = tables.rows
    if rows.height:
        data = rows.filter(pl.col("role") == DATA)
        ctx = _Batch(tables, files, firm_types, found)
        _unknown_keys(ctx, data)
        _cell_rules(ctx, rows)
        _cross_rules(ctx, data)
        _duplicates(ctx, data)
        _totals(ctx, rows, data)
        _blanks(ctx, data)
    for i, table in enumerate(tables.tables):
        if table.header_row is not None:
            issues = found[i].issues
            issues.sort(key=lambda issue: issue.row or 0)
            result[i] = issues + found[i].blanks
    return result


@dataclass
class _Found:
    issues: list[Issue] = field(default_factory=list)  # sorted by row once all are in
    blanks: list[Issue] = field(default_factory=list)  # listed after the others


@dataclass(frozen=True)
class _Batch:
    tables: Tables
    files: list[str]
    firm_types: list[str | None]
    found: list[_Found]

    def add(self, i: int, severity: Severity, rule: str, **where) -> None:
        table = self.tables.tables[i]
        self.found[i].issues.append(make_issue(severity, rule, self.files[i], sheet=table.name, **where))


def _unknown_keys(ctx: _Batch, data: pl.DataFrame) -> None:
    unknown = data.filter(pl.col("region_code").is_null())
    for i, row, text in unknown.select(TABLE, "source_row", "region_text").iter_rows():
        ctx.add(i, "error", "unknown_region", row=row, column=ctx.tables.tables[i].headers["region_code"],
                value=text or BLANK)
    if "product_line" in data.columns:
        unknown = data.filter(pl.col("product_line").is_null())
        for i, row, text in unknown.select(TABLE, "source_row", "line_text").iter_rows():
            headers = ctx.tables.tables[i].headers
            if "product_line" not in headers:
                continue
            firm_type = ctx.firm_types[i]
            note = f"本公司为{firm_type}公司" if firm_type else None
            ctx.add(i, "error", "unknown_product_line", row=row, column=headers["product_line"], value=text or BLANK,
                    note=note)


def _with_nulls_below(frame: pl.DataFrame, columns: list[str]) -> list[str]:
    """The columns of `frame` that have at least one non-null cell, in one query (most sheets are clean)."""
    if not columns:
        return []
    counts = frame.select(pl.col(c).null_count() for c in columns).row(0)
    return [c for c, nulls in zip(columns, counts, strict=True) if nulls < frame.height]


def _cell_rules(ctx: _Batch, rows: pl.DataFrame) -> None:
    measures = {f"{c.id}__rule": c for c in ctx.tables.sheet.measures}
    for rule_col in _with_nulls_below(rows, list(measures)):
        column = measures[rule_col]
        bad = rows.filter(pl.col(rule_col).is_not_null())
        for i, row, text, rule in bad.select(TABLE, "source_row", f"{column.id}__text", rule_col).iter_rows():
            ctx.add(i, "error", rule, row=row, column=ctx.tables.tables[i].headers[column.id], value=text)


def _blanks(ctx: _Batch, data: pl.DataFrame) -> None:
    """One warning per column with blank cells (blank = not reported, never 0), naming the rows. A column the
    header lacks is all blank: the missing column is the error then, not each blank."""
    if data.height == 0:
        return
    measures = ctx.tables.sheet.measures
    counts = data.select(pl.col(f"{c.id}__text").null_count() for c in measures).row(0)
    blank_rows: dict[tuple[int, str], list[int]] = {}
    for column, nulls in zip(measures, counts, strict=True):
        if not nulls:
            continue
        for i, row in data.filter(pl.col(f"{column.id}__text").is_null()).select(TABLE, "source_row").iter_rows():
            blank_rows.setdefault((i, column.id), []).append(row)
    for i, table in enumerate(ctx.tables.tables):
        for column in measures:
            rows = blank_rows.get((i, column.id))
            if column.id not in table.headers or not rows:
                continue
            listed = "、".join(map(str, rows[:ROWS_LISTED])) + (" 等" if len(rows) > ROWS_LISTED else "")
            ctx.found[i].blanks.append(make_issue("warning", "blank_not_reported", ctx.files[i], sheet=table.name,
                                                  column=table.headers[column.id],
                                                  note=f"共 {len(rows)} 处：第 {listed} 行"))


def _side(columns: tuple[str, ...]) -> pl.Expr:
    """sum of the columns, or null when any of them is null (a blank or unreadable cell skips the rule)."""
    return pl.when(pl.any_horizontal(pl.col(c).is_null() for c in columns)).then(None).otherwise(
        pl.sum_horizontal(columns))


def _cross_rules(ctx: _Batch, data: pl.DataFrame) -> None:
    """Every cross-column Rule of the contract on every row: sum(left) op sum(right). A rule over a column the
    header lacks never fires (its cells are all null, which skips the rule): the missing column is the error."""
    rules = ctx.tables.sheet.rules
    if not rules or data.height == 0:
        return
    sides = data.select(TABLE, "source_row", *(e for k, r in enumerate(rules) for e in (
        _side(r.left).alias(f"l{k}"), _side(r.right).alias(f"r{k}"))))
    broken = [((pl.col(f"l{k}") != pl.col(f"r{k}")) if r.op == "==" else (pl.col(f"l{k}") > pl.col(f"r{k}")))
              .fill_null(False).alias(f"b{k}") for k, r in enumerate(rules)]
    sides = sides.with_columns(broken).filter(pl.any_horizontal(f"b{k}" for k in range(len(rules))))
    if sides.height == 0:
        return
    for k, rule in enumerate(rules):  # issues rule by rule, then row by row
        for i, row, lsum, rsum in sides.filter(pl.col(f"b{k}")).select(TABLE, "source_row", f"l{k}", f"r{k}"
                                                                        ).iter_rows():
            ctx.found[i].issues.append(_rule_issue(ctx.tables.tables[i], rule, row, lsum, rsum, ctx.files[i]))


def _rule_issue(table: Table, rule: Rule, row: int, lsum: float, rsum: float, file: str) -> Issue:
    def names(ids: tuple[str, ...]) -> str:
        return "+".join(table.headers[c] for c in ids)

    column = "、".join(table.headers[c] for c in rule.left)
    return make_issue("error", rule.id, file, sheet=table.name, row=row, column=column, value=fmt(lsum),
                      note=f"{names(rule.left)} 为 {fmt(lsum)}，{names(rule.right)} 为 {fmt(rsum)}")


def _duplicates(ctx: _Batch, data: pl.DataFrame) -> None:
    """A region (in 投诉险种: a region and product line) on more than one row: every later row is an error."""
    keys = [c.id for c in ctx.tables.sheet.columns if c.kind == "key"]
    known = data.filter(pl.all_horizontal(pl.col(k).is_not_null() for k in keys))
    repeated = known.with_columns(pl.col("source_row").min().over(TABLE, *keys).alias("first")).filter(
        pl.col("source_row") != pl.col("first"))
    for r in repeated.iter_rows(named=True):
        i = r[TABLE]
        value = r["region_text"] if "product_line" not in keys else f"{r['region_text']} / {r['line_text']}"
        ctx.add(i, "error", "duplicate_region", row=r["source_row"],
                column=ctx.tables.tables[i].headers["region_code"], value=value, note=f"与第 {r['first']} 行重复")


def _totals(ctx: _Batch, rows: pl.DataFrame, data: pl.DataFrame) -> None:
    """Each 合计 row against the sum of the rows it adds up (a 小计 of one region's 险种, a 合计 of one 险种 over the
    regions, or the whole sheet), column by column. A blank 合计 cell is not checked, nor is a column where an
    unreadable cell makes the sum unknowable. Money is compared at the precision the member wrote the 合计 in."""
    totals = rows.filter(pl.col("role") == TOTAL)
    if totals.height == 0:
        return
    with_totals = totals[TABLE].unique().to_list()
    by_table = data.filter(pl.col(TABLE).is_in(with_totals)).partition_by(TABLE, as_dict=True)
    empty = data.clear()
    long = "line_text" in rows.columns
    measures = ctx.tables.sheet.measures
    for total in totals.iter_rows(named=True):
        i = total[TABLE]
        table = ctx.tables.tables[i]
        group, parts = by_table.get((i,), empty), "各地区"
        if long and not is_total(total["region_text"]) and total["region_code"]:
            group, parts = group.filter(pl.col("region_code") == total["region_code"]), "该地区各险种"
        elif long and total["product_line"]:
            group, parts = group.filter(pl.col("product_line") == total["product_line"]), "该险种各地区"
        for column in measures:
            stated = total[column.id]
            if (column.id not in table.headers or stated is None
                    or group[f"{column.id}__rule"].null_count() < group.height):
                continue
            actual = float(group[column.id].sum() or 0.0)
            tolerance = 1e-9 if column.kind == "count" else precision(total[f"{column.id}__text"],
                                                                         table.factors[column.id])
            if abs(stated - actual) > tolerance + 1e-9 * abs(actual):
                ctx.add(i, "error", "total_row_mismatch", row=total["source_row"], column=table.headers[column.id],
                        value=total[f"{column.id}__text"], note=f"合计 {fmt(stated)}，{parts}之和 {fmt(float(actual))}")
