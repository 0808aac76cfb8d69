"""The time zone rule: times are stored in UTC and shown in Beijing time (Asia/Shanghai, no daylight saving)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

if TYPE_CHECKING:   # polars is imported by whoever builds the expression: the login routes need none of it
    import polars as pl

STORED = "UTC"
SHOWN = "Asia/Shanghai"
SHOWN_ZH = "北京时间"
_SHOWN_TZ = ZoneInfo(SHOWN)


def now() -> datetime:
    """The current time, timezone-aware, in UTC: what is stored."""
    return datetime.now(UTC)


def local(moment: datetime) -> datetime:
    """A stored time as the secretariat reads it (a naive time is taken as UTC)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(_SHOWN_TZ)


def end_of_day(day: date) -> datetime:
    """The first moment (UTC) after `day` has ended in Beijing time: a deadline of 2026-01-20 is kept until then."""
    return datetime.combine(day + timedelta(days=1), time(0), tzinfo=_SHOWN_TZ).astimezone(UTC)


def shown(moment: datetime, fmt: str = "%Y-%m-%d %H:%M") -> str:
    return local(moment).strftime(fmt)


def shown_expr(col: pl.Expr, fmt: str = "%Y-%m-%d %H:%M") -> pl.Expr:
    """The polars form of `shown` for a column of stored times (naive columns are taken as UTC)."""
    return col.dt.replace_time_zone(STORED).dt.convert_time_zone(SHOWN).dt.strftime(fmt)
