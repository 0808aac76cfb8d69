"""Ingest benchmark: one quarter of 250 firms' workbooks, generated then ingested into a fresh warehouse.

Prints JSON: files, rows, seconds (generation and ingest apart), files/s, rows/s and peak RSS (this process,
which does all the work). Target on 2 cores: the 250 workbooks in under 15 s with peak RSS under 1 GiB.
Run with `make bench` (not part of `make test`).
"""

from __future__ import annotations

import json
import platform
import resource
import tempfile
import time
from pathlib import Path

import polars as pl

from etl.demo import generate
from etl.ingest import run
from xiaobao import layout


def main(firms: int = 250, period: str = "2025Q3") -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        t0 = time.perf_counter()
        demo = generate(tmp / "demo", firms=firms, period_from=period, period_to=period)
        t1 = time.perf_counter()
        report = run([tmp / "demo" / "submissions"], tmp / "wh", demo.registry_path)
        t2 = time.perf_counter()
        snapshot = layout.current_snapshot(tmp / "wh")
        rows = sum(pl.scan_parquet(f"{snapshot}/{d}/**/*.parquet").select(pl.len()).collect().item()
                   for d in layout.FACT_DATASETS)
        files = len(report.outcomes)
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {
        "benchmark": "ingest", "machine": f"{platform.machine()} {__import__('os').cpu_count()} cores",
        "files": files, "fact_rows": rows, "counts": report.counts(),
        "generate_s": round(t1 - t0, 2), "ingest_s": round(t2 - t1, 2),
        "files_per_s": round(files / (t2 - t1), 1), "rows_per_s": round(rows / (t2 - t1)),
        "peak_rss_mib": round(peak_mib), "target": "250 workbooks < 15 s, peak RSS < 1024 MiB",
    }


if __name__ == "__main__":
    print(json.dumps(main(), ensure_ascii=False, indent=2))
