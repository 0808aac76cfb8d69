"""报送情况, 同业对标 and 数据浏览与导出: the pure helpers with hand-made data, and AppTests of the three pages
whose expected values come from the query layer over the same warehouse the app reads."""

from __future__ import annotations

import json
import shutil

import polars as pl
import pytest

from dashboard import format as fmt
from dashboard import submission_status as status
from dashboard import theme
from dashboard.charts.peers import bullet_benchmark, marker_colour, rank_over_time
from dashboard.page_params import split
from query import Filters, Warehouse
from tests.query.handmade import SUBMISSIONS as SUBS

PAGE_ERROR_ZH = "抱歉，本页面暂时无法显示"


# ---- pure helpers ------------------------------------------------------------------------------------

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


def test_page_param_values_split_on_commas_and_repeats():
    assert split(["a,b", " c ", "a", ""]) == ["a", "b", "c"]


def test_bullet_rows_colour_the_firm_by_direction_and_say_when_it_has_no_value():
    frame = pl.DataFrame([
        {"label": "亿元保费投诉量", "unit": "件/亿元", "direction": "lower", "value": 4.0, "p25": 5.0,
         "median": 9.0, "p75": 10.0, "percentile": 0.125, "low_base": False},
        {"label": "调解成功率", "unit": "%", "direction": "higher", "value": 0.5, "p25": 0.7, "median": 0.8,
         "p75": 0.9, "percentile": 0.1, "low_base": True},
        {"label": "诉调对接占比", "unit": "%", "direction": None, "value": None, "p25": 0.1, "median": 0.2,
         "p75": 0.3, "percentile": None, "low_base": False},
    ])
    fig = bullet_benchmark(frame, firm_label="甲")
    diamonds = [t for t in fig.data if t.name == "甲"]
    assert [(list(t.x), t.marker.color) for t in diamonds] == [([4.0], theme.BETTER), ([0.5], theme.WORSE)]
    assert diamonds[1].marker.line.color == theme.LOW_BASE
    bands = [t for t in fig.data if t.type == "bar"]
    assert [(list(t.base), list(t.x)) for t in bands] == [([5.0], [5.0]), ([0.7], [pytest.approx(0.2)]),
                                                          ([0.1], [pytest.approx(0.2)])]
    assert [a.text for a in fig.layout.annotations] == [
        fmt.fmt_value(4.0, "件/亿元", "zh"), fmt.fmt_pct(0.5, "zh") + "<br>⚠ 低基数", "—"]
    assert fig.layout.xaxis2.tickformat == ".3~%" and fig.layout.xaxis.tickformat is None
    assert marker_colour("lower", None, 3.0) == theme.NEUTRAL


def test_rank_over_time_puts_rank_one_on_top_and_leaves_gaps():
    frame = pl.DataFrame({"period": ["2025Q2", "2025Q1", "2025Q3"], "rank": [3, 1, None], "n_firms": [6, 6, 5],
                          "low_base": [False, True, None]})
    (line,) = rank_over_time(frame, title="t").data
    assert list(line.x) == ["2025Q1", "2025Q2", "2025Q3"]
    assert list(line.y) == [1, 3, None]
    assert list(line.text) == ["1/6 ⚠ 低基数", "3/6", "—"]
    fig = rank_over_time(frame, title="t")
    assert list(fig.layout.yaxis.range) == [6.5, 0.5]


# ---- AppTest helpers ---------------------------------------------------------------------------------

def no_traceback(at) -> None:
    assert not at.exception, [e.value for e in at.exception]
    assert not [e for e in at.error if PAGE_ERROR_ZH in e.value], [e.value for e in at.error]


def metric_values(at) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def frame_of(at, index: int) -> pl.DataFrame:
    return pl.from_pandas(at.dataframe[index].value)


def figure(at, key: str) -> dict:
    (chart,) = [c for c in at.get("plotly_chart") if c.key == key]
    return json.loads(chart.proto.spec)


def shown(metric, value) -> str:
    """A metric value as the pages show it (dashboard.ui.fmt_metric's rule)."""
    return fmt.fmt_pct(value, "zh") if metric.unit_zh == "%" else fmt.fmt_value(value, metric.unit_zh, "zh")


# ---- 报送情况 ----------------------------------------------------------------------------------------

@pytest.fixture
def ingested(e2e_warehouse) -> Warehouse:
    return Warehouse(e2e_warehouse[0])


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
    # Expander labels are markdown: the file name is escaped there to read as the member typed it.
    assert sorted(e.label.split(" · ")[-1].replace("\\", "") for e in at.expander if " · " in e.label) == \
        sorted(problems["file_name"])
    text = "\n".join(m.value for m in at.text)  # reasons as plain text, never markdown
    for reasons in problems["reasons"]:
        for line in reasons.splitlines():
            assert line in text
    labels = [b.proto.label for b in at.get("download_button")]
    assert labels.count("下载原始文件") == labels.count("下载错误清单（CSV）") == problems.height
    firms = frame_of(at, 0)
    by_name = dict(zip(firms["公司"], firms["状态"], strict=True))
    names = dict(zip(ingested.firms()["firm_id"], ingested.firms()["short_name"], strict=True))
    assert {by_name[names[f]] for f in want["rejected"]} == {"已退回待重报"}
    history = frame_of(at, len(at.dataframe) - 1)
    assert history.height == subs.height
    assert sorted(history["文件名"]) == sorted(subs["file_name"])


def test_submissions_page_shows_the_resubmission_history_of_one_firm(app_test, ingested, e2e_warehouse):
    subs = ingested.submissions()
    superseded = subs.filter(pl.col("status") == "superseded")
    assert superseded.height, "the demo sends some resubmissions"
    row = superseded.row(0, named=True)
    at = app_test("submissions.py", params={"period": row["period"]}, warehouse=e2e_warehouse[0])
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


# ---- 同业对标 ----------------------------------------------------------------------------------------

def test_peers_page_shows_the_query_layers_benchmark_for_the_firm_in_the_url(app_test, demo_wh):
    period, focus = demo_wh.periods()[-1], "S003"
    at = app_test("peers.py", params={"period": period, "focus_firm": focus})
    no_traceback(at)
    firm = demo_wh.firms().filter(pl.col("firm_id") == focus).row(0, named=True)
    assert any(firm["short_name"] in s.value for s in at.subheader)
    metrics = [m for m in demo_wh.metrics if m.kind in ("rate", "index")]
    table = frame_of(at, 0)
    assert table["指标"].to_list() == [m.zh for m in metrics]
    for m, row in zip(metrics, table.iter_rows(named=True), strict=True):
        peers = demo_wh.peers(m.id, period, firm["firm_type"])
        mine = peers.filter(pl.col("firm_id") == focus).row(0, named=True)
        assert row[firm["short_name"]] == shown(m, mine["value"]), m.id
        assert (row["P25"], row["同业中位数"], row["P75"]) == (shown(m, mine["p25"]), shown(m, mine["median"]),
                                                            shown(m, mine["p75"])), m.id
        assert row["排名"] == (f"{mine['rank']} / {mine['n_firms']}" if mine["rank"] is not None else "—")
        assert row["百分位"] == fmt.fmt_pct(mine["percentile"], "zh")
    fig = figure(at, "peers_bullets")
    diamonds = [t for t in fig["data"] if t.get("name") == firm["short_name"]]
    assert len(diamonds) == sum(1 for m in metrics
                                if demo_wh.peers(m.id, period, firm["firm_type"])
                                .filter(pl.col("firm_id") == focus)["value"][0] is not None)


def test_peers_rank_over_time_is_the_query_layers_rank_in_each_quarter(app_test, demo_wh):
    at = app_test("peers.py", params={"focus_firm": "S002"})
    at.selectbox(key="peers_rank_metric").set_value("mediation_success_rate").run()
    no_traceback(at)
    (line,) = figure(at, "peers_rank")["data"]
    periods = demo_wh.periods()[-8:]  # a single quarter's trend window: the two years up to it
    expected = [demo_wh.peers("mediation_success_rate", p, "人身险").filter(pl.col("firm_id") == "S002")["rank"][0]
                for p in periods]
    assert line["x"] == periods
    assert line["y"] == expected


def test_peers_page_answers_a_bad_focus_firm_and_writes_the_choice_to_the_url(app_test, demo_wh):
    at = app_test("peers.py", params={"focus_firm": "NOPE"})
    no_traceback(at)
    assert any("focus_firm" in w.value and "NOPE" in w.value for w in at.warning)
    first = demo_wh.firms()["firm_id"][0]
    assert at.query_params["focus_firm"] == [first] or at.query_params["focus_firm"] == first
    at.selectbox(key="peers_focus").set_value("S005").run()
    assert at.query_params["focus_firm"] in ("S005", ["S005"])


# ---- 数据浏览与导出 --------------------------------------------------------------------------------

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
            f"--from {params['from']} --to {period} --firm-type 财产险 --labels zh --out xiaobao_{period}.csv") in codes
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
    at = app_test("submissions.py", warehouse=warehouse)
    no_traceback(at)
    assert [t.value for t in at.title] == [f"报送情况 · {latest}"]
    problems = wh.submissions(Filters(period=latest)).filter(pl.col("status").is_in(["rejected", "held"]))
    assert problems.height
    assert sorted(e.label.split(" · ")[-1].replace("\\", "") for e in at.expander if " · " in e.label) == \
        sorted(problems["file_name"])
