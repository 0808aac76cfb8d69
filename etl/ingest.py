"""Files and folders → parse → store → report. Used by `xiaobao ingest`, `xiaobao validate`, the tests and bench."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from pathlib import Path

import polars as pl

from core.atomic import refusal
from core.reference import load_regions, load_registry
from etl.model import ParsedSubmission
from etl.parse import Source, Unread, parse_file, parse_files, read_source
from etl.read import UnreadableFile, find_submissions, source_bytes
from etl.report import Report
from etl.store import Outcome, WriteFailed, apply, issues_from_json, received
from etl.validate import make_issue, rule_text

Progress = Callable[[int, int, Path], None]  # (files parsed, files found, the file just parsed)
# Files are parsed CHUNK at a time (`parse_files`: one set of queries for all of them); fewer than BATCH_MIN
# new files are parsed one by one, where batching gains nothing.
CHUNK = 256
BATCH_MIN = 8
# Each file is read and hashed once: the bytes of new files are handed to the parser and then to the store (which
# archives them), up to KEEP_BYTES in all; beyond that they are read again where needed (the store checks the hash).
KEEP_BYTES = 256 * 2**20


class UsageError(ValueError):
    """The command cannot run as asked (missing path, unreadable registry); the message is Chinese."""


class IngestFailed(Exception):
    """The warehouse could not be written (WriteFailed's Chinese message); `report`: what the checks found, for the
    `--report`, each entry saying it was not written."""

    def __init__(self, message: str, report: Report) -> None:
        super().__init__(message)
        self.report = report


def registry(path: Path) -> pl.DataFrame:
    """The member registry, or UsageError naming the file and what is wrong with it."""
    try:
        return load_registry(Path(path))
    except (FileNotFoundError, ValueError) as exc:
        raise UsageError(str(exc)) from exc
    except (OSError, pl.exceptions.PolarsError) as exc:
        raise UsageError(f"会员名录无法读取：{path}（应为含 firm_id,name,short_name,aliases,firm_type 列的 CSV）"
                         ) from exc


def parse_safely(unit: Path, firms: pl.DataFrame, regions: pl.DataFrame) -> ParsedSubmission:
    """parse_file, except that a crash becomes an `unreadable_file` rejection of this file only."""
    try:
        return parse_file(unit, firms, regions)
    except Exception as exc:  # noqa: BLE001 — one bad file must never stop the batch
        try:
            sha256 = hashlib.sha256(source_bytes(unit)[0]).hexdigest()
        except (OSError, UnreadableFile):
            sha256 = ""
        sub = ParsedSubmission(path=unit, sha256=sha256)
        sub.issues.append(make_issue("error", "unreadable_file", unit.name,
                                     detail=f"{rule_text('unreadable_file')}（{type(exc).__name__}）"))
        return sub


def already_received(unit: Path, known: dict[str, dict], source: Source | Unread | None = None
                     ) -> ParsedSubmission | None:
    """A file byte-identical to one the warehouse holds, described from its submissions row instead of parsed
    again: re-running an ingest over a whole inbox folder then costs a hash per old file, not a parse.
    `source`: what read_source(unit) gave (or raised) already."""
    if source is None:
        try:
            source = read_source(unit)
        except (OSError, UnreadableFile):
            return None
    if isinstance(source, (OSError, UnreadableFile)):
        return None
    row = known.get(source[2])
    if row is None:
        return None
    return ParsedSubmission(path=unit, sha256=row["sha256"], firm_name_raw=row["firm_name_raw"],
                            firm_id=row["firm_id"], period=row["period"], basis=row["basis"],
                            version=row["version"] or 1, filled_on=row["filled_on"],
                            filler=row.get("filler"), phone=row.get("phone"),
                            issues=issues_from_json(row["issues_json"]))


def parse_all(units: list[Path], known: dict[str, dict], firms: pl.DataFrame, regions: pl.DataFrame,
              progress: Progress | None = None) -> list[ParsedSubmission]:
    """Every unit parsed (or, already received, described from the warehouse), in the order given."""
    return parse_units(units, known, firms, regions, progress)[0]


def _read(unit: Path) -> Source | Unread:
    try:
        return read_source(unit)
    except (OSError, UnreadableFile) as exc:
        return exc


def parse_units(units: list[Path], known: dict[str, dict], firms: pl.DataFrame, regions: pl.DataFrame,
                progress: Progress | None = None) -> tuple[list[ParsedSubmission], dict[Path, Source]]:
    """parse_all, and the sources of the new units as read (up to KEEP_BYTES in all), for the store to archive."""
    parsed: list[ParsedSubmission | None] = []
    given: list[Source | Unread | None] = []  # for the parser: new units' sources (or the error reading them)
    kept: dict[Path, Source] = {}
    size = 0
    for unit in units:
        source = _read(unit)
        parsed.append(already_received(unit, known, source))
        if parsed[-1] is not None:
            given.append(None)  # already received: not parsed
        elif isinstance(source, (OSError, UnreadableFile)) or size + len(source[0]) <= KEEP_BYTES:
            given.append(source)
            if not isinstance(source, (OSError, UnreadableFile)):
                size += len(source[0])
                kept[unit] = source
        else:
            given.append(None)  # over the budget: read again when parsed, and by the store
    done = 0

    def report(i: int) -> None:
        nonlocal done
        done += 1
        if progress:
            progress(done, len(units), units[i])

    for i, sub in enumerate(parsed):
        if sub is not None:
            report(i)
    todo = [i for i, sub in enumerate(parsed) if sub is None]
    chunks = [todo[k:k + CHUNK] for k in range(0, len(todo), CHUNK)] if len(todo) >= BATCH_MIN else [[i] for i in todo]
    for chunk in chunks:
        subs = (parse_chunk([units[i] for i in chunk], firms, regions, [given[i] for i in chunk]) if len(chunk) > 1
                else [parse_safely(units[chunk[0]], firms, regions)])
        for i, sub in zip(chunk, subs, strict=True):
            parsed[i] = sub
            given[i] = None
            report(i)
    return [sub for sub in parsed if sub is not None], kept


def parse_chunk(units: list[Path], firms: pl.DataFrame, regions: pl.DataFrame,
                given: list[Source | Unread | None] | None = None) -> list[ParsedSubmission]:
    """parse_files, except that a crash outside its own guards falls back to parsing each unit alone."""
    try:
        return parse_files(units, firms, regions, given=given)
    except Exception:  # noqa: BLE001 — one bad file must never stop the batch
        return [parse_safely(unit, firms, regions) for unit in units]


def run(paths: list[Path], warehouse: Path, registry_path: Path, *, dry_run: bool = False,
        progress: Progress | None = None, on_wait: Callable[[], None] | None = None) -> Report:
    """Ingest (or, dry_run, only check) every submission unit found under `paths`.

    Raises UsageError for a missing path, a folder without any submission or an unreadable registry, before
    anything is written.
    """
    missing = [str(p) for p in paths if not Path(p).exists()]
    if missing:
        raise UsageError(f"路径不存在：{'、'.join(missing)}")
    firms = registry(registry_path)
    regions = load_regions()
    try:
        units = find_submissions([Path(p) for p in paths])
    except OSError as exc:  # a folder that cannot be listed
        raise UsageError(f"报送文件无法读取：{refusal(exc)}") from exc
    if not units:  # most likely the wrong folder; an empty success would hide that
        raise UsageError(f"没有找到报送文件：{'、'.join(map(str, paths))}（应为 .xlsx 工作簿、CSV 文件夹或 .zip）")
    started = time.perf_counter()
    try:
        known = received(Path(warehouse))
    except OSError as exc:
        raise UsageError(f"数据仓库 {warehouse} 无法读取：{refusal(exc)}") from exc
    parsed, sources = parse_units(units, known, firms, regions, progress)
    parsed_at = time.perf_counter()
    try:
        outcomes = apply(Path(warehouse), parsed, firms, regions, dry_run=dry_run, on_wait=on_wait, sources=sources)
    except WriteFailed as exc:
        seconds = {"parse": round(parsed_at - started, 3), "store": round(time.perf_counter() - parsed_at, 3)}
        # changed: the new snapshot is in force (only its last fsync failed), so the report is what was written
        raise IngestFailed(str(exc), Report(_checked(exc, parsed, firms, regions), seconds=seconds,
                                            failure=None if exc.changed else str(exc))) from exc
    except OSError as exc:  # reading the warehouse while validating
        raise UsageError(f"数据仓库 {warehouse} 无法读取：{refusal(exc)}") from exc
    seconds = {"parse": round(parsed_at - started, 3), "store": round(time.perf_counter() - parsed_at, 3)}
    return Report(outcomes, dry_run=dry_run, seconds=seconds)


def _checked(failed: WriteFailed, parsed: list[ParsedSubmission], firms: pl.DataFrame, regions: pl.DataFrame
             ) -> list[Outcome]:
    """What the batch would have done, for the report of an ingest that could not write: as the store had found it
    when it failed, else as a validation against the warehouse as it is (which writes nothing); none when even
    that cannot read the warehouse."""
    if failed.outcomes is not None:
        return failed.outcomes
    try:
        return apply(failed.warehouse, parsed, firms, regions, dry_run=True)
    except (OSError, RuntimeError, WriteFailed):
        return []
