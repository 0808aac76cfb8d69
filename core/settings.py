"""Where things live. Options beat environment variables, which beat the defaults."""

from __future__ import annotations

import os
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
