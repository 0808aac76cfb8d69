"""报送情况 Submissions (secretariat): for the chosen quarter, which member firms have submitted, which are
missing, the rejected and held files with every reason (original file and error list downloadable), and
each firm's resubmission history."""

from __future__ import annotations

import polars as pl
import streamlit as st

from core.contract import BASIS_LABELS
from core.status import FIRM_STATUSES
from dashboard import sections, theme, ui
from dashboard import submission_status as status
from dashboard.context import current
from dashboard.filters import plain
from dashboard.i18n import pick, t
from dashboard.sections import Section
from query import firm_status

ctx = current()
lang = ctx.lang
everything = ctx.submissions()
# With no accepted figures yet the warehouse has no quarter to choose, but rejected files must still show.
period = ctx.period or everything["period"].drop_nulls().max()
st.title(f"{t('page_submissions', lang)} · {period}" if period else t("page_submissions", lang))
st.text(ui.context_line(ctx))
if everything.height == 0:
    ui.empty_state("empty_no_data")
    st.stop()
if ctx.is_range:
    st.caption(pick({"zh": f"报送情况按季度查看：显示所选区间的最后一季 {period}。",
                     "en": f"Submissions are shown per quarter: the last quarter of the range, {period}."}))

registry = ctx.firms(ctx.filters)
# The quarter's files of the chosen firms, and files whose quarter or firm could not be read (the query layer
# keeps those in view whatever the filters: nobody else would see them).
received = ctx.submissions(ctx.at(period) if period else ctx.filters)
firms = firm_status.firm_status(registry, received, everything=everything)
counts = firm_status.counts(firms)
short = dict(zip(registry["firm_id"].to_list(), registry["short_name"].to_list(), strict=True))
who = pl.col("firm_id").replace_strict(short, default=pl.col("firm_name_raw"), return_dtype=pl.Utf8)


def summary() -> None:
    cols = st.columns(6)
    cols[0].metric(pick({"zh": "应报公司", "en": "Member firms"}), registry.height, border=True)
    for col, key in zip(cols[1:5], FIRM_STATUSES, strict=True):
        col.metric(status.label(key, lang), counts[key], border=True)
    cols[5].metric(pick({"zh": "收到文件", "en": "Files received"}), received.height, border=True)
    missing = [r["short_name"] for r in firms.iter_rows(named=True) if r["status"] == "missing"]
    if missing:
        st.warning(pick({"zh": "未报送：", "en": "Missing: "})
                   + ("、" if lang == "zh" else ", ").join(map(plain, missing)),  # names read as written
                   icon=theme.ICON_MISSING)


def by_firm() -> None:
    with ui.slide("firms"):
        st.subheader(pick({"zh": f"各公司报送状态（{period}）", "en": f"Status by firm ({period})"}))
        st.dataframe(firms.select(
            pl.col("short_name").alias(t("firm", lang)),
            pl.col("firm_type").replace({k: t(k, lang) for k in ("财产险", "人身险")}).alias(t("firm_type", lang)),
            pl.col("status").replace(status.LABELS[lang]).alias(pick({"zh": "状态", "en": "Status"})),
            pl.Series(pick({"zh": "原因", "en": "Reason"}),
                      [status.firm_reason(r, lang) for r in firms.iter_rows(named=True)], dtype=pl.Utf8),
            pl.col("version").cast(pl.Utf8).fill_null("").alias(pick({"zh": "入库版本", "en": "Accepted version"})),
            pl.col("files").alias(pick({"zh": "文件数", "en": "Files"})),
            status.received_text("last_received").alias(
                pick({"zh": "最近接收（北京时间）", "en": "Last received (Beijing)"})),
            pl.col("last_file_status").replace(status.FILE_LABELS[lang])
            .alias(pick({"zh": "最近文件状态", "en": "Last file"})),
        ), hide_index=True, width="stretch", height=ui.table_height(firms.height, ctx),
            column_config={pick({"zh": "原因", "en": "Reason"}): st.column_config.TextColumn(width="large")})


def problems() -> None:
    with ui.slide("problems"):
        problems = firm_status.problem_files(received).with_columns(who.alias("who"))
        st.subheader(pick({"zh": f"退回与暂缓的文件（{problems.height}）",
                           "en": f"Rejected and held files ({problems.height})"}))
        if problems.height == 0:
            st.success(pick({"zh": "本季没有被退回或暂缓的文件。", "en": "No file was rejected or held this quarter."}))
        for i, row in enumerate(problems.iter_rows(named=True)):
            replaced = status.replaced_note(row, lang)
            state = status.label(row["status"], lang, file=True) + (
                f"（{replaced}）" if replaced and lang == "zh" else f" ({replaced})" if replaced else "")
            # An expander label is markdown: the member's file name is escaped to read as typed.
            title = f"{state} · {plain(row['who'] or '—')} · {plain(row['file_name'])}"
            with st.expander(title, expanded=i == 0):
                if replaced:
                    st.caption(pick({"zh": "该公司本季的数据以已入库的版本为准；此文件仅留存备查。",
                                     "en": "The firm's figures for the quarter are the accepted version's; "
                                           "this file is kept for the record."}))
                lines, n_lines = status.first_lines("\n".join(status.reason_lines(row, lang)))
                if lines:
                    st.text("\n".join(lines))  # the member's cell values, as plain text
                issues = status.issues_frame(row["issues_json"])
                if issues.height:
                    st.dataframe(status.issues_table(issues.head(status.ISSUES_SHOWN), lang), hide_index=True,
                                 width="stretch")
                total = issues.height or n_lines  # the issue list, else the reasons' lines
                if total > status.ISSUES_SHOWN:
                    st.caption(pick({"zh": f"共 {total:,} 条，页面显示前 {status.ISSUES_SHOWN} 条；"
                                           "完整清单请下载错误清单。",
                                     "en": f"{total:,} in all; the first {status.ISSUES_SHOWN} are shown. Download the "
                                           "error list for every one."}))
                left, right = st.columns(2)
                ui.download_original(left, pick({"zh": "下载原始文件", "en": "Download the original file"}),
                                     row["submission_id"], row["file_name"], key=f"original_{row['submission_id']}",
                                     ctx=ctx, width="stretch")
                ui.download(right, pick({"zh": "下载错误清单（CSV）", "en": "Download the error list (CSV)"}),
                            status.issues_table(issues, lang), "csv",
                            file_name=f"{row['file_name']}.{pick({'zh': '错误清单', 'en': 'errors'})}.csv",
                            key=f"issues_{row['submission_id']}", what="error_list",
                            meta={"filters": {"submission_id": row["submission_id"]}, "version": ctx.wh.version},
                            ctx=ctx, width="stretch",
                            disabled=issues.height == 0)


def resubmissions() -> None:
    with ui.slide("history"):
        st.subheader(pick({"zh": "报送与重报记录", "en": "Submission and resubmission history"}))
        history = status.history(received).with_columns(who.alias("who"))
        firm_choice = st.selectbox(t("firm", lang), ["", *history["who"].drop_nulls().unique(maintain_order=True)],
                                   format_func=lambda v: v or t("all_firms", lang), key="submissions_history_firm")
        if firm_choice:
            history = history.filter(pl.col("who") == firm_choice)
        st.dataframe(history.select(
            pl.col("who").alias(t("firm", lang)),
            pl.col("file_name").alias(pick({"zh": "文件名", "en": "File"})),
            pl.col("version").alias(pick({"zh": "版本", "en": "Version"})),
            pl.col("basis").replace(BASIS_LABELS[lang]).alias(pick({"zh": "口径", "en": "Basis"})),
            pl.col("status").replace(status.FILE_LABELS[lang]).alias(pick({"zh": "状态", "en": "Status"})),
            pl.col("superseded_by_label").fill_null("").alias(pick({"zh": "被替代为", "en": "Superseded by"})),
            status.received_text().alias(pick({"zh": "接收时间（北京时间）", "en": "Received (Beijing)"})),
            pl.col("n_errors").alias(pick({"zh": "错误", "en": "Errors"})),
            pl.col("n_warnings").alias(pick({"zh": "提示", "en": "Warnings"})),
        ), hide_index=True, width="stretch", height=ui.table_height(history.height, ctx))


sections.show("submissions", summary, [
    Section("firms", pick({"zh": "各公司状态", "en": "By firm"}), by_firm),
    Section("problems", pick({"zh": "退回与暂缓", "en": "Problems"}), problems),
    Section("history", pick({"zh": "重报记录", "en": "History"}), resubmissions),
])
