"""数据报送 Submit (members, and the secretariat on a member's behalf): the pre-filled template of an open period,
the upload checked at once with exactly the checks of `xiaobao validate` (etl.intake: the same ingest as the CLI
when it passes), every error listed and downloadable, and the uploader's own history. The secretariat also opens
and closes collection periods here and sees whom to remind.

Everything shown comes from the query layer under the session's scope (query.uploads): a member sees its own
uploads and errors only.
"""

from __future__ import annotations

import tempfile
from datetime import date
from pathlib import Path

import polars as pl
import streamlit as st

from core import clock, collection, untrusted
from core.settings import MIB, registry_path, upload_limit
from core.status import FILE_LABELS, FIRM_LABELS
from dashboard import session, theme, ui
from dashboard.context import current
from dashboard.filters import plain
from dashboard.i18n import pick, t
from etl import intake
from etl.template import write_template
from query import Filters
from query import uploads as portal

ctx = current()
lang = ctx.lang
user = session.user()
st.title(pick({"zh": "数据报送", "en": "Submit data"}))
if user is None or user.role not in ("member", "secretariat"):
    st.error(pick({"zh": "数据报送仅供会员公司和秘书处使用。",
                   "en": "Submitting data is for member firms and the secretariat."}), icon=theme.ICON_ERROR)
    st.stop()
secretariat = user.role == "secretariat"
DONE = "_xb_uploads_done"  # file id of the uploader widget → upload id: one file is received once, not per rerun


@st.cache_data(max_entries=64, show_spinner=False)
def template_bytes(firm_name: str, period: str, version: int) -> bytes:
    with tempfile.TemporaryDirectory(prefix="xiaobao-template-") as tmp:
        path = write_template(Path(tmp) / "template.xlsx", {"firm_name": firm_name, "period": period,
                                                             "version": version})
        return path.read_bytes()


def status_word(status: str) -> str:
    if status == "refused":
        return pick({"zh": "未受理", "en": "Refused"})
    return FILE_LABELS[lang].get(status, status)


def manage_periods() -> None:
    """The secretariat opens and closes collection periods (also `xiaobao period`)."""
    with st.expander(pick({"zh": "报送期间管理（秘书处）", "en": "Collection periods (secretariat)"}),
                     expanded=not collection.open_periods(ctx.wh.path)):
        left, middle, right = st.columns([2, 2, 1], vertical_alignment="bottom")
        quarter = left.text_input(pick({"zh": "季度（如 2025Q4）", "en": "Quarter (e.g. 2025Q4)"}), key="period_new")
        deadline = middle.date_input(pick({"zh": "截止日期（北京时间）", "en": "Deadline (Beijing time)"}),
                                     value=None, key="period_deadline")
        if right.button(pick({"zh": "开放报送", "en": "Open"}), key="period_open", width="stretch"):
            try:
                if not isinstance(deadline, date):
                    raise collection.CollectionError(pick({"zh": "请选择截止日期", "en": "Choose a deadline"}))
                opened = collection.open_period(ctx.wh.path, quarter, deadline, who=user.username)
                st.success(pick({"zh": f"{opened.period} 已开放报送，截止 {opened.deadline}",
                                 "en": f"{opened.period} is open for submissions until {opened.deadline}"}))
            except collection.CollectionError as exc:
                st.error(plain(str(exc)), icon=theme.ICON_ERROR)
        known = collection.periods(ctx.wh.path)
        if known:
            st.dataframe(pl.DataFrame({
                pick({"zh": "季度", "en": "Quarter"}): [p.period for p in known],
                pick({"zh": "截止日期", "en": "Deadline"}): [p.deadline.isoformat() for p in known],
                pick({"zh": "状态", "en": "State"}): [pick({"zh": "开放中", "en": "open"}) if p.is_open
                                                     else pick({"zh": "已关闭", "en": "closed"}) for p in known]}),
                hide_index=True, width="stretch")
            still_open = [p.period for p in known if p.is_open]
            if still_open:
                a, b = st.columns([4, 1], vertical_alignment="bottom")
                closing = a.selectbox(pick({"zh": "关闭报送的季度", "en": "Quarter to close"}), still_open,
                                      key="period_closing")
                if b.button(pick({"zh": "关闭", "en": "Close"}), key="period_close", width="stretch"):
                    collection.close_period(ctx.wh.path, closing, who=user.username)
                    st.rerun()


if secretariat:
    manage_periods()
open_periods = collection.open_periods(ctx.wh.path)
if not open_periods:
    st.info(pick({"zh": "目前没有开放在线报送的季度。", "en": "No quarter is open for submissions."}),
            icon=theme.ICON_INFO)
    st.stop()

by_name = {p.period: p for p in open_periods}
left, right = st.columns(2)
period = left.selectbox(pick({"zh": "报送期间", "en": "Quarter"}), list(by_name), key="upload_period",
                        format_func=lambda p: pick({"zh": f"{p}（截止 {by_name[p].deadline}）",
                                                    "en": f"{p} (due {by_name[p].deadline})"}))
if secretariat:
    registry = ctx.firms()
    names = dict(zip(registry["firm_id"].to_list(), registry["short_name"].to_list(), strict=True))
    firm_id = right.selectbox(pick({"zh": "代为报送的会员公司", "en": "On behalf of"}), list(names),
                              format_func=lambda f: plain(names[f]), key="upload_firm")
else:
    firm_id = user.firm_id
own = ctx.firms(Filters(firms=(firm_id,))) if firm_id else pl.DataFrame()
firm_name = own["short_name"][0] if own.height else ""
if clock.now() >= by_name[period].due():
    st.warning(pick({"zh": f"{period} 的截止日期 {by_name[period].deadline} 已过：仍可报送，文件将标记为迟报。",
                     "en": f"The deadline for {period} ({by_name[period].deadline}) has passed: files are still "
                           "accepted and flagged late."}), icon=theme.ICON_WARNING)

with ui.slide("template"):
    st.subheader(pick({"zh": "① 下载报送模板", "en": "① Download the template"}))
    version = portal.next_version(ctx.wh, firm_id, period) if firm_id else 1
    st.caption(pick({"zh": f"封面已填好公司名称、报送期间 {period} 和版本 {version}"
                           + ("（重报：版本号已加一）" if version > 1 else "") + "；说明工作表列出每个字段和规则。",
                     "en": f"The cover carries the firm, the quarter {period} and version {version}"
                           + (" (a resubmission: the next version)" if version > 1 else "")
                           + "; the 说明 sheet explains every field and rule."}))
    ui.download_document(st, pick({"zh": "下载预填模板（.xlsx）", "en": "Download the pre-filled template (.xlsx)"}),
                         template_bytes(firm_name, period, version), "xlsx", what="template",
                         file_name=f"报送模板_{period}_v{version}.xlsx", key="template_download",
                         meta={"filters": {"period": period}})

with ui.slide("upload"):
    st.subheader(pick({"zh": "② 上传并校验", "en": "② Upload and check"}))
    st.caption(pick({"zh": f"Excel 工作簿（.xlsx、.xls）或 CSV 压缩包（.zip），不超过 {upload_limit() // MIB} MB；"
                           "按文件内容判断类型，含宏的工作簿不予接收。校验与命令行 xiaobao validate 完全相同，"
                           "通过即入库。",
                     "en": "An Excel workbook (.xlsx, .xls) or a zip of CSV files, at most "
                           f"{upload_limit() // MIB} MB; the type is read from the content, workbooks with macros "
                           "are refused. The checks are exactly those of xiaobao validate; a file that passes is "
                           "ingested."}))
    sent = st.file_uploader(pick({"zh": "选择文件", "en": "Choose a file"}), type=["xlsx", "xls", "xlsm", "zip"],
                            key=f"uploader_{period}_{firm_id}",
                            max_upload_size=upload_limit() // MIB + 2)  # MB of 10^6 bytes: room to say why
    done: dict[str, str] = st.session_state.setdefault(DONE, {})
    if sent is not None and sent.file_id not in done:
        with st.spinner(pick({"zh": "正在校验并入库…", "en": "Checking and ingesting…"})):
            got = intake.receive(sent.name, sent.getvalue(), warehouse=ctx.wh.path, registry_path=registry_path(),
                                 who=user.username, role=user.role, firm_id=firm_id)
        done[sent.file_id] = got.upload_id
    latest = portal.receipt(ctx.wh, done[sent.file_id]) if sent is not None and sent.file_id in done else None
    if latest is not None:
        word = status_word(latest.status)
        reason = plain(latest.reason)
        late = pick({"zh": "（迟报）", "en": " (late)"}) if latest.late else ""
        if latest.status == "accepted":
            st.success(f"{word}{late}：{plain(latest.file_name)}", icon=":material/check_circle:")
        elif latest.status in ("refused", "rejected"):
            st.error(f"{word}：{reason}" if reason else word, icon=theme.ICON_ERROR)
        else:
            st.warning(f"{word}{late}：{reason}" if reason else word, icon=theme.ICON_WARNING)
        for kind, items in ((pick({"zh": "错误", "en": "Errors"}), latest.errors),
                            (pick({"zh": "提示（不影响入库）", "en": "Warnings (not blocking)"}), latest.warnings)):
            if not items:
                continue
            columns = ("sheet", "row", "column", "value", "rule", "message")
            table = pl.DataFrame([{c: None if item.get(c) is None else str(item[c]) for c in columns}
                                  for item in items], schema=dict.fromkeys(columns, pl.Utf8))
            table = untrusted.frame(table.with_columns(pl.col("row").cast(pl.Int64, strict=False)))
            st.markdown(f"**{kind}（{len(items)}）**" if lang == "zh" else f"**{kind} ({len(items)})**")
            headers = (("工作表", "Sheet"), ("行", "Row"), ("列", "Column"), ("值", "Value"), ("规则", "Rule"),
                       ("说明", "Message"))
            shown = table.rename({c: pick({"zh": zh, "en": en}) for c, (zh, en) in zip(columns, headers, strict=True)})
            st.dataframe(shown, hide_index=True, width="stretch")
            if items is latest.errors:
                ui.download(st, pick({"zh": "下载错误清单（.xlsx）", "en": "Download the errors (.xlsx)"}), shown,
                            "xlsx", file_name=f"错误清单_{period}.xlsx", key="upload_errors", what="error_list")

with ui.slide("history"):
    st.subheader(pick({"zh": "报送记录", "en": "Your uploads"}) if not secretariat
                 else pick({"zh": "全部上传记录", "en": "Every upload"}))
    history = untrusted.frame(portal.history(ctx.wh))
    if history.height == 0:
        st.caption(pick({"zh": "还没有上传过文件。", "en": "Nothing uploaded yet."}))
    else:
        st.dataframe(history.select(
            clock.shown_expr(pl.col("received_at")).alias(pick({"zh": "上传时间（北京时间）",
                                                                  "en": "Uploaded (Beijing)"})),
            pl.col("file_name").alias(pick({"zh": "文件", "en": "File"})),
            pl.col("period").alias(pick({"zh": "期间", "en": "Quarter"})),
            pl.col("status").replace_strict({s: status_word(s) for s in history["status"].unique().to_list()})
            .alias(pick({"zh": "结果", "en": "Result"})),
            pl.when(pl.col("late")).then(pl.lit(pick({"zh": "迟报", "en": "late"}))).otherwise(pl.lit(""))
            .alias(pick({"zh": "迟报", "en": "Late"})),
            pl.col("n_errors").alias(pick({"zh": "错误数", "en": "Errors"})),
            pl.col("reason").alias(pick({"zh": "原因", "en": "Reason"}))), hide_index=True, width="stretch")

if secretariat:
    with ui.slide("reminders"):
        st.subheader(pick({"zh": f"催报名单（{period}）", "en": f"Reminder list ({period})"}))
        due = portal.reminders(ctx.wh, period)
        if due.height == 0:
            st.caption(pick({"zh": "所有会员公司均已按时入库。", "en": "Every member firm is in, on time."}))
        else:
            table = untrusted.frame(due).select(
                pl.col("short_name").alias(t("firm", lang)),
                pl.col("status").replace(FIRM_LABELS[lang]).alias(pick({"zh": "状态", "en": "Status"})),
                pl.when(pl.col("late")).then(pl.lit(pick({"zh": "迟报", "en": "late"}))).otherwise(pl.lit(""))
                .alias(pick({"zh": "迟报", "en": "Late"})),
                pl.col("filler").fill_null("").alias(pick({"zh": "填报人", "en": "Filled by"})),
                pl.col("phone").fill_null("").alias(pick({"zh": "联系电话", "en": "Phone"})))
            st.dataframe(table, hide_index=True, width="stretch")
            ui.download(st, pick({"zh": "导出催报名单（.xlsx）", "en": "Export the reminder list (.xlsx)"}), table,
                        "xlsx", file_name=f"催报名单_{period}.xlsx", key="reminders_download", what="reminders")
