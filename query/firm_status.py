"""Who has submitted for a quarter: which files belong to it, each registry firm's status, the problem files.

Pure functions over `Warehouse.submissions()` rows and the registry (`Warehouse.firms()`), shared by the
dashboard and the CLI. Nothing is computed from the figures: a firm's status is read from the statuses the store
gave its files (an accepted file beats a held one, which beats a rejected one).
"""

from __future__ import annotations

import polars as pl

from core.status import FIRM_STATUSES
from query.filters import Filters


def within(submissions: pl.DataFrame, filters: Filters) -> pl.DataFrame:
    """Files of the filters' quarter (or range), plus files whose period could not be read at all (unreadable or
    without a recognisable 报送期间): they may belong to any quarter and must not drop out of sight. No period
    in the filters: every file."""
    f = filters
    if not (f.period or f.period_from or f.period_to):
        return submissions
    inside = (pl.col("period") == f.period) if f.period else pl.col("period").is_between(
        pl.lit(f.period_from or "0000Q1"), pl.lit(f.period_to or "9999Q4"))
    return submissions.filter(inside | pl.col("period").is_null())


def firm_status(registry: pl.DataFrame, submissions: pl.DataFrame) -> pl.DataFrame:
    """One row per registry firm: firm_id, name, short_name, firm_type, status (FIRM_STATUSES), version
    (the accepted version, if any), files (files received), last_received, last_file_status.

    `submissions` holds one quarter's files (see `within`); files of firms outside the registry
    (unknown firm names) are not rows here, they are listed with the problem files.
    """
    per_firm = (
        submissions.filter(pl.col("firm_id").is_not_null())
        .sort("received_at")
        .group_by("firm_id")
        .agg(
            pl.col("status").alias("statuses"),
            pl.col("version").filter(pl.col("status") == "accepted").last().alias("version"),
            pl.len().alias("files"),
            pl.col("received_at").last().alias("last_received"),
            pl.col("status").last().alias("last_file_status"),
        )
    )
    has = pl.col("statuses").list.contains
    strongest = (pl.when(has("accepted")).then(pl.lit("accepted")).when(has("held")).then(pl.lit("held"))
                 .when(has("rejected")).then(pl.lit("rejected")))
    return (
        registry.select("firm_id", "name", "short_name", "firm_type")
        .join(per_firm, on="firm_id", how="left")
        .with_columns(strongest.otherwise(pl.lit("missing")).alias("status"),
                      pl.col("files").fill_null(0))
        .drop("statuses")
        .sort(pl.col("status").replace_strict(FIRM_STATUSES, range(len(FIRM_STATUSES)), return_dtype=pl.Int8),
              "firm_id")
    )


def counts(status: pl.DataFrame) -> dict[str, int]:
    """Firms per status, every status present (0 when none) — the page's summary line."""
    found = dict(status.group_by("status").len().iter_rows())
    return {s: int(found.get(s, 0)) for s in FIRM_STATUSES}


def problem_files(submissions: pl.DataFrame) -> pl.DataFrame:
    """Rejected and held files, newest first (a batch shares one receipt time: then by file name)."""
    return submissions.filter(pl.col("status").is_in(["rejected", "held"])).sort(
        ["received_at", "file_name"], descending=[True, False], nulls_last=True)
