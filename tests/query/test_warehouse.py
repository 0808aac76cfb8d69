"""The query layer (query/warehouse.py): every metric against figures computed by hand from tests/query/handmade.py;
change, peers, scope; and the selection pages used to make themselves (anomalies, submissions, the registry and
peer rows kept to the filters, with the figures still computed over everything they need)."""

from __future__ import annotations

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from etl import store
from fixtures import synthetic
from query import Filters, QueryError, Scope, Warehouse
from tests.query import handmade

GD_POP, SZ_POP, GD_COUNTIES, SZ_COUNTIES = 126_012_510, 17_560_061, 122, 9


@pytest.fixture(scope="module")
def wh(tmp_path_factory) -> Warehouse:
    return Warehouse(handmade.build(tmp_path_factory.mktemp("wh")))


def one(frame, column, **where):
    for key, value in where.items():
        frame = frame.filter(frame[key] == value)
    assert frame.height == 1, frame
    return frame[column][0]


def test_rates_by_firm_are_ratios_of_sums(wh):
    t = wh.table(["complaints_total", "complaints_per_100m_premium", "complaints_per_10k_policies",
                  "complaints_per_10k_insured", "regulator_referred_share", "on_time_resolution_rate",
                  "proxy_surrender_share"], ["firm"], Filters(period="2024Q4"))
    assert t.columns[:2] == ["firm_id", "firm_name"] and t["firm_id"].to_list() == ["A", "B", "C"]
    a = t.row(0, named=True)
    assert a["complaints_total"] == 70
    assert a["complaints_per_100m_premium"] == pytest.approx(70 / 3)  # 70 / ((20000 + 10000) / 10000)
    assert a["complaints_per_10k_policies"] == pytest.approx(70 / 1.5)
    assert a["complaints_per_10k_insured"] == pytest.approx(35.0)  # insured 20000 + 0
    assert a["regulator_referred_share"] == pytest.approx(15 / 70)
    assert a["on_time_resolution_rate"] == pytest.approx(37 / 40)
    assert a["proxy_surrender_share"] == pytest.approx(4 / 70)
    b = t.row(1, named=True)
    # Zero and missing denominators: no value, never 0 or infinity.
    assert b["complaints_per_100m_premium"] is None and b["complaints_per_10k_policies"] is None
    assert b["complaints_per_10k_insured"] is None and b["regulator_referred_share"] is None
    assert b["on_time_resolution_rate"] is None


def test_region_and_province_roll_up_keep_national_apart(wh):
    by_region = wh.table(["complaints_total", "complaints_per_100m_premium"], ["region"], Filters(period="2024Q4"))
    assert by_region["region_code"].to_list() == ["000000", "440000", "440300"]
    assert one(by_region, "complaints_per_100m_premium", region_code="440000") == pytest.approx(20.0)  # 40 / 2
    assert one(by_region, "complaints_per_100m_premium", region_code="440300") == pytest.approx(30.0)  # 30 / 1
    by_province = wh.table(["complaints_total", "complaints_per_100m_premium"], ["province"],
                           Filters(period="2024Q4"))
    assert by_province["province_code"].to_list() == ["000000", "440000"]  # 深圳 rolled into 广东
    assert one(by_province, "complaints_total", province_code="440000") == 70
    assert one(by_province, "province_name", province_code="440000") == "广东省"
    assert one(by_province, "complaints_total", province_code="000000") == 10  # never inside a province
    assert wh.table(["complaints_total"], ["province"], Filters(period="2024Q4", provinces=("440000",))) \
        ["complaints_total"].to_list() == [70]


def test_a_province_row_that_leaves_its_city_out_says_so_and_the_roll_up_does_not(wh):
    # Issue 8 item 6: the region dimension's 广东 row counts without 深圳, the province dimension's with it; the
    # two stood side by side under one name (8.32 on 投诉分析, 8.16 on the map).
    by_region = wh.table(["complaints_per_100m_premium"], ["region"], Filters(period="2024Q4"))
    assert one(by_region, "region_name", region_code="440000") == "广东省（不含深圳）"
    assert one(by_region, "region_name", region_code="440300") == "深圳市"
    assert one(by_region, "region_name", region_code="000000") == "总公司/全国"
    by_province = wh.table(["complaints_per_100m_premium"], ["province"], Filters(period="2024Q4"))
    assert one(by_province, "province_name", province_code="440000") == "广东省"
    regions = wh.regions()
    assert one(regions, "name_en", region_code="440000") == "Guangdong (excl. Shenzhen)"
    assert one(regions, "plain_name", region_code="440000") == "广东省"
    assert one(regions, "plain_name_en", region_code="440000") == "Guangdong"
    assert one(regions, "region_name", region_code="110000") == "北京市"  # no city: nothing left out
    assert wh.anomalies(Filters(period="2024Q4")).schema["region_name"] == pl.Utf8


def test_association_total_and_firm_type(wh):
    t = wh.table(["complaints_total", "complaints_per_100m_premium"], [], Filters(period="2024Q4"))
    assert t["complaints_total"][0] == 80  # 70 + 0 + 10
    assert t["complaints_per_100m_premium"][0] == pytest.approx(80 / 3.5)
    by_type = wh.table(["complaints_total"], ["firm_type"], Filters(period="2025Q1"))
    assert by_type.rows() == [("财产险", 90)]


def test_a_table_by_firm_over_all_four_datasets_joins_each_firm_once(wh):
    t = wh.table(["complaints_total", "complaints", "mediation_success_rate", "outreach_reach"], ["firm"],
                 Filters(period="2025Q1"))
    assert t.columns == ["firm_id", "firm_name", "complaints_total", "complaints", "mediation_success_rate",
                         "outreach_reach", "mediation_success_rate__low_base"]
    assert t.select("firm_id", "complaints_total", "complaints", "mediation_success_rate", "outreach_reach").rows() \
        == [("A", 30, 30, 0.75, 3700), ("B", 30, 30, None, None), ("D", 30, None, None, None)]


def test_mediation_rates(wh):
    t = wh.table(["mediation_participation_rate", "mediation_success_rate", "mediation_fulfilment_rate",
                  "mediation_court_linked_share", "mediation_amount_wan"], ["firm"], Filters(period="2025Q1"))
    a, b = t.row(0, named=True), t.row(1, named=True)
    assert (a["mediation_participation_rate"], a["mediation_success_rate"], a["mediation_fulfilment_rate"],
            a["mediation_court_linked_share"], a["mediation_amount_wan"]) == (0.8, 0.75, 0.5, 0.2, 12.5)
    assert b["mediation_success_rate"] is None and b["mediation_participation_rate"] is None
    both = wh.table(["mediation_success_rate"], ["firm_type"], Filters(period="2025Q1"))
    assert both["mediation_success_rate"][0] == 0.75  # (6 + 0) / (8 + 0), not the mean of 0.75 and nothing


def test_stock_columns_take_the_latest_quarter_not_the_sum(wh):
    rng = Filters(period_from="2024Q4", period_to="2025Q1")
    t = wh.table(["outlets", "outlets_age_friendly", "age_friendly_outlet_share", "reach_offline",
                  "county_coverage_rate"], ["firm"], rng)
    a = t.row(0, named=True)
    assert a["outlets"] == 130  # 广东 at 2025Q1 (120) + 深圳 at its latest, 2024Q4 (10); not 100 + 120 + 10
    assert a["outlets_age_friendly"] == 70
    assert a["age_friendly_outlet_share"] == pytest.approx(70 / 130)
    assert a["reach_offline"] == 5000  # flows are summed over quarters
    assert a["county_coverage_rate"] == pytest.approx((60 + 5) / GD_COUNTIES)
    by_region = wh.table(["county_coverage_rate"], ["region"], rng)
    assert one(by_region, "county_coverage_rate", region_code="440000") == pytest.approx(60 / (GD_COUNTIES
                                                                                           - SZ_COUNTIES))
    assert one(by_region, "county_coverage_rate", region_code="440300") == pytest.approx(5 / SZ_COUNTIES)


def test_county_coverage_across_firms_is_median_and_max(wh):
    t = wh.table(["county_coverage_median", "county_coverage_max"], ["region"], Filters(period="2024Q4"))
    assert one(t, "county_coverage_max", region_code="440000") == pytest.approx(50 / (GD_COUNTIES - SZ_COUNTIES))
    assert one(t, "county_coverage_median", region_code="440300") == pytest.approx(5 / SZ_COUNTIES)


def test_reach_per_10k_residents_counts_each_region_once(wh):
    gd_own = GD_POP - SZ_POP
    rng = Filters(period_from="2024Q4", period_to="2025Q1")
    by_region = wh.table(["reach_per_10k_residents", "outreach_reach", "key_group_share"], ["region"], rng)
    # 广东 reported in two quarters: 1000 + 3000 over its population once, not twice.
    assert one(by_region, "reach_per_10k_residents", region_code="440000") == pytest.approx(4000 / (gd_own / 1e4))
    assert one(by_region, "outreach_reach", region_code="440000") == 5200
    assert one(by_region, "key_group_share", region_code="440000") == pytest.approx(1300 / 4000)
    by_province = wh.table(["reach_per_10k_residents"], ["province"], Filters(period="2024Q4"))
    assert by_province["reach_per_10k_residents"][0] == pytest.approx(2000 / (GD_POP / 1e4))


def test_product_lines(wh):
    t = wh.table(["complaints"], ["product_line"], Filters(period="2025Q1"))
    assert t.rows() == [("健康保险", 10), ("机动车辆保险", 50)]
    with pytest.raises(QueryError, match="险种"):
        wh.table(["complaints_total"], ["product_line"])


def test_complaint_index_within_the_peer_group(wh):
    t = wh.table(["complaint_index"], ["firm"], Filters(period="2025Q1", firm_type="财产险"))
    # group: complaints 30 + 30 + 30 = 90, premium 30000 + 10000 + 10000 = 50000
    assert one(t, "complaint_index", firm_id="A") == pytest.approx((30 / 90) / (30000 / 50000))
    assert one(t, "complaint_index", firm_id="B") == pytest.approx((30 / 90) / (10000 / 50000))
    q4 = wh.table(["complaint_index"], ["firm"], Filters(period="2024Q4", firm_type="财产险"))
    assert one(q4, "complaint_index", firm_id="A") == pytest.approx(1.0)
    assert one(q4, "complaint_index", firm_id="B") is None  # 0 premium: no value
    assert wh.table(["complaint_index"], [], Filters(period="2025Q1"))["complaint_index"][0] is None


def test_low_base_flag_and_its_threshold(wh, tmp_path):
    t = wh.table(["complaints_per_100m_premium"], ["region"], Filters(period="2024Q4"))
    assert t["complaints_per_100m_premium__low_base"].to_list() == [True, False, False]  # 000000 has 10 < 30
    stricter = Warehouse(wh.path, low_base={"complaints_total": 31})
    t = stricter.table(["complaints_per_100m_premium"], ["region"], Filters(period="2024Q4"))
    assert t["complaints_per_100m_premium__low_base"].to_list() == [True, False, True]  # 深圳 has 30 < 31


def test_change_qoq_across_a_year_and_yoy(wh):
    c = wh.change("complaints_total", ["firm"], Filters(period="2025Q1"))
    a = c.filter(c["firm_id"] == "A").row(0, named=True)
    assert (a["value"], a["prev_quarter"], a["qoq_abs"]) == (30, 70, -40)  # 2025Q1 vs 2024Q4
    assert a["qoq_pct"] == pytest.approx(-40 / 70)
    assert a["prev_year"] is None and a["yoy_pct"] is None
    b = c.filter(c["firm_id"] == "B").row(0, named=True)
    assert (b["prev_quarter"], b["qoq_abs"], b["qoq_pct"]) == (0, 30, None)  # base zero: no per cent
    q4 = wh.change("complaints_total", [], Filters(period="2025Q4"))
    assert q4.row(0, named=True) | {} == {"value": 35, "prev_quarter": None, "qoq_abs": None, "qoq_pct": None,
                                           "prev_year": 80, "yoy_abs": -45, "yoy_pct": pytest.approx(-45 / 80)}
    rows = wh.change("complaints_total", ["period"], Filters(period_from="2025Q1", period_to="2025Q4"))
    assert rows["period"].to_list() == ["2025Q1", "2025Q4"]


def test_changes_of_several_metrics_keep_each_to_its_own_datasets_rows(wh):
    both = wh.changes(["complaints_total", "mediation_success_rate"], ["firm"], Filters(period="2025Q1"))
    assert both["complaints_total"]["firm_id"].to_list() == ["A", "B", "D"]
    assert both["complaints_total"].row(0, named=True)["prev_quarter"] == 70  # A: 2024Q4
    assert both["mediation_success_rate"]["firm_id"].to_list() == ["A", "B"]  # only A and B mediate
    assert both["mediation_success_rate"]["value"].to_list() == [0.75, None]
    for metric, frame in both.items():
        assert_frame_equal(frame, wh.change(metric, ["firm"], Filters(period="2025Q1")))


def test_peers_ranks_ties_percentiles_and_quartiles(wh):
    p = wh.peers("complaints_per_100m_premium", "2025Q1", "财产险")
    assert p["firm_id"].to_list() == ["A", "B", "D"]
    assert p["value"].to_list() == [10.0, 30.0, 30.0]
    assert p["rank"].to_list() == [1, 2, 2]  # lower is better; ties share a rank
    assert p["percentile"].to_list() == pytest.approx([1 / 3, 1.0, 1.0])
    assert (p["p25"][0], p["median"][0], p["p75"][0], p["n_firms"][0]) == (20.0, 30.0, 30.0, 3)
    assert p["direction"][0] == "lower"
    assert p["complaint_index"].to_list() == pytest.approx([0.5555555, 1.6666666, 1.6666666])
    success = wh.peers("mediation_success_rate", "2025Q1", "财产险")
    assert success["rank"].to_list()[0] == 1 and success["direction"][0] == "higher"


def test_peer_groups_rank_each_quarter_on_its_own_in_one_call(wh):
    rate, success = "complaints_per_100m_premium", "mediation_success_rate"
    groups = wh.peer_groups([rate, success], "财产险", "2024Q4", "2025Q1")
    q4 = groups.filter((pl.col("metric") == rate) & (pl.col("period") == "2024Q4"))
    # 2024Q4: A 70 complaints over 3 亿元 of premium; B has no premium, so no value and no rank
    assert q4["firm_id"].to_list() == ["A", "B"]
    assert q4["value"][0] == pytest.approx(70 / 3) and q4["value"][1] is None
    assert q4["rank"].to_list() == [1, None] and q4["percentile"].to_list() == [1.0, None]
    assert q4["median"][0] == pytest.approx(70 / 3) and q4["n_firms"].to_list() == [1, 1]
    for metric in (rate, success):  # 2025Q1 is what peers() gives for that quarter alone
        alone = wh.peers(metric, "2025Q1", "财产险")
        together = groups.filter((pl.col("metric") == metric) & (pl.col("period") == "2025Q1"))
        assert_frame_equal(together.drop("metric", "period"), alone)


def test_member_scope_pseudonymises_peers_and_suppresses_small_groups(wh):
    member = Warehouse(wh.path, scope=Scope(firm_id="A"))
    p = member.peers("complaints_per_100m_premium", "2025Q1", "财产险")
    ids = p["firm_id"].to_list()
    assert ids[0] == "A" and p["firm_name"][0] == "甲财险"
    assert all(i.startswith("同业") for i in ids[1:]) and set(p["firm_name"][1:]) == set(ids[1:])
    assert p["median"][0] is None and p["suppressed"][0]  # 3 firms < 5: no group aggregate
    again = Warehouse(wh.path, scope=Scope(firm_id="A")).peers("complaints_per_100m_premium", "2025Q1", "财产险")
    assert again["firm_id"].to_list() == ids  # stable pseudonyms
    assert member.table(["complaints_total"], ["firm_type"], Filters(period="2025Q1"))["complaints_total"] \
        .to_list() == [None]
    assert member.table(["complaints_total"], [], Filters(period="2025Q1", firms=("A",)))["complaints_total"] \
        .to_list() == [30]
    assert "B" not in member.firms()["firm_id"].to_list()


def test_unknown_names_are_refused_in_chinese(wh):
    with pytest.raises(QueryError, match="未知指标"):
        wh.table(["nope"], [])
    with pytest.raises(QueryError, match="未知维度"):
        wh.table(["complaints_total"], ["firm; DROP TABLE complaints"])


def test_an_empty_warehouse_answers_with_empty_frames(tmp_path):
    empty = Warehouse(tmp_path / "none")
    assert empty.version is None and empty.periods() == []
    assert empty.table(["complaints_per_100m_premium"], ["firm"]).height == 0
    assert empty.anomalies().height == 0 and empty.submissions().height == 0
    assert empty.change("complaints_total", []).row(0, named=True)["value"] is None


@pytest.fixture(scope="module")
def surge(tmp_path_factory) -> Warehouse:
    return Warehouse(synthetic.build(tmp_path_factory.mktemp("syn"), years=3, firms=12, seed=3))


def test_the_registry_is_kept_to_the_chosen_type_and_firms(wh):
    assert wh.firms(Filters(firm_type="财产险"))["firm_id"].to_list() == ["A", "B", "D"]
    assert wh.firms(Filters(firm_type="财产险", firms=("C", "D")))["firm_id"].to_list() == ["D"]
    assert wh.firms()["firm_id"].to_list() == ["A", "B", "C", "D"]
    member = Warehouse(wh.path, scope=Scope(firm_id="A"))
    pseudonym = member.firms().filter(pl.col("firm_type") == "人身险")["firm_id"][0]
    chosen = member.firms(Filters(firms=(pseudonym,)))  # a member chooses peers by the names it sees
    assert chosen["firm_id"].to_list() == [pseudonym] and chosen["short_name"].to_list() == [pseudonym]


def test_peer_rows_are_the_chosen_firms_against_the_whole_group(wh):
    whole = wh.peers("complaints_per_100m_premium", "2025Q1", "财产险")
    chosen = wh.peers("complaints_per_100m_premium", "2025Q1", "财产险", firms=("B",))
    assert_frame_equal(chosen, whole.filter(pl.col("firm_id") == "B"))
    assert chosen["n_firms"].to_list() == [3]  # the group is still A, B and D


def test_anomalies_are_selected_after_their_baselines(surge):
    period = surge.periods()[-2]
    every = surge.anomalies(Filters(period=period))
    assert every.height >= 2
    top = every.row(0, named=True)
    firm_type = surge.firms().filter(pl.col("firm_id") == top["firm_id"])["firm_type"][0]
    other = "财产险" if firm_type == "人身险" else "人身险"
    # one region chosen: its cells only, with the same expected values as in the full list
    one = surge.anomalies(Filters(period=period, regions=(top["region_code"],)))
    assert set(one["region_code"]) == {top["region_code"]}
    assert_frame_equal(one, every.filter(pl.col("region_code") == top["region_code"]))
    assert_frame_equal(surge.anomalies(Filters(period=period, firms=(top["firm_id"],))),
                       every.filter(pl.col("firm_id") == top["firm_id"]))
    assert surge.anomalies(Filters(period=period, firm_type=other)).height == \
        every.filter(~pl.col("firm_id").is_in(surge.firms(Filters(firm_type=firm_type))["firm_id"].to_list())).height
    # the range's last quarter is the quarter listed
    assert_frame_equal(surge.anomalies(Filters(period_from=surge.periods()[0], period_to=period)), every)
    province = surge.regions().filter(pl.col("region_code") == top["region_code"])["province_code"][0]
    in_province = surge.regions().filter(pl.col("province_code") == province)["region_code"]
    assert_frame_equal(surge.anomalies(Filters(period=period, provinces=(province,))),
                       every.filter(pl.col("region_code").is_in(in_province.to_list())))


def test_submissions_keep_unreadable_files_under_period_and_firm_filters(tmp_path):
    subs = handmade.SUBMISSIONS.with_columns(pl.col("firm_id").replace({"F1": "A", "F2": "B", "F3": "C"}),
                                             pl.int_range(pl.len()).alias("seq"))
    subs = pl.concat([store.load_submissions(None), subs], how="diagonal_relaxed")  # the ledger's every column
    path = handmade.build(tmp_path / "wh", submissions=subs)
    wh = Warehouse(path)
    assert wh.submissions()["submission_id"].to_list() == ["s1", "s2", "s3", "s4", "s5", "s6"]
    assert wh.submissions(Filters(period="2025Q2"))["submission_id"].to_list() == ["s5"]
    assert wh.submissions(Filters(period="2025Q3", firms=("A",)))["submission_id"].to_list() == [
        "s1", "s2", "s5", "s6"]
    assert wh.submissions(Filters(period_from="2025Q1", period_to="2025Q4", firm_type="人身险"))[
        "submission_id"].to_list() == ["s4", "s5"]
    assert wh.submissions(Filters(regions=("440300",))).height == 6  # a file covers every region of its firm
    member = Warehouse(path, scope=Scope(firm_id="A"))
    assert member.submissions(Filters(period="2025Q3"))["submission_id"].to_list() == ["s1", "s2", "s6"]


def _files(rows: list[dict]) -> pl.DataFrame:
    from datetime import UTC, datetime

    schema = store.load_submissions(None).schema
    full = [{c: None for c in schema} | {"seq": i, "received_at": datetime(2026, 1, 5, 8, i, tzinfo=UTC),
                                           "submission_id": f"s{i}", "file_name": f"s{i}.xlsx", "version": 1,
                                           "n_errors": 0, "n_warnings": 0} | r for i, r in enumerate(rows)]
    return pl.DataFrame(full, schema=schema)


@pytest.fixture(scope="module")
def wh_with_files(tmp_path_factory) -> Warehouse:
    files = _files([
        {"firm_id": "A", "period": "2025Q4", "status": "accepted"},
        {"firm_id": "B", "period": "2025Q1", "status": "accepted"},
        {"firm_id": "B", "period": "2025Q4", "status": "held", "basis": "年累计",
         "status_note": "年累计报送暂缓入库：缺少本年 2025Q2、2025Q3 的报送"},
        {"firm_id": "D", "period": "2025Q4", "status": "rejected", "n_errors": 3,
         "status_note": "报送有 3 处错误，整份退回，请更正后重报"},
    ])
    return Warehouse(handmade.build(tmp_path_factory.mktemp("files"), submissions=files))


def test_why_empty_names_the_held_firm_its_gap_and_the_filter_that_emptied_the_result(wh_with_files):
    # Issue 8 item 6: a firm whose file is held is told why, not "widen your filters".
    why = wh_with_files.why_empty(["complaints_total"], Filters(period="2025Q4", firms=("B", "D", "C")))
    rows = {r["firm_id"]: r for r in why["firms"].iter_rows(named=True)}
    assert rows["B"]["status"] == "held" and rows["B"]["missing_periods"] == ["2025Q2", "2025Q3"]
    assert rows["D"]["status"] == "rejected" and rows["D"]["n_errors"] == 3
    assert rows["C"]["status"] == "missing"
    assert set(why["culprits"]) == {"period", "firms"}  # other quarters, or other firms, have figures
    # A region with nothing this quarter: the region filter is named, the firms are not (no firm chosen).
    why = wh_with_files.why_empty(["complaints_total"], Filters(period="2025Q4", regions=("440300",)))
    assert why["culprits"] == ("period", "regions") and why["firms"].height == 0
    # Only the two together empty it (C reports no mediation, nobody does in 2024Q4): no single culprit.
    assert wh_with_files.why_empty(["mediation_success_rate"], Filters(period="2024Q4", firms=("C",)))[
        "culprits"] == ()


def test_as_of_is_the_snapshot_and_the_latest_receipt(wh_with_files):
    from datetime import UTC, datetime

    assert wh_with_files.as_of() == {"version": wh_with_files.version,
                                     "ingested_at": datetime(2026, 1, 5, 8, 3, tzinfo=UTC)}
