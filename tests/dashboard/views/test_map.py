"""The 地图 page through AppTest: the map and the table under it show the query layer's province values."""

from __future__ import annotations

import json

import polars as pl
import pytest

from dashboard.charts.china_map import SOURCE_ZH
from dashboard.charts.labels import value_text
from query import Filters

RATE = "complaints_per_100m_premium"
# The metrics the page offers, by hand: every rate that has a meaning per province.
OFFERED = ["complaints_per_100m_premium", "complaints_per_10k_policies", "complaints_per_10k_insured",
           "regulator_referred_share", "on_time_resolution_rate", "proxy_surrender_share",
           "mediation_participation_rate", "mediation_success_rate", "mediation_fulfilment_rate",
           "mediation_court_linked_share", "reach_per_10k_residents", "key_group_share",
           "age_friendly_outlet_share", "county_coverage_median", "county_coverage_max"]


def _metric(wh, metric_id: str):
    return next(m for m in wh.metrics if m.id == metric_id)


def _map(at) -> dict:
    (chart,) = [c for c in at.get("plotly_chart") if c.key == "map_chart"]
    return json.loads(chart.proto.spec)


def _shown(at) -> dict[str, float]:
    """Province code → value of the coloured (non-grey) layer of the main map."""
    trace = next(t for t in _map(at)["data"] if t.get("type") == "choropleth" and t.get("showscale"))
    return dict(zip(trace["locations"], trace["z"], strict=True))


def _table(at, wh, metric_id: str):
    m = _metric(wh, metric_id)
    (table,) = [d.value for d in at.dataframe if f"{m.zh}（{m.unit_zh}）" in d.value.columns]
    return table, f"{m.zh}（{m.unit_zh}）"


def _no_error(at) -> None:
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]


@pytest.fixture
def latest(demo_wh) -> str:
    return demo_wh.periods()[-1]


def test_map_and_table_show_the_query_layers_province_values(app_test, demo_wh, latest):
    at = app_test("map.py", params={"period": latest, "metric": RATE, "type": "财产险"})
    _no_error(at)
    expected = demo_wh.table([RATE], ["province"], Filters(period=latest, firm_type="财产险"))
    provinces = expected.filter(pl.col("province_code") != "000000")
    assert _shown(at) == {r["province_code"]: r[RATE] for r in provinces.iter_rows(named=True) if r[RATE] is not None}
    main = [t for t in _map(at)["data"] if t.get("type") == "choropleth" and t.get("geo") in (None, "geo")]
    drawn = [c for t in main for c in t["locations"]]
    assert len(drawn) == len(set(drawn)) == 34  # the whole territory once, provinces without a value in grey
    assert SOURCE_ZH in [a["text"] for a in _map(at)["layout"]["annotations"]]  # boundary source under the map
    assert not at.dataframe   # the table is the next section, closed
    # The table section: every row of the query result (总公司/全国 included), formatted, flagged.
    at = app_test("map.py", params={"period": latest, "metric": RATE, "type": "财产险", "section": "table"})
    _no_error(at)
    assert not [c for c in at.get("plotly_chart") if c.key == "map_chart"] and at.query_params["section"] == "table"
    table, header = _table(at, demo_wh, RATE)
    assert list(table["省份"]) == expected["province_name"].to_list()
    assert list(table[header]) == [value_text(v, "件/亿元") + (" ⚠ 低基数" if low else "") for v, low in
                                   zip(expected[RATE], expected[f"{RATE}__low_base"], strict=True)]
    national = expected.filter(pl.col("province_code") == "000000")[RATE][0]
    assert value_text(national, "件/亿元") in [m.value for m in at.metric]   # the headline, over either section
    # The definition one click away.
    assert any(_metric(demo_wh, RATE).definition_zh in md.value for md in at.markdown)


def test_the_metric_choice_offers_every_provincial_rate_and_is_in_the_url(app_test, demo_wh, latest):
    at = app_test("map.py", params={"period": latest})
    box = at.selectbox(key="map_metric")
    assert box.options == [_metric(demo_wh, m).zh for m in OFFERED] and box.value == RATE
    box.set_value("mediation_success_rate").run()
    assert at.query_params["metric"] == "mediation_success_rate"
    expected = demo_wh.table(["mediation_success_rate"], ["province"], Filters(period=latest))
    assert _shown(at) == {r["province_code"]: r["mediation_success_rate"] for r in expected.iter_rows(named=True)
                          if r["province_code"] != "000000" and r["mediation_success_rate"] is not None}


def test_raw_figure_toggle_switches_to_the_count_and_back_from_a_link(app_test, demo_wh, latest):
    at = app_test("map.py", params={"period": latest, "metric": RATE})
    at.toggle(key="map_raw").set_value(True).run()
    _no_error(at)
    expected = demo_wh.table(["complaints_total"], ["province"], Filters(period=latest))
    want = {r["province_code"]: r["complaints_total"] for r in expected.iter_rows(named=True)
            if r["province_code"] != "000000" and r["complaints_total"] is not None}
    assert _shown(at) == want
    assert at.query_params["raw"] == "1"
    # A copied link opens the raw figure again.
    again = app_test("map.py", params={"period": latest, "metric": RATE, "raw": "1"})
    assert again.toggle(key="map_raw").value is True and _shown(again) == want
    table, header = _table(app_test("map.py", params={"period": latest, "metric": RATE, "raw": "1",
                                                      "section": "table"}), demo_wh, "complaints_total")
    assert list(table[header]) == [value_text(v, "件") for v in expected["complaints_total"]]
    again.toggle(key="map_raw").set_value(False).run()
    rates = demo_wh.table([RATE], ["province"], Filters(period=latest))
    assert "raw" not in again.query_params
    assert _shown(again) == {r["province_code"]: r[RATE] for r in rates.iter_rows(named=True)
                             if r["province_code"] != "000000" and r[RATE] is not None}


def test_a_rate_without_a_raw_figure_disables_the_toggle(app_test, demo_wh, latest):
    at = app_test("map.py", params={"period": latest, "metric": "key_group_share", "raw": "1"})
    _no_error(at)
    assert at.toggle(key="map_raw").disabled
    expected = demo_wh.table(["key_group_share"], ["province"], Filters(period=latest))
    assert _shown(at) == {r["province_code"]: r["key_group_share"] for r in expected.iter_rows(named=True)
                          if r["province_code"] != "000000" and r["key_group_share"] is not None}


def test_a_range_of_quarters_is_mapped_and_titled_as_a_range(app_test, demo_wh):
    periods = demo_wh.periods()
    start, end = periods[-4], periods[-1]
    at = app_test("map.py", params={"from": start, "to": end, "metric": RATE})
    _no_error(at)
    expected = demo_wh.table([RATE], ["province"], Filters(period_from=start, period_to=end))
    assert _shown(at) == {r["province_code"]: r[RATE] for r in expected.iter_rows(named=True)
                          if r["province_code"] != "000000" and r[RATE] is not None}
    assert _map(at)["layout"]["title"]["text"] == f"亿元保费投诉量（{start} – {end}）"


def test_a_province_filter_keeps_the_whole_map_and_can_be_cleared(app_test, demo_wh, latest):
    at = app_test("map.py", params={"period": latest, "metric": RATE, "province": "440000"})
    _no_error(at)
    expected = demo_wh.table([RATE], ["province"], Filters(period=latest))
    assert len(_shown(at)) == expected.filter(pl.col("province_code") != "000000")[RATE].drop_nulls().len() > 1
    assert any("其他页面只显示：广东省" in i.value for i in at.info)
    at.button(key="map_clear").click().run()
    _no_error(at)
    assert "province" not in at.query_params
    assert not any("其他页面只显示" in i.value for i in at.info)


def test_english_names_the_provinces_and_the_source_in_english(app_test, demo_wh, latest):
    at = app_test("map.py", params={"period": latest, "metric": RATE, "lang": "en"})
    _no_error(at)
    labels = {c: text for t in _map(at)["data"] if t.get("type") == "choropleth"
              for c, text in zip(t["locations"], t["text"], strict=True)}
    assert labels["440000"].startswith("Guangdong<br>") and labels["710000"] == "Taiwan<br>no data"
    assert _map(at)["layout"]["title"]["text"] == f"Complaints per 100m yuan premium ({latest})"


def test_bad_metric_parameter_is_answered_with_a_message(app_test, demo_wh):
    at = app_test("map.py", params={"metric": "'; DROP TABLE x"})
    assert not at.exception
    assert any("metric" in w.value for w in at.warning)
    assert at.selectbox(key="map_metric").value == RATE


def test_presentation_mode_shows_the_map_in_its_own_slide(app_test, demo_wh, latest):
    at = app_test("map.py", params={"period": latest, "metric": RATE, "present": "1"})
    _no_error(at)
    assert not [c for c in at.get("plotly_chart") if c.key == "map_chart"]   # the projector opens on the headline
    at = app_test("map.py", params={"period": latest, "metric": RATE, "present": "1", "section": "map"})
    _no_error(at)
    expected = demo_wh.table([RATE], ["province"], Filters(period=latest))
    assert _shown(at) == {r["province_code"]: r[RATE] for r in expected.iter_rows(named=True)
                          if r["province_code"] != "000000" and r[RATE] is not None}
