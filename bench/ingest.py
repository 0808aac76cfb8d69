"""Ingest benchmark: one quarter of 250 firms' workbooks, generated then ingested into a fresh temporary warehouse.

Prints JSON: files, fact rows, seconds (the ingest: parse + store; generation apart), files/s, rows/s, peak RSS in
MiB (the larger of this process and any child it waited for), and the floor it is measured against: a bare read of
the same files (`bare_read_s`: every sheet of every workbook loaded into polars by fastexcel, every CSV of a bundle
by polars' CSV reader, nothing more). Both are timed the same way, best of three (the ingest each time into a new
warehouse, so each run does the whole work): `ratio` = seconds / bare_read_s. `first_s` and `ratio_first` are the
first ingest of the process, which also pays for warming caches (header spellings, OpenCC, polars' first queries).
Targets on this 2-core machine: the ingest within 4x the bare read, peak RSS under 1 GiB.
Run with `make bench` (not part of `make test`); `python bench/ingest.py --firms 50` for a quicker look.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import platform
import resource
import tempfile
import time
import zipfile
from pathlib import Path

import fastexcel
import polars as pl

from core import layout
from etl.ingest import run
from etl.read import find_submissions
from fixtures.demo import generate

TARGET_RATIO = 4.0
TARGET_RSS_MIB = 1024
RUNS = 3  # best of: the bare read and the ingest alike


def peak_rss_mib() -> tuple[float, float]:
    """(this process, the largest child it waited for, e.g. a worker of the parse pool); ru_maxrss is in KiB."""
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return own / 1024, children / 1024


def _bare_csv(data: bytes) -> pl.DataFrame:
    """Every line of one CSV as text columns; a bundle is UTF-8 or GBK (polars cannot guess which)."""
    options = {"has_header": False, "infer_schema": False, "truncate_ragged_lines": True}
    try:
        return pl.read_csv(data, **options)
    except pl.exceptions.ComputeError:
        return pl.read_csv(data, encoding="gbk", **options)


def bare_read(units: list[Path]) -> int:
    """The floor: the same files loaded into polars and nothing else (no cleaning, no checks). Returns the cells."""
    cells = 0
    for unit in units:
        frames: list[pl.DataFrame] = []
        if unit.is_dir():
            frames = [_bare_csv(p.read_bytes()) for p in sorted(unit.iterdir()) if p.suffix.lower() == ".csv"]
        elif unit.suffix.lower() == ".zip":
            with zipfile.ZipFile(io.BytesIO(unit.read_bytes())) as zf:
                frames = [_bare_csv(zf.read(i)) for i in zf.infolist() if i.filename.lower().endswith(".csv")]
        else:
            reader = fastexcel.read_excel(unit.read_bytes())
            frames = [reader.load_sheet(name, header_row=None, dtypes="string").to_polars()
                      for name in reader.sheet_names]
        cells += sum(f.height * f.width for f in frames)
    return cells


def time_bare_read(units: list[Path]) -> float:
    best = float("inf")
    for _ in range(RUNS):
        started = time.perf_counter()
        bare_read(units)
        best = min(best, time.perf_counter() - started)
    return best


def main(firms: int = 250, period: str = "2025Q3", seed: int = 20251123) -> dict:
    with tempfile.TemporaryDirectory(prefix="xiaobao-bench-") as tmp:
        root = Path(tmp)
        t0 = time.perf_counter()
        demo = generate(root / "demo", firms=firms, period_from=period, period_to=period, seed=seed)
        t1 = time.perf_counter()
        bare = time_bare_read(find_submissions([root / "demo" / "submissions"]))
        times = []
        for k in range(RUNS):
            started = time.perf_counter()
            report = run([root / "demo" / "submissions"], root / f"wh{k}", demo.registry_path)
            times.append(time.perf_counter() - started)
        snapshot = layout.current_snapshot(root / "wh0")
        rows = sum(pl.scan_parquet(layout.dataset_files(snapshot, d)).select(pl.len()).collect().item()
                   for d in layout.FACT_DATASETS)
    seconds = min(times)
    files = len(report.files)
    own, child = peak_rss_mib()
    peak = max(own, child)
    ratio = seconds / bare
    return {
        "benchmark": "ingest", "machine": f"{platform.machine()}, {os.cpu_count()} cores",
        "firms": firms, "period": period, "files": files, "fact_rows": rows, "statuses": report.counts(),
        "seconds": round(seconds, 2), "parse_s": report.seconds["parse"], "store_s": report.seconds["store"],
        "bare_read_s": round(bare, 3), "ratio": round(ratio, 2),
        "first_s": round(times[0], 2), "ratio_first": round(times[0] / bare, 2), "runs_s": [round(t, 2) for t in times],
        "generate_s": round(t1 - t0, 2), "files_per_s": round(files / seconds, 1),
        "rows_per_s": round(rows / seconds), "peak_rss_mib": round(peak),
        "peak_rss_own_mib": round(own), "peak_rss_child_mib": round(child),
        "target": f"ingest < {TARGET_RATIO:g}x bare read, peak RSS < {TARGET_RSS_MIB} MiB",
        "met": ratio < TARGET_RATIO and own + child < TARGET_RSS_MIB,
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--firms", type=int, default=250)
    parser.add_argument("--period", default="2025Q3")
    args = parser.parse_args()
    print(json.dumps(main(args.firms, args.period), ensure_ascii=False, indent=2))
