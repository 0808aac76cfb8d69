"""The upload portal as the query layer shows it, under the Warehouse's Scope: a member sees its own uploads only
(never another member's file names, statuses or errors); the secretariat sees every upload and, for a period open
for collection, who still needs a reminder.
"""

from __future__ import annotations

import polars as pl

from core import collection, uploads
from core.uploads import Receipt
from query import firm_status
from query.filters import Filters
from query.warehouse import Warehouse

HISTORY_SCHEMA: dict[str, pl.DataType | type[pl.DataType]] = {
                  "upload_id": pl.Utf8, "received_at": pl.Datetime("us", "UTC"), "file_name": pl.Utf8,
                  "firm_id": pl.Utf8, "period": pl.Utf8, "status": pl.Utf8, "late": pl.Boolean, "reason": pl.Utf8,
                  "n_errors": pl.Int64, "n_warnings": pl.Int64, "who": pl.Utf8}
REMINDER_ATTENTION = ("missing", "rejected", "held")


def _visible(wh: Warehouse, receipt: Receipt) -> bool:
    """A member sees the uploads made for its firm; everyone else sees all."""
    return wh.scope.firm_id is None or receipt.firm_id == wh.scope.firm_id


def receipts(wh: Warehouse) -> list[Receipt]:
    """The uploads this scope may see, newest first."""
    return [r for r in reversed(uploads.receipts(wh.path)) if _visible(wh, r)]


def receipt(wh: Warehouse, upload_id: str) -> Receipt | None:
    """One upload, when this scope may see it (another member's, or an unknown id: None alike)."""
    return next((r for r in receipts(wh) if r.upload_id == upload_id), None)


def history(wh: Warehouse) -> pl.DataFrame:
    """The uploads this scope may see, newest first: HISTORY_SCHEMA's columns."""
    rows = [{"upload_id": r.upload_id, "received_at": r.received_at, "file_name": r.file_name,
             "firm_id": r.firm_id or r.found_firm_id, "period": r.period, "status": r.status, "late": r.late,
             "reason": r.reason, "n_errors": len(r.errors), "n_warnings": len(r.warnings), "who": r.who}
            for r in receipts(wh)]
    frame = pl.DataFrame(rows, schema={**HISTORY_SCHEMA, "received_at": pl.Utf8}, orient="row")
    return frame.with_columns(pl.col("received_at").str.to_datetime(time_zone="UTC", time_unit="us"))


def next_version(wh: Warehouse, firm_id: str, period: str) -> int:
    """The 版本 a new file of the firm for the period should carry: one more than any received, else 1."""
    subs = wh.submissions(Filters(period=period))
    versions = subs.filter((pl.col("firm_id") == firm_id) & (pl.col("period") == period))["version"].drop_nulls()
    highest = versions.max()
    return int(str(highest)) + 1 if highest is not None else 1


def reminders(wh: Warehouse, period: str) -> pl.DataFrame:
    """For a collection period: each firm that has not submitted, whose file is held or rejected, or that
    submitted late — firm_id, short_name, firm_type, status, late, filler, phone (填报人 and 联系电话 of its latest
    file), last_received — those needing a reminder first. A member sees only its own row."""
    registry = wh.firms()
    if wh.scope.firm_id is not None:
        registry = registry.filter(pl.col("firm_id") == wh.scope.firm_id)
    received = wh.submissions(Filters(period=period)).filter(pl.col("period") == period)
    received = received.with_columns(pl.col("received_at").cast(pl.Datetime("us", "UTC")))  # typed when empty
    status = firm_status.firm_status(registry, received, everything=wh.submissions())
    latest = (received.filter(pl.col("firm_id").is_not_null()).sort("received_at")
              .group_by("firm_id").agg(pl.col("filler").last(), pl.col("phone").last(),
                                       pl.col("received_at").filter(pl.col("status") == "accepted").first()
                                       .alias("accepted_at")))
    opened = collection.find(wh.path, period)
    due = opened.due() if opened else None
    late = pl.lit(False) if due is None else pl.col("accepted_at").is_not_null() & (pl.col("accepted_at") >= due)
    out = status.join(latest, on="firm_id", how="left").with_columns(late.fill_null(False).alias("late"))
    attention = pl.col("status").is_in(REMINDER_ATTENTION) | pl.col("late")
    return (out.filter(attention)
            .select("firm_id", "short_name", "firm_type", "status", "late", "filler", "phone", "last_received"))
