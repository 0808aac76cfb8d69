"""A user as the rest of the code sees it: name, role and, for a member, its firm. Never a password."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Role = Literal["secretariat", "analyst", "member"]
ROLES: tuple[Role, ...] = ("secretariat", "analyst", "member")


@dataclass(frozen=True)
class User:
    username: str
    role: Role
    firm_id: str | None = None     # a member's firm (registry id); None for the secretariat and analysts
    name: str = ""                 # 显示名

    @property
    def is_member(self) -> bool:
        return self.role == "member"
