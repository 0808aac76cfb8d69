"""The joint-meeting deck (联席会议): one quarter's figures as 16:9 slides, every number the query layer's.

`build(wh, Spec(period="2025Q3"), progress=…)` returns the PPTX bytes; `write(…)` writes a .pptx or a .pdf
(LibreOffice, deck/pdf.py). The Warehouse carries the reader's Scope: a member firm's deck shows its own firm
against pseudonymised peers and aggregates only, because every figure comes from the same query layer that
applies the scope to the pages. Nothing here computes a metric: values, changes, peer medians, movers and
anomalies are the layer's; the deck chooses which to show and formats them (core/format.py, as the dashboard does).

Slide names (`slide_key` on each slide's first shape name) and shape names (`kpi:<metric>`, `chart:<key>`,
`map`) let tests and the presentation view find what they check.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from functools import partial
from pathlib import Path
from typing import Any

import polars as pl
from pptx.util import Inches

from core import clock
from core.format import NO_VALUE, delta_text, fmt_money_wan, fmt_number, fmt_pct, value_text
from core.reference import FIRM_TYPES
from core.status import FIRM_STATUSES, firm_label
from deck import china_map, render
from deck.text import association, firm_type, product_line, t
from query import ANOMALY_HISTORY, Filters, Warehouse, catalog, export, firm_status

OVERVIEW, COMPLAINTS = catalog.view("overview"), catalog.view("complaints")
MEDIATION, OUTREACH = catalog.view("mediation"), catalog.view("outreach")
PEER_METRIC = COMPLAINTS["rates"][0]        # 亿元保费投诉量: the rate the peers and the map show
MAP_METRIC = catalog.MAP_RATES[0]
TREND_QUARTERS = 8                          # as the dashboard's trends: two years, 同比 visible twice
PEER_BARS = 12                              # firms on a peer chart (the highest rates), besides the median
MOVER_BARS = 10
ANOMALY_ROWS = 8
NAMES_LISTED = 12                           # firm names listed per status on the submissions slide
COVERAGE = ("county_coverage_median", "county_coverage_max", "age_friendly_outlet_share", "reach_per_10k_residents")

Progress = Callable[[int, int, str], None]   # (slides done, slides in all, what is being built)


@dataclass(frozen=True)
class Spec:
    period: str
    firm_type: str | None = None
    lang: str = "zh"


class Deck:
    """One build: the warehouse, what was asked for, and the presentation being filled."""

    def __init__(self, wh: Warehouse, spec: Spec):
        self.wh, self.spec, self.lang = wh, spec, spec.lang
        self.filters = Filters(period=spec.period, firm_type=spec.firm_type)
        self.prs = render.new_presentation()
        periods = [p for p in wh.periods() if p <= spec.period]
        self.trend_filters = Filters(period_from=periods[-TREND_QUARTERS:][0] if periods else spec.period,
                                     period_to=spec.period, firm_type=spec.firm_type)
        as_of = wh.as_of()
        self.when = clock.shown(as_of["ingested_at"]) if as_of["ingested_at"] is not None else NO_VALUE
        self.version = as_of["version"] or NO_VALUE
        self.member = wh.scope.firm_id
        if self.member:
            own = wh.firms(Filters(firms=(self.member,)))
            self.scope_text = t("scope_member", self.lang,
                                firm=own["short_name"][0] if own.height else self.member)
        elif spec.firm_type:
            self.scope_text = t("scope_type", self.lang, type=firm_type(spec.firm_type, self.lang))
        else:
            self.scope_text = t("scope_all", self.lang)
        self.footer = t("footer", self.lang, scope=self.scope_text, period=spec.period,
                        as_of=t("as_of", self.lang, when=self.when, version=self.version))

    # ── metric metadata: the query layer's names, units and definitions ───────────────────────────────────
    def name(self, metric_id: str) -> str:
        m = self.wh.metric(metric_id)
        return m.zh if self.lang == "zh" else m.en

    def unit(self, metric_id: str) -> str:
        m = self.wh.metric(metric_id)
        return (m.unit_zh if self.lang == "zh" else m.unit_en) or ""

    def value(self, metric_id: str, value: float | None) -> str:
        return value_text(value, self.unit(metric_id), self.lang)

    def change(self, metric_id: str, absolute: float | None, relative: float | None) -> str:
        return delta_text(absolute, relative, self.unit(metric_id), self.wh.metric(metric_id).kind, self.lang)

    def fmt(self, metric_id: str) -> str:
        """The chart number format of a metric: shares as per cent, counts whole, rates with two decimals."""
        m = self.wh.metric(metric_id)
        return render.number_format(m.percent, 0 if m.kind in ("count", "stock") else 2)

    def definition(self, metric_id: str) -> str:
        m = self.wh.metric(metric_id)
        unit = self.unit(metric_id)
        text = m.definition_zh if self.lang == "zh" else m.definition_en
        way = {"lower": t("lower_better", self.lang), "higher": t("higher_better", self.lang)}.get(m.direction or "")
        head = f"{self.name(metric_id)}（{unit}）" if self.lang == "zh" and unit else \
            f"{self.name(metric_id)} ({unit})" if unit else self.name(metric_id)
        sep = "：" if self.lang == "zh" else ": "
        return head + sep + text + (f"（{way}）" if way and self.lang == "zh" else f" ({way})" if way else "")

    def low_base_rule(self, metric_id: str) -> str:
        """投诉总量 < 30 件 或 原保险保费收入 < 1亿元 (thresholds in money read as money, as on the pages)."""
        def threshold(base: str) -> str:
            value = self.wh.thresholds[base]
            return fmt_money_wan(value, self.lang) if self.wh.metric(base).kind == "money" else self.value(base, value)

        parts = [f"{self.name(b)} < {threshold(b)}" for b in self.wh.metric(metric_id).low_base]
        return t("or", self.lang).join(parts)

    def has(self, metric_id: str) -> bool:
        return any(m.id == metric_id for m in self.wh.metrics)

    # ── slides ─────────────────────────────────────────────────────────────────────────────────────────────
    def slide(self, key: str, title: str, metrics: Sequence[str] = (), extra_notes: Sequence[str] = ()) -> Any:
        slide = render.titled_slide(self.prs, title, self.footer)
        slide.shapes.title.name = f"title:{key}"
        lines = [*extra_notes]
        defined = [m for m in dict.fromkeys(metrics) if self.has(m)]
        if defined:
            lines += [t("notes_definitions", self.lang), *(f"· {self.definition(m)}" for m in defined)]
        lines.append(t("notes_source", self.lang, version=self.version, when=self.when, scope=self.scope_text,
                       period=self.spec.period))
        render.notes(slide, lines)
        return slide

    def kpis(self, slide: Any, metric_ids: Sequence[str], x: int, y: int, w: int, h: int, per_row: int = 3) -> None:
        """Headline tiles: value, 环比 and 同比 from `wh.changes(…, by=[])` (one row each)."""
        shown = [m for m in metric_ids if self.has(m)]
        changes = self.wh.changes(shown, by=[], filters=self.filters)
        items = []
        for metric in shown:
            frame = changes[metric]
            row = frame.row(0, named=True) if frame.height else {}
            qoq = self.change(metric, row.get("qoq_abs"), row.get("qoq_pct"))
            yoy = self.change(metric, row.get("yoy_abs"), row.get("yoy_pct"))
            items.append({"label": self.name(metric), "value": self.value(metric, row.get("value")),
                          "changes": [f"{t('qoq', self.lang)} {qoq}", f"{t('yoy', self.lang)} {yoy}"],
                          "name": f"kpi:{metric}"})
        render.tiles(slide, items, x, y, w, h, per_row=per_row)

    def title(self) -> None:
        slide = render.title_slide(self.prs, association(self.lang),
                                   [t("deck_title", self.lang, period=self.spec.period) + " · " +
                                    t("meeting", self.lang), self.scope_text,
                                    t("as_of", self.lang, when=self.when, version=self.version)])
        slide.shapes.title.name = "title:title"
        render.notes(slide, [t("notes_source", self.lang, version=self.version, when=self.when,
                               scope=self.scope_text, period=self.spec.period)])

    def headlines(self) -> None:
        metrics = OVERVIEW["headlines"]
        slide = self.slide("headlines", t("headlines", self.lang, period=self.spec.period), metrics)
        self.kpis(slide, metrics, render.MARGIN, render.TOP, render.WIDTH - 2 * render.MARGIN,
                  render.BOTTOM - render.TOP)

    def trend(self) -> None:
        metrics = [m for m in (PEER_METRIC, "on_time_resolution_rate") if self.has(m)]
        series = self.wh.table(metrics, by=["period"], filters=self.trend_filters)
        slide = self.slide("trend", t("trend", self.lang, n=series.height), metrics)
        width = (render.WIDTH - 2 * render.MARGIN - Inches(0.3)) // 2
        for i, metric in enumerate(metrics):
            render.line_chart(slide, f"chart:trend_{metric}", series["period"].to_list(),
                              [(self.name(metric), series[metric].to_list())], self.fmt(metric),
                              render.MARGIN + i * (width + Inches(0.3)), render.TOP, width,
                              render.BOTTOM - render.TOP, title=f"{self.name(metric)}（{self.unit(metric)}）"
                              if self.lang == "zh" else f"{self.name(metric)} ({self.unit(metric)})")

    def peers(self, kind: str) -> None:
        metric = PEER_METRIC
        slide = self.slide(f"peers_{kind}", t("peers", self.lang, metric=self.name(metric),
                                              type=firm_type(kind, self.lang)), [metric])
        peers = self.wh.peers(metric, self.spec.period, kind)
        valued = peers.filter(pl.col("value").is_not_null())
        if valued.height == 0:
            render.text_box(slide, render.MARGIN, render.TOP, Inches(8), Inches(1), [(t("no_data", self.lang), 18,
                                                                                         False)])
            return
        top = valued.sort("value", descending=True, nulls_last=True).head(PEER_BARS)
        if self.member and self.member in valued["firm_id"].to_list() and self.member not in top["firm_id"].to_list():
            top = pl.concat([top.head(PEER_BARS - 1), valued.filter(pl.col("firm_id") == self.member)])
        first = valued.row(0, named=True)
        median = first["median"]
        names = [t("peer_median", self.lang), *top["firm_name"].cast(pl.Utf8).to_list()]
        values = [median, *top["value"].to_list()]
        colors: list[Any] = [render.REFERENCE] + [
            render.WORSE if self.member and f == self.member else
            render.MUTED if low else None for f, low in zip(top["firm_id"], top["low_base"].fill_null(False),
                                                            strict=True)]
        width = render.WIDTH - 2 * render.MARGIN - Inches(3.6)
        render.bar_chart(slide, f"chart:peers_{kind}", names, [(self.name(metric), values)], self.fmt(metric),
                         render.MARGIN, render.TOP, width, render.BOTTOM - render.TOP, colors=colors,
                         title=f"{self.name(metric)}（{self.unit(metric)}）" if self.lang == "zh"
                         else f"{self.name(metric)} ({self.unit(metric)})")
        lines: list[tuple] = []
        if median is None and bool(first.get("suppressed")):
            lines.append((t("suppressed", self.lang), 14, False))
        else:
            lines += [(t("peer_n", self.lang, n=first["n_firms"]), 16, True),
                      (f"{t('peer_median', self.lang)} {self.value(metric, median)}", 16, True),
                      (f"P25 {self.value(metric, first['p25'])}", 14, False),
                      (f"P75 {self.value(metric, first['p75'])}", 14, False)]
        lines.append((t("peer_shown", self.lang, metric=self.name(metric), shown=top.height, n=valued.height,
                        low=int(valued["low_base"].fill_null(False).sum())), 12, False, render.NEUTRAL))
        lines.append((f"{t('low_base', self.lang)}：{self.low_base_rule(metric)}" if self.lang == "zh" else
                      f"{t('low_base', self.lang)}: {self.low_base_rule(metric)}", 12, False, render.NEUTRAL))
        render.text_box(slide, render.MARGIN + width + Inches(0.2), render.TOP + Inches(0.4), Inches(3.4),
                        Inches(4.5), lines, name="peer_note")

    def causes(self) -> None:
        causes = [c for c in COMPLAINTS["causes"] if self.has(c)]
        (by_line,) = COMPLAINTS["by_line"]
        slide = self.slide("causes", t("causes", self.lang, period=self.spec.period), [*causes, by_line])
        width = (render.WIDTH - 2 * render.MARGIN - Inches(0.3)) // 2
        total = self.wh.table(causes, by=[], filters=self.filters)
        render.pie_chart(slide, "chart:causes", [self.name(c) for c in causes],
                         [total[c][0] if total.height else None for c in causes], self.fmt(causes[0]),
                         render.MARGIN, render.TOP, width, render.BOTTOM - render.TOP,
                         title=t("causes_chart", self.lang))
        lines = self.wh.table([by_line], by=["product_line"], filters=self.filters)
        lines = lines.filter(pl.col(by_line).is_not_null()).sort(by_line, descending=True)
        render.bar_chart(slide, "chart:product_lines", [product_line(x, self.lang) for x in lines["product_line"]],
                         [(self.name(by_line), lines[by_line].to_list())], self.fmt(by_line),
                         render.MARGIN + width + Inches(0.3), render.TOP, width, render.BOTTOM - render.TOP,
                         title=t("lines_chart", self.lang), font_size=11)

    def movers(self) -> None:
        metric = OVERVIEW["movers"][0]
        slide = self.slide("movers", t("movers", self.lang, metric=self.name(metric)), [metric],
                           [t("movers_note", self.lang)])
        moves = self.wh.movers(metric, filters=self.filters, n=MOVER_BARS).filter(pl.col("mover_rank").is_not_null())
        kinds = [k for k in FIRM_TYPES if k in moves["firm_type"].to_list()]
        if not kinds:
            render.text_box(slide, render.MARGIN, render.TOP, Inches(8), Inches(1),
                            [(t("no_movers", self.lang), 18, False)])
            return
        width = (render.WIDTH - 2 * render.MARGIN - Inches(0.3)) // max(1, len(kinds)) - \
            (Inches(0.15) if len(kinds) > 1 else 0)
        for i, kind in enumerate(kinds):
            group = moves.filter(pl.col("firm_type") == kind).sort("mover_rank")
            colors = [render.WORSE if (v or 0) > 0 else render.BETTER for v in group["qoq_pct"]] \
                if self.wh.metric(metric).direction == "lower" else None
            render.bar_chart(slide, f"chart:movers_{kind}", group["firm_name"].cast(pl.Utf8).to_list(),
                             [(t("qoq", self.lang), group["qoq_pct"].to_list())], "+0.0%;-0.0%;0.0%",
                             render.MARGIN + i * (width + Inches(0.3)), render.TOP, width,
                             render.BOTTOM - render.TOP - Inches(0.4), colors=colors,
                             title=f"{firm_type(kind, self.lang)} · {t('qoq', self.lang)}")
        render.text_box(slide, render.MARGIN, render.BOTTOM - Inches(0.4), render.WIDTH - 2 * render.MARGIN,
                        Inches(0.4), [(t("movers_note", self.lang), 12, False, render.NEUTRAL)])

    def anomalies(self) -> None:
        slide = self.slide("anomalies", t("anomalies", self.lang, period=self.spec.period),
                           ["complaints_total", "proxy_surrender_share"])
        found = self.wh.anomalies(self.filters)
        self.kpis(slide, ["complaints_total", "proxy_surrender_share"], render.MARGIN, render.TOP,
                  render.WIDTH - 2 * render.MARGIN, Inches(1.55), per_row=2)
        y = render.TOP + Inches(1.75)
        if found.height == 0:
            render.text_box(slide, render.MARGIN, y, Inches(10), Inches(1), [(t("no_anomalies", self.lang), 18,
                                                                              False)])
            return
        shown = found.head(ANOMALY_ROWS)
        if self.lang == "en":
            english = dict(zip(*(self.wh.regions()[c].to_list() for c in ("region_code", "name_en")), strict=True))
            shown = shown.with_columns(pl.col("region_code").replace_strict(english, default=pl.col("region_name"),
                                                                            return_dtype=pl.Utf8).alias("region_name"))
        rows = [[str(r["firm_name"]), str(r["region_name"]), fmt_number(r["complaints"], self.lang),
                 fmt_number(r["expected"], self.lang), self._signed_pct(r["jump_pct"]),
                 NO_VALUE if r["robust_z"] is None else f"{r['robust_z']:.1f}",
                 fmt_pct(r["proxy_surrender_share"], self.lang)] for r in shown.iter_rows(named=True)]
        render.table(slide, "table:anomalies", t("anomaly_header", self.lang).split("|"), rows, render.MARGIN, y,
                     render.WIDTH - 2 * render.MARGIN, Inches(0.38) * (len(rows) + 1),
                     widths=(2.2, 2.2, 1.3, 1.3, 1.3, 1.1, 1.7))
        render.text_box(slide, render.MARGIN, render.BOTTOM - Inches(0.5), render.WIDTH - 2 * render.MARGIN,
                        Inches(0.5), [(t("anomaly_note", self.lang, n=ANOMALY_HISTORY, count=found.height,
                                         shown=shown.height), 11, False, render.NEUTRAL)])

    def _signed_pct(self, value: float | None) -> str:
        text = fmt_pct(value, self.lang)
        return "+" + text if value is not None and value > 0 else text

    def mediation(self) -> None:
        rates = [m for m in MEDIATION["rates"] if self.has(m)]
        volumes = [m for m in MEDIATION["volumes"] if self.has(m)][:3]
        slide = self.slide("mediation", t("mediation", self.lang, period=self.spec.period), [*rates, *volumes])
        left = Inches(5.6)
        self.kpis(slide, [*rates, *volumes], render.MARGIN, render.TOP, left, render.BOTTOM - render.TOP,
                  per_row=2)
        series = self.wh.table(rates, by=["period"], filters=self.trend_filters)
        render.line_chart(slide, "chart:mediation_trend", series["period"].to_list(),
                          [(self.name(m), series[m].to_list()) for m in rates], self.fmt(rates[0]),
                          render.MARGIN + left + Inches(0.3), render.TOP,
                          render.WIDTH - 2 * render.MARGIN - left - Inches(0.3), render.BOTTOM - render.TOP,
                          title=t("mediation_trend", self.lang))

    def outreach(self) -> None:
        groups = [m for m in OUTREACH["groups"] if self.has(m)]
        venues = [m for m in OUTREACH["venues"] if self.has(m)]
        slide = self.slide("outreach", t("outreach", self.lang, period=self.spec.period),
                           ["outreach_reach", "key_group_share", *groups, *venues])
        self.kpis(slide, ["outreach_reach", "key_group_share"], render.MARGIN, render.TOP, Inches(3.6),
                  render.BOTTOM - render.TOP, per_row=1)
        x = render.MARGIN + Inches(3.9)
        width = (render.WIDTH - render.MARGIN - x - Inches(0.3)) // 2
        total = self.wh.table([*groups, *venues], by=[], filters=self.filters)
        for i, (key, ids, title) in enumerate((("groups", groups, "groups_chart"), ("venues", venues, "venues_chart"))):
            render.bar_chart(slide, f"chart:{key}", [self.name(m) for m in ids],
                             [(t(title, self.lang), [total[m][0] if total.height else None for m in ids])],
                             self.fmt(ids[0]), x + i * (width + Inches(0.3)), render.TOP, width,
                             render.BOTTOM - render.TOP, title=t(title, self.lang))

    def coverage(self) -> None:
        metrics = [m for m in COVERAGE if self.has(m)]
        slide = self.slide("coverage", t("coverage", self.lang, period=self.spec.period), metrics,
                           [t("coverage_note", self.lang)])
        self.kpis(slide, metrics, render.MARGIN, render.TOP, render.WIDTH - 2 * render.MARGIN,
                  render.BOTTOM - render.TOP - Inches(0.6), per_row=2)
        render.text_box(slide, render.MARGIN, render.BOTTOM - Inches(0.45), render.WIDTH - 2 * render.MARGIN,
                        Inches(0.45), [(t("coverage_note", self.lang), 12, False, render.NEUTRAL)])

    def map(self, picture: Callable[[Any], bytes]) -> None:
        metric = MAP_METRIC
        source = china_map.boundary_source()
        boundary = t("boundary", self.lang, source=source["source"],
                     origin=source["origin_zh" if self.lang == "zh" else "origin_en"])
        slide = self.slide("map", t("map", self.lang, metric=self.name(metric), period=self.spec.period),
                           [metric], [boundary, source["paragraph"]])
        frame = self.wh.table([metric], by=["province"], filters=self.filters)
        values = {r["province_code"]: r[metric] for r in frame.iter_rows(named=True)}
        names = None
        if self.lang == "en":
            regions = self.wh.regions()
            names = dict(zip(regions["region_code"].to_list(), regions["plain_name_en"].to_list(), strict=True))
        fig = china_map.choropleth(values, unit=self.unit(metric), lang=self.lang, names=names,
                                   title=f"{self.name(metric)}（{self.unit(metric)}）" if self.lang == "zh"
                                   else f"{self.name(metric)} ({self.unit(metric)})")
        height = render.BOTTOM - render.TOP - Inches(0.5)
        width = int(height * china_map.WIDTH / china_map.HEIGHT)
        render.picture(slide, "map", picture(fig), (render.WIDTH - width) // 2, render.TOP, width, height)
        lines: list[tuple] = [(boundary, 12, False, render.NEUTRAL)]
        national = values.get("000000")
        if national is not None:
            lines.insert(0, (t("map_national", self.lang, value=self.value(metric, national)), 12, False))
        render.text_box(slide, render.MARGIN, render.BOTTOM - Inches(0.5), render.WIDTH - 2 * render.MARGIN,
                        Inches(0.5), lines, name="map_source")

    def submissions(self) -> dict[str, int]:
        slide = self.slide("submissions", t("submissions", self.lang, period=self.spec.period))
        # A member sees its own firm's status only (its files are all the query layer gives it).
        registry = self.wh.firms(replace(self.filters, firms=(self.member,)) if self.member else self.filters)
        received = self.wh.submissions(self.filters)
        status = firm_status.firm_status(registry, received, everything=self.wh.submissions(Filters()))
        counts = firm_status.counts(status)
        items = [{"label": t("registry", self.lang), "value": str(registry.height), "changes": [],
                  "name": "kpi:registry"}]
        items += [{"label": firm_label(s, self.lang), "value": str(counts[s]), "changes": [], "name": f"kpi:{s}",
                   "value_color": render.WORSE if s != "accepted" and counts[s] else render.TEXT}
                  for s in FIRM_STATUSES]
        render.tiles(slide, items, render.MARGIN, render.TOP, render.WIDTH - 2 * render.MARGIN, Inches(1.5),
                     per_row=len(items))
        lines: list[tuple] = []
        sep = "、" if self.lang == "zh" else ", "
        for s in ("missing", "held", "rejected"):
            rows = status.filter(pl.col("status") == s)
            names = [str(r["short_name"] or r["firm_id"]) + (f"（{'、'.join(r['missing_periods'])}）"
                                                             if s == "held" and r["missing_periods"] else "")
                     for r in rows.iter_rows(named=True)]
            listed = sep.join(names[:NAMES_LISTED]) + \
                (" " + t("and_more", self.lang, n=len(names)) if len(names) > NAMES_LISTED else "")
            colon = "：" if self.lang == "zh" else ": "
            lines.append((f"{firm_label(s, self.lang)}{colon}{listed or t('none', self.lang)}", 16, False))
        render.text_box(slide, render.MARGIN, render.TOP + Inches(1.8), render.WIDTH - 2 * render.MARGIN,
                        Inches(3.6), lines, name="submission_lists")
        return counts

    def sources(self, accepted: int) -> None:
        slide = self.slide("sources", t("sources", self.lang))
        source = china_map.boundary_source()
        registry = self.wh.firms(self.filters)
        lines = [(t("source_warehouse", self.lang, version=self.version, when=self.when), 16, False),
                 (t("source_registry", self.lang, n=registry.height, accepted=accepted), 16, False),
                 (t("source_population", self.lang), 16, False),
                 (t("boundary", self.lang, source=source["source"],
                    origin=source["origin_zh" if self.lang == "zh" else "origin_en"]), 16, False),
                 (t("source_notes", self.lang, rule=self.low_base_rule(PEER_METRIC)), 16, False)]
        render.text_box(slide, render.MARGIN, render.TOP, render.WIDTH - 2 * render.MARGIN,
                        render.BOTTOM - render.TOP, lines, name="sources")


def slide_keys(spec: Spec, firm_types: Sequence[str] = FIRM_TYPES) -> list[str]:
    """The slides a deck has, in order (the presentation view and the tests read it)."""
    kinds = [spec.firm_type] if spec.firm_type else list(firm_types)
    return ["title", "headlines", "trend", *(f"peers_{k}" for k in kinds), "causes", "movers", "anomalies",
            "mediation", "outreach", "coverage", "map", "submissions", "sources"]


def build(wh: Warehouse, spec: Spec, progress: Progress | None = None,
          picture: Callable[[Any], bytes] | None = None) -> bytes:
    """The deck's PPTX bytes. `picture` renders the map figure (default: kaleido, `china_map.png`; call inside
    `china_map.server()` to share one Chromium among several decks)."""
    if spec.period not in wh.periods():
        raise ValueError(f"数据仓库中没有 {spec.period} 的数据（已有：{'、'.join(wh.periods()) or '无'}）")
    deck = Deck(wh, spec)
    keys = slide_keys(spec)
    steps: list[tuple[str, Callable[[], Any]]] = [("title", deck.title), ("headlines", deck.headlines),
                                                  ("trend", deck.trend)]
    for kind in [spec.firm_type] if spec.firm_type else FIRM_TYPES:
        steps.append((f"peers_{kind}", partial(deck.peers, kind)))
    steps += [("causes", deck.causes), ("movers", deck.movers), ("anomalies", deck.anomalies),
              ("mediation", deck.mediation), ("outreach", deck.outreach), ("coverage", deck.coverage),
              ("map", lambda: deck.map(picture or china_map.png))]
    counts: dict[str, int] = {}
    steps += [("submissions", lambda: counts.update(deck.submissions())),
              ("sources", lambda: deck.sources(counts.get("accepted", 0)))]
    assert [k for k, _ in steps] == keys
    for done, (key, step) in enumerate(steps):
        if progress:
            progress(done, len(steps), key)
        step()
    render.cjk_everywhere(deck.prs)
    if progress:
        progress(len(steps), len(steps), "done")
    import io

    out = io.BytesIO()
    deck.prs.save(out)
    return out.getvalue()


FORMATS = ("pptx", "pdf")


def document(wh: Warehouse, spec: Spec, fmt: str, progress: Progress | None = None) -> bytes:
    """The deck as `fmt` (pptx, or pdf through LibreOffice), with its own kaleido server unless one is running.
    Bytes only: they leave through `query.export.document` (audited), as `make` and the dashboard do."""
    if fmt not in FORMATS:
        raise ValueError(f"输出文件应为 .pptx 或 .pdf：{fmt}")
    with china_map.server():
        pptx = build(wh, spec, progress)
    if fmt == "pptx":
        return pptx
    from deck import pdf

    return pdf.convert(pptx, "deck")


def audit_meta(wh: Warehouse, spec: Spec, who: str | None = None) -> dict:
    """What the audit line records about a deck: its filters, language, the warehouse version, who."""
    meta = export.meta(filters=Filters(period=spec.period, firm_type=spec.firm_type), version=wh.version, who=who)
    meta["filters"]["lang"] = spec.lang
    return meta


def make(wh: Warehouse, spec: Spec, out: Path, progress: Progress | None = None, who: str | None = None) -> Path:
    """Build the deck and hand it out to `out` (.pptx, or .pdf) through query.export (audit line, atomic write)."""
    fmt = out.suffix.lower().lstrip(".")
    if fmt not in FORMATS:
        raise ValueError(f"输出文件应为 .pptx 或 .pdf：{out.name}")
    data = document(wh, spec, fmt, progress)
    export.document(wh.path, data, fmt, out, what="deck", meta=audit_meta(wh, spec, who))
    return out


def deck_period(wh: Warehouse, period: str | None) -> str:
    """The quarter asked for, or the latest the warehouse holds."""
    periods = wh.periods()
    if period:
        return period
    if not periods:
        raise ValueError("数据仓库为空：没有可生成材料的季度")
    return periods[-1]


__all__ = ["Deck", "Progress", "Spec", "audit_meta", "build", "deck_period", "document", "make", "slide_keys"]
