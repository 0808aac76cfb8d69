"""纠纷调解 Mediation: participation, success and fulfilment by firm and region, amounts, court-linked
cases, and trends. Success rate divides by cases concluded (结案), which the page says in words."""

from __future__ import annotations

import streamlit as st

from dashboard import sections, theme, ui
from dashboard.charts.bars import ranked_bars
from dashboard.charts.trend import trend
from dashboard.context import current
from dashboard.i18n import pick, t
from dashboard.sections import Section
from query import catalog

# Volumes are shown beside the rates; court-linked share only if the query layer defines it.
RATES, VOLUMES = catalog.view("mediation")["rates"], catalog.view("mediation")["volumes"]

ctx = current()
ui.page_title(t("page_mediation"), ctx)
if ctx.period is None:
    ui.empty_state("empty_no_data")
    st.stop()
st.info(pick({"zh": "调解成功率 = 调解成功件数 ÷ 调解结案件数（以结案为分母：尚未结案的案件不算失败；"
                    "部分协会以受理件数为分母，两者不可直接比较）。",
              "en": "Mediation success rate = cases settled ÷ cases concluded (结案). Cases still open are not "
                    "failures; some associations divide by cases accepted, so figures are not comparable."}),
        icon=theme.ICON_INFO)

# The metric choice is every section's, so it sits above them (and stays on the page whichever is open).
metric = st.segmented_control(pick({"zh": "指标", "en": "Metric"}), [m for m in RATES + VOLUMES
                                                                   if ctx.has_metric(m)],
                              default=RATES[1], required=True, key="mediation_metric", format_func=ctx.metric_name)
name, unit, flag = ctx.metric_name(metric), ctx.metric_unit(metric), f"{metric}__low_base"
ui.metric_help(metric, ctx)


def by_firm_and_region() -> None:
    with ui.slide("by"):
        left, right = ui.pair(ctx)
        for column, by, label in ((left, "firm", "firm_name"), (right, "region", "region_name")):
            with column:
                st.subheader(pick({"zh": f"{name}：按{t(by)}", "en": f"{name} by {t(by, 'en').lower()}"}))
                frame = ctx.localise(ctx.table([metric], by=[by]))
                if ui.is_empty(frame, [metric]):
                    ui.empty_result([metric])
                    continue
                ui.chart(ranked_bars(frame, label, metric, title=name, unit=unit, lang=ctx.lang,
                                     low_base=flag if flag in frame.columns else None, low_base_label=t("low_base"),
                                     most=ui.for_screen(frame, metric, most=ui.FIRM_BARS if by == "firm" else None,
                                                        ctx=ctx)),
                         key=f"mediation_{by}")


def firm_table() -> None:
    with ui.slide("table"):
        st.subheader(pick({"zh": "各公司调解情况", "en": "Mediation by firm"}))
        metrics = [m for m in RATES + VOLUMES if ctx.has_metric(m)]
        frame = ctx.table(metrics, by=["firm"])
        if ui.is_empty(frame, metrics):
            ui.empty_result(metrics)
        else:
            ui.value_table(ui.rows_for_screen(frame, metric, ctx), metrics, ctx)


def over_time() -> None:
    with ui.slide("trend"):
        st.subheader(pick({"zh": f"{name}趋势（{ui.scope_word(ctx)}）",
                           "en": f"{name} over time ({ui.scope_word(ctx)})"}))
        series = ctx.table([metric], by=["period"], filters=ctx.trend())
        if ui.is_empty(series, [metric]):
            ui.empty_result([metric], ctx.trend())
        else:
            ui.chart(trend(series, metric, title=name, unit=unit, lang=ctx.lang,
                           low_base=flag if flag in series.columns else None, low_base_label=t("low_base")),
                     key="mediation_trend")


sections.show("mediation", lambda: ui.headlines(RATES + VOLUMES, ctx), [
    Section("by", pick({"zh": "公司与地区", "en": "Firms, regions"}), by_firm_and_region),
    Section("table", pick({"zh": "各公司明细", "en": "Firm table"}), firm_table),
    Section("trend", pick({"zh": "趋势", "en": "Trend"}), over_time),
])
