"""Exactly the table shown, as CSV / XLSX / Parquet / JSON. The dashboard's downloads and `xiaobao export` both
call `write`, so the same filters give the same bytes (CSV, Parquet and JSON; XLSX adds the time of export).

CSV is UTF-8 with a BOM (Excel on Chinese Windows opens it right), numbers at full precision, no value as an
empty cell, and any text cell starting with = + - @ (or a tab / carriage return) prefixed with ' so that a
spreadsheet never runs it as a formula.
"""

from __future__ import annotations

import getpass
import io
import json
import os
from pathlib import Path
from typing import BinaryIO

import polars as pl
import xlsxwriter

from core import atomic, clock
from query import catalog

FORMATS = ("csv", "xlsx", "parquet", "json")
DIM_ZH = {"firm_id": "公司代码", "firm_name": "公司", "region_code": "地区代码", "region_name": "地区",
          "province_code": "省份代码", "province_name": "省份", "period": "期间", "year": "年度",
          "firm_type": "公司类型", "product_line": "险种"}
DANGEROUS = ("=", "+", "-", "@", "\t", "\r")


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


def neutralise(frame: pl.DataFrame) -> pl.DataFrame:
    """Prefix ' to every text cell a spreadsheet would read as a formula."""
    text = [c for c, t in frame.schema.items() if t == pl.Utf8]
    return frame.with_columns([
        pl.when(pl.col(c).str.starts_with(DANGEROUS[0]) | pl.col(c).str.starts_with(DANGEROUS[1])
                | pl.col(c).str.starts_with(DANGEROUS[2]) | pl.col(c).str.starts_with(DANGEROUS[3])
                | pl.col(c).str.starts_with(DANGEROUS[4]) | pl.col(c).str.starts_with(DANGEROUS[5]))
        .then(pl.lit("'") + pl.col(c)).otherwise(pl.col(c)).alias(c) for c in text])


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


def to_bytes(frame: pl.DataFrame, fmt: str, labels: str = "id", meta_: dict | None = None) -> bytes:
    buffer = io.BytesIO()
    write(frame, fmt, buffer, labels=labels, meta=meta_)
    return buffer.getvalue()


def write(frame: pl.DataFrame, fmt: str, out: Path | str | BinaryIO, labels: str = "id",
          meta: dict | None = None) -> None:
    """Write `frame` as `fmt` to a path or a binary buffer; `labels="zh"` gives Chinese headers."""
    if fmt not in FORMATS:
        raise ValueError(f"格式应为 {'、'.join(FORMATS)} 之一：{fmt}")
    if labels == "zh":
        frame = frame.rename(labels_zh(frame.columns))
    data = _render(frame, fmt, meta or {})
    if isinstance(out, (str, Path)):
        atomic.write_bytes(Path(out), data)
    else:
        out.write(data)


def _render(frame: pl.DataFrame, fmt: str, meta: dict) -> bytes:
    if fmt == "csv":
        return "\ufeff".encode() + neutralise(frame).write_csv(null_value="").encode("utf-8")
    if fmt == "parquet":
        buffer = io.BytesIO()
        frame.write_parquet(buffer)
        return buffer.getvalue()
    if fmt == "json":
        return json.dumps(frame.to_dicts(), ensure_ascii=False, default=str, indent=1).encode("utf-8")
    return _xlsx(neutralise(frame), meta)


def _xlsx(frame: pl.DataFrame, meta: dict) -> bytes:
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
            (f"导出时间（{clock.SHOWN_ZH}）", clock.shown(clock.now(), "%Y-%m-%d %H:%M:%S")), ("行数", str(frame.height))]
    for r, (key, value) in enumerate(rows):
        about.write_string(r, 0, key, bold)
        about.write_string(r, 1, value)
    about.set_column(0, 0, 18)
    about.set_column(1, 1, 80)
    book.close()
    return buffer.getvalue()


def record(warehouse: Path, meta: dict, rows: int, fmt: str) -> None:
    """The audit trail: who exported what, when, with which filters, how many rows (outside the snapshots)."""
    folder = Path(warehouse) / "audit"
    folder.mkdir(parents=True, exist_ok=True)
    line = {"at": clock.now().isoformat(timespec="seconds"), **meta, "rows": rows, "format": fmt}
    with open(folder / "exports.jsonl", "a", encoding="utf-8") as handle:
        handle.write(json.dumps(line, ensure_ascii=False) + "\n")
