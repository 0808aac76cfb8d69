"""Realistic submissions of fictional member firms, and exactly what the warehouse must hold after ingesting them.

`generate()` writes `OUT_DIR/firms.csv` (the registry), `OUT_DIR/submissions/<period>/<file>` (what the ingest
command is pointed at) and `OUT_DIR/manifest.csv` (what was planted in each file), and returns the truth: the
current quarterly figures of every fact dataset, which the round-trip test compares with the warehouse.

The world it models (DOMAIN.md, seeds/): property and life firms whose premium spans two orders of magnitude,
big firms in every region and small ones in a few provinces, life premium peaking in Q1 (开门红), outreach
peaking in Q1 (3·15) and Q3 (金融教育宣传周), complaints around 4–25 per 亿元 premium, 代理退保 spikes in a
few firm × region × quarters, stock columns (网点, 覆盖县区) growing slowly. Around it the scenarios the
secretariat meets: messy files, genuine errors and their corrections, revised versions, 年累计 reporting, and
a firm whose 年累计 file stays held because it skipped a quarter.

All figures are chosen so that the round trip is exact: money is a multiple of 0.25 万元 (exact in binary, so
年累计 differences are exact too), and every messy spelling reads back as the same number.
"""

from __future__ import annotations

import math
import random
import re
import shutil
import time
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import polars as pl

from etl import messy
from etl.contract import COVER, COVER_SHEET, PRODUCT_LINES, SHEETS
from etl.messy import Book, Cell, Table
from etl.reference import load_regions

NATIONAL = "000000"
MARKER = ".xiaobao-demo"  # marks an OUT_DIR this generator wrote, so a rerun may replace its submissions
FILE_STEM = "{short}_{period}_消保数据"

# Two-character trade names, first × second; each survives 简→繁→简 (tests/etl/test_demo.py), as the traditional
# transform needs.
_FIRST = "安恒瑞嘉睿弘沛澄景朗岳翊峻珑晟煦昀祺澜钧"
_SECOND = "泰信丰和盛远康宁达诚晖航源富隆昌佑益兴德"
_FILLERS = ("张晓", "李明", "王芳", "刘洋", "陈静", "杨帆", "赵磊", "黄丽", "周婷", "吴昊")

# Share of annual premium by quarter: life peaks in Q1 (开门红), property is nearly flat with a Q4 rise.
_PREMIUM_SEASON = {"人身险": (0.40, 0.24, 0.19, 0.17), "财产险": (0.25, 0.24, 0.24, 0.27)}
# Outreach: March (3·15) and September (金融教育宣传周) campaigns.
_OUTREACH_SEASON = (1.8, 0.8, 1.3, 0.7)
# Complaint causes (sales, claims, surrender, policy service, other) and product lines, by firm type.
_CAUSES = {"人身险": (0.38, 0.14, 0.26, 0.16, 0.06), "财产险": (0.10, 0.56, 0.05, 0.19, 0.10)}
_LINE_WEIGHTS = {
    "财产险": (0.55, 0.05, 0.02, 0.06, 0.04, 0.02, 0.06, 0.10, 0.07, 0.03),
    "人身险": (0.15, 0.25, 0.10, 0.02, 0.15, 0.12, 0.06, 0.12, 0.03),
}
_SPIKE_LINES = ("分红型人寿保险", "普通人寿保险", "年金保险")  # 代理退保 targets long-term savings policies
ANNUAL_PREMIUM_RANGE = (40_000.0, 16_000_000.0)  # 万元: 4 亿 to 1,600 亿 a year, 400×

# Genuine errors planted (one file each), by the rule the reject report must name.
ERROR_RULES = ("causes_sum_to_total", "not_a_percentage", "unknown_region", "total_row_mismatch", "unknown_firm")
_CORRECTED = 3  # the first three error files are followed by a corrected 版本 2; the other two are not


@dataclass(frozen=True)
class DemoFirm:
    firm_id: str
    name: str
    short_name: str
    aliases: tuple[str, ...]
    firm_type: str
    annual_premium_wan: float
    regions: tuple[str, ...]  # region codes the firm reports, in regions.csv order
    complaint_rate: float  # complaints per 亿元 premium, before noise
    blanks: tuple[str, ...] = ()  # columns the firm leaves blank (not reported)


Row = dict[str, Cell]
Figures = dict[str, list[Row]]  # dataset id -> rows keyed by column id (region_code is the code)


@dataclass
class DemoResult:
    registry_path: Path
    files: list[Path]  # submission units (xlsx, zip, CSV folder), sorted
    truth: dict[str, pl.DataFrame]  # dataset id -> what the warehouse's current facts must hold (no year/quarter)
    expected: dict[str, str]  # file name -> status after ingesting everything in one batch
    manifest: pl.DataFrame  # one row per file: what was planted in it
    spikes: list[tuple[str, str, str]] = field(default_factory=list)  # (firm_id, region_code, period)
    seconds: float = 0.0

    @property
    def messy(self) -> dict[str, tuple[str, ...]]:
        return {r["file_name"]: tuple(t for t in r["transforms"].split("+") if t)
                for r in self.manifest.iter_rows(named=True)}

    @property
    def errors(self) -> dict[str, str]:
        return {r["file_name"]: r["error_rule"] for r in self.manifest.iter_rows(named=True) if r["error_rule"]}


@dataclass
class _File:
    firm: DemoFirm
    period: str
    version: int
    basis: str  # 当季 | 年累计
    quarter: Figures  # the quarter's figures this file stands for
    status: str
    written: Figures | None = None  # what the file shows when it differs from `quarter` (年累计, preliminary)
    error: str | None = None
    transforms: tuple[str, ...] = ()
    name: str = ""
    missing: str = ""  # the period whose absence holds this file


# ------------------------------------------------------------------------------------------ periods

_PERIOD = re.compile(r"^(\d{4})Q([1-4])$")


def quarters(period_from: str, period_to: str) -> list[str]:
    """Every quarter from period_from to period_to inclusive ('2024Q3', '2025Q2' -> 4 periods)."""
    a, b = _PERIOD.match(period_from), _PERIOD.match(period_to)
    if not a or not b:
        raise ValueError(f"报送期间应为如 2025Q3 的自然季度：{period_from} / {period_to}")
    start, end = int(a[1]) * 4 + int(a[2]) - 1, int(b[1]) * 4 + int(b[2]) - 1
    if start > end:
        raise ValueError(f"起始期间 {period_from} 晚于结束期间 {period_to}")
    return [f"{i // 4}Q{i % 4 + 1}" for i in range(start, end + 1)]


def _year_q(period: str) -> tuple[int, int]:
    return int(period[:4]), int(period[5])


def _quarter_end(period: str) -> date:
    y, q = _year_q(period)
    return date(y + (q == 4), 1 if q == 4 else 3 * q + 1, 1) - timedelta(days=1)


# ------------------------------------------------------------------------------------------- firms

def make_firms(n: int, rng: random.Random, regions: pl.DataFrame) -> list[DemoFirm]:
    """n fictional firms, alternately property and life, sizes log-spaced over ANNUAL_PREMIUM_RANGE."""
    pairs = [a + b for a in _FIRST for b in _SECOND]
    if n > len(pairs) - 1:
        raise ValueError(f"示例公司最多 {len(pairs) - 1} 家")
    names = rng.sample(pairs, n)
    lo, hi = ANNUAL_PREMIUM_RANGE
    sizes = [lo * (hi / lo) ** (i / max(n - 1, 1)) for i in range(n)]
    rng.shuffle(sizes)
    firms = []
    for i, (trade, size) in enumerate(zip(names, sizes, strict=True)):
        firm_type = "财产险" if i % 2 == 0 else "人身险"
        if firm_type == "财产险":
            name, short, aliases = f"示例{trade}财产保险股份有限公司", f"示例{trade}财险", (f"示例{trade}产险",)
        else:
            name, short, aliases = f"示例{trade}人寿保险股份有限公司", f"示例{trade}人寿", (f"示例{trade}寿险",)
        scale = math.log(size / lo) / math.log(hi / lo)  # 0 for the smallest firm, 1 for the largest
        firms.append(DemoFirm(
            firm_id=f"F{i + 1:03d}", name=name, short_name=short, aliases=aliases, firm_type=firm_type,
            annual_premium_wan=size * rng.uniform(0.9, 1.1),
            regions=_firm_regions(scale, rng, regions),
            # Small firms draw more complaints per 亿元: fewer service channels, more mis-selling.
            complaint_rate=math.exp(rng.uniform(math.log(4), math.log(14))) * (1.6 - 0.6 * scale),
            blanks=("insured_persons", "counties_covered") if rng.random() < 0.08 else (),
        ))
    return firms


def unregistered_name(firms: list[DemoFirm]) -> str:
    """A plausible firm name that is not in the registry (the unknown-firm error)."""
    used = {f.short_name[2:4] for f in firms}
    trade = next(a + b for a in _FIRST for b in _SECOND if a + b not in used)
    return f"示例{trade}财产保险有限公司"


def _firm_regions(scale: float, rng: random.Random, regions: pl.DataFrame) -> tuple[str, ...]:
    """Big firms report every region; small ones a few populous provinces; 总公司 for some."""
    provinces = regions.filter(pl.col("kind") == "province")
    n = max(2, min(31, round(2 + 29 * scale**1.4)))
    weights = provinces["population_2020"].to_list()
    keys = [rng.random() ** (1 / w) for w in weights]  # weighted sampling without replacement
    chosen = {c for _, c in sorted(zip(keys, provinces["code"].to_list(), strict=True), reverse=True)[:n]}
    cities = regions.filter(pl.col("kind") == "city")
    for code, parent in zip(cities["code"], cities["parent_code"], strict=True):
        if parent in chosen and rng.random() < 0.3 + 0.7 * scale:
            chosen.add(code)
    if rng.random() < 0.2 + 0.6 * scale:
        chosen.add(NATIONAL)
    return tuple(c for c in regions["code"].to_list() if c in chosen)


def registry_frame(firms: list[DemoFirm]) -> pl.DataFrame:
    return pl.DataFrame({
        "firm_id": [f.firm_id for f in firms],
        "name": [f.name for f in firms],
        "short_name": [f.short_name for f in firms],
        "aliases": ["|".join(f.aliases) for f in firms],
        "firm_type": [f.firm_type for f in firms],
    })


# ----------------------------------------------------------------------------------------- figures

def _poisson(lam: float, rng: random.Random) -> int:
    if lam <= 0:
        return 0
    if lam > 40:
        return max(0, round(rng.gauss(lam, math.sqrt(lam))))
    limit, k, p = math.exp(-lam), 0, rng.random()
    while p > limit:
        k += 1
        p *= rng.random()
    return k


def _split(total: int, weights: tuple[float, ...] | list[float], rng: random.Random, jitter: float = 0.3) -> list[int]:
    """total split into len(weights) non-negative integers summing exactly to total (largest remainder)."""
    w = [x * rng.uniform(1 - jitter, 1 + jitter) for x in weights]
    s = sum(w)
    raw = [total * x / s for x in w]
    parts = [math.floor(x) for x in raw]
    for i in sorted(range(len(raw)), key=lambda i: parts[i] - raw[i])[: total - sum(parts)]:
        parts[i] += 1
    return parts


def _quarter_wan(value: float) -> Decimal:
    """A money figure in 万元 rounded to 0.25 (exact in binary floating point), at least 0.25."""
    return Decimal(max(1, round(value * 4))) / 4


def _frac(value: int, lo: float, hi: float, rng: random.Random) -> int:
    return round(value * rng.uniform(lo, hi))


@dataclass
class _RegionProfile:
    weight: float
    outlets: int
    outlet_growth: float
    counties: int | None
    coverage: float
    age_friendly: float
    outreach_intensity: float


def firm_figures(firm: DemoFirm, periods: list[str], regions: pl.DataFrame, rng: random.Random,
                 spikes: set[tuple[str, str]]) -> dict[str, Figures]:
    """The firm's true quarterly figures for every period; `spikes` holds (region, period) of 代理退保 surges."""
    info = {r["code"]: r for r in regions.iter_rows(named=True)}
    present = set(firm.regions)
    profiles: dict[str, _RegionProfile] = {}
    for code in firm.regions:
        r = info[code]
        pop = r["population_2020"] or 0
        if r["kind"] == "province":  # a province row excludes its separately reported city
            pop -= sum(info[c]["population_2020"] for c in present if info[c]["parent_code"] == code)
        weight = 0.04 * 1.4e9 / 37 if code == NATIONAL else pop * (1.3 if r["kind"] == "city" else 1.0)
        share = firm.annual_premium_wan / 1e5  # outlets scale with the firm
        profiles[code] = _RegionProfile(
            weight=weight * rng.uniform(0.6, 1.4),
            outlets=max(1, round(share * pop / 4e7 * rng.uniform(0.5, 1.5))),
            outlet_growth=rng.uniform(0.0, 0.02),
            counties=r["counties"],
            coverage=rng.uniform(0.5, 1.3),
            age_friendly=rng.uniform(0.2, 0.6),
            outreach_intensity=rng.uniform(0.3, 1.2),
        )
    total_weight = sum(p.weight for p in profiles.values())
    line_weights = [w * rng.uniform(0.6, 1.4) for w in _LINE_WEIGHTS[firm.firm_type]]
    lines = PRODUCT_LINES[firm.firm_type]
    growth = rng.uniform(0.0, 0.12)  # yearly premium growth
    regulator_share = rng.uniform(0.1, 0.35)
    out: dict[str, Figures] = {}
    for t, period in enumerate(periods):
        year, q = _year_q(period)
        annual = firm.annual_premium_wan * (1 + growth) ** (year - 2022 + (q - 1) / 4)
        figs: Figures = {s.id: [] for s in SHEETS}
        for code, prof in profiles.items():
            premium = _quarter_wan(annual * _PREMIUM_SEASON[firm.firm_type][q - 1] * prof.weight / total_weight
                                   * rng.uniform(0.92, 1.08))
            row, by_line = _complaints(firm, code, premium, regulator_share, line_weights, lines, rng,
                                       (code, period) in spikes)
            figs["complaints"].append(row)
            figs["complaints_by_line"].extend(by_line)
            if code != NATIONAL:  # mediation and outreach happen in the provinces
                figs["mediation"].append(_mediation(code, int(row["complaints_total"]), rng))
                figs["outreach"].append(_outreach(code, prof, t, q, rng))
        for dataset, rows in figs.items():
            for row in rows:
                row.update({c: None for c in firm.blanks if c in row})
            figs[dataset] = rows
        out[period] = figs
    return out


def _complaints(firm: DemoFirm, code: str, premium: Decimal, regulator_share: float, line_weights: list[float],
                lines: tuple[str, ...], rng: random.Random, spike: bool) -> tuple[Row, list[Row]]:
    life = firm.firm_type == "人身险"
    policies = round(float(premium) * (rng.uniform(0.2, 0.8) if life else rng.uniform(1.5, 4.0))) + 1
    insured = round(policies * (rng.uniform(1.0, 1.5) if life else rng.uniform(1.0, 2.5)))
    expected = float(premium) / 1e4 * firm.complaint_rate
    total = _poisson(expected * rng.uniform(0.85, 1.15), rng)
    causes = _split(total, _CAUSES[firm.firm_type], rng)
    regulator = _frac(total, regulator_share * 0.8, regulator_share * 1.2, rng)
    proxy = _frac(causes[2], *((0.1, 0.35) if life else (0.0, 0.1)), rng)
    extra = round(max(30.0, expected * rng.uniform(3, 6))) if spike else 0
    if extra:  # 代理退保 surge: surrender complaints, mostly routed through the regulator
        causes[2] += extra
        proxy += round(extra * rng.uniform(0.75, 0.95))
        regulator += round(extra * rng.uniform(0.6, 0.8))
    total += extra
    resolved = total - _frac(total, 0.0, 0.08, rng)
    row: Row = {
        "region_code": code, "premium_wan": premium, "policies": policies, "insured_persons": insured,
        "complaints_total": total, "complaints_regulator": regulator, "complaints_direct": total - regulator,
        "cause_sales": causes[0], "cause_claims": causes[1], "cause_surrender": causes[2],
        "cause_policy_service": causes[3], "cause_other": causes[4],
        "resolved": resolved, "resolved_on_time": resolved - _frac(resolved, 0.0, 0.06, rng),
        "proxy_surrender_suspected": proxy,
    }
    per_line = _split(total - extra, line_weights, rng)
    if extra:
        spiked = [lines.index(x) for x in _SPIKE_LINES if x in lines] or [0]
        for i, n in zip(spiked, _split(extra, [1.0] * len(spiked), rng), strict=True):
            per_line[i] += n
    by_line = [{"region_code": code, "product_line": line, "complaints": n}
               for line, n in zip(lines, per_line, strict=True) if n > 0]
    return row, by_line


def _mediation(code: str, complaints: int, rng: random.Random) -> Row:
    accepted = _poisson(complaints * rng.uniform(0.04, 0.14) + 0.3, rng)
    concluded = accepted - _frac(accepted, 0.0, 0.25, rng)
    succeeded = _frac(concluded, 0.6, 0.9, rng)
    return {
        "region_code": code,
        "mediation_accepted": accepted,
        "mediation_voluntary": accepted - _frac(accepted, 0.0, 0.1, rng),
        "mediation_concluded": concluded,
        "mediation_succeeded": succeeded,
        "mediation_fulfilled": succeeded - _frac(succeeded, 0.0, 0.12, rng),
        "mediation_amount_wan": _quarter_wan(succeeded * rng.uniform(0.5, 8.0)) if succeeded else Decimal(0),
        "mediation_court_linked": _frac(accepted, 0.1, 0.4, rng),
    }


def _outreach(code: str, prof: _RegionProfile, t: int, q: int, rng: random.Random) -> Row:
    outlets = prof.outlets + math.floor(prof.outlets * prof.outlet_growth * t)  # stock: slowly growing
    events = _poisson(outlets * prof.outreach_intensity * _OUTREACH_SEASON[q - 1] + 0.5, rng)
    offline = events * rng.randint(40, 300)
    venues = _split(_frac(events, 0.7, 1.0, rng), (0.25, 0.35, 0.15, 0.15, 0.10), rng)
    # Counties reached follow the outlet network (an outlet serves about one county), capped by the region's.
    counties = None if prof.counties is None else min(prof.counties, max(1, round(outlets * prof.coverage)))
    return {
        "region_code": code, "events": events, "reach_offline": offline,
        "reach_online": _frac(offline, 2.0, 20.0, rng),
        "reach_elderly": _frac(offline, 0.15, 0.35, rng), "reach_youth": _frac(offline, 0.05, 0.2, rng),
        "reach_new_citizens": _frac(offline, 0.05, 0.2, rng), "reach_disabled": _frac(offline, 0.005, 0.03, rng),
        "events_rural": venues[0], "events_community": venues[1], "events_campus": venues[2],
        "events_enterprise": venues[3], "events_commercial": venues[4],
        "counties_covered": counties, "outlets": outlets,
        "outlets_age_friendly": min(outlets, math.floor(outlets * min(0.95, prof.age_friendly + 0.03 * t))),
    }


def _complete_lines(figs: Figures, firm: DemoFirm) -> None:
    """Every (region, line) row, zeros included: a 年累计 year keeps the same rows in every quarter."""
    have = {(r["region_code"], r["product_line"]): r for r in figs["complaints_by_line"]}
    figs["complaints_by_line"] = [
        have.get((code, line), {"region_code": code, "product_line": line, "complaints": 0})
        for code in firm.regions for line in PRODUCT_LINES[firm.firm_type]
    ]


def _cumulate(quarters_figs: list[Figures]) -> Figures:
    """年累计 figures: flows summed over the year's quarters so far, stock columns as at the last quarter."""
    out: Figures = {}
    for sheet in SHEETS:
        rows = [dict(r) for r in quarters_figs[-1][sheet.id]]
        for row in rows:
            key = tuple(row[k] for k in sheet.key)
            for earlier in quarters_figs[:-1]:
                match = next(r for r in earlier[sheet.id] if tuple(r[k] for k in sheet.key) == key)
                for col in sheet.measures:
                    if not col.stock:
                        row[col.id] = row[col.id] + match[col.id]  # type: ignore[operator]
        out[sheet.id] = rows
    return out


def _preliminary(figs: Figures, rng: random.Random) -> Figures:
    """A first version that the firm later revises: premium and policies of its first region restated."""
    out = {k: [dict(r) for r in rows] for k, rows in figs.items()}
    row = out["complaints"][0]
    row["premium_wan"] = _quarter_wan(float(row["premium_wan"]) * rng.uniform(0.9, 0.98))  # type: ignore[arg-type]
    if row["policies"] is not None:
        row["policies"] = max(0, int(row["policies"]) - rng.randint(1, 50))  # type: ignore[arg-type]
    return out


# ------------------------------------------------------------------------------------------- books

def build_book(firm_name: str, period: str, basis: str, version: int, filled_on: date, filler: str, phone: str,
               figs: Figures, region_names: dict[str, str]) -> Book:
    """The clean workbook a member fills in from the template: canonical sheets, headers and region names."""
    values: dict[str, Cell] = {"firm_name": firm_name, "period": period, "basis": basis, "version": version,
                               "filler": filler, "phone": phone, "filled_on": filled_on.isoformat()}
    cover: list[list[Cell]] = [[f.zh, values[f.id]] for f in COVER]
    tables = []
    for sheet in SHEETS:
        ids = [c.id for c in sheet.columns]
        rows = [[region_names[r[i]] if i == "region_code" else r[i] for i in ids] for r in figs[sheet.id]]
        tables.append(Table(sheet.id, sheet.zh, ids, [c.header for c in sheet.columns], rows))
    return Book(COVER_SHEET, cover, tables)


def plant_error(book: Book, rule: str, rng: random.Random, other_name: str) -> None:
    """Make `book` break exactly `rule` (one of ERROR_RULES)."""
    table = book.table("complaints")
    if rule == "unknown_firm":
        book.cover[0][1] = other_name
    elif rule == "total_row_mismatch":
        messy.add_total_row(book, rng)
        c = table.col("complaints_total")
        table.total[c] = int(table.total[c]) + 10  # type: ignore[index, arg-type]
    elif rule == "unknown_region":
        book.table("mediation").rows[0][0] = "香港"  # a region outside the association's 36
    elif rule == "not_a_percentage":
        row = max(table.rows, key=lambda r: r[table.col("resolved")])  # type: ignore[arg-type, return-value]
        resolved, on_time = row[table.col("resolved")], row[table.col("resolved_on_time")]
        row[table.col("resolved_on_time")] = f"{100 * on_time / max(resolved, 1):.1f}%"  # type: ignore[operator]
    elif rule == "causes_sum_to_total":
        row = max(table.rows, key=lambda r: r[table.col("complaints_total")])  # type: ignore[arg-type, return-value]
        row[table.col("cause_other")] += 1  # type: ignore[operator]
    else:
        raise ValueError(rule)


# -------------------------------------------------------------------------------------------- plan

def _plan(firms: list[DemoFirm], periods: list[str], figures: dict[str, dict[str, Figures]],
          rng: random.Random, messy_share: float) -> list[_File]:
    """Every file of the batch with its scenario and the status ingest must give it."""
    by_year: dict[int, list[str]] = {}
    for p in periods:
        by_year.setdefault(_year_q(p)[0], []).append(p)
    order = list(firms)
    rng.shuffle(order)
    order.sort(key=lambda f: bool(f.blanks))  # 年累计 needs every figure: firms with blanks come last

    # A firm skips a quarter and reports the next one 年累计: held, the skipped quarter being missing.
    held: tuple[DemoFirm, str, str] | None = None
    year_held = next((y for y in sorted(by_year, reverse=True) if len(by_year[y]) >= 2), None)
    if year_held is not None and len(order) >= 3 and not order[0].blanks:
        held = (order.pop(0), by_year[year_held][-2], by_year[year_held][-1])
    # About a tenth of the firms report 年累计 in every year whose Q1 is in range.
    ytd_years = [y for y, ps in by_year.items() if ps[0].endswith("Q1")]
    n_ytd = max(1, round(len(firms) / 10)) if ytd_years and len(order) >= 3 else 0
    ytd_firms = {f.firm_id for f in order[:n_ytd] if not f.blanks}
    order = [f for f in order if f.firm_id not in ytd_firms]

    def ytd(firm: DemoFirm, p: str) -> Figures:
        year = [figures[firm.firm_id][x] for x in by_year[_year_q(p)[0]] if x <= p]
        for figs in year:  # the same (region, line) rows in every quarter of a 年累计 year, zeros included
            _complete_lines(figs, firm)
        return _cumulate(year)

    files: list[_File] = []
    for firm in firms:
        for p in periods:
            figs = figures[firm.firm_id][p]
            if held and firm is held[0] and p in held[1:]:
                if p == held[2]:
                    files.append(_File(firm, p, 1, "年累计", figs, "held", written=ytd(firm, p), missing=held[1]))
                continue
            if firm.firm_id in ytd_firms and _year_q(p)[0] in ytd_years:
                files.append(_File(firm, p, 1, "年累计", figs, "accepted", written=ytd(firm, p)))
            else:
                files.append(_File(firm, p, 1, "当季", figs, "accepted"))

    # Errors and revisions only where no 年累计 file depends on the quarter, so each stays self-contained.
    plain = [f for f in files if f.basis == "当季" and f.status == "accepted" and f.firm in order]
    rng.shuffle(plain)
    extra: list[_File] = []
    for i, f in enumerate(plain[: len(ERROR_RULES)]):
        f.status, f.error = "rejected", ERROR_RULES[i]
        if i < _CORRECTED:
            extra.append(_File(f.firm, f.period, 2, "当季", f.quarter, "accepted"))
    for f in plain[len(ERROR_RULES): len(ERROR_RULES) + max(1, round(len(plain) * 0.03))]:
        f.status, f.written = "superseded", _preliminary(f.quarter, rng)
        extra.append(_File(f.firm, f.period, 2, "当季", f.quarter, "accepted"))
    files += extra
    files.sort(key=lambda f: (f.period, f.firm.firm_id, f.version))

    _assign_messiness([f for f in files if f.error is None], round(messy_share * len(files)), rng)
    return files


def _assign_messiness(candidates: list[_File], n: int, rng: random.Random) -> None:
    """n files get 2–4 transforms each; the first one cycles through the kinds so each appears when n allows."""
    kinds = list(messy.TRANSFORMS)
    rng.shuffle(kinds)
    chosen_files = sorted(rng.sample(candidates, min(n, len(candidates))),
                          key=lambda f: (f.period, f.firm.firm_id, f.version))
    for i, f in enumerate(chosen_files):
        # a 合计 over a blank (not reported) column would be ambiguous: not for firms that leave blanks
        allowed = [k for k in kinds if not (f.firm.blanks and k == "total_row")]
        chosen = [allowed[i % len(allowed)]]
        target = rng.randint(2, 4)
        for extra in rng.sample(allowed, len(allowed)):
            if len(chosen) == target:
                break
            if extra not in chosen and all(frozenset((extra, c)) not in messy.INCOMPATIBLE for c in chosen):
                chosen.append(extra)
        f.transforms = tuple(k for k in messy.TRANSFORMS if k in chosen)


# ---------------------------------------------------------------------------------------- generate

def generate(out_dir: Path, *, firms: int = 30, period_from: str = "2022Q1", period_to: str = "2025Q3",
             seed: int = 20251123, messy_share: float = 0.2) -> DemoResult:
    """Write the demo registry and submissions under out_dir and return what ingesting them must give."""
    started = time.perf_counter()
    out_dir = Path(out_dir)
    periods = quarters(period_from, period_to)
    if firms < 1:
        raise ValueError("示例公司数量至少为 1")
    _prepare(out_dir)
    regions = load_regions()
    region_names = dict(zip(regions["code"], regions["name"], strict=True))
    rng = random.Random(f"{seed}:firms")
    demo_firms = make_firms(firms, rng, regions)

    plan_rng = random.Random(f"{seed}:plan")
    life = [f for f in demo_firms if f.firm_type == "人身险"]
    spikes: list[tuple[str, str, str]] = []
    if len(periods) >= 6 and life:
        for firm in plan_rng.sample(life, max(1, round(len(life) / 8))):
            candidates = [c for c in firm.regions if c != NATIONAL]
            start = plan_rng.randint(4, len(periods) - 1)
            for code in plan_rng.sample(candidates, min(len(candidates), plan_rng.randint(2, 3))):
                for p in periods[start: start + plan_rng.randint(1, 2)]:
                    spikes.append((firm.firm_id, code, p))
    figures = {
        f.firm_id: firm_figures(f, periods, regions, random.Random(f"{seed}:{f.firm_id}"),
                                {(c, p) for fid, c, p in spikes if fid == f.firm_id})
        for f in demo_firms
    }
    files = _plan(demo_firms, periods, figures, plan_rng, messy_share)

    registry = registry_frame(demo_firms)
    registry_path = out_dir / "firms.csv"
    registry.write_csv(registry_path)
    paths = _write_files(files, out_dir / "submissions", region_names, demo_firms, seed)
    result = DemoResult(
        registry_path=registry_path,
        files=sorted(paths),
        truth=_truth(files),
        expected={f.name: f.status for f in files},
        manifest=_manifest(files),
        spikes=sorted(spikes),
    )
    result.manifest.write_csv(out_dir / "manifest.csv")
    result.seconds = time.perf_counter() - started
    return result


def _prepare(out_dir: Path) -> None:
    """Refuse to write into a folder the generator did not make; replace what an earlier run made."""
    submissions = out_dir / "submissions"
    if submissions.exists() and any(submissions.iterdir()):
        if not (out_dir / MARKER).exists():
            raise FileExistsError(f"{submissions} 已有文件且不是示例数据生成的，请换一个目录")
        shutil.rmtree(submissions)
    submissions.mkdir(parents=True, exist_ok=True)
    (out_dir / MARKER).write_text("written by `xiaobao demo`; its submissions/ folder is replaced on rerun\n")


def _write_files(files: list[_File], root: Path, region_names: dict[str, str], firms: list[DemoFirm],
                 seed: int) -> list[Path]:
    other_name = unregistered_name(firms)
    paths = []
    for f in files:
        rng = random.Random(f"{seed}:{f.firm.firm_id}:{f.period}:{f.version}")
        firm_name = rng.choices((f.firm.name, f.firm.short_name, f.firm.aliases[0]), (7, 2, 1))[0]
        filled_on = _quarter_end(f.period) + timedelta(days=rng.randint(8, 25) + 25 * (f.version - 1))
        phone = f"0{rng.randint(10, 99)}-0000{rng.randint(1000, 9999)}"  # 0000 numbers are never assigned
        book = build_book(firm_name, f.period, f.basis, f.version, filled_on, rng.choice(_FILLERS), phone,
                          f.written or f.quarter, region_names)
        if f.error:
            plant_error(book, f.error, rng, other_name)
        messy.apply(book, f.transforms, rng)
        stem = FILE_STEM.format(short=f.firm.short_name, period=f.period) + (f"_v{f.version}" if f.version > 1 else "")
        folder = root / f.period
        folder.mkdir(exist_ok=True)
        path = messy.write_book(book, folder / stem)
        f.name = path.name
        paths.append(path)
    return paths


def _truth(files: list[_File]) -> dict[str, pl.DataFrame]:
    """Current quarter figures: the accepted file of each firm and period, as the warehouse must hold them."""
    current = {(f.firm.firm_id, f.period): f for f in files if f.status == "accepted"}
    truth = {}
    for sheet in SHEETS:
        ids = [c.id for c in sheet.columns]
        records = [
            {"period": period, "firm_id": fid, **{i: row[i] for i in ids}}
            for (fid, period), f in sorted(current.items())
            for row in f.quarter[sheet.id]
        ]
        schema: dict[str, pl.DataType] = {"period": pl.Utf8, "firm_id": pl.Utf8}
        for c in sheet.columns:
            schema[c.id] = pl.Utf8 if c.kind == "key" else pl.Float64 if c.kind == "money" else pl.Int64
        frame = pl.DataFrame(
            {k: [None if r[k] is None else float(r[k]) if schema[k] == pl.Float64 else r[k] for r in records]
             for k in schema},
            schema=schema,
        )
        truth[sheet.id] = frame.sort(["period", "firm_id", *sheet.key])
    return truth


def _manifest(files: list[_File]) -> pl.DataFrame:
    return pl.DataFrame({
        "file_name": [f.name for f in files],
        "firm_id": [f.firm.firm_id for f in files],
        "period": [f.period for f in files],
        "version": [f.version for f in files],
        "basis": [f.basis for f in files],
        "status": [f.status for f in files],
        "error_rule": [f.error or "" for f in files],
        "missing_period": [f.missing for f in files],
        "transforms": ["+".join(f.transforms) for f in files],
    }, schema={"file_name": pl.Utf8, "firm_id": pl.Utf8, "period": pl.Utf8, "version": pl.Int64, "basis": pl.Utf8,
               "status": pl.Utf8, "error_rule": pl.Utf8, "missing_period": pl.Utf8, "transforms": pl.Utf8})

