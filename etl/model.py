"""What a parsed submission looks like, between the reader/validator and the warehouse store."""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from datetime import date
from pathlib import Path
from typing import Literal

import polars as pl

Severity = Literal["error", "warning"]
Status = Literal["accepted", "rejected", "held", "superseded", "duplicate"]


@dataclass(frozen=True)
class Issue:
    """One finding, located as the member sees it in Excel."""

    severity: Severity
    rule: str  # id from core.contract.CELL_RULES / WARNING_RULES or a Rule.id
    message: str  # complete Chinese sentence naming file, sheet, row, column, value and rule
    file: str
    sheet: str | None = None  # sheet name as it appears in the file
    row: int | None = None  # 1-based row number as Excel shows it (CSV: line number)
    column: str | None = None  # header as it appears in the file
    value: str | None = None  # the offending cell text

    def to_dict(self) -> dict[str, object]:
        # every field is a plain value: no need for asdict's recursive copy (the store summarises thousands)
        return {name: getattr(self, name) for name in ISSUE_FIELDS}


ISSUE_FIELDS = tuple(f.name for f in fields(Issue))


@dataclass
class ParsedSubmission:
    path: Path
    sha256: str
    firm_name_raw: str | None = None
    firm_id: str | None = None
    firm_type: str | None = None
    period: str | None = None  # canonical YYYYQn
    basis: str | None = None  # "当季" or "年累计"
    version: int = 1
    filler: str | None = None
    phone: str | None = None
    filled_on: date | None = None
    # dataset id -> frame with the DOMAIN.md column ids (period and firm_id included), figures as submitted
    frames: dict[str, pl.DataFrame] = field(default_factory=dict)
    issues: list[Issue] = field(default_factory=list)

    @property
    def errors(self) -> list[Issue]:
        return [i for i in self.issues if i.severity == "error"]

    @property
    def warnings(self) -> list[Issue]:
        return [i for i in self.issues if i.severity == "warning"]
