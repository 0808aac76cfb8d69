"""同业对标 in AppTest: the benchmark and the rank over time are the query layer's; a bad focus firm is answered."""

from __future__ import annotations

import polars as pl

from dashboard.charts.labels import better_than_text
from tests.dashboard.apptest import (
    figure,
    frame_of,
    no_traceback,
    shown,
)


def test_peers_page_shows_the_query_layers_benchmark_for_the_firm_in_the_url(app_test, demo_wh):
    period, focus = demo_wh.periods()[-1], "S003"
    at = app_test("peers.py", params={"period": period, "focus_firm": focus})
    no_traceback(at)
    firm = demo_wh.firms().filter(pl.col("firm_id") == focus).row(0, named=True)
    assert any(firm["short_name"] in s.value for s in at.subheader)
    metrics = [m for m in demo_wh.metrics if m.kind in ("rate", "index")]
    fig = figure(at, "peers_bullets")   # the first section, open by default
    (diamonds,) = [t for t in fig["data"] if t.get("name") == firm["short_name"]]
    assert len(diamonds["x"]) == sum(1 for m in metrics
                                if demo_wh.peers(m.id, period, firm["firm_type"])
                                .filter(pl.col("firm_id") == focus)["value"][0] is not None)
    at = app_test("peers.py", params={"period": period, "focus_firm": focus, "section": "benchmark_table"})
    no_traceback(at)
    table = frame_of(at, 0)
    assert table["指标"].to_list() == [m.zh for m in metrics]
    for m, row in zip(metrics, table.iter_rows(named=True), strict=True):
        peers = demo_wh.peers(m.id, period, firm["firm_type"])
        mine = peers.filter(pl.col("firm_id") == focus).row(0, named=True)
        assert row[firm["short_name"]] == shown(m, mine["value"]), m.id
        assert (row["P25"], row["同业中位数"], row["P75"]) == (shown(m, mine["p25"]), shown(m, mine["median"]),
                                                            shown(m, mine["p75"])), m.id
        assert row["排名"] == (f"{mine['rank']} / {mine['n_firms']}" if mine["rank"] is not None else "—")
        assert row["优于同业"] == better_than_text(mine["better_than_share"], "zh"), m.id


def test_peers_rank_over_time_is_the_query_layers_rank_in_each_quarter(app_test, demo_wh):
    at = app_test("peers.py", params={"focus_firm": "S002", "section": "rank"})
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
    assert any("focus_firm" in w.value.replace("\\", "") and "NOPE" in w.value for w in at.warning)
    first = demo_wh.firms()["firm_id"][0]
    assert at.query_params["focus_firm"] == [first] or at.query_params["focus_firm"] == first
    at.selectbox(key="peers_focus").set_value("S005").run()
    assert at.query_params["focus_firm"] in ("S005", ["S005"])


def test_peers_closed_sections_are_not_drawn_and_the_url_opens_one(app_test, demo_wh):
    period = demo_wh.periods()[-1]
    at = app_test("peers.py", params={"period": period, "focus_firm": "S003"})
    no_traceback(at)
    keys = {c.key for c in at.get("plotly_chart")}
    assert "peers_bullets" in keys and "peers_rank" not in keys
    assert "peers_rank_metric" not in [s.key for s in at.selectbox] and not at.dataframe
    at = app_test("peers.py", params={"period": period, "focus_firm": "S003", "section": "rank"})
    no_traceback(at)
    keys = {c.key for c in at.get("plotly_chart")}
    assert "peers_rank" in keys and "peers_bullets" not in keys
    assert at.query_params["section"] in ("rank", ["rank"]) and at.query_params["focus_firm"] in ("S003", ["S003"])
