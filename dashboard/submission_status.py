"""Who has submitted for a quarter, and what was wrong with the files that were not accepted.

Pure functions over `wh.submissions()` rows, used by the 报送情况 page to show them (labels, the error list,
the resubmission history); no Streamlit here so they are tested directly. Which files belong to a quarter and
each firm's status are the query layer's (query/firm_status.py).
"""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl

from core import clock, untrusted
from core.contract import rule_text, sheet_name
from core.status import FILE_LABELS, FIRM_LABELS, SEVERITY_LABELS, note_text
from query import export, firm_status

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
    frame = untrusted.frame(frame)  # the member's cell text: JSON kept its escape characters as \u001b
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
    # A rejected or held file later replaced by an accepted resubmission names it too (the store only links
    # superseded files).
    replaced = firm_status.problem_files(submissions).filter(pl.col("accepted_later")).select(
        "submission_id", pl.format("v{} · {}", pl.col("accepted_version"), pl.col("accepted_file"))
        .alias("__accepted_label"))
    return (submissions.join(names, on="superseded_by", how="left")
            .join(replaced, on="submission_id", how="left")
            .with_columns(pl.coalesce("superseded_by_label", "__accepted_label").alias("superseded_by_label"))
            .drop("__accepted_label")
            .sort("firm_id", "period", "received_at", nulls_last=True))


def received_text(column: str = "received_at") -> pl.Expr:
    """A UTC receipt time as the secretariat reads it: Beijing time, to the minute."""
    return clock.shown_expr(pl.col(column))


# A file with tens of thousands of errors (a whole sheet shifted by one column) shows its first ISSUES_SHOWN on the
# page — drawing 49,993 rows took ~15 s — and the whole list is a download (query.export, like every file).
ISSUES_SHOWN = 200


def firm_reason(row: dict, lang: str = "zh") -> str:
    """Why a firm has no figures for the quarter, from `query.firm_status.firm_status` (one row):
    未报送 → 未收到本季报送文件; held → 暂缓入库：缺 2025Q2; rejected → 已退回：3 处错误，待重报; accepted → ""."""
    state, gaps, errors = row.get("status"), row.get("missing_periods") or [], row.get("n_errors")
    zh = lang == "zh"
    if state == "missing":
        return "未收到本季报送文件" if zh else "No file received for this quarter"
    if state == "held":
        if gaps:
            return (f"暂缓入库：缺 {'、'.join(gaps)}" if zh else
                    f"Held: {', '.join(gaps)} missing (year-to-date figures need the earlier quarters)")
        return "暂缓入库：待补齐本年早前季度" if zh else "Held: waiting for the year's earlier quarters"
    if state == "rejected":
        if errors:
            return f"已退回：{errors:,} 处错误，待重报" if zh else f"Rejected: {errors:,} errors, awaiting resubmission"
        return "已退回，待重报" if zh else "Rejected, awaiting resubmission"
    return ""


def replaced_note(row: dict, lang: str = "zh") -> str:
    """For a rejected or held file (`query.firm_status.problem_files` row): what stands for its firm and quarter —
    "已由 v2 重报入库" when an accepted resubmission came later, "本季已入库 v2" when one was already in; "" else."""
    if row.get("accepted_file") is None:
        return ""
    version = row.get("accepted_version")
    which = f"v{version}" if version is not None else row["accepted_file"]
    if row.get("accepted_later"):
        return f"已由 {which} 重报入库" if lang == "zh" else f"replaced by accepted {which}"
    return f"本季已入库 {which}" if lang == "zh" else f"{which} already accepted"


def first_lines(text: str | None, n: int = ISSUES_SHOWN) -> tuple[list[str], int]:
    """The first `n` non-blank lines of a reasons text, and how many there are in all."""
    lines = [line for line in (text or "").splitlines() if line.strip()]
    return lines[:n], len(lines)
