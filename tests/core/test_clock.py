from datetime import UTC, date, datetime

import polars as pl

from core import clock


def test_stored_in_utc_shown_in_beijing_time():
    stored = datetime(2025, 10, 1, 1, 0, tzinfo=UTC)
    assert clock.shown(stored) == "2025-10-01 09:00"
    assert clock.shown(datetime(2025, 12, 31, 20, 30)) == "2026-01-01 04:30"  # a naive time is UTC
    assert clock.now().tzinfo is UTC


def test_the_polars_form_agrees():
    frame = pl.DataFrame({"at": [datetime(2025, 10, 1, 1, 0), datetime(2025, 12, 31, 20, 30)]})
    assert frame.select(clock.shown_expr(pl.col("at")))["at"].to_list() == ["2025-10-01 09:00", "2026-01-01 04:30"]


def test_a_day_ends_at_midnight_beijing_time_which_is_16_00_utc():
    assert clock.end_of_day(date(2026, 1, 20)) == datetime(2026, 1, 20, 16, 0, tzinfo=UTC)
