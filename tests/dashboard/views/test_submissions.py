"""报送情况 in English: firm types, statuses, error-table headers, rejection reasons and rule texts read in English
(the contract's English), the member's own cell text, sheet and column names as written."""

from __future__ import annotations

import re

import polars as pl

from core.contract import rule_text
from query import Filters, Warehouse

CJK = re.compile(r"[\u3400-\u9fff]")
QUOTED = re.compile(r"«[^»]*»|“[^”]*”|\([^)]*\.(?:xlsx|csv)\)")  # what the member wrote, quoted as written


def test_submissions_page_in_english_explains_rejections_in_english(app_test, e2e_warehouse):
    wh = Warehouse(e2e_warehouse[0])
    period = "2024Q1"  # the demo puts genuine errors in its first quarter
    problems = wh.submissions(Filters(period=period)).filter(pl.col("status").is_in(["rejected", "held"]))
    assert problems.height
    at = app_test("submissions.py", params={"period": period, "lang": "en"}, warehouse=e2e_warehouse[0])
    assert not at.exception, [e.value for e in at.exception]
    reasons = [m.value.replace("\\", "") for m in at.markdown if m.value.startswith("- ")]
    assert reasons
    for text in reasons:
        assert not CJK.search(QUOTED.sub("", text)), text
    rules = {r for issues in problems["issues_json"] for r in re.findall(r'"rule": "([a-z_0-9]+)"', issues or "")}
    for rule in rules:
        assert any(rule_text(rule, "en") in text for text in reasons), rule
    errors = [pl.from_pandas(d.value) for d in at.dataframe if "Severity" in d.value.columns]
    assert errors and list(errors[0].columns) == ["Severity", "Sheet", "Row", "Column", "Cell value", "Rule",
                                                  "Message"]
    assert set(errors[0]["Severity"]) <= {"Error", "Warning"}
    assert all(not CJK.search(QUOTED.sub("", m)) for m in errors[0]["Message"])
    firms = pl.from_pandas(at.dataframe[0].value)
    assert set(firms["Firm type"]) <= {"Life", "Property"}
