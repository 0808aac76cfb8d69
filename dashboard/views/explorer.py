"""数据浏览与导出 Explorer: choose metrics and dimensions, see the table, download exactly that table (CSV,
XLSX, Parquet — the bytes `xiaobao export` writes for the same filters), and copy a link that reopens it."""

from __future__ import annotations

import re
import shlex

import streamlit as st

from dashboard import page_params, theme, ui
from dashboard.context import current
from dashboard.i18n import pick, t
from dashboard.sizes import table_height
from query import DIMS, catalog, export

# Dimensions the query layer groups by (`wh.table(by=…)`).
DIMENSIONS = tuple(DIMS)
DIM_NAMES = {"period": "quarter", "year": {"zh": "年度", "en": "Year"}, "firm_type": "firm_type", "firm": "firm",
             "province": "province", "region": "region", "product_line": "product_line"}
DEFAULT_METRICS = list(catalog.view("explorer")["default"])
DEFAULT_BY = ["firm"]
MAX_SHOWN = 2000   # rows formatted on screen

FORMATS = ("csv", "xlsx", "parquet")


def cli_command(metrics: list[str], by: list[str], labels: str) -> str:
    """The `xiaobao export` line that writes the same CSV (the shared filters spelled as its options)."""
    f = ctx.filters
    words = ["xiaobao", "export", ",".join(metrics)]
    words += ["--by", ",".join(by)] if by else []
    for option, value in (("--period", f.period), ("--from", f.period_from), ("--to", f.period_to),
                          ("--firm-type", f.firm_type)):
        words += [option, value] if value else []
    for option, values in (("--firm", f.firms), ("--region", f.regions), ("--province", f.provinces)):
        words += [option, ",".join(values)] if values else []
    if ctx.wh.scope.firm_id is not None and ctx.wh.scope.user:  # a member's file: the same user's scope
        words += ["--user", ctx.wh.scope.user]
    words += ["--labels", labels, "--out", export.file_name(f, "csv")]
    # Chinese is safe in a shell; only quote what a shell would read as syntax.
    return " ".join(w if re.fullmatch(r"[\w@%+=:,./-]+", w) else shlex.quote(w) for w in words)


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
    st.warning(message, icon=theme.ICON_WARNING)

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
    ui.empty_result(metrics)
else:
    # Every row is formatted for the screen, so a huge grouping shows its head; downloads hold every row.
    ui.value_table(table.head(MAX_SHOWN), metrics, ctx, height=table_height(min(table.height, MAX_SHOWN)))
    if table.height > MAX_SHOWN:
        st.caption(pick({"zh": f"表格显示前 {MAX_SHOWN:,} 行；下载文件包含全部 {table.height:,} 行。",
                         "en": f"Showing the first {MAX_SHOWN:,} rows; downloads hold all {table.height:,}."}))
    labels = lang   # Chinese or English headers and values, as on screen
    meta = export.meta(ctx.filters, metrics, by, version=ctx.wh.version, who=ui.exporter(ctx))
    for col, fmt in zip(st.columns(len(FORMATS)), FORMATS, strict=True):
        # The file `xiaobao export` writes for the same table, made on click and recorded in the audit trail.
        ui.download(col, t(f"download_{fmt}", lang), table, fmt, file_name=export.file_name(ctx.filters, fmt),
                    key=f"explorer_dl_{fmt}", meta=meta, labels=labels, ctx=ctx, width="stretch")
    st.caption(pick({"zh": "同样的文件可用命令行导出：", "en": "The same file from the command line:"}))
    st.code(cli_command(metrics, by, labels), language="bash", wrap_lines=True)

st.subheader(pick({"zh": "本视图链接", "en": "Link to this view"}))
link = ctx.link({"metrics": ",".join(metrics), "by": ",".join(by)})
st.code((st.context.url or "") + link, language=None, wrap_lines=True)
st.caption(pick({"zh": "复制此链接发给同事：打开后是同样的筛选、指标和维度。",
                 "en": "Copy this link to a colleague: it opens with the same filters, metrics and dimensions."}))
