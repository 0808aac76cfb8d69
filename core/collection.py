"""Collection periods: the quarters the secretariat has opened for members to upload, each with a deadline.

Kept in `<warehouse>/collection.json`, outside the snapshots (opening a period changes no figures), written
atomically under a lock of its own so that two secretariat users opening periods at once both land. A file
received after the deadline's day (北京时间) is accepted and flagged late; lateness is derived from the dates,
never stored beside the figures.
"""

from __future__ import annotations

import fcntl
import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, replace
from datetime import date, datetime
from pathlib import Path

from core import atomic, audit, clock, quarters

FILE = "collection.json"
LOCK = ".collection.lock"


class CollectionError(ValueError):
    """The secretariat asked for something that cannot be done (unknown period, bad date); Chinese message."""


@dataclass(frozen=True)
class Period:
    period: str                     # 2025Q4
    deadline: date                  # the last day (北京时间) a file counts as on time
    opened_at: datetime             # UTC
    closed_at: datetime | None = None
    opened_by: str = ""
    closed_by: str = ""

    @property
    def is_open(self) -> bool:
        return self.closed_at is None

    def due(self) -> datetime:
        """The moment (UTC) after which a file is late: the end of the deadline's day in Beijing time."""
        return clock.end_of_day(self.deadline)

    def is_late(self, received_at: datetime) -> bool:
        return received_at >= self.due()


def path(warehouse: Path) -> Path:
    return Path(warehouse) / FILE


def _parse_moment(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


def _from_json(item: dict) -> Period:
    return Period(period=item["period"], deadline=date.fromisoformat(item["deadline"]),
                  opened_at=datetime.fromisoformat(item["opened_at"]), closed_at=_parse_moment(item.get("closed_at")),
                  opened_by=item.get("opened_by", ""), closed_by=item.get("closed_by", ""))


def _to_json(period: Period) -> dict:
    item = asdict(period)
    item["deadline"] = period.deadline.isoformat()
    item["opened_at"] = period.opened_at.isoformat()
    item["closed_at"] = period.closed_at.isoformat() if period.closed_at else None
    return item


def periods(warehouse: Path) -> list[Period]:
    """Every period ever opened, newest quarter first. An absent file: none."""
    try:
        text = path(warehouse).read_text(encoding="utf-8")
    except FileNotFoundError:
        return []
    try:
        items = json.loads(text)["periods"]
        found = [_from_json(item) for item in items]
    except (ValueError, KeyError, TypeError) as exc:
        raise CollectionError(f"报送期间文件已损坏：{path(warehouse)}") from exc
    return sorted(found, key=lambda p: p.period, reverse=True)


def find(warehouse: Path, period: str) -> Period | None:
    return next((p for p in periods(warehouse) if p.period == period), None)


def open_periods(warehouse: Path) -> list[Period]:
    return [p for p in periods(warehouse) if p.is_open]


@contextmanager
def _locked(warehouse: Path) -> Iterator[None]:
    Path(warehouse).mkdir(parents=True, exist_ok=True)
    with open(Path(warehouse) / LOCK, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _change(warehouse: Path, period: str, change: Callable[[Period | None], Period]) -> Period:
    with _locked(warehouse):
        known = {p.period: p for p in periods(warehouse)}
        changed = change(known.get(period))
        known[period] = changed
        body = {"periods": [_to_json(p) for p in sorted(known.values(), key=lambda p: p.period)]}
        atomic.write_text(path(warehouse), json.dumps(body, ensure_ascii=False, indent=2) + "\n")
    return changed


def canonical(period: str) -> str:
    """2025Q4 (also 2025年第四季度 …), or CollectionError."""
    found = quarters.parse(period)
    if found is None:
        raise CollectionError(f"报送期间“{period}”无法识别：应为如 2025Q4 的季度")
    return found


def open_period(warehouse: Path, period: str, deadline: date, *, who: str = "",
                now: datetime | None = None) -> Period:
    """Open (or reopen, with a new deadline) a quarter for collection."""
    period = canonical(period)
    if deadline < quarters.end_date(period):
        raise CollectionError(f"截止日期 {deadline.isoformat()} 早于 {period} 季度结束（{quarters.end_date(period)}）")
    moment = now or clock.now()

    def opened(old: Period | None) -> Period:
        if old is None:
            return Period(period, deadline, moment, opened_by=who)
        return replace(old, deadline=deadline, closed_at=None, closed_by="")

    changed = _change(warehouse, period, opened)
    audit.record(warehouse, "period_open", who or "cli", period=period, deadline=deadline.isoformat())
    return changed


def close_period(warehouse: Path, period: str, *, who: str = "", now: datetime | None = None) -> Period:
    period = canonical(period)
    moment = now or clock.now()

    def closed(old: Period | None) -> Period:
        if old is None:
            raise CollectionError(f"{period} 未开放报送，无需关闭")
        return old if old.closed_at else replace(old, closed_at=moment, closed_by=who)

    changed = _change(warehouse, period, closed)
    audit.record(warehouse, "period_close", who or "cli", period=period)
    return changed
