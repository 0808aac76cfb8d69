"""纠纷调解 in AppTest: success divides by cases concluded, and the figures are the query layer's."""

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


def test_mediation_page_says_success_divides_by_concluded_and_shows_query_values(app_test, demo_wh, latest):
    at = app_test("mediation.py", params={"period": latest})
    no_traceback(at)
    assert any("调解结案件数" in i.value for i in at.info)
    f = Filters(period=latest)
    for metric_id in ("mediation_participation_rate", "mediation_success_rate", "mediation_fulfilment_rate"):
        assert headline(at, metric(demo_wh, metric_id).zh) == expected_headline(demo_wh, metric_id, f)
    by_firm = demo_wh.table(metrics=["mediation_success_rate"], by=["firm"], filters=f)
    assert bars_of(figure(at, "mediation_firm")) == pytest.approx(
        {r["firm_name"]: r["mediation_success_rate"] for r in by_firm.iter_rows(named=True)
         if r["mediation_success_rate"] is not None})


def test_mediation_draws_only_the_open_section(app_test, demo_wh, latest):
    at = app_test("mediation.py", params={"period": latest})
    no_traceback(at)
    assert {c.key for c in at.get("plotly_chart")} == {"mediation_firm", "mediation_region"}   # the first, alone
    assert at.query_params["section"] == "by"

    at = app_test("mediation.py", params={"period": latest, "section": "trend"})
    no_traceback(at)
    assert {c.key for c in at.get("plotly_chart")} == {"mediation_trend"}
    series = demo_wh.table(metrics=["mediation_success_rate"], by=["period"],
                           filters=Filters(period_from=demo_wh.periods()[0], period_to=latest))
    (trace,) = figure(at, "mediation_trend")["data"]
    assert dict(zip(trace["x"], trace["y"], strict=True)) == pytest.approx(
        {r["period"]: r["mediation_success_rate"] for r in series.iter_rows(named=True)
         if r["mediation_success_rate"] is not None})
