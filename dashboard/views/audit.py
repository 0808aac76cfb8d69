"""审计日志 Audit log (secretariat only): who logged in, failed to, logged out, changed users, and handed out
which file — newest first, in Beijing time, from the warehouse's audit log (core.audit). Navigation offers the
page to the secretariat only (dashboard/app.py); the page refuses anyone else itself too."""

from __future__ import annotations

from datetime import date, timedelta

import polars as pl
import streamlit as st

from core import audit, clock
from dashboard import session, theme
from dashboard.context import current
from dashboard.i18n import pick

ctx = current()
lang = ctx.lang
st.title(pick({"zh": "审计日志", "en": "Audit log"}))
viewer = session.user()
if viewer is None or viewer.role != "secretariat":
    st.error(pick({"zh": "只有秘书处可以查看审计日志。", "en": "Only the secretariat may read the audit log."}),
             icon=theme.ICON_ERROR)
    st.stop()

today = clock.local(clock.now()).date()
left, right = st.columns(2)
since = left.date_input(pick({"zh": "起始日期（北京时间）", "en": "From (Beijing time)"}),
                        value=today - timedelta(days=30), max_value=today, key="audit_since")
lines = audit.read(ctx.wh.path, since=since if isinstance(since, date) else None)
who_options = [""] + sorted({str(line.get("who") or "") for line in lines} - {""})
who = right.selectbox(pick({"zh": "用户", "en": "User"}), who_options, key="audit_user",
                      format_func=lambda v: audit.plain(v) if v else pick({"zh": "全部用户", "en": "All users"}))
if who:
    lines = [line for line in lines if line.get("who") == who]
st.caption(pick({"zh": f"共 {len(lines)} 条记录（最新的在前）。时间为北京时间；导出记录含筛选条件、行数与格式。",
                 "en": f"{len(lines)} entries, newest first. Times are Beijing time; exports list their filters, "
                       "rows and format."}))
if not lines:
    st.info(pick({"zh": "这段时间没有审计记录。", "en": "No audit entries in this period."}), icon=theme.ICON_INFO)
    st.stop()
rows = [{"time": audit.when(line), "who": audit.plain(line.get("who") or ""),
         "role": audit.plain(line.get("role") or ""),
         "event": audit.plain(audit.event_name(str(line.get("what"))) if lang == "zh" else str(line.get("what"))),
         "details": audit.details(line)} for line in reversed(lines)]
st.dataframe(pl.DataFrame(rows).rename({
    "time": pick({"zh": "时间", "en": "Time"}), "who": pick({"zh": "用户", "en": "User"}),
    "role": pick({"zh": "角色", "en": "Role"}), "event": pick({"zh": "事件", "en": "Event"}),
    "details": pick({"zh": "详情", "en": "Details"})}), hide_index=True, width="stretch")
