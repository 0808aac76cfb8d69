"""Where things live. Options beat environment variables, which beat the defaults."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
REFERENCE_DIR = ROOT / "data" / "reference"
REGIONS_CSV = REFERENCE_DIR / "regions.csv"
DEFAULT_WAREHOUSE = Path("data/parquet")
DEFAULT_REGISTRY = Path("data/reference/firms.csv")


def warehouse_dir(override: str | os.PathLike[str] | None = None) -> Path:
    return Path(override or os.environ.get("XIAOBAO_WAREHOUSE") or DEFAULT_WAREHOUSE)


def registry_path(override: str | os.PathLike[str] | None = None) -> Path:
    return Path(override or os.environ.get("XIAOBAO_REGISTRY") or DEFAULT_REGISTRY)


# ── limits on what one submitted file may make the reader do (DOMAIN.md: read within fixed limits) ───────────
@dataclass(frozen=True)
class ReadLimits:
    """What one submission unit may occupy; beyond any of these it is rejected, naming the limit, before it is read.

    Each has an environment override (`LIMIT_ENV`), in MiB for sizes."""

    file_bytes: int  # a workbook or .zip as sent, or all files of a folder bundle together
    member_bytes: int  # one part inflated: a CSV of a bundle, one XML part of a workbook
    bundle_bytes: int  # every part of one unit inflated, together
    ratio: int  # inflated / packed size of one part (checked for parts over RATIO_FLOOR_BYTES)
    sheet_rows: int  # rows from a sheet's first to its last non-empty cell
    sheet_cols: int  # columns likewise


MIB = 1024 * 1024
RATIO_FLOOR_BYTES = MIB  # a small part may compress as well as it likes: the absolute limits bound it anyway
LIMIT_ENV = {
    "file_bytes": ("XIAOBAO_MAX_FILE_MIB", 32),
    "member_bytes": ("XIAOBAO_MAX_MEMBER_MIB", 16),
    "bundle_bytes": ("XIAOBAO_MAX_BUNDLE_MIB", 64),
    "ratio": ("XIAOBAO_MAX_RATIO", 100),
    "sheet_rows": ("XIAOBAO_MAX_SHEET_ROWS", 2000),
    "sheet_cols": ("XIAOBAO_MAX_SHEET_COLS", 256),
}


def read_limits() -> ReadLimits:
    """The limits in force: the environment's overrides (positive whole numbers), else the defaults."""
    values = {}
    for field_name, (env, default) in LIMIT_ENV.items():
        raw = os.environ.get(env, "").strip()
        value = int(raw) if raw.isdigit() and int(raw) > 0 else default
        values[field_name] = value * MIB if field_name.endswith("_bytes") else value
    return ReadLimits(**values)


UPLOAD_ENV = ("XIAOBAO_MAX_UPLOAD_MIB", 20)


def upload_limit() -> int:
    """Bytes one upload through the portal may have (default 20 MiB; a member's workbook is 10–100 KB)."""
    env, default = UPLOAD_ENV
    raw = os.environ.get(env, "").strip()
    return (int(raw) if raw.isdigit() and int(raw) > 0 else default) * MIB


# ── the province map's files (shipped with the dashboard, read as files by the meeting deck too) ──────────────
MAP_STATIC = ROOT / "dashboard" / "static"
MAP_GEOJSON = MAP_STATIC / "china_provinces.geojson"
MAP_TEN_DASH = MAP_STATIC / "china_ten_dash_line.geojson"
MAP_TOPOJSON = MAP_STATIC / "topojson"   # stub world topologies: plotly fetches one even with no base map
MAP_SOURCE = MAP_STATIC / "MAP_SOURCE.md"
