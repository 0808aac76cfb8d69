"""The 地图 page through AppTest: the map draws the query layer's province values; the table shows them."""

from __future__ import annotations

import json

import polars as pl

from dashboard.charts.labels import value_text
from query import Filters


def _map(at) -> dict:
    (chart,) = [c for c in at.get("plotly_chart") if c.key == "map_chart"]
    return json.loads(chart.proto.spec)


def test_map_shows_the_query_layers_province_values(app_test, demo_wh):
    latest = demo_wh.periods()[-1]
    at = app_test("map.py", params={"period": latest, "metric": "complaints_per_100m_premium"})
    assert not at.exception, [e.value for e in at.exception]
    expected = demo_wh.table(["complaints_per_100m_premium"], ["province"], Filters(period=latest))
    provinces = expected.filter(pl.col("province_code") != "000000")
    data = _map(at)["data"]
    with_values = next(t for t in data if t.get("type") == "choropleth" and t.get("showscale"))
    shown = dict(zip(with_values["locations"], with_values["z"], strict=True))
    want = {r["province_code"]: r["complaints_per_100m_premium"] for r in provinces.iter_rows(named=True)
            if r["complaints_per_100m_premium"] is not None}
    assert shown == want
    grey = next(t for t in data if t.get("type") == "choropleth")
    assert len(grey["locations"]) == 34  # the whole territory, provinces without a value in grey
    national = expected.filter(pl.col("province_code") == "000000")["complaints_per_100m_premium"]
    if national.len() and national[0] is not None:
        assert value_text(national[0], "件/亿元") in [m.value for m in at.metric]


def test_raw_figure_toggle_switches_to_the_count(app_test, demo_wh):
    latest = demo_wh.periods()[-1]
    at = app_test("map.py", params={"period": latest, "metric": "complaints_per_100m_premium"})
    at.toggle(key="map_raw").set_value(True).run()
    data = _map(at)["data"]
    with_values = next(t for t in data if t.get("type") == "choropleth" and t.get("showscale"))
    expected = demo_wh.table(["complaints_total"], ["province"], Filters(period=latest))
    guangdong = expected.filter(pl.col("province_code") == "440000")["complaints_total"][0]
    assert dict(zip(with_values["locations"], with_values["z"], strict=True))["440000"] == guangdong


def test_bad_metric_parameter_is_answered_with_a_message(app_test, demo_wh):
    at = app_test("map.py", params={"metric": "'; DROP TABLE x"})
    assert not at.exception
    assert any("metric" in w.value for w in at.warning)
