"""A batch of parsed submissions → a new warehouse snapshot, swapped in atomically (see xiaobao/layout.py).

Order of events in `apply`:
1. byte-identical files already received are `duplicate` and change nothing;
2. every new file's original bytes go to `files/` (write-once) before any snapshot refers to them;
3. submissions with errors are `rejected`; the others join the ledger (figures as submitted);
4. for every year the batch touches, the current quarterly figures are re-derived from the ledger:
   per firm and quarter the best candidate (highest 版本, then latest 填报日期, then latest received) becomes
   current; 年累计 is differenced against the current figures of the earlier quarters of that year (a gap →
   `held`, a negative difference → `rejected`); the other candidates are `superseded`;
5. a complete snapshot is written under `snapshots/.tmp-*`, renamed, and `current` is swapped with os.replace.
Untouched years' partitions and ledger files are hard-linked from the previous snapshot.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

import polars as pl

from etl.contract import SHEETS, SHEETS_BY_ID
from etl.model import Issue, ParsedSubmission, Status
from etl.parse import frame_schema
from etl.read import source_bytes
from etl.validate import make_issue
from xiaobao import layout

KEEP_SNAPSHOTS = 5  # older snapshots are removed once a newer one is current
TENFOLD_MIN_BASE = 10  # below this on both sides a tenfold change is noise, not news

SUBMISSION_SCHEMA: dict[str, pl.DataType] = {
    "submission_id": pl.Utf8, "seq": pl.Int64, "file_name": pl.Utf8, "sha256": pl.Utf8, "firm_id": pl.Utf8,
    "firm_name_raw": pl.Utf8, "period": pl.Utf8, "version": pl.Int64, "basis": pl.Utf8,
    "received_at": pl.Datetime("us", "UTC"), "filled_on": pl.Date, "status": pl.Utf8, "superseded_by": pl.Utf8,
    "stored_file": pl.Utf8, "reasons": pl.Utf8, "issues_json": pl.Utf8, "n_errors": pl.Int64,
    "n_warnings": pl.Int64, "status_note": pl.Utf8,
}


@dataclass
class Outcome:
    file: str  # path as given
    file_name: str
    submission_id: str | None
    status: Status
    firm_id: str | None
    period: str | None
    version: int | None
    issues: list[Issue] = field(default_factory=list)
    note: str | None = None  # why held / superseded / duplicate
    released: bool = False  # a previously held submission accepted by this batch


@dataclass
class _Sub:
    """A submission row while a batch is applied."""

    row: dict
    issues: list[Issue]
    frames: dict[str, pl.DataFrame] | None = None  # new submissions only; older ones are read from the ledger


# ── locking and paths ─────────────────────────────────────────────────────────────────────────────────────────
@contextmanager
def locked(warehouse: Path) -> Iterator[None]:
    warehouse.mkdir(parents=True, exist_ok=True)
    with open(warehouse / ".lock", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _fsync_write(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    with open(tmp, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)


def store_original(warehouse: Path, path: Path, sha256: str) -> str:
    """Original bytes under files/<sha256><ext>, written once; returns the path relative to the warehouse."""
    data, ext = source_bytes(path)
    rel = f"{layout.FILES}/{sha256}{ext}"
    target = warehouse / rel
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        _fsync_write(target, data)
    return rel


def write_parquet(frame: pl.DataFrame, path: Path) -> None:
    """Every Parquet file of a snapshot goes through here (one place to make durable, one place to fail in tests)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    frame.write_parquet(path)
    with open(path, "rb") as handle:
        os.fsync(handle.fileno())


# ── reading the previous snapshot ─────────────────────────────────────────────────────────────────────────────
def load_submissions(snapshot: Path | None) -> pl.DataFrame:
    path = snapshot / "submissions.parquet" if snapshot else None
    if path and path.exists():
        return pl.read_parquet(path)
    return pl.DataFrame(schema=SUBMISSION_SCHEMA)


def _ledger_path(snapshot: Path, dataset: str, period: str) -> Path:
    return snapshot / "ledger" / dataset / f"{period}.parquet"


def _ledger_schema(dataset: str) -> dict[str, pl.DataType]:
    return {"submission_id": pl.Utf8, "period": pl.Utf8, "firm_id": pl.Utf8, **frame_schema(SHEETS_BY_ID[dataset])}


def _read_ledger(snapshot: Path | None, dataset: str, period: str) -> pl.DataFrame:
    if snapshot is not None and _ledger_path(snapshot, dataset, period).exists():
        return pl.read_parquet(_ledger_path(snapshot, dataset, period))
    return pl.DataFrame(schema=_ledger_schema(dataset))


def _fact_columns(dataset: str) -> list[str]:
    return ["period", "firm_id", *(c.id for c in SHEETS_BY_ID[dataset].columns)]


def _read_facts(snapshot: Path | None, dataset: str, period: str) -> pl.DataFrame:
    year, quarter = int(period[:4]), int(period[-1])
    path = snapshot / dataset / f"year={year}" / f"quarter={quarter}" / "part-0.parquet" if snapshot else None
    if path and path.exists():
        return pl.read_parquet(path)
    schema = _ledger_schema(dataset)
    return pl.DataFrame(schema={c: schema[c] for c in _fact_columns(dataset)})


# ── the batch ─────────────────────────────────────────────────────────────────────────────────────────────────
def _priority(row: dict) -> tuple:
    return (row["version"] or 1, row["filled_on"] or date.min, row["seq"])


def _batch_order(sub: ParsedSubmission) -> tuple:
    return (sub.period or "", sub.version, sub.filled_on or date.min, sub.path.name)


def apply(warehouse: Path, parsed: list[ParsedSubmission], registry: pl.DataFrame, regions: pl.DataFrame, *,
          received_at: datetime | None = None, dry_run: bool = False) -> list[Outcome]:
    """Apply a batch; returns one Outcome per file (in the order given) plus released held submissions."""
    warehouse = Path(warehouse)
    received_at = received_at or datetime.now(UTC)
    with locked(warehouse) if not dry_run else _nolock():
        _clean_stale(warehouse)
        previous = layout.current_snapshot(warehouse)
        old = load_submissions(previous)
        known = set(old["sha256"].to_list())
        seq = (old["seq"].max() or 0) if old.height else 0
        outcomes: dict[int, Outcome] = {}
        fresh: list[_Sub] = []
        for index, sub in sorted(enumerate(parsed), key=lambda item: _batch_order(item[1])):
            if sub.sha256 in known:
                outcomes[index] = Outcome(str(sub.path), sub.path.name, sub.sha256[:16], "duplicate", sub.firm_id,
                                          sub.period, sub.version, list(sub.issues),
                                          note="与此前收到的文件完全相同，未作任何改动")
                continue
            known.add(sub.sha256)
            seq += 1
            stored = store_original(warehouse, sub.path, sub.sha256) if not dry_run and sub.sha256 else None
            row = _new_row(sub, seq, received_at, stored)
            fresh.append(_Sub(row, list(sub.issues), dict(sub.frames) if not sub.errors else None))
            outcomes[index] = Outcome(str(sub.path), sub.path.name, row["submission_id"], row["status"],
                                      sub.firm_id, sub.period, sub.version)
        if not fresh:
            return [outcomes[i] for i in range(len(parsed))]
        subs = [_Sub(r, _issues_from_json(r["issues_json"])) for r in old.iter_rows(named=True)] + fresh
        before = {s.row["submission_id"]: s.row["status"] for s in subs}
        years = {s.row["period"][:4] for s in fresh if s.row["status"] != "rejected" and s.row["period"]}
        years |= {s.row["period"][:4] for s in subs if s.row["status"] == "held"}
        facts, ledgers = _materialise(previous, subs, fresh, sorted(years))
        _tenfold_warnings(previous, facts, fresh)
        for sub in subs:
            sub.row.update(_summary(sub))
        by_id = {s.row["submission_id"]: s for s in subs}
        result = []
        for i in range(len(parsed)):
            out = outcomes[i]
            if out.status != "duplicate":
                sub = by_id[out.submission_id]
                out.status, out.issues, out.note = sub.row["status"], sub.issues, sub.row["status_note"]
            result.append(out)
        fresh_ids = {s.row["submission_id"] for s in fresh}
        for sub in subs:
            sid = sub.row["submission_id"]
            if sid not in fresh_ids and before[sid] == "held" and sub.row["status"] == "accepted":
                result.append(Outcome(sub.row["file_name"], sub.row["file_name"], sid, "accepted",
                                      sub.row["firm_id"], sub.row["period"], sub.row["version"], sub.issues,
                                      note="此前因缺少早前季度而暂缓的年累计报送，现已补齐并入库", released=True))
        if not dry_run:
            _write_snapshot(warehouse, previous, subs, facts, ledgers, registry, regions, sorted(years))
        return result


@contextmanager
def _nolock() -> Iterator[None]:
    yield


def _new_row(sub: ParsedSubmission, seq: int, received_at: datetime, stored: str | None) -> dict:
    return {
        "submission_id": sub.sha256[:16] if sub.sha256 else f"unreadable-{seq}", "seq": seq,
        "file_name": sub.path.name, "sha256": sub.sha256, "firm_id": sub.firm_id,
        "firm_name_raw": sub.firm_name_raw, "period": sub.period, "version": sub.version, "basis": sub.basis,
        "received_at": received_at, "filled_on": sub.filled_on,
        "status": "rejected" if sub.errors else "pending", "superseded_by": None, "stored_file": stored,
        "reasons": None, "issues_json": None, "n_errors": 0, "n_warnings": 0,
        "status_note": "报送有错误，整份退回，请更正后重报" if sub.errors else None,
    }


def _issues_from_json(text: str | None) -> list[Issue]:
    return [Issue(**d) for d in json.loads(text)] if text else []


def _summary(sub: _Sub) -> dict:
    errors = [i for i in sub.issues if i.severity == "error"]
    warnings = [i for i in sub.issues if i.severity == "warning"]
    lines = ([sub.row["status_note"]] if sub.row.get("status_note") else []) + [i.message for i in errors + warnings]
    return {"reasons": "\n".join(lines) or None,
            "issues_json": json.dumps([i.to_dict() for i in sub.issues], ensure_ascii=False),
            "n_errors": len(errors), "n_warnings": len(warnings)}


# ── materialisation ───────────────────────────────────────────────────────────────────────────────────────────
def _periods(year: str) -> list[str]:
    return [f"{year}Q{q}" for q in range(1, 5)]


def _materialise(previous: Path | None, subs: list[_Sub], fresh: list[_Sub], years: list[str]
                 ) -> tuple[dict[str, dict[str, pl.DataFrame]], dict[str, dict[str, pl.DataFrame]]]:
    """Current figures {dataset: {period: frame}} and ledgers {dataset: {period: frame}} for the touched years."""
    ledgers: dict[str, dict[str, pl.DataFrame]] = {s.id: {} for s in SHEETS}
    new_frames = {s.row["submission_id"]: s for s in fresh if s.frames is not None}
    for sheet in SHEETS:
        for year in years:
            for period in _periods(year):
                parts = [_read_ledger(previous, sheet.id, period)]
                for sid, sub in new_frames.items():
                    if sub.row["period"] == period and sheet.id in sub.frames:
                        parts.append(sub.frames[sheet.id].with_columns(pl.lit(sid).alias("submission_id"))
                                     .select(list(_ledger_schema(sheet.id))).cast(_ledger_schema(sheet.id)))
                ledgers[sheet.id][period] = pl.concat(parts)
    facts: dict[str, dict[str, pl.DataFrame]] = {s.id: {} for s in SHEETS}
    candidates: dict[tuple[str, str], list[_Sub]] = {}
    for sub in subs:
        row = sub.row
        if row["status"] != "rejected" and row["period"] and row["period"][:4] in years:
            candidates.setdefault((row["firm_id"], row["period"]), []).append(sub)
    current: dict[tuple[str, str], dict[str, pl.DataFrame]] = {}  # (firm, period) → quarter figures
    for year in years:
        for period in _periods(year):
            by_submission = {d: _split(ledgers[d][period], "submission_id") for d in ledgers}
            for (firm, p), cands in sorted(candidates.items(), key=lambda kv: kv[0]):
                if p == period:
                    _choose(firm, period, cands, by_submission, current)
    for sheet in SHEETS:
        columns = _fact_columns(sheet.id)
        for year in years:
            for period in _periods(year):
                parts = [f[sheet.id] for (firm, p), f in sorted(current.items()) if p == period and sheet.id in f]
                schema = _ledger_schema(sheet.id)
                empty = pl.DataFrame(schema={c: schema[c] for c in columns})
                facts[sheet.id][period] = pl.concat([empty, *[x.select(columns) for x in parts]])
    return facts, ledgers


def _split(frame: pl.DataFrame, column: str) -> dict[str, pl.DataFrame]:
    """One frame per value of `column` (filtering per submission or per firm in a loop is quadratic)."""
    return {key[0]: part for key, part in frame.partition_by(column, as_dict=True).items()}


def _choose(firm: str, period: str, cands: list[_Sub], by_submission, current) -> None:
    """The best candidate that can be materialised becomes current; better ones that cannot wait (held) or fail."""
    chosen = None
    for sub in sorted(cands, key=lambda s: _priority(s.row), reverse=True):
        row = sub.row
        if chosen is not None:
            row.update(status="superseded", superseded_by=chosen.row["submission_id"],
                       status_note=f"已被版本 {chosen.row['version']}（{chosen.row['file_name']}）替换")
            continue
        figures = {d: parts[row["submission_id"]] for d, parts in by_submission.items()
                   if row["submission_id"] in parts}
        if row["basis"] == "年累计":
            quarter = int(period[-1])
            earlier = [f"{period[:4]}Q{q}" for q in range(1, quarter)]
            missing = [p for p in earlier if (firm, p) not in current]
            if missing:
                row.update(status="held", superseded_by=None,
                           status_note=f"年累计报送暂缓入库：缺少 {'、'.join(missing)} 的报送，补齐后自动入库")
                continue
            figures, problems = _difference(figures, [current[(firm, p)] for p in earlier], row["file_name"])
            if problems:
                sub.issues = [i for i in sub.issues if i.rule != "ytd_negative"] + problems
                row.update(status="rejected", superseded_by=None,
                           status_note="年累计减去本年此前季度后出现负数，整份退回")
                continue
        row.update(status="accepted", superseded_by=None, status_note=None)
        current[(firm, period)] = figures
        chosen = sub


def _difference(ytd: dict[str, pl.DataFrame], earlier: list[dict[str, pl.DataFrame]], file_name: str
                ) -> tuple[dict[str, pl.DataFrame], list[Issue]]:
    """Year-to-date → this quarter: flows minus the earlier quarters' current figures; stock columns untouched.

    A region (or product line) missing in an earlier quarter counts as 0 there; a blank year-to-date cell stays
    blank (not reported); a blank earlier cell counts as 0.
    """
    result, problems = {}, []
    for dataset, frame in ytd.items():
        sheet = SHEETS_BY_ID[dataset]
        key = [c.id for c in sheet.columns if c.kind == "key"]
        flows = [c for c in sheet.measures if not c.stock]
        parts = [e[dataset] for e in earlier if dataset in e]
        if not parts or not flows:
            result[dataset] = frame
            continue
        before = pl.concat(parts).group_by(key).agg(
            [pl.col(c.id).fill_null(0).sum().alias(f"{c.id}__before") for c in flows])
        joined = frame.join(before, on=key, how="left", nulls_equal=True)
        diffed = joined.with_columns(
            [(pl.col(c.id) - pl.col(f"{c.id}__before").fill_null(0)).alias(c.id) for c in flows]
        ).with_columns([pl.col(c.id).round(6) for c in flows if c.kind == "money"])  # no float residue in 万元
        for c in flows:
            bad = diffed.filter(pl.col(c.id) < 0)
            for row in bad.iter_rows(named=True):
                problems.append(make_issue(
                    "error", "ytd_negative", file_name, sheet=sheet.zh, row=row["source_row"], column=c.header,
                    value=row[c.id] + row[f"{c.id}__before"],
                    detail=f"年累计 {row[c.id] + row[f'{c.id}__before']:g} 减去本年此前季度合计 "
                           f"{row[f'{c.id}__before']:g} 为负数（{row[c.id]:g}）"))
        result[dataset] = diffed.select(frame.columns).cast(frame.schema)
    return result, problems


def _tenfold_warnings(previous: Path | None, facts, fresh: list[_Sub]) -> None:
    """Warn (never block) when a count moves more than tenfold against the same firm and region last quarter."""
    by_firm: dict[tuple[str, str], dict[str, pl.DataFrame]] = {}

    def firm_rows(dataset: str, period: str, firm: str) -> pl.DataFrame:
        if (dataset, period) not in by_firm:
            frame = facts[dataset].get(period)
            by_firm[(dataset, period)] = _split(frame if frame is not None else
                                                _read_facts(previous, dataset, period), "firm_id")
        return by_firm[(dataset, period)].get(firm, pl.DataFrame())

    for sub in fresh:
        row = sub.row
        if row["status"] != "accepted":
            continue
        year, quarter = int(row["period"][:4]), int(row["period"][-1])
        prev_period = f"{year - 1}Q4" if quarter == 1 else f"{year}Q{quarter - 1}"
        for sheet in SHEETS:
            if sheet.id not in facts or row["period"] not in facts[sheet.id]:
                continue
            now = firm_rows(sheet.id, row["period"], row["firm_id"])
            prev = firm_rows(sheet.id, prev_period, row["firm_id"])
            if not now.height or not prev.height:
                continue
            key = [c.id for c in sheet.columns if c.kind == "key"]
            counts = [c for c in sheet.measures if c.kind == "count"]
            joined = now.join(prev, on=key, how="inner", suffix="__prev", nulls_equal=True)
            rows_by_key = {}
            if sheet.id in (sub.frames or {}):
                for r in sub.frames[sheet.id].iter_rows(named=True):
                    rows_by_key[tuple(r[k] for k in key)] = r["source_row"]
            for r in joined.iter_rows(named=True):
                for c in counts:
                    a, b = r[f"{c.id}__prev"], r[c.id]
                    if a is None or b is None or max(a, b) < TENFOLD_MIN_BASE:
                        continue
                    if b > 10 * a or a > 10 * b:
                        sub.issues.append(make_issue(
                            "warning", "tenfold_jump", row["file_name"], sheet=sheet.zh,
                            row=rows_by_key.get(tuple(r[k] for k in key)), column=c.header, value=b,
                            detail=f"较上季度（{prev_period}：{a}）变化超过十倍，请核实"))


# ── writing ───────────────────────────────────────────────────────────────────────────────────────────────────
def _clean_stale(warehouse: Path) -> None:
    snapshots = warehouse / layout.SNAPSHOTS
    if snapshots.exists():
        for stale in snapshots.glob(".tmp-*"):
            shutil.rmtree(stale, ignore_errors=True)
    for stale in warehouse.glob(".current-*"):
        stale.unlink(missing_ok=True)


def _link_or_copy(src: Path, dst: Path) -> None:
    dst.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.link(src, dst)
    except OSError:
        shutil.copy2(src, dst)


def _write_snapshot(warehouse: Path, previous: Path | None, subs: list[_Sub], facts, ledgers,
                    registry: pl.DataFrame, regions: pl.DataFrame, years: list[str]) -> Path:
    snapshots = warehouse / layout.SNAPSHOTS
    snapshots.mkdir(parents=True, exist_ok=True)
    numbers = [int(p.name) for p in snapshots.iterdir() if p.name.isdigit()]
    name = f"{(max(numbers) if numbers else 0) + 1:06d}"
    tmp = snapshots / f".tmp-{uuid.uuid4().hex}"
    tmp.mkdir()
    touched = {p for y in years for p in _periods(y)}
    if previous is not None:  # untouched years: hard links to the previous snapshot's immutable files
        for dataset in layout.FACT_DATASETS:
            for path in layout.dataset_files(previous, dataset):
                year = path.parent.parent.name.removeprefix("year=")
                if year not in years:
                    _link_or_copy(path, tmp / path.relative_to(previous))
            ledger_dir = previous / "ledger" / dataset
            for path in sorted(ledger_dir.glob("*.parquet")) if ledger_dir.exists() else []:
                if path.stem not in touched:
                    _link_or_copy(path, tmp / path.relative_to(previous))
    for dataset, by_period in facts.items():
        for period, frame in by_period.items():
            if frame.height:
                write_parquet(frame, tmp / dataset / f"year={period[:4]}" / f"quarter={period[-1]}" / "part-0.parquet")
    for dataset, by_period in ledgers.items():
        for period, frame in by_period.items():
            if frame.height:
                write_parquet(frame, _ledger_path(tmp, dataset, period))
    rows = sorted((s.row for s in subs), key=lambda r: r["seq"])
    write_parquet(pl.DataFrame(rows, schema=SUBMISSION_SCHEMA), tmp / "submissions.parquet")
    write_parquet(registry, tmp / "firms.parquet")
    write_parquet(regions, tmp / "regions.parquet")
    final = snapshots / name
    os.rename(tmp, final)
    _fsync_dir(snapshots)
    link = warehouse / f".current-{uuid.uuid4().hex}"
    os.symlink(Path(layout.SNAPSHOTS) / name, link)
    os.replace(link, warehouse / layout.CURRENT)
    _fsync_dir(warehouse)
    _prune(snapshots, keep=name)
    return final


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _prune(snapshots: Path, keep: str) -> None:
    names = sorted(p.name for p in snapshots.iterdir() if p.name.isdigit())
    for old in names[:-KEEP_SNAPSHOTS]:
        if old != keep:
            shutil.rmtree(snapshots / old, ignore_errors=True)
