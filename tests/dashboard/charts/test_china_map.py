"""The offline China map: whole territory, clockwise rings, grey for no value, hover text, source named."""

from __future__ import annotations

from itertools import pairwise

import polars as pl
import pytest

from core.settings import REGIONS_CSV
from dashboard.charts.china_map import (
    INSET_VIEW,
    NO_DATA_GREY,
    SOURCE_EN,
    SOURCE_ZH,
    STATIC,
    choropleth,
    colourbar_ticks,
    island_points,
    provinces_geojson,
    ten_dash_line,
)

TERRITORY = {"710000", "810000", "820000", "460000"}  # Taiwan, Hong Kong, Macao, Hainan (South China Sea islands)


def _signed_area(ring):
    """Shoelace area: positive when the ring runs counter-clockwise (lon = x, lat = y)."""
    return sum(x1 * y2 - x2 * y1 for (x1, y1), (x2, y2) in pairwise(ring)) / 2


def _regions() -> pl.DataFrame:
    return pl.read_csv(REGIONS_CSV, infer_schema_length=0)


def test_geojson_holds_every_province_of_the_reference_data_and_the_whole_territory():
    features = provinces_geojson()["features"]
    codes = {f["properties"]["adcode"] for f in features}
    provinces = _regions().filter(pl.col("kind") == "province")
    assert len(features) == len(codes) == 34
    assert set(provinces["code"]) <= codes and TERRITORY <= codes
    # The reference data's names are the map's names (one spelling on the map and in the tables).
    names = {f["properties"]["adcode"]: f["properties"]["name"] for f in features}
    assert {c: names[c] for c in provinces["code"]} == dict(zip(provinces["code"], provinces["name"], strict=True))
    assert names["710000"] == "台湾省" and names["810000"] == "香港特别行政区" and names["820000"] == "澳门特别行政区"
    hainan = next(f for f in features if f["properties"]["adcode"] == "460000")
    southernmost = min(p[1] for poly in hainan["geometry"]["coordinates"] for p in poly[0])
    assert southernmost < 4.5  # down to Zengmu Ansha (≈ 4°N), not only Hainan island (≈ 18°N)
    assert len(ten_dash_line()["geometry"]["coordinates"]) == 10


def test_geojson_is_small_and_carries_only_code_and_name():
    assert (STATIC / "china_provinces.geojson").stat().st_size < 400 * 1024
    for feature in provinces_geojson()["features"]:
        assert set(feature["properties"]) == {"adcode", "name"}
        assert len(feature["properties"]["adcode"]) == 6 and feature["properties"]["adcode"].isdigit()
        assert feature["geometry"]["type"] == "MultiPolygon"


def test_exterior_rings_are_clockwise_and_holes_counter_clockwise_for_plotly():
    holes = 0
    for feature in provinces_geojson()["features"]:
        for polygon in feature["geometry"]["coordinates"]:
            assert _signed_area(polygon[0]) < 0, feature["properties"]["name"]
            for hole in polygon[1:]:
                holes += 1
                assert _signed_area(hole) > 0, feature["properties"]["name"]
    assert holes >= 1  # Beijing and Tianjin leave a hole in Hebei


def test_the_offline_topology_stub_is_there_for_plotly():
    stub = STATIC / "topojson" / "world_110m.json"
    assert stub.exists() and stub.stat().st_size < 2048


def test_choropleth_values_grey_provinces_and_source():
    frame = pl.DataFrame({"province_code": ["440000", "110000", "650000", "000000"],
                          "province_name": ["广东", "北京", "新疆", "总公司/全国"],
                          "rate": [12.34, 5.0, None, 7.0], "rate__low_base": [False, True, False, False]})
    fig = choropleth(frame, value_col="rate", title="亿元保费投诉量", unit="件/亿元", low_base_col="rate__low_base")
    base, values = fig.data[0], fig.data[1]
    # every province drawn once on the main map: grey without a value, coloured with one
    assert set(base.z) == {0} and set(base.locations).isdisjoint(values.locations)
    assert len(base.locations) + len(values.locations) == 34
    assert list(values.locations) == ["110000", "440000"] and list(values.z) == [5.0, 12.34]  # 000000 not a place
    assert values.text[1] == "广东<br>12.34 件/亿元"
    assert values.text[0] == "北京<br>5 件/亿元 ⚠ 低基数"
    labels = dict(zip(base.locations, base.text, strict=True))
    assert labels["650000"] == "新疆<br>无数据"       # a null value: grey, said in words
    assert labels["710000"] == "台湾省<br>无数据"     # no row at all: still drawn, named from the GeoJSON
    assert labels["820000"] == "澳门特别行政区<br>无数据"
    annotations = [a.text for a in fig.layout.annotations]
    assert SOURCE_ZH in annotations and "南海诸岛" in annotations
    # The provinces reaching into the 南海诸岛 inset (geo2) again there, with the ten-dash line and the island dots.
    assert [d.geo for d in fig.data] == ["geo", "geo", "geo2", "geo2", "geo2", "geo", "geo2"]  # + 无数据 key
    inset_grey, inset_values = fig.data[2], fig.data[3]
    assert list(inset_values.locations) == ["440000"] and list(inset_values.z) == [12.34]
    assert set(inset_grey.locations) == {"450000", "460000", "350000", "710000", "810000", "820000", "530000",
                                         "360000"}  # 广西 海南 福建 台湾 香港 澳门 云南 江西, 广东 coloured
    assert (inset_values.zmin, inset_values.zmax) == (values.zmin, values.zmax) == (5.0, 12.34)  # one scale
    assert fig.layout.geo2.domain.x[0] > 0.5 and fig.layout.geo.visible is False
    assert fig.layout.template.layout.font.family.startswith("Noto Sans CJK SC")  # large CJK type


def test_choropleth_without_any_value_still_draws_the_whole_territory():
    frame = pl.DataFrame({"province_code": ["440000"], "province_name": ["广东省"], "rate": [None]},
                         schema_overrides={"rate": pl.Float64})
    fig = choropleth(frame, value_col="rate", unit="%", lang="en",
                     names={"440000": "Guangdong", "110000": "Beijing"})
    assert [d.type for d in fig.data] == ["choropleth", "choropleth", "scattergeo", "scattergeo", "scattergeo"]
    labels = dict(zip(fig.data[0].locations, fig.data[0].text, strict=True))
    assert len(labels) == 34
    assert labels["110000"] == "Beijing<br>no data" and labels["710000"] == "Taiwan<br>no data"
    assert labels["440000"] == "广东省<br>no data"  # the frame's own name wins (the page localises the frame)
    assert SOURCE_EN in [a.text for a in fig.layout.annotations]


def test_colour_bar_reads_in_chinese_conventions():
    fig = choropleth(pl.DataFrame({"province_code": ["440000", "110000"], "province_name": ["广东省", "北京市"],
                                   "n": [180_000, 12_000]}), value_col="n", unit="件")
    bar = fig.data[1].colorbar
    assert list(bar.tickvals) == [50_000, 100_000, 150_000]
    assert list(bar.ticktext) == ["5万", "10万", "15万"]
    assert bar.title.text == "件"


@pytest.mark.parametrize(("lo", "hi", "unit", "lang", "values", "texts"), [
    (2.3, 13.7, "件/亿元", "zh", [4, 6, 8, 10, 12], ["4", "6", "8", "10", "12"]),
    (0.31, 0.94, "%", "zh", [0.4, 0.6, 0.8], ["40%", "60%", "80%"]),
    (0.512, 0.548, "%", "en", [0.52, 0.53, 0.54], ["52%", "53%", "54%"]),
    (0.5101, 0.5148, "%", "zh", [0.511, 0.512, 0.513, 0.514], ["51.1%", "51.2%", "51.3%", "51.4%"]),
    (1_000, 900_000, "万元", "zh", [200_000, 400_000, 600_000, 800_000], ["20亿元", "40亿元", "60亿元", "80亿元"]),
    (0, 25_000, "人次", "en", [0, 5_000, 10_000, 15_000, 20_000, 25_000],
     ["0", "5k", "10k", "15k", "20k", "25k"]),
    (7.5, 7.5, "件/亿元", "zh", [7.5], ["7.5"]),
])
def test_colourbar_ticks(lo, hi, unit, lang, values, texts):
    got_values, got_texts = colourbar_ticks(lo, hi, unit, lang)
    assert got_values == pytest.approx(values) and got_texts == texts


def test_south_china_sea_islands_are_marked_inside_the_inset():
    lons, lats = island_points()
    assert len(lons) > 100  # Xisha, Zhongsha, Nansha and Dongsha are many small islands and reefs
    lo_lon, hi_lon = INSET_VIEW["lonaxis"]
    lo_lat, hi_lat = INSET_VIEW["lataxis"]
    assert all(lo_lon < x < hi_lon for x in lons) and all(lo_lat < y < hi_lat for y in lats)
    assert min(lats) < 4.5 and any(20 < y < 21.5 and x > 115.5 for x, y in zip(lons, lats, strict=True))  # Dongsha


def test_no_data_has_a_legend_entry_and_the_source_is_legible_on_a_projector():
    # Issue 8 item 9: grey provinces were explained nowhere; the source caption must read from the back row.
    frame = pl.DataFrame({"province_code": ["440000"], "province_name": ["广东省"], "rate": [0.2]})
    for lang, word in (("zh", "无数据"), ("en", "no data")):
        fig = choropleth(frame, value_col="rate", unit="%", lang=lang)
        (key,) = [d for d in fig.data if d.showlegend]
        assert key.name == word and key.marker.color == NO_DATA_GREY and key.marker.symbol == "square"
        assert fig.layout.showlegend is True
        source = next(a for a in fig.layout.annotations if a.text in (SOURCE_ZH, SOURCE_EN))
        assert source.font.size >= 16
