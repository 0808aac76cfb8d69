"""What a user chose (Filters) and who is asking (Scope). Both frozen: their repr is their value (cache keys)."""

from __future__ import annotations

import re
from dataclasses import dataclass

PERIOD = re.compile(r"^\d{4}Q[1-4]$")


@dataclass(frozen=True)
class Filters:
    period: str | None = None  # one quarter, or
    period_from: str | None = None  # a range (either end may be open)
    period_to: str | None = None
    firm_type: str | None = None  # 财产险 | 人身险
    firms: tuple[str, ...] = ()
    regions: tuple[str, ...] = ()  # region codes as reported (the five cities on their own)
    provinces: tuple[str, ...] = ()  # province codes (the five cities rolled in)

    def __post_init__(self) -> None:
        for name in ("firms", "regions", "provinces"):  # lists from callers become tuples (hashable, repr-stable)
            value = getattr(self, name)
            if isinstance(value, str):
                value = (value,)
            object.__setattr__(self, name, tuple(value or ()))
        for name in ("period", "period_from", "period_to"):
            value = getattr(self, name)
            if value is not None and not PERIOD.match(str(value)):
                raise ValueError(f"期间应为如 2025Q3 的季度：{value!r}")

    @property
    def latest(self) -> str | None:
        """The quarter a single-period view is about: the period, or the end of the range."""
        return self.period or self.period_to


@dataclass(frozen=True)
class Scope:
    """Who is asking. The secretariat (firm_id None) sees every firm; a member firm sees itself identified and
    every other firm only as a stable pseudonym (同业A …), and no aggregate over fewer than MIN_PEERS firms."""

    firm_id: str | None = None
    user: str | None = None


MIN_PEERS = 5

