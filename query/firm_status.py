"""Who has submitted for a quarter: which files belong to it, each registry firm's status, the problem files.

Pure functions over `Warehouse.submissions()` rows and the registry (`Warehouse.firms()`), shared by the
dashboard and the CLI. Nothing is computed from the figures: a firm's status is read from the statuses the store
gave its files (an accepted file beats a held one, which beats a rejected one).
"""

from __future__ import annotations

import polars as pl

from core.quarters import earlier_in_year
from core.status import FIRM_STATUSES
from query.filters import Filters

# The page and the CLI list the firms that need the secretariat first: nothing received, held, rejected.
ATTENTION_ORDER = ("missing", "held", "rejected", "accepted")


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


def firm_status(registry: pl.DataFrame, submissions: pl.DataFrame,
                everything: pl.DataFrame | None = None) -> pl.DataFrame:
    """One row per registry firm: firm_id, name, short_name, firm_type, status (FIRM_STATUSES), version
    (the accepted version, if any), files (files received), last_received, last_file_status, and why a firm
    without figures has none: reason (the store's note on its latest held or rejected file, Chinese),
    n_errors (errors in that file, when rejected) and missing_periods (held 年累计: the earlier quarters of the
    year with no accepted file of the firm, read from `everything`, every file received; default `submissions`).
    Missing firms first, then held, rejected and accepted (ATTENTION_ORDER), by firm id.

    `submissions` holds one quarter's files (see `within`); files of firms outside the registry
    (unknown firm names) are not rows here, they are listed with the problem files.
    """
    subs = _with_columns(submissions)
    per_firm = (
        subs.filter(pl.col("firm_id").is_not_null())
        .sort("received_at")
        .group_by("firm_id")
        .agg(
            pl.col("status").alias("statuses"),
            pl.col("version").filter(pl.col("status") == "accepted").last().alias("version"),
            pl.len().alias("files"),
            pl.col("received_at").last().alias("last_received"),
            pl.col("status").last().alias("last_file_status"),
            pl.col("period").filter(pl.col("status") == "held").last().alias("__held_period"),
            pl.col("status_note").filter(pl.col("status") == "held").last().alias("__held_note"),
            pl.col("status_note").filter(pl.col("status") == "rejected").last().alias("__rejected_note"),
            pl.col("n_errors").filter(pl.col("status") == "rejected").last().alias("__rejected_errors"),
        )
    )
    has = pl.col("statuses").list.contains
    strongest = (pl.when(has("accepted")).then(pl.lit("accepted")).when(has("held")).then(pl.lit("held"))
                 .when(has("rejected")).then(pl.lit("rejected")))
    out = (
        registry.select("firm_id", "name", "short_name", "firm_type")
        .join(per_firm, on="firm_id", how="left")
        .with_columns(strongest.otherwise(pl.lit("missing")).alias("status"),
                      pl.col("files").fill_null(0))
    )
    accepted = _with_columns(submissions if everything is None else everything).filter(
        pl.col("status") == "accepted").select("firm_id", "period").unique()
    have = {(f, p) for f, p in accepted.iter_rows()}
    gaps = [[q for q in earlier_in_year(p) if (f, q) not in have] if s == "held" and p else None
            for f, s, p in out.select("firm_id", "status", "__held_period").iter_rows()]
    status = pl.col("status")
    return (
        out.with_columns(
            pl.when(status == "held").then(pl.col("__held_note"))
            .when(status == "rejected").then(pl.col("__rejected_note")).alias("reason"),
            pl.when(status == "rejected").then(pl.col("__rejected_errors")).cast(pl.Int64).alias("n_errors"),
            pl.Series("missing_periods", gaps, dtype=pl.List(pl.Utf8)),
        )
        .drop("statuses", "__held_period", "__held_note", "__rejected_note", "__rejected_errors")
        .sort(status.replace_strict(ATTENTION_ORDER, range(len(ATTENTION_ORDER)), return_dtype=pl.Int8),
              "firm_id")
    )


def _with_columns(submissions: pl.DataFrame) -> pl.DataFrame:
    """The columns the status needs, null where a (hand-made, older) frame lacks them."""
    wanted = {"status_note": pl.Utf8, "n_errors": pl.Int64, "version": pl.Int64, "file_name": pl.Utf8}
    return submissions.with_columns(pl.lit(None, dtype).alias(c) for c, dtype in wanted.items()
                                    if c not in submissions.columns)


def counts(status: pl.DataFrame) -> dict[str, int]:
    """Firms per status, every status present (0 when none) — the page's summary line."""
    found = dict(status.group_by("status").len().iter_rows())
    return {s: int(found.get(s, 0)) for s in FIRM_STATUSES}


def problem_files(submissions: pl.DataFrame) -> pl.DataFrame:
    """Rejected and held files, newest first (a batch shares one receipt time: then by file name), with the file
    whose figures stand for that firm and quarter, if any: accepted_version, accepted_file, and accepted_later
    (true when it was received after this file: the rejected or held version was replaced by a resubmission)."""
    subs = _with_columns(submissions)
    accepted = subs.filter(pl.col("status") == "accepted").sort("received_at").group_by("firm_id", "period").agg(
        pl.col("version").last().alias("accepted_version"), pl.col("file_name").last().alias("accepted_file"),
        pl.col("received_at").last().alias("__accepted_at"))
    return (subs.filter(pl.col("status").is_in(["rejected", "held"]))
            .join(accepted, on=["firm_id", "period"], how="left")
            .with_columns((pl.col("__accepted_at") > pl.col("received_at")).fill_null(False).alias("accepted_later"))
            .drop("__accepted_at")
            .sort(["received_at", "file_name"], descending=[True, False], nulls_last=True))
