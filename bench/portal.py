"""Upload portal benchmark (issue 11 item 6): the server's side of one upload, and uploads arriving together.

A warehouse of 30 demo firms over 2024Q1–2025Q3 is built first (generation and that ingest are not timed); 2025Q4 is
opened for collection and each firm's 2025Q4 workbook is uploaded through `etl.intake.receive`, as the 数据报送 page
does: door checks, the validation of `xiaobao validate`, then the ingest. Prints JSON:
- `one_upload_s`: seconds from the bytes received to the result, for one normal workbook at a time (median and max
  of 10 firms' files, one after another); target under 2 s;
- `together_s`: 10 further firms' files uploaded by 10 threads at once, until the last has its result (they queue
  on the ingest lock); target every one landed within 30 s, `landed` = how many were accepted or otherwise decided.
Run with `make bench` or `python bench/portal.py`.
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import tempfile
import threading
import time
from datetime import date
from pathlib import Path

from core import collection
from etl.ingest import run
from etl.intake import receive
from fixtures.demo import generate

FIRMS = 30
TARGET_ONE_S = 2.0
TARGET_TOGETHER_S = 30.0


def main() -> dict:
    with tempfile.TemporaryDirectory(prefix="xiaobao-bench-portal-") as tmp:
        root = Path(tmp)
        history = generate(root / "history", firms=FIRMS, period_from="2024Q1", period_to="2025Q3")
        warehouse = root / "wh"
        run([root / "history" / "submissions"], warehouse, history.registry_path)
        generate(root / "next", firms=FIRMS, period_from="2025Q4", period_to="2025Q4")
        collection.open_period(warehouse, "2025Q4", date(2026, 1, 20))
        files = sorted((root / "next" / "submissions").rglob("*.xlsx"))
        one, statuses = [], []
        for path in files[:10]:
            started = time.perf_counter()
            got = receive(path.name, path.read_bytes(), warehouse=warehouse, registry_path=history.registry_path,
                          who="bench", firm_id=None)
            one.append(time.perf_counter() - started)
            statuses.append(got.status)
        results: list[str] = []

        def upload(path: Path) -> None:
            got = receive(path.name, path.read_bytes(), warehouse=warehouse, registry_path=history.registry_path,
                          who="bench", firm_id=None)
            results.append(got.status)

        threads = [threading.Thread(target=upload, args=(p,)) for p in files[10:20]]
        started = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        together = time.perf_counter() - started
    return {
        "benchmark": "portal", "machine": f"{platform.machine()}, {os.cpu_count()} cores", "firms": FIRMS,
        "one_upload_s": {"median": round(statistics.median(one), 2), "max": round(max(one), 2)},
        "one_upload_statuses": statuses,
        "together_s": round(together, 2), "together_uploads": len(threads), "landed": len(results),
        "together_statuses": sorted(results),
        "target": f"one upload < {TARGET_ONE_S:g} s, {len(threads)} together < {TARGET_TOGETHER_S:g} s",
        "met": max(one) < TARGET_ONE_S and together < TARGET_TOGETHER_S and len(results) == len(threads),
    }


if __name__ == "__main__":
    print(json.dumps(main(), ensure_ascii=False, indent=2))
