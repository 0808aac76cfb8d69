"""Who has submitted for a quarter, and what was wrong with the files that were not accepted.

Pure functions over `wh.submissions()` rows, used by the 报送情况 page to show them (labels, the error list,
the resubmission history); no Streamlit here so they are tested directly. Which files belong to a quarter and
each firm's status are the query layer's (query/firm_status.py).
"""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl

from core import clock
from core.contract import rule_text, sheet_name
from core.status import FILE_LABELS, FIRM_LABELS, SEVERITY_LABELS, note_text
from query import export

# Status ids and labels: core.status; basis labels: core.contract.BASIS_LABELS.
LABELS = {lang: {**FIRM_LABELS[lang], **SEVERITY_LABELS[lang]} for lang in FIRM_LABELS}
ISSUE_COLUMNS = ("severity", "sheet", "row", "column", "value", "rule", "message")
ISSUE_HEADERS = {
    "zh": ("级别", "工作表", "行", "列", "单元格内容", "规则", "说明"),
    "en": ("Severity", "Sheet", "Row", "Column", "Cell value", "Rule", "Message"),
}
_ISSUE_SCHEMA = {"severity": pl.Utf8, "sheet": pl.Utf8, "row": pl.Int64, "column": pl.Utf8, "value": pl.Utf8,
                 "rule": pl.Utf8, "message": pl.Utf8}


def label(status: str, lang: str = "zh", file: bool = False) -> str:
    return (FILE_LABELS if file else LABELS)[lang].get(status, status)


def issues_frame(issues_json: str | None) -> pl.DataFrame:
    """The issues of one file (the store's `issues_json`) as a table: severity, sheet, row, column, value,
    rule, message — errors first, then in sheet and row order as the member reads the workbook."""
    items = json.loads(issues_json) if issues_json else []
    # The cell text may have been stored as a number; it is shown as the member typed it.
    rows = [{c: (str(item[c]) if c == "value" and item.get(c) is not None else item.get(c))
             for c in ISSUE_COLUMNS} for item in items]
    frame = pl.DataFrame(rows, schema=_ISSUE_SCHEMA) if rows else pl.DataFrame(schema=_ISSUE_SCHEMA)
    return frame.sort(
        pl.col("severity") != "error", "sheet", "row", nulls_last=True, maintain_order=True)


def issue_sentence(issue: dict, lang: str = "zh") -> str:
    """One issue as a sentence: the store's Chinese one, or in English where it is, what it holds and the rule
    (sheet and column as the member named them, so that they find the cell)."""
    if lang == "zh":
        return issue.get("message") or ""
    where = []
    if issue.get("sheet"):
        where.append(f"sheet «{issue['sheet']}» ({sheet_name(issue['sheet'], 'en')})"
                     if sheet_name(issue["sheet"], "en") != issue["sheet"] else f"sheet «{issue['sheet']}»")
    if issue.get("row"):
        where.append(f"row {issue['row']}")
    if issue.get("column"):
        where.append(f"column «{issue['column']}»")
    text = ", ".join(where)
    if issue.get("value") not in (None, ""):
        text += f"{', ' if text else ''}value “{issue['value']}”"
    rule = rule_text(issue.get("rule") or "", "en")
    return (f"{text[0].upper()}{text[1:]}: {rule}." if text else f"{rule}.").replace("..", ".")


def issues_table(issues: pl.DataFrame, lang: str = "zh") -> pl.DataFrame:
    """The error list a member firm opens in Excel: headers in the reader's language, severity spelled out, the
    message in English too when English is chosen."""
    shown = issues.select(ISSUE_COLUMNS).with_columns(
        pl.col("severity").replace_strict(LABELS[lang], default=pl.col("severity"), return_dtype=pl.Utf8))
    if lang != "zh" and issues.height:
        shown = shown.with_columns(pl.Series("message", [issue_sentence(i, lang) for i in issues.to_dicts()],
                                             dtype=pl.Utf8))
    shown.columns = list(ISSUE_HEADERS[lang])
    return shown


def reason_lines(row: dict, lang: str = "zh") -> list[str]:
    """Why a file was rejected or held, a line each: the store's Chinese reasons, or the status note and every
    issue in English."""
    if lang == "zh":
        return [line for line in (row.get("reasons") or "").splitlines() if line]
    issues = issues_frame(row.get("issues_json")).to_dicts()
    note = note_text(row.get("status_note"), lang)
    return ([note] if note else []) + [issue_sentence(i, lang) for i in issues]


def issues_csv(issues: pl.DataFrame, lang: str = "zh", *, warehouse: Path, who: str | None = None) -> bytes:
    """The error list as CSV — UTF-8 with BOM (Excel on Chinese Windows needs it) — handed out like every export
    (query.export: formulas in the member's cell text neutralised, the export recorded in `warehouse`)."""
    return export.export(issues_table(issues, lang), "csv", warehouse=warehouse, what="error_list", who=who)


def history(submissions: pl.DataFrame) -> pl.DataFrame:
    """Every file received, per firm in the order received: the resubmission history. Adds
    `superseded_by_label` ("v2 · file name") naming the file that replaced a superseded one."""
    names = submissions.select(
        pl.col("submission_id").alias("superseded_by"),
        pl.format("v{} · {}", pl.col("version"), pl.col("file_name")).alias("superseded_by_label"),
    )
    return (submissions.join(names, on="superseded_by", how="left")
            .sort("firm_id", "period", "received_at", nulls_last=True))


def received_text(column: str = "received_at") -> pl.Expr:
    """A UTC receipt time as the secretariat reads it: Beijing time, to the minute."""
    return clock.shown_expr(pl.col(column))
