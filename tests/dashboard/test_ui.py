"""What every page shows through dashboard.ui (issue 8 item 6): the active filters and the data's as-of time under
the title, headings that say when a filter is set, and an empty result that says why it is empty."""

from __future__ import annotations

import shutil

import polars as pl
import pytest

from core import layout
from core.quarters import earlier_in_year
from query import Warehouse

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
