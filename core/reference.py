"""Reference data: regions (shipped in the repo) and the member registry (a CSV the secretariat edits)."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from core.settings import REGIONS_CSV

REGISTRY_COLUMNS = ("firm_id", "name", "short_name", "aliases", "firm_type")
FIRM_TYPES = ("财产险", "人身险")
# The firm types in English: the dashboard, `xiaobao`, and exports with English labels (Life / Property).
FIRM_TYPES_EN = {"财产险": "Property", "人身险": "Life"}


def firm_type_name(firm_type: str | None, lang: str = "zh") -> str | None:
    """财产险 → Property in English; the Chinese name otherwise (unknown values as they are)."""
    return FIRM_TYPES_EN.get(firm_type, firm_type) if lang == "en" and firm_type is not None else firm_type


def load_regions(path: Path = REGIONS_CSV) -> pl.DataFrame:
    """code, name, short_name, abbr, name_en, kind, parent_code, population_2020, counties, aliases."""
    return pl.read_csv(path, schema_overrides={"code": pl.Utf8, "parent_code": pl.Utf8},
                       infer_schema_length=0).with_columns(
        pl.col("population_2020").cast(pl.Int64, strict=False),
        pl.col("counties").cast(pl.Int64, strict=False),
    )


def load_registry(path: Path) -> pl.DataFrame:
    """The member registry, every column text; raises FileNotFoundError / ValueError with a Chinese message."""
    if not Path(path).exists():
        raise FileNotFoundError(f"会员名录不存在：{path}")
    frame = pl.read_csv(path, infer_schema_length=0, encoding="utf8-lossy")
    missing = [c for c in REGISTRY_COLUMNS if c not in frame.columns]
    if missing:
        raise ValueError(f"会员名录 {path} 缺少列：{'、'.join(missing)}")
    bad = frame.filter(~pl.col("firm_type").is_in(FIRM_TYPES))
    if bad.height:
        raise ValueError(f"会员名录 {path} 第 {bad['firm_id'][0]} 行公司类型应为 财产险 或 人身险")
    return frame.select(REGISTRY_COLUMNS).with_columns(pl.col("aliases").fill_null(""))
