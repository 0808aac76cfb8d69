"""Submission units → `ParsedSubmission`s: read, normalise, validate. Never raises for bad input: whatever cannot
be read becomes one `unreadable_file` error, so one bad file never stops a batch.

Many units are parsed together (`parse_files`): each sheet kind of every unit is normalised and checked in one set
of queries, since a polars query over one small sheet costs about what it costs over a thousand of them."""

from __future__ import annotations

import hashlib
from pathlib import Path

import polars as pl

from core.contract import COVER_ID, SHEETS, Sheet, sheet_id
from etl.model import Issue, ParsedSubmission
from etl.normalise import DATA, TABLE, Table, Tables, firm_lookup, read_cover, read_tables, region_lookup
from etl.read import RawSheet, UnreadableFile, read_many, source_bytes
from etl.validate import check_cover, check_tables, make_issue, missing_sheet

Source = tuple[bytes, str, str]  # a unit's `source_bytes` (bytes, extension) and the sha256 of those bytes
Unread = OSError | UnreadableFile  # why a unit could not be read: the system refused it, or we did


def read_source(path: Path) -> Source:
    """A unit's bytes as archived, read once, with their sha256; raises OSError when the path cannot be read and
    UnreadableFile when it is refused before reading (a link, over the size limit)."""
    data, ext = source_bytes(path)
    return data, ext, hashlib.sha256(data).hexdigest()


def parse_file(path: Path, registry: pl.DataFrame, regions: pl.DataFrame, *, name: str | None = None
               ) -> ParsedSubmission:
    """Parse one unit (workbook, .zip or folder CSV bundle). `registry` is the member registry (firm_id, name,
    short_name, aliases, firm_type), `regions` is `core.reference.load_regions()`; `name` is the file name used in
    messages (default: the path's name). sha256 is taken over `source_bytes(path)`.

    `frames[dataset]` holds `period, firm_id, <key columns>, <measures in contract order>, source_row` for every
    data sheet the unit has (counts Int64, money Float64 万元); with errors present they are not to be stored."""
    return parse_files([path], registry, regions, names=None if name is None else [name])[0]


def parse_files(paths: list[Path], registry: pl.DataFrame, regions: pl.DataFrame, *,
                names: list[str] | None = None, given: list[Source | Unread | None] | None = None
                ) -> list[ParsedSubmission]:
    """`parse_file` for each of `paths` (names[i]: the file name used in messages for paths[i]), all at once.
    A unit that trips the reader or the parser is rejected alone, exactly as `parse_file` would reject it.
    given[i], when not None, is what `read_source(paths[i])` gave (or raised) already: the unit is not read again."""
    paths = [Path(p) for p in paths]
    files = names or [p.name for p in paths]
    subs: list[ParsedSubmission] = []
    sources: dict[int, tuple[bytes, str]] = {}
    for i, path in enumerate(paths):
        source = given[i] if given is not None else None
        if source is None:
            try:
                source = read_source(path)
            except (OSError, UnreadableFile) as exc:
                source = exc
        if isinstance(source, UnreadableFile):  # refused before reading: a link, too large
            subs.append(_refused(ParsedSubmission(path=path, sha256=""), files[i], source))
            continue
        if isinstance(source, OSError):
            subs.append(_unreadable(ParsedSubmission(path=path, sha256=""), files[i],
                                    f"无法打开：{source.strerror or source}"))
            continue
        data, ext, sha256 = source
        subs.append(ParsedSubmission(path=path, sha256=sha256))
        sources[i] = (data, ext)
    read = _read_isolated(list(sources.values()))
    units: list[tuple[ParsedSubmission, list[RawSheet], str]] = []
    for i, sheets in zip(sources, read, strict=True):
        if isinstance(sheets, UnreadableFile):
            _refused(subs[i], files[i], sheets)
        elif isinstance(sheets, Exception):  # whatever the reader trips on rejects this file only
            _unreadable(subs[i], files[i], f"读取出错：{type(sheets).__name__}")
        else:
            units.append((subs[i], sheets, files[i]))
    _parse_isolated(units, registry, regions)
    return subs


def _read_isolated(sources: list[tuple[bytes, str]]) -> list[list[RawSheet] | Exception]:
    try:
        return read_many(sources)
    except Exception:  # something in the shared pass: each unit alone, to find which one
        if len(sources) == 1:
            raise
        return [_read_one(source) for source in sources]


def _read_one(source: tuple[bytes, str]) -> list[RawSheet] | Exception:
    try:
        return read_many([source])[0]
    except Exception as exc:  # noqa: BLE001
        return exc


def _parse_isolated(units: list[tuple[ParsedSubmission, list[RawSheet], str]], registry: pl.DataFrame,
                    regions: pl.DataFrame) -> None:
    try:
        _parse(units, registry, regions)
        return
    except Exception as exc:  # noqa: BLE001 — a parser bug must reject the file it trips on only, never the batch
        if len(units) == 1:
            sub, _, file = units[0]
            sub.frames = {}
            _unreadable(sub, file, f"解析出错：{type(exc).__name__}: {exc}")
            return
    for unit in units:  # each unit alone: the one that trips the parser is rejected, the others go through
        _parse_isolated([unit], registry, regions)


def _unreadable(sub: ParsedSubmission, file: str, reason: str) -> ParsedSubmission:
    sub.issues = [make_issue("error", "unreadable_file", file, note=reason)]
    return sub


def _refused(sub: ParsedSubmission, file: str, exc: UnreadableFile) -> ParsedSubmission:
    sub.issues = [make_issue("error", exc.rule, file, sheet=exc.sheet, row=exc.row, column=exc.column, note=str(exc))]
    return sub


def _parse(units: list[tuple[ParsedSubmission, list[RawSheet], str]], registry: pl.DataFrame,
           regions: pl.DataFrame) -> None:
    firms = firm_lookup(registry)
    lookup = region_lookup(regions)
    found: list[dict[str, RawSheet]] = []
    cover_issues: list[list[Issue]] = []
    for sub, sheets, file in units:
        by_id: dict[str, RawSheet] = {}
        for raw in sheets:
            sid = sheet_id(raw.name)
            if sid:
                by_id.setdefault(sid, raw)  # the first sheet of a kind counts; a copy further on is ignored
        cover_raw = by_id.get(COVER_ID)
        cover, issues = check_cover(cover_raw, read_cover(cover_raw) if cover_raw else {}, firms, file)
        for attr in ("firm_name_raw", "firm_id", "firm_type", "period", "basis", "version", "filler", "phone",
                     "filled_on"):
            setattr(sub, attr, getattr(cover, attr))
        found.append(by_id)
        cover_issues.append(issues)
    sheet_issues: dict[str, dict[int, list[Issue]]] = {}
    frames: dict[str, dict[int, pl.DataFrame]] = {}
    for sheet in SHEETS:
        members = [u for u, by_id in enumerate(found) if sheet.id in by_id]
        tables = read_tables(sheet, [(found[u][sheet.id], units[u][0].firm_type) for u in members], lookup)
        checked = check_tables(tables, [units[u][2] for u in members], [units[u][0].firm_type for u in members])
        sheet_issues[sheet.id] = dict(zip(members, checked, strict=True))
        frames[sheet.id] = {members[t]: f for t, f in to_frames(
            tables, [units[u][0].period for u in members], [units[u][0].firm_id for u in members]).items()}
    for u, (sub, _, file) in enumerate(units):
        issues = cover_issues[u]
        for sheet in SHEETS:
            if u not in sheet_issues[sheet.id]:
                issues.append(missing_sheet(sheet.zh, file))
                continue
            issues += sheet_issues[sheet.id][u]
            if u in frames[sheet.id]:
                sub.frames[sheet.id] = frames[sheet.id][u]
        sub.issues = issues


def frame_schema(sheet: Sheet) -> pl.Schema:
    """The key columns, measures (counts Int64, money Float64) and source_row of a dataset, in contract order."""
    return pl.Schema({**{c.id: c.dtype for c in sheet.columns}, "source_row": pl.Int64()})


def to_frame(table: Table, period: str | None, firm_id: str | None) -> pl.DataFrame:
    """The region rows of a table as warehouse columns (rows with an unrecognised region or line are left out)."""
    rows = table.rows.select(pl.lit(0, pl.Int32).alias(TABLE), pl.all())
    meta = Table(table.sheet, table.name, table.header_row, table.headers, table.missing, pl.DataFrame(), table.factors)
    return to_frames(Tables(table.sheet, [meta], rows), [period], [firm_id])[0]


def to_frames(tables: Tables, periods: list[str | None], firm_ids: list[str | None]) -> dict[int, pl.DataFrame]:
    """`to_frame` of every table of `tables` that has a header row, by its index."""
    schema = frame_schema(tables.sheet)
    with_header = [i for i, t in enumerate(tables.tables) if t.header_row is not None]
    out_schema = pl.Schema({"period": pl.Utf8(), "firm_id": pl.Utf8(), **schema})
    if not with_header:
        return {}
    keys = [c.id for c in tables.sheet.columns if c.kind == "key"]
    rows = tables.rows.filter((pl.col("role") == DATA) & pl.all_horizontal(pl.col(k).is_not_null() for k in keys))
    index = pl.col(TABLE)
    rows = rows.select(
        index,
        index.replace_strict(dict(enumerate(periods)), default=None, return_dtype=pl.Utf8).alias("period"),
        index.replace_strict(dict(enumerate(firm_ids)), default=None, return_dtype=pl.Utf8).alias("firm_id"),
        *(pl.col(c).cast(dtype) for c, dtype in schema.items()),
    )
    parts = rows.partition_by(TABLE, as_dict=True, include_key=False)
    return {i: parts[(i,)] if (i,) in parts else pl.DataFrame(schema=out_schema) for i in with_header}

