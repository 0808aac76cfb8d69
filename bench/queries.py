"""Query benchmark at the scale of 10 years × 250 firms × 36 regions (synthetic warehouse), or 4× / 10× that.

Times every query the dashboard pages use, p50 / p95 in ms over RUNS runs, and for the table queries the same
SQL run bare on the same DuckDB connection, so the layer's own overhead shows as a ratio. Prints JSON.
Targets on 2 cores: every p95 under 50 ms; the layer under 20 % over bare DuckDB. Run with `make bench`.

    python bench/queries.py               # 1× (make bench)
    python bench/queries.py --scale 10    # 25 years × 1000 firms (bench/scales.py); bench/growth.py runs each
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import time
from pathlib import Path

from scales import SCALES

from fixtures import synthetic
from query import Filters, Warehouse
from query.warehouse import DIMS

RUNS = 30


def _times(fn, runs: int = RUNS) -> list[float]:
    fn()  # warm
    out = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        out.append((time.perf_counter() - t) * 1000)
    return out


def _summary(ms: list[float]) -> dict:
    ms = sorted(ms)
    return {"p50_ms": round(statistics.median(ms), 1), "p95_ms": round(ms[int(0.95 * (len(ms) - 1))], 1)}


def main(scale: int = 1, warehouse: Path | None = None) -> dict:
    """The benchmark at `scale` (SCALES); on `warehouse` if given (a synthetic build of that scale), else on a new
    build, whose time is reported as build_s."""
    years, firms = SCALES[scale]
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        path = warehouse or synthetic.build(Path(tmp) / "wh", years=years, firms=firms, seed=1)
        built = time.perf_counter() - t0
        t0 = time.perf_counter()
        wh = Warehouse(path)
        opened = time.perf_counter() - t0
        periods = wh.periods()
        last = periods[-1]
        q = Filters(period=last)
        trend = Filters(period_from=periods[-12], period_to=last)
        rates = ["complaints_per_100m_premium", "complaints_per_10k_policies", "complaints_per_10k_insured"]
        tables = {
            "overview_trend": (["complaints_per_100m_premium"], ["period"], trend),
            "complaints_by_firm": (rates, ["firm"], q),
            "complaints_by_region": (rates, ["region"], q),
            "causes": (["cause_sales", "cause_claims", "cause_surrender", "cause_policy_service", "cause_other"],
                       [], q),
            "product_lines": (["complaints"], ["product_line"], q),
            "mediation_by_firm": (["mediation_participation_rate", "mediation_success_rate",
                                   "mediation_fulfilment_rate"], ["firm"], q),
            "outreach_by_region": (["reach_per_10k_residents", "key_group_share", "county_coverage_median",
                                    "county_coverage_max", "age_friendly_outlet_share"], ["region"], q),
            "map_by_province": (["complaints_per_100m_premium"], ["province"], q),
            "explorer_firm_region_year": (["complaints_total", "complaints_per_100m_premium"], ["firm", "region"],
                                          Filters(period_from=periods[-4], period_to=last)),
        }
        results = {}
        for name, (metrics, by, filters) in tables.items():
            layer = _times(lambda m=metrics, b=by, f=filters: wh.table(m, b, f))
            catalog = [wh.metric(m) for m in metrics]
            dims = [c for d in by for c in DIMS[d]]
            statements = [wh.sql(ds, [m for m in catalog if m.dataset == ds], dims, filters)
                          for ds in dict.fromkeys(m.dataset for m in catalog)]
            bare = _times(lambda s=statements: [wh._con.cursor().sql(sql, params=p).pl() for sql, p in s])
            results[name] = {**_summary(layer), "bare_p50_ms": _summary(bare)["p50_ms"],
                             "layer_over_bare": round(statistics.median(layer) / statistics.median(bare), 2)}
        rates = [m.id for m in wh.metrics if m.kind in ("rate", "index")]
        others = {
            "overview_headline_change": lambda: wh.change("complaints_per_100m_premium", [], q),
            "biggest_movers_change_by_firm": lambda: wh.change("complaints_total", ["firm"], q),
            "peers": lambda: wh.peers("complaints_per_100m_premium", last, "财产险"),
            "peer_groups_rank_over_time": lambda: wh.peer_groups(["complaints_per_100m_premium"], "财产险",
                                                                 periods[-8], last),
            # the outreach page's four headline tiles with their 环比 / 同比 (one dataset: one query)
            "headline_changes": lambda: wh.changes(["outreach_reach", "reach_per_10k_residents", "key_group_share",
                                                    "age_friendly_outlet_share"], [], q),
            "anomalies": lambda: wh.anomalies(Filters(period=last)),
            "submissions": lambda: wh.submissions(Filters(period=last)),
        }
        for name, fn in others.items():
            results[name] = _summary(_times(fn))
        # Several queries in one call, reported apart from the per-query target: the peer page's every rate of a
        # quarter (a query per dataset, plus the complaint index's beside each dataset other than complaints).
        composite = {"peer_groups_every_rate": {**_summary(_times(lambda: wh.peer_groups(rates, "财产险", last, last))),
                                                "metrics": len(rates)}}
        rows = wh._query("SELECT count(*) AS n FROM complaints")["n"][0]
        lines = wh._query("SELECT count(*) AS n FROM complaints_by_line")["n"][0]
    worst = max(r["p95_ms"] for r in results.values())
    out = {"benchmark": "queries", "scale": f"{years} years × {firms} firms × 36 regions",
           "complaint_rows": int(rows), "by_line_rows": int(lines), "build_s": round(built, 1),
           "open_s": round(opened, 2), "runs": RUNS, "worst_p95_ms": worst,
           "target": "p95 < 50 ms each; layer < 1.2 × bare DuckDB", "queries": results,
           "several_queries_per_call": composite}
    if scale != 1:  # the growth figures; 1×'s output stays as it was
        out |= {"factor": scale, "target": "p95 < 100 ms each", "load_average": [round(x, 2) for x in os.getloadavg()]}
        if warehouse is not None:
            del out["build_s"]
    return out


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=int, choices=sorted(SCALES), default=1)
    print(json.dumps(main(parser.parse_args().scale), ensure_ascii=False, indent=2))
