"""Collection periods: opened, reopened, closed, listed; lateness at the end of the deadline's day in Beijing."""

from __future__ import annotations

import json
import threading
from datetime import UTC, date, datetime

import pytest

from core import collection
from core.collection import CollectionError

OPENED = datetime(2026, 1, 2, 1, 0, tzinfo=UTC)


def test_a_period_opened_is_listed_open_with_its_deadline(tmp_path):
    collection.open_period(tmp_path, "2025Q4", date(2026, 1, 20), who="sec", now=OPENED)
    [p] = collection.periods(tmp_path)
    assert (p.period, p.deadline, p.opened_at, p.is_open, p.opened_by) == (
        "2025Q4", date(2026, 1, 20), OPENED, True, "sec")
    assert collection.open_periods(tmp_path) == [p]
    assert json.loads((tmp_path / "collection.json").read_text(encoding="utf-8"))["periods"][0]["period"] == "2025Q4"


def test_other_spellings_of_the_quarter_are_the_same_period(tmp_path):
    collection.open_period(tmp_path, "2025年第四季度", date(2026, 1, 20))
    assert collection.find(tmp_path, "2025Q4") is not None


def test_late_is_after_the_deadline_day_ends_in_beijing_time(tmp_path):
    p = collection.open_period(tmp_path, "2025Q4", date(2026, 1, 20))
    # 2026-01-21 00:00 in Beijing is 2026-01-20 16:00 UTC
    assert p.due() == datetime(2026, 1, 20, 16, 0, tzinfo=UTC)
    assert not p.is_late(datetime(2026, 1, 20, 15, 59, 59, tzinfo=UTC))
    assert p.is_late(datetime(2026, 1, 20, 16, 0, tzinfo=UTC))


def test_closing_and_reopening(tmp_path):
    collection.open_period(tmp_path, "2025Q4", date(2026, 1, 20), now=OPENED)
    closed = collection.close_period(tmp_path, "2025Q4", who="sec", now=datetime(2026, 2, 1, tzinfo=UTC))
    assert not closed.is_open and closed.closed_by == "sec"
    assert collection.open_periods(tmp_path) == []
    reopened = collection.open_period(tmp_path, "2025Q4", date(2026, 2, 10))
    assert reopened.is_open and reopened.deadline == date(2026, 2, 10) and reopened.opened_at == OPENED


def test_periods_are_newest_first(tmp_path):
    for period, day in (("2025Q2", date(2025, 7, 20)), ("2025Q4", date(2026, 1, 20)), ("2025Q3", date(2025, 10, 20))):
        collection.open_period(tmp_path, period, day)
    assert [p.period for p in collection.periods(tmp_path)] == ["2025Q4", "2025Q3", "2025Q2"]


@pytest.mark.parametrize(("period", "deadline", "message"), [
    ("2025Q9", date(2026, 1, 20), "无法识别"),
    ("2025Q4", date(2025, 12, 30), "早于 2025Q4 季度结束"),
])
def test_what_cannot_be_opened_says_why(tmp_path, period, deadline, message):
    with pytest.raises(CollectionError, match=message):
        collection.open_period(tmp_path, period, deadline)
    assert not (tmp_path / "collection.json").exists()


def test_closing_a_period_never_opened_is_an_error(tmp_path):
    with pytest.raises(CollectionError, match="未开放"):
        collection.close_period(tmp_path, "2025Q4")


def test_a_damaged_file_is_an_error_naming_it(tmp_path):
    (tmp_path / "collection.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(CollectionError, match="collection.json"):
        collection.periods(tmp_path)


def test_periods_opened_at_once_all_land(tmp_path):
    quarters = [f"{year}Q{q}" for year in (2023, 2024) for q in (1, 2, 3, 4)]
    threads = [threading.Thread(target=collection.open_period, args=(tmp_path, p, date(2026, 6, 30)))
               for p in quarters]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(p.period for p in collection.periods(tmp_path)) == sorted(quarters)
