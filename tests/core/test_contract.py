import re

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


CJK = re.compile(r"[\u3400-\u9fff]")


def test_every_name_and_rule_of_the_contract_has_english_too():
    """The dashboard and exports in English read the contract's English: no Chinese left in them."""
    for sheet in contract.SHEETS:
        assert sheet.en and not CJK.search(sheet.en)
        for column in sheet.columns:
            assert column.en and not CJK.search(column.en), column.id
        for rule in sheet.rules:
            assert rule.en and not CJK.search(rule.en), rule.id
            assert contract.rule_text(rule.id, "en") == rule.en and contract.rule_text(rule.id) == rule.zh
    assert set(contract.CELL_RULES_EN) == set(contract.CELL_RULES)
    assert set(contract.WARNING_RULES_EN) == set(contract.WARNING_RULES)
    for rule_id in (*contract.CELL_RULES, *contract.WARNING_RULES):
        english = contract.rule_text(rule_id, "en")
        assert english != rule_id and not CJK.search(english.replace("当季", "").replace("年累计", ""))
    lines = {line for kind in contract.PRODUCT_LINES.values() for line in kind}
    assert set(contract.PRODUCT_LINES_EN) == lines
    assert len(set(contract.PRODUCT_LINES_EN.values())) == len(lines)  # one name each
    assert contract.product_line_name("年金保险", "en") == "Annuity"
    assert contract.product_line_name("年金保险") == "年金保险"
    assert contract.sheet_name("投訴", "en") == "Complaints" and contract.sheet_name("附表", "en") == "附表"


def test_firm_types_have_one_english_name():
    from core.reference import FIRM_TYPES, FIRM_TYPES_EN, firm_type_name

    assert set(FIRM_TYPES_EN) == set(FIRM_TYPES)
    assert firm_type_name("人身险", "en") == "Life" and firm_type_name("财产险", "en") == "Property"
    assert firm_type_name("人身险") == "人身险"
