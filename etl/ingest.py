"""Files and folders → parse → store → report. Used by `xiaobao ingest`, `xiaobao validate`, the tests and bench."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from pathlib import Path

import polars as pl

from core.reference import load_regions, load_registry
from etl.model import ParsedSubmission
from etl.parse import parse_file
from etl.read import find_submissions, source_bytes
from etl.report import Report
from etl.store import apply, issues_from_json, received
from etl.validate import make_issue, rule_text

Progress = Callable[[int, int, Path], None]  # (files parsed, files found, the file just parsed)


class UsageError(ValueError):
    """The command cannot run as asked (missing path, unreadable registry); the message is Chinese."""


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
        except OSError:
            sha256 = ""
        sub = ParsedSubmission(path=unit, sha256=sha256)
        sub.issues.append(make_issue("error", "unreadable_file", unit.name,
                                     detail=f"{rule_text('unreadable_file')}（{type(exc).__name__}）"))
        return sub


def already_received(unit: Path, known: dict[str, dict]) -> ParsedSubmission | None:
    """A file byte-identical to one the warehouse holds, described from its submissions row instead of parsed
    again: re-running an ingest over a whole inbox folder then costs a hash per old file, not a parse."""
    try:
        data, _ = source_bytes(unit)
    except OSError:
        return None
    row = known.get(hashlib.sha256(data).hexdigest())
    if row is None:
        return None
    return ParsedSubmission(path=unit, sha256=row["sha256"], firm_name_raw=row["firm_name_raw"],
                            firm_id=row["firm_id"], period=row["period"], basis=row["basis"],
                            version=row["version"] or 1, filled_on=row["filled_on"],
                            issues=issues_from_json(row["issues_json"]))


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
    units = find_submissions([Path(p) for p in paths])
    if not units:  # most likely the wrong folder; an empty success would hide that
        raise UsageError(f"没有找到报送文件：{'、'.join(map(str, paths))}（应为 .xlsx 工作簿、CSV 文件夹或 .zip）")
    started = time.perf_counter()
    known = received(Path(warehouse))
    parsed = []
    for done, unit in enumerate(units, start=1):
        parsed.append(already_received(unit, known) or parse_safely(unit, firms, regions))
        if progress:
            progress(done, len(units), unit)
    parsed_at = time.perf_counter()
    outcomes = apply(Path(warehouse), parsed, firms, regions, dry_run=dry_run, on_wait=on_wait)
    seconds = {"parse": round(parsed_at - started, 3), "store": round(time.perf_counter() - parsed_at, 3)}
    return Report(outcomes, dry_run=dry_run, seconds=seconds)
