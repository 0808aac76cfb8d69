"""数据浏览与导出 Explorer: choose metrics and dimensions, see the table, download exactly that table (CSV,
XLSX, Parquet — the bytes `xiaobao export` writes for the same filters), and copy a link that reopens it."""

from __future__ import annotations

import streamlit as st

from dashboard import page_params, ui
from dashboard.context import current
from dashboard.i18n import pick, t

# Dimensions the query layer groups by (`wh.table(by=…)`), in the order a table reads best.
DIMENSIONS = ("period", "year", "firm_type", "firm", "province", "region", "product_line")
DIM_NAMES = {"period": "quarter", "year": {"zh": "年度", "en": "Year"}, "firm_type": "firm_type", "firm": "firm",
             "province": "province", "region": "region", "product_line": "product_line"}
DEFAULT_METRICS = ["complaints_total", "complaints_per_100m_premium"]
DEFAULT_BY = ["firm"]

ctx = current()
lang = ctx.lang
ui.page_title(t("page_explorer"), ctx)
if ctx.period is None:
    ui.empty_state("empty_no_data")
    st.stop()


def dim_name(dim: str) -> str:
    name = DIM_NAMES[dim]
    return pick(name, lang) if isinstance(name, dict) else t(name, lang)


metric_ids = [m.id for m in ctx.wh.metrics]
messages = page_params.seed("explorer_metrics", "metrics", metric_ids,
                            [m for m in DEFAULT_METRICS if m in metric_ids] or metric_ids[:1], multi=True, lang=lang)
messages += page_params.seed("explorer_by", "by", DIMENSIONS, DEFAULT_BY, multi=True, lang=lang)
for message in messages:
    st.warning(message, icon="⚠️")

left, right = st.columns([3, 2])
metrics = left.multiselect(pick({"zh": "指标", "en": "Metrics"}), metric_ids, key="explorer_metrics",
                           format_func=ctx.metric_name, placeholder=pick({"zh": "选择指标", "en": "Choose metrics"}))
by = right.multiselect(pick({"zh": "维度（分组）", "en": "Dimensions (group by)"}), DIMENSIONS, key="explorer_by",
                       format_func=dim_name,
                       placeholder=pick({"zh": "不分组：全协会合计", "en": "None: the association total"}))
page_params.write("metrics", metrics)
page_params.write("by", by)
if not metrics:
    ui.empty_state(pick({"zh": "请至少选择一个指标。", "en": "Choose at least one metric."}), lang)
    st.stop()
with st.expander(f"ⓘ {t('definition', lang)}"):
    for metric in metrics:
        st.markdown(ui.metric_help_text(metric, ctx))

try:
    table = ctx.table(metrics, by)
except ValueError as err:
    # The query layer refuses combinations it cannot answer (e.g. 险种 with a metric not split by product
    # line) with a message saying why; that message is the explanation the reader needs.
    ui.empty_state(str(err), lang)
    st.stop()

st.caption(pick({"zh": f"共 {table.height:,} 行", "en": f"{table.height:,} rows"}))
if table.height == 0:
    ui.empty_state("empty_filters", lang)
else:
    ui.value_table(table, metrics, ctx, height=min(600, 38 * table.height + 40))
    ui.download_buttons(table, ctx.filters, metrics, by, key="explorer_dl", ctx=ctx)

st.subheader(pick({"zh": "本视图链接", "en": "Link to this view"}))
link = ctx.link({"metrics": ",".join(metrics), "by": ",".join(by)})
st.code((st.context.url or "") + link, language=None, wrap_lines=True)
st.caption(t("share_link", lang))
