"""A synthetic warehouse written directly in the snapshot layout, for tests and benchmarks of the query layer and
the dashboard at any scale (10 years × 250 firms × 36 regions in seconds). Every contract rule holds in it;
a few firms get a 代理退保 surge so the anomaly list has something to find; the submissions table holds a
rejected and a held file with their original bytes.

    from xiaobao import synthetic
    synthetic.build(Path("/tmp/wh"), years=10, firms=250)
"""

from __future__ import annotations

import json
import os
from datetime import UTC, date, datetime
from pathlib import Path

import numpy as np
import polars as pl

from etl.contract import PRODUCT_LINES
from etl.reference import load_regions
from etl.store import SUBMISSION_SCHEMA
from xiaobao import layout


def _periods(years: int, end: str) -> list[str]:
    last = int(end[:4]) * 4 + int(end[-1]) - 1
    return [f"{i // 4}Q{i % 4 + 1}" for i in range(last - years * 4 + 1, last + 1)]


def _write(frame: pl.DataFrame, snapshot: Path, dataset: str) -> None:
    for (period,), part in frame.partition_by("period", as_dict=True).items():
        folder = snapshot / dataset / f"year={period[:4]}" / f"quarter={period[-1]}"
        folder.mkdir(parents=True, exist_ok=True)
        part.write_parquet(folder / "part-0.parquet")


def build(path: Path, *, years: int = 2, firms: int = 12, seed: int = 0, end: str = "2025Q3") -> Path:
    rng = np.random.default_rng(seed)
    path = Path(path)
    snapshot = path / layout.SNAPSHOTS / "000001"
    snapshot.mkdir(parents=True, exist_ok=True)
    regions = load_regions()
    reporting = regions.filter(pl.col("kind") != "national")
    codes = reporting["code"].to_list()
    counties = dict(zip(regions["code"], regions["counties"], strict=True))
    periods = _periods(years, end)

    # Firms: alternating types, sizes spanning two orders of magnitude, larger firms in more regions.
    ids = [f"S{i + 1:03d}" for i in range(firms)]
    types = ["财产险" if i % 2 == 0 else "人身险" for i in range(firms)]
    scale = 10 ** rng.uniform(0, 2, firms)
    registry = pl.DataFrame({"firm_id": ids, "name": [f"合成{i + 1}号{'财产' if t == '财产险' else '人寿'}保险股份有限公司"
                                                      for i, t in enumerate(types)],
                             "short_name": [f"合成{i + 1}号{'财险' if t == '财产险' else '人寿'}" for i, t in
                                            enumerate(types)],
                             "aliases": [""] * firms, "firm_type": types})
    cells = []  # (firm index, region code)
    for i in range(firms):
        n = int(np.clip(3 + 33 * np.log10(scale[i]) / 2, 3, len(codes)))
        chosen = rng.choice(codes, size=n, replace=False)
        cells += [(i, c) for c in chosen] + ([(i, "000000")] if scale[i] > 30 else [])
    firm_idx = np.array([c[0] for c in cells])
    region = np.array([c[1] for c in cells])
    n_cells, n_periods = len(cells), len(periods)
    f_i = np.repeat(firm_idx, n_periods)
    reg = np.repeat(region, n_periods)
    per = np.tile(np.array(periods), n_cells)
    t = np.tile(np.arange(n_periods), n_cells)
    q = np.array([int(p[-1]) for p in per])
    size = len(f_i)
    life = np.array([types[i] == "人身险" for i in f_i])
    season = np.where(life, np.choose(q - 1, [1.6, 0.95, 0.75, 0.7]), 1.0)
    weight = rng.uniform(0.3, 1.5, n_cells).repeat(n_periods)
    premium = np.round(scale[f_i] * weight * season * (1 + 0.02 * t) * rng.uniform(0.9, 1.1, size) * 2000, 2)
    complaints = rng.poisson(premium / 10000 * 9)
    # 代理退保 surges: a few life firms, two regions, one quarter each.
    proxy_rate = np.where(life, 0.04, 0.01)
    surge = np.zeros(size, dtype=bool)
    for i in [k for k in range(firms) if types[k] == "人身险"][:: max(1, firms // 6)]:
        mine = np.flatnonzero((firm_idx == i) & (region != "000000"))[:2]
        for cell in mine:
            surge[cell * n_periods + n_periods - 2] = True
    extra = np.where(surge, 40 + complaints * 3, 0)
    total = complaints + extra
    regulator = rng.binomial(total, 0.3)
    causes = _multinomial(rng, total, [0.3, 0.3, 0.2, 0.15, 0.05])
    resolved = rng.binomial(total, 0.9)
    proxy = rng.binomial(complaints, proxy_rate) + np.floor(extra * 0.7).astype(int)
    base = {"period": per, "firm_id": np.array(ids)[f_i], "region_code": reg}
    complaints_frame = pl.DataFrame({
        **base, "premium_wan": premium, "policies": (premium * 20).astype(np.int64),
        "insured_persons": (premium * 30).astype(np.int64), "complaints_total": total,
        "complaints_regulator": regulator, "complaints_direct": total - regulator,
        "cause_sales": causes[:, 0], "cause_claims": causes[:, 1], "cause_surrender": causes[:, 2],
        "cause_policy_service": causes[:, 3], "cause_other": causes[:, 4], "resolved": resolved,
        "resolved_on_time": rng.binomial(resolved, 0.92), "proxy_surrender_suspected": np.minimum(proxy, total),
    }).with_columns(pl.col(pl.Int32, pl.Int64, pl.UInt32, pl.UInt64).cast(pl.Int64))
    # Complaints by product line: the total split over the firm type's lines.
    line_frames = []
    for firm_type in ("财产险", "人身险"):
        lines = PRODUCT_LINES[firm_type]
        mask = np.array([types[i] == firm_type for i in f_i])
        if not mask.any():
            continue
        split = _multinomial(rng, total[mask], np.full(len(lines), 1 / len(lines)))
        k = len(lines)
        line_frames.append(pl.DataFrame({
            "period": np.repeat(per[mask], k), "firm_id": np.repeat(np.array(ids)[f_i[mask]], k),
            "region_code": np.repeat(reg[mask], k), "product_line": np.tile(np.array(lines), mask.sum()),
            "complaints": split.reshape(-1).astype(np.int64)}))
    by_line = pl.concat(line_frames)
    regional = reg != "000000"
    accepted = rng.poisson(total * 0.2 + 1)
    concluded = rng.binomial(accepted, 0.9)
    succeeded = rng.binomial(concluded, 0.7)
    mediation = pl.DataFrame({
        **base, "mediation_accepted": accepted, "mediation_voluntary": rng.binomial(accepted, 0.8),
        "mediation_concluded": concluded, "mediation_succeeded": succeeded,
        "mediation_fulfilled": rng.binomial(succeeded, 0.9),
        "mediation_amount_wan": np.round(accepted * rng.uniform(1, 8, size), 2),
        "mediation_court_linked": rng.binomial(accepted, 0.2)}).filter(pl.Series(regional)) \
        .with_columns(pl.col(pl.Int32, pl.Int64, pl.UInt32, pl.UInt64).cast(pl.Int64))
    events = rng.poisson(scale[f_i] * weight * 2 + 1)
    offline = events * rng.poisson(80, size)
    five = _multinomial(rng, events, [0.25, 0.3, 0.2, 0.15, 0.1])
    county_total = np.array([counties.get(c) or 1 for c in reg])
    covered = np.minimum(county_total, np.ceil(county_total * np.clip(scale[f_i] / 100 + 0.02 * t, 0, 1))).astype(int)
    outlets = (scale[f_i] * weight * 3 + 1 + t).astype(np.int64)
    outreach = pl.DataFrame({
        **base, "events": events, "reach_offline": offline, "reach_online": offline * 3,
        "reach_elderly": rng.binomial(offline, 0.25), "reach_youth": rng.binomial(offline, 0.2),
        "reach_new_citizens": rng.binomial(offline, 0.15), "reach_disabled": rng.binomial(offline, 0.02),
        "events_rural": five[:, 0], "events_community": five[:, 1], "events_campus": five[:, 2],
        "events_enterprise": five[:, 3], "events_commercial": five[:, 4], "counties_covered": covered,
        "outlets": outlets, "outlets_age_friendly": rng.binomial(outlets, 0.4)}).filter(pl.Series(regional)) \
        .with_columns(pl.col(pl.Int32, pl.Int64, pl.UInt32, pl.UInt64).cast(pl.Int64))
    for name, frame in (("complaints", complaints_frame), ("complaints_by_line", by_line), ("mediation", mediation),
                        ("outreach", outreach)):
        _write(frame, snapshot, name)
    registry.write_parquet(snapshot / "firms.parquet")
    regions.write_parquet(snapshot / "regions.parquet")
    _submissions(path, snapshot, ids, periods)
    link = path / layout.CURRENT
    if link.is_symlink() or link.exists():
        link.unlink()
    os.symlink(Path(layout.SNAPSHOTS) / "000001", link)
    return path


def _multinomial(rng: np.random.Generator, counts: np.ndarray, probs) -> np.ndarray:
    """Row-wise multinomial split of `counts` by sequential binomials (vectorised)."""
    probs = np.asarray(probs, dtype=float)
    out = np.zeros((len(counts), len(probs)), dtype=np.int64)
    left = np.asarray(counts, dtype=np.int64).copy()
    remaining = 1.0
    for k, p in enumerate(probs[:-1]):
        draw = rng.binomial(left, min(1.0, p / remaining)) if remaining > 0 else np.zeros_like(left)
        out[:, k] = draw
        left -= draw
        remaining -= p
    out[:, -1] = left
    return out


def _submissions(path: Path, snapshot: Path, ids: list[str], periods: list[str]) -> None:
    files = path / layout.FILES
    files.mkdir(parents=True, exist_ok=True)
    rows = []
    received = datetime(2025, 10, 20, tzinfo=UTC)
    for p in periods:
        for f in ids:
            sid = f"{f}-{p}"
            rows.append({"submission_id": sid, "seq": len(rows) + 1, "file_name": f"{f}_{p}.xlsx", "sha256": sid,
                         "firm_id": f, "firm_name_raw": f, "period": p, "version": 1, "basis": "当季",
                         "received_at": received, "filled_on": date(2025, 10, 15), "status": "accepted",
                         "superseded_by": None, "stored_file": None, "reasons": None, "issues_json": "[]",
                         "n_errors": 0, "n_warnings": 0, "status_note": None})
    last = periods[-1]
    problems = [("rejected", "投诉总量为百分比", "not_a_percentage"), ("held", "年累计报送暂缓入库：缺少早前季度", None)]
    for status, reason, rule in problems:
        sid = f"{status}-{last}"
        (files / f"{sid}.xlsx").write_bytes(f"synthetic {status} file".encode())
        issues = [{"severity": "error", "rule": rule, "message": reason, "file": f"{sid}.xlsx", "sheet": "投诉",
                   "row": 5, "column": "投诉总量", "value": "12%"}] if rule else []
        rows.append({"submission_id": sid, "seq": len(rows) + 1, "file_name": f"{sid}.xlsx", "sha256": sid,
                     "firm_id": ids[0], "firm_name_raw": ids[0], "period": last, "version": 2, "basis": "当季",
                     "received_at": received, "filled_on": date(2025, 10, 16), "status": status,
                     "superseded_by": None, "stored_file": f"{layout.FILES}/{sid}.xlsx", "reasons": reason,
                     "issues_json": json.dumps(issues, ensure_ascii=False), "n_errors": len(issues),
                     "n_warnings": 0, "status_note": reason})
    pl.DataFrame(rows, schema=SUBMISSION_SCHEMA).write_parquet(snapshot / "submissions.parquet")
