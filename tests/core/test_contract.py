import polars as pl
import pytest

from core import contract
from core.contract import SHEETS_BY_ID, sheet_id


@pytest.mark.parametrize(("name", "expected"), [
    ("封面", "cover"), ("投诉", "complaints"), ("投訴", "complaints"), ("complaints", "complaints"),
    ("1.投诉", "complaints"), ("表2 投诉险种", "complaints_by_line"), ("附表3-调解", "mediation"),
    ("一、宣教", "outreach"), ("宣傳教育", "outreach"), ("说明", None), ("附表", None),
])
def test_sheet_names_in_every_spelling(name, expected):
    assert sheet_id(name) == expected


def test_each_column_carries_its_warehouse_dtype():
    sheet = SHEETS_BY_ID["complaints"]
    schema = sheet.schema()
    assert list(schema)[:4] == ["period", "firm_id", "region_code", "premium_wan"]
    assert schema["premium_wan"] == pl.Float64 and schema["complaints_total"] == pl.Int64
    assert schema["region_code"] == pl.Utf8
    assert SHEETS_BY_ID["complaints_by_line"].schema()["product_line"] == pl.Utf8


def test_every_rule_names_real_columns_and_has_chinese_text():
    for sheet in contract.SHEETS:
        ids = {c.id for c in sheet.columns}
        for rule in sheet.rules:
            assert set(rule.left) | set(rule.right) <= ids and rule.zh
    assert all(contract.CELL_RULES.values()) and all(contract.WARNING_RULES.values())


def test_the_spellings_shown_to_members_are_spellings_the_reader_accepts():
    assert set(contract.ZERO_SPELLINGS_SHOWN) <= set(contract.ZERO_SPELLINGS)
    assert set(contract.TOTAL_SUFFIXES) <= set(contract.TOTAL_LABELS)
    assert set(contract.BASIS_SPELLINGS.values()) == set(contract.BASES)
