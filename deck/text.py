"""The deck's words, Chinese first (English with `--lang en`). Metric names, units and definitions are the query
layer's (query/metrics.toml); status labels core/status.py's; nothing here names a figure."""

from __future__ import annotations

import os

from core.contract import PRODUCT_LINES_EN
from core.reference import FIRM_TYPES_EN

# The association's name on the title slide; XIAOBAO_ASSOCIATION overrides it (one association per installation).
ASSOCIATION = {"zh": "保险行业协会", "en": "Insurance Association"}

STRINGS: dict[str, dict[str, str]] = {
    "deck_title": {"zh": "{period} 消费者权益保护工作情况", "en": "Consumer protection, {period}"},
    "meeting": {"zh": "联席会议材料", "en": "Joint meeting"},
    "as_of": {"zh": "数据截至 {when}（北京时间，最近一次导入）· 数据版本 {version}",
              "en": "Data as of {when} (Beijing time, latest ingest) · version {version}"},
    "scope_all": {"zh": "全协会", "en": "Whole association"},
    "scope_type": {"zh": "{type}公司", "en": "{type} firms"},
    "scope_member": {"zh": "{firm}与同业对比（同业以代称显示）",
                     "en": "{firm} against its peers (peers pseudonymised)"},
    "footer": {"zh": "{scope} · {period} · {as_of}", "en": "{scope} · {period} · {as_of}"},
    "headlines": {"zh": "主要指标（{period}）", "en": "Headline figures ({period})"},
    "qoq": {"zh": "环比", "en": "QoQ"},
    "yoy": {"zh": "同比", "en": "YoY"},
    "trend": {"zh": "趋势（最近 {n} 个季度）", "en": "Trend (last {n} quarters)"},
    "peers": {"zh": "{metric}：{type}公司与同业中位数", "en": "{metric}: {type} firms against the peer median"},
    "peer_median": {"zh": "同业中位数", "en": "Peer median"},
    "peer_n": {"zh": "同业 {n} 家", "en": "{n} peers"},
    "peer_shown": {"zh": "图中为{metric}最高的 {shown} 家（共 {n} 家有数值）；"
                         "浅色条为低基数（共 {low} 家），比率波动大。",
                   "en": "The {shown} highest of {n} firms with a value; light bars: low base ({low} in all), "
                         "volatile rates."},
    "suppressed": {"zh": "同业不足 5 家，不显示同业统计。", "en": "Fewer than 5 peers: no peer statistics shown."},
    "causes": {"zh": "投诉原因与险种（{period}）", "en": "Causes and product lines ({period})"},
    "causes_chart": {"zh": "投诉原因构成", "en": "Causes"},
    "lines_chart": {"zh": "各险种投诉件数", "en": "Complaints by product line"},
    "movers": {"zh": "环比变动最大的公司：{metric}", "en": "Biggest movers on last quarter: {metric}"},
    "movers_note": {"zh": "条形为环比相对变化；财产险与人身险分别排名；低基数公司不参与排名。",
                    "en": "Bars: relative change on last quarter; property and life ranked apart; low-base firms "
                          "not ranked."},
    "no_movers": {"zh": "没有可比较的上季度数据。", "en": "No previous quarter to compare with."},
    "anomalies": {"zh": "异常波动与代理退保风险（{period}）", "en": "Anomalies and proxy surrender ({period})"},
    "no_anomalies": {"zh": "本季度没有公司 × 地区的投诉量明显偏离其历史水平。",
                     "en": "No firm × region complaint count departs markedly from its own history."},
    "anomaly_header": {"zh": "公司|地区|本季投诉量|按历史预期|超出预期|稳健 Z 值|疑似代理退保占比",
                       "en": "Firm|Region|Complaints|Expected|Above expected|Robust z|Suspected proxy surrender"},
    "anomaly_note": {"zh": "预期 = 该公司该地区过去 {n} 个季度投诉量的中位数，按公司其他地区的当季变化调整；"
                           "疑似代理退保占比高的跳升往往是代理退保活动的先兆。共 {count} 处，显示前 {shown} 处。",
                     "en": "Expected = the cell's median over the previous {n} quarters, scaled by the firm's other "
                           "regions; a jump with a high proxy-surrender share often signals a campaign. "
                           "{count} found, {shown} shown."},
    "mediation": {"zh": "纠纷调解（{period}）", "en": "Mediation ({period})"},
    "mediation_trend": {"zh": "调解指标趋势", "en": "Mediation rates over time"},
    "outreach": {"zh": "宣教覆盖：一老一少一新与“五进入”（{period}）",
                 "en": "Outreach: key groups and the five settings ({period})"},
    "groups_chart": {"zh": "重点人群触达人次", "en": "Key groups reached"},
    "venues_chart": {"zh": "“五进入”活动场次", "en": "Events by setting"},
    "coverage": {"zh": "县域覆盖与适老化（{period}）", "en": "County coverage and age-friendly outlets ({period})"},
    "coverage_note": {"zh": "县域覆盖率按公司计算；跨公司只看中位数与最大值，不相加（同一县可被多家公司覆盖）。",
                      "en": "County coverage is per firm; across firms read the median and the maximum, never a sum."},
    "map": {"zh": "{metric}：各省份（{period}）", "en": "{metric} by province ({period})"},
    "map_national": {"zh": "总公司/全国（不分地区，未计入任何省份）：{value}",
                     "en": "Head office / national (not split by region): {value}"},
    "boundary": {"zh": "边界数据：{source}（源自{origin}行政区划），按我国官方主张绘制，含台湾、香港、澳门及南海诸岛",
                 "en": "Boundaries: {source} (from {origin} administrative divisions), following China's official "
                       "claims, incl. Taiwan, Hong Kong, Macao and the South China Sea Islands"},
    "submissions": {"zh": "报送情况（{period}）", "en": "Submissions ({period})"},
    "registry": {"zh": "应报公司", "en": "Member firms"},
    "none": {"zh": "无", "en": "none"},
    "and_more": {"zh": "等 {n} 家", "en": "and {n} more"},
    "sources": {"zh": "指标口径与数据来源", "en": "Definitions and data sources"},
    "source_warehouse": {"zh": "数据：xiaobao 数据仓库（会员公司季度报送，已入库版本），"
                               "版本 {version}，截至 {when}（北京时间）。",
                         "en": "Data: the xiaobao warehouse (members' quarterly submissions, accepted versions), "
                               "version {version}, as of {when} (Beijing time)."},
    "source_registry": {"zh": "会员名录：{n} 家公司；本季已入库 {accepted} 家。",
                        "en": "Member registry: {n} firms; {accepted} with accepted figures this quarter."},
    "source_population": {"zh": "人口：第七次全国人口普查（2020）；县级行政区数：民政部 2022 年末。",
                          "en": "Population: 2020 census; county-level divisions: Ministry of Civil Affairs, 2022."},
    "source_notes": {"zh": "每页备注中列有该页各指标的口径定义。低基数：{rule}。",
                     "en": "Each slide's notes give the definitions of its metrics. Low base: {rule}."},
    "notes_definitions": {"zh": "本页指标口径：", "en": "Definitions on this slide:"},
    "notes_source": {"zh": "数据来源：xiaobao 数据仓库版本 {version}，截至 {when}（北京时间）；"
                           "筛选：{scope}，{period}。",
                     "en": "Source: xiaobao warehouse version {version}, as of {when} (Beijing time); filters: "
                           "{scope}, {period}."},
    "lower_better": {"zh": "越低越好", "en": "lower is better"},
    "higher_better": {"zh": "越高越好", "en": "higher is better"},
    "low_base": {"zh": "⚠ 低基数", "en": "⚠ low base"},
    "or": {"zh": " 或 ", "en": " or "},
    "no_data": {"zh": "本季度没有数据。", "en": "No figures for this quarter."},
}


def t(key: str, lang: str = "zh", **values: object) -> str:
    text = STRINGS[key][lang]
    return text.format(**values) if values else text


def association(lang: str = "zh") -> str:
    return os.environ.get("XIAOBAO_ASSOCIATION") or ASSOCIATION[lang]


def firm_type(kind: str, lang: str = "zh") -> str:
    return FIRM_TYPES_EN.get(kind, kind) if lang == "en" else kind


def product_line(line: str, lang: str = "zh") -> str:
    return PRODUCT_LINES_EN.get(line, line) if lang == "en" else line
