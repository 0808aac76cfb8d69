from pathlib import Path

from core import layout


def test_a_quarter_lives_in_its_hive_partition():
    assert layout.partition("complaints", "2025Q3") == Path("complaints/year=2025/quarter=3/part-0.parquet")
    assert layout.ledger(Path("s"), "mediation", "2024Q4") == Path("s/ledger/mediation/2024Q4.parquet")


def test_an_empty_warehouse_has_no_version(tmp_path):
    assert layout.current_snapshot(tmp_path) is None and layout.version(tmp_path) is None
    (tmp_path / "snapshots" / "000003").mkdir(parents=True)
    (tmp_path / "current").symlink_to(Path("snapshots") / "000003")
    assert layout.version(tmp_path) == "000003"
