"""The upload portal's history: one receipt per file uploaded, whatever became of it.

`<warehouse>/uploads/uploads.jsonl`, outside the snapshots, appended to (O_APPEND + fsync: never half a line,
never rewritten); `etl.intake` writes it, the query layer reads it under the user's scope.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

from core import atomic

FOLDER = "uploads"
LOG = "uploads.jsonl"


@dataclass
class Receipt:
    """What became of one upload. `status` is a file status of the ingest (accepted, rejected, held, superseded,
    duplicate) or `refused` (stopped at the door: nothing was ingested)."""

    upload_id: str
    file_name: str          # as sent, made safe to show and to store
    size: int
    sha256: str
    who: str
    firm_id: str | None     # the firm the upload was made for (the member's own; None: the secretariat, any firm)
    received_at: str        # ISO, UTC
    status: str
    reason: str = ""        # why refused, or the ingest's message
    rule: str = ""          # the refusal's key in REFUSED
    period: str | None = None
    found_firm_id: str | None = None   # the firm the file names (when it could be read)
    late: bool = False
    submission_id: str | None = None
    role: str | None = None
    errors: list[dict] = field(default_factory=list)
    warnings: list[dict] = field(default_factory=list)

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False)


def folder(warehouse: Path) -> Path:
    return Path(warehouse) / FOLDER


def append(warehouse: Path, receipt: Receipt) -> None:
    atomic.append_line(folder(warehouse) / LOG, (receipt.to_json() + "\n").encode("utf-8"), 0o600)


def receipts(warehouse: Path) -> list[Receipt]:
    """Every upload, oldest first. A line cut by a crash mid-write is skipped: the receipt kept beside the file
    still says what happened."""
    try:
        lines = (folder(warehouse) / LOG).read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        return []
    found = []
    for line in lines:
        try:
            found.append(Receipt(**json.loads(line)))
        except (ValueError, TypeError):
            continue
    return found
