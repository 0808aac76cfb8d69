"""The 报送情况 page through AppTest (issue 8 item 10): firms that need the secretariat come first with their
reason, a rejected file later replaced says so, and a file with tens of thousands of errors shows its head."""

from __future__ import annotations

import json
import shutil
from datetime import timedelta

import polars as pl
import pytest

from core import layout
from core.quarters import earlier_in_year
from dashboard import submission_status as status

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
    at = app_test("submissions.py", params={"period": latest}, warehouse=path)
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
