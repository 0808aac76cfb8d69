"""What an ingest (or a validation) did, file by file: the `--report` JSON and the counts behind the summary.

One entry per submission unit of the batch, in the order the files were found, then one entry per earlier
submission whose status this batch changed (`"earlier": true`): a held 年累计 file released because its gap was
filled (`"released": true`), or — rarer — an earlier file rejected or held again because a resubmitted earlier
quarter changed what its 年累计 figures difference to. Plain supersession of an earlier version by a file of
this batch is not repeated (the new file's entry says it).

Each entry's `not_written` is null when the warehouse holds what the entry says, else why not: a validation, or
an ingest that could not write the warehouse (the statuses are then what the checks found, as `validate` gives).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import cast

from core import atomic, untrusted
from core.status import FILE_STATUSES, NEEDS_ATTENTION
from etl.model import Issue
from etl.store import Outcome


def issue_entry(issue: Issue) -> dict:
    return {"sheet": issue.sheet, "row": issue.row, "column": issue.column, "value": issue.value,
            "rule": issue.rule, "message": issue.message}


def entry(o: Outcome) -> dict:
    return {
        "path": o.file, "file_name": o.file_name, "status": o.status, "firm_id": o.firm_id, "period": o.period,
        "version": o.version, "submission_id": o.submission_id, "message": o.message,
        "earlier": o.previous_status is not None, "previous_status": o.previous_status, "released": o.released,
        "warnings": [issue_entry(i) for i in o.issues if i.severity == "warning"],
        "errors": [issue_entry(i) for i in o.issues if i.severity == "error"],
    }


DRY_RUN_NOTE = "仅校验，未写入数据仓库"


@dataclass
class Report:
    outcomes: list[Outcome] = field(default_factory=list)
    dry_run: bool = False
    seconds: dict[str, float] = field(default_factory=dict)  # parse, store
    # Why nothing of this report is in the warehouse: the ingest could not write it (WriteFailed's message); the
    # statuses are then those the checks found (as `validate` gives them).
    failure: str | None = None

    @property
    def not_written(self) -> str | None:
        return self.failure or (DRY_RUN_NOTE if self.dry_run else None)

    @property
    def ok(self) -> bool:
        return not any(o.status in NEEDS_ATTENTION for o in self.outcomes)

    @property
    def files(self) -> list[Outcome]:
        """The entries for the files of this batch (not the earlier submissions it re-examined)."""
        return [o for o in self.outcomes if o.previous_status is None]

    @property
    def earlier(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.previous_status is not None]

    def counts(self) -> dict[str, int]:
        """Files of this batch per status (every status present, 0 when none)."""
        counts = dict.fromkeys(FILE_STATUSES, 0)
        for o in self.files:
            counts[o.status] += 1
        return counts

    def entries(self) -> list[dict]:
        """The report's entries; every string cleaned of escape sequences, controls and bidi characters (file names,
        cells and messages come from members' files: a report opened in a terminal must not act on them)."""
        return [cast("dict", untrusted.deep({**entry(o), "not_written": self.not_written})) for o in self.outcomes]

    def write(self, path: Path) -> None:
        """The JSON report, written atomically (a reader never sees half a report)."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic.write_text(path, json.dumps(self.entries(), ensure_ascii=False, indent=2))
