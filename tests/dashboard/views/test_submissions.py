"""报送情况 in AppTest: firm counts and statuses, every rejected file with its reasons, the resubmission history,
the firm-type filter and English; expected values from the query layer over the ingested demo."""

from __future__ import annotations

import json
import re
import shutil
from datetime import timedelta

import polars as pl
import pytest

from core import layout
from core.contract import rule_text
from core.quarters import earlier_in_year
from dashboard import submission_status as status
from query import Filters, Warehouse
from tests.dashboard.apptest import (
    frame_of,
    metric_values,
    no_traceback,
)


def expected_status(wh: Warehouse, period: str, firm_type: str | None = None) -> dict[str, set[str]]:
    """By hand, from the query layer's rows: accepted beats held beats rejected; no file is missing."""
    firms = wh.firms()
    if firm_type:
        firms = firms.filter(pl.col("firm_type") == firm_type)
    ids = set(firms["firm_id"])
    subs = wh.submissions(Filters(period=period))
    having = {s: set(subs.filter(pl.col("status") == s)["firm_id"].drop_nulls()) & ids
              for s in ("accepted", "held", "rejected")}
    accepted = having["accepted"]
    held = having["held"] - accepted
    rejected = having["rejected"] - accepted - held
    return {"all": ids, "accepted": accepted, "held": held, "rejected": rejected,
            "missing": ids - accepted - held - rejected}


def test_submissions_page_counts_firms_and_lists_every_rejected_file_with_its_reasons(app_test, ingested,
                                                                                    e2e_warehouse):
    period = "2024Q1"  # the demo puts genuine errors in its first quarter
    at = app_test("submissions.py", params={"period": period}, warehouse=e2e_warehouse[0])
    no_traceback(at)
    want = expected_status(ingested, period)
    assert want["rejected"], "the demo is meant to leave a firm with only a rejected file in 2024Q1"
    subs = ingested.submissions(Filters(period=period))
    assert metric_values(at) == {"应报公司": str(len(want["all"])), "已入库": str(len(want["accepted"])),
                                 "暂缓入库": str(len(want["held"])), "已退回待重报": str(len(want["rejected"])),
                                 "未报送": str(len(want["missing"])), "收到文件": str(subs.height)}
    problems = subs.filter(pl.col("status").is_in(["rejected", "held"]))
    firms = frame_of(at, 0)   # the first section, open by default
    by_name = dict(zip(firms["公司"], firms["状态"], strict=True))
    names = dict(zip(ingested.firms()["firm_id"], ingested.firms()["short_name"], strict=True))
    assert {by_name[names[f]] for f in want["rejected"]} == {"已退回待重报"}
    assert not [e for e in at.expander if " · " in e.label]   # the problem files are a closed section: not drawn
    at = app_test("submissions.py", params={"period": period, "section": "problems"}, warehouse=e2e_warehouse[0])
    # Expander labels are markdown: the file name is escaped there to read as the member typed it.
    assert sorted(e.label.split(" · ")[-1].replace("\\", "") for e in at.expander if " · " in e.label) == \
        sorted(problems["file_name"])
    text = "\n".join(m.value for m in at.text)  # reasons as plain text, never markdown
    for reasons in problems["reasons"]:
        for line in reasons.splitlines():
            assert line in text
    labels = [b.proto.label for b in at.get("download_button")]
    assert labels.count("下载原始文件") == labels.count("下载错误清单（CSV）") == problems.height
    at = app_test("submissions.py", params={"period": period, "section": "history"}, warehouse=e2e_warehouse[0])
    history = frame_of(at, len(at.dataframe) - 1)
    assert history.height == subs.height
    assert sorted(history["文件名"]) == sorted(subs["file_name"])


def test_submissions_page_shows_the_resubmission_history_of_one_firm(app_test, ingested, e2e_warehouse):
    subs = ingested.submissions()
    superseded = subs.filter(pl.col("status") == "superseded")
    assert superseded.height, "the demo sends some resubmissions"
    row = superseded.row(0, named=True)
    at = app_test("submissions.py", params={"period": row["period"], "section": "history"},
                  warehouse=e2e_warehouse[0])
    name = dict(zip(ingested.firms()["firm_id"], ingested.firms()["short_name"], strict=True))[row["firm_id"]]
    at.selectbox(key="submissions_history_firm").set_value(name).run()
    no_traceback(at)
    history = frame_of(at, len(at.dataframe) - 1)
    firm_files = subs.filter((pl.col("firm_id") == row["firm_id"]) & (pl.col("period") == row["period"]))
    assert history.height == firm_files.height
    replacing = subs.filter(pl.col("submission_id") == row["superseded_by"]).row(0, named=True)
    (old,) = history.filter(pl.col("文件名") == row["file_name"]).iter_rows(named=True)
    assert old["状态"] == "已被替换"
    assert old["被替代为"] == f"v{replacing['version']} · {replacing['file_name']}"


def test_submissions_page_follows_the_firm_type_filter_and_speaks_english(app_test, ingested, e2e_warehouse):
    period = ingested.periods()[-1]
    at = app_test("submissions.py", params={"period": period, "type": "人身险", "lang": "en"},
                  warehouse=e2e_warehouse[0])
    no_traceback(at)
    want = expected_status(ingested, period, "人身险")
    values = metric_values(at)
    assert values["Member firms"] == str(len(want["all"]))
    assert values["Accepted"] == str(len(want["accepted"]))
    assert values["Held"] == str(len(want["held"]))


def test_submissions_page_lists_rejected_files_even_before_any_figures_were_accepted(app_test, demo_warehouse,
                                                                                    tmp_path):
    # The synthetic warehouse without its fact datasets: files were received, no quarter has figures yet.
    warehouse = tmp_path / "wh"
    shutil.copytree(demo_warehouse, warehouse, symlinks=True)
    for dataset in ("complaints", "complaints_by_line", "mediation", "outreach"):
        shutil.rmtree(warehouse / "current" / dataset)
    wh = Warehouse(warehouse)
    assert wh.periods() == []
    latest = wh.submissions()["period"].max()
    at = app_test("submissions.py", params={"section": "problems"}, warehouse=warehouse)
    no_traceback(at)
    assert [t.value for t in at.title] == [f"报送情况 · {latest}"]
    problems = wh.submissions(Filters(period=latest)).filter(pl.col("status").is_in(["rejected", "held"]))
    assert problems.height
    assert sorted(e.label.split(" · ")[-1].replace("\\", "") for e in at.expander if " · " in e.label) == \
        sorted(problems["file_name"])


CJK = re.compile(r"[\u3400-\u9fff]")


QUOTED = re.compile(r"«[^»]*»|“[^”]*”|\([^)]*\.(?:xlsx|csv)\)")  # what the member wrote, quoted as written


def test_submissions_page_in_english_explains_rejections_in_english(app_test, e2e_warehouse):
    wh = Warehouse(e2e_warehouse[0])
    period = "2024Q1"  # the demo puts genuine errors in its first quarter
    problems = wh.submissions(Filters(period=period)).filter(pl.col("status").is_in(["rejected", "held"]))
    assert problems.height
    at = app_test("submissions.py", params={"period": period, "lang": "en"}, warehouse=e2e_warehouse[0])
    assert not at.exception, [e.value for e in at.exception]
    firms = pl.from_pandas(at.dataframe[0].value)
    assert set(firms["Firm type"]) <= {"Life", "Property"}
    at = app_test("submissions.py", params={"period": period, "lang": "en", "section": "problems"},
                  warehouse=e2e_warehouse[0])
    assert not at.exception, [e.value for e in at.exception]
    reasons = [t.value for t in at.text if t.value]  # reasons as plain text, a block per file
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


N_ERRORS = 50_000


@pytest.fixture
def warehouse(demo_warehouse, tmp_path):
    """The demo warehouse with, in its last quarter: one firm's file removed (missing), one firm's file held for
    a gap in the year, and one firm sending a rejected v1 with 50,000 errors before its accepted v2."""
    path = tmp_path / "wh"
    shutil.copytree(demo_warehouse, path, symlinks=True)
    file = layout.current_snapshot(path) / layout.SUBMISSIONS
    subs = pl.read_parquet(file)
    latest = subs["period"].max()
    gap = earlier_in_year(latest)[-1]
    missing, held, rejected = "S004", "S003", "S002"
    accepted = subs.filter((pl.col("firm_id") == rejected) & (pl.col("period") == latest)).row(0, named=True)
    issues = [{"severity": "error", "rule": "non_negative_integer", "message": f"第 {i} 行须为非负整数",
               "file": "big.xlsx", "sheet": "投诉", "row": i + 5, "column": "投诉总量", "value": "*-1*"}
              for i in range(N_ERRORS)]
    bad = {**accepted, "submission_id": "big-v1", "file_name": "big_v1.xlsx", "version": 1, "status": "rejected",
           "received_at": accepted["received_at"] - timedelta(days=3), "n_errors": N_ERRORS,
           "status_note": f"报送有 {N_ERRORS} 处错误，整份退回，请更正后重报",
           "reasons": "\n".join([f"报送有 {N_ERRORS} 处错误，整份退回，请更正后重报", *(i["message"] for i in issues)]),
           "issues_json": json.dumps(issues, ensure_ascii=False)}
    subs = subs.filter(~((pl.col("firm_id") == missing) & (pl.col("period") == latest))
                       & ~((pl.col("firm_id") == held) & (pl.col("period") == gap)))
    subs = subs.with_columns(
        pl.when((pl.col("firm_id") == held) & (pl.col("period") == latest)).then(pl.lit("held"))
        .otherwise(pl.col("status")).alias("status"))
    pl.concat([subs, pl.DataFrame([bad], schema=subs.schema)]).write_parquet(file)
    return path, latest, gap


def test_firms_without_figures_come_first_with_their_reason(app_test, warehouse):
    path, latest, gap = warehouse
    at = app_test("submissions.py", params={"period": latest}, warehouse=path)
    assert not at.exception, [e.value for e in at.exception]
    firms = at.dataframe[0].value
    states = list(firms["状态"])
    first_accepted = states.index("已入库")
    assert set(states[first_accepted:]) == {"已入库"}  # everyone needing attention is above
    reasons = dict(zip(firms["状态"][:first_accepted], firms["原因"][:first_accepted], strict=True))
    assert reasons["未报送"] == "未收到本季报送文件"
    assert reasons["暂缓入库"] == f"暂缓入库：缺 {gap}"
    # the warning names the missing firm with a Material icon, not the 📭 emoji the CJK font cannot draw
    (warning,) = [w for w in at.warning if w.value.startswith("未报送：")]
    assert warning.icon == ":material/inbox:"


def test_a_rejected_file_replaced_by_an_accepted_one_says_so_and_shows_the_head_of_its_errors(app_test, warehouse):
    path, latest, _ = warehouse
    at = app_test("submissions.py", params={"period": latest, "section": "problems"}, warehouse=path)
    assert not at.exception, [e.value for e in at.exception]
    (label,) = [e.label for e in at.expander if "big" in e.label]
    assert label.startswith("已退回（已由 v") and "重报入库）" in label
    big = next(e for e in at.expander if "big" in e.label)
    (table,) = big.dataframe
    assert len(table.value) == status.ISSUES_SHOWN
    (text,) = big.text
    assert len(text.value.splitlines()) == status.ISSUES_SHOWN
    assert "*-1*" not in text.value  # the reasons' lines: messages; the cell values are in the table
    assert f"共 {N_ERRORS:,} 条，页面显示前 {status.ISSUES_SHOWN} 条；完整清单请下载错误清单。" in \
        [c.value for c in big.caption]
    labels = [b.proto.label for b in big.get("download_button")]
    assert "下载错误清单（CSV）" in labels


def test_the_whole_error_list_goes_out_through_the_one_export(warehouse, tmp_path):
    path, _, _ = warehouse
    subs = pl.read_parquet(layout.current_snapshot(path) / layout.SUBMISSIONS)
    row = subs.filter(pl.col("submission_id") == "big-v1").row(0, named=True)
    data = status.issues_csv(status.issues_frame(row["issues_json"]), warehouse=tmp_path)
    assert data.decode("utf-8-sig").count("\n") == N_ERRORS + 1


def test_the_history_names_the_accepted_file_that_replaced_a_rejected_one(warehouse):
    path, latest, _ = warehouse
    subs = pl.read_parquet(layout.current_snapshot(path) / layout.SUBMISSIONS)
    history = status.history(subs.filter(pl.col("firm_id") == "S002"))
    (row,) = history.filter(pl.col("submission_id") == "big-v1").iter_rows(named=True)
    accepted = subs.filter((pl.col("firm_id") == "S002") & (pl.col("period") == latest)
                           & (pl.col("status") == "accepted")).row(0, named=True)
    assert row["superseded_by_label"] == f"v{accepted['version']} · {accepted['file_name']}"


def test_a_closed_section_is_not_drawn_and_the_url_opens_it(app_test, warehouse):
    path, latest, _ = warehouse
    at = app_test("submissions.py", params={"period": latest}, warehouse=path)
    assert not at.exception, [e.value for e in at.exception]
    assert metric_values(at)   # the headlines are always on top
    assert not [e for e in at.expander if " · " in e.label]   # the problem files: closed
    assert "submissions_history_firm" not in [s.key for s in at.selectbox]
    at = app_test("submissions.py", params={"period": latest, "section": "history"}, warehouse=path)
    assert "submissions_history_firm" in [s.key for s in at.selectbox]
    assert not [e for e in at.expander if " · " in e.label] and at.query_params["section"] in ("history", ["history"])
