"""Checks on a normalised sheet, each finding an `Issue` naming file, sheet, row, column, value and rule in Chinese."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from etl.contract import CELL_RULES, PRODUCT_LINES, WARNING_RULES, Rule, Sheet
from etl.model import Issue, Severity
from etl.text import clean


def rule_text(rule: str) -> str:
    return CELL_RULES.get(rule) or WARNING_RULES.get(rule) or rule


def make_issue(severity: Severity, rule: str, file: str, *, sheet: str | None = None, row: int | None = None,
               column: str | None = None, value: object = None, detail: str | None = None) -> Issue:
    """One finding with its complete Chinese sentence: 文件「a.xlsx」工作表「投诉」第 5 行「投诉总量」列，值“12%”：…。"""
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
    if not text.endswith("。"):
        text += "。"
    return Issue(severity, rule, text, file, sheet, row, column, None if value is None else str(value))


@dataclass(frozen=True)
class Row:
    """One region row of a data sheet after normalisation."""

    number: int  # row number as Excel shows it
    region_text: str | None
    region_code: str | None
    product_line: str | None
    values: dict[str, object]  # column id → int / float / None (not reported)


def check_rules(sheet: Sheet, rows: list[Row], headers: dict[str, str], file: str, sheet_name: str) -> list[Issue]:
    """Every cross-column rule of the contract on every row; a blank on either side skips the rule for that row."""
    issues = []
    for row in rows:
        for rule in sheet.rules:
            issue = _check(rule, row, headers, file, sheet_name)
            if issue:
                issues.append(issue)
    return issues


def _check(rule: Rule, row: Row, headers: dict[str, str], file: str, sheet_name: str) -> Issue | None:
    left = [row.values.get(c) for c in rule.left]
    right = [row.values.get(c) for c in rule.right]
    if any(v is None for v in left + right):
        return None
    lsum, rsum = sum(left), sum(right)
    ok = lsum == rsum if rule.op == "==" else lsum <= rsum
    if ok:
        return None
    column = headers.get(rule.left[0]) if len(rule.left) == 1 else "、".join(headers.get(c, c) for c in rule.left)
    detail = f"{rule.zh}（{_fmt(lsum)} {'≠' if rule.op == '==' else '>'} {_fmt(rsum)}）"
    return make_issue("error", rule.id, file, sheet=sheet_name, row=row.number, column=column, value=_fmt(lsum),
                      detail=detail)


def _fmt(value: object) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def check_duplicates(sheet: Sheet, rows: list[Row], region_header: str, file: str, sheet_name: str) -> list[Issue]:
    keys = Counter((r.region_code, r.product_line) for r in rows if r.region_code)
    issues = []
    first_seen: dict[tuple, int] = {}
    for row in rows:
        key = (row.region_code, row.product_line)
        if not row.region_code or keys[key] < 2:
            continue
        if key not in first_seen:
            first_seen[key] = row.number
            continue
        label = row.region_text if row.product_line is None else f"{row.region_text} / {row.product_line}"
        issues.append(make_issue("error", "duplicate_region", file, sheet=sheet_name, row=row.number,
                                 column=region_header, value=label,
                                 detail=f"{rule_text('duplicate_region')}（与第 {first_seen[key]} 行重复）"))
    return issues


def product_line(text: str | None, firm_type: str | None) -> str | None:
    """The canonical product line for this firm type (Traditional accepted), or None when it is not in the list."""
    if not text:
        return None
    key = clean(text)
    lines = PRODUCT_LINES.get(firm_type or "") or tuple({*PRODUCT_LINES["财产险"], *PRODUCT_LINES["人身险"]})
    return next((line for line in lines if clean(line) == key), None)


def check_total(sheet: Sheet, total: Row, rows: list[Row], headers: dict[str, str], file: str,
                sheet_name: str) -> list[Issue]:
    """The 合计 row must equal the sum of the region rows, column by column (blank 合计 cells are not checked)."""
    issues = []
    for column in sheet.measures:
        stated = total.values.get(column.id)
        if stated is None:
            continue
        parts = [r.values.get(column.id) for r in rows if r.values.get(column.id) is not None]
        actual = sum(parts) if parts else 0
        if abs(float(stated) - float(actual)) > 1e-6:
            issues.append(make_issue("error", "total_row_mismatch", file, sheet=sheet_name, row=total.number,
                                     column=headers.get(column.id, column.zh), value=_fmt(stated),
                                     detail=f"{rule_text('total_row_mismatch')}（合计 {_fmt(stated)}，"
                                            f"各地区之和 {_fmt(actual)}）"))
    return issues
