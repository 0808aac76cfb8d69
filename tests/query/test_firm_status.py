"""Which files belong to a quarter and each firm's status, on hand-made submissions."""

from __future__ import annotations

from query import Filters, firm_status
from tests.query.handmade import SUBMISSIONS as SUBS
from tests.query.handmade import SUBMITTING_FIRMS as REGISTRY


def test_firm_status_takes_the_strongest_file_status_and_lists_missing_firms():
    firms = firm_status.firm_status(REGISTRY, firm_status.within(SUBS, Filters(period="2025Q3")))
    # F1: superseded v1, accepted v2, rejected v3 → its figures stand (accepted v2), last file rejected.
    assert firms.select("firm_id", "status", "version", "files", "last_file_status").rows() == [
        ("F1", "accepted", 2, 3, "rejected"), ("F3", "held", None, 1, "held"),
        ("F2", "rejected", None, 1, "rejected"), ("F4", "missing", None, 0, None),
        ("F5", "missing", None, 0, None)]
    assert firm_status.counts(firms) == {"accepted": 1, "held": 1, "rejected": 1, "missing": 2}


def test_files_without_a_readable_period_stay_in_every_quarter_and_problem_files_are_newest_first():
    kept = firm_status.within(SUBS, Filters(period="2025Q2"))
    assert kept["submission_id"].to_list() == ["s5"]
    assert firm_status.problem_files(firm_status.within(SUBS, Filters(period="2025Q3")))["submission_id"].to_list() == [
        "s6", "s5", "s4", "s3"]
