"""投诉分析 Complaints: rates by firm (against the peer median) and by region, causes and product lines,
the ranking table, and trends for chosen firms."""

from __future__ import annotations

from dataclasses import replace

import polars as pl
import streamlit as st

from dashboard import sections, ui
from dashboard.charts.bars import mix_bars, ranked_bars
from dashboard.charts.trend import trend
from dashboard.context import current
from dashboard.i18n import pick, t
from dashboard.sections import Section
from query import catalog

VIEW = catalog.view("complaints")
RATES, CAUSES, (BY_LINE,) = VIEW["rates"], VIEW["causes"], VIEW["by_line"]
HEADLINES = ("complaints_total", *RATES)   # the page's figures on top: the count and its three rates
TREND_FIRMS = 5   # firms drawn when none is chosen: the highest rates of the quarter

ctx = current()
ui.page_title(t("page_complaints"), ctx)
if ctx.period is None:
    ui.empty_state("empty_no_data")
    st.stop()

metric = st.segmented_control(pick({"zh": "口径", "en": "Rate"}), RATES, default=RATES[0], required=True,
                              key="complaints_rate", format_func=ctx.metric_name)
name, unit, direction = ctx.metric_name(metric), ctx.metric_unit(metric), ctx.metric(metric).direction
flag = f"{metric}__low_base"
ui.metric_help(metric, ctx)

def by_firm() -> None:
    """The firms of each type against their peer median; on the projector the ranking table is a slide of its
    own, after the chart's."""
    ranking = None
    with ui.slide("firms"):
        st.subheader(pick({"zh": f"各公司{name}与同业中位数（{ctx.period}）",
                           "en": f"{name} by firm against the peer median ({ctx.period})"}))
        types = [ctx.filters.firm_type] if ctx.filters.firm_type else ["财产险", "人身险"]
        # Lazy tabs: only the open one is drawn (each holds a bar and a row per firm of its type).
        tabs = st.tabs([t(x) for x in types], key="complaints_type_tab", on_change="rerun")
        for tab, firm_type in zip(tabs, types, strict=True):
            if not tab.open:
                continue
            with tab:
                peers = ctx.peers(metric, ctx.period, firm_type)  # the chosen firms' rows, against the whole group
                if ui.is_empty(peers, ["value"]):
                    ui.empty_result([metric], replace(ctx.at(), firm_type=firm_type))
                    continue
                median = peers["median"].drop_nulls()
                ui.chart(ranked_bars(peers, "firm_name", "value", title=name, unit=unit, lang=ctx.lang,
                                     direction=direction, reference=median[0] if median.len() else None,
                                     reference_label=t("peer_median"), low_base="low_base",
                                     low_base_label=t("low_base"),
                                     most=ui.for_screen(peers, "value", most=ui.FIRM_BARS, label=name, ctx=ctx)),
                         key=f"complaints_peers_{firm_type}")
                if ctx.present:
                    ranking = (firm_type, peers)
                else:
                    ui.peer_table(peers, metric, ctx)
        st.caption(pick({"zh": "同业组 = 同类型、同季度的全部会员公司（全国口径，不受地区筛选影响）。",
                         "en": "Peer group = all members of the same type in the same quarter (nationwide; "
                               "region filters do not apply)."}))
    if ranking is not None:
        with ui.slide("firms_table"):
            st.subheader(pick({"zh": f"{t(ranking[0])}{name}排名", "en": f"{t(ranking[0])}: ranking by {name}"}))
            ui.peer_table(ui.rows_for_screen(ranking[1], "value", ctx, label=name, ordered=True), metric, ctx)


def regions() -> None:
    with ui.slide("regions"):
        st.subheader(pick({"zh": f"各地区{name}", "en": f"{name} by region"}))
        by_region = ctx.localise(ctx.table([metric], by=["region"]))
        if ui.is_empty(by_region, [metric]):
            ui.empty_result([metric])
        else:
            ui.chart(ranked_bars(by_region, "region_name", metric, title=name, unit=unit, lang=ctx.lang,
                                 low_base=flag if flag in by_region.columns else None, low_base_label=t("low_base"),
                                 most=ui.for_screen(by_region, metric, ctx=ctx)),
                     key="complaints_regions")


def causes() -> None:
    with ui.slide("causes"):
        st.subheader(pick({"zh": "投诉原因与险种", "en": "Causes and product lines"}))
        left, right = ui.pair(ctx)
        with left:
            shown = [c for c in CAUSES if ctx.has_metric(c)]
            by_firm = ctx.table([*shown, "complaints_total"], by=["firm"]) if shown else pl.DataFrame()
            if not shown or ui.is_empty(by_firm, shown):
                ui.empty_result(shown or ["complaints_total"])
            else:
                ui.chart(mix_bars(ui.largest(by_firm, "complaints_total", ctx), "firm_name",
                                  {c: ctx.metric_name(c) for c in shown},
                                  title=pick({"zh": "投诉原因构成", "en": "Mix of causes"}),
                                  unit=ctx.metric_unit(shown[0]), lang=ctx.lang), key="complaints_causes")
                ui.metric_help(shown, ctx)
        with right:
            lines = ctx.localise(ctx.table([BY_LINE], by=["product_line"]))
            if ui.is_empty(lines, [BY_LINE]):
                ui.empty_result([BY_LINE])
            else:
                ui.chart(ranked_bars(lines, "product_line", BY_LINE, title=pick({"zh": "各险种投诉件数",
                                                                                "en": "Complaints by product line"}),
                                     unit=ctx.metric_unit(BY_LINE), lang=ctx.lang,
                                     most=ui.for_screen(lines, BY_LINE, ctx=ctx)), key="complaints_lines")
                ui.metric_help(BY_LINE, ctx)


def over_time() -> None:
    with ui.slide("trend"):
        st.subheader(pick({"zh": f"{name}趋势", "en": f"{name} over time"}))
        firms = list(ctx.filters.firms)
        if not firms:
            latest = ctx.table([metric], by=["firm"], filters=ctx.at())
            if flag in latest.columns:
                latest = latest.filter(~pl.col(flag).fill_null(False))
            firms = latest.drop_nulls(metric).sort(metric, descending=True)["firm_id"].head(TREND_FIRMS).to_list()
            st.caption(pick({"zh": f"未选择公司：显示本季{name}最高的 {TREND_FIRMS} 家（不含低基数）。",
                             "en": f"No firm chosen: the {TREND_FIRMS} highest this quarter (low base excluded)."}))
        series = ctx.table([metric], by=["firm", "period"], filters=replace(ctx.trend(), firms=tuple(firms)))
        if ui.is_empty(series, [metric]):
            ui.empty_result([metric], replace(ctx.trend(), firms=tuple(firms)))
        else:
            ui.chart(trend(series, metric, title=name, unit=unit, lang=ctx.lang, series="firm_name",
                           low_base=flag if flag in series.columns else None, low_base_label=t("low_base")),
                     key="complaints_trend")


sections.show("complaints", lambda: ui.headlines(HEADLINES, ctx, per_row=4), [
    Section("firms", pick({"zh": "各公司", "en": "By firm"}), by_firm),
    Section("regions", pick({"zh": "各地区", "en": "By region"}), regions),
    Section("causes", pick({"zh": "原因与险种", "en": "Causes"}), causes),
    Section("trend", pick({"zh": "趋势", "en": "Trend"}), over_time),
])
