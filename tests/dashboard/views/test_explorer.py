"""数据浏览与导出 in AppTest: the table is the query layer's, with a link and the CLI line; bad requests explained."""

from __future__ import annotations

from dashboard import format as fmt
from query import Filters
from tests.dashboard.apptest import (
    frame_of,
    no_traceback,
    shown,
)


def test_explorer_table_is_the_query_layers_table_with_a_link_and_the_cli_line(app_test, demo_wh):
    period = demo_wh.periods()[-1]
    params = {"from": demo_wh.periods()[-4], "to": period, "type": "财产险",
              "metrics": "complaints_per_100m_premium,mediation_success_rate", "by": "firm,period"}
    at = app_test("explorer.py", params=params)
    no_traceback(at)
    filters = Filters(period_from=params["from"], period_to=period, firm_type="财产险")
    expected = demo_wh.table(["complaints_per_100m_premium", "mediation_success_rate"], ["firm", "period"], filters)
    assert f"共 {expected.height:,} 行" in [c.value for c in at.caption]
    table = frame_of(at, 0)
    assert table.height == expected.height
    rate = next(m for m in demo_wh.metrics if m.id == "complaints_per_100m_premium")
    column = next(c for c in table.columns if c.startswith(rate.zh))
    flags = expected["complaints_per_100m_premium__low_base"].to_list()
    assert table[column].to_list() == [shown(rate, v) + (" ⚠ 低基数" if f else "")
                                       for v, f in zip(expected["complaints_per_100m_premium"], flags, strict=True)]
    codes = [c.value for c in at.code]
    assert (f"xiaobao export complaints_per_100m_premium,mediation_success_rate --by firm,period "
            f"--from {params['from']} --to {period} --firm-type 财产险 --labels zh "
            f"--out xiaobao_{params['from']}-{period}.csv") in codes   # a range export is named for its range
    link = next(c for c in codes if "metrics=" in c)
    assert "metrics=complaints_per_100m_premium%2Cmediation_success_rate" in link
    assert "by=firm%2Cperiod" in link and f"from={params['from']}" in link and "type=" in link


def test_explorer_drops_unknown_metrics_and_explains_a_refused_combination(app_test):
    at = app_test("explorer.py", params={"metrics": "complaints_total,nope", "by": "product_line"})
    no_traceback(at)
    assert any("metrics" in w.value and "nope" in w.value for w in at.warning)
    assert at.multiselect(key="explorer_metrics").value == ["complaints_total"]
    assert any("险种" in i.value for i in at.info)  # the query layer's reason, not a traceback


def test_explorer_link_keeps_an_empty_grouping(app_test, demo_wh):
    at = app_test("explorer.py", params={"metrics": "complaints_total", "by": ""})
    no_traceback(at)
    assert at.multiselect(key="explorer_by").value == []
    total = demo_wh.table(["complaints_total"], [], Filters(period=demo_wh.periods()[-1]))["complaints_total"][0]
    assert frame_of(at, 0).row(0)[0] == fmt.fmt_value(total, "件", "zh")


def test_explorer_shows_the_head_of_a_huge_table_and_says_the_download_has_every_row(app_test, demo_wh):
    periods = demo_wh.periods()
    at = app_test("explorer.py", params={"from": periods[0], "to": periods[-1], "metrics": "complaints",
                                         "by": "firm,region,period,product_line"})
    no_traceback(at)
    rows = demo_wh.table(["complaints"], ["firm", "region", "period", "product_line"],
                         Filters(period_from=periods[0], period_to=periods[-1])).height
    assert rows > 2000
    captions = [c.value for c in at.caption]
    assert f"共 {rows:,} 行" in captions
    assert f"表格显示前 2,000 行；下载文件包含全部 {rows:,} 行。" in captions
    assert frame_of(at, 0).height == 2000
