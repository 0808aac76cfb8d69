"""The cost of growth: bench/queries.py and bench/pages.py at 1×, 4× and 10× the data (bench/scales.py).

Each size's synthetic warehouse is built once (seed 1, timed) and both benchmarks run on it: every query's p95,
every page's p95 (normal view, both roles, CHANGES quarter changes, no cold start) and the app process's peak RSS.
Prints JSON, then a table, and writes bench/out/growth.json. Targets at 10× on 2 cores: every query p95 under
100 ms, the app process under 2 GiB. Run with `make bench`.

    python bench/growth.py                   # 1×, 4×, 10× (the 10× build alone takes minutes)
    python bench/growth.py --scales 1,4
    python bench/growth.py --keep /tmp/wh    # builds kept in /tmp/wh/<factor>x and reused by the next run
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path

import pages
import queries
from scales import SCALES

from fixtures import synthetic

OUT = Path(__file__).resolve().parent / "out"
TARGETS = {"factor": 10, "query_p95_ms": 100, "app_peak_rss_mib": 2048}
CHANGES = 6   # quarter changes per page and role: enough for a p95's trend across sizes, in minutes not hours


def _warehouse(scale: int, folder: Path) -> tuple[Path, float | None]:
    """The size's warehouse in `folder` and its build time in s (None: an earlier run's build, reused)."""
    path = folder / f"{scale}x"
    if (path / "current").exists():
        return path, None
    years, firms = SCALES[scale]
    t = time.perf_counter()
    synthetic.build(path, years=years, firms=firms, seed=1)
    return path, round(time.perf_counter() - t, 1)


def size(scale: int, folder: Path) -> dict:
    """Both benchmarks at one size, and the figures the table shows."""
    years, firms = SCALES[scale]
    warehouse, build_s = _warehouse(scale, folder)
    q = queries.main(scale, warehouse=warehouse)
    p = pages.main(scale, views=("normal",), changes=CHANGES, cold=False, warehouse=warehouse)
    worst_query = max(q["queries"].items(), key=lambda kv: kv[1]["p95_ms"])
    return {"factor": scale, "years": years, "firms": firms, "firm_quarters": years * 4 * firms,
            "complaint_rows": q["complaint_rows"], "build_s": build_s,
            "query_p95_ms_max": worst_query[1]["p95_ms"], "slowest_query": worst_query[0],
            "page_p95_ms_max": p["verdict"]["page_p95_ms_max"], "slowest_page": p["verdict"]["slowest"],
            "app_peak_rss_mib": p["verdict"]["app_peak_rss_mib"],
            "load_average": [round(x, 2) for x in os.getloadavg()], "queries": q, "pages": p}


def verdict(sizes: list[dict]) -> dict:
    """The targets, at the size they are set for (None when that size was not run)."""
    at = next((s for s in sizes if s["factor"] == TARGETS["factor"]), None)
    if at is None:
        return {"targets": TARGETS, "met": None}
    query_ok = at["query_p95_ms_max"] < TARGETS["query_p95_ms"]
    rss_ok = at["app_peak_rss_mib"] is not None and at["app_peak_rss_mib"] < TARGETS["app_peak_rss_mib"]
    return {"targets": TARGETS, "query_p95_met": query_ok, "app_peak_rss_met": rss_ok, "met": query_ok and rss_ok}


def table(result: dict) -> str:
    """One row per size, as a person reads it."""
    rows = [("size", "firm-quarters", "build s", "query p95 ms (worst)", "page p95 ms (worst)", "app peak RSS MiB")]
    for s in result["sizes"]:
        build = "reused" if s["build_s"] is None else f"{s['build_s']:.0f}"
        rows.append((f"{s['factor']}×", str(s["firm_quarters"]), build,
                     f"{s['query_p95_ms_max']:.1f} ({s['slowest_query']})",
                     f"{s['page_p95_ms_max']:.0f} ({s['slowest_page']})", f"{s['app_peak_rss_mib']:.0f}"))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) for r in rows]
    v = result["verdict"]
    if v["met"] is not None:
        lines.append(f"targets at {TARGETS['factor']}×: every query p95 < {TARGETS['query_p95_ms']} ms: "
                     f"{'met' if v['query_p95_met'] else 'NOT met'}; app peak RSS < {TARGETS['app_peak_rss_mib']} MiB: "
                     f"{'met' if v['app_peak_rss_met'] else 'NOT met'}")
    return "\n".join(lines)


def main(scales: list[int], keep: Path | None = None) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        folder = keep or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        sizes = [size(scale, folder) for scale in scales]
    return {"benchmark": "growth", "cpus": os.cpu_count(), "sizes": sizes, "verdict": verdict(sizes)}


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scales", default=",".join(map(str, sorted(SCALES))), help="factors, e.g. 1,4,10")
    parser.add_argument("--keep", type=Path, help="build each size's warehouse here, or reuse the one there")
    args = parser.parse_args()
    chosen = [int(s) for s in args.scales.split(",")]
    for s in chosen:
        if s not in SCALES:
            parser.error(f"unknown scale {s}: one of {sorted(SCALES)}")
    report = main(chosen, args.keep)
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "growth.json").write_text(json.dumps(report, ensure_ascii=False, indent=2))
    print(json.dumps(report, ensure_ascii=False, indent=2))
    print(table(report))
