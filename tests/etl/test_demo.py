"""`xiaobao demo`: deterministic, realistic, internally consistent, with the planted scenarios."""

from __future__ import annotations

import random
from collections import Counter
from decimal import Decimal
from pathlib import Path

import polars as pl
import pytest
from opencc import OpenCC
from typer.testing import CliRunner

from core.contract import PRODUCT_LINES, SHEETS
from core.quarters import span as quarters
from core.text import clean
from fixtures import demo as demo_module
from fixtures import messy
from fixtures.demo import ERROR_RULES, _cumulate, generate
from xiaobao.cli import app


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    return generate(tmp_path_factory.mktemp("demo"), firms=30, period_from="2024Q1", period_to="2025Q3")


def _tree(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_quarters():
    assert quarters("2024Q3", "2025Q2") == ["2024Q3", "2024Q4", "2025Q1", "2025Q2"]
    with pytest.raises(ValueError):
        quarters("2025Q3", "2025Q1")
    with pytest.raises(ValueError):
        quarters("2025-3", "2025Q4")


def test_same_seed_same_bytes_other_seed_other_bytes(tmp_path):
    kwargs = {"firms": 6, "period_from": "2024Q4", "period_to": "2025Q3", "messy_share": 0.6}
    a = generate(tmp_path / "a", seed=7, **kwargs)
    b = generate(tmp_path / "b", seed=7, **kwargs)
    c = generate(tmp_path / "c", seed=8, **kwargs)
    tree_a = _tree(tmp_path / "a")
    assert len(tree_a) > 30
    assert tree_a == _tree(tmp_path / "b")
    assert tree_a != _tree(tmp_path / "c")
    assert [p.name for p in a.files] == [p.name for p in b.files]
    for dataset, frame in a.truth.items():
        assert frame.equals(b.truth[dataset])
    assert c.expected != a.expected or not c.truth["complaints"].equals(a.truth["complaints"])


def test_rerun_replaces_its_own_output_but_refuses_a_foreign_folder(tmp_path):
    first = generate(tmp_path / "d", firms=3, period_from="2025Q3", period_to="2025Q3")
    again = generate(tmp_path / "d", firms=3, period_from="2025Q2", period_to="2025Q3")
    assert all(p.exists() for p in again.files)
    assert not any(p.exists() for p in first.files if p not in again.files)
    foreign = tmp_path / "other" / "submissions"
    foreign.mkdir(parents=True)
    (foreign / "mine.xlsx").write_bytes(b"x")
    with pytest.raises(FileExistsError):
        generate(tmp_path / "other", firms=3, period_from="2025Q3", period_to="2025Q3")
    assert (foreign / "mine.xlsx").read_bytes() == b"x"


def test_registry_fictional_firms_half_property_half_life(demo):
    firms = pl.read_csv(demo.registry_path, infer_schema_length=0)
    assert firms.columns == ["firm_id", "name", "short_name", "aliases", "firm_type"]
    assert firms.height == 30 and firms["firm_id"].n_unique() == 30
    for column in ("name", "short_name", "aliases"):
        assert firms[column].str.starts_with("示例").all(), column
    assert Counter(firms["firm_type"]) == {"财产险": 15, "人身险": 15}
    names = firms["name"].to_list() + firms["short_name"].to_list() + firms["aliases"].to_list()
    assert len(set(names)) == 90


def test_every_possible_firm_name_survives_traditional_and_back():
    s2t = OpenCC("s2t")
    for a in demo_module._FIRST:
        for b in demo_module._SECOND:
            for name in (f"示例{a}{b}财产保险股份有限公司", f"示例{a}{b}人寿保险股份有限公司", f"示例{a}{b}财险"):
                assert clean(s2t.convert(name)) == clean(name), name


def test_sizes_span_two_orders_of_magnitude(demo):
    per_firm = demo.truth["complaints"].group_by("firm_id", "period").agg(pl.col("premium_wan").sum())
    mean = per_firm.group_by("firm_id").agg(pl.col("premium_wan").mean())["premium_wan"]
    assert mean.max() / mean.min() >= 100


def test_big_firms_everywhere_small_ones_in_a_few_provinces(demo):
    c = demo.truth["complaints"].filter(pl.col("period") == "2025Q3")
    size = c.group_by("firm_id").agg(pl.col("premium_wan").sum(), pl.col("region_code").n_unique().alias("n"))
    biggest, smallest = size.sort("premium_wan")[-1], size.sort("premium_wan")[0]
    assert biggest["n"][0] >= 30
    assert smallest["n"][0] <= 6


def test_truth_satisfies_every_contract_rule(demo):
    for sheet in SHEETS:
        frame = demo.truth[sheet.id]
        assert frame.height > 0
        for rule in sheet.rules:
            left = pl.sum_horizontal(*rule.left)
            right = pl.sum_horizontal(*rule.right)
            ok = (left == right) if rule.op == "==" else (left <= right)
            assert frame.filter(~ok).height == 0, rule.id
        measures = [c.id for c in sheet.measures]
        assert frame.select(pl.min_horizontal(*measures).min()).item() >= 0
        assert frame.select(pl.len()).item() == frame.unique(["period", "firm_id", *sheet.key]).height


def test_truth_dtypes_as_warehouse(demo):
    c = demo.truth["complaints"]
    assert c.columns[:3] == ["period", "firm_id", "region_code"]
    assert c.schema["premium_wan"] == pl.Float64 and c.schema["complaints_total"] == pl.Int64
    assert demo.truth["complaints_by_line"].columns == ["period", "firm_id", "region_code", "product_line",
                                                        "complaints"]
    assert demo.truth["mediation"].schema["mediation_amount_wan"] == pl.Float64
    # money in 0.25 万元 steps: exact in binary, so sums and 年累计 differences are exact
    money = pl.concat([c["premium_wan"], demo.truth["mediation"]["mediation_amount_wan"]])
    assert ((money * 4).round(0) == money * 4).all()


def test_by_line_adds_up_to_complaints_per_region(demo):
    lines = demo.truth["complaints_by_line"].group_by("period", "firm_id", "region_code").agg(
        pl.col("complaints").sum().alias("by_line"))
    joined = demo.truth["complaints"].join(lines, on=["period", "firm_id", "region_code"], how="left")
    assert joined.filter(pl.col("by_line").fill_null(0) != pl.col("complaints_total")).height == 0
    firms = pl.read_csv(demo.registry_path).select("firm_id", "firm_type")
    typed = demo.truth["complaints_by_line"].join(firms, on="firm_id")
    for firm_type, allowed in PRODUCT_LINES.items():
        assert typed.filter(pl.col("firm_type") == firm_type)["product_line"].is_in(allowed).all()


def test_complaints_per_100m_premium_realistic(demo):
    c = demo.truth["complaints"].group_by("firm_id", "period").agg(pl.col("complaints_total", "premium_wan").sum())
    rate = c["complaints_total"] / (c["premium_wan"] / 10_000)
    assert 4 <= rate.median() <= 20
    assert rate.quantile(0.05) >= 1 and rate.quantile(0.95) <= 40


def test_life_premium_peaks_in_q1_and_outreach_in_march(demo):
    firms = pl.read_csv(demo.registry_path).select("firm_id", "firm_type")
    life = demo.truth["complaints"].join(firms, on="firm_id").filter(pl.col("firm_type") == "人身险")
    by_period = dict(life.group_by("period").agg(pl.col("premium_wan").sum()).iter_rows())
    assert by_period["2025Q1"] > 1.5 * by_period["2025Q3"]
    events = dict(demo.truth["outreach"].group_by("period").agg(pl.col("events").sum()).iter_rows())
    assert events["2025Q1"] > events["2025Q2"]


def test_stock_columns_never_shrink(demo):
    o = demo.truth["outreach"].sort("period")
    change = o.with_columns(
        pl.col(c).diff().over("firm_id", "region_code").alias(c) for c in ("outlets", "outlets_age_friendly"))
    assert change.filter((pl.col("outlets") < 0) | (pl.col("outlets_age_friendly") < 0)).height == 0


def test_proxy_surrender_spikes_stand_out(demo):
    assert demo.spikes
    c = demo.truth["complaints"]
    for firm_id, region, period in demo.spikes:
        history = c.filter((pl.col("firm_id") == firm_id) & (pl.col("region_code") == region)).sort("period")
        spiked = {p for f, r, p in demo.spikes if (f, r) == (firm_id, region)}
        before = history.filter(~pl.col("period").is_in(spiked))["complaints_total"]
        now = history.filter(pl.col("period") == period)
        if now.height:  # the quarter may belong to a rejected, uncorrected file
            assert now["complaints_total"][0] >= 3 * before.median()
            assert now["complaints_total"][0] - before.median() >= 20
            assert now["proxy_surrender_suspected"][0] >= 20


def test_messiness_share_about_a_fifth_and_mixed(demo):
    messy_files = {name: t for name, t in demo.messy.items() if t}
    assert abs(len(messy_files) / len(demo.expected) - 0.2) <= 0.02
    assert all(2 <= len(t) <= 4 for t in messy_files.values())
    used = Counter(t for ts in messy_files.values() for t in ts)
    assert set(used) == set(messy.TRANSFORMS)  # every kind of mess appears in a demo this size
    assert not set(messy_files) & set(demo.errors)  # planted errors sit in otherwise clean files
    suffixes = Counter(Path(p).suffix for p in demo.files)
    assert suffixes[".zip"] >= 1 and suffixes[""] >= 1 and suffixes[".xlsx"] > 0.7 * len(demo.files)


def test_planted_scenarios_and_expected_statuses(demo):
    m = demo.manifest
    assert sorted(demo.errors.values()) == sorted(ERROR_RULES)
    assert set(demo.expected) == set(m["file_name"]) and len(demo.files) == m.height
    statuses = Counter(demo.expected.values())
    assert statuses["rejected"] == 5 and statuses["held"] == 1 and statuses["superseded"] >= 1
    # three rejected files are corrected by a 版本 2 that is accepted; two stay missing
    rejected = m.filter(pl.col("status") == "rejected").select("firm_id", "period")
    v2 = m.filter(pl.col("version") == 2).join(rejected, on=["firm_id", "period"])
    assert v2.height == 3 and (v2["status"] == "accepted").all()
    # every superseded version 1 has an accepted version 2
    superseded = m.filter(pl.col("status") == "superseded").select("firm_id", "period")
    assert m.filter(pl.col("version") == 2).join(superseded, on=["firm_id", "period"]).height == superseded.height
    # the held file is 年累计 and its firm sent nothing for the missing quarter
    held = m.filter(pl.col("status") == "held").row(0, named=True)
    assert held["basis"] == "年累计" and held["missing_period"] == "2025Q2" and held["period"] == "2025Q3"
    assert m.filter((pl.col("firm_id") == held["firm_id"]) & (pl.col("period") == "2025Q2")).height == 0
    # some firm-years are 年累计 from Q1 on
    ytd = m.filter((pl.col("basis") == "年累计") & (pl.col("status") == "accepted"))
    assert ytd.height >= 7 and "2024Q1" in ytd["period"].to_list()
    # truth holds exactly the accepted files' firm-periods
    accepted = m.filter(pl.col("status") == "accepted").select("firm_id", "period").unique().sort("firm_id", "period")
    held_keys = m.filter(pl.col("status") != "accepted").select("firm_id", "period").unique()
    truth_keys = demo.truth["complaints"].select("firm_id", "period").unique().sort("firm_id", "period")
    assert truth_keys.equals(accepted)
    assert truth_keys.join(held_keys.join(accepted, on=["firm_id", "period"], how="anti"),
                           on=["firm_id", "period"]).height == 0


def test_cumulate_sums_flows_and_keeps_stocks():
    def q(premium: str, complaints: int, outlets: int) -> dict:
        figs = {s.id: [] for s in SHEETS}
        row = {c.id: 1 for c in SHEETS[0].measures}
        figs["complaints"] = [{**row, "region_code": "110000", "premium_wan": Decimal(premium),
                               "complaints_total": complaints}]
        orow = {c.id: 2 for c in SHEETS[3].measures}
        figs["outreach"] = [{**orow, "region_code": "110000", "outlets": outlets, "events": complaints}]
        return figs

    ytd = _cumulate([q("10.25", 3, 5), q("0.5", 4, 6), q("100", 0, 6)])
    assert ytd["complaints"][0]["premium_wan"] == Decimal("110.75")
    assert ytd["complaints"][0]["complaints_total"] == 7
    assert ytd["complaints"][0]["policies"] == 3
    assert ytd["outreach"][0]["outlets"] == 6  # stock: the last quarter's value
    assert ytd["outreach"][0]["events"] == 7


def test_number_spellings_are_exact():
    assert messy.wan_spelling(12000) == "1.2万"
    assert messy.wan_spelling(120000) == "12万"
    assert messy.wan_spelling(12345) is None and messy.wan_spelling(9900) is None
    rng = random.Random(1)
    spellings = {messy.spell_number(1234, rng) for _ in range(200)}
    assert spellings == {" 1234 ", "1234 ", "1,234", "１２３４"}
    assert {messy.spell_number(0, rng) for _ in range(200)} == {"-", "—", "/", "无", "0"}
    assert {messy.spell_number(Decimal("1234.25"), rng) for _ in range(200)} == {" 1234.25 ", "1234.25 ",
                                                                              "1,234.25"}


def _book() -> messy.Book:
    table = messy.Table("complaints", "投诉", ["region_code", "premium_wan", "complaints_total"],
                        ["地区", "原保险保费收入(万元)", "投诉总量"],
                        [["北京市", Decimal("1234.25"), 5], ["广东省", Decimal("100.5"), 7]])
    mediation = messy.Table("mediation", "调解", ["region_code", "mediation_amount_wan"], ["地区", "涉案金额(万元)"],
                            [["北京市", Decimal(3)], ["广东省", None]])
    return messy.Book("封面", [["公司名称", "示例安泰财险"], ["报送期间", "2025Q3"]], [table, mediation])


def test_total_row_and_money_in_yuan():
    book = _book()
    messy.add_total_row(book, random.Random(0))
    assert book.tables[0].total[1:] == [Decimal("1334.75"), 12]
    assert book.tables[1].total[1:] == [Decimal(3)]
    rng = random.Random(0)
    while True:  # until the coin gives 元 (亿元 only where exact)
        b = _book()
        messy.money_in_yuan_or_yi(b, rng)
        if b.tables[0].headers[1].endswith(("(元)", "（元）")):
            break
    assert b.tables[0].rows[0][1] == 12342500 and b.tables[0].rows[1][1] == 1005000
    assert b.tables[1].rows[1][1] is None  # blank stays blank


def test_traditional_and_english_headers():
    book = _book()
    messy.traditional(book, random.Random(0))
    assert book.tables[0].name == "投訴" and book.tables[0].headers[2] == "投訴總量"
    assert book.tables[0].rows[1][0] == "廣東省" and book.cover[0] == ["公司名稱", "示例安泰財險"]
    book = _book()
    messy.english_headers(book, random.Random(0))
    assert book.tables[0].headers == ["region_code", "premium_wan", "complaints_total"]


def test_cli_demo_prints_summary(tmp_path):
    result = CliRunner().invoke(app, ["demo", str(tmp_path / "d"), "--firms", "4", "--from", "2025Q2",
                                      "--to", "2025Q3", "--seed", "3"], terminal_width=200)
    assert result.exit_code == 0, result.output
    assert "示例数据已写入" in result.output and "xiaobao ingest" in result.output
    assert (tmp_path / "d" / "firms.csv").exists()
    assert len(list((tmp_path / "d" / "submissions").iterdir())) == 2  # one folder per period
    bad = CliRunner().invoke(app, ["demo", str(tmp_path / "e"), "--from", "2025Q3", "--to", "2025Q1"])
    assert bad.exit_code == 2
