"""总览 in AppTest: headline figures and the biggest movers equal the query layer's."""

from __future__ import annotations

import polars as pl
import pytest

from dashboard.charts.labels import move_text
from query import Filters
from tests.dashboard.apptest import (
    expected_headline,
    figure,
    headline,
    metric,
    no_traceback,
)


def test_overview_headlines_equal_the_query_layer(app_test, demo_wh, latest):
    at = app_test(params={"period": latest, "type": "财产险"})
    no_traceback(at)
    f = Filters(period=latest, firm_type="财产险")
    for metric_id in ("complaints_total", "complaints_per_100m_premium", "mediation_success_rate",
                      "outreach_reach"):
        assert headline(at, metric(demo_wh, metric_id).zh) == expected_headline(demo_wh, metric_id, f)
    assert at.title[0].value == f"总览 · {latest}"


def test_overview_movers_rank_each_firm_type_without_low_base_firms_and_show_the_absolute_change(
        app_test, demo_wh, latest):
    at = app_test(params={"period": latest, "section": "movers"})
    no_traceback(at)
    metric_id = "complaints_per_100m_premium"
    unit = metric(demo_wh, metric_id).unit_zh
    moves = demo_wh.movers(metric_id, Filters(period=latest))
    assert set(moves["firm_type"]) == {"财产险", "人身险"}
    for firm_type in ("财产险", "人身险"):
        want = moves.filter((pl.col("firm_type") == firm_type) & pl.col("mover_rank").is_not_null())
        fig = figure(at, f"overview_movers_{firm_type}")
        (bars,) = fig["data"]
        assert bars["y"] == want["firm_name"].to_list()
        assert bars["x"] == pytest.approx(want["qoq_pct"].to_list())
        assert not want["low_base"].any()
        labels = [a["text"] for a in fig["layout"]["annotations"]]
        assert labels == [move_text(a, r, unit, "zh") for a, r in zip(want["qoq_abs"], want["qoq_pct"], strict=True)]
        assert all("件/亿元）" in text for text in labels)  # the absolute change beside the relative one
    left_out = int(moves["low_base"].sum())
    if left_out:
        assert any("低基数" in c.value and "未列入" in c.value for c in at.caption)


def keys(at) -> set[str]:
    return {c.key for c in at.get("plotly_chart")}


def test_overview_draws_only_the_open_section_and_a_link_opens_another(app_test, demo_wh, latest):
    movers = {f"overview_movers_{t}" for t in ("财产险", "人身险")}
    at = app_test(params={"period": latest})   # the first section, the trend, is open
    no_traceback(at)
    assert keys(at) == {"overview_trend"} and at.query_params["section"] == "trend"
    assert not any("异常波动" in h.value for h in at.subheader)   # nor the anomalies, closed
    # A copied link opens the movers: their charts, and no trend chart, no trend metric box.
    at = app_test(params={"period": latest, "section": "movers"})
    no_traceback(at)
    assert keys(at) == movers and at.query_params["section"] == "movers"
    assert not [b for b in at.selectbox if b.key == "overview_trend_metric"]
    at = app_test(params={"period": latest, "section": "anomalies"})
    no_traceback(at)
    assert keys(at) == set() and any("异常波动" in h.value for h in at.subheader)
    # The headlines are on top whichever section is open.
    assert headline(at, metric(demo_wh, "complaints_total").zh) == expected_headline(
        demo_wh, "complaints_total", Filters(period=latest))
