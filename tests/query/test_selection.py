"""The query layer selects what pages used to filter themselves: anomalies, submissions, the registry and peer rows
kept to the filters and the scope, with the figures still computed over everything they need."""

from __future__ import annotations

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from etl import store
from fixtures import synthetic
from query import Filters, Scope, Warehouse
from query.catalog import MAP_RATES, MAP_RAW, SPEC, by_id, view
from tests.query import handmade


@pytest.fixture(scope="module")
def wh(tmp_path_factory) -> Warehouse:
    return Warehouse(handmade.build(tmp_path_factory.mktemp("wh")))


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


def test_metrics_toml_names_only_metrics_the_catalogue_defines():
    ids = set(by_id())
    for page, sections in SPEC["views"].items():
        for section in sections:
            assert set(view(page)[section]) <= ids, (page, section)
    assert set(MAP_RATES) <= ids and {m for m in MAP_RAW.values() if m} <= ids
    assert MAP_RAW["key_group_share"] is None and MAP_RAW["complaints_per_100m_premium"] == "complaints_total"
    for rate, raw in MAP_RAW.items():  # the raw figure is the rate's own numerator: it appears in its SQL
        if raw:
            assert raw in by_id()[rate].sql, (rate, raw)
    with pytest.raises(KeyError, match="views.nowhere"):
        view("nowhere")
