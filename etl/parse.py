"""One submission unit → `ParsedSubmission`: read, normalise, validate. Never raises for bad input: whatever cannot
be read becomes one `unreadable_file` error, so one bad file never stops a batch."""

from __future__ import annotations

import hashlib
from pathlib import Path

import polars as pl

from core.contract import COVER_ID, SHEETS, Sheet, sheet_id
from etl.model import ParsedSubmission
from etl.normalise import DATA, Table, firm_lookup, read_cover, read_table, region_lookup
from etl.read import RawSheet, UnreadableFile, read_bytes, source_bytes
from etl.validate import check_cover, check_table, make_issue, missing_sheet


def parse_file(path: Path, registry: pl.DataFrame, regions: pl.DataFrame, *, name: str | None = None
               ) -> ParsedSubmission:
    """Parse one unit (workbook, .zip or folder CSV bundle). `registry` is the member registry (firm_id, name,
    short_name, aliases, firm_type), `regions` is `core.reference.load_regions()`; `name` is the file name used in
    messages (default: the path's name). sha256 is taken over `source_bytes(path)`.

    `frames[dataset]` holds `period, firm_id, <key columns>, <measures in contract order>, source_row` for every
    data sheet the unit has (counts Int64, money Float64 万元); with errors present they are not to be stored."""
    path = Path(path)
    file = name or path.name
    try:
        data, ext = source_bytes(path)
    except OSError as exc:
        return _unreadable(ParsedSubmission(path=path, sha256=""), file, f"无法打开：{exc.strerror or exc}")
    sub = ParsedSubmission(path=path, sha256=hashlib.sha256(data).hexdigest())
    try:
        sheets = read_bytes(data, ext)
    except UnreadableFile as exc:
        return _unreadable(sub, file, str(exc))
    except Exception as exc:  # noqa: BLE001 — whatever the reader trips on rejects this file only
        return _unreadable(sub, file, f"读取出错：{type(exc).__name__}")
    try:
        _parse(sub, sheets, registry, regions, file)
    except Exception as exc:  # noqa: BLE001 — a parser bug must reject this file only, never stop the batch
        sub.frames = {}
        return _unreadable(sub, file, f"解析出错：{type(exc).__name__}: {exc}")
    return sub


def _unreadable(sub: ParsedSubmission, file: str, reason: str) -> ParsedSubmission:
    sub.issues = [make_issue("error", "unreadable_file", file, note=reason)]
    return sub


def _parse(sub: ParsedSubmission, sheets: list[RawSheet], registry: pl.DataFrame, regions: pl.DataFrame,
           file: str) -> None:
    by_id: dict[str, RawSheet] = {}
    for each in sheets:
        sid = sheet_id(each.name)
        if sid:
            by_id.setdefault(sid, each)  # the first sheet of a kind counts; a copy further on is ignored
    cover_raw = by_id.get(COVER_ID)
    cover, issues = check_cover(cover_raw, read_cover(cover_raw) if cover_raw else {}, firm_lookup(registry), file)
    for attr in ("firm_name_raw", "firm_id", "firm_type", "period", "basis", "version", "filler", "phone",
                 "filled_on"):
        setattr(sub, attr, getattr(cover, attr))
    lookup = region_lookup(regions)
    for sheet in SHEETS:
        raw = by_id.get(sheet.id)
        if raw is None:
            issues.append(missing_sheet(sheet.zh, file))
            continue
        table = read_table(sheet, raw, lookup, sub.firm_type)
        issues += check_table(table, file, sub.firm_type)
        if table.header_row is not None:
            sub.frames[sheet.id] = to_frame(table, sub.period, sub.firm_id)
    sub.issues = issues


def frame_schema(sheet: Sheet) -> dict[str, pl.DataType]:
    """The key columns, measures (counts Int64, money Float64) and source_row of a dataset, in contract order."""
    return {**{c.id: c.dtype for c in sheet.columns}, "source_row": pl.Int64()}


def to_frame(table: Table, period: str | None, firm_id: str | None) -> pl.DataFrame:
    """The region rows of a table as warehouse columns (rows with an unrecognised region or line are left out)."""
    keys = [c.id for c in table.sheet.columns if c.kind == "key"]
    rows = table.rows.filter((pl.col("role") == DATA) & pl.all_horizontal(pl.col(k).is_not_null() for k in keys))
    schema = frame_schema(table.sheet)
    return rows.select(
        pl.lit(period, pl.Utf8).alias("period"),
        pl.lit(firm_id, pl.Utf8).alias("firm_id"),
        *(pl.col(c).cast(dtype) for c, dtype in schema.items()),
    )
