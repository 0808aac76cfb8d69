"""总览 Overview: headline figures with 环比 / 同比, the association trend, the biggest movers, anomalies."""

from __future__ import annotations

import polars as pl
import streamlit as st

from dashboard import sections, ui
from dashboard.charts.bars import change_bars
from dashboard.charts.trend import trend
from dashboard.context import current
from dashboard.filters import plain
from dashboard.i18n import pick, t
from dashboard.sections import Section
from query import catalog

VIEW = catalog.view("overview")
HEADLINES, TREND_METRICS, (MOVERS_METRIC,) = VIEW["headlines"], VIEW["trend"], VIEW["movers"]
MOVERS = 10

ctx = current()
ui.page_title(t("page_overview"), ctx)
if ctx.period is None:
    ui.empty_state("empty_no_data")
    st.stop()


def headlines() -> None:
    st.subheader(pick({"zh": f"{ctx.period} 主要指标（{ui.scope_word(ctx)}）",
                       "en": f"{ctx.period} headline figures ({ui.scope_word(ctx)})"}))
    ui.headlines(HEADLINES, ctx)


def trend_section() -> None:
    with ui.slide("trend"):
        st.subheader(pick({"zh": f"趋势（{ui.scope_word(ctx)}）", "en": f"Trend ({ui.scope_word(ctx)})"}))
        metric = st.selectbox(pick({"zh": "指标", "en": "Metric"}), TREND_METRICS, key="overview_trend_metric",
                              format_func=ctx.metric_name)
        series = ctx.table([metric], by=["period"], filters=ctx.trend())
        if ui.is_empty(series, [metric]):
            ui.empty_result([metric], ctx.trend())
        else:
            ui.chart(trend(series, metric, title=ctx.metric_name(metric), unit=ctx.metric_unit(metric),
                           lang=ctx.lang, low_base=f"{metric}__low_base" if f"{metric}__low_base" in series.columns
                           else None, low_base_label=t("low_base")), key="overview_trend")
        ui.metric_help(metric, ctx)


def movers() -> None:
    """The biggest movers, a slide per firm type: the query layer ranks each type on its own and leaves low-base
    firms unranked (wh.movers); one chart per type, full width: names, bars and "-21.8%（-1.75 件/亿元）" need the
    room."""
    moves = ctx.movers(MOVERS_METRIC, filters=ctx.at(), n=MOVERS)
    groups = list(moves.partition_by("firm_type", as_dict=True, maintain_order=True).items()) if moves.height else []
    for i, ((firm_type,), group) in enumerate(groups or [((None,), moves)]):
        with ui.slide(f"movers_{i}"):   # a key of ASCII: Streamlit turns 财产险 and 人身险 alike into ---
            mover_slide(firm_type, group, last=i == len(groups) - 1)


def mover_slide(firm_type: str | None, group: pl.DataFrame, last: bool) -> None:
    unit = ctx.metric_unit(MOVERS_METRIC)
    st.subheader(pick({"zh": f"环比变动最大的{plain(t(firm_type)) if firm_type else ''}公司："
                             f"{ctx.metric_name(MOVERS_METRIC)}",
                       "en": f"Biggest movers on last quarter{': ' + t(firm_type) if firm_type else ''} · "
                             f"{ctx.metric_name(MOVERS_METRIC)}"}))
    if firm_type is None:
        ui.empty_state(pick({"zh": "没有可比较的上季度数据（首个季度，或上季度分母为零）。",
                             "en": "No previous quarter to compare with (first quarter, or a zero base)."}))
        ui.metric_help(MOVERS_METRIC, ctx)
        return
    ranked = group.filter(pl.col("mover_rank").is_not_null())
    if ranked.height == 0:
        ui.empty_state(pick({"zh": "没有非低基数的公司可比较。",
                             "en": "No firm above the low-base thresholds to compare."}))
    else:
        ui.chart(change_bars(ranked, "firm_name", "qoq_pct", lang=ctx.lang, title=f"{t(firm_type)} · {t('qoq')}",
                             absolute="qoq_abs", unit=unit, before="prev_quarter", after="value",
                             direction=ctx.metric(MOVERS_METRIC).direction),
                 key=f"overview_movers_{firm_type}")
    left_out = int(group["low_base"].sum())
    if left_out:
        st.caption(pick({"zh": f"另有 {left_out} 家{t(firm_type)}公司本季或上季为低基数（"
                               f"{ui.low_base_rule(MOVERS_METRIC, ctx)}），比率波动大，未列入。",
                         "en": f"{left_out} more {t(firm_type)} firm(s) had a low base this quarter or "
                               f"last ({ui.low_base_rule(MOVERS_METRIC, ctx)}) and are not ranked."}))
    if ctx.present or last:   # on the page once, under the last; on each slide
        st.caption(pick({"zh": f"条形为相对变化，括号内为绝对变化（{unit}）；财产险与人身险分别排名。",
                         "en": f"Bars: relative change; in brackets the absolute change ({unit}). "
                               "Property and life firms are ranked separately."}))
        ui.metric_help(MOVERS_METRIC, ctx)


def anomalies() -> None:
    with ui.slide("anomalies"):
        st.subheader(pick({"zh": "异常波动（与自身历史相比）", "en": "Anomalies (against own history)"}))
        found = ctx.anomalies()
        if found.height == 0:
            ui.empty_state(pick({"zh": "本季度没有公司 × 地区的投诉量明显偏离其历史水平。",
                                 "en": "No firm × region complaint count departs markedly from its own history."}))
        else:
            ui.anomaly_table(ui.rows_for_screen(found, ctx=ctx), ctx)


sections.show("overview", headlines, [
    Section("trend", pick({"zh": "趋势", "en": "Trend"}), trend_section),
    Section("movers", pick({"zh": "环比变动", "en": "Biggest movers"}), movers),
    Section("anomalies", pick({"zh": "异常波动", "en": "Anomalies"}), anomalies),
])
