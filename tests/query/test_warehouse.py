"""The query layer (query/warehouse.py): every metric against figures computed by hand from tests/query/handmade.py;
change, peers, scope; and the selection pages used to make themselves (anomalies, submissions, the registry and
peer rows kept to the filters, with the figures still computed over everything they need)."""

from __future__ import annotations

import math
import tempfile
from pathlib import Path

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal

from core.contract import SHEETS_BY_ID
from core.quarters import shift
from core.reference import REGISTRY_COLUMNS
from etl import store
from fixtures import synthetic, warehouse
from query import MIN_PEERS, Filters, QueryError, Scope, Warehouse, pseudonyms
from tests.query import handmade
from tests.query.handmade import _frame, complaint

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


def test_peers_ranks_ties_better_than_shares_and_quartiles(wh):
    p = wh.peers("complaints_per_100m_premium", "2025Q1", "财产险")
    assert p["firm_id"].to_list() == ["A", "B", "D"]
    assert p["value"].to_list() == [10.0, 30.0, 30.0]
    assert p["rank"].to_list() == [1, 2, 2]  # lower is better; ties share a rank
    # lower is better: A (10) beats both others; B and D (30) beat nobody and tie with each other (half)
    assert p["better_than_share"].to_list() == pytest.approx([1.0, 0.25, 0.25])
    assert (p["p25"][0], p["median"][0], p["p75"][0], p["n_firms"][0]) == (20.0, 30.0, 30.0, 3)
    assert p["direction"][0] == "lower"
    assert p["complaint_index"].to_list() == pytest.approx([0.5555555, 1.6666666, 1.6666666])
    success = wh.peers("mediation_success_rate", "2025Q1", "财产险")
    assert success["rank"].to_list()[0] == 1 and success["direction"][0] == "higher"
    assert success["better_than_share"].null_count() == success.height  # only A has a value: a group of one


def test_better_than_share_reads_the_metrics_direction_and_counts_ties_half():
    from query.warehouse import better_than

    def share(values, direction, periods=None):
        frame = pl.DataFrame({"period": periods or ["q"] * len(values), "value": values},
                             schema={"period": pl.Utf8, "value": pl.Float64})
        v = pl.col("value")
        return frame.with_columns(better_than(v, v.count().over("period"), direction).alias("b"))["b"].to_list()

    fifteen = [float(i) for i in range(1, 16)]  # 15 firms, 15.0 the worst on a lower-is-better metric
    assert share(fifteen, "lower")[13] == pytest.approx(1 / 14)  # second-worst: better than 1 of 14 (7.1%)
    assert share(fifteen, "higher")[13] == pytest.approx(13 / 14)  # the same value where higher is better
    assert share(fifteen, "lower")[0] == 1.0 and share(fifteen, "lower")[14] == 0.0
    # ties count half: 1, 2, 2, 4 lower-is-better → 1 beats 3; each 2 beats the 4 and ties the other 2
    assert share([1.0, 2.0, 2.0, 4.0], "lower") == pytest.approx([1.0, 1.5 / 3, 1.5 / 3, 0.0])
    assert share([1.0, 2.0, 2.0, 4.0], "higher") == pytest.approx([0.0, 1.5 / 3, 1.5 / 3, 1.0])
    # a missing value is nobody's peer; a group of one has no others; no direction, no "better"
    assert share([3.0, None, 5.0], "lower") == [1.0, None, 0.0]
    assert share([3.0, 5.0], "lower", periods=["a", "b"]) == [None, None]
    assert share([3.0, 5.0], None) == [None, None]


def test_peer_groups_rank_each_quarter_on_its_own_in_one_call(wh):
    rate, success = "complaints_per_100m_premium", "mediation_success_rate"
    groups = wh.peer_groups([rate, success], "财产险", "2024Q4", "2025Q1")
    q4 = groups.filter((pl.col("metric") == rate) & (pl.col("period") == "2024Q4"))
    # 2024Q4: A 70 complaints over 3 亿元 of premium; B has no premium, so no value and no rank
    assert q4["firm_id"].to_list() == ["A", "B"]
    assert q4["value"][0] == pytest.approx(70 / 3) and q4["value"][1] is None
    # A is alone in its group (no other firm to be better than): no value, as for B without one
    assert q4["rank"].to_list() == [1, None] and q4["better_than_share"].to_list() == [None, None]
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
    assert member.firms()["firm_id"].to_list() == ["A"]  # a member's registry: its own firm, identified
    assert member.firms()["short_name"].to_list() == ["甲财险"]
    assert member.firms(Filters(firm_type="人身险")).height == 0


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


def test_anomalies_by_hand(tmp_path):
    """tests/query/handmade.py ANOMALY_CELLS, 2025Q1. A's 440000: history 10 12 11 13 10 12 11 12 → median 11.5,
    MAD 0.5; A's usual total is the median of 30 32 31 33 30 32 31 32 = 31.5; its other region has 22 of its 62 now,
    so factor = (62 − 40) / (31.5 − 11.5) = 1.1, expected = 12.65, scale = max(1.4826 · 0.5 · 1.1, √12.65, 1) = √12.65,
    z = 27.35 / √12.65. A's 440300: factor (62 − 22) / (31.5 − 20) = 3.48 → 3, expected 60: a fall. D: expected 1,
    scale 1, jump 10 → z 10 (listed at the jump's floor); C: jump 9 (not listed); B: 3 quarters (not judged);
    the 1000 of 2022Q4 is outside the 8 quarters."""
    wh = Warehouse(handmade.build_anomalies(tmp_path / "wh"))
    got = wh.anomalies(Filters(period="2025Q1"))
    assert got.select("firm_id", "region_code").rows() == [("D", "440300"), ("A", "440000")]   # highest z first
    d, a = got.rows(named=True)
    assert (d["firm_name"], d["region_name"], d["period"], d["complaints"]) == ("丁财险", "深圳市", "2025Q1", 11)
    assert (d["baseline_median"], d["mad"], d["expected"], d["jump"]) == (1.0, 0.0, 1.0, 10.0)
    assert d["robust_z"] == pytest.approx(10.0) and d["jump_pct"] == pytest.approx(10.0)
    assert d["proxy_surrender_share"] == pytest.approx(2 / 11)
    assert (a["firm_name"], a["region_name"], a["complaints"]) == ("甲财险", "广东省（不含深圳）", 40)
    assert (a["baseline_median"], a["mad"]) == (11.5, 0.5)
    assert a["expected"] == pytest.approx(12.65) and a["jump"] == pytest.approx(27.35)
    assert a["robust_z"] == pytest.approx(27.35 / math.sqrt(12.65))
    assert a["jump_pct"] == pytest.approx(27.35 / 12.65) and a["proxy_surrender_share"] == pytest.approx(0.75)
    assert dict(got.schema) == {"firm_id": pl.Utf8, "firm_name": pl.Utf8, "region_code": pl.Utf8,
                                "region_name": pl.Utf8, "period": pl.Utf8, "complaints": pl.Int64,
                                **{c: pl.Float64 for c in ("baseline_median", "mad", "expected", "robust_z", "jump",
                                                           "jump_pct", "proxy_surrender_share")}}
    assert_frame_equal(wh.anomalies(), got)                                   # the last quarter by default
    assert wh.anomalies(Filters(period="2024Q4")).height == 0                 # nothing jumps in 2024Q4
    assert wh.anomalies(Filters(period="2025Q1", firm_type="人身险")).height == 0


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


# ── biggest movers (`Warehouse.movers`): ranked within each firm type, low-base firms left unranked, the absolute
# change beside the relative one; every figure below is computed by hand ─────────────────────────────────────────
MOVER_FIRMS = [("P1", "示例一财产保险股份有限公司", "一财险", "", "财产险"),
         ("P2", "示例二财产保险股份有限公司", "二财险", "", "财产险"),
         ("P3", "示例三财产保险股份有限公司", "三财险", "", "财产险"),
         ("P4", "示例四财产保险股份有限公司", "四财险", "", "财产险"),
         ("L1", "示例一人寿保险股份有限公司", "一人寿", "", "人身险"),
         ("L2", "示例二人寿保险股份有限公司", "二人寿", "", "人身险"),
         ("L3", "示例三人寿保险股份有限公司", "三人寿", "", "人身险")]


# firm: (premium 万元, complaints 2025Q1, complaints 2025Q2) → complaints per 亿元 premium
MOVER_FIGURES = {
    "P1": (20_000.0, 40, 44),    # 20 → 22: +2 (+10%)
    "P2": (20_000.0, 6, 4),      # 3 → 2: -33% on 6 → 4 complaints: low base both quarters
    "P3": (40_000.0, 80, 76),    # 20 → 19: -1 (-5%)
    "P4": (20_000.0, 10, 60),    # 5 → 30: +500%, low base last quarter (10 complaints)
    "L1": (10_000.0, 30, 90),    # 30 → 90: +60 (+200%)
    "L2": (50_000.0, 100, 120),  # 20 → 24: +4 (+20%)
    "L3": (5_000.0, 40, 200),    # 80 → 400: +400%, low base (0.5 亿元 premium)
}


@pytest.fixture(scope="module")
def movers_wh(tmp_path_factory) -> Warehouse:
    rows = [complaint(period, firm, "440000", premium, 1000, 1000, total, 0, (total, 0, 0, 0, 0), total, total, 0)
            for firm, (premium, q1, q2) in MOVER_FIGURES.items() for period, total in (("2025Q1", q1), ("2025Q2", q2))]
    frames = {"complaints": _frame("complaints", rows)}
    for dataset in ("complaints_by_line", "mediation", "outreach"):
        frames[dataset] = _frame(dataset, [])
    registry = pl.DataFrame(MOVER_FIRMS, schema=list(REGISTRY_COLUMNS), orient="row")
    return Warehouse(warehouse.write(tmp_path_factory.mktemp("movers"), frames, registry))


def test_movers_rank_each_firm_type_alone_and_leave_low_base_firms_unranked(movers_wh):
    m = movers_wh.movers("complaints_per_100m_premium", Filters(period="2025Q2"))
    assert m["firm_type"].to_list() == ["财产险"] * 4 + ["人身险"] * 3  # property first, never mixed
    # each type's movers by size of the relative change, then its low-base firms (also by size)
    assert m["firm_id"].to_list() == ["P1", "P3", "P4", "P2", "L1", "L2", "L3"]
    assert m["mover_rank"].to_list() == [1, 2, None, None, 1, 2, None]
    assert m["low_base"].to_list() == [False, False, True, True, False, False, True]
    assert m["qoq_abs"].to_list() == pytest.approx([2.0, -1.0, 25.0, -1.0, 60.0, 4.0, 320.0])
    assert m["qoq_pct"].to_list() == pytest.approx([0.1, -0.05, 5.0, -1 / 3, 2.0, 0.2, 4.0])
    assert m.row(0, named=True) | {"qoq_pct": None} == {
        "firm_type": "财产险", "firm_id": "P1", "firm_name": "一财险", "value": 22.0, "prev_quarter": 20.0,
        "qoq_abs": 2.0, "qoq_pct": None, "low_base": False, "mover_rank": 1}


def test_movers_keep_n_per_firm_type_and_follow_the_filters(movers_wh):
    one = movers_wh.movers("complaints_per_100m_premium", Filters(period="2025Q2"), n=1)
    assert one.filter(pl.col("mover_rank").is_not_null())["firm_id"].to_list() == ["P1", "L1"]
    life = movers_wh.movers("complaints_per_100m_premium", Filters(period="2025Q2", firm_type="人身险"))
    assert life["firm_id"].to_list() == ["L1", "L2", "L3"]
    # a lower threshold lets P4 in: its 环比 of +500% then leads the property firms
    low = Warehouse(movers_wh.path, low_base={"complaints_total": 10})
    ranked = low.movers("complaints_per_100m_premium", Filters(period="2025Q2")).filter(
        pl.col("mover_rank").is_not_null())
    assert ranked["firm_id"].to_list() == ["P4", "P1", "P3", "L1", "L2"]
    assert movers_wh.movers("complaints_per_100m_premium", Filters(period="2025Q1")).height == 0  # nothing before


def test_a_members_movers_show_peers_as_pseudonyms(movers_wh):
    member = Warehouse(movers_wh.path, scope=Scope(firm_id="P1"))
    m = member.movers("complaints_per_100m_premium", Filters(period="2025Q2"))
    # every firm reports only 广东: 3 property and 3 life firms besides P1, too few to show any of them
    assert m["firm_id"].to_list() == ["P1"] and m["mover_rank"].to_list() == [1]
    low = Warehouse(movers_wh.path, scope=Scope(firm_id="P1"), low_base={"complaints_total": 10})
    assert low.movers("complaints_per_100m_premium", Filters(period="2025Q2"))["firm_id"].to_list() == ["P1"]


# ── property: every rate the query layer returns (`table`, `changes`, `movers`, `peers`, `peer_groups`,
# `anomalies`) is the numerator ÷ the denominator of the sums `xiaobao export` gives for the same cells (the count
# measures, ratio of sums), in floating point, to 1e-9; a zero or missing denominator gives no value. Random small
# warehouses: two to four firms of both types, two or three regions, six quarters; one firm × region cell is quiet
# for five quarters and jumps in the sixth, so the anomaly list usually has rows to check. Integer sums divided as
# decimals (HUGEINT → Decimal(38, 0)) round to whole numbers and fail here.
PERIODS = ("2023Q1", "2023Q2", "2023Q3", "2023Q4", "2024Q1", "2024Q2")


REGIONS = ("440000", "440300", "000000")


# Each rate as (numerator columns, denominator column, scale): rate = sum(numerators) / (sum(denominator) / scale).
# The rates over reference data (population, county counts) are tested by hand in test_metrics.py.
RATIOS: dict[str, tuple[tuple[str, ...], str, float]] = {
    "complaints_per_100m_premium": (("complaints_total",), "premium_wan", 10_000),
    "complaints_per_10k_policies": (("complaints_total",), "policies", 10_000),
    "complaints_per_10k_insured": (("complaints_total",), "insured_persons", 10_000),
    "regulator_referred_share": (("complaints_regulator",), "complaints_total", 1),
    "on_time_resolution_rate": (("resolved_on_time",), "resolved", 1),
    "proxy_surrender_share": (("proxy_surrender_suspected",), "complaints_total", 1),
    "mediation_participation_rate": (("mediation_voluntary",), "mediation_accepted", 1),
    "mediation_success_rate": (("mediation_succeeded",), "mediation_concluded", 1),
    "mediation_fulfilment_rate": (("mediation_fulfilled",), "mediation_succeeded", 1),
    "mediation_court_linked_share": (("mediation_court_linked",), "mediation_accepted", 1),
    "key_group_share": (("reach_elderly", "reach_youth", "reach_new_citizens", "reach_disabled"), "reach_offline", 1),
    "age_friendly_outlet_share": (("outlets_age_friendly",), "outlets", 1),  # both stocks: the latest quarter
}


RATES = tuple(RATIOS)


GRAINS = ([], ["firm"], ["firm", "period"], ["region", "period"], ["firm_type", "period"], ["province"])


def close(got: float | None, want: float | None) -> bool:
    if want is None:
        return got is None
    return got is not None and math.isclose(got, want, rel_tol=1e-9, abs_tol=1e-12)


def ratio(row: dict, metric: str) -> float | None:
    numerators, denominator, scale = RATIOS[metric]
    parts = [row[c] for c in numerators]
    if any(p is None for p in parts) or not row[denominator]:
        return None
    return float(sum(parts)) / (float(row[denominator]) / scale)


@st.composite
def cell(draw, spike: bool = False, last: bool = False) -> dict:
    """One firm × region × quarter of each sheet, every count within its contract bounds."""
    def upto(n: int) -> int:
        return draw(st.integers(0, max(n, 0)))

    total = draw(st.integers(60, 90)) if spike and last else draw(st.integers(0, 3 if spike else 40))
    resolved = upto(total)
    offline = draw(st.integers(0, 200))
    groups = [upto(offline // 4) for _ in range(4)]
    accepted, outlets = draw(st.integers(0, 12)), draw(st.integers(0, 40))
    concluded = upto(accepted)
    succeeded = upto(concluded)
    return {
        "premium_wan": draw(st.sampled_from([0.0, 2500.25, 10000.0, 31250.5])), "policies": upto(20_000),
        "insured_persons": draw(st.none() | st.integers(0, 20_000)), "complaints_total": total,
        "complaints_regulator": upto(total), "resolved": resolved, "resolved_on_time": upto(resolved),
        "proxy_surrender_suspected": upto(total),
        "mediation_accepted": accepted, "mediation_voluntary": upto(accepted), "mediation_concluded": concluded,
        "mediation_succeeded": succeeded, "mediation_fulfilled": upto(succeeded),
        "mediation_court_linked": upto(accepted),
        "reach_offline": offline, "reach_online": upto(100), "reach_elderly": groups[0], "reach_youth": groups[1],
        "reach_new_citizens": groups[2], "reach_disabled": groups[3], "outlets": outlets,
        "outlets_age_friendly": upto(outlets),
    }


@st.composite
def worlds(draw) -> tuple[list[tuple[str, str]], list[dict]]:
    n = draw(st.integers(2, 4))
    types = ["财产险", "人身险"] + [draw(st.sampled_from(["财产险", "人身险"])) for _ in range(n - 2)]
    firms = [(f"F{i}", types[i]) for i in range(n)]
    regions = draw(st.lists(st.sampled_from(REGIONS[1:]), min_size=1, max_size=2, unique=True))
    rows = []
    for f, _ in firms:
        for r in ["440000", *regions] if f == "F0" else regions:
            spike = f == "F0" and r == "440000"  # quiet for five quarters, then a jump
            for p in PERIODS:
                if spike or draw(st.booleans()) or p == PERIODS[-1]:
                    rows.append({"period": p, "firm_id": f, "region_code": r,
                                 **draw(cell(spike=spike, last=p == PERIODS[-1]))})
    return firms, rows


def build(path: Path, firms: list[tuple[str, str]], rows: list[dict]) -> Warehouse:
    frames = {}
    for dataset in ("complaints", "complaints_by_line", "mediation", "outreach"):
        schema = SHEETS_BY_ID[dataset].schema()
        frames[dataset] = pl.DataFrame([{c: r.get(c) for c in schema} for r in rows] if dataset != "complaints_by_line"
                                       else [], schema=schema)
    registry = pl.DataFrame([(f, f"示例{f}保险股份有限公司", f, "", t) for f, t in firms],
                            schema=list(REGISTRY_COLUMNS), orient="row")
    return Warehouse(warehouse.write(path, frames, registry))


def measures(wh: Warehouse, by: list[str], filters: Filters) -> pl.DataFrame:
    """What `xiaobao export <the count measures> --by …` gives: the sums every ratio divides."""
    columns = sorted({c for nums, den, _ in RATIOS.values() for c in (*nums, den)})
    return wh.table(columns, by, filters)


def keys_of(frame: pl.DataFrame) -> list[str]:
    return [c for c in ("firm_id", "firm_type", "region_code", "province_code", "period") if c in frame.columns]


def check_against_sums(got: pl.DataFrame, sums: pl.DataFrame, metrics: tuple[str, ...], where: str) -> None:
    keys = keys_of(got)
    expected = {tuple(r[k] for k in keys): r for r in sums.iter_rows(named=True)}
    for row in got.iter_rows(named=True):
        base = expected[tuple(row[k] for k in keys)]
        for m in metrics:
            assert close(row[m], ratio(base, m)), (where, m, row, base)


def complaint_index(sums: pl.DataFrame) -> dict[tuple[str, str], float | None]:
    """(firm, period) → (firm's share of its type's complaints) ÷ (its share of the type's premium)."""
    out = {}
    groups = sums.group_by("firm_type", "period").agg(pl.col("complaints_total").sum().alias("C"),
                                                      pl.col("premium_wan").sum().alias("P"))
    for r in sums.join(groups, on=["firm_type", "period"]).iter_rows(named=True):
        if not r["C"] or not r["P"] or not r["premium_wan"]:
            out[(r["firm_id"], r["period"])] = None
        else:
            out[(r["firm_id"], r["period"])] = (r["complaints_total"] / r["C"]) / (r["premium_wan"] / r["P"])
    return out


@settings(max_examples=10, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(world=worlds(), grain=st.sampled_from(GRAINS), single=st.booleans())
def test_every_rate_is_the_ratio_of_the_exported_sums(world, grain, single):
    firms, rows = world
    with tempfile.TemporaryDirectory() as tmp:
        wh = build(Path(tmp), firms, rows)
        last = PERIODS[-1]
        window = Filters(period=last) if single else Filters(period_from=PERIODS[1], period_to=last)

        # table, at a random grain and window
        check_against_sums(wh.table(RATES, grain, window), measures(wh, grain, window), RATES, f"table {grain}")

        # firm × quarter: what changes() and the peer groups compare
        per_firm = measures(wh, ["firm", "firm_type", "period"], Filters())
        want = {(r["firm_id"], r["period"]): r for r in per_firm.iter_rows(named=True)}

        def rate(m: str, f: str, p: str | None) -> float | None:
            return ratio(want[(f, p)], m) if (f, p) in want else None

        changes = wh.changes(RATES, ["firm", "period"], Filters(period_from=PERIODS[1], period_to=last))
        for m, frame in changes.items():
            for r in frame.iter_rows(named=True):
                f, p = r["firm_id"], r["period"]
                value, prev_q, prev_y = rate(m, f, p), rate(m, f, shift(p, -1)), rate(m, f, shift(p, -4))
                assert close(r["value"], value) and close(r["prev_quarter"], prev_q), ("change", m, r)
                assert close(r["prev_year"], prev_y), ("change", m, r)
                for change, before in (("qoq_pct", prev_q), ("yoy_pct", prev_y)):
                    relative = None if value is None or not before else (value - before) / abs(before)
                    assert close(r[change], relative), ("change", m, change, r)

        for m in ("complaints_per_100m_premium", "proxy_surrender_share"):  # the overview's movers
            for r in wh.movers(m, Filters(period=last)).iter_rows(named=True):
                value, before = rate(m, r["firm_id"], last), rate(m, r["firm_id"], PERIODS[-2])
                assert close(r["value"], value) and close(r["prev_quarter"], before), ("movers", m, r)
                assert close(r["qoq_pct"], (value - before) / abs(before)), ("movers", m, r)

        index = complaint_index(per_firm)
        for firm_type in ("财产险", "人身险"):
            groups = wh.peer_groups(RATES, firm_type, PERIODS[0], last)
            for r in groups.iter_rows(named=True):
                assert close(r["value"], rate(r["metric"], r["firm_id"], r["period"])), ("peer_groups", r)
                assert close(r["complaint_index"], index.get((r["firm_id"], r["period"]))), ("index", r)
            one = wh.peers("proxy_surrender_share", last, firm_type)
            for r in one.iter_rows(named=True):
                assert close(r["value"], rate("proxy_surrender_share", r["firm_id"], last)), ("peers", r)

        # anomalies: each listed cell's proxy-surrender share and its jump over the expected count
        cells = wh.table(["proxy_surrender_suspected", "complaints_total"], ["firm", "region"], Filters(period=last))
        counts = {(r["firm_id"], r["region_code"]): r for r in cells.iter_rows(named=True)}
        for r in wh.anomalies(Filters(period=last)).iter_rows(named=True):
            c = counts[(r["firm_id"], r["region_code"])]
            assert r["complaints"] == c["complaints_total"]
            share = c["proxy_surrender_suspected"] / c["complaints_total"] if c["complaints_total"] else None
            assert close(r["proxy_surrender_share"], share), ("anomalies", r, c)
            assert close(r["jump_pct"], r["jump"] / r["expected"] if r["expected"] else None), ("anomalies", r)


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


def test_as_of_is_read_once_and_a_members_twin_counts_only_accepted_files(wh_with_files):
    from datetime import UTC, datetime

    everyone = wh_with_files.as_of()
    everyone["version"] = "changed by a caller"
    assert wh_with_files.as_of()["version"] == wh_with_files.version   # the kept value is not the caller's
    # read by the secretariat's Warehouse first: the member's twin still answers from its accepted files (8:01;
    # the held and rejected files came at 8:02 and 8:03)
    member = wh_with_files.scoped(Scope(firm_id="A", user="a"))
    assert member.as_of()["ingested_at"] == datetime(2026, 1, 5, 8, 1, tzinfo=UTC)
    assert wh_with_files.as_of()["ingested_at"] == datetime(2026, 1, 5, 8, 3, tzinfo=UTC)


# ── member scope (issue 10): pseudonyms, withheld cells, refused firm ids, differencing; tests/query/handmade.py
# build_scope's figures, by hand ────────────────────────────────────────────────────────────────────────────────
Q1 = Filters(period="2025Q1")


@pytest.fixture(scope="module")
def scope_path(tmp_path_factory) -> Path:
    return handmade.build_scope(tmp_path_factory.mktemp("scope"))


@pytest.fixture(scope="module")
def member(scope_path) -> Warehouse:
    return Warehouse(scope_path, scope=Scope(firm_id="M", user="m"))


def others_named(frame: pl.DataFrame) -> set[str]:
    """Every text of `frame` that names a firm of the registry other than M (ids, names, short names, aliases)."""
    secret = {v for row in handmade.SCOPE_FIRMS if row[0] != "M" for v in row[:4] if v}
    texts = {str(v) for c in frame.columns for v in frame[c].to_list() if v is not None}
    return {t for t in texts if any(s in t for s in secret)}


def test_a_members_aggregates_hold_only_cells_with_five_firms_besides_its_own(member, scope_path):
    secretariat = Warehouse(scope_path)
    assert secretariat.table(["complaints_total"], [], Q1)["complaints_total"].to_list() == [7360]
    total = member.table(["complaints_total"], [], Q1)
    # its own 114 (广东 100, 深圳 5, 上海 9) + 广东's 5 peers 150 + 北京's 6 property firms 24; the peers of 深圳
    # (2 besides M), 上海 (4 besides M, 5 with it: the old count let them through) and 北京's 3 life firms are left
    # out, and the row says so
    assert total.row(0, named=True) == {"complaints_total": 288, "withheld": True}
    regions = member.table(["complaints_total"], ["region"], Q1)
    assert dict(zip(regions["region_code"], regions["complaints_total"], strict=True)) == {
        "110000": 24, "310000": None, "440000": 250, "440300": None}  # 深圳, 上海: no peer left, no total
    assert regions["withheld"].to_list() == [True, True, False, True]
    provinces = member.table(["complaints_total"], ["province"], Q1)
    # 广东省 = 广东（不含深圳） 250 + its own 深圳 5: the difference with the region is its own figure
    assert dict(zip(provinces["province_code"], provinces["complaints_total"], strict=True)) == {
        "110000": 24, "310000": None, "440000": 255}
    types = member.table(["complaints_total"], ["firm_type"], Q1)
    assert dict(zip(types["firm_type"], types["complaints_total"], strict=True)) == {"财产险": 288, "人身险": None}
    # its own firm alone: every figure of its own, no note
    assert member.table(["complaints_total"], [], Filters(period="2025Q1", firms=("M",))).row(0, named=True) == {
        "complaints_total": 114}


def member_views(wh: Warehouse) -> list[pl.DataFrame]:
    """Every shape of result a member can ask for over the scope warehouse: aggregates by every dimension under
    every firm type and region / province choice (single, all but one), per-firm rows, peers, anomalies."""
    regions = ("440000", "440300", "310000", "110000")
    out = []
    for firm_type in (None, "人身险"):  # 财产险 is every cell but the life firms': None covers it
        chosen = [(), *((r,) for r in regions), *(tuple(r for r in regions if r != x) for x in regions)]
        filters = [Filters(period="2025Q1", firm_type=firm_type, regions=c) for c in chosen]
        filters += [Filters(period="2025Q1", firm_type=firm_type, provinces=("440000",))]
        for f in filters:
            for by in ([], ["province"], ["firm_type"], ["firm", "region"]):
                out.append(wh.table(["complaints_total", "complaints_per_100m_premium", "complaint_index"], by, f))
            out.append(wh.change("complaints_total", [], f))
    for firm_type in ("财产险", "人身险"):
        out.append(wh.peers("complaints_per_100m_premium", "2025Q1", firm_type))
    out.append(wh.anomalies(Q1))
    return out


def test_differencing_two_allowed_results_never_gives_a_withheld_cell(member, scope_path, tmp_path):
    # Every withheld figure ten times larger: a member's every result is the same, so no difference, sum or other
    # combination of them can tell anything about those figures; the secretariat's results do change.
    bumped = handmade.build_scope(tmp_path / "bumped", bump=10)
    key = pseudonyms.key_path(bumped)
    key.parent.mkdir(mode=0o700)
    key.write_bytes(pseudonyms.key(scope_path))  # the same letters, to compare the frames as they are
    for seen, other in zip(member_views(member), member_views(Warehouse(bumped, scope=Scope(firm_id="M"))),
                           strict=True):
        assert_frame_equal(seen, other)
    assert Warehouse(bumped).table(["complaints_total"], [], Q1)["complaints_total"][0] != 7360
    # and by hand, every total shown: everything 288; 广东 250, 北京 24, 广东省 255 (with its own 深圳 5); without
    # 深圳 283 (288 − its own 5), without 上海 279 (− its own 9), without 广东 38 (its own 5 + 9, 北京 24), without
    # 北京 264 — each its own figures plus whole cells of 5 or more peers
    shown = {v for f in member_views(member) if "complaints_total" in f.columns and "firm_id" not in f.columns
             for v in f["complaints_total"].to_list() if v is not None}
    assert shown == {288, 250, 24, 255, 283, 279, 38, 264}


def test_a_member_sees_every_other_firm_only_as_a_stable_pseudonym(member, scope_path):
    by_firm = member.table(["complaints_total"], ["firm"], Q1)
    names = dict(zip(by_firm["firm_id"], by_firm["firm_name"], strict=True))
    assert names.pop("M") == "会员财险"
    assert set(names) == set(names.values()) and all(n.startswith("同业") for n in names)  # the id is the name
    assert sorted(names) == sorted(f"同业{c}" for c in "ABCDEFGHI")
    assert others_named(by_firm) == set()
    again = Warehouse(scope_path, scope=Scope(firm_id="M")).table(["complaints_total"], ["firm"], Q1)
    assert_frame_equal(again, by_firm)  # the same letters in another session (the key is kept in the warehouse)
    twin = Warehouse(scope_path).scoped(Scope(firm_id="M"))
    assert_frame_equal(twin.table(["complaints_total"], ["firm"], Q1), by_firm)
    # each peer's figures from the cells with 5 firms besides M only: P1 广东 10 + 北京 1, P6 北京 8, the life
    # firms nothing (each row withheld in part or whole, and saying so)
    figures = sorted(by_firm["complaints_total"].to_list(), key=lambda v: (v is None, v))
    assert figures == [8, 11, 22, 33, 44, 56, 114, None, None, None]
    assert by_firm.filter(pl.col("complaints_total").is_null())["withheld"].all()


def test_a_firm_filter_naming_another_firm_is_refused_with_one_message(member):
    pseudonym = next(f for f in member.table(["complaints_total"], ["firm"], Q1)["firm_id"] if f != "M")
    messages = set()
    for value in ("P1", "L2", "NOPE", "同业ZZ"):  # real ids of peers, an unknown id, an unknown pseudonym
        for call in (lambda f: member.table(["complaints_total"], ["firm"], f), member.anomalies,
                     member.submissions, lambda f: member.why_empty(["complaints_total"], f)):
            with pytest.raises(QueryError) as err:
                call(Filters(period="2025Q1", firms=(value,)))
            messages.add(str(err.value))
        with pytest.raises(QueryError) as err:
            member.peers("complaints_per_100m_premium", "2025Q1", "财产险", firms=(value,))
        messages.add(str(err.value))
    assert len(messages) == 1 and not any(v in m for m in messages for v in ("P1", "L2", "NOPE"))
    # a pseudonym the member is shown selects that firm's rows; a total over peers it chose is refused
    row = member.table(["complaints_total"], ["firm"], Filters(period="2025Q1", firms=(pseudonym,)))
    assert row["firm_id"].to_list() == [pseudonym]
    with pytest.raises(QueryError, match="合计只能按本公司"):
        member.table(["complaints_total"], [], Filters(period="2025Q1", firms=("M", pseudonym)))


def test_a_members_peer_spread_needs_five_firms_with_a_value_besides_its_own(member):
    p = member.peers("complaints_per_100m_premium", "2025Q1", "财产险")
    own = p.filter(pl.col("firm_id") == "M").row(0, named=True)
    # rates per 亿元 over the cells shown: M 114/3 = 38, P1 11/2, P2 22/2, P3 33/2, P4 44/2, P5 56/2, P6 8/1
    # → median P3's 16.5
    assert own["value"] == pytest.approx(38) and own["median"] == pytest.approx(16.5)
    assert own["rank"] == 7 and own["better_than_share"] == 0 and not own["suppressed"]
    assert others_named(p) == set()
    life = member.peers("complaints_per_100m_premium", "2025Q1", "人身险")  # 3 firms: nothing of the group
    assert life["suppressed"].all() and life["median"].null_count() == life.height
    assert life["rank"].null_count() == life.height and life["better_than_share"].null_count() == life.height
    index = member.table(["complaint_index"], ["firm"], Q1)
    assert index.filter(pl.col("firm_id") == "M")["complaint_index"][0] is not None  # 6 property peers
    life_ids = set(life["firm_id"])
    assert index.filter(pl.col("firm_id").is_in(list(life_ids)))["complaint_index"].null_count() == 3


def test_a_member_gets_only_its_own_files_and_registry(tmp_path):
    subs = handmade.SUBMISSIONS.with_columns(pl.col("firm_id").replace({"F1": "M", "F2": "P1", "F3": "L1"}),
                                             pl.int_range(pl.len()).alias("seq"))
    subs = pl.concat([store.load_submissions(None), subs], how="diagonal_relaxed")
    path = handmade.build_scope(tmp_path / "wh", submissions=subs)
    for sid in ("s1", "s2", "s3", "s6"):
        (path / f"files/{sid}.bin").parent.mkdir(parents=True, exist_ok=True)
        (path / f"files/{sid}.bin").write_bytes(sid.encode())
    subs_path = next(path.glob("snapshots/*/submissions.parquet"), None) or \
        (Warehouse(path).snapshot / "submissions.parquet")
    pl.read_parquet(subs_path).with_columns(
        pl.when(pl.col("submission_id").is_in(["s1", "s2", "s3", "s6"]))
        .then(pl.lit("files/") + pl.col("submission_id") + ".bin").alias("stored_file")).write_parquet(subs_path)
    member = Warehouse(path, scope=Scope(firm_id="M"))
    assert member.submissions()["submission_id"].to_list() == ["s1", "s2", "s6"]  # not P1's, not the unreadable
    assert member.original_file("s2") == ("a2.xlsx", b"s2")
    messages = set()
    for sid in ("s3", "nope"):  # another firm's file, an unknown id: the same refusal
        with pytest.raises(QueryError) as err:
            member.original_file(sid)
        messages.add(str(err.value))
    assert len(messages) == 1
    assert Warehouse(path).original_file("s3") == ("b.xlsx", b"s3")
    assert member.firms()["firm_id"].to_list() == ["M"]
    assert member.why_empty(["complaints_total"], Filters(period="2024Q4", firms=("M",)))["firms"][
        "firm_id"].to_list() == ["M"]


def test_a_members_cells_made_a_few_quarters_at_a_time_are_each_cell_once_with_its_firms(tmp_path, monkeypatch):
    """The member scope's cells (atoms), made ATOM_QUARTERS quarters per statement to bound the memory they take:
    every cell of the facts once, its count of reporting firms, and its firms listed where it has at most
    MIN_PEERS (where the member asking decides whether the cell is safe), none where it has more."""
    import query.warehouse as query_warehouse

    monkeypatch.setattr(query_warehouse, "ATOM_QUARTERS", 3)   # 8 quarters: statements of 3, 3 and 2
    wh = Warehouse(synthetic.build(tmp_path / "wh", years=2, firms=40, seed=3), scope=Scope(firm_id="S001"))
    wh.prepare_scopes()
    for dataset, keys in query_warehouse.ATOMS.items():
        measures = [c for c in SHEETS_BY_ID[dataset].schema() if c not in query_warehouse.KEYS]
        base = wh._query(f"SELECT * FROM base_{dataset}").filter(pl.any_horizontal(pl.col(measures).is_not_null()))
        expected = base.group_by(keys).agg(pl.col("firm_id").n_unique().alias("n"),
                                           pl.col("firm_id").unique().sort().alias("firms"))
        atoms = wh._query(f"SELECT * FROM atoms_{dataset}")
        assert atoms.height == expected.height == atoms.select(keys).unique().height
        both = atoms.join(expected, on=list(keys), how="full", suffix="_expected")
        assert both["n"].to_list() == both["n_expected"].to_list()
        small = both.filter(pl.col("n") <= MIN_PEERS)
        assert small.height and small.height < both.height   # both kinds of cell are there
        assert [sorted(f) for f in small["firms"]] == small["firms_expected"].to_list()
        assert both.filter(pl.col("n") > MIN_PEERS)["firms"].null_count() == both.height - small.height
