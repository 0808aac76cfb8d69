"""The 报送情况 helpers (dashboard/submission_status.py) on hand-made submissions: the error list, the history."""

from __future__ import annotations

from dashboard import submission_status as status
from tests.query.handmade import SUBMISSIONS as SUBS


def test_issues_table_puts_errors_first_and_the_csv_opens_in_chinese_excel(tmp_path):
    issues = status.issues_frame(SUBS["issues_json"][2])
    assert issues.rows() == [("error", "投诉", 9, "办结件数", "-1", "non_negative_integer", "须为非负整数"),
                             ("warning", "投诉", 5, "投诉总量", "1200", "tenfold_jump", "较上季度变化超过十倍")]
    assert status.issues_csv(issues, "zh", warehouse=tmp_path) == (
        "\ufeff级别,工作表,行,列,单元格内容,规则,说明\n"
        "错误,投诉,9,办结件数,-1,non_negative_integer,须为非负整数\n"
        "提示,投诉,5,投诉总量,1200,tenfold_jump,较上季度变化超过十倍\n").encode()
    assert status.issues_csv(issues, "en", warehouse=tmp_path).decode().splitlines()[1].startswith("Error,投诉,9,")
    assert status.issues_frame(None).height == status.issues_frame("[]").height == 0


def test_history_names_the_file_that_replaced_a_superseded_one_and_reads_beijing_time():
    history = status.history(SUBS)
    labelled = dict(zip(history["submission_id"], history["superseded_by_label"], strict=True))
    assert labelled["s1"] == "v2 · a2.xlsx"
    assert labelled["s2"] is None
    assert SUBS.select(status.received_text())["received_at"][0] == "2025-10-01 09:00"  # 01:00 UTC
