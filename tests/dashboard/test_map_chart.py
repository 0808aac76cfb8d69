"""The offline China map: whole territory, clockwise rings, grey for no value, hover text, source named."""

from __future__ import annotations

from itertools import pairwise

import polars as pl

from dashboard.charts.china_map import SOURCE_ZH, choropleth, provinces_geojson, ten_dash_line
from dashboard.format import fmt_value
from xiaobao.settings import REGIONS_CSV

TERRITORY = {"710000", "810000", "820000", "460000"}  # Taiwan, Hong Kong, Macao, Hainan (South China Sea islands)


def _signed_area(ring):
    return sum(x1 * y2 - x2 * y1 for (x1, y1), (x2, y2) in pairwise(ring)) / 2


def test_geojson_holds_every_province_of_the_reference_data_and_the_whole_territory():
    codes = {f["properties"]["adcode"] for f in provinces_geojson()["features"]}
    provinces = set(pl.read_csv(REGIONS_CSV, infer_schema_length=0).filter(pl.col("kind") == "province")["code"])
    assert len(codes) == 34
    assert provinces <= codes and TERRITORY <= codes
    hainan = next(f for f in provinces_geojson()["features"] if f["properties"]["adcode"] == "460000")
    southernmost = min(p[1] for poly in hainan["geometry"]["coordinates"] for p in poly[0])
    assert southernmost < 12  # the Nansha islands are drawn, not only Hainan island (≈ 18°N)
    assert len(ten_dash_line()["geometry"]["coordinates"]) >= 9


def test_exterior_rings_are_clockwise_for_plotly():
    for feature in provinces_geojson()["features"]:
        for polygon in feature["geometry"]["coordinates"]:
            assert _signed_area(polygon[0]) < 0, feature["properties"]["name"]


def test_choropleth_values_grey_provinces_and_source():
    frame = pl.DataFrame({"province_code": ["440000", "110000", "650000"], "province_name": ["广东", "北京", "新疆"],
                          "rate": [12.34, 5.0, None], "rate__low_base": [False, True, False]})
    fig = choropleth(frame, value_col="rate", title="亿元保费投诉量", unit="件/亿元", low_base_col="rate__low_base")
    base, values = fig.data[0], fig.data[1]
    assert len(base.locations) == 34 and set(base.z) == {0}  # every province drawn, grey underneath
    assert list(values.locations) == ["110000", "440000"] and list(values.z) == [5.0, 12.34]
    assert values.text[1] == f"广东<br>{fmt_value(12.34, '件/亿元')}"
    assert values.text[0].endswith("⚠ 低基数")
    xinjiang = list(base.locations).index("650000")
    assert base.text[xinjiang] == "新疆<br>无数据"
    assert any(SOURCE_ZH == a.text for a in fig.layout.annotations)
    assert fig.layout.geo2.domain.x[0] > 0.5  # the 南海诸岛 inset
