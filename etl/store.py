"""A batch of parsed submissions → a new warehouse snapshot, swapped in atomically (see xiaobao/layout.py).

Order of events in `apply` (under an exclusive lock on `<warehouse>/.lock`, so two ingests never interleave):
1. the batch is put in period, 版本, 填报日期, file-name order, whatever the order of its files;
2. a byte-identical file already received (same sha256) is `duplicate` and changes nothing;
3. every new file's original bytes are staged for `files/<sha256><ext>` (write-once), to be put in place in
   step 7 before any snapshot refers to them;
4. a submission with any error is `rejected` whole; the others join the ledger (figures as submitted);
5. for every year the batch touches (and every year holding a held file), the current quarterly figures are
   re-derived from the ledger, quarter by quarter: per firm and quarter the best candidate (highest 版本, then
   received last: a later ingest, or within one batch the later 填报日期, then file name) becomes current;
   年累计 is differenced against the current figures of the earlier quarters of that year (a gap → `held`,
   a negative difference → `rejected` with `ytd_negative`);
   the other candidates are `superseded`. Statuses are re-derived every time, which is what releases a held
   file once its gap is filled and makes a resubmitted Q1 correct a 年累计 Q2 derived from it;
6. newly accepted figures are compared with last quarter (`tenfold_jump` warnings, never blocking);
7. a complete snapshot is written under `snapshots/.tmp-<random>`; its files and the staged originals are fsynced
   together, the originals renamed into place, the folders fsynced, the snapshot renamed to the next number, and
   `current` is swapped with os.replace. Untouched years' partitions and ledger files are hard-linked from the
   previous snapshot. Nothing changed (all duplicates) → no snapshot.
A crash or kill at any point leaves `current` on the previous, complete snapshot; the next ingest removes the
debris (`.tmp-*` directories, temporary symlinks and original-file temporaries).

A write that the system refuses (disk full, read-only file system, no permission) at any step raises `WriteFailed`
with a Chinese message naming the step, the reason and the file: the temporaries are removed at once (a full disk
gets its space back) and the warehouse is as it was. Only a failure to make the folder entry of the swap durable,
after `current` was swapped, leaves the new snapshot in force (`WriteFailed.changed`).
"""

from __future__ import annotations

import fcntl
import hashlib
import io
import json
import os
import re
import shutil
import uuid
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, ExitStack, contextmanager, nullcontext
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import cast

import polars as pl

from core import atomic, clock, layout, quarters
from core.contract import BLANK_DATE, RESUBMISSION_RULES, SHEETS, SHEETS_BY_ID, Sheet
from etl.model import Issue, ParsedSubmission, Status
from etl.parse import Source
from etl.read import source_bytes
from etl.validate import make_issue

KEEP_SNAPSHOTS = 5  # a reader that resolved `current` a few ingests ago can still finish; older ones go
TENFOLD = 10  # a count more than this many times (or less than 1/this of) last quarter's is worth a look
TENFOLD_MIN_BASE = 10  # …unless both figures are below this: 1 → 12 complaints is noise, not news


SUBMISSION_SCHEMA = pl.Schema({
    "submission_id": pl.Utf8(), "seq": pl.Int64(), "file_name": pl.Utf8(), "sha256": pl.Utf8(),
    "firm_id": pl.Utf8(), "firm_name_raw": pl.Utf8(), "period": pl.Utf8(), "version": pl.Int64(),
    "basis": pl.Utf8(), "received_at": pl.Datetime("us", "UTC"), "filled_on": pl.Date(), "status": pl.Utf8(),
    "superseded_by": pl.Utf8(), "stored_file": pl.Utf8(), "reasons": pl.Utf8(), "issues_json": pl.Utf8(),
    "n_errors": pl.Int64(), "n_warnings": pl.Int64(), "status_note": pl.Utf8(),
    "filler": pl.Utf8(), "phone": pl.Utf8(),   # 填报人, 联系电话 of the cover: whom the secretariat reminds
})


class WriteFailed(Exception):
    """The warehouse could not be written at `step`; the message (Chinese) says why and what to do.

    `changed`: False — nothing was changed (the usual case); True — the new snapshot is in force, but the folder
    entry of the swap could not be made durable. `outcomes`: what the batch would have done, when it got that far
    (the `--report` is still written from them)."""

    def __init__(self, warehouse: Path, step: str, error: OSError, *, changed: bool = False,
                 outcomes: list[Outcome] | None = None) -> None:
        self.warehouse, self.step, self.error, self.changed, self.outcomes = warehouse, step, error, changed, outcomes
        advice = atomic.advice(error)
        version = layout.version(warehouse) if _readable(warehouse) else None
        if changed:
            state = f"新数据已生效（当前版本 {version}），但未能确认其已写入磁盘"
        else:
            state = f"数据仓库未作任何改动（当前版本 {version or '（空）'}）"
        super().__init__(f"数据仓库 {warehouse} 无法写入：{atomic.refusal(error)}，在“{step}”时失败。{state}；"
                         f"请{advice}后重新导入同一批文件（已入库的文件不会重复入库）。")


def _readable(warehouse: Path) -> bool:
    try:
        return (warehouse / layout.CURRENT).exists()
    except OSError:
        return False


@contextmanager
def _step(warehouse: Path, name: str, *, changed: bool = False) -> Iterator[None]:
    """A step of writing the warehouse: an OSError inside becomes WriteFailed naming it."""
    try:
        yield
    except OSError as exc:
        raise WriteFailed(warehouse, name, exc, changed=changed) from exc


def os_error(exc: pl.exceptions.PolarsError, path: Path) -> OSError | None:
    """The OSError inside a polars I/O error ("… (os error 28)"), or None when it is not one."""
    found = re.search(r"\(os error (\d+)\)", str(exc))
    if found is None:
        return None
    code = int(found.group(1))
    return OSError(code, os.strerror(code), str(path))


@dataclass
class Outcome:
    """What happened to one file of the batch, or to an earlier submission this batch re-examined."""

    file: str  # the path as given (an earlier submission: its original under files/)
    file_name: str
    submission_id: str | None
    status: Status
    firm_id: str | None
    period: str | None
    version: int | None
    issues: list[Issue] = field(default_factory=list)
    message: str | None = None  # why rejected / held / superseded / duplicate, in Chinese
    previous_status: str | None = None  # set only for an earlier submission whose status this batch changed

    @property
    def released(self) -> bool:
        """A held 年累计 submission accepted by this batch, its gap filled."""
        return self.previous_status == "held" and self.status == "accepted"


@dataclass
class _Sub:
    """A submission row while a batch is applied."""

    row: dict
    issues: list[Issue]
    frames: dict[str, pl.DataFrame] | None = None  # new, error-free submissions; older ones are in the ledger


Figures = dict[str, pl.DataFrame]  # dataset id → rows of one firm and quarter (with submission_id, source_row)


# ── locking and durable writes ────────────────────────────────────────────────────────────────────────────────
@contextmanager
def locked(warehouse: Path, on_wait: Callable[[], None] | None = None) -> Iterator[None]:
    """Exclusive for the whole batch; `on_wait` is called once if another ingest holds the lock."""
    warehouse.mkdir(parents=True, exist_ok=True)
    with open(warehouse / ".lock", "a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            if on_wait:
                on_wait()
            fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _fsync_tree(root: Path) -> None:
    """Every directory entry under root made durable (the files' contents are made durable before)."""
    atomic.fsync_all(Path(folder) for folder, _, _ in os.walk(root))


def store_original(warehouse: Path, path: Path, sha256: str, staged: atomic.Staged,
                   source: Source | None = None, archived: set[str] | None = None) -> str:
    """Original bytes under files/<sha256><ext>, written once: staged under a temporary name now, made durable and
    renamed into place by `staged.commit()` before any snapshot refers to them. The path relative to the warehouse.

    `source`: the bytes the parser read (with their extension and sha256); without it the file is read again and
    must still have the hash it was parsed with. `archived`: the names under files/ (listed once for the batch,
    kept up to date here), instead of asking the file system file by file."""
    if source is not None and source[2] == sha256:
        data, ext = source[0], source[1]
    else:
        data, ext = source_bytes(path)
        if hashlib.sha256(data).hexdigest() != sha256:
            raise RuntimeError(f"文件在读取之后被改动：{path}。请等文件写完后重新导入。")
    rel = f"{layout.FILES}/{sha256}{ext}"
    target = warehouse / rel
    there = target.exists() if archived is None else target.name in archived
    if there:
        return rel
    if not archived:  # the folder may not exist yet
        target.parent.mkdir(parents=True, exist_ok=True)
    staged.write_bytes(target, data)
    if archived is not None:
        archived.add(target.name)
    return rel


def write_parquet(frame: pl.DataFrame, path: Path) -> None:
    """Every Parquet file of a snapshot goes through here (one place to fail in tests); `write_snapshot` makes
    them durable together before the snapshot is renamed into place. A refused write raises the OSError it is."""
    path.parent.mkdir(parents=True, exist_ok=True)
    # Encoded in memory, then written by Python: a refused write is then always the OSError the system gave. Written
    # to the file by polars, a full disk at the footer reads "Invalid thrift: transport error", with no error code.
    encoded = io.BytesIO()
    frame.write_parquet(encoded)
    with open(path, "wb") as handle:
        handle.write(encoded.getbuffer())


def read_parquet(path: Path) -> pl.DataFrame:
    """A Parquet file of a snapshot; a refused read raises the OSError it is (not a polars error)."""
    try:
        return pl.read_parquet(path)
    except pl.exceptions.PolarsError as exc:
        error = os_error(exc, path)
        if error is None:
            raise
        raise error from exc


# ── reading the previous snapshot ─────────────────────────────────────────────────────────────────────────────
def load_submissions(snapshot: Path | None) -> pl.DataFrame:
    path = snapshot / layout.SUBMISSIONS if snapshot else None
    if path and path.exists():
        found = read_parquet(path)
        # a snapshot written before a column was added: that column is unknown (null) for its files
        return found.with_columns(pl.lit(None, dtype).alias(name) for name, dtype in SUBMISSION_SCHEMA.items()
                                  if name not in found.columns)
    return pl.DataFrame(schema=SUBMISSION_SCHEMA)


def received(warehouse: Path) -> dict[str, dict]:
    """sha256 → submissions row of every file the warehouse has received (for skipping re-parsing duplicates)."""
    old = load_submissions(layout.current_snapshot(Path(warehouse)))
    return {r["sha256"]: r for r in old.iter_rows(named=True) if r["sha256"]}


def _ledger_schema(dataset: str) -> pl.Schema:
    return pl.Schema({"submission_id": pl.Utf8(), **SHEETS_BY_ID[dataset].schema(), "source_row": pl.Int64()})


def _fact_schema(dataset: str) -> pl.Schema:
    return pl.Schema(SHEETS_BY_ID[dataset].schema())


def _read_or_empty(path: Path | None, schema: pl.Schema) -> pl.DataFrame:
    if path is not None and path.exists():
        return read_parquet(path)
    return pl.DataFrame(schema=schema)


# ── the batch ─────────────────────────────────────────────────────────────────────────────────────────────────
def _batch_order(sub: ParsedSubmission) -> tuple:
    return (sub.period or "", sub.version, sub.filled_on or date.min, sub.path.name, str(sub.path))


def _priority(row: dict) -> tuple:
    """Which of a firm-quarter's submissions is current: the highest 版本, then the one received last. `seq` numbers
    files in the order received, and within one batch in 填报日期 then file-name order (`_batch_order`), so with
    the same 版本 a file of a later ingest wins whatever its 填报日期, and within a batch the later 填报日期, then
    the file name sorting last (DOMAIN.md, resubmissions)."""
    return (row["version"] or 1, row["seq"])


def _deciding_rule(winner: dict, loser: dict) -> str:
    """Which RESUBMISSION_RULES id put `winner` before `loser` (as `_priority` orders them)."""
    if (winner["version"] or 1) != (loser["version"] or 1):
        return "higher_version"
    if winner["received_at"] != loser["received_at"]:  # one batch shares one receipt time
        return "later_ingest"
    if winner["filled_on"] != loser["filled_on"]:
        return "later_date"
    return "later_name"


def _date(value: date | None) -> str:
    return value.isoformat() if value else BLANK_DATE


def _dates(rule: str, mine: dict, theirs: dict, other: str) -> str:
    if rule == "higher_version":
        return ""
    return f"（填报日期：本文件 {_date(mine['filled_on'])}，{other} {_date(theirs['filled_on'])}）"


def apply(warehouse: Path, parsed: list[ParsedSubmission], registry: pl.DataFrame, regions: pl.DataFrame, *,
          received_at: datetime | None = None, dry_run: bool = False,
          on_wait: Callable[[], None] | None = None, sources: dict[Path, Source] | None = None) -> list[Outcome]:
    """Apply a batch: one Outcome per file in the order given, then one per earlier submission whose status changed.

    dry_run: the same checks (against the warehouse as it is, for 年累计 and last quarter) writing nothing.
    sources: {path: (bytes, extension, sha256)} as the parser read them, archived without reading the files again.
    """
    warehouse = Path(warehouse)
    received_at = received_at or clock.now()
    step = _stepper(warehouse, dry_run)
    with ExitStack() as stack:
        if not dry_run:
            with step("加锁（.lock）"):
                stack.enter_context(locked(warehouse, on_wait))
            with step("清理上次中断留下的临时文件"):
                _clean_stale(warehouse)
        with step("读取现有数据仓库"):
            previous = layout.current_snapshot(warehouse)
            if previous is None and (warehouse / layout.CURRENT).is_symlink():  # never start over silently
                raise RuntimeError(f"数据仓库 {warehouse} 已损坏：current 指向的快照不存在，请从备份恢复后再导入")
            old = load_submissions(previous)
        staged = atomic.Staged()
        try:
            return _apply(warehouse, previous, old, parsed, registry, regions, received_at, dry_run, staged,
                          sources or {})
        finally:
            staged.discard()  # committed with the snapshot, unless something failed before


def _stepper(warehouse: Path, dry_run: bool) -> Callable[[str], AbstractContextManager[None]]:
    """`_step` for an ingest; a dry run writes nothing, so its OSErrors (reading) stay what they are."""
    return (lambda name: nullcontext()) if dry_run else (lambda name: _step(warehouse, name))


def _apply(warehouse: Path, previous: Path | None, old: pl.DataFrame, parsed: list[ParsedSubmission],
           registry: pl.DataFrame, regions: pl.DataFrame, received_at: datetime, dry_run: bool,
           staged: atomic.Staged, sources: dict[Path, Source]) -> list[Outcome]:
    """`apply` under the lock; the originals of new files are staged and committed with the snapshot."""
    step = _stepper(warehouse, dry_run)
    with step("归档原件（files/）"):
        outcomes, fresh = _receive(warehouse, parsed, old, received_at, dry_run, staged, sources)
    if not fresh:
        return outcomes
    subs = [_Sub(r, issues_from_json(r["issues_json"])) for r in old.iter_rows(named=True)] + fresh
    before = {s.row["submission_id"]: s.row["status"] for s in subs}
    years = sorted({s.row["period"][:4] for s in fresh if s.row["status"] == "pending"}
                   | {s.row["period"][:4] for s in subs if s.row["status"] == "held"})
    with step("读取现有数据仓库"):
        facts, ledgers, current = _materialise(previous, subs, fresh, years)
    fresh_ids = {s.row["submission_id"] for s in fresh}
    newly_accepted = [s for s in subs if s.row["status"] == "accepted"
                      and (s.row["submission_id"] in fresh_ids or before[s.row["submission_id"]] != "accepted")]
    with step("读取现有数据仓库"):
        _tenfold_warnings(previous, facts, current, newly_accepted)
    for sub in subs:
        sub.row.update(_summary(sub))
    by_id = {s.row["submission_id"]: s for s in subs}
    for out in outcomes:
        sub = by_id[out.submission_id]
        if out.status == "duplicate":
            out.message = _duplicate_note(sub.row)
        else:
            out.status, out.issues, out.message = sub.row["status"], sub.issues, sub.row["status_note"]
    outcomes += _changed_earlier(warehouse, subs, before, fresh_ids)
    undecided = [s.row["file_name"] for s in subs if s.row["status"] == "pending"]
    if undecided:
        raise RuntimeError(f"内部错误：未能确定状态的报送 {undecided}，未写入任何内容")
    if not dry_run:
        try:
            _write_snapshot(warehouse, previous, subs, facts, ledgers, registry, regions, years, staged)
        except WriteFailed as exc:
            exc.outcomes = outcomes  # what the batch would have done: the --report still says it
            raise
    return outcomes


def _receive(warehouse: Path, parsed: list[ParsedSubmission], old: pl.DataFrame, received_at: datetime,
             dry_run: bool, staged: atomic.Staged, sources: dict[Path, Source]) -> tuple[list[Outcome], list[_Sub]]:
    """Number the new files in batch order and stage their originals; byte-identical ones are duplicates."""
    known = {r["sha256"]: r for r in old.iter_rows(named=True) if r["sha256"]}
    seq = int(cast("int | None", old["seq"].max()) or 0) if old.height else 0
    outcomes: dict[int, Outcome] = {}
    fresh: list[_Sub] = []
    archived: set[str] | None = None  # the names under files/, listed when the first original is stored
    for index, sub in sorted(enumerate(parsed), key=lambda item: _batch_order(item[1])):
        earlier = known.get(sub.sha256) if sub.sha256 else None
        if earlier is not None:
            outcomes[index] = Outcome(str(sub.path), sub.path.name, earlier["submission_id"], "duplicate",
                                      sub.firm_id, sub.period, sub.version, list(sub.issues),
                                      message=_duplicate_note(earlier))
            continue
        seq += 1
        stored = None
        if sub.sha256 and not dry_run:
            if archived is None:
                archived = set(os.listdir(warehouse / layout.FILES)) if (warehouse / layout.FILES).is_dir() else set()
            stored = store_original(warehouse, sub.path, sub.sha256, staged, sources.get(sub.path), archived)
        row = _new_row(sub, seq, received_at, stored)
        fresh.append(_Sub(row, row.pop("_issues"), None if row["status"] == "rejected" else dict(sub.frames)))
        if sub.sha256:
            known[sub.sha256] = row
        outcomes[index] = Outcome(str(sub.path), sub.path.name, row["submission_id"], row["status"],
                                  sub.firm_id, sub.period, sub.version, message=row["status_note"])
    return [outcomes[i] for i in range(len(parsed))], fresh


def _new_row(sub: ParsedSubmission, seq: int, received_at: datetime, stored: str | None) -> dict:
    issues = list(sub.issues)
    if not sub.errors:  # a parser never lets these through without an error; a hand-built submission might
        missing = [("unknown_firm", sub.firm_id), ("bad_period", sub.period), ("bad_basis", sub.basis)]
        issues += [make_issue("error", rule, sub.path.name) for rule, value in missing if not value]
    n_errors = sum(1 for i in issues if i.severity == "error")
    return {
        "submission_id": sub.sha256[:16] if sub.sha256 else f"unreadable-{seq:06d}", "seq": seq,
        "file_name": sub.path.name, "sha256": sub.sha256 or None, "firm_id": sub.firm_id,
        "firm_name_raw": sub.firm_name_raw, "period": sub.period, "version": sub.version, "basis": sub.basis,
        "received_at": received_at, "filled_on": sub.filled_on,
        "status": "rejected" if n_errors else "pending", "superseded_by": None, "stored_file": stored,
        "reasons": None, "issues_json": None, "n_errors": 0, "n_warnings": 0,
        "status_note": f"报送有 {n_errors} 处错误，整份退回，请更正后重报" if n_errors else None,
        "filler": sub.filler, "phone": sub.phone,
        "_issues": issues,
    }


def _duplicate_note(earlier: dict) -> str:
    state = {"accepted": "已入库", "rejected": "已退回", "held": "暂缓入库", "superseded": "已被替换",
             "pending": "本批处理中"}.get(earlier["status"], earlier["status"])
    return f"与此前收到的文件「{earlier['file_name']}」（{state}）完全相同，未作任何改动"


def issues_from_json(text: str | None) -> list[Issue]:
    return [Issue(**d) for d in json.loads(text)] if text else []


def _summary(sub: _Sub) -> dict:
    errors = [i for i in sub.issues if i.severity == "error"]
    warnings = [i for i in sub.issues if i.severity == "warning"]
    lines = ([sub.row["status_note"]] if sub.row.get("status_note") else []) + [i.message for i in errors + warnings]
    return {"reasons": "\n".join(lines) or None,
            "issues_json": json.dumps([i.to_dict() for i in sub.issues], ensure_ascii=False),
            "n_errors": len(errors), "n_warnings": len(warnings)}


def _changed_earlier(warehouse: Path, subs: list[_Sub], before: dict[str, str], fresh_ids: set[str]
                     ) -> list[Outcome]:
    """Earlier submissions whose status this batch changed, except plain supersession by a newer version."""
    result = []
    for sub in subs:
        row = sub.row
        was = before[row["submission_id"]]
        if row["submission_id"] in fresh_ids or row["status"] in (was, "superseded"):
            continue
        message = row["status_note"]
        if was == "held" and row["status"] == "accepted":
            message = "此前因缺少本年早前季度而暂缓的年累计报送，现已补齐并入库"
        path = str(warehouse / row["stored_file"]) if row["stored_file"] else row["file_name"]
        result.append(Outcome(path, row["file_name"], row["submission_id"], row["status"], row["firm_id"],
                              row["period"], row["version"], sub.issues, message, previous_status=was))
    return result


# ── materialisation: ledger → current quarterly figures ───────────────────────────────────────────────────────
def _materialise(previous: Path | None, subs: list[_Sub], fresh: list[_Sub], years: list[str]):
    """Ledgers {dataset: {period: frame}} and current figures for the touched years.

    Returns (facts {dataset: {period: frame}}, ledgers, current {dataset: {period: frame}}: the facts with their
    submission_id and source_row). A quarter's current rows are its ledger's rows of the submissions chosen, in
    firm order, with 年累计 ones replaced by their differenced figures; only 年累计 needs a submission's figures on
    their own (its own and the earlier quarters'), so only then is a ledger split by submission.
    """
    new_frames = {s.row["submission_id"]: (s.row["period"], s.frames) for s in fresh if s.frames is not None}
    ledgers: dict[str, dict[str, pl.DataFrame]] = {s.id: {} for s in SHEETS}
    for sheet in SHEETS:
        schema = _ledger_schema(sheet.id)
        for period in (p for y in years for p in quarters.of_year(y)):
            parts = [_read_or_empty(layout.ledger(previous, sheet.id, period) if previous else None, schema)]
            new = [(sid, frames[sheet.id]) for sid, (sub_period, frames) in new_frames.items()
                   if sub_period == period and frames.get(sheet.id) is not None]
            if new:  # the batch's frames of this sheet and quarter at once: one concat, one cast
                body = pl.concat([frame for _, frame in new], how="vertical_relaxed")
                ids = pl.Series("submission_id", [sid for sid, frame in new for _ in range(frame.height)], pl.Utf8)
                parts.append(body.with_columns(ids).select(list(schema)).cast(schema))
            ledgers[sheet.id][period] = pl.concat(parts)
    candidates: dict[tuple[str, str], list[_Sub]] = {}
    for sub in subs:
        row = sub.row
        if row["status"] != "rejected" and row["period"] and row["period"][:4] in years:
            candidates.setdefault((row["firm_id"], row["period"]), []).append(sub)
    splits: dict[tuple[str, str], dict[str, pl.DataFrame]] = {}

    def figures_of(submission_id: str, period: str) -> Figures:
        """A submission's rows of a quarter's ledgers, dataset by dataset (the ledgers split once, when needed)."""
        for dataset in ledgers:
            if (dataset, period) not in splits:
                splits[(dataset, period)] = _split(ledgers[dataset][period], "submission_id")
        return {d: splits[(d, period)][submission_id] for d in ledgers if submission_id in splits[(d, period)]}

    chosen: dict[tuple[str, str], Chosen] = {}
    periods = [p for y in years for p in quarters.of_year(y)]
    for period in periods:  # quarter by quarter: 年累计 needs the earlier ones
        for (firm, p), cands in sorted(candidates.items(), key=lambda kv: kv[0]):
            if p == period:
                _choose(firm, period, cands, figures_of, chosen)
    current: dict[str, dict[str, pl.DataFrame]] = {s.id: {} for s in SHEETS}
    facts: dict[str, dict[str, pl.DataFrame]] = {s.id: {} for s in SHEETS}
    for sheet in SHEETS:
        schema = _fact_schema(sheet.id)
        for period in periods:
            of_period = [c for (_, p), c in chosen.items() if p == period]
            plain = [c.submission_id for c in of_period if c.derived is None]
            derived = [c.derived[sheet.id] for c in of_period if c.derived is not None and sheet.id in c.derived]
            ledger = ledgers[sheet.id][period]
            rows = pl.concat([ledger.filter(pl.col("submission_id").is_in(plain)), *derived]).sort(
                "firm_id", maintain_order=True)  # firm order; a firm's rows are one submission's, in its order
            current[sheet.id][period] = rows
            facts[sheet.id][period] = rows.select(list(schema))
    return facts, ledgers, current


def _split(frame: pl.DataFrame, column: str) -> dict[str, pl.DataFrame]:
    """One frame per value of `column` (filtering per submission or per firm in a loop is quadratic)."""
    return {key[0]: part for key, part in frame.partition_by(column, as_dict=True).items()}


@dataclass
class Chosen:
    """The current submission of a firm and quarter; `derived`: its figures turned into the quarter (年累计 only),
    None when they are its ledger rows as they are."""

    submission_id: str
    derived: Figures | None = None


def _choose(firm: str, period: str, cands: list[_Sub], figures_of: Callable[[str, str], Figures],
            chosen_of: dict[tuple[str, str], Chosen]) -> None:
    """The best candidate that can be materialised becomes current; better ones wait (held) or fail (rejected).

    When the best version is held, the version accepted before it stays current until it is released.
    """

    def current(p: str) -> Figures:
        c = chosen_of[(firm, p)]
        return c.derived if c.derived is not None else figures_of(c.submission_id, p)

    chosen: _Sub | None = None
    replaced: _Sub | None = None  # the next best after the chosen one: what it replaced
    for sub in cands:  # re-derived with the statuses
        sub.issues = [i for i in sub.issues if i.rule != "same_version_resubmission"]
    for sub in sorted(cands, key=lambda s: _priority(s.row), reverse=True):
        row = sub.row
        if chosen is not None:
            row.update(status="superseded", superseded_by=chosen.row["submission_id"],
                       status_note=_superseded_note(row, chosen.row))
            replaced = replaced or sub
            continue
        derived = None
        if row["basis"] == "年累计":
            earlier = quarters.earlier_in_year(period)
            missing = [p for p in earlier if (firm, p) not in chosen_of]
            if missing:
                row.update(status="held", superseded_by=None,
                           status_note=f"年累计报送暂缓入库：缺少本年 {'、'.join(missing)} 的报送（或其尚未入库），"
                                       "无法换算为当季数；补齐后下次导入时自动入库")
                continue
            derived, problems = _difference(figures_of(row["submission_id"], period), [current(p) for p in earlier],
                                            row["file_name"])
            sub.issues = [i for i in sub.issues if i.rule != "ytd_negative"] + problems
            if problems:
                row.update(status="rejected", superseded_by=None,
                           status_note=f"年累计减去本年 {'、'.join(earlier)} 的已入库数后出现 {len(problems)} 处负数，"
                                       "整份退回，请核对后重报")
                continue
        row.update(status="accepted", superseded_by=None, status_note=None)
        chosen_of[(firm, period)] = Chosen(row["submission_id"], derived)
        chosen = sub
    if chosen is not None and replaced is not None:
        chosen.row["status_note"] = _replaced_note(chosen.row, replaced.row)
        warning = _late_date_warning(chosen.row, replaced.row)
        if warning is not None:
            chosen.issues.append(warning)


def _superseded_note(row: dict, by: dict) -> str:
    """Why `row` is not current: replaced by `by`, and which rule decided."""
    which = f"版本 {by['version']}（{by['file_name']}）"
    if by["seq"] < row["seq"]:  # already there when this file arrived: only a higher version can be
        return f"收到时已有更高版本：{which}；本文件不入库，仅留存备查"
    rule = _deciding_rule(by, row)
    return (f"已被{which}替换；本文件的数据保留在历史记录中。依据：{RESUBMISSION_RULES[rule]}"
            f"{_dates(rule, row, by, '替换文件')}")


def _replaced_note(row: dict, replaced: dict) -> str:
    """What the current file replaced (the next best of its firm and quarter), and which rule decided."""
    rule = _deciding_rule(row, replaced)
    return (f"替换了版本 {replaced['version']}（{replaced['file_name']}）。依据：{RESUBMISSION_RULES[rule]}"
            f"{_dates(rule, row, replaced, '原文件')}")


def _late_date_warning(row: dict, replaced: dict) -> Issue | None:
    """A file of a later ingest replacing one of the same 版本 while its 填报日期 is blank or not later: it wins
    (it was sent last), but the member may have sent an old copy again, so say so with both dates."""
    if _deciding_rule(row, replaced) != "later_ingest":
        return None
    mine, theirs = row["filled_on"], replaced["filled_on"]
    if mine is not None and (theirs is None or mine > theirs):
        return None
    return make_issue(
        "warning", "same_version_resubmission", row["file_name"],
        detail=f"同一版本（版本 {row['version'] or 1}）再次报送：本文件在后一次导入中收到，替换此前收到的"
               f"「{replaced['file_name']}」，但本文件的填报日期（{_date(mine)}）不晚于原文件的（{_date(theirs)}），"
               "请核实本文件确为最新（不影响入库）")


def _fmt(value: float) -> str:
    """A figure as a member would type it: 1234567, 3703.5 (never 1.23457e+06)."""
    if isinstance(value, int):
        return str(value)
    return f"{value:.6f}".rstrip("0").rstrip(".")


def _difference(ytd: Figures, earlier: list[Figures], file_name: str) -> tuple[Figures, list[Issue]]:
    """Year to date → this quarter: flow columns minus the earlier quarters' current figures, key by key
    (region, product line); stock columns (as at quarter end) are taken as they are.

    Nulls: a blank year-to-date cell stays blank (not reported); a blank earlier cell, or a region / product
    line the firm did not report in an earlier quarter, counts as 0 there.
    """
    result: Figures = {}
    problems: list[Issue] = []
    for dataset, frame in ytd.items():
        sheet = SHEETS_BY_ID[dataset]
        flows = [c for c in sheet.measures if not c.stock]
        parts = [e[dataset] for e in earlier if dataset in e]
        if not parts or not flows:
            result[dataset] = frame
            continue
        before = pl.concat(parts).group_by(list(sheet.key)).agg(
            [pl.col(c.id).fill_null(0).sum().alias(f"{c.id}__before") for c in flows])
        joined = frame.join(before, on=list(sheet.key), how="left", nulls_equal=True).with_columns(
            [pl.col(f"{c.id}__before").fill_null(0) for c in flows])
        diffed = joined.with_columns(
            [(pl.col(c.id) - pl.col(f"{c.id}__before")).alias(f"{c.id}__quarter") for c in flows]
        ).with_columns([pl.col(f"{c.id}__quarter").round(6) for c in flows if c.kind == "money"])  # no float residue
        problems += _negative_issues(sheet, diffed, flows, file_name)
        result[dataset] = diffed.with_columns(
            [pl.col(f"{c.id}__quarter").alias(c.id) for c in flows]).select(frame.columns).cast(frame.schema)
    return result, problems


def _negative_issues(sheet: Sheet, diffed: pl.DataFrame, flows, file_name: str) -> list[Issue]:
    issues: list[Issue] = []
    diffed = diffed.filter(pl.any_horizontal([pl.col(f"{c.id}__quarter") < 0 for c in flows]))  # usually none
    for c in flows if diffed.height else []:
        for r in diffed.filter(pl.col(f"{c.id}__quarter") < 0).sort("source_row").iter_rows(named=True):
            ytd, before, quarter = r[c.id], r[f"{c.id}__before"], r[f"{c.id}__quarter"]
            issues.append(make_issue(
                "error", "ytd_negative", file_name, sheet=sheet.zh, row=r["source_row"], column=c.header,
                value=_fmt(ytd),
                detail=f"年累计减去本年此前季度后为负数（年累计 {_fmt(ytd)} − 此前季度合计 {_fmt(before)} = "
                       f"{_fmt(quarter)}）"))
    return issues


# ── warnings ──────────────────────────────────────────────────────────────────────────────────────────────────
def _tenfold_warnings(previous: Path | None, facts, current: dict[str, dict[str, pl.DataFrame]],
                      subs: list[_Sub]) -> None:
    """Warn (never block) when a count moves more than tenfold against the same firm, region (and product line)
    and column last quarter; both figures below TENFOLD_MIN_BASE, or either blank, is not compared.

    Done for the whole batch at once, one join per sheet (per submission and column it was the slow part)."""
    by_id = {s.row["submission_id"]: s for s in subs}
    for sub in subs:
        sub.issues = [i for i in sub.issues if i.rule != "tenfold_jump"]  # re-derived, never listed twice
    if not subs:
        return
    prev_of = {p: quarters.previous(p) for p in sorted({s.row["period"] for s in subs})}
    ids = list(by_id)
    for sheet in SHEETS:
        now = pl.concat([current[sheet.id][p].filter(pl.col("submission_id").is_in(ids)) for p in prev_of])
        if not now.height:
            continue
        counts = [c for c in sheet.measures if c.kind == "count"]
        key = ["prev_period", "firm_id", *sheet.key]
        now = now.with_columns(pl.col("period").replace_strict(prev_of, return_dtype=pl.Utf8).alias("prev_period"))
        prev = pl.concat([_facts(previous, facts, sheet.id, p) for p in sorted(set(prev_of.values()))]).select(
            pl.col("period").alias("prev_period"), "firm_id", *sheet.key, *(c.id for c in counts))
        joined = now.join(prev, on=key, how="inner", suffix="__prev", nulls_equal=True)
        for c in counts:
            a, b = pl.col(f"{c.id}__prev"), pl.col(c.id)
            jumps = joined.filter((pl.max_horizontal(a, b) >= TENFOLD_MIN_BASE)
                                  & ((b > TENFOLD * a) | (a > TENFOLD * b)))
            for r in jumps.sort("source_row").iter_rows(named=True):
                sub = by_id[r["submission_id"]]
                sub.issues.append(make_issue(
                    "warning", "tenfold_jump", sub.row["file_name"], sheet=sheet.zh, row=r["source_row"],
                    column=c.header, value=r[c.id],
                    detail=f"较上季度（{r['prev_period']}：{r[f'{c.id}__prev']}）变化超过十倍，请核实（不影响入库）"))


def _facts(previous: Path | None, facts, dataset: str, period: str) -> pl.DataFrame:
    """Current figures of a quarter: as this batch derived them, or (a year it did not touch) as they were."""
    frame = facts[dataset].get(period)
    if frame is None:
        frame = _read_or_empty(previous / layout.partition(dataset, period) if previous else None,
                               _fact_schema(dataset))
    return frame


# ── writing the snapshot ──────────────────────────────────────────────────────────────────────────────────────
def _clean_stale(warehouse: Path) -> None:
    """Debris of an ingest that crashed or was killed (only ever called under the lock): temporary snapshots,
    links and originals, and a numbered snapshot newer than `current` (killed between its rename and the swap)."""
    snapshots = warehouse / layout.SNAPSHOTS
    for stale in snapshots.glob(".tmp-*") if snapshots.exists() else []:
        shutil.rmtree(stale, ignore_errors=True)
    link = warehouse / layout.CURRENT
    now = layout.current_snapshot(warehouse)
    if snapshots.exists() and (now is not None or not link.is_symlink()):  # a dangling `current` is left to apply
        newest = int(now.name) if now is not None and now.name.isdigit() else 0
        for orphan in (p for p in snapshots.iterdir() if p.name.isdigit() and int(p.name) > newest):
            shutil.rmtree(orphan, ignore_errors=True)
    for stale in warehouse.glob(".current-*"):
        stale.unlink(missing_ok=True)
    files = warehouse / layout.FILES
    for stale in files.glob(".*.tmp") if files.exists() else []:
        stale.unlink(missing_ok=True)


def _link_or_copy(src: Path, dst: Path, written: list[Path]) -> None:
    dst.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.link(src, dst)  # snapshot files are never modified in place, so sharing the inode is safe
    except OSError:
        shutil.copy2(src, dst)
        written.append(dst)  # a copy is a new file: made durable with the others


def _write_snapshot(warehouse: Path, previous: Path | None, subs: list[_Sub], facts, ledgers,
                    registry: pl.DataFrame, regions: pl.DataFrame, years: list[str], staged: atomic.Staged) -> Path:
    rows = sorted((s.row for s in subs), key=lambda r: r["seq"])
    return write_snapshot(warehouse, facts, pl.DataFrame(rows, schema=SUBMISSION_SCHEMA), registry, regions,
                          ledgers=ledgers, previous=previous, years=years, originals=staged)


def write_snapshot(warehouse: Path, facts: dict[str, dict[str, pl.DataFrame]], submissions: pl.DataFrame,
                   registry: pl.DataFrame, regions: pl.DataFrame, *,
                   ledgers: dict[str, dict[str, pl.DataFrame]] | None = None, previous: Path | None = None,
                   years: list[str] | tuple[str, ...] = (), originals: atomic.Staged | None = None) -> Path:
    """The one snapshot writer (the ingest and the fixtures' synthetic warehouses alike): facts and ledgers
    {dataset: {period: frame}} in the contract's columns and dtypes, the submissions table, the registry and the
    regions, written under a temporary name, fsynced, renamed to the next number, then `current` swapped.

    With `previous`, the quarters of years not in `years` are hard-linked from it (they did not change).
    `originals` (the batch's original files, staged) are made durable together with the snapshot's files and
    renamed into place before the snapshot is."""
    snapshots = warehouse / layout.SNAPSHOTS
    tmp = snapshots / f".tmp-{uuid.uuid4().hex}"
    link = warehouse / f".current-{uuid.uuid4().hex}"
    originals = originals or atomic.Staged()
    swapped: list[bool] = []
    try:
        return _write_snapshot_steps(warehouse, snapshots, tmp, link, facts, submissions, registry, regions,
                                     ledgers, previous, years, originals, swapped)
    except BaseException:  # nothing half-done stays behind: a full disk gets its space back at once
        if not swapped:  # originals already in place, that no snapshot in force refers to
            originals.revert()
        shutil.rmtree(tmp, ignore_errors=True)
        try:
            link.unlink(missing_ok=True)
        except OSError:
            pass  # removed by the next ingest
        raise


def _write_snapshot_steps(warehouse: Path, snapshots: Path, tmp: Path, link: Path,
                          facts: dict[str, dict[str, pl.DataFrame]], submissions: pl.DataFrame,
                          registry: pl.DataFrame, regions: pl.DataFrame,
                          ledgers: dict[str, dict[str, pl.DataFrame]] | None, previous: Path | None,
                          years: list[str] | tuple[str, ...], originals: atomic.Staged, swapped: list[bool]) -> Path:
    with _step(warehouse, "写入快照文件"):
        snapshots.mkdir(parents=True, exist_ok=True)
        numbers = [int(p.name) for p in snapshots.iterdir() if p.name.isdigit()]
        name = f"{(max(numbers) if numbers else 0) + 1:06d}"
        tmp.mkdir()
        written = _write_snapshot_files(tmp, facts, submissions, registry, regions, ledgers, previous, years)
    with _step(warehouse, "归档原件并确认快照写入磁盘"):
        originals.commit(also=written)  # every file's bytes durable, originals in place
        _fsync_tree(tmp)
    final = snapshots / name
    with _step(warehouse, "启用新快照（重命名快照、切换 current）"):
        os.rename(tmp, final)
        try:
            atomic.fsync_path(snapshots)
            os.symlink(Path(layout.SNAPSHOTS) / name, link)
            os.replace(link, warehouse / layout.CURRENT)  # the one atomic step readers can observe
            swapped.append(True)
        except BaseException:  # not swapped: the numbered snapshot nobody points at goes too
            shutil.rmtree(final, ignore_errors=True)
            raise
    with _step(warehouse, "确认 current 写入磁盘", changed=True):
        atomic.fsync_path(warehouse)
    _prune(snapshots)
    return final


def _write_snapshot_files(tmp: Path, facts: dict[str, dict[str, pl.DataFrame]], submissions: pl.DataFrame,
                          registry: pl.DataFrame, regions: pl.DataFrame,
                          ledgers: dict[str, dict[str, pl.DataFrame]] | None, previous: Path | None,
                          years: list[str] | tuple[str, ...]) -> list[Path]:
    """Every file of the snapshot under `tmp`; the ones written (not hard-linked), to be made durable."""
    written: list[Path] = []  # files of the snapshot written (not linked): made durable together
    touched = {p for y in years for p in quarters.of_year(y)}
    if previous is not None:  # untouched quarters: hard links to the previous snapshot's immutable files
        for dataset in layout.FACT_DATASETS:
            for path in layout.dataset_files(previous, dataset):
                if path.parent.parent.name.removeprefix("year=") not in years:
                    _link_or_copy(path, tmp / path.relative_to(previous), written)
            for path in sorted((previous / layout.LEDGER / dataset).glob("*.parquet")):
                if path.stem not in touched:
                    _link_or_copy(path, tmp / path.relative_to(previous), written)

    def write(frame: pl.DataFrame, path: Path) -> None:
        write_parquet(frame, path)
        written.append(path)

    for dataset, by_period in facts.items():
        schema = _fact_schema(dataset)
        for period, frame in by_period.items():
            if frame.height:
                write(frame.select(list(schema)).cast(schema), tmp / layout.partition(dataset, period))
    for dataset, by_period in (ledgers or {}).items():
        for period, frame in by_period.items():
            if frame.height:
                write(frame, layout.ledger(tmp, dataset, period))
    write(submissions.select(list(SUBMISSION_SCHEMA)).cast(SUBMISSION_SCHEMA), tmp / layout.SUBMISSIONS)
    write(registry, tmp / layout.FIRMS)
    write(regions, tmp / layout.REGIONS)
    return written


def _prune(snapshots: Path) -> None:
    names = sorted(p.name for p in snapshots.iterdir() if p.name.isdigit())
    for old in names[:-KEEP_SNAPSHOTS]:
        shutil.rmtree(snapshots / old, ignore_errors=True)
