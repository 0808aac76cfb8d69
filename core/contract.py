"""The submission contract, declared once (DOMAIN.md).

Every sheet of the quarterly workbook is a `Sheet` whose `Column`s carry their warehouse id, canonical
Simplified Chinese header, unit, aliases and a 说明 text. Header mapping, validation messages, the template
workbook and the 说明 sheet are all derived from these declarations; nothing else keeps a second copy.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from typing import Literal

import polars as pl

from core.text import clean

Kind = Literal["key", "count", "money"]
Op = Literal["==", "<="]
# The warehouse dtype of each kind of column: counts are whole (null = not reported), money is 万元.
DTYPES: dict[str, pl.DataType] = {"key": pl.Utf8(), "count": pl.Int64(), "money": pl.Float64()}


@dataclass(frozen=True)
class Column:
    id: str  # warehouse column id (snake_case, English)
    zh: str  # canonical header, without unit
    kind: Kind
    unit: str | None = None  # unit shown in the template header: 万元, 件, 人次, 场, 个
    stock: bool = False  # as at quarter end: never differenced, never summed over quarters
    aliases: tuple[str, ...] = ()  # other headers seen in real submissions (after t2s + cleaning)
    help: str = ""  # 说明 text
    en: str = ""  # the English name (dashboard and exports in English); empty for keys named in i18n

    @property
    def dtype(self) -> pl.DataType:
        return DTYPES[self.kind]

    @property
    def header(self) -> str:
        """The template header: 原保险保费收入(万元)."""
        return f"{self.zh}({self.unit})" if self.kind == "money" else self.zh


@dataclass(frozen=True)
class Rule:
    """A named cross-column rule: sum(left) <op> sum(right), checked on every region row."""

    id: str
    left: tuple[str, ...]
    op: Op
    right: tuple[str, ...]
    zh: str  # the rule as a member reads it, used in every message and in the 说明 sheet
    en: str = ""  # the same rule in English (the dashboard in English)


@dataclass(frozen=True)
class Sheet:
    id: str  # warehouse dataset id
    zh: str  # canonical sheet name
    columns: tuple[Column, ...]
    key: tuple[str, ...]  # columns that identify a row (besides firm and period)
    rules: tuple[Rule, ...] = ()
    aliases: tuple[str, ...] = ()
    en: str = ""

    @property
    def measures(self) -> tuple[Column, ...]:
        return tuple(c for c in self.columns if c.kind != "key")

    def column(self, id_: str) -> Column:
        return next(c for c in self.columns if c.id == id_)

    def schema(self) -> dict[str, pl.DataType]:
        """The warehouse frame of this sheet: period, firm_id, then every column with its dtype."""
        return {"period": pl.Utf8(), "firm_id": pl.Utf8(), **{c.id: c.dtype for c in self.columns}}


REGION = Column("region_code", "地区", "key", en="Region", aliases=("省份", "分支机构", "地区名称", "省市", "region"),
                help="省级行政区、计划单列市（大连、青岛、宁波、厦门、深圳）或 总公司/全国；"
                     "可写全称、简称、单字简称、英文或 GB/T 2260 代码。")


def _count(id_: str, zh: str, unit: str, help_: str, *aliases: str, stock: bool = False, en: str = "") -> Column:
    return Column(id_, zh, "count", unit=unit, stock=stock, aliases=aliases, help=help_, en=en)


COMPLAINTS = Sheet(
    id="complaints",
    en="Complaints",
    zh="投诉",
    aliases=("投诉情况", "投诉数据", "complaints"),
    key=("region_code",),
    columns=(
        REGION,
        Column("premium_wan", "原保险保费收入", "money", unit="万元",
               aliases=("保费收入", "原保费收入", "保费"),
               help="本季度原保险保费收入。表头可注明单位（元、万元、亿元），系统统一换算为万元。",
               en="Premium income"),
        _count("policies", "保单件数", "件", "本季度承保的保单件数（含续保）。", "保单数", "保单件数量", en="Policies"),
        _count("insured_persons", "被保险人次", "人次", "本季度保单覆盖的被保险人人次。", "被保险人数", "承保人次",
               en="Insured persons"),
        _count("complaints_total", "投诉总量", "件", "本季度接收的消费投诉件数。", "投诉件数", "投诉量",
               en="Complaints"),
        _count("complaints_regulator", "监管转送投诉", "件", "由监管部门转送的投诉件数。",
               "监管转送", "监管转送投诉件数", "转送投诉", en="Referred by the regulator"),
        _count("complaints_direct", "自受理投诉", "件", "公司自行受理的投诉件数。", "自受理", "自行受理投诉",
               en="Received directly"),
        _count("cause_sales", "销售纠纷", "件", "因销售行为引起的投诉件数。", "销售纠纷投诉", en="Sales disputes"),
        _count("cause_claims", "理赔纠纷", "件", "因理赔引起的投诉件数。", "理赔纠纷投诉", en="Claims disputes"),
        _count("cause_surrender", "退保纠纷", "件", "因退保引起的投诉件数。", "退保纠纷投诉", en="Surrender disputes"),
        _count("cause_policy_service", "保单服务纠纷", "件", "因保全、续期等保单服务引起的投诉件数。",
               "保单服务", "保全纠纷", en="Policy-service disputes"),
        _count("cause_other", "其他纠纷", "件", "不属于以上四类的投诉件数。", "其他", en="Other disputes"),
        _count("resolved", "办结件数", "件", "本季度办结的投诉件数。", "办结量", "已办结件数", en="Resolved"),
        _count("resolved_on_time", "按时办结件数", "件", "在规定时限内办结的投诉件数。", "按时办结", "按期办结件数",
               en="Resolved on time"),
        _count("proxy_surrender_suspected", "疑似代理退保投诉", "件",
               "疑似由代理退保（“代理维权”）组织或人员发起的投诉件数。", "疑似代理退保", "代理退保投诉",
               en="Suspected proxy-surrender complaints"),
    ),
    rules=(
        Rule("causes_sum_to_total",
             ("cause_sales", "cause_claims", "cause_surrender", "cause_policy_service", "cause_other"),
             "==", ("complaints_total",), "销售、理赔、退保、保单服务、其他五类纠纷之和应等于投诉总量",
             "The five dispute categories (sales, claims, surrender, policy service, other) must add up to "
             "total complaints"),
        Rule("sources_sum_to_total", ("complaints_regulator", "complaints_direct"), "==", ("complaints_total",),
             "监管转送投诉与自受理投诉之和应等于投诉总量",
             "Complaints referred by the regulator plus complaints received directly must equal total complaints"),
        Rule("on_time_within_resolved", ("resolved_on_time",), "<=", ("resolved",), "按时办结件数不得大于办结件数",
             "Resolved on time must not exceed resolved"),
    ),
)

PRODUCT_LINES = {
    "财产险": ("机动车辆保险", "企业财产保险", "家庭财产保险", "责任保险", "保证保险", "信用保险", "农业保险",
             "健康保险", "意外伤害保险", "其他"),
    "人身险": ("普通人寿保险", "分红型人寿保险", "万能型人寿保险", "投资连结保险", "疾病保险", "医疗保险",
             "意外伤害保险", "年金保险", "其他"),
}

# The product lines in English (the dashboard and exports in English); one name per Chinese line.
PRODUCT_LINES_EN = {
    "机动车辆保险": "Motor", "企业财产保险": "Commercial property", "家庭财产保险": "Household property",
    "责任保险": "Liability", "保证保险": "Surety", "信用保险": "Credit", "农业保险": "Agriculture",
    "健康保险": "Health", "意外伤害保险": "Accident", "其他": "Other",
    "普通人寿保险": "Ordinary life", "分红型人寿保险": "Participating life", "万能型人寿保险": "Universal life",
    "投资连结保险": "Unit-linked", "疾病保险": "Critical illness", "医疗保险": "Medical", "年金保险": "Annuity",
}

COMPLAINTS_BY_LINE = Sheet(
    id="complaints_by_line",
    en="Complaints by product line",
    zh="投诉险种",
    aliases=("险种投诉", "分险种投诉", "complaints_by_line"),
    key=("region_code", "product_line"),
    columns=(
        REGION,
        Column("product_line", "险种", "key", en="Product line", aliases=("险种名称", "产品线", "product_line"),
               help="财产险公司：" + "、".join(PRODUCT_LINES["财产险"]) + "；人身险公司："
                    + "、".join(PRODUCT_LINES["人身险"]) + "。"),
        _count("complaints", "投诉件数", "件", "该地区该险种的投诉件数。", "投诉量", "投诉总量", en="Complaints"),
    ),
)

MEDIATION = Sheet(
    id="mediation",
    en="Mediation",
    zh="调解",
    aliases=("纠纷调解", "调解情况", "mediation"),
    key=("region_code",),
    columns=(
        REGION,
        _count("mediation_accepted", "调解受理件数", "件", "调解组织受理的涉及本公司的纠纷件数。",
               "调解受理", "受理件数", en="Mediation cases accepted"),
        _count("mediation_voluntary", "自主参调件数", "件", "本公司主动参与调解的件数。", "自主参调",
               en="Voluntary participation"),
        _count("mediation_concluded", "调解结案件数", "件", "本季度调解结案的件数（成功与不成功）。",
               "调解结案", "结案件数", en="Mediation cases concluded"),
        _count("mediation_succeeded", "调解成功件数", "件", "达成调解协议的件数。", "调解成功", "成功件数",
               en="Mediation succeeded"),
        _count("mediation_fulfilled", "协议履行件数", "件", "调解协议已履行的件数。", "协议履行", "履行件数",
               en="Agreements fulfilled"),
        Column("mediation_amount_wan", "涉案金额", "money", unit="万元", aliases=("调解金额", "争议金额"),
               help="调解案件涉及的金额。表头可注明单位（元、万元、亿元），系统统一换算为万元。",
               en="Amount in dispute"),
        _count("mediation_court_linked", "诉调对接件数", "件", "经法院委派、委托的诉调对接件数。", "诉调对接",
               en="Court-linked mediation"),
    ),
    rules=(
        Rule("succeeded_within_concluded", ("mediation_succeeded",), "<=", ("mediation_concluded",),
             "调解成功件数不得大于调解结案件数",
             "Mediation succeeded must not exceed mediation concluded"),
        Rule("concluded_within_accepted", ("mediation_concluded",), "<=", ("mediation_accepted",),
             "调解结案件数不得大于调解受理件数",
             "Mediation concluded must not exceed mediation accepted"),
        Rule("voluntary_within_accepted", ("mediation_voluntary",), "<=", ("mediation_accepted",),
             "自主参调件数不得大于调解受理件数",
             "Voluntary participation must not exceed mediation accepted"),
        Rule("fulfilled_within_succeeded", ("mediation_fulfilled",), "<=", ("mediation_succeeded",),
             "协议履行件数不得大于调解成功件数",
             "Agreements fulfilled must not exceed mediation succeeded"),
    ),
)

_KEY_GROUPS = (("reach_elderly", "老年人", "Elderly"), ("reach_youth", "青少年", "Young people"),
               ("reach_new_citizens", "新市民", "New citizens"),
               ("reach_disabled", "残障人士", "People with disabilities"))

OUTREACH = Sheet(
    id="outreach",
    en="Outreach",
    zh="宣教",
    aliases=("宣传教育", "教育宣传", "宣教活动", "outreach"),
    key=("region_code",),
    columns=(
        REGION,
        _count("events", "宣教活动场次", "场", "本季度开展的消费者教育宣传活动场次。", "活动场次", "宣教场次",
               en="Outreach events"),
        _count("reach_offline", "线下触达人次", "人次", "线下活动触达的人次。", "线下触达", en="Offline reach"),
        _count("reach_online", "线上触达人次", "人次", "线上渠道触达的人次。", "线上触达", en="Online reach"),
        _count("reach_elderly", "老年人触达人次", "人次", "线下触达中的老年人人次（一老）。", "老年人触达",
               en="Elderly reached"),
        _count("reach_youth", "青少年触达人次", "人次", "线下触达中的青少年人次（一少）。", "青少年触达",
               en="Young people reached"),
        _count("reach_new_citizens", "新市民触达人次", "人次", "线下触达中的新市民人次（一新）。", "新市民触达",
               en="New citizens reached"),
        _count("reach_disabled", "残障人士触达人次", "人次", "线下触达中的残障人士人次。",
               "残障人士触达", "残疾人触达人次", en="People with disabilities reached"),
        _count("events_rural", "进农村场次", "场", "“五进入”：进农村活动场次。", "进农村", en="Events in rural areas"),
        _count("events_community", "进社区场次", "场", "“五进入”：进社区活动场次。", "进社区",
               en="Events in communities"),
        _count("events_campus", "进校园场次", "场", "“五进入”：进校园活动场次。", "进校园", en="Events on campuses"),
        _count("events_enterprise", "进企业场次", "场", "“五进入”：进企业活动场次。", "进企业",
               en="Events in enterprises"),
        _count("events_commercial", "进商圈场次", "场", "“五进入”：进商圈活动场次。", "进商圈",
               en="Events in shopping districts"),
        _count("counties_covered", "覆盖县区数", "个", "季末累计覆盖的县级行政区数（存量，不按季相加）。",
               "覆盖县区", stock=True, en="Counties covered"),
        _count("outlets", "营业网点数", "个", "季末营业网点数（存量）。", "营业网点", "网点数", stock=True,
               en="Outlets"),
        _count("outlets_age_friendly", "适老化网点数", "个", "季末完成适老化改造的网点数（存量）。",
               "适老化网点", "适老网点数", stock=True, en="Age-friendly outlets"),
    ),
    rules=tuple(
        Rule(f"{cid}_within_offline", (cid,), "<=", ("reach_offline",), f"{zh}触达人次不得大于线下触达人次",
             f"{en} reached must not exceed offline reach")
        for cid, zh, en in _KEY_GROUPS
    ) + (
        Rule("age_friendly_within_outlets", ("outlets_age_friendly",), "<=", ("outlets",),
             "适老化网点数不得大于营业网点数",
             "Age-friendly outlets must not exceed outlets"),
    ),
)

SHEETS: tuple[Sheet, ...] = (COMPLAINTS, COMPLAINTS_BY_LINE, MEDIATION, OUTREACH)
SHEETS_BY_ID = {s.id: s for s in SHEETS}


@dataclass(frozen=True)
class CoverField:
    id: str
    zh: str
    required: bool
    help: str
    aliases: tuple[str, ...] = field(default=())


COVER_SHEET = "封面"
COVER_SHEET_ALIASES = ("封面页", "基本信息", "填报说明", "cover")
COVER: tuple[CoverField, ...] = (
    CoverField("firm_name", "公司名称", True, "会员公司法定名称、简称或登记的别名。", ("机构名称", "填报单位", "firm")),
    CoverField("period", "报送期间", True, "自然季度，如 2025Q3（也接受 2025-Q3、2025年第三季度）。",
               ("报告期", "统计期间", "期间", "period")),
    CoverField("basis", "数据口径", True, "当季 = 仅本季度；年累计 = 本年初至本季度末累计。",
               ("口径", "统计口径", "basis")),
    CoverField("version", "版本", False, "1、2、……；重报时版本号加一，新版本替换旧版本。不填视为 1。",
               ("版本号", "version")),
    CoverField("filler", "填报人", False, "填报人姓名。", ("联系人",)),
    CoverField("phone", "联系电话", False, "填报人联系电话。", ("电话",)),
    CoverField("filled_on", "填报日期", False, "YYYY-MM-DD。", ("日期", "报送日期")),
)
BASES = {"当季": "quarter", "年累计": "ytd"}
BASIS_LABELS = {"zh": {"当季": "当季", "年累计": "年累计"}, "en": {"当季": "Quarter", "年累计": "Year to date"}}

# General rules that apply to every measure cell; their ids are what reject reports show.
CELL_RULES = {
    "non_negative_integer": "件数、人次、场次等计数须为非负整数",
    "non_negative_amount": "金额须为非负数",
    "not_a_percentage": "计数栏不得填写百分比",
    "not_a_number": "无法识别为数字",
    "unknown_region": "地区无法识别（应为省级行政区、计划单列市或 总公司/全国）",
    "unknown_product_line": "险种不在本公司类型的险种目录中",
    "duplicate_region": "同一地区（险种）重复出现",
    "total_row_mismatch": "合计行应等于各地区之和",
    "missing_column": "缺少必填列",
    "missing_sheet": "缺少必填工作表",
    "unknown_firm": "公司名称不在会员名录中",
    "bad_period": "报送期间无法识别（应为如 2025Q3 的自然季度）",
    "bad_basis": "数据口径应为 当季 或 年累计",
    "bad_version": "版本应为正整数",
    "ytd_negative": "年累计减去本年此前季度后为负数",
    "unreadable_file": "文件无法读取（不是有效的工作簿或 CSV）",
}
WARNING_RULES = {
    "tenfold_jump": "较上季度变化超过十倍，请核实",
    "blank_not_reported": "空白视为未报送（不是 0）",
    "same_version_resubmission": ("同一版本再次报送：后一次导入收到的文件替换此前的，但其填报日期为空或不晚于原文件，"
                                  "请核实"),
}
# The same rules in English, by the same ids (the dashboard in English).
CELL_RULES_EN = {
    "non_negative_integer": "Counts (cases, persons, events) must be non-negative whole numbers",
    "non_negative_amount": "Amounts must not be negative",
    "not_a_percentage": "A count column must not hold a percentage",
    "not_a_number": "Not recognisable as a number",
    "unknown_region": "Unknown region (a province, a separately supervised city, or head office/nationwide)",
    "unknown_product_line": "Product line not in the list for this firm type",
    "duplicate_region": "The same region (product line) appears twice",
    "total_row_mismatch": "The total row must equal the sum of the regions",
    "missing_column": "A required column is missing",
    "missing_sheet": "A required sheet is missing",
    "unknown_firm": "Firm name not in the member registry",
    "bad_period": "Reporting period not recognised (a calendar quarter such as 2025Q3)",
    "bad_basis": "Basis must be 当季 (quarter) or 年累计 (year to date)",
    "bad_version": "Version must be a positive whole number",
    "ytd_negative": "Year to date minus this year's earlier quarters is negative",
    "unreadable_file": "The file cannot be read (not a valid workbook or CSV)",
}
WARNING_RULES_EN = {
    "tenfold_jump": "More than tenfold change on last quarter: please check",
    "blank_not_reported": "A blank counts as not reported (not 0)",
    "same_version_resubmission": ("The same version sent again: the file of the later ingest replaces the earlier "
                                  "one, but its filing date is blank or not later: please check"),
}
# Which rule decided between two files of the same firm and quarter (DOMAIN.md, resubmissions); the status notes
# of both files name it (etl/store.py), core/status.py reads them in English.
RESUBMISSION_RULES = {
    "higher_version": "版本更高者优先",
    "later_ingest": "同一版本，后一次导入收到的文件优先",
    "later_date": "同一版本、同批收到，填报日期较晚者优先",
    "later_name": "同一版本、同批收到、填报日期相同，文件名排序靠后者优先",
}
RESUBMISSION_RULES_EN = {
    "higher_version": "the higher version wins",
    "later_ingest": "same version: the file received in the later ingest wins",
    "later_date": "same version, same batch: the later filing date wins",
    "later_name": "same version, same batch, same filing date: the file name sorting last wins",
}
BLANK_DATE = "未填"  # a blank 填报日期 in a note




def rule_text(rule_id: str, lang: str = "zh") -> str:
    """What a rule id (CELL_RULES, WARNING_RULES or a sheet's Rule) says, in Chinese or English; the id if unknown."""
    rules = {r.id: (r.zh, r.en or r.zh) for s in SHEETS for r in s.rules}
    if lang == "en":
        return CELL_RULES_EN.get(rule_id) or WARNING_RULES_EN.get(rule_id) or rules.get(rule_id, (rule_id,) * 2)[1]
    return CELL_RULES.get(rule_id) or WARNING_RULES.get(rule_id) or rules.get(rule_id, (rule_id,) * 2)[0]


def sheet_name(sheet: str | None, lang: str = "zh") -> str | None:
    """A sheet as a member named it, in English when it is one of the contract's (投诉 → Complaints)."""
    if sheet is None or lang == "zh":
        return sheet
    found = sheet_id(sheet)
    if found == COVER_ID:
        return "Cover"
    return SHEETS_BY_ID[found].en if found in SHEETS_BY_ID else sheet


def product_line_name(line: str | None, lang: str = "zh") -> str | None:
    return PRODUCT_LINES_EN.get(line, line) if lang == "en" and line is not None else line

# Rules on a file as a whole, found while reading it (etl/read.py): fixed limits, hidden and duplicate sheets,
# formulas without a stored result, unsafe bundle members. A file breaking one is rejected before its figures are read.
FILE_RULES = {
    "file_too_large": "文件超出大小上限",
    "zip_limit": "压缩包或工作簿解压后超出上限（可能是压缩炸弹）",
    "sheet_too_large": "工作表的行数或列数远超地区、险种所能填满的范围",
    "hidden_sheet": "隐藏的工作表不予读取：请取消隐藏或删除后重新报送",
    "duplicate_sheet": "两个工作表对应同一张报送表：请只保留一个",
    "formula_no_value": "公式没有保存计算结果：请在 Excel 或 WPS 中打开并保存后重新报送",
    "unsafe_member": "压缩包中的文件路径不安全（绝对路径或含 ..），不予读取",
    "symlink": "符号链接不予读取：请报送文件本身",
}


# ── the spellings members use (matched after core.text.clean: Simplified, half-width, no spaces, lower case) ──
COVER_ID = "cover"
# "1.投诉", "表2 投诉险种", "附表3-调解", "一、宣教": a numbering prefix some members add to sheet names.
SHEET_NUMBERING = re.compile(r"^(?:附?表)?(?:\d+|[一二三四五六七八九十]+)[.、\-_:：)]*")


@lru_cache(maxsize=1)
def _sheet_lookup() -> dict[str, str]:
    lookup = {clean(COVER_SHEET): COVER_ID, **{clean(a): COVER_ID for a in COVER_SHEET_ALIASES}}
    for sheet in SHEETS:
        for name in (sheet.zh, sheet.id, *sheet.aliases):
            lookup.setdefault(clean(name), sheet.id)
    return lookup


def sheet_id(name: str) -> str | None:
    """封面 / 投訴 / complaints / 1.投诉 … → 'cover' / 'complaints' …; None for any other sheet (说明, 附表 …)."""
    lookup = _sheet_lookup()
    key = clean(name)
    return lookup.get(key) or lookup.get(SHEET_NUMBERING.sub("", key))


# A row the member added up: these labels, or any label ending in one of TOTAL_SUFFIXES (全国合计).
TOTAL_LABELS = ("合计", "总计", "小计", "总合计", "合计数", "total", "subtotal", "sum")
TOTAL_SUFFIXES = ("合计", "总计")
# Lines under the table that are notes, not figures.
NOTE_PREFIXES = ("注", "说明", "备注", "数据来源", "资料来源", "来源", "填表", "填报", "制表", "审核", "单位:",
                 "负责人", "联系人", "*", "※", "note", "source")
# Cells that mean "none happened": 0 (无 is also written 無 in Traditional Chinese). Blank means not reported.
ZERO_SPELLINGS = ("-", "--", "—", "——", "–", "―", "/", "无", "無", "0")
ZERO_SPELLINGS_SHOWN = ("-", "—", "/", "无")  # the ones the template's 说明 names
# 数据口径 spellings (after t2s, so 當季 and 年累計 are included) → the canonical basis.
BASIS_SPELLINGS = {"当季": "当季", "当期": "当季", "本季": "当季", "本季度": "当季", "单季": "当季",
                   "当季度": "当季", "quarter": "当季", "年累计": "年累计", "本年累计": "年累计", "累计": "年累计",
                   "年初至今": "年累计", "ytd": "年累计"}

# Written into every generated workbook so that the same figures give the same bytes (xlsxwriter stamps now()).
FIXED_CREATED = datetime(2025, 1, 1, 8, 0, 0)
