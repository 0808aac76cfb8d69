"""同业对标 Peer benchmark: one firm against its peer group (same type, same quarter) — for every metric its
value against the group's P25 / median / P75 and the share of peers it beats (优于 X% 同业), and its rank over
time.

Everything shown comes from `wh.peer_groups` as the query layer returns it: under a member firm's Scope the
other firms are already pseudonyms and small groups already suppressed; this page filters nothing itself.
"""

from __future__ import annotations

import functools

import polars as pl
import streamlit as st

from core import untrusted
from dashboard import page_params, sections, theme, ui
from dashboard.charts.peers import bullet_benchmark, rank_over_time
from dashboard.context import current
from dashboard.filters import plain
from dashboard.i18n import pick, t
from dashboard.sections import Section
from query import BETTER_THAN_DEFINITION, MIN_PEERS

PRESENT_METRICS = 4   # bullet rows a slide on the projector (each three lines of text at the right)
PEER_FIELDS = ("value", "p25", "median", "p75", "better_than_share", "rank", "n_firms", "low_base", "suppressed")

ctx = current()
lang = ctx.lang
ui.page_title(t("page_peers"), ctx)
if ctx.period is None:
    ui.empty_state("empty_no_data")
    st.stop()

firms = ctx.firms(ctx.filters)  # the firms of the chosen type, or those chosen: the ones to benchmark
if firms.height == 0:
    ui.empty_state(pick({"zh": "所选公司类型下没有所选公司：请在侧栏重新选择公司或公司类型。",
                         "en": "None of the chosen firms is of the chosen firm type: choose again in the sidebar."}),
                   lang)
    st.stop()
ids = firms["firm_id"].to_list()
names = dict(zip(ids, firms["short_name"].to_list(), strict=True))
types = dict(zip(ids, firms["firm_type"].to_list(), strict=True))
for message in page_params.seed("peers_focus", "focus_firm", ids, ids[0], lang=lang):
    st.warning(message, icon=theme.ICON_WARNING)
focus = st.selectbox(pick({"zh": "对标公司", "en": "Firm to benchmark"}), ids, key="peers_focus",
                     format_func=lambda f: names.get(f) or f)
page_params.write("focus_firm", focus)
firm_type, firm_name = types[focus], names.get(focus) or focus
st.caption(pick({"zh": f"同业组：{ctx.period} 全部{t(firm_type, lang)}会员公司（全国口径，不受地区筛选影响）。",
                 "en": f"Peer group: every {t(firm_type, lang)} member in {ctx.period} (nationwide; "
                       f"region filters do not apply)."}))

# Rates and the complaint index compare firms of different sizes; counts would only rank size.
metrics = [m for m in ctx.wh.metrics if m.kind in ("rate", "index")]


def focus_rows(metric_ids: list[str], period_from: str, period_to: str) -> dict[tuple[str, str], dict]:
    """(metric, period) → the focus firm's row of the peer table (one query layer call for them all)."""
    groups = ctx.peer_groups(metric_ids, firm_type, period_from, period_to, firms=(focus,))
    return {(r["metric"], r["period"]): r for r in groups.iter_rows(named=True)}


def focus_row(found: dict[tuple[str, str], dict], metric_id: str, period: str) -> dict:
    """PEER_FIELDS of one metric and quarter, all None when the firm has no row there."""
    row = found.get((metric_id, period), {})
    return {k: row.get(k) for k in PEER_FIELDS}


@functools.cache   # this run's: the page's script is run afresh each time
def benchmark_rows() -> list[dict]:
    """The focus firm's row of every rate and index this quarter (the bullets and the table share it; cached)."""
    now = focus_rows([m.id for m in metrics], ctx.period, ctx.period)
    return [{"metric": m.id, "label": ctx.metric_name(m.id), "unit": ctx.metric_unit(m.id), "direction": m.direction,
             **focus_row(now, m.id, ctx.period)} for m in metrics]


def benchmark() -> None:
    bench = pl.DataFrame(benchmark_rows(), infer_schema_length=None)
    # On the projector the metrics' bullet rows come a few to a slide (ui.split_for_screen): fifteen rows of a band,
    # ticks and a three-line label do not fit one screen at projector type.
    parts = ui.split_for_screen(bench, PRESENT_METRICS, ctx)
    for i, part in enumerate(parts):
        with ui.slide("benchmark" if i == 0 else f"benchmark_{i + 1}"):
            of = f" · {i + 1}/{len(parts)}" if len(parts) > 1 else ""
            st.subheader(pick({"zh": f"{plain(firm_name)}与同业（{ctx.period}）{of}",
                               "en": f"{plain(firm_name)} against peers ({ctx.period}){of}"}))
            if bench["median"].null_count() == bench.height:
                ui.empty_result([m.id for m in metrics], ctx.at())
                continue
            ui.chart(bullet_benchmark(part, firm_label=untrusted.plotly(firm_name), lang=lang,
                                      low_base_label=t("low_base", lang), median_label=t("peer_median", lang)),
                     key="peers_bullets" if i == 0 else f"peers_bullets_{i + 1}")
            st.caption(pick({"zh": "菱形为本公司数值（蓝色实心优于同业中位数，橙色带×劣于）；"
                                   "灰条为同业 P25–P75，竖线为中位数。",
                             "en": "Diamond: this firm (solid blue better than the peer median, orange with × worse); "
                                   "grey band: peers' P25–P75; tick: median."}))
            if part["suppressed"].fill_null(False).any():
                st.caption(pick({"zh": f"同业不足 {MIN_PEERS} 家的指标不显示同业分布（保密规则）。",
                                 "en": f"Peer spreads over fewer than {MIN_PEERS} firms are not shown "
                                       "(confidentiality)."}))



def benchmark_table() -> None:
    rows = benchmark_rows()
    bench = pl.DataFrame(rows, infer_schema_length=None)
    table = bench.select(
        pl.col("label").alias(pick({"zh": "指标", "en": "Metric"})),
        pl.Series(firm_name, [ui.fmt_metric(r["metric"], r["value"], ctx) for r in rows]),
        # the firm's position right after its value: a wide table scrolls, and this is what a member reads
        pl.Series(t("better_than", lang), [ui.fmt_better_than(r["better_than_share"], lang) for r in rows]),
        pl.Series(t("rank", lang), [f"{r['rank']} / {r['n_firms']}" if r["rank"] is not None else "—"
                                    for r in rows]),
        *[pl.Series(header, [ui.fmt_metric(r["metric"], r[field], ctx) for r in rows]) for field, header in (
            ("p25", "P25"), ("median", t("peer_median", lang)), ("p75", "P75"))],
        pl.Series(t("low_base", lang), ["⚠" if r["low_base"] else "" for r in rows]),
    )
    tables = ui.split_for_screen(table, ui.PRESENT_ROWS, ctx)   # on the projector a few rows a slide
    for i, part in enumerate(tables):
        with ui.slide("benchmark_table" if i == 0 else f"benchmark_table_{i + 1}"):
            st.dataframe(part, hide_index=True, width="stretch", height=ui.table_height(part.height, ctx),
                         column_config={t("better_than", lang): st.column_config.TextColumn(
                             help=BETTER_THAN_DEFINITION[lang])})
            if i == len(tables) - 1:
                with st.expander(f"ⓘ {t('definition', lang)}"):
                    st.markdown(ui.better_than_help(lang))
                    for m in metrics:
                        st.markdown(ui.metric_help_text(m.id, ctx))



def rank() -> None:
    with ui.slide("rank"):
        st.subheader(pick({"zh": "同业排名变化", "en": "Rank over time"}))
        metric = st.selectbox(pick({"zh": "指标", "en": "Metric"}), [m.id for m in metrics], key="peers_rank_metric",
                              format_func=ctx.metric_name)
        window = ctx.trend()
        periods = [p for p in ctx.periods if (window.period_from or p) <= p <= (window.period_to or p)]
        over_time = focus_rows([metric], periods[0], periods[-1]) if periods else {}
        history = pl.DataFrame([{"period": p, **focus_row(over_time, metric, p)} for p in periods],
                               infer_schema_length=None)
        if history["rank"].null_count() == history.height:
            ui.empty_state("empty_metric", lang)
        else:
            ui.chart(rank_over_time(history, title=f"{untrusted.plotly(firm_name)} · {ctx.metric_name(metric)}",
                                    lang=lang,
                                    rank_label=t("rank", lang), of_label=pick({"zh": "共 {n} 家", "en": "of {n}"}),
                                    low_base_label=t("low_base", lang)), key="peers_rank")
            ui.metric_help(metric, ctx)


sections.show("peers", None, [
    Section("benchmark", pick({"zh": "与同业对比", "en": "Against peers"}), benchmark),
    Section("benchmark_table", pick({"zh": "明细表", "en": "Table"}), benchmark_table),
    Section("rank", pick({"zh": "排名变化", "en": "Rank"}), rank),
])
