"""Demo generator → ingest → warehouse: the warehouse holds exactly what was generated, every file the status
the generator planted (resubmissions, 年累计, a held file, genuine errors, every kind of messiness)."""

from __future__ import annotations

import hashlib
from collections import Counter

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from core.contract import SHEETS_BY_ID
from core.layout import FACT_DATASETS
from etl import ingest
from etl.ingest import run
from fixtures import messy
from fixtures.demo import ERROR_RULES, generate
from tests.etl.workbooks import (
    good_sheets,
    regions_frame,
    registry_frame,
    write_registry,
    write_xlsx,
)


@pytest.fixture(scope="module")
def roundtrip(tmp_path_factory):
    root = tmp_path_factory.mktemp("roundtrip")
    # 6 firms over 2024Q1–2025Q2: one 年累计 firm (both years from Q1), a held 2025Q2 年累计 file (2025Q1 skipped),
    # five error files (three corrected), a revised 版本 2; half the files messy so every transform is exercised.
    demo = generate(root / "demo", firms=6, period_from="2024Q1", period_to="2025Q2", seed=11, messy_share=0.5)
    report = run([root / "demo" / "submissions"], root / "wh", demo.registry_path)
    return demo, report, root / "wh"


def _facts(warehouse, dataset: str) -> pl.DataFrame:
    return pl.scan_parquet(f"{warehouse}/current/{dataset}/**/*.parquet", hive_partitioning=True).drop(
        "year", "quarter").collect()


def test_the_demo_plants_every_scenario(roundtrip):
    demo, _, _ = roundtrip
    m = demo.manifest
    statuses = Counter(demo.expected.values())
    assert statuses["held"] == 1 and statuses["rejected"] == len(ERROR_RULES) and statuses["superseded"] >= 1
    assert m.filter((pl.col("basis") == "年累计") & (pl.col("status") == "accepted")).height >= 5
    assert {t for ts in demo.messy.values() for t in ts} == set(messy.TRANSFORMS)


def test_every_file_gets_the_planted_status(roundtrip):
    demo, report, _ = roundtrip
    got = {o.file_name: o.status for o in report.outcomes}
    disagree = {name: (want, got.get(name)) for name, want in demo.expected.items() if got.get(name) != want}
    reasons = {o.file_name: [i.message for i in o.issues if i.severity == "error"][:3]
               for o in report.outcomes if o.file_name in disagree}
    assert disagree == {}, reasons
    assert len(report.outcomes) == len(demo.files)


def test_rejected_files_name_the_planted_rule(roundtrip):
    demo, report, _ = roundtrip
    rules = {o.file_name: {i.rule for i in o.issues if i.severity == "error"} for o in report.outcomes}
    for name, rule in demo.errors.items():
        assert rules[name] == {rule}, (name, rules[name])


def test_accepted_files_have_no_errors(roundtrip):
    _, report, _ = roundtrip
    for o in report.outcomes:
        if o.status in ("accepted", "superseded", "held"):
            assert [i.message for i in o.issues if i.severity == "error"] == []


@pytest.mark.parametrize("dataset", FACT_DATASETS)
def test_warehouse_equals_truth(roundtrip, dataset):
    demo, _, warehouse = roundtrip
    key = ["period", "firm_id", *SHEETS_BY_ID[dataset].key]
    truth = demo.truth[dataset]
    got = _facts(warehouse, dataset).select(truth.columns).sort(key)
    assert got.height == truth.height
    assert_frame_equal(got, truth.sort(key), check_exact=True)


REGISTRY = registry_frame()


REGIONS = regions_frame()


def test_progress_counts_every_file_once(tmp_path):
    units = [write_xlsx(tmp_path / f"{n}.xlsx", good_sheets()) for n in range(ingest.BATCH_MIN + 1)]
    seen = []
    ingest.parse_all(units, {}, REGISTRY, REGIONS, lambda done, total, unit: seen.append((done, total, unit)))
    assert [d for d, _, _ in seen] == list(range(1, len(units) + 1))
    assert sorted(u for _, _, u in seen) == sorted(units) and {t for _, t, _ in seen} == {len(units)}


def _workbooks(folder):
    """More than BATCH_MIN workbooks (parsed as a batch), each with different bytes."""
    folder.mkdir()
    return [write_xlsx(folder / f"{n}.xlsx", good_sheets(k=n + 1)) for n in range(ingest.BATCH_MIN + 1)]


def _counting(monkeypatch, module) -> list:
    calls: list = []
    real = module.source_bytes
    monkeypatch.setattr(module, "source_bytes", lambda path: (calls.append(path), real(path))[1])
    return calls


def test_each_file_is_read_and_hashed_once_and_its_bytes_archived(tmp_path, monkeypatch):
    from etl import parse, store
    units = _workbooks(tmp_path / "in")
    write_registry(tmp_path / "firms.csv")
    parse_reads, store_reads = _counting(monkeypatch, parse), _counting(monkeypatch, store)
    report = run([tmp_path / "in"], tmp_path / "wh", tmp_path / "firms.csv")
    assert sorted(parse_reads) == sorted(units) and store_reads == []
    assert sorted(o.status for o in report.outcomes) == ["accepted"] + ["superseded"] * ingest.BATCH_MIN
    assert len(list((tmp_path / "wh" / "files").iterdir())) == len(units)  # no temporaries left
    for unit in units:
        stored = tmp_path / "wh" / "files" / f"{hashlib.sha256(unit.read_bytes()).hexdigest()}.xlsx"
        assert stored.read_bytes() == unit.read_bytes()


def test_beyond_the_byte_budget_files_are_read_again_with_the_same_result(tmp_path, monkeypatch):
    from etl import store
    units = _workbooks(tmp_path / "in")
    write_registry(tmp_path / "firms.csv")
    kept = run([tmp_path / "in"], tmp_path / "kept", tmp_path / "firms.csv")
    monkeypatch.setattr(ingest, "KEEP_BYTES", 0)
    store_reads = _counting(monkeypatch, store)
    again = run([tmp_path / "in"], tmp_path / "read", tmp_path / "firms.csv")
    assert sorted(store_reads) == sorted(units)  # the store read them itself (and checked their hash)
    assert [(o.file_name, o.status, o.issues) for o in again.outcomes] == [
        (o.file_name, o.status, o.issues) for o in kept.outcomes]
    assert sorted(p.name for p in (tmp_path / "read" / "files").iterdir()) == sorted(
        p.name for p in (tmp_path / "kept" / "files").iterdir())
