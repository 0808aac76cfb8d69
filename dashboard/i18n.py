"""UI strings in Simplified Chinese (default) and English.

Shared labels live in STRINGS; a page keeps its own few strings with `pick({"zh": …, "en": …})`.
Metric names, units and definitions are never typed here: they come from `wh.metrics` (the query layer).
"""

from __future__ import annotations

from collections.abc import Mapping

from core.reference import FIRM_TYPES, FIRM_TYPES_EN

LANGS = ("zh", "en")
DEFAULT_LANG = "zh"
# The session-state key app.py writes the chosen language under; `t()` without `lang` reads it.
LANG_STATE_KEY = "_xb_lang"

STRINGS: dict[str, dict[str, str]] = {
    "app_title": {"zh": "消保分析", "en": "Consumer-protection analytics"},
    # navigation
    "section_analysis": {"zh": "分析", "en": "Analysis"},
    "section_benchmark": {"zh": "对标与导出", "en": "Benchmark & export"},
    "section_submissions": {"zh": "报送管理", "en": "Submissions"},
    "page_overview": {"zh": "总览", "en": "Overview"},
    "page_complaints": {"zh": "投诉分析", "en": "Complaints"},
    "page_mediation": {"zh": "纠纷调解", "en": "Mediation"},
    "page_outreach": {"zh": "宣教覆盖", "en": "Outreach"},
    "page_map": {"zh": "地图", "en": "Map"},
    "page_peers": {"zh": "同业对标", "en": "Peer benchmark"},
    "page_explorer": {"zh": "数据浏览与导出", "en": "Explorer & export"},
    "page_submissions": {"zh": "报送情况", "en": "Submissions"},
    "page_deck": {"zh": "会议材料", "en": "Meeting deck"},
    # sidebar filters
    "filters": {"zh": "筛选", "en": "Filters"},
    "language": {"zh": "语言 / Language", "en": "Language / 语言"},
    "present": {"zh": "演示模式", "en": "Presentation mode"},
    "present_help": {"zh": "联席会议投影用：隐藏侧栏，字号放大，每屏一个要点。",
                     "en": "For joint meetings on a projector: no sidebar, larger type, one headline per screen."},
    "present_exit": {"zh": "退出演示模式", "en": "Leave presentation mode"},
    "span": {"zh": "期间", "en": "Period"},
    "span_single": {"zh": "单季", "en": "Quarter"},
    "span_range": {"zh": "区间", "en": "Range"},
    "period": {"zh": "报告期", "en": "Quarter"},
    "period_from": {"zh": "起", "en": "From"},
    "period_to": {"zh": "止", "en": "To"},
    "firm_type": {"zh": "公司类型", "en": "Firm type"},
    "all_types": {"zh": "全部类型", "en": "All types"},
    "firms": {"zh": "公司", "en": "Firms"},
    "all_firms": {"zh": "全部公司", "en": "All firms"},
    "provinces": {"zh": "省份", "en": "Provinces"},
    "regions": {"zh": "地区（含计划单列市）", "en": "Regions (incl. separately supervised cities)"},
    "all_regions": {"zh": "全部地区", "en": "All regions"},
    "reset_filters": {"zh": "重置筛选", "en": "Reset filters"},
    "share_link": {"zh": "本视图链接（复制后可在任一页面打开同一视图）",
                   "en": "Link to this view (opens the same view on any page)"},
    # the firm types by their Chinese names (core.reference holds the English ones)
    **{kind: {"zh": kind, "en": FIRM_TYPES_EN[kind]} for kind in FIRM_TYPES},
    # shared rendering
    "definition": {"zh": "口径", "en": "Definition"},
    "low_base": {"zh": "⚠ 低基数", "en": "⚠ low base"},
    "low_base_note": {"zh": "⚠ 低基数：分母过小，比率仅供参考。",
                      "en": "⚠ low base: the denominator is small, read the rate with care."},
    "no_value": {"zh": "—", "en": "—"},
    "qoq": {"zh": "环比", "en": "QoQ"},
    "yoy": {"zh": "同比", "en": "YoY"},
    "download_csv": {"zh": "下载 CSV", "en": "Download CSV"},
    "download_xlsx": {"zh": "下载 XLSX", "en": "Download XLSX"},
    "download_parquet": {"zh": "下载 Parquet", "en": "Download Parquet"},
    "firm": {"zh": "公司", "en": "Firm"},
    "region": {"zh": "地区", "en": "Region"},
    "province": {"zh": "省份", "en": "Province"},
    "quarter": {"zh": "季度", "en": "Quarter"},
    "product_line": {"zh": "险种", "en": "Product line"},
    "peer_median": {"zh": "同业中位数", "en": "Peer median"},
    "rank": {"zh": "排名", "en": "Rank"},
    "better_than": {"zh": "优于同业", "en": "Better than peers"},
    "value": {"zh": "数值", "en": "Value"},
    # empty states and errors
    "empty_no_data": {"zh": "数据仓库中还没有数据。请先用 `xiaobao ingest` 导入会员公司的报送文件。",
                      "en": "The warehouse holds no data yet. Load member submissions with `xiaobao ingest` first."},
    "empty_filters": {"zh": "当前筛选条件下没有数据：所选期间、公司类型、公司和地区的组合没有报送记录。"
                            "请放宽筛选条件（例如选择“全部公司”或其他期间）。",
                      "en": "Nothing matches the current filters: no submission covers this combination of "
                            "period, firm type, firms and regions. Widen the filters (all firms, another period)."},
    "empty_metric": {"zh": "所选范围内该指标没有可计算的数值（分母为零或未报送）。",
                     "en": "This metric has no value in the chosen scope (zero or unreported denominator)."},
    "page_error": {"zh": "抱歉，本页面暂时无法显示。错误已记录在服务器日志中，请稍后重试或联系管理员。"
                         "其他页面不受影响。",
                   "en": "Sorry, this page cannot be shown right now. The error is in the server log; "
                         "try again later or contact the administrator. Other pages still work."},
    "warehouse_error": {"zh": "无法打开数据仓库，请检查 XIAOBAO_WAREHOUSE 设置或联系管理员。",
                        "en": "The warehouse cannot be opened; check XIAOBAO_WAREHOUSE or contact the administrator."},
    "data_version": {"zh": "数据版本", "en": "Data version"},
    # bad URL parameters (formatted with .format(name=…, value=…, default=…))
    "bad_param": {"zh": "链接参数 {name}={value} 无效，已改用 {default}。",
                  "en": "Link parameter {name}={value} is not valid; using {default} instead."},
    "bad_param_dropped": {"zh": "链接参数 {name} 中的 {value} 无法识别，已忽略。",
                          "en": "Link parameter {name}: {value} is not recognised and was ignored."},
    "bad_param_firm_type": {"zh": "链接参数 firm 中的 {value} 是{kind}公司，不属于所选的{chosen}，已忽略。",
                            "en": "Link parameter firm: {value} is a {kind} firm, not {chosen}; it was ignored."},
    "firm_type_dropped": {"zh": "所选公司 {value} 是{kind}公司，不属于所选的{chosen}，已从公司筛选中移除。",
                          "en": "{value} is a {kind} firm, not {chosen}: it was taken out of the firm filter."},
    "page_not_found": {"zh": "找不到页面“{value}”，已打开总览。",
                       "en": "There is no page “{value}”; showing the overview instead."},
    "bad_param_range": {"zh": "链接参数 from={value} 晚于 to={default}，已交换起止期间。",
                        "en": "Link parameter from={value} is later than to={default}; the two were swapped."},
    "bad_param_both": {"zh": "链接同时给出 period 和 from/to，已按单季 period 显示。",
                       "en": "The link gives both period and from/to; showing the single quarter (period)."},
}


def current_lang() -> str:
    """The language chosen in the running Streamlit session, or the default outside one."""
    import streamlit as st

    if not st.runtime.exists():  # plain Python, tests of pure code
        return DEFAULT_LANG

    lang = st.session_state.get(LANG_STATE_KEY, DEFAULT_LANG)
    return lang if lang in LANGS else DEFAULT_LANG


def t(key: str, lang: str | None = None) -> str:
    """The shared string `key` in `lang` (default: the session's language); the key itself if unknown."""
    entry = STRINGS.get(key)
    if entry is None:
        return key
    return entry[lang or current_lang()]


def pick(texts: Mapping[str, str], lang: str | None = None) -> str:
    """A page-local string: `pick({"zh": "…", "en": "…"})`."""
    return texts[lang or current_lang()]
