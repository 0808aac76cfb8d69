"""The warehouse on disk. Written only by etl.store; read by the query layer.

    <warehouse>/
      current -> snapshots/000007     symlink, swapped atomically (os.replace) after a snapshot is complete
      snapshots/000007/
        complaints/year=2025/quarter=3/part-0.parquet     DOMAIN.md column ids, current figures only
        complaints_by_line/…  mediation/…  outreach/…      same partitioning
        submissions.parquet     every file ever received (not byte-identical duplicates), status, reasons
        firms.parquet           the member registry used for this snapshot
        regions.parquet         the region reference data used for this snapshot
        ledger/<dataset>/<period>.parquet   parsed figures of every accepted, superseded or held submission of
                                            that period (column submission_id), as submitted (年累计 not differenced)
      files/<sha256><ext>       original bytes of every file received, content-addressed, write-once

A snapshot is never modified after `current` points at it, so a reader that resolved `current` once
reads a consistent warehouse even while a new snapshot is being written.
"""

from __future__ import annotations

import os
from pathlib import Path

from core import quarters

CURRENT = "current"
SNAPSHOTS = "snapshots"
FILES = "files"
LEDGER = "ledger"
PART = "part-0.parquet"
SUBMISSIONS = "submissions.parquet"
FIRMS = "firms.parquet"
REGIONS = "regions.parquet"
FACT_DATASETS = ("complaints", "complaints_by_line", "mediation", "outreach")
# The audit log (core.audit): logins, user changes and every file handed out (query.export); append-only,
# outside the snapshots.
AUDIT = "audit/log.jsonl"
# Before logins the log held exports only, under this name; core.audit.read still reads it.
AUDIT_LEGACY = "audit/exports.jsonl"


def current_snapshot(warehouse: Path) -> Path | None:
    """The snapshot `current` points at, resolved, or None for an empty warehouse."""
    link = Path(warehouse) / CURRENT
    if not link.is_symlink() and not link.exists():
        return None
    target = Path(os.readlink(link)) if link.is_symlink() else link
    snap = target if target.is_absolute() else Path(warehouse) / target
    return snap.resolve() if snap.exists() else None


def version(warehouse: Path) -> str | None:
    """The warehouse version: the name of the current snapshot. Caches are keyed by it."""
    snap = current_snapshot(warehouse)
    return snap.name if snap else None


def partition(dataset: str, period: str) -> Path:
    """Where one quarter of a fact dataset lives inside a snapshot (hive partitioning: year=, quarter=)."""
    year, quarter = quarters.year_quarter(period)
    return Path(dataset) / f"year={year}" / f"quarter={quarter}" / PART


def ledger(snapshot: Path, dataset: str, period: str) -> Path:
    return Path(snapshot) / LEDGER / dataset / f"{period}.parquet"


def dataset_files(snapshot: Path, dataset: str) -> list[Path]:
    return sorted((snapshot / dataset).glob("year=*/quarter=*/*.parquet"))
