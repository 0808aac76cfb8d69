"""宣教覆盖 in AppTest: reach per resident by region, county coverage median and max as the query layer gives them."""

from __future__ import annotations

import pytest

from dashboard.charts.labels import value_text
from query import Filters
from tests.dashboard.apptest import (
    bars_of,
    expected_headline,
    figure,
    headline,
    metric,
    no_traceback,
)


def test_outreach_page_reach_per_resident_by_region(app_test, demo_wh, latest):
    at = app_test("outreach.py", params={"period": latest})
    no_traceback(at)
    f = Filters(period=latest)
    assert headline(at, metric(demo_wh, "outreach_reach").zh) == expected_headline(demo_wh, "outreach_reach", f)
    per_10k = demo_wh.table(metrics=["reach_per_10k_residents"], by=["region"], filters=f)
    assert bars_of(figure(at, "outreach_per_10k_region")) == pytest.approx(
        {r["region_name"]: r["reach_per_10k_residents"] for r in per_10k.iter_rows(named=True)
         if r["reach_per_10k_residents"] is not None})


def test_outreach_county_coverage_median_and_max_shown_once_as_the_query_layer_gives_them(app_test, demo_wh,
                                                                                           latest):
    at = app_test("outreach.py", params={"period": latest, "section": "coverage"})
    stats = ("county_coverage_median", "county_coverage_max")
    headers = [f"{metric(demo_wh, m).zh}（%）" for m in stats]
    tables = [d.value for d in at.dataframe if headers[0] in d.value.columns]
    assert len(tables) == 1                                    # once: no second copy drawn by Streamlit magic
    expected = demo_wh.table(metrics=list(stats), by=["region"], filters=Filters(period=latest))
    shown = tables[0]
    assert list(shown["地区"]) == expected["region_name"].to_list()
    for header, m in zip(headers, stats, strict=True):
        assert list(shown[header]) == [value_text(v, "%") for v in expected[m].to_list()]
