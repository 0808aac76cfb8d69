"""投诉分析 in AppTest: rates by region and the ranking are the query layer's."""

from __future__ import annotations

import pytest

from query import Filters
from tests.dashboard.apptest import (
    bars_of,
    figure,
    no_traceback,
)


def test_complaints_page_rates_by_region_and_ranking(app_test, demo_wh, latest):
    at = app_test("complaints.py", params={"period": latest, "type": "财产险"})
    no_traceback(at)
    rate = "complaints_per_100m_premium"
    by_region = demo_wh.table(metrics=[rate], by=["region"], filters=Filters(period=latest, firm_type="财产险"))
    assert bars_of(figure(at, "complaints_regions")) == pytest.approx(
        {r["region_name"]: r[rate] for r in by_region.iter_rows(named=True) if r[rate] is not None})
    peers = demo_wh.peers(rate, latest, "财产险")
    assert bars_of(figure(at, "complaints_peers_财产险")) == pytest.approx(
        {r["firm_name"]: r["value"] for r in peers.iter_rows(named=True) if r["value"] is not None})

    other = "complaints_per_10k_policies"
    at.segmented_control(key="complaints_rate").set_value(other).run()
    by_region = demo_wh.table(metrics=[other], by=["region"], filters=Filters(period=latest, firm_type="财产险"))
    assert bars_of(figure(at, "complaints_regions")) == pytest.approx(
        {r["region_name"]: r[other] for r in by_region.iter_rows(named=True) if r[other] is not None})
