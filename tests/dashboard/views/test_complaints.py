"""投诉分析 in AppTest: rates by region and the ranking are the query layer's."""

from __future__ import annotations

import pytest

from query import Filters
from tests.dashboard.apptest import (
    bars_of,
    expected_headline,
    figure,
    headline,
    metric,
    no_traceback,
)


def test_complaints_page_rates_by_region_and_ranking(app_test, demo_wh, latest):
    at = app_test("complaints.py", params={"period": latest, "type": "财产险"})
    no_traceback(at)
    rate = "complaints_per_100m_premium"
    peers = demo_wh.peers(rate, latest, "财产险")
    assert bars_of(figure(at, "complaints_peers_财产险")) == pytest.approx(
        {r["firm_name"]: r["value"] for r in peers.iter_rows(named=True) if r["value"] is not None})

    at = app_test("complaints.py", params={"period": latest, "type": "财产险", "section": "regions"})
    no_traceback(at)
    by_region = demo_wh.table(metrics=[rate], by=["region"], filters=Filters(period=latest, firm_type="财产险"))
    assert bars_of(figure(at, "complaints_regions")) == pytest.approx(
        {r["region_name"]: r[rate] for r in by_region.iter_rows(named=True) if r[rate] is not None})

    other = "complaints_per_10k_policies"
    at.segmented_control(key="complaints_rate").set_value(other).run()
    by_region = demo_wh.table(metrics=[other], by=["region"], filters=Filters(period=latest, firm_type="财产险"))
    assert bars_of(figure(at, "complaints_regions")) == pytest.approx(
        {r["region_name"]: r[other] for r in by_region.iter_rows(named=True) if r[other] is not None})


def test_complaints_draws_its_headlines_and_only_the_open_section(app_test, demo_wh, latest):
    at = app_test("complaints.py", params={"period": latest})
    no_traceback(at)
    f = Filters(period=latest)
    for metric_id in ("complaints_total", "complaints_per_100m_premium", "complaints_per_10k_policies"):
        assert headline(at, metric(demo_wh, metric_id).zh) == expected_headline(demo_wh, metric_id, f)
    keys = {c.key for c in at.get("plotly_chart")}
    assert "complaints_peers_财产险" in keys   # the first section is open by default …
    assert not keys & {"complaints_regions", "complaints_causes", "complaints_lines", "complaints_trend"}
    assert at.query_params["section"] == "firms"

    at = app_test("complaints.py", params={"period": latest, "section": "causes"})
    no_traceback(at)
    keys = {c.key for c in at.get("plotly_chart")}
    assert {"complaints_causes", "complaints_lines"} <= keys   # … and section= opens another, alone
    assert not keys & {"complaints_peers_财产险", "complaints_peers_人身险", "complaints_regions", "complaints_trend"}
    lines = demo_wh.table(metrics=["complaints"], by=["product_line"], filters=f)
    assert sum(bars_of(figure(at, "complaints_lines")).values()) == pytest.approx(lines["complaints"].sum())
