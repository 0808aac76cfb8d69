"""地图 Map: any metric by province on a map of the whole territory; click a province to filter every page.

The five separately supervised cities are rolled into their provinces by the query layer's `province`
dimension; figures a firm cannot split (总公司/全国) are the headline above the map, never inside a province.
Page URL parameters: `metric` (a rate below), `raw=1` (its raw figure instead) and `section` (`map` or `table`,
dashboard/sections.py; the metric chosen above them serves both).
"""

from __future__ import annotations

from dataclasses import replace

import polars as pl
import streamlit as st

from dashboard import page_params, sections, theme, ui
from dashboard.charts.china_map import choropleth
from dashboard.context import current, request_filters
from dashboard.i18n import pick, t
from dashboard.sections import Section
from query import catalog

# Each rate and the raw figure the toggle shows instead (its numerator, so the two always read together), or None
# where no raw figure applies: query/metrics.toml [map] says which and why.
PAIRS = catalog.MAP_RAW
NATIONAL = "000000"

ctx = current()
ui.page_title(t("page_map"), ctx)
if ctx.period is None:
    ui.empty_state("empty_no_data")
    st.stop()

rates = [m for m in PAIRS if ctx.has_metric(m)]
for message in page_params.seed("map_metric", "metric", rates, rates[0], lang=ctx.lang):
    st.warning(message, icon=theme.ICON_WARNING)
if "map_raw" not in st.session_state:
    st.session_state["map_raw"] = st.query_params.get("raw") == "1"
left, right = st.columns([3, 1], vertical_alignment="bottom")
rate = left.selectbox(pick({"zh": "指标", "en": "Metric"}), rates, key="map_metric", format_func=ctx.metric_name)
pair = PAIRS[rate] if PAIRS[rate] and ctx.has_metric(PAIRS[rate]) else None
raw = right.toggle(pick({"zh": "显示原始数值", "en": "Show raw figure"}), key="map_raw", disabled=pair is None,
                   help=pick({"zh": f"切换为：{ctx.metric_name(pair)}", "en": f"Switch to: {ctx.metric_name(pair)}"})
                   if pair else pick({"zh": "该指标没有对应的原始数值。", "en": "No raw figure applies."}))
page_params.write("metric", rate)
if raw != ("raw" in st.query_params):
    if raw:
        st.query_params["raw"] = "1"
    else:
        del st.query_params["raw"]
metric = pair if raw and pair else rate
name, unit = ctx.metric_name(metric), ctx.metric_unit(metric)
ui.metric_help(metric, ctx)

# The map always draws every province: a clicked province filters the other pages, not the map itself. Every
# section shows this frame (the headlines its 总公司/全国 row): asked once, before them.
frame = ctx.table([metric], by=["province"], filters=replace(ctx.filters, provinces=(), regions=()))
flag = f"{metric}__low_base"
if ui.is_empty(frame, [metric]):
    ui.empty_result([metric], replace(ctx.filters, provinces=(), regions=()))
    st.stop()


def headlines() -> None:
    """The one figure the map cannot show: what firms report for 总公司/全国, in no province."""
    national = frame.filter(pl.col("province_code") == NATIONAL)
    if national.height and national[metric][0] is not None:
        st.metric(pick({"zh": "总公司/全国（不分地区的数据，未计入任何省份）",
                        "en": "Head office / national (not split by region; in no province)"}),
                  ui.fmt_metric(metric, national[metric][0], ctx))


def china_map() -> None:
    """The map, and the province filter a click on it sets for the other pages."""
    when = ctx.period if not ctx.is_range else f"{ctx.filters.period_from} – {ctx.filters.period_to}"
    regions = ctx.regions()
    # The map and its table are the province dimension (cities rolled in): plain province names.
    region_names = dict(zip(regions["region_code"], regions["plain_name" if ctx.lang == "zh" else "plain_name_en"],
                            strict=True))
    provinces = frame.filter(pl.col("province_code") != NATIONAL)
    with ui.slide("map"):
        fig = choropleth(ctx.localise(provinces), value_col=metric, unit=unit, lang=ctx.lang,
                         title=f"{name}（{when}）" if ctx.lang == "zh" else f"{name} ({when})",
                         low_base_col=flag if flag in frame.columns else None, names=region_names,
                         geojson_url=ui.MAP_GEOJSON_URL)
        event = ui.chart(fig, key="map_chart", on_select="rerun", selection_mode="points")
        points = event.selection.points if event and event.selection else []
        clicked = tuple(dict.fromkeys(p.get("location") for p in points if p.get("location")))
        # Act on a new click only: the chart keeps its selection across reruns, the sidebar may have moved on.
        if clicked != st.session_state.get("map_last_click", ()):
            st.session_state["map_last_click"] = clicked
            if clicked:
                request_filters(provinces=clicked)  # every other page now shows these provinces

    if ctx.filters.provinces or ctx.filters.regions:
        own_rows = dict(zip(regions["region_code"], regions["region_name" if ctx.lang == "zh" else "name_en"],
                            strict=True))
        chosen = [region_names.get(c, c) for c in ctx.filters.provinces] + \
            [own_rows.get(c, c) for c in ctx.filters.regions]
        note, clear = st.columns([4, 1], vertical_alignment="center")
        note.info(pick({"zh": "其他页面只显示：{}。地图始终显示全部省份，点击省份即可切换。",
                        "en": "Other pages show only: {}. The map always shows every province; click one to switch."})
                  .format(("、" if ctx.lang == "zh" else ", ").join(chosen)))
        if clear.button(pick({"zh": "清除地区筛选", "en": "Clear region filter"}), key="map_clear"):
            request_filters(provinces=(), regions=())
    else:
        st.caption(pick({"zh": "点击地图上的省份，其他页面即按该省份筛选。",
                         "en": "Click a province to filter the other pages to it."}))


def table() -> None:
    with ui.slide("table"):
        ui.value_table(ui.rows_for_screen(frame, metric, ctx), [metric], ctx)  # the map's numbers, 总公司/全国 too


sections.show("map", headlines, [
    Section("map", pick({"zh": "地图", "en": "Map"}), china_map),
    Section("table", pick({"zh": "数值表", "en": "Table"}), table),
])
