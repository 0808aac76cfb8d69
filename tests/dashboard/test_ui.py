"""Page building blocks (dashboard/ui.py) as the pages render them: headline tiles with their 环比/同比, by-firm charts
that keep to what a projector can show."""

from __future__ import annotations

import shutil

import polars as pl
import pytest

from core import layout
from core.quarters import earlier_in_year
from dashboard.charts.labels import value_text
from query import Filters, Warehouse
from tests.dashboard.apptest import (
    figure,
    metric,
    no_traceback,
)


def rate_change(absolute: float, relative: float, unit: str, lang: str) -> str:
    """A rate per base's change, spelt out by hand: +0.52 件/亿元（+7.2%） / -2 per 100m yuan (-21.8%)."""
    a = ("+" if absolute > 0 else "") + value_text(absolute, unit, lang)
    r = f"{relative * 100:+.1f}%"
    return f"{a}（{r}）" if lang == "zh" else f"{a} ({r})"


def test_headline_changes_read_shares_in_points_and_rates_absolute_and_relative(app_test, demo_wh, latest):
    """适老化网点占比 rising from 45.0% to 56.1% reads 同比 +11.1 百分点, not +24.7%; 亿元保费投诉量 reads
    +0.52 件/亿元（+7.2%）; totals read relative (+5.2%) — in both languages."""
    f = Filters(period=latest)
    for lang in ("zh", "en"):
        at = app_test(params={"period": latest, **({"lang": "en"} if lang == "en" else {})})
        no_traceback(at)
        tiles = {m.label: m for m in at.metric}
        for metric_id in ("age_friendly_outlet_share", "on_time_resolution_rate", "complaints_per_100m_premium",
                          "complaints_total"):
            m, row = metric(demo_wh, metric_id), demo_wh.change(metric_id, by=[], filters=f).row(0, named=True)
            tile = tiles[m.zh if lang == "zh" else m.en]
            unit = m.unit_zh if lang == "zh" else m.unit_en
            if m.percent:
                want = {k: f"{row[f'{k}_abs'] * 100:+.1f} {'百分点' if lang == 'zh' else 'pp'}" for k in ("qoq", "yoy")}
            elif m.kind == "rate":
                want = {k: rate_change(row[f"{k}_abs"], row[f"{k}_pct"], unit, lang) for k in ("qoq", "yoy")}
            else:
                want = {k: f"{row[f'{k}_pct'] * 100:+.1f}%" for k in ("qoq", "yoy")}
            assert tile.delta == want["qoq"], (metric_id, lang)
            assert tile.proto.delta_description.endswith(" " + want["yoy"]), (metric_id, lang)
            assert "%" not in tile.delta or not m.percent, (metric_id, lang)


def test_by_firm_charts_keep_to_what_a_projector_can_show(app_test, many_firms):
    from dashboard import ui

    wh = Warehouse(many_firms)
    latest = wh.periods()[-1]
    f = Filters(period=latest, firm_type="财产险")
    at = app_test("complaints.py", params={"period": latest, "type": "财产险"}, warehouse=many_firms)
    no_traceback(at)
    # The ranking chart: the 15 highest rates, a row saying how many are left out, the 15 lowest.
    peers = wh.peers("complaints_per_100m_premium", latest, "财产险").drop_nulls("value").sort("value",
                                                                                             descending=True)
    (trace,) = figure(at, "complaints_peers_财产险")["data"]
    names = peers["firm_name"].to_list()
    assert trace["y"] == [*names[:15], f"⋯ 中间 {len(names) - ui.FIRM_BARS} 项未显示 ⋯", *names[-15:]]
    assert trace["x"][:15] == pytest.approx(peers["value"].head(15).to_list())
    # The cause mix: the 20 firms with most complaints, and the page says so.
    at = app_test("complaints.py", params={"period": latest, "type": "财产险", "section": "causes"},
                  warehouse=many_firms)
    by_firm = wh.table(["complaints_total"], ["firm"], f).sort("complaints_total", descending=True)
    causes = figure(at, "complaints_causes")["data"]
    assert causes[0]["y"] == by_firm["firm_name"].head(ui.FIRM_MIX).to_list()
    assert any(f"显示投诉总量最多的 {ui.FIRM_MIX} 家公司" in c.value for c in at.caption)

    at = app_test("outreach.py", params={"period": latest, "type": "财产险", "section": "groups"},
                  warehouse=many_firms)
    no_traceback(at)
    reach = wh.table(["reach_offline"], ["firm"], f).sort("reach_offline", descending=True)
    assert figure(at, "outreach_groups")["data"][0]["y"] == reach["firm_name"].head(ui.FIRM_MIX).to_list()


PAGES = ("overview.py", "complaints.py", "mediation.py", "outreach.py", "map.py", "peers.py", "explorer.py",
         "submissions.py")


def _texts(at) -> list[str]:
    return [t.value for t in at.text]


@pytest.mark.parametrize("page", PAGES)
def test_every_page_shows_the_active_filters_and_the_datas_as_of_time(app_test, demo_warehouse, page):
    wh = Warehouse(demo_warehouse)
    latest = wh.periods()[-1]
    at = app_test(page, params={"period": latest, "type": "财产险", "province": "440000"})
    assert not at.exception, [e.value for e in at.exception]
    (line,) = [t for t in _texts(at) if t.startswith("筛选：")]
    assert line.startswith(f"筛选：报告期 {latest} · 公司类型 财产险 · 省份 广东省　｜　数据截至 ")
    assert line.endswith(f"（北京时间，最近一次导入）· 数据版本 {wh.version}")


def test_the_line_speaks_english_and_says_when_nothing_is_filtered(app_test, demo_warehouse):
    wh = Warehouse(demo_warehouse)
    at = app_test("complaints.py", params={"lang": "en", "region": "440000"})
    (line,) = [t for t in _texts(at) if t.startswith("Filters:")]
    assert f"Quarter {wh.periods()[-1]} · Region Guangdong (excl. Shenzhen)" in line and f"version {wh.version}" in line
    at = app_test("complaints.py")
    (line,) = [t for t in _texts(at) if t.startswith("筛选：")]
    assert "全部公司、全部地区" in line


def test_headings_say_current_filters_rather_than_the_whole_association(app_test):
    whole = [s.value for s in app_test("overview.py").subheader]
    assert any("主要指标（全协会）" in s for s in whole) and "趋势（全协会）" in whole
    filtered = [s.value for s in app_test("overview.py", params={"type": "人身险"}).subheader]
    assert any("主要指标（按当前筛选）" in s for s in filtered) and "趋势（按当前筛选）" in filtered
    assert not any("全协会" in s for s in filtered)


@pytest.fixture
def held_warehouse(demo_warehouse, tmp_path):
    """The demo warehouse where firm S003's last quarter is a held 年累计 file: no figures, and no accepted file
    for the quarter before it either."""
    path = tmp_path / "wh"
    shutil.copytree(demo_warehouse, path, symlinks=True)
    snap = layout.current_snapshot(path)
    subs = pl.read_parquet(snap / layout.SUBMISSIONS)
    latest = subs["period"].max()
    gap = earlier_in_year(latest)[-1]
    firm = "S003"
    subs.filter(~((pl.col("firm_id") == firm) & (pl.col("period") == gap))).with_columns(
        pl.when((pl.col("firm_id") == firm) & (pl.col("period") == latest)).then(pl.lit("held"))
        .otherwise(pl.col("status")).alias("status")).write_parquet(snap / layout.SUBMISSIONS)
    for dataset in layout.FACT_DATASETS:
        for period in (latest, gap):
            part = snap / layout.partition(dataset, period)
            if part.exists():
                pl.read_parquet(part).filter(pl.col("firm_id") != firm).write_parquet(part)
    return path, latest, gap, firm


def test_a_firm_with_a_held_file_is_told_why_it_has_no_figures(app_test, held_warehouse):
    path, latest, gap, firm = held_warehouse
    name = Warehouse(path).firms().filter(pl.col("firm_id") == firm)["short_name"][0]
    at = app_test("complaints.py", params={"period": latest, "firm": firm}, warehouse=path)
    assert not at.exception, [e.value for e in at.exception]
    texts = "\n".join(_texts(at))
    assert f"{name}：暂缓入库：缺 {gap}" in texts
    assert f"是筛选条件“公司：{name}”使结果为空" in texts or "去掉筛选条件“" in texts
    assert not any("放宽筛选条件" in i.value for i in at.info)
    assert any(i.value == "按当前筛选没有数据。" for i in at.info)


def test_an_empty_result_names_the_filter_that_emptied_it(app_test, demo_warehouse):
    wh = Warehouse(demo_warehouse)
    # Head-office figures (000000) carry no population: per-resident reach is empty there, whatever the firm.
    at = app_test("outreach.py", params={"period": wh.periods()[-1], "region": "000000"})
    assert not at.exception, [e.value for e in at.exception]
    texts = "\n".join(_texts(at))
    assert "是筛选条件“地区：总公司/全国”使结果为空：去掉这一条件即有数据。" in texts
