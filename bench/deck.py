"""Meeting-deck benchmark at the scale of 10 years × 250 firms × 36 regions (synthetic warehouse).

Builds the deck of the last quarter RUNS times as PPTX and as PDF (LibreOffice), each run timed end to end as
`xiaobao deck` does it: a kaleido server of its own (Chromium start included), every slide's queries, the map
picture, the PPTX, and for the PDF the conversion with a fresh LibreOffice profile. Also the demo warehouse
(data/parquet, if `make demo` built it). Target (issue 12): under 30 s each on 2 cores. Prints JSON.
Run as `python -P bench/deck.py` (what `make bench` does): without -P, bench/ comes first on sys.path and this
file would shadow the deck package.
"""

from __future__ import annotations

import json
import statistics
import tempfile
import time
from pathlib import Path

from deck import Spec, document
from fixtures import synthetic
from query import Warehouse

RUNS = 3
DEMO = Path("data/parquet")


def _deck(wh: Warehouse, fmt: str) -> dict:
    spec = Spec(period=wh.periods()[-1])
    times, size = [], 0
    for _ in range(RUNS):
        t = time.perf_counter()
        size = len(document(wh, spec, fmt))
        times.append(time.perf_counter() - t)
    return {"median_s": round(statistics.median(times), 1), "max_s": round(max(times), 1), "bytes": size}


def main() -> dict:
    out: dict = {}
    with tempfile.TemporaryDirectory() as tmp:
        path = synthetic.build(Path(tmp) / "wh", years=10, firms=250, seed=1)
        t = time.perf_counter()
        wh = Warehouse(path)
        out["scale"] = {"periods": len(wh.periods()), "firms": wh.firms().height,
                        "open_s": round(time.perf_counter() - t, 1)}
        out["scale"] |= {fmt: _deck(wh, fmt) for fmt in ("pptx", "pdf")}
    if (DEMO / "current").exists():
        demo = Warehouse(DEMO)
        out["demo"] = {"firms": demo.firms().height} | {fmt: _deck(demo, fmt) for fmt in ("pptx", "pdf")}
    return out


if __name__ == "__main__":
    print(json.dumps(main(), ensure_ascii=False, indent=2))
