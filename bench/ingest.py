"""Ingest benchmark: one quarter of 250 firms' workbooks, generated then ingested into a fresh temporary warehouse.

Prints JSON: files, fact rows, seconds (the ingest: parse + store; generation apart), files/s, rows/s and peak
RSS in MiB (the larger of this process and any child it waited for; the ingest runs in this process).
Target on this 2-core machine: the 250 workbooks in under 15 s with peak RSS under 1 GiB.
Run with `make bench` (not part of `make test`); `python bench/ingest.py --firms 50` for a quicker look.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import tempfile
import time
from pathlib import Path

import polars as pl

from core import layout
from etl.ingest import run
from fixtures.demo import generate

TARGET_SECONDS = 15.0
TARGET_RSS_MIB = 1024


def peak_rss_mib() -> float:
    """ru_maxrss is in KiB on Linux; children count too, in case a reader ever forks."""
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return max(own, children) / 1024


def main(firms: int = 250, period: str = "2025Q3", seed: int = 20251123) -> dict:
    with tempfile.TemporaryDirectory(prefix="xiaobao-bench-") as tmp:
        root = Path(tmp)
        t0 = time.perf_counter()
        demo = generate(root / "demo", firms=firms, period_from=period, period_to=period, seed=seed)
        t1 = time.perf_counter()
        report = run([root / "demo" / "submissions"], root / "wh", demo.registry_path)
        t2 = time.perf_counter()
        snapshot = layout.current_snapshot(root / "wh")
        rows = sum(pl.scan_parquet(layout.dataset_files(snapshot, d)).select(pl.len()).collect().item()
                   for d in layout.FACT_DATASETS)
    seconds = t2 - t1
    files = len(report.files)
    peak = peak_rss_mib()
    return {
        "benchmark": "ingest", "machine": f"{platform.machine()}, {os.cpu_count()} cores",
        "firms": firms, "period": period, "files": files, "fact_rows": rows, "statuses": report.counts(),
        "seconds": round(seconds, 2), "parse_s": report.seconds["parse"], "store_s": report.seconds["store"],
        "generate_s": round(t1 - t0, 2), "files_per_s": round(files / seconds, 1),
        "rows_per_s": round(rows / seconds), "peak_rss_mib": round(peak),
        "target": f"{firms} workbooks < {TARGET_SECONDS:g} s, peak RSS < {TARGET_RSS_MIB} MiB",
        "met": seconds < TARGET_SECONDS and peak < TARGET_RSS_MIB,
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--firms", type=int, default=250)
    parser.add_argument("--period", default="2025Q3")
    args = parser.parse_args()
    print(json.dumps(main(args.firms, args.period), ensure_ascii=False, indent=2))
