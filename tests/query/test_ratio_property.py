"""Property: every rate the query layer returns — `table`, `changes`, `movers`, `peers`, `peer_groups`,
`anomalies` — is the numerator ÷ the denominator of the sums `xiaobao export` gives for the same cells (the count
measures, ratio of sums), in floating point, to 1e-9; a zero or missing denominator gives no value.

Random small warehouses: two to four firms of both types, two or three regions, six quarters; one firm × region
cell is quiet for five quarters and jumps in the sixth, so the anomaly list usually has rows to check. Integer
sums divided as decimals (HUGEINT → Decimal(38, 0)) round to whole numbers and fail here.
"""

from __future__ import annotations

import math
import tempfile
from pathlib import Path

import polars as pl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.contract import SHEETS_BY_ID
from core.quarters import shift
from core.reference import REGISTRY_COLUMNS
from fixtures import warehouse
from query import Filters, Warehouse

PERIODS = ("2023Q1", "2023Q2", "2023Q3", "2023Q4", "2024Q1", "2024Q2")
REGIONS = ("440000", "440300", "000000")
# Each rate as (numerator columns, denominator column, scale): rate = sum(numerators) / (sum(denominator) / scale).
# The rates over reference data (population, county counts) are tested by hand in test_metrics.py.
RATIOS: dict[str, tuple[tuple[str, ...], str, float]] = {
    "complaints_per_100m_premium": (("complaints_total",), "premium_wan", 10_000),
    "complaints_per_10k_policies": (("complaints_total",), "policies", 10_000),
    "complaints_per_10k_insured": (("complaints_total",), "insured_persons", 10_000),
    "regulator_referred_share": (("complaints_regulator",), "complaints_total", 1),
    "on_time_resolution_rate": (("resolved_on_time",), "resolved", 1),
    "proxy_surrender_share": (("proxy_surrender_suspected",), "complaints_total", 1),
    "mediation_participation_rate": (("mediation_voluntary",), "mediation_accepted", 1),
    "mediation_success_rate": (("mediation_succeeded",), "mediation_concluded", 1),
    "mediation_fulfilment_rate": (("mediation_fulfilled",), "mediation_succeeded", 1),
    "mediation_court_linked_share": (("mediation_court_linked",), "mediation_accepted", 1),
    "key_group_share": (("reach_elderly", "reach_youth", "reach_new_citizens", "reach_disabled"), "reach_offline", 1),
    "age_friendly_outlet_share": (("outlets_age_friendly",), "outlets", 1),  # both stocks: the latest quarter
}
RATES = tuple(RATIOS)
GRAINS = ([], ["firm"], ["firm", "period"], ["region", "period"], ["firm_type", "period"], ["province"])


def close(got: float | None, want: float | None) -> bool:
    if want is None:
        return got is None
    return got is not None and math.isclose(got, want, rel_tol=1e-9, abs_tol=1e-12)


def ratio(row: dict, metric: str) -> float | None:
    numerators, denominator, scale = RATIOS[metric]
    parts = [row[c] for c in numerators]
    if any(p is None for p in parts) or not row[denominator]:
        return None
    return float(sum(parts)) / (float(row[denominator]) / scale)


@st.composite
def cell(draw, spike: bool = False, last: bool = False) -> dict:
    """One firm × region × quarter of each sheet, every count within its contract bounds."""
    def upto(n: int) -> int:
        return draw(st.integers(0, max(n, 0)))

    total = draw(st.integers(60, 90)) if spike and last else draw(st.integers(0, 3 if spike else 40))
    resolved = upto(total)
    offline = draw(st.integers(0, 200))
    groups = [upto(offline // 4) for _ in range(4)]
    accepted, outlets = draw(st.integers(0, 12)), draw(st.integers(0, 40))
    concluded = upto(accepted)
    succeeded = upto(concluded)
    return {
        "premium_wan": draw(st.sampled_from([0.0, 2500.25, 10000.0, 31250.5])), "policies": upto(20_000),
        "insured_persons": draw(st.none() | st.integers(0, 20_000)), "complaints_total": total,
        "complaints_regulator": upto(total), "resolved": resolved, "resolved_on_time": upto(resolved),
        "proxy_surrender_suspected": upto(total),
        "mediation_accepted": accepted, "mediation_voluntary": upto(accepted), "mediation_concluded": concluded,
        "mediation_succeeded": succeeded, "mediation_fulfilled": upto(succeeded),
        "mediation_court_linked": upto(accepted),
        "reach_offline": offline, "reach_online": upto(100), "reach_elderly": groups[0], "reach_youth": groups[1],
        "reach_new_citizens": groups[2], "reach_disabled": groups[3], "outlets": outlets,
        "outlets_age_friendly": upto(outlets),
    }


@st.composite
def worlds(draw) -> tuple[list[tuple[str, str]], list[dict]]:
    n = draw(st.integers(2, 4))
    types = ["财产险", "人身险"] + [draw(st.sampled_from(["财产险", "人身险"])) for _ in range(n - 2)]
    firms = [(f"F{i}", types[i]) for i in range(n)]
    regions = draw(st.lists(st.sampled_from(REGIONS[1:]), min_size=1, max_size=2, unique=True))
    rows = []
    for f, _ in firms:
        for r in ["440000", *regions] if f == "F0" else regions:
            spike = f == "F0" and r == "440000"  # quiet for five quarters, then a jump
            for p in PERIODS:
                if spike or draw(st.booleans()) or p == PERIODS[-1]:
                    rows.append({"period": p, "firm_id": f, "region_code": r,
                                 **draw(cell(spike=spike, last=p == PERIODS[-1]))})
    return firms, rows


def build(path: Path, firms: list[tuple[str, str]], rows: list[dict]) -> Warehouse:
    frames = {}
    for dataset in ("complaints", "complaints_by_line", "mediation", "outreach"):
        schema = SHEETS_BY_ID[dataset].schema()
        frames[dataset] = pl.DataFrame([{c: r.get(c) for c in schema} for r in rows] if dataset != "complaints_by_line"
                                       else [], schema=schema)
    registry = pl.DataFrame([(f, f"示例{f}保险股份有限公司", f, "", t) for f, t in firms],
                            schema=list(REGISTRY_COLUMNS), orient="row")
    return Warehouse(warehouse.write(path, frames, registry))


def measures(wh: Warehouse, by: list[str], filters: Filters) -> pl.DataFrame:
    """What `xiaobao export <the count measures> --by …` gives: the sums every ratio divides."""
    columns = sorted({c for nums, den, _ in RATIOS.values() for c in (*nums, den)})
    return wh.table(columns, by, filters)


def keys_of(frame: pl.DataFrame) -> list[str]:
    return [c for c in ("firm_id", "firm_type", "region_code", "province_code", "period") if c in frame.columns]


def check_against_sums(got: pl.DataFrame, sums: pl.DataFrame, metrics: tuple[str, ...], where: str) -> None:
    keys = keys_of(got)
    expected = {tuple(r[k] for k in keys): r for r in sums.iter_rows(named=True)}
    for row in got.iter_rows(named=True):
        base = expected[tuple(row[k] for k in keys)]
        for m in metrics:
            assert close(row[m], ratio(base, m)), (where, m, row, base)


def complaint_index(sums: pl.DataFrame) -> dict[tuple[str, str], float | None]:
    """(firm, period) → (firm's share of its type's complaints) ÷ (its share of the type's premium)."""
    out = {}
    groups = sums.group_by("firm_type", "period").agg(pl.col("complaints_total").sum().alias("C"),
                                                      pl.col("premium_wan").sum().alias("P"))
    for r in sums.join(groups, on=["firm_type", "period"]).iter_rows(named=True):
        if not r["C"] or not r["P"] or not r["premium_wan"]:
            out[(r["firm_id"], r["period"])] = None
        else:
            out[(r["firm_id"], r["period"])] = (r["complaints_total"] / r["C"]) / (r["premium_wan"] / r["P"])
    return out


@settings(max_examples=10, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(world=worlds(), grain=st.sampled_from(GRAINS), single=st.booleans())
def test_every_rate_is_the_ratio_of_the_exported_sums(world, grain, single):
    firms, rows = world
    with tempfile.TemporaryDirectory() as tmp:
        wh = build(Path(tmp), firms, rows)
        last = PERIODS[-1]
        window = Filters(period=last) if single else Filters(period_from=PERIODS[1], period_to=last)

        # table, at a random grain and window
        check_against_sums(wh.table(RATES, grain, window), measures(wh, grain, window), RATES, f"table {grain}")

        # firm × quarter: what changes() and the peer groups compare
        per_firm = measures(wh, ["firm", "firm_type", "period"], Filters())
        want = {(r["firm_id"], r["period"]): r for r in per_firm.iter_rows(named=True)}

        def rate(m: str, f: str, p: str | None) -> float | None:
            return ratio(want[(f, p)], m) if (f, p) in want else None

        changes = wh.changes(RATES, ["firm", "period"], Filters(period_from=PERIODS[1], period_to=last))
        for m, frame in changes.items():
            for r in frame.iter_rows(named=True):
                f, p = r["firm_id"], r["period"]
                value, prev_q, prev_y = rate(m, f, p), rate(m, f, shift(p, -1)), rate(m, f, shift(p, -4))
                assert close(r["value"], value) and close(r["prev_quarter"], prev_q), ("change", m, r)
                assert close(r["prev_year"], prev_y), ("change", m, r)
                for change, before in (("qoq_pct", prev_q), ("yoy_pct", prev_y)):
                    relative = None if value is None or not before else (value - before) / abs(before)
                    assert close(r[change], relative), ("change", m, change, r)

        for m in ("complaints_per_100m_premium", "proxy_surrender_share"):  # the overview's movers
            for r in wh.movers(m, Filters(period=last)).iter_rows(named=True):
                value, before = rate(m, r["firm_id"], last), rate(m, r["firm_id"], PERIODS[-2])
                assert close(r["value"], value) and close(r["prev_quarter"], before), ("movers", m, r)
                assert close(r["qoq_pct"], (value - before) / abs(before)), ("movers", m, r)

        index = complaint_index(per_firm)
        for firm_type in ("财产险", "人身险"):
            groups = wh.peer_groups(RATES, firm_type, PERIODS[0], last)
            for r in groups.iter_rows(named=True):
                assert close(r["value"], rate(r["metric"], r["firm_id"], r["period"])), ("peer_groups", r)
                assert close(r["complaint_index"], index.get((r["firm_id"], r["period"]))), ("index", r)
            one = wh.peers("proxy_surrender_share", last, firm_type)
            for r in one.iter_rows(named=True):
                assert close(r["value"], rate("proxy_surrender_share", r["firm_id"], last)), ("peers", r)

        # anomalies: each listed cell's proxy-surrender share and its jump over the expected count
        cells = wh.table(["proxy_surrender_suspected", "complaints_total"], ["firm", "region"], Filters(period=last))
        counts = {(r["firm_id"], r["region_code"]): r for r in cells.iter_rows(named=True)}
        for r in wh.anomalies(Filters(period=last)).iter_rows(named=True):
            c = counts[(r["firm_id"], r["region_code"])]
            assert r["complaints"] == c["complaints_total"]
            share = c["proxy_surrender_suspected"] / c["complaints_total"] if c["complaints_total"] else None
            assert close(r["proxy_surrender_share"], share), ("anomalies", r, c)
            assert close(r["jump_pct"], r["jump"] / r["expected"] if r["expected"] else None), ("anomalies", r)
