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
   version), where to, and the bytes' SHA-256 — to the audit log <warehouse>/audit/log.jsonl (core.audit,
   core.layout.AUDIT), opened O_APPEND and fsynced. If that fails, `ExportError` is raised and nothing is
   written or returned;
4. only then writes the bytes (to a path atomically, or to a binary stream) and returns them.

The dashboard's downloads (dashboard.ui), `xiaobao export`, `peers --format`, `anomalies --format` and the
error-list CSV all call it; tests/query/test_export.py fails if a path that hands out data bypasses it.
"""

from __future__ import annotations

import getpass
import hashlib
import io
import json
import math
import os
import re
from datetime import datetime
from pathlib import Path
from typing import BinaryIO

import polars as pl
import xlsxwriter

from core import atomic, audit, clock, layout
from core.contract import PRODUCT_LINES_EN
from core.reference import FIRM_TYPES_EN, load_regions
from query import catalog

FORMATS = ("csv", "xlsx", "parquet", "json")
LABELS = ("id", "zh", "en")  # headers: warehouse ids, Chinese, or English (with English values too)
DIM_ZH = {"firm_id": "公司代码", "firm_name": "公司", "region_code": "地区代码", "region_name": "地区",
          "province_code": "省份代码", "province_name": "省份", "period": "期间", "year": "年度",
          "firm_type": "公司类型", "product_line": "险种"}
DIM_EN = {"firm_id": "Firm code", "firm_name": "Firm", "region_code": "Region code", "region_name": "Region",
          "province_code": "Province code", "province_name": "Province", "period": "Quarter", "year": "Year",
          "firm_type": "Firm type", "product_line": "Product line"}
# The other columns of peers and anomalies exports, labelled.
EXTRA_LABELS = {
    "metric": ("指标", "Metric"), "value": ("数值", "Value"), "rank": ("排名", "Rank"),
    "better_than_share": ("优于同业比例", "Better than share of peers"),
    "p25": ("同业P25", "Peer P25"), "median": ("同业中位数", "Peer median"), "p75": ("同业P75", "Peer P75"),
    "n_firms": ("同业公司数", "Firms in group"), "complaint_index": ("投诉指数", "Complaint index"),
    "low_base": ("低基数", "Low base"), "direction": ("方向", "Direction"), "suppressed": ("已隐藏", "Suppressed"),
    "complaints": ("投诉件数", "Complaints"), "baseline_median": ("历史中位数", "Baseline median"),
    "mad": ("绝对中位差", "MAD"), "expected": ("按历史预期", "Expected"), "robust_z": ("稳健Z值", "Robust z"),
    "jump": ("超出预期件数", "Above expected"), "jump_pct": ("超出预期幅度", "Above expected (%)"),
    "proxy_surrender_share": ("疑似代理退保占比", "Suspected proxy-surrender share"),
}
# Dimension ids (`by`) as people read them, for the 筛选条件 sheet.
BY_NAMES = {"firm": ("公司", "Firm"), "firm_type": ("公司类型", "Firm type"), "region": ("地区", "Region"),
            "province": ("省份", "Province"), "period": ("期间", "Quarter"), "year": ("年度", "Year"),
            "product_line": ("险种", "Product line")}
YES_NO = {"zh": ("是", "否"), "en": ("Yes", "No")}
# XLSX number formats: shares as per cent, rates with two decimals, counts with thousands separators.
PERCENT, DECIMAL, COUNT, MONEY = "0.0%", "0.00", "#,##0", "#,##0.00"
_PEER_VALUE_COLUMNS = ("value", "p25", "median", "p75")
_FIXED_FORMATS = {"percentile": PERCENT, "better_than_share": PERCENT, "rank": COUNT, "n_firms": COUNT,
                  "complaint_index": DECIMAL, "complaints": COUNT, "baseline_median": "#,##0.0", "mad": "#,##0.0",
                  "expected": "#,##0.0", "jump": "#,##0.0", "robust_z": DECIMAL, "jump_pct": PERCENT,
                  "proxy_surrender_share": PERCENT, "year": "0"}
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
    return _labels(columns, "zh")


def labels_en(columns: list[str]) -> dict[str, str]:
    return _labels(columns, "en")


def _labels(columns: list[str], lang: str) -> dict[str, str]:
    names = {m.id: (m.zh if lang == "zh" else m.en) for m in catalog.metrics()}
    dims = DIM_ZH if lang == "zh" else DIM_EN
    low = "（低基数）" if lang == "zh" else " (low base)"
    out = {}
    for c in columns:
        if c in dims:
            out[c] = dims[c]
        elif c.endswith("__low_base") and c.removesuffix("__low_base") in names:
            out[c] = f"{names[c.removesuffix('__low_base')]}{low}"
        elif c in names:
            out[c] = names[c]
        else:
            out[c] = EXTRA_LABELS[c][lang == "en"] if c in EXTRA_LABELS else c
    return out


def number_format(column: str, metric: str | None = None) -> str | None:
    """The XLSX number format of a column id: shares as %, rates with two decimals, counts with thousands
    separators, money with two decimals; `metric` is what a peers export's value columns hold. None: as is."""
    if column.endswith("__low_base"):
        return None
    if column in _PEER_VALUE_COLUMNS and metric is not None:
        column = metric
    if column in _FIXED_FORMATS:
        return _FIXED_FORMATS[column]
    m = catalog.by_id().get(column)
    if m is None:
        return None
    if m.percent:
        return PERCENT
    return {"count": COUNT, "stock": COUNT, "money": MONEY}.get(m.kind, DECIMAL)


def _english_values(frame: pl.DataFrame) -> pl.DataFrame:
    """Firm types, product lines, region and province names in English (Life / Property …)."""
    for column, names in (("firm_type", FIRM_TYPES_EN), ("product_line", PRODUCT_LINES_EN)):
        if column in frame.columns:
            frame = frame.with_columns(pl.col(column).cast(pl.Utf8).replace(names))
    english: dict[str, str] | None = None
    for code, name in (("region_code", "region_name"), ("province_code", "province_name")):
        if code in frame.columns and name in frame.columns:
            if english is None:
                regions = load_regions()
                english = dict(zip(regions["code"].to_list(), regions["name_en"].to_list(), strict=True))
            frame = frame.with_columns(pl.col(code).replace_strict(english, default=pl.col(name),
                                                                   return_dtype=pl.Utf8).alias(name))
    return frame


def _yes_no(frame: pl.DataFrame, lang: str) -> pl.DataFrame:
    """Flags as words (是/否, Yes/No) for people; no value stays empty."""
    yes, no = YES_NO[lang]
    flags = [c for c, t in frame.schema.items() if t == pl.Boolean]
    return frame.with_columns([pl.when(pl.col(c)).then(pl.lit(yes)).when(~pl.col(c)).then(pl.lit(no))
                               .otherwise(None).alias(c) for c in flags])


def file_name(filters: object, fmt: str, stem: str = "xiaobao") -> str:
    """The name a download is offered under, for its period: xiaobao_2025Q3.xlsx, xiaobao_2024Q3-2025Q3.xlsx."""
    period = getattr(filters, "period", None)
    start, end = getattr(filters, "period_from", None), getattr(filters, "period_to", None)
    when = period or (f"{start or ''}-{end or ''}" if start or end else "")
    return f"{stem}_{when}.{fmt}" if when else f"{stem}.{fmt}"


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
           who: str | None = None, role: str | None = None) -> bytes:
    """Hand out `frame` as `fmt`: neutralised, audited in `warehouse`, then written to `out` (a path, written
    atomically, or a binary stream; None: only returned) and returned.

    `labels="zh"` gives Chinese headers, `labels="en"` English headers and English values (firm types, product lines,
    regions); with either, flags read 是/否 or Yes/No in every format but Parquet.
    `meta` is `meta(…)` (filters, metrics, by, version, who); `what` names
    the kind of export in the audit line (table, peers, anomalies, error_list …); `destination` says where the
    bytes go when `out` does not (a download's file name, stdout); `who` overrides `meta["who"]` (the logged-in
    user in the dashboard) and `role` is recorded with it when given.
    Raises `ExportError` — and hands out nothing — when the audit line cannot be
    written; ValueError for an unknown format.
    """
    if fmt not in FORMATS:
        raise ValueError(f"格式应为 {'、'.join(FORMATS)} 之一：{fmt}")
    if labels not in LABELS:
        raise ValueError(f"表头应为 {'、'.join(LABELS)} 之一：{labels}")
    meta = dict(meta or {})
    meta["who"] = who or meta.get("who") or _who()
    at = clock.now()
    metrics = meta.get("metrics") or []
    formats = [number_format(c, metrics[0] if len(metrics) == 1 else None) for c in frame.columns]
    shown = frame
    if labels != "id":
        if labels == "en":
            shown = _english_values(shown)
        if fmt != "parquet":
            shown = _yes_no(shown, labels)
        shown = shown.rename(_labels(shown.columns, labels))
    lang = "en" if labels == "en" else "zh"
    data = _render(neutralise(shown), fmt, meta, at, formats=formats, lang=lang, warehouse=Path(warehouse))
    if destination is None:
        destination = str(Path(out).resolve()) if isinstance(out, (str, Path)) \
            else "stream" if out is not None else "download"
    line = {"at": at.isoformat(timespec="seconds"), "who": meta["who"], **({"role": role} if role else {}),
            "what": what,
            "filters": meta.get("filters", {}), "metrics": meta.get("metrics", []), "by": meta.get("by", []),
            "version": meta.get("version"), "rows": frame.height, "columns": frame.width, "format": fmt,
            "labels": labels, "destination": destination, "bytes": len(data),
            "sha256": hashlib.sha256(data).hexdigest()}
    return _hand_out(data, line, Path(warehouse), out)


def original(warehouse: Path | str, file_name: str, data: bytes, *, submission_id: str, who: str | None = None,
             destination: str | None = None, role: str | None = None) -> bytes:
    """Hand out a file a member sent, byte for byte as received (it is the record of what arrived: never
    rewritten, so not neutralised), audited like every export. Raises `ExportError` when it cannot be recorded."""
    at = clock.now()
    line = {"at": at.isoformat(timespec="seconds"), "who": who or _who(), **({"role": role} if role else {}),
            "what": "original_file",
            "submission_id": submission_id, "file_name": file_name, "rows": None,
            "format": Path(file_name).suffix.lstrip(".").lower() or None,
            "destination": destination or f"download:{file_name}", "bytes": len(data),
            "sha256": hashlib.sha256(data).hexdigest()}
    return _hand_out(data, line, Path(warehouse), None)


DOCUMENT_FORMATS = ("pptx", "pdf", "xlsx")  # the meeting deck; the pre-filled submission template


def document(warehouse: Path | str, data: bytes, fmt: str, out: Path | str | BinaryIO | None = None, *,
             what: str = "deck", meta: dict | None = None, who: str | None = None, role: str | None = None,
             destination: str | None = None) -> bytes:
    """Hand out a document rendered from the query layer's figures (the meeting deck: PPTX or PDF), audited like
    every export, then written to `out` (a path, atomically; a stream; None: only returned). The renderer
    neutralises the text it puts into the document's own workbooks (deck/render.py: a chart's data).
    Raises `ExportError` — and hands out nothing — when the audit line cannot be written."""
    if fmt not in DOCUMENT_FORMATS:
        raise ValueError(f"格式应为 {'、'.join(DOCUMENT_FORMATS)} 之一：{fmt}")
    meta = dict(meta or {})
    at = clock.now()
    if destination is None:
        destination = str(Path(out).resolve()) if isinstance(out, (str, Path)) \
            else "stream" if out is not None else "download"
    line = {"at": at.isoformat(timespec="seconds"), "who": who or meta.get("who") or _who(),
            **({"role": role} if role else {}), "what": what, "filters": meta.get("filters", {}),
            "metrics": meta.get("metrics", []), "by": meta.get("by", []), "version": meta.get("version"),
            "rows": None, "format": fmt, "destination": destination, "bytes": len(data),
            "sha256": hashlib.sha256(data).hexdigest()}
    return _hand_out(data, line, Path(warehouse), out)


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
    """The line appended to the audit log (core.audit: O_APPEND, fsynced); OSError when it cannot be."""
    audit.append(warehouse, line)


def _render(frame: pl.DataFrame, fmt: str, meta: dict, at: datetime, *, formats: list[str | None] | None = None,
            lang: str = "zh", warehouse: Path | None = None) -> bytes:
    if fmt == "csv":
        return "\ufeff".encode() + frame.write_csv(null_value="").encode("utf-8")
    if fmt == "parquet":
        buffer = io.BytesIO()
        frame.write_parquet(buffer)
        return buffer.getvalue()
    if fmt == "json":
        return json.dumps(frame.to_dicts(), ensure_ascii=False, default=str, indent=1).encode("utf-8")
    return _xlsx(frame, meta, at, formats or [None] * frame.width, lang, warehouse)


def _width(text: str) -> int:
    """Excel column width of a text: a CJK character is two."""
    return sum(2 if ord(ch) > 0x2E7F else 1 for ch in text)


def _xlsx(frame: pl.DataFrame, meta: dict, at: datetime, formats: list[str | None], lang: str,
          warehouse: Path | None) -> bytes:
    """The data sheet (header bold, frozen, with an autofilter; numbers formatted by what they are) and a sheet
    saying what was exported, in words: 筛选条件 / Filters."""
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True, "strings_to_formulas": False,
                                        "strings_to_numbers": False})
    bold = book.add_format({"bold": True, "text_wrap": True, "valign": "top"})
    number = {f: book.add_format({"num_format": f}) for f in dict.fromkeys(formats) if f}
    zh = lang == "zh"
    sheet = book.add_worksheet("数据" if zh else "Data")
    for col, name in enumerate(frame.columns):
        sheet.write_string(0, col, name, bold)
        sheet.set_column(col, col, max(10, min(40, _width(name) + 2)), number.get(formats[col] or ""))
    for r, row in enumerate(frame.iter_rows(), start=1):
        for col, value in enumerate(row):
            if value is None:
                continue
            if isinstance(value, bool):
                sheet.write_boolean(r, col, value)
            elif isinstance(value, (int, float)):
                if not math.isfinite(value):  # NaN or infinity: not a number a spreadsheet can hold
                    continue
                sheet.write_number(r, col, value, number.get(formats[col] or ""))
            else:
                sheet.write_string(r, col, str(value))
    sheet.freeze_panes(1, 0)
    if frame.width:
        sheet.autofilter(0, 0, max(frame.height, 1), frame.width - 1)
    about = book.add_worksheet("筛选条件" if zh else "Filters")
    rows = [*described(meta.get("filters", {}), lang, warehouse),
            ("指标" if zh else "Metrics", _metric_names(meta.get("metrics", []), lang)),
            ("维度" if zh else "Dimensions", ("、" if zh else ", ").join(
                BY_NAMES[b][not zh] if b in BY_NAMES else b for b in meta.get("by", [])) or ("无（合计）" if zh
                                                                                          else "None (total)")),
            ("数据仓库版本" if zh else "Warehouse version", meta.get("version") or ""),
            ("导出人" if zh else "Exported by", meta.get("who") or ""),
            (f"导出时间（{clock.SHOWN_ZH}）" if zh else "Exported at (Beijing time)",
             clock.shown(at, "%Y-%m-%d %H:%M:%S")),
            ("行数" if zh else "Rows", f"{frame.height:,}")]
    for r, (key, value) in enumerate(rows):
        about.write_string(r, 0, key, bold)
        about.write_string(r, 1, value)
    about.set_column(0, 0, 22)
    about.set_column(1, 1, 80)
    book.close()
    return buffer.getvalue()


def _metric_names(ids: list[str], lang: str) -> str:
    known = catalog.by_id()
    names = [(known[m].zh if lang == "zh" else known[m].en) if m in known else m for m in ids]
    return ("、" if lang == "zh" else ", ").join(names)


def described(filters: dict, lang: str = "zh", warehouse: Path | None = None) -> list[tuple[str, str]]:
    """The filters an export recorded (ids, as in the audit line), as people read them: 期间 2024Q3 至 2025Q3,
    公司类型 人身险, the firms' and regions' names. Firm names come from the warehouse's registry."""
    zh = lang == "zh"
    sep = "、" if zh else ", "
    rows: list[tuple[str, str]] = []
    period, start, end = filters.get("period"), filters.get("period_from"), filters.get("period_to")
    if period:
        rows.append(("期间" if zh else "Period", str(period)))
    elif start or end:
        rows.append(("期间" if zh else "Period",
                     f"{start or '最早'} 至 {end or '最新'}" if zh else f"{start or 'earliest'} to {end or 'latest'}"))
    firm_type = filters.get("firm_type")
    rows.append(("公司类型" if zh else "Firm type",
                 (firm_type if zh else FIRM_TYPES_EN.get(firm_type, firm_type)) if firm_type else
                 ("全部类型" if zh else "All types")))
    names = _firm_names(warehouse) if filters.get("firms") else {}
    regions = {}
    if filters.get("regions") or filters.get("provinces"):
        table = load_regions()
        regions = dict(zip(table["code"].to_list(), table["name" if zh else "name_en"].to_list(), strict=True))
    for key, label, lookup, everything in (("firms", ("公司", "Firms"), names, ("全部公司", "All firms")),
                                           ("provinces", ("省份", "Provinces"), regions, ("全部", "All")),
                                           ("regions", ("地区", "Regions"), regions, ("全部地区", "All regions"))):
        values = filters.get(key) or []
        values = [values] if isinstance(values, str) else list(values)
        if values or key == "firms":
            rows.append((label[not zh], sep.join(str(lookup.get(v) or v) for v in values) or everything[not zh]))
    for key, value in filters.items():
        if key not in ("period", "period_from", "period_to", "firm_type", "firms", "provinces", "regions"):
            rows.append((str(key), sep.join(map(str, value)) if isinstance(value, (list, tuple)) else str(value)))
    return rows


def _firm_names(warehouse: Path | None) -> dict[str, str]:
    snapshot = layout.current_snapshot(warehouse) if warehouse is not None else None
    path = snapshot / layout.FIRMS if snapshot else None
    if path is None or not path.exists():
        return {}
    firms = pl.read_parquet(path)
    name = "short_name" if "short_name" in firms.columns else "name"
    return dict(zip(firms["firm_id"].to_list(), firms[name].to_list(), strict=True))
