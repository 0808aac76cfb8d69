"""Every file the product hands out leaves through `export` (a table: CSV / XLSX / Parquet / JSON) or `original`
(a member's file, byte for byte). Both record an audit line first; no line, no data.

`export(frame, fmt, out, warehouse=…)`:
1. neutralises formulas: any text cell (and header) that a spreadsheet would read as a formula — starting with
   = + - @, a tab or a carriage return, also after leading whitespace — is prefixed with '. A plain negative
   number written as text ("-1", as a member typed it in an error list) is data, not a formula, and stays;
2. renders the format (the same filters give the same bytes for CSV, Parquet and JSON; XLSX adds the time of
   export). CSV is UTF-8 with a BOM (Excel on Chinese Windows opens it right), numbers at full precision, no
   value as an empty cell;
3. appends the audit line — who, when (UTC), what (filters, metrics, dimensions, rows, format, warehouse
   version), where to, and the bytes' SHA-256 — to <warehouse>/audit/exports.jsonl (core.layout.AUDIT),
   opened O_APPEND and fsynced. If that fails, `ExportError` is raised and nothing is written or returned;
4. only then writes the bytes (to a path atomically, or to a binary stream) and returns them.

The dashboard's downloads (dashboard.ui), `xiaobao export`, `peers --format`, `anomalies --format` and the
error-list CSV all call it; tests/query/test_export.py fails if a path that hands out data bypasses it.
"""

from __future__ import annotations

import getpass
import hashlib
import io
import json
import os
import re
from datetime import datetime
from pathlib import Path
from typing import BinaryIO

import polars as pl
import xlsxwriter

from core import atomic, clock, layout
from query import catalog

FORMATS = ("csv", "xlsx", "parquet", "json")
DIM_ZH = {"firm_id": "公司代码", "firm_name": "公司", "region_code": "地区代码", "region_name": "地区",
          "province_code": "省份代码", "province_name": "省份", "period": "期间", "year": "年度",
          "firm_type": "公司类型", "product_line": "险种"}
DANGEROUS = ("=", "+", "-", "@", "\t", "\r")
# A formula start: a tab or CR first, or = + - @ as the first character after any whitespace (Excel and
# LibreOffice skip leading spaces before a formula on import; \s is Unicode here, so the ideographic space too).
_FORMULA = r"^(?:[\t\r]|\s*[=+\-@])"
# …except a plain negative number, which a spreadsheet reads as that number and runs nothing.
_NEGATIVE_NUMBER = r"^-[0-9]+(?:\.[0-9]+)?$"
_TEXT = (pl.String, pl.Categorical, pl.Enum)


class ExportError(RuntimeError):
    """An export that could not be recorded in the audit trail, and so handed nothing out."""


def labels_zh(columns: list[str]) -> dict[str, str]:
    names = {m.id: m.zh for m in catalog.metrics()}
    out = {}
    for c in columns:
        if c in DIM_ZH:
            out[c] = DIM_ZH[c]
        elif c == "better_than_share":  # wh.peers(): the share of the other firms of the group this one beats
            out[c] = "优于同业比例"
        elif c.endswith("__low_base") and c.removesuffix("__low_base") in names:
            out[c] = f"{names[c.removesuffix('__low_base')]}（低基数）"
        else:
            out[c] = names.get(c, c)
    return out


def _risky(text: str) -> bool:
    return bool(re.match(_FORMULA, text)) and not re.match(_NEGATIVE_NUMBER, text)


def neutralise(frame: pl.DataFrame) -> pl.DataFrame:
    """Prefix ' to every text cell (and column name) a spreadsheet would read as a formula."""
    text = [c for c, t in frame.schema.items() if isinstance(t, _TEXT)]
    frame = frame.with_columns([pl.col(c).cast(pl.Utf8) for c in text])
    frame = frame.with_columns([
        pl.when(pl.col(c).str.contains(_FORMULA) & ~pl.col(c).str.contains(_NEGATIVE_NUMBER))
        .then(pl.lit("'") + pl.col(c)).otherwise(pl.col(c)).alias(c) for c in text])
    return frame.rename({c: f"'{c}" for c in frame.columns if _risky(c)})


def meta(filters: object = None, metrics: list[str] | None = None, by: list[str] | None = None,
         version: str | None = None, who: str | None = None) -> dict:
    """What an export records about itself: filters, metrics, dimensions, warehouse version, who."""
    described = {k: v for k, v in (vars(filters).items() if filters is not None else []) if v not in (None, ())}
    return {"filters": {k: list(v) if isinstance(v, tuple) else v for k, v in described.items()},
            "metrics": list(metrics or []), "by": list(by or []), "version": version,
            "who": who or _who()}


def _who() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return os.environ.get("USER", "unknown")


def export(frame: pl.DataFrame, fmt: str, out: Path | str | BinaryIO | None = None, *, warehouse: Path | str,
           labels: str = "id", meta: dict | None = None, what: str = "table", destination: str | None = None,
           who: str | None = None) -> bytes:
    """Hand out `frame` as `fmt`: neutralised, audited in `warehouse`, then written to `out` (a path, written
    atomically, or a binary stream; None: only returned) and returned.

    `labels="zh"` gives Chinese headers. `meta` is `meta(…)` (filters, metrics, by, version, who); `what` names
    the kind of export in the audit line (table, peers, anomalies, error_list …); `destination` says where the
    bytes go when `out` does not (a download's file name, stdout); `who` overrides `meta["who"]` (the logged-in
    user, once there is one). Raises `ExportError` — and hands out nothing — when the audit line cannot be
    written; ValueError for an unknown format.
    """
    if fmt not in FORMATS:
        raise ValueError(f"格式应为 {'、'.join(FORMATS)} 之一：{fmt}")
    if labels not in ("id", "zh"):
        raise ValueError(f"表头应为 id 或 zh：{labels}")
    meta = dict(meta or {})
    meta["who"] = who or meta.get("who") or _who()
    at = clock.now()
    if labels == "zh":
        frame = frame.rename(labels_zh(frame.columns))
    data = _render(neutralise(frame), fmt, meta, at)
    if destination is None:
        destination = str(Path(out).resolve()) if isinstance(out, (str, Path)) \
            else "stream" if out is not None else "download"
    line = {"at": at.isoformat(timespec="seconds"), "who": meta["who"], "what": what,
            "filters": meta.get("filters", {}), "metrics": meta.get("metrics", []), "by": meta.get("by", []),
            "version": meta.get("version"), "rows": frame.height, "columns": frame.width, "format": fmt,
            "labels": labels, "destination": destination, "bytes": len(data),
            "sha256": hashlib.sha256(data).hexdigest()}
    return _hand_out(data, line, Path(warehouse), out)


def original(warehouse: Path | str, file_name: str, data: bytes, *, submission_id: str, who: str | None = None,
             destination: str | None = None) -> bytes:
    """Hand out a file a member sent, byte for byte as received (it is the record of what arrived: never
    rewritten, so not neutralised), audited like every export. Raises `ExportError` when it cannot be recorded."""
    at = clock.now()
    line = {"at": at.isoformat(timespec="seconds"), "who": who or _who(), "what": "original_file",
            "submission_id": submission_id, "file_name": file_name, "rows": None,
            "format": Path(file_name).suffix.lstrip(".").lower() or None,
            "destination": destination or f"download:{file_name}", "bytes": len(data),
            "sha256": hashlib.sha256(data).hexdigest()}
    return _hand_out(data, line, Path(warehouse), None)


def _hand_out(data: bytes, line: dict, warehouse: Path, out: Path | str | BinaryIO | None) -> bytes:
    """The audit line first, then the bytes: an export that is not recorded never leaves."""
    try:
        _append_audit(warehouse, line)
    except OSError as exc:
        raise ExportError(f"导出未完成：无法写入导出审计记录 {warehouse / layout.AUDIT}"
                          f"（{exc.strerror or exc}）。每次导出都必须留有记录，因此没有输出任何数据；"
                          "请检查数据仓库目录的写权限与磁盘空间。") from exc
    if isinstance(out, (str, Path)):
        atomic.write_bytes(Path(out), data)
    elif out is not None:
        out.write(data)
    return data


def _append_audit(warehouse: Path, line: dict) -> None:
    """One JSON line appended (O_APPEND: concurrent writers never interleave a line) and fsynced."""
    path = warehouse / layout.AUDIT
    created = not path.parent.exists()
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = (json.dumps(line, ensure_ascii=False, default=str) + "\n").encode("utf-8")
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
    try:
        view = memoryview(payload)
        while view:
            view = view[os.write(fd, view):]
        os.fsync(fd)
    finally:
        os.close(fd)
    if created:  # the new folder's entry survives a crash too
        dir_fd = os.open(path.parent.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)


def _render(frame: pl.DataFrame, fmt: str, meta: dict, at: datetime) -> bytes:
    if fmt == "csv":
        return "\ufeff".encode() + frame.write_csv(null_value="").encode("utf-8")
    if fmt == "parquet":
        buffer = io.BytesIO()
        frame.write_parquet(buffer)
        return buffer.getvalue()
    if fmt == "json":
        return json.dumps(frame.to_dicts(), ensure_ascii=False, default=str, indent=1).encode("utf-8")
    return _xlsx(frame, meta, at)


def _xlsx(frame: pl.DataFrame, meta: dict, at: datetime) -> bytes:
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True, "strings_to_formulas": False,
                                        "strings_to_numbers": False})
    bold = book.add_format({"bold": True})
    sheet = book.add_worksheet("数据")
    for col, name in enumerate(frame.columns):
        sheet.write_string(0, col, name, bold)
        sheet.set_column(col, col, max(10, min(40, len(name) * 2)))
    for r, row in enumerate(frame.iter_rows(), start=1):
        for col, value in enumerate(row):
            if value is None:
                continue
            if isinstance(value, bool):
                sheet.write_boolean(r, col, value)
            elif isinstance(value, (int, float)):
                sheet.write_number(r, col, value)
            else:
                sheet.write_string(r, col, str(value))
    sheet.freeze_panes(1, 0)
    about = book.add_worksheet("筛选条件")
    rows = [("筛选条件", json.dumps(meta.get("filters", {}), ensure_ascii=False)),
            ("指标", "、".join(meta.get("metrics", []))), ("维度", "、".join(meta.get("by", []))),
            ("数据仓库版本", meta.get("version") or ""), ("导出人", meta.get("who") or ""),
            (f"导出时间（{clock.SHOWN_ZH}）", clock.shown(at, "%Y-%m-%d %H:%M:%S")),
            ("行数", str(frame.height))]
    for r, (key, value) in enumerate(rows):
        about.write_string(r, 0, key, bold)
        about.write_string(r, 1, value)
    about.set_column(0, 0, 18)
    about.set_column(1, 1, 80)
    book.close()
    return buffer.getvalue()
