"""宣教覆盖 Outreach: reach and reach per 10,000 residents by region, key groups (一老一少一新, 残障),
the 五进入 mix, county coverage (median and max across firms) and the age-friendly outlet share."""

from __future__ import annotations

import functools

import polars as pl
import streamlit as st

from dashboard import sections, ui
from dashboard.charts.bars import mix_bars, ranked_bars
from dashboard.context import current
from dashboard.i18n import pick, t
from dashboard.sections import Section
from query import catalog

VIEW = catalog.view("outreach")
HEADLINES, GROUPS, VENUES, (COVERAGE,) = VIEW["headlines"], VIEW["groups"], VIEW["venues"], VIEW["coverage"]

ctx = current()
ui.page_title(t("page_outreach"), ctx)
if ctx.period is None:
    ui.empty_state("empty_no_data")
    st.stop()


@functools.cache   # this run's: the page's script is run afresh each time
def by_region() -> pl.DataFrame:
    """The page's by-region figures, asked for once a run (one query per grain, not one per chart; cached)."""
    return ctx.localise(ctx.table(VIEW["by_region"], by=["region"]))


def region_bars(metric: str, key: str) -> None:
    frame = by_region()
    flag = f"{metric}__low_base"
    if not ctx.present:   # on the projector the chart's title says it, and the slide needs the height
        st.markdown(f"**{ctx.metric_name(metric)}**")
    if ui.is_empty(frame, [metric]):
        ui.empty_result([metric])
    else:
        ui.chart(ranked_bars(frame, "region_name", metric, title=ctx.metric_name(metric),
                             unit=ctx.metric_unit(metric), lang=ctx.lang,
                             low_base=flag if flag in frame.columns else None, low_base_label=t("low_base"),
                             most=ui.for_screen(frame, metric, ctx=ctx)),
                 key=key)
    ui.metric_help(metric, ctx)


def mix(ids: tuple[str, ...], size: str, title: str, key: str) -> None:
    """Stacked bars by firm of `ids`, for the firms with the largest `size`."""
    present = [m for m in ids if ctx.has_metric(m)]
    frame = ctx.table([*present, size], by=["firm"]) if present else pl.DataFrame()
    if not present or ui.is_empty(frame, present):
        ui.empty_result(present or [size])
        return
    ui.chart(mix_bars(ui.largest(frame, size, ctx), "firm_name", {m: ctx.metric_name(m) for m in present},
                      title=title, unit=ctx.metric_unit(present[0]), lang=ctx.lang), key=key)
    ui.metric_help(present, ctx)


def reach() -> None:
    with ui.slide("reach"):
        st.subheader(pick({"zh": "各地区触达", "en": "Reach by region"}))
        left, right = ui.pair(ctx)
        with left:
            region_bars("outreach_reach", "outreach_reach_region")
        with right:
            region_bars("reach_per_10k_residents", "outreach_per_10k_region")


def groups() -> None:
    with ui.slide("groups"):
        st.subheader(pick({"zh": "重点人群：一老一少一新与残障人士",
                           "en": "Key groups: elderly, youth, new citizens, disabled"}))
        left, right = ui.pair(ctx)
        with left:
            mix(GROUPS, "reach_offline", pick({"zh": "各公司重点人群构成", "en": "Key-group mix by firm"}),
                "outreach_groups")
        with right:
            region_bars("key_group_share", "outreach_key_group_region")


def venues() -> None:
    with ui.slide("venues"):
        st.subheader(pick({"zh": "“五进入”活动构成", "en": "Where events were held (the five settings)"}))
        mix(VENUES, "events", pick({"zh": "各公司五进入场次构成", "en": "Event settings by firm"}), "outreach_venues")


def coverage() -> None:
    with ui.slide("coverage"):
        st.subheader(pick({"zh": "县域覆盖", "en": "County coverage"}))
        st.caption(pick({"zh": "县域覆盖率按公司计算；跨公司只看中位数与最大值，不相加（同一县可被多家公司覆盖）。",
                         "en": "County coverage is per firm; across firms read the median and the maximum, never a "
                               "sum (several firms may cover the same county)."}))
        stats = [m for m in ("county_coverage_median", "county_coverage_max") if ctx.has_metric(m)]
        if stats:
            by_region = ctx.table(stats, by=["region"])
            if ui.is_empty(by_region, stats):
                ui.empty_result(stats)
            else:
                ui.value_table(ui.rows_for_screen(by_region, stats[0], ctx), stats, ctx)


def outlets() -> None:
    with ui.slide("outlets"):
        st.subheader(pick({"zh": "各公司县域覆盖与适老化网点",
                           "en": "County coverage and age-friendly outlets by firm"}))
        by_firm = ctx.table(VIEW["by_firm"], by=["firm"])
        left, right = ui.pair(ctx)
        for column, metric in ((left, COVERAGE), (right, "age_friendly_outlet_share")):
            with column:
                if ui.is_empty(by_firm, [metric]):
                    ui.empty_result([metric])
                    continue
                ui.chart(ranked_bars(by_firm, "firm_name", metric, title=ctx.metric_name(metric),
                                     unit=ctx.metric_unit(metric), lang=ctx.lang,
                                     most=ui.for_screen(by_firm, metric, most=ui.FIRM_BARS, ctx=ctx)),
                         key=f"outreach_{metric}")
                ui.metric_help(metric, ctx)


sections.show("outreach", lambda: ui.headlines(HEADLINES, ctx, per_row=2), [
    Section("reach", pick({"zh": "地区触达", "en": "By region"}), reach),
    Section("groups", pick({"zh": "重点人群", "en": "Key groups"}), groups),
    Section("venues", pick({"zh": "五进入", "en": "Settings"}), venues),
    Section("coverage", pick({"zh": "县域覆盖", "en": "Counties"}), coverage),
    Section("outlets", pick({"zh": "各公司网点", "en": "By firm"}), outlets),
])
