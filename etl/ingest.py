"""Files and folders → parse → store → report. Used by `xiaobao ingest`, `xiaobao validate` and the tests."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from etl.parse import parse_file
from etl.read import find_submissions
from etl.reference import load_regions, load_registry
from etl.store import Outcome, apply

STATUS_ZH = {"accepted": "已入库", "rejected": "退回", "held": "暂缓", "superseded": "已被替换", "duplicate": "重复文件"}


@dataclass
class Report:
    outcomes: list[Outcome] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """Exit 0 only when nothing was rejected or held (duplicates and in-batch supersessions are fine)."""
        return not any(o.status in ("rejected", "held") for o in self.outcomes)

    def counts(self) -> dict[str, int]:
        counts = dict.fromkeys(STATUS_ZH, 0)
        for o in self.outcomes:
            counts[o.status] += 1
        return counts

    def entries(self) -> list[dict]:
        return [entry(o) for o in self.outcomes]

    def write(self, path: Path) -> None:
        """The JSON report, written atomically."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.tmp")
        tmp.write_text(json.dumps(self.entries(), ensure_ascii=False, indent=2), encoding="utf-8")
        os.replace(tmp, path)


def _issue(issue) -> dict:
    return {"sheet": issue.sheet, "row": issue.row, "column": issue.column, "value": issue.value,
            "rule": issue.rule, "message": issue.message}


def entry(o: Outcome) -> dict:
    return {"path": o.file, "file_name": o.file_name, "status": o.status, "submission_id": o.submission_id,
            "firm_id": o.firm_id, "period": o.period, "version": o.version, "note": o.note,
            "released": o.released,
            "warnings": [_issue(i) for i in o.issues if i.severity == "warning"],
            "errors": [_issue(i) for i in o.issues if i.severity == "error"]}


def run(paths: list[Path], warehouse: Path, registry_path: Path, *, dry_run: bool = False,
        progress: Callable[[Path], None] | None = None) -> Report:
    """Raises FileNotFoundError / ValueError (Chinese message) for a missing path or a bad registry."""
    missing = [str(p) for p in paths if not Path(p).exists()]
    if missing:
        raise FileNotFoundError(f"路径不存在：{'、'.join(missing)}")
    registry = load_registry(registry_path)
    regions = load_regions()
    parsed = []
    for unit in find_submissions([Path(p) for p in paths]):
        parsed.append(parse_file(unit, registry, regions))
        if progress:
            progress(unit)
    return Report(apply(Path(warehouse), parsed, registry, regions, dry_run=dry_run))
