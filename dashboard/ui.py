"""Shared rendering: headline figures, definitions one click away, tables with low-base flags,
empty states, downloads, charts and presentation-mode slides. Values are formatted, never computed."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import polars as pl
import streamlit as st

from core import untrusted
from dashboard import theme
from dashboard.charts import margins
from dashboard.charts.labels import better_than_text, change_text, delta_text, value_text
from dashboard.i18n import current_lang, pick, t
from query import ANOMALY_HISTORY, BETTER_THAN_DEFINITION

if TYPE_CHECKING:
    import plotly.graph_objects as go

    from dashboard.context import PageContext

log = logging.getLogger("xiaobao.dashboard")

# Offline: Plotly geo would fetch world_110m.json from a CDN; MAP serves a stub under dashboard/static/.
PLOTLY_CONFIG = {"topojsonURL": "/app/static/topojson/", "displaylogo": False, "responsive": True}
# Bars in a by-firm ranking chart: the highest and lowest 15; the table beside it (or the explorer) has all.
FIRM_BARS = 30
# Firms in a by-firm mix (stacked bars): the largest, as a bar per firm of 250 is neither legible nor quick.
FIRM_MIX = 20
# On the projector (presentation view) a slide is one screen of 1280×720 at projector type: a ranking shows at
# most PRESENT_BARS bars (its highest and lowest halves), a mix or a list PRESENT_BARS items, a table PRESENT_ROWS
# rows; a caption says how many of how many, the normal view and the export have them all (`for_screen`).
PRESENT_BARS = 8
PRESENT_ROWS = 6
PRESENT_ROW_PX = 51   # an st.dataframe row at the projector's 24 px type (measured in Chromium)
PRESENT_TABLE_PX = PRESENT_ROW_PX * (PRESENT_ROWS + 1) + 18   # header, rows, border and a scroll bar
# The province boundaries, fetched once by the browser from the same static folder (dashboard/static/).
MAP_GEOJSON_URL = "/app/static/china_provinces.geojson"
LOW_BASE_SUFFIX = "__low_base"
# Dimension columns shown in tables (ids stay in exports; people read names).
DIM_LABELS = {"firm_name": "firm", "region_name": "region", "province_name": "province",
              "period": "quarter", "year": "quarter", "firm_type": "firm_type", "product_line": "product_line"}
HIDDEN_DIMS = ("firm_id", "region_code", "province_code")
# A figure the query layer withheld from a member (fewer than 5 firms besides its own behind it).
WITHHELD = {"zh": "已隐去（同业不足）", "en": "withheld (too few peers)"}


def _fmt():
    # dashboard/format.py (owned by MAP) holds the Chinese number conventions.
    from dashboard import format as fmt

    return fmt


def _ctx() -> PageContext:
    from dashboard.context import current

    return current()


def fmt_metric(metric_id: str, value: float | None, ctx: PageContext | None = None) -> str:
    """A metric value in the reader's conventions: 12.3 件/亿元, 45.6%, 1.23万 人次, — for no value."""
    ctx = ctx or _ctx()
    return value_text(value, ctx.metric_unit(metric_id), ctx.lang)


def fmt_change_pct(value: float | None, ctx: PageContext | None = None) -> str:
    """A relative change (0.052 → +5.2%); — when the base is missing or zero."""
    ctx = ctx or _ctx()
    return change_text(value, ctx.lang)


def fmt_change(metric_id: str, absolute: float | None, relative: float | None,
               ctx: PageContext | None = None) -> str:
    """环比 / 同比 of a metric as its kind reads it: a share in 百分点 (pp), a rate per base absolute and relative
    (+0.52 件/亿元（+7.2%）), a total relative (+5.2%)."""
    ctx = ctx or _ctx()
    return delta_text(absolute, relative, ctx.metric_unit(metric_id), ctx.metric(metric_id).kind, ctx.lang)


def fmt_better_than(value: float | None, lang: str | None = None) -> str:
    """The query layer's better_than_share (0–1) as 优于 62% 同业 / better than 62% of peers; — without one."""
    return better_than_text(value, lang or current_lang())


def better_than_help(lang: str | None = None) -> str:
    """What 优于 X% 同业 means (query.BETTER_THAN_DEFINITION), for a column's help tooltip or an expander."""
    lang = lang or current_lang()
    return f"**{t('better_than', lang)}**：{BETTER_THAN_DEFINITION[lang]}" if lang == "zh" else \
        f"**{t('better_than', lang)}**: {BETTER_THAN_DEFINITION[lang]}"


def low_base_rule(metric_id: str, ctx: PageContext | None = None) -> str:
    """When a rate is low-base, in words: 投诉总量 < 30 件 或 原保险保费收入 < 1亿元 (query/metrics.toml [low_base])."""
    ctx = ctx or _ctx()
    def threshold(base: str) -> str:
        value = ctx.wh.thresholds[base]
        return _fmt().fmt_money_wan(value, ctx.lang) if ctx.metric(base).kind == "money" else \
            fmt_metric(base, value, ctx)

    parts = [f"{ctx.metric_name(b)} < {threshold(b)}" for b in ctx.metric(metric_id).low_base]
    return pick({"zh": " 或 ", "en": " or "}, ctx.lang).join(parts)


def metric_help(metric_id: str | Sequence[str], ctx: PageContext | None = None) -> None:
    """The DOMAIN.md definition of a metric (or of each metric of a chart), one click away: a popover."""
    ctx = ctx or _ctx()
    ids = [metric_id] if isinstance(metric_id, str) else list(metric_id)
    label = ctx.metric_name(ids[0]) if len(ids) == 1 else "、".join(ctx.metric_name(m) for m in ids[:3]) + \
        ("…" if len(ids) > 3 else "")
    with st.popover(f"ⓘ {t('definition', ctx.lang)}：{label}"):
        st.markdown("\n\n---\n\n".join(metric_help_text(m, ctx) for m in ids))


def metric_help_text(metric_id: str, ctx: PageContext | None = None) -> str:
    """Markdown: name, unit, definition and direction (also used as `help=` of st.metric)."""
    ctx = ctx or _ctx()
    m = ctx.metric(metric_id)
    unit = ctx.metric_unit(metric_id)
    direction = {"lower": pick({"zh": "越低越好", "en": "lower is better"}, ctx.lang),
                 "higher": pick({"zh": "越高越好", "en": "higher is better"}, ctx.lang)}.get(m.direction or "")
    lines = [f"**{ctx.metric_name(metric_id)}**" + (f"（{unit}）" if unit else ""),
             ctx.metric_definition(metric_id)]
    if direction:
        lines.append(direction)
    return "\n\n".join(lines)


def headline(metric_id: str, change: pl.DataFrame, ctx: PageContext | None = None) -> None:
    """One headline figure with 环比 / 同比 from `wh.change(metric, by=[], …)` (a single row).

    The 环比 badge is coloured by the metric's direction (theme: worse / better / neutral); 同比 follows
    in the card's description line. A share changes in 百分点 (pp), a rate per base shows its absolute and
    relative change (fmt_change). No base → "—", never 0.
    """
    ctx = ctx or _ctx()
    row = change.row(0, named=True) if change.height else {}
    direction = ctx.metric(metric_id).direction
    qoq = fmt_change(metric_id, row.get("qoq_abs"), row.get("qoq_pct"), ctx)
    yoy = fmt_change(metric_id, row.get("yoy_abs"), row.get("yoy_pct"), ctx)
    # arrow and colour only for a change that still reads as one once rounded (+0.0 百分点 is no move)
    moved = any(c in "123456789" for c in qoq.split("（")[0].split(" (")[0])
    st.metric(
        label=ctx.metric_name(metric_id),
        value=fmt_metric(metric_id, row.get("value"), ctx),
        delta=qoq,
        delta_color=theme.streamlit_delta_color(direction) if moved else "off",
        delta_arrow="auto" if moved else "off",
        delta_description=f"{t('qoq', ctx.lang)} · {t('yoy', ctx.lang)} {yoy}",
        help=metric_help_text(metric_id, ctx),
        border=True,
    )


def headlines(metric_ids: Sequence[str], ctx: PageContext | None = None, per_row: int = 3) -> None:
    """A grid of headline figures for the chosen quarter (metrics the query layer lacks are skipped)."""
    ctx = ctx or _ctx()
    shown = [m for m in metric_ids if ctx.has_metric(m)]
    if ctx.present:   # larger figures on the projector, in at most two rows: two, three or four a row
        per_row = 2 if len(shown) <= 4 else 3 if len(shown) <= 6 else 4
    if ctx.is_range:   # 环比 / 同比 belong to one quarter: the range's last
        st.caption(pick({"zh": f"以下指标为区间最后一个季度（{ctx.period}）的数值及其环比、同比。",
                         "en": f"Figures below are for the range's last quarter ({ctx.period}), with QoQ and YoY."},
                        ctx.lang))
    changes = ctx.changes(shown, by=[], filters=ctx.at())
    for start in range(0, len(shown), per_row):
        for column, metric in zip(st.columns(per_row), shown[start:start + per_row], strict=False):
            with column:
                headline(metric, changes[metric], ctx)


def display_frame(frame: pl.DataFrame, metric_ids: Sequence[str], ctx: PageContext | None = None) -> pl.DataFrame:
    """The table as people read it: names not ids, translated headers, formatted values, ⚠ 低基数 flags."""
    ctx = ctx or _ctx()
    frame = ctx.localise(frame)
    flag = t("low_base", ctx.lang)
    columns: list[pl.Series] = []
    for name in frame.columns:
        if name in HIDDEN_DIMS or name.endswith(LOW_BASE_SUFFIX) or name in metric_ids:
            continue
        if name in DIM_LABELS and not (name == "year" and "period" in frame.columns):
            columns.append(frame[name].cast(pl.Utf8).alias(t(DIM_LABELS[name], ctx.lang)))
    for metric_id in metric_ids:
        unit = ctx.metric_unit(metric_id)
        header = ctx.metric_name(metric_id) + (f"（{unit}）" if unit and ctx.lang == "zh" else
                                               f" ({unit})" if unit else "")
        low = frame[metric_id + LOW_BASE_SUFFIX].to_list() if metric_id + LOW_BASE_SUFFIX in frame.columns \
            else [False] * frame.height
        held = frame["withheld"].fill_null(False).to_list() if "withheld" in frame.columns else [False] * frame.height
        texts = [WITHHELD[ctx.lang] if v is None and h else
                 fmt_metric(metric_id, v, ctx) + (f" {flag}" if is_low else "")
                 for v, is_low, h in zip(frame[metric_id].to_list(), low, held, strict=True)]
        columns.append(pl.Series(header, texts, dtype=pl.Utf8))
    return pl.DataFrame(columns)


def value_table(frame: pl.DataFrame, metric_ids: Sequence[str], ctx: PageContext | None = None,
                height: int | str = "auto") -> None:
    """Render `wh.table(…)` output formatted; low-base values carry a visible ⚠ 低基数 and a note."""
    ctx = ctx or _ctx()
    shown = display_frame(frame, metric_ids, ctx)
    st.dataframe(shown, hide_index=True, width="stretch", height=height)
    if any(c.endswith(LOW_BASE_SUFFIX) and frame[c].fill_null(False).any() for c in frame.columns
           if c.removesuffix(LOW_BASE_SUFFIX) in metric_ids):
        st.caption(t("low_base_note", ctx.lang))


def peer_table(frame: pl.DataFrame, metric_id: str, ctx: PageContext | None = None) -> None:
    """`wh.peers()` as a ranking table: firm, value (⚠ 低基数 flagged), rank of n, 优于 X% 同业, P25/median/P75;
    the 优于同业 header's tooltip holds its definition."""
    ctx = ctx or _ctx()
    lang, flag = ctx.lang, t("low_base", ctx.lang)
    values = [fmt_metric(metric_id, v, ctx) + (f" {flag}" if low else "")
              for v, low in zip(frame["value"], frame["low_base"].fill_null(False), strict=True)]
    hidden = frame["suppressed"].fill_null(False).to_list()

    def spread(column: str) -> list[str]:  # a peer spread over too few firms: said so, not a dash
        return [WITHHELD[lang] if h else fmt_metric(metric_id, v, ctx) for v, h in zip(frame[column], hidden,
                                                                                       strict=True)]

    shown = pl.DataFrame({
        t("rank", lang): [WITHHELD[lang] if h else t("no_value", lang) if r is None else f"{r}/{n}"
                          for r, n, h in zip(frame["rank"], frame["n_firms"], hidden, strict=True)],
        t("firm", lang): frame["firm_name"].cast(pl.Utf8),
        ctx.metric_name(metric_id): values,
        t("better_than", lang): [fmt_better_than(p, lang) for p in frame["better_than_share"]],
        "P25": spread("p25"), t("peer_median", lang): spread("median"), "P75": spread("p75"),
    })
    st.dataframe(shown, hide_index=True, width="stretch", column_config={
        t("better_than", lang): st.column_config.TextColumn(help=BETTER_THAN_DEFINITION[lang])})
    if frame["low_base"].fill_null(False).any():
        st.caption(t("low_base_note", lang))


def anomaly_table(frame: pl.DataFrame, ctx: PageContext | None = None) -> None:
    """`wh.anomalies()` as people read it: firm, region, complaints against the firm's own baseline."""
    ctx = ctx or _ctx()
    fmt, lang, frame = _fmt(), ctx.lang, ctx.localise(frame)
    shown = pl.DataFrame({
        t("firm", lang): frame["firm_name"].cast(pl.Utf8),
        t("region", lang): frame["region_name"].cast(pl.Utf8),
        pick({"zh": "本季投诉量", "en": "Complaints"}, lang): [fmt.fmt_number(v, lang) for v in frame["complaints"]],
        pick({"zh": "按历史预期", "en": "Expected"}, lang): [fmt.fmt_number(v, lang) for v in frame["expected"]],
        pick({"zh": "超出预期", "en": "Above expected"}, lang): [fmt_change_pct(v, ctx) for v in frame["jump_pct"]],
        pick({"zh": "稳健 Z 值", "en": "Robust z"}, lang):
            [t("no_value", lang) if v is None else f"{v:.1f}" for v in frame["robust_z"]],
        pick({"zh": "疑似代理退保占比", "en": "Suspected proxy surrender"}, lang):
            [fmt.fmt_pct(v, lang) for v in frame["proxy_surrender_share"]],
    })
    st.dataframe(shown, hide_index=True, width="stretch")
    st.caption(pick({"zh": f"预期 = 该公司该地区过去 {ANOMALY_HISTORY} 个季度投诉量的中位数，"
                           "按公司其他地区的当季变化调整；"
                           "稳健 Z 值越大越异常（查询层计算）。疑似代理退保占比高的跳升，往往是代理退保活动的先兆。",
                     "en": f"Expected = the cell's median over the previous {ANOMALY_HISTORY} quarters, scaled by "
                           "the firm's other "
                           "regions this quarter; the larger the robust z, the more unusual (computed by the query "
                           "layer). A jump with a high suspected proxy-surrender share often signals a campaign."},
                    lang))


def empty_state(reason: str, lang: str | None = None) -> None:
    """Explain in words why nothing is shown. `reason`: a STRINGS key (empty_filters, …) or a sentence."""
    st.info(t(reason, lang or current_lang()), icon=theme.ICON_INFO)


def _names(ctx: PageContext, codes: Sequence[str], column: str) -> list[str]:
    regions = ctx.regions()
    english = {"region_name": "name_en", "plain_name": "plain_name_en"}[column]
    names = dict(zip(regions["region_code"].to_list(),
                     regions[column if ctx.lang == "zh" else english].to_list(), strict=True))
    return [names.get(c) or c for c in codes]


def filter_items(filters: Any, ctx: PageContext | None = None) -> list[tuple[str, str, str]]:
    """The filters that are set, as (field, label, value) a person reads: ("period", "报告期", "2025Q3"),
    ("firms", "公司", "甲财险、乙财险"), ("provinces", "省份", "广东省"), ("regions", "地区", "广东省（不含深圳）") …"""
    ctx = ctx or _ctx()
    lang, sep = ctx.lang, "、" if ctx.lang == "zh" else ", "
    items: list[tuple[str, str, str]] = []
    if filters.period:
        items.append(("period", t("period", lang), filters.period))
    elif filters.period_from or filters.period_to:
        items.append(("period", t("span_range", lang), f"{filters.period_from or '…'} – {filters.period_to or '…'}"))
    if filters.firm_type:
        items.append(("firm_type", t("firm_type", lang), t(filters.firm_type, lang)))
    if filters.firms:
        firms = ctx.firms()
        names = dict(zip(firms["firm_id"].to_list(), firms["short_name"].to_list(), strict=True))
        items.append(("firms", t("firms", lang), sep.join(names.get(f) or f for f in filters.firms)))
    if filters.provinces:  # whole provinces (their city rolled in): the plain name
        items.append(("provinces", t("provinces", lang), sep.join(_names(ctx, filters.provinces, "plain_name"))))
    if filters.regions:  # rows as reported: 广东省（不含深圳）
        items.append(("regions", t("region", lang), sep.join(_names(ctx, filters.regions, "region_name"))))
    return items


def is_filtered(filters: Any) -> bool:
    """A firm type, firms, provinces or regions chosen: figures are not the whole association's."""
    return bool(filters.firm_type or filters.firms or filters.provinces or filters.regions)


def scope_word(ctx: PageContext | None = None, filters: Any = None) -> str:
    """全协会 / association with no filter but the period; 按当前筛选 / current filters otherwise (headings)."""
    ctx = ctx or _ctx()
    filtered = is_filtered(filters if filters is not None else ctx.filters)
    return pick({"zh": "按当前筛选", "en": "current filters"} if filtered else
                {"zh": "全协会", "en": "association"}, ctx.lang)


def context_line(ctx: PageContext | None = None) -> str:
    """Under every page title: the active filters and what the data is as of (latest ingest, warehouse version).
    Plain text (firm and region names come from outside)."""
    from core import clock

    ctx = ctx or _ctx()
    lang = ctx.lang
    items = filter_items(ctx.filters, ctx)
    if not is_filtered(ctx.filters):
        items.append(("", "", pick({"zh": "全部公司、全部地区", "en": "all firms, all regions"}, lang)))
    shown = " · ".join(f"{label} {value}".strip() for _, label, value in items)
    as_of = ctx.wh.as_of()
    when = clock.shown(as_of["ingested_at"]) if as_of["ingested_at"] is not None else t("no_value", lang)
    if lang == "zh":
        return f"筛选：{shown}　｜　数据截至 {when}（北京时间，最近一次导入）· 数据版本 {as_of['version'] or '—'}"
    return f"Filters: {shown}  |  Data as of {when} (Beijing, latest ingest) · version {as_of['version'] or '—'}"


def empty_result(metric_ids: Sequence[str], filters: Any = None, ctx: PageContext | None = None) -> None:
    """Nothing to show under `filters` (default: the page's): say why, from the query layer's `why_empty` — the
    chosen firms whose file is held, rejected or missing (暂缓入库：缺 2025Q2), and the filter that emptied the
    result — instead of a general "widen your filters"."""
    from dashboard import submission_status as status

    ctx = ctx or _ctx()
    lang, filters = ctx.lang, filters if filters is not None else ctx.filters
    why = ctx.wh.why_empty(list(metric_ids), filters)
    lines: list[str] = []
    for row in why["firms"].iter_rows(named=True):
        lines.append(f"{row['short_name'] or row['firm_id']}：{status.firm_reason(row, lang)}" if lang == "zh"
                     else f"{row['short_name'] or row['firm_id']}: {status.firm_reason(row, lang)}")
    named = {field: f"{label}：{value}" if lang == "zh" else f"{label}: {value}"
             for field, label, value in filter_items(filters, ctx)}
    culprits = [named[c] for c in why["culprits"] if c in named]
    if len(culprits) == 1:
        lines.append(pick({"zh": f"是筛选条件“{culprits[0]}”使结果为空：去掉这一条件即有数据。",
                           "en": f"The filter “{culprits[0]}” leaves nothing: without it there are figures."}, lang))
    elif culprits:
        joined = ("”或“" if lang == "zh" else "” or “").join(culprits)
        lines.append(pick({"zh": f"去掉筛选条件“{joined}”中的任一条即有数据。",
                           "en": f"Without any one of the filters “{joined}” there are figures."}, lang))
    elif not lines and is_filtered(filters):
        lines.append(pick({"zh": "所选筛选条件的组合没有数据（单独去掉任何一条仍无数据）：" +
                           "；".join(named.values()),
                           "en": "No figures for this combination of filters (nor without any one of them): " +
                           "; ".join(named.values())}, lang))
    elif not lines:
        lines.append(t("empty_metric", lang))
    # The heading in the box; the reasons under it as plain text (firm and region names come from outside).
    st.info(pick({"zh": "按当前筛选没有数据。", "en": "Nothing to show for the current filters."}, lang),
            icon=theme.ICON_INFO)
    st.text("\n".join(lines))


def is_empty(frame: pl.DataFrame, metric_ids: Sequence[str] = ()) -> bool:
    """No rows, or every value of the metrics null (zero or unreported denominators)."""
    if frame.height == 0:
        return True
    return bool(metric_ids) and all(frame[m].null_count() == frame.height for m in metric_ids)


def screen_limit(most: int | None, limit: int = PRESENT_BARS, ctx: PageContext | None = None) -> int | None:
    """How many items a chart or list shows: `most` (None: all) in the normal view, at most `limit` on the
    projector."""
    ctx = ctx or _ctx()
    if not ctx.present:
        return most
    return limit if most is None else min(most, limit)


def _screen_note(shown: int, total: int, how: str, name: str, ctx: PageContext) -> None:
    """The caption under a projector's shortened chart or table: how many of how many, where the rest are."""
    half = shown // 2
    zh = {"ends": f"{name}最高、最低各 {half} 项（共 {total} 项）",
          "top": f"{name}最大的 {shown} 项（共 {total} 项）",
          "first": f"前 {shown} 行（共 {total} 行）"}[how]
    en = {"ends": f"the {half} highest and lowest by {name} of {total}",
          "top": f"the {shown} largest by {name} of {total}",
          "first": f"the first {shown} rows of {total}"}[how]
    st.caption(pick({"zh": f"演示模式只显示{zh}；全部见普通视图或导出。",
                     "en": f"Presentation view: {en}; all in the normal view and the export."}, ctx.lang))


def for_screen(frame: pl.DataFrame, metric: str | None = None, *, most: int | None = None,
               table: bool = False, label: str | None = None, ctx: PageContext | None = None) -> int | None:
    """How many bars a ranking of `frame` by `metric` draws (`ranked_bars(most=…)`: its highest and lowest halves):
    `most` in the normal view; on the projector at most PRESENT_BARS (PRESENT_ROWS for a `table`), with a caption
    saying how many of how many when some are left out (`label`: what `metric` is called when it is a column
    rather than a metric id). Every dense chart and table of a page asks here, so the projector's layout has one
    rule. Selection only: the figures are the query layer's."""
    ctx = ctx or _ctx()
    shown = screen_limit(most, PRESENT_ROWS if table else PRESENT_BARS, ctx)
    total = frame.height if metric is None else frame.height - frame[metric].null_count()
    if ctx.present and shown is not None and total > shown:
        name = label or (ctx.metric_name(metric) if metric else "")
        _screen_note(shown, total, "ends" if metric else "first", name, ctx)
    return shown


def rows_for_screen(frame: pl.DataFrame, metric: str | None = None, ctx: PageContext | None = None,
                    label: str | None = None, ordered: bool = False) -> pl.DataFrame:
    """A table's rows on the projector (`for_screen`): its PRESENT_ROWS highest and lowest by `metric`, highest
    first (`ordered`: in the frame's own order, e.g. a ranking's), or its first rows without a metric; all of them
    in the normal view."""
    ctx = ctx or _ctx()
    shown = for_screen(frame, metric, table=True, label=label, ctx=ctx)
    if shown is None or frame.height <= shown:
        return frame
    if metric is None:
        return frame.head(shown)
    ranked = frame.with_row_index("_row").filter(pl.col(metric).is_not_null()).sort(metric, descending=True)
    if ranked.height <= shown:
        return frame
    kept = pl.concat([ranked.head(shown - shown // 2), ranked.tail(shown // 2)])
    return (kept.sort("_row") if ordered else kept).drop("_row")


def split_for_screen(frame: pl.DataFrame, per: int, ctx: PageContext | None = None) -> list[pl.DataFrame]:
    """`frame` whole in the normal view; on the projector in parts of `per` rows, a slide each (nothing left out)."""
    if not (ctx or _ctx()).present or frame.height <= per:
        return [frame]
    return [frame.slice(start, per) for start in range(0, frame.height, per)]


def largest(frame: pl.DataFrame, size: str, ctx: PageContext | None = None, n: int = FIRM_MIX) -> pl.DataFrame:
    """The `n` firms with the largest `size` (a measure of the query layer's table; on the projector
    `screen_limit(n)`), saying so in a caption when others were left out. Selection only: the figures are the
    query layer's."""
    ctx = ctx or _ctx()
    n = screen_limit(n, ctx=ctx) or n
    if frame.height <= n:
        return frame
    if ctx.present:
        _screen_note(n, frame.height, "top", ctx.metric_name(size), ctx)
    else:
        st.caption(pick({"zh": f"显示{ctx.metric_name(size)}最多的 {n} 家公司；在侧栏选择公司可查看其他公司。",
                         "en": f"The {n} firms with the most {ctx.metric_name(size)}; choose firms in the sidebar "
                               f"to see others."}, ctx.lang))
    return frame.sort(size, descending=True, nulls_last=True).head(n)


def table_height(rows: int, ctx: PageContext | None = None) -> int:
    """sizes.table_height; on the projector (larger rows) every row of a short table, no taller than
    PRESENT_TABLE_PX (a longer table scrolls on its slide)."""
    from dashboard.sizes import table_height as height

    if (ctx or _ctx()).present:
        return min(PRESENT_TABLE_PX, PRESENT_ROW_PX * (max(rows, 1) + 1) + 18)
    return height(rows)


MIMES = {"csv": "text/csv", "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
         "parquet": "application/vnd.apache.parquet", "json": "application/json"}


def exporter(ctx: PageContext | None = None) -> str:
    """Who a dashboard export is recorded as: the logged-in user's name (the app stops before any page without
    one; "dashboard@<address>" only if a page is ever run outside it)."""
    from dashboard import session

    user = session.user()
    return user.username if user is not None else f"dashboard@{st.context.ip_address or 'local'}"


def exporter_role() -> str | None:
    from dashboard import session

    user = session.user()
    return user.role if user is not None else None


def download(where: Any, label: str, frame: pl.DataFrame, fmt: str, *, file_name: str, key: str,
             meta: dict | None = None, labels: str = "id", what: str = "table", ctx: PageContext | None = None,
             **button: Any) -> None:
    """A download button for `frame` as `fmt`. The bytes are made on click (not on every rerun) by
    query.export.export — formulas neutralised, the download recorded in the audit trail first; when the
    record cannot be written the download fails and nothing is handed out. The dashboard's only data download."""
    from functools import partial

    from query import export

    ctx = ctx or _ctx()
    data = partial(export.export, frame, fmt, warehouse=ctx.wh.path, labels=labels, meta=meta, what=what,
                   destination=f"download:{file_name}", who=exporter(ctx), role=exporter_role())
    where.download_button(label, data, file_name=file_name, mime=MIMES[fmt], key=key, on_click="ignore",
                          icon=":material/download:", **button)


def download_original(where: Any, label: str, submission_id: str, file_name: str, *, key: str,
                      ctx: PageContext | None = None, **button: Any) -> None:
    """A download button for a file a member sent, byte for byte (query.export.original: audited on click)."""
    from functools import partial

    from query import export

    ctx = ctx or _ctx()

    def original(wh: Any, sid: str, who: str, role: str | None) -> bytes:
        name, data = wh.original_file(sid)
        return export.original(wh.path, name, data, submission_id=sid, who=who, role=role,
                               destination=f"download:{file_name}")

    where.download_button(label, partial(original, ctx.wh, submission_id, exporter(ctx), exporter_role()),
                          file_name=file_name,
                          key=key, on_click="ignore", icon=":material/download:", **button)


DOCUMENT_MIMES = {"pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
                  "pdf": "application/pdf",
                  "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


def download_document(where: Any, label: str, data: bytes, fmt: str, *, file_name: str, key: str,
                      meta: dict | None = None, what: str = "deck", ctx: PageContext | None = None,
                      **button: Any) -> None:
    """A download button for a document already rendered from the query layer's figures (the meeting deck),
    handed out on click by query.export.document: the download recorded in the audit trail first."""
    from functools import partial

    from query import export

    ctx = ctx or _ctx()
    hand_out = partial(export.document, ctx.wh.path, data, fmt, what=what, meta=meta, who=exporter(ctx),
                       role=exporter_role(), destination=f"download:{file_name}")
    where.download_button(label, hand_out, file_name=file_name, mime=DOCUMENT_MIMES[fmt], key=key,
                          on_click="ignore", icon=":material/download:", **button)


def download_buttons(frame: pl.DataFrame, filters: Any, metric_ids: Sequence[str], by: Sequence[str],
                     key: str = "dl", ctx: PageContext | None = None) -> None:
    """CSV / XLSX / Parquet of exactly this table, side by side (bytes as `xiaobao export`)."""
    from query import export

    ctx = ctx or _ctx()
    meta = export.meta(filters=filters, metrics=list(metric_ids), by=list(by), version=ctx.wh.version,
                       who=exporter(ctx))
    for col, fmt in zip(st.columns(3), ("csv", "xlsx", "parquet"), strict=True):
        download(col, t(f"download_{fmt}", ctx.lang), frame, fmt, file_name=export.file_name(filters, fmt),
                 key=f"{key}_{fmt}", meta=meta, labels=ctx.lang, ctx=ctx, width="stretch")


def inert_labels(fig: go.Figure) -> go.Figure:
    """The figure with every category, trace name, hover text and tick label made inert (core.untrusted.plotly):
    a firm's name from the registry never becomes a link or markup in a chart. Value labels (`text`) and the
    templates are the charts' own and keep their `<br>`."""
    def inert(values: Any) -> Any:
        if isinstance(values, str):
            return untrusted.plotly(values)
        if isinstance(values, (list, tuple)):
            return [inert(v) for v in values]
        return values

    for trace in fig.data:
        for attr in ("x", "y", "name", "hovertext", "customdata", "labels"):
            if attr in trace and trace[attr] is not None and not hasattr(trace[attr], "dtype"):
                trace[attr] = inert(trace[attr])
    for axis in ("xaxis", "yaxis"):
        for attr in ("ticktext", "tickvals"):  # tickvals: the categories (escaped like the trace's) they label
            ticks = fig.layout[axis][attr] if axis in fig.layout else None
            if ticks is not None and not hasattr(ticks, "dtype"):
                fig.layout[axis][attr] = inert(list(ticks))
    return fig


def chart(fig: go.Figure, key: str | None = None, **selection: Any) -> Any:
    """A Plotly figure with the offline config (local topojson, no logo), its labels inert; on the projector its
    fonts enlarged and its height the slide's (`height="stretch"`: the presentation script sizes the chart's element
    to what the slide has left, dashboard/present.py). `selection` (on_select, selection_mode) makes it clickable;
    the selection event is returned."""
    present = _ctx().present
    if present:
        from dashboard import present as projector

        projector.enlarge(fig)
    margins.fit(fig)   # laid out once in the browser (no automargin passes); after the fonts are final
    return st.plotly_chart(inert_labels(fig), config=PLOTLY_CONFIG, width="stretch", key=key, theme=None,
                           height="stretch" if present else "content", **selection)


def pair(ctx: PageContext | None = None) -> tuple[Any, Any]:
    """Two charts side by side (on the projector too: a 16:9 screen is wide, and each chart then gets the slide's
    full height)."""
    left, right = st.columns(2, gap="large" if (ctx or _ctx()).present else "small")
    return left, right


@contextmanager
def slide(key: str):
    """One headline per screen in presentation mode: a block that fills the projector's height."""
    marks = _ctx().marks
    marks["slide"] = key
    try:
        with st.container(key=f"slide_{key}", border=False):
            yield
    finally:
        marks.pop("slide", None)


def page_title(text: str, ctx: PageContext | None = None) -> None:
    """Page heading with the period it shows, e.g. 总览 · 2025Q3."""
    ctx = ctx or _ctx()
    if ctx.period is None:
        st.title(text)
        st.text(context_line(ctx))
        return
    when = ctx.period if not ctx.is_range else f"{ctx.filters.period_from} – {ctx.filters.period_to}"
    st.title(f"{text} · {when}")
    st.text(context_line(ctx))


def guarded(run, lang: str | None = None) -> None:
    """Run a page body; an unexpected exception becomes a friendly message, its trace goes to the log."""
    try:
        run()
    except Exception:
        log.exception("page failed")
        st.error(t("page_error", lang or current_lang()), icon=theme.ICON_ERROR)
