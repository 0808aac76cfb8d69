"""地图 Map: any metric by province on a map of the whole territory; click a province to filter every page.

The five separately supervised cities are rolled into their provinces by the query layer's `province`
dimension; figures a firm cannot split (总公司/全国) are shown beside the map, never inside a province.
"""

from __future__ import annotations

from dataclasses import replace

import polars as pl
import streamlit as st

from dashboard import page_params, ui
from dashboard.charts.china_map import choropleth
from dashboard.context import current, request_filters
from dashboard.i18n import pick, t

# Raw figure ↔ rate pairs for the toggle (the rate is the default: raw totals mostly mirror market size).
PAIRS = {
    "complaints_per_100m_premium": "complaints_total", "complaints_per_10k_policies": "complaints_total",
    "complaints_per_10k_insured": "complaints_total", "reach_per_10k_residents": "reach_offline",
    "mediation_success_rate": "mediation_succeeded", "county_coverage_max": "counties_covered",
    "age_friendly_outlet_share": "outlets_age_friendly", "on_time_resolution_rate": "resolved_on_time",
    "proxy_surrender_share": "proxy_surrender_suspected", "regulator_referred_share": "complaints_regulator",
    "mediation_participation_rate": "mediation_voluntary", "mediation_fulfilment_rate": "mediation_fulfilled",
    "key_group_share": "reach_offline",
}
NATIONAL = "000000"

ctx = current()
ui.page_title(t("page_map"), ctx)
if ctx.period is None:
    ui.empty_state("empty_no_data")
    st.stop()

rates = [m for m in PAIRS if ctx.has_metric(m)]
for message in page_params.seed("map_metric", "metric", rates, rates[0], lang=ctx.lang):
    st.warning(message)
left, right = st.columns([3, 1])
with left:
    rate = st.selectbox(pick({"zh": "指标", "en": "Metric"}), rates, key="map_metric", format_func=ctx.metric_name)
page_params.write("metric", rate)
with right:
    raw = st.toggle(pick({"zh": "显示原始数值", "en": "Show raw figure"}), key="map_raw",
                    help=pick({"zh": f"切换为：{ctx.metric_name(PAIRS[rate])}",
                               "en": f"Switch to: {ctx.metric_name(PAIRS[rate])}"}))
metric = PAIRS[rate] if raw and ctx.has_metric(PAIRS[rate]) else rate
name, unit = ctx.metric_name(metric), ctx.metric_unit(metric)
ui.metric_help(metric, ctx)

# The map always draws every province (a clicked province filters the other pages, not the map itself).
frame = ctx.table([metric], by=["province"], filters=replace(ctx.filters, provinces=(), regions=()))
flag = f"{metric}__low_base"
if ui.is_empty(frame, [metric]):
    ui.empty_state("empty_filters")
    st.stop()
provinces = frame.filter(pl.col("province_code") != NATIONAL)
national = frame.filter(pl.col("province_code") == NATIONAL)

with ui.slide("map"):
    fig = choropleth(ctx.localise(provinces), value_col=metric, title=f"{name}（{ctx.period}）" if ctx.lang == "zh"
                     else f"{name} ({ctx.period})", unit=unit, lang=ctx.lang,
                     low_base_col=flag if flag in frame.columns else None)
    event = st.plotly_chart(fig, key="map_chart", on_select="rerun", selection_mode="points",
                            config=ui.PLOTLY_CONFIG, width="stretch", theme=None)
    points = event.selection.points if event and event.selection else []
    clicked = tuple(dict.fromkeys(p.get("location") for p in points if p.get("location")))
    # Act on a new click only: the chart keeps its selection across reruns, the sidebar may have moved on.
    if clicked != st.session_state.get("map_last_click", ()):
        st.session_state["map_last_click"] = clicked
        if clicked:
            request_filters(provinces=clicked)  # every other page now shows these provinces

if national.height and national[metric][0] is not None:
    st.metric(pick({"zh": "总公司/全国（不分地区的数据，未计入任何省份）",
                    "en": "Head office / national (not split by region; in no province)"}),
              ui.fmt_metric(metric, national[metric][0], ctx))

with ui.slide("table"):
    ui.value_table(ctx.table([metric], by=["province"]), [metric], ctx)
