"""One submission unit → `ParsedSubmission`: read, normalise, validate. Never raises for bad input."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import polars as pl

from etl import normalise as norm
from etl.contract import COVER, COVER_SHEET, SHEETS, Sheet
from etl.model import Issue, ParsedSubmission
from etl.read import RawSheet, UnreadableFile, read_unit, source_bytes
from etl.text import clean
from etl.validate import Row, check_duplicates, check_rules, check_total, make_issue, product_line, rule_text

HEADER_SEARCH_ROWS = 15  # title lines above the header row are tolerated up to here


@dataclass
class _Context:
    file: str
    regions: dict[str, str]  # spelling → region code
    firm_type: str | None = None
    issues: list[Issue] = field(default_factory=list)

    def error(self, rule: str, **where) -> None:
        self.issues.append(make_issue("error", rule, self.file, **where))

    def warn(self, rule: str, **where) -> None:
        self.issues.append(make_issue("warning", rule, self.file, **where))


def firm_lookup(registry: pl.DataFrame) -> dict[str, tuple[str, str]]:
    """Legal name, short name, every alias and the id itself (cleaned) → (firm_id, firm_type)."""
    lookup: dict[str, tuple[str, str]] = {}
    for row in registry.iter_rows(named=True):
        entry = (row["firm_id"], row["firm_type"])
        for name in (row["firm_id"], row["name"], row["short_name"], *(row["aliases"] or "").split("|")):
            if name:
                lookup.setdefault(clean(name), entry)
    return lookup


def parse_file(path: Path, registry: pl.DataFrame, regions: pl.DataFrame, *, name: str | None = None
               ) -> ParsedSubmission:
    path = Path(path)
    ctx = _Context(file=name or path.name, regions=norm.region_lookup(regions))
    try:
        data, _ = source_bytes(path)
    except OSError as exc:
        sub = ParsedSubmission(path=path, sha256="")
        sub.issues.append(make_issue("error", "unreadable_file", ctx.file, detail=f"{rule_text('unreadable_file')}：{exc}"))
        return sub
    sub = ParsedSubmission(path=path, sha256=hashlib.sha256(data).hexdigest())
    try:
        sheets = read_unit(path)
    except UnreadableFile as exc:
        ctx.error("unreadable_file", detail=f"{rule_text('unreadable_file')}：{exc}")
        sheets = None
    except Exception as exc:  # noqa: BLE001 — a reader bug must reject this file only, never stop the batch
        ctx.error("unreadable_file", detail=f"{rule_text('unreadable_file')}：{type(exc).__name__}")
        sheets = None
    if sheets is not None:
        by_id: dict[str, RawSheet] = {}
        for raw in sheets:
            sid = norm.sheet_id(raw.name)
            if sid:
                by_id.setdefault(sid, raw)
        _read_cover(by_id.get(norm.COVER_ID), sub, firm_lookup(registry), ctx)
        for sheet in SHEETS:
            raw = by_id.get(sheet.id)
            if raw is None:
                ctx.error("missing_sheet", sheet=sheet.zh, detail=f"{rule_text('missing_sheet')}：缺少“{sheet.zh}”工作表")
                continue
            frame = _read_table(sheet, raw, ctx)
            if frame is not None:
                sub.frames[sheet.id] = frame.with_columns(
                    pl.lit(sub.period, pl.Utf8).alias("period"), pl.lit(sub.firm_id, pl.Utf8).alias("firm_id")
                ).select(["period", "firm_id", *frame.columns])
    sub.issues = ctx.issues
    return sub


# ── 封面 ──────────────────────────────────────────────────────────────────────────────────────────────────────
def _read_cover(raw: RawSheet | None, sub: ParsedSubmission, firms: dict[str, tuple[str, str]],
                ctx: _Context) -> None:
    if raw is None:
        ctx.error("missing_sheet", sheet=COVER_SHEET, detail=f"{rule_text('missing_sheet')}：缺少“{COVER_SHEET}”工作表")
        return
    found: dict[str, tuple[str | None, int, str]] = {}  # field id → (value, row, label as written)
    for number, cells in raw.rows:
        for i, cell in enumerate(cells):
            fid = norm.cover_field(cell)
            if fid and fid not in found:
                value = next((c for c in cells[i + 1:] if c), None)
                found[fid] = (value, number, cell)
                break
    labels = {f.id: f.zh for f in COVER}

    def where(fid: str) -> dict:
        value, row, label = found.get(fid, (None, None, labels[fid]))
        return {"sheet": raw.name, "row": row, "column": label, "value": value}

    name = found.get("firm_name", (None,))[0]
    sub.firm_name_raw = name
    match = firms.get(clean(name)) if name else None
    if match:
        sub.firm_id, sub.firm_type = match
        ctx.firm_type = sub.firm_type
    else:
        ctx.error("unknown_firm", **where("firm_name"),
                  detail=rule_text("unknown_firm") if name else "封面未填写公司名称")
    period_text = found.get("period", (None,))[0]
    sub.period = norm.parse_period(period_text)
    if sub.period is None:
        ctx.error("bad_period", **where("period"))
    basis_text = found.get("basis", (None,))[0]
    sub.basis = norm.parse_basis(basis_text)
    if sub.basis is None:
        ctx.error("bad_basis", **where("basis"))
    version = norm.parse_version(found.get("version", (None,))[0])
    if version is None:
        ctx.error("bad_version", **where("version"))
    sub.version = version or 1
    sub.filler = found.get("filler", (None,))[0]
    sub.phone = found.get("phone", (None,))[0]
    filled_text = found.get("filled_on", (None,))[0]
    sub.filled_on = norm.parse_date(filled_text)
    if filled_text and sub.filled_on is None:
        ctx.warn("bad_date", **where("filled_on"), detail="填报日期无法识别（应为 YYYY-MM-DD），已忽略")


# ── data sheets ───────────────────────────────────────────────────────────────────────────────────────────────
def _find_header(sheet: Sheet, raw: RawSheet) -> tuple[int, dict[str, tuple[int, norm.HeaderMatch, str]]] | None:
    """The first row (within the first few) naming the region column and at least one other contract column."""
    for index, (_, cells) in enumerate(raw.rows[:HEADER_SEARCH_ROWS]):
        matches = {}
        for pos, cell in enumerate(cells):
            match = norm.header(sheet, cell)
            if match and match.column not in matches:
                matches[match.column] = (pos, match, cell)
        if "region_code" in matches and len(matches) >= 2:
            return index, matches
    return None


def _read_table(sheet: Sheet, raw: RawSheet, ctx: _Context) -> pl.DataFrame | None:
    found = _find_header(sheet, raw)
    if found is None:
        ctx.error("missing_column", sheet=raw.name, column="地区",
                  detail="找不到表头行（前 15 行中应有含“地区”及各指标名称的一行）")
        return None
    header_index, columns = found
    headers = {cid: text for cid, (_, _, text) in columns.items()}
    missing = [c for c in sheet.columns if c.id not in columns]
    for column in missing:
        ctx.error("missing_column", sheet=raw.name, row=raw.rows[header_index][0], column=column.header,
                  detail=f"{rule_text('missing_column')}：“{column.header}”")
    if missing:
        return None
    rows, total, blanks = [], None, {}
    region_pos = columns["region_code"][0]
    line_pos = columns["product_line"][0] if "product_line" in columns else None
    for number, cells in raw.rows[header_index + 1:]:
        def cell(pos: int, cells=cells) -> str | None:
            return cells[pos] if pos < len(cells) else None

        region_text = cell(region_pos)
        measure_texts = {c.id: cell(columns[c.id][0]) for c in sheet.measures}
        if region_text is None and all(v is None for v in measure_texts.values()) and (
                line_pos is None or cell(line_pos) is None):
            continue  # a blank line
        if norm.is_total(region_text):
            values = _numbers(sheet, measure_texts, columns, headers, number, raw.name, ctx, blanks=None)
            total = Row(number, region_text, None, None, values)
            continue
        if norm.is_note(region_text) or (region_text and all(v is None for v in measure_texts.values())
                                         and norm.region_code(region_text, ctx.regions) is None):
            continue  # notes under the table (注：…, 数据来源 …) are not figures
        if all(v is None for v in measure_texts.values()):
            continue  # a region row left empty (the template pre-fills every region): not reported at all
        code = norm.region_code(region_text, ctx.regions)
        if code is None:
            ctx.error("unknown_region", sheet=raw.name, row=number, column=headers["region_code"],
                      value=region_text or "（空白）")
        line = None
        if line_pos is not None:
            line_text = cell(line_pos)
            line = product_line(line_text, ctx.firm_type)
            if line is None:
                ctx.error("unknown_product_line", sheet=raw.name, row=number, column=headers["product_line"],
                          value=line_text or "（空白）")
        values = _numbers(sheet, measure_texts, columns, headers, number, raw.name, ctx, blanks=blanks)
        rows.append(Row(number, region_text, code, line, values))
    if blanks:
        listed = "、".join(f"“{headers[c]}”{n} 处" for c, n in blanks.items())
        ctx.warn("blank_not_reported", sheet=raw.name, detail=f"{rule_text('blank_not_reported')}：{listed}")
    good = [r for r in rows if r.region_code and (line_pos is None or r.product_line)]
    ctx.issues.extend(check_rules(sheet, good, headers, ctx.file, raw.name))
    ctx.issues.extend(check_duplicates(sheet, good, headers["region_code"], ctx.file, raw.name))
    if total is not None:
        ctx.issues.extend(check_total(sheet, total, rows, headers, ctx.file, raw.name))
    return _frame(sheet, good)


def _numbers(sheet: Sheet, texts: dict[str, str | None], columns, headers, number: int, sheet_name: str,
             ctx: _Context, blanks: dict[str, int] | None) -> dict[str, object]:
    values: dict[str, object] = {}
    for column in sheet.measures:
        text = texts[column.id]
        factor = columns[column.id][1].factor
        parsed = norm.parse_number(text, integer=column.kind == "count", factor=factor)
        if parsed.rule:
            ctx.error(parsed.rule, sheet=sheet_name, row=number, column=headers[column.id], value=text)
        elif parsed.value is None and blanks is not None:
            blanks[column.id] = blanks.get(column.id, 0) + 1
        values[column.id] = _plain(parsed.value, column.kind)
    return values


def _plain(value: Decimal | None, kind: str) -> int | float | None:
    if value is None:
        return None
    return int(value) if kind == "count" else round(float(value), 6)


def frame_schema(sheet: Sheet) -> dict[str, pl.DataType]:
    schema: dict[str, pl.DataType] = {}
    for column in sheet.columns:
        schema[column.id] = pl.Utf8 if column.kind == "key" else pl.Int64 if column.kind == "count" else pl.Float64
    schema["source_row"] = pl.Int64
    return schema


def _frame(sheet: Sheet, rows: list[Row]) -> pl.DataFrame:
    schema = frame_schema(sheet)
    data = {cid: [] for cid in schema}
    for row in rows:
        data["region_code"].append(row.region_code)
        if "product_line" in data:
            data["product_line"].append(row.product_line)
        for column in sheet.measures:
            data[column.id].append(row.values[column.id])
        data["source_row"].append(row.number)
    return pl.DataFrame(data, schema=schema)
