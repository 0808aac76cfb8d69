"""会议材料 Meeting deck: the chosen quarter's joint-meeting slides (deck/), built on a click with a progress bar,
then downloaded as PPTX (editable charts) or PDF. Built under this session's Scope, like every page: a member's
deck shows its own firm against pseudonymised peers. The file leaves through query.export.document (audited)."""

from __future__ import annotations

import logging

import streamlit as st

from dashboard import theme, ui
from dashboard.context import current
from dashboard.i18n import pick, t
from deck import Spec, document, slide_keys
from deck.build import audit_meta

log = logging.getLogger("xiaobao.dashboard")
BUILT = "deck_built"   # session state: (spec, format, scope firm, warehouse version, bytes) of the last build
STEPS = {"title": ("封面", "Title"), "headlines": ("主要指标", "Headline figures"), "trend": ("趋势", "Trend"),
         "peers": ("同业对比", "Peers"),
         "causes": ("投诉原因与险种", "Causes and product lines"), "movers": ("环比变动", "Movers"),
         "anomalies": ("异常波动", "Anomalies"), "mediation": ("纠纷调解", "Mediation"),
         "outreach": ("宣教覆盖", "Outreach"), "coverage": ("县域覆盖与适老化", "County coverage"),
         "map": ("地图", "Map"), "submissions": ("报送情况", "Submissions"), "sources": ("数据来源", "Sources"),
         "done": ("完成", "Done")}

ctx = current()
ui.page_title(t("page_deck"), ctx)
if ctx.period is None:
    ui.empty_state("empty_no_data")
    st.stop()

spec = Spec(period=ctx.period, firm_type=ctx.filters.firm_type, lang=ctx.lang)
st.markdown(pick({"zh": f"联席会议材料（16:9）：{ctx.period}、{ui.scope_word(ctx)}，共 {len(slide_keys(spec))} 页——"
                        "主要指标及环比/同比、同业对比、投诉原因与险种、环比变动与异常、调解、宣教、地图、报送情况；"
                        "每页备注附指标口径与数据来源。PPTX 中的图表可在 PowerPoint 或 WPS 中直接编辑。",
                  "en": f"Joint-meeting slides (16:9) for {ctx.period}, {ui.scope_word(ctx)}: "
                        f"{len(slide_keys(spec))} slides — headline figures with QoQ/YoY, peers, causes and product "
                        "lines, movers and anomalies, mediation, outreach, the map, submissions; each slide's notes "
                        "give the definitions and sources. The PPTX charts stay editable in PowerPoint or WPS."}))
if ctx.is_range:
    st.caption(pick({"zh": f"材料按季度生成：使用所选区间的最后一季 {ctx.period}。",
                     "en": f"The deck is per quarter: the range's last quarter, {ctx.period}."}))
if ctx.filters.firms or ctx.filters.provinces or ctx.filters.regions:
    st.caption(pick({"zh": "公司与地区筛选不用于会议材料（材料面向全体会员，仅按季度与公司类型）。",
                     "en": "Firm and region filters do not apply to the deck (quarter and firm type only)."}))

fmt = st.segmented_control(pick({"zh": "格式", "en": "Format"}), ["pptx", "pdf"], default="pptx", required=True,
                           key="deck_format", format_func=lambda f: {"pptx": "PPTX（可编辑）", "pdf": "PDF"}[f]
                           if ctx.lang == "zh" else {"pptx": "PPTX (editable)", "pdf": "PDF"}[f])
identity = (spec, fmt, ctx.wh.scope.firm_id, ctx.wh.version)
built = st.session_state.get(BUILT)
if built is not None and built[:4] != identity:
    built = None   # another quarter, format, firm type, language or snapshot: build again

if st.button(pick({"zh": "生成会议材料", "en": "Build the deck"}), type="primary", key="deck_build",
             icon=":material/slideshow:"):
    bar = st.progress(0.0, text=pick({"zh": "正在生成…", "en": "Building…"}))

    def progress(done: int, total: int, key: str) -> None:
        zh, en = STEPS.get(key.split("_")[0], (key, key))
        share = done / total * (0.8 if fmt == "pdf" else 1.0)   # LibreOffice's conversion is the last 20%
        bar.progress(min(share, 1.0), text=pick({"zh": f"正在生成：{zh}（{done}/{total}）",
                                                 "en": f"Building: {en} ({done}/{total})"}))

    try:
        data = document(ctx.wh, spec, fmt, progress)
    except Exception:
        log.exception("deck build failed")
        bar.empty()
        st.error(pick({"zh": "会议材料生成失败，请稍后重试或联系管理员（详情见服务器日志）。",
                       "en": "The deck could not be built; try again or ask the administrator (see the server log)."}),
                 icon=theme.ICON_ERROR)
        st.stop()
    bar.progress(1.0, text=pick({"zh": "已完成", "en": "Done"}))
    built = (*identity, data)
    st.session_state[BUILT] = built

if built is not None:
    data = built[4]
    name = f"xiaobao_{spec.period}{'_' + spec.firm_type if spec.firm_type else ''}_{spec.lang}.{fmt}"
    ui.download_document(st.container(), pick({"zh": f"下载 {fmt.upper()}（{len(data) / 1e6:.1f} MB）",
                                   "en": f"Download {fmt.upper()} ({len(data) / 1e6:.1f} MB)"}), data, fmt,
                         file_name=name, key="deck_download", meta=audit_meta(ctx.wh, spec, ui.exporter(ctx)),
                         ctx=ctx, type="primary")
