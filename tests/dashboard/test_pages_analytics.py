"""AppTests of the app shell and the four analysis pages: the numbers shown are the query layer's.

Every expected value comes from the query layer (`demo_wh`, the same warehouse the app reads) and is
formatted with the same label function the pages use; the pages themselves must not compute anything.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import polars as pl
import pytest

from dashboard.charts.labels import value_text
from query import Filters, Warehouse

PAGE_ERROR_ZH = "抱歉，本页面暂时无法显示"


# ---- helpers -------------------------------------------------------------------------------------------

def metric(wh: Warehouse, metric_id: str):
    return next(m for m in wh.metrics if m.id == metric_id)


def expected_headline(wh: Warehouse, metric_id: str, filters: Filters, lang: str = "zh") -> str:
    """What the headline of `metric_id` must read: the query layer's association value, formatted."""
    value = wh.change(metric_id, by=[], filters=filters)["value"][0]
    m = metric(wh, metric_id)
    return value_text(value, m.unit_zh if lang == "zh" else m.unit_en, lang)


def headline(at, label: str) -> str:
    (found,) = [m.value for m in at.metric if m.label == label]
    return found


def figure(at, key: str) -> dict:
    (chart,) = [c for c in at.get("plotly_chart") if c.key == key]
    return json.loads(chart.proto.spec)


def bars_of(fig: dict) -> dict[str, float]:
    (trace,) = fig["data"]
    return dict(zip(trace["y"], trace["x"], strict=True))


def no_traceback(at) -> None:
    assert not at.exception, [e.value for e in at.exception]
    assert not [e for e in at.error if PAGE_ERROR_ZH in e.value], [e.value for e in at.error]


@pytest.fixture
def latest(demo_wh) -> str:
    return demo_wh.periods()[-1]


# ---- app shell: filters, URL, language, presentation mode, errors ---------------------------------------

def test_overview_headlines_equal_the_query_layer(app_test, demo_wh, latest):
    at = app_test(params={"period": latest, "type": "财产险"})
    no_traceback(at)
    f = Filters(period=latest, firm_type="财产险")
    for metric_id in ("complaints_total", "complaints_per_100m_premium", "mediation_success_rate",
                      "outreach_reach"):
        assert headline(at, metric(demo_wh, metric_id).zh) == expected_headline(demo_wh, metric_id, f)
    assert at.title[0].value == f"总览 · {latest}"


def test_changing_a_filter_changes_the_number_and_the_url(app_test, demo_wh, latest):
    at = app_test(params={"period": latest})
    label = metric(demo_wh, "complaints_total").zh
    assert headline(at, label) == expected_headline(demo_wh, "complaints_total", Filters(period=latest))
    at.selectbox(key="_w_type").set_value("人身险").run()
    life = expected_headline(demo_wh, "complaints_total", Filters(period=latest, firm_type="人身险"))
    assert headline(at, label) == life
    assert life != expected_headline(demo_wh, "complaints_total", Filters(period=latest))
    assert at.query_params["type"] == "人身险" and at.query_params["period"] == latest

    earlier = demo_wh.periods()[-2]
    at.selectbox(key="_w_period").set_value(earlier).run()
    assert headline(at, label) == expected_headline(demo_wh, "complaints_total",
                                                    Filters(period=earlier, firm_type="人身险"))
    assert at.query_params["period"] == earlier


def test_filters_survive_a_page_switch(app_test, demo_wh, latest):
    firm = demo_wh.firms()["firm_id"][0]
    at = app_test("mediation.py", params={"period": latest, "firm": firm})
    assert at.multiselect(key="_w_firms").value == [firm]
    assert at.query_params["firm"] == firm
    f = Filters(period=latest, firms=(firm,))
    assert headline(at, metric(demo_wh, "mediation_success_rate").zh) == \
        expected_headline(demo_wh, "mediation_success_rate", f)


def test_english_switch_translates_labels_and_keeps_numbers(app_test, demo_wh, latest):
    at = app_test(params={"period": latest})
    at.radio(key="_w_lang").set_value("en").run()
    no_traceback(at)
    assert at.title[0].value == f"Overview · {latest}"
    m = metric(demo_wh, "complaints_per_100m_premium")
    assert headline(at, m.en) == expected_headline(demo_wh, m.id, Filters(period=latest), "en")
    assert at.query_params["lang"] == "en"


def test_bad_url_parameters_give_a_warning_and_a_sane_default(app_test, demo_wh, latest):
    at = app_test(params={"period": "2099Q9", "type": "寿险", "firm": "NO_SUCH_FIRM"})
    no_traceback(at)
    warnings = [w.value for w in at.warning]
    assert f"链接参数 period=2099Q9 无效，已改用 {latest}。" in warnings
    assert "链接参数 type=寿险 无效，已改用 全部类型。" in warnings
    assert "链接参数 firm 中的 NO_SUCH_FIRM 无法识别，已忽略。" in warnings
    assert headline(at, metric(demo_wh, "complaints_total").zh) == \
        expected_headline(demo_wh, "complaints_total", Filters(period=latest))
    assert at.query_params["period"] == latest and "type" not in at.query_params


def test_presentation_mode_hides_the_chrome_and_can_be_left(app_test, latest):
    at = app_test(params={"period": latest, "present": "1"})
    no_traceback(at)
    assert any("stSidebar" in h.proto.body for h in at.get("html"))
    (leave,) = [b for b in at.button if b.label == "退出演示模式"]
    leave.click().run()
    assert not any("stSidebar" in h.proto.body for h in at.get("html"))
    assert "present" not in at.query_params


def test_an_empty_warehouse_is_explained_on_every_page(app_test, tmp_path):
    for page in ("overview.py", "complaints.py", "mediation.py", "outreach.py"):
        at = app_test(page, warehouse=tmp_path / "nothing-yet")
        no_traceback(at)
        assert any("还没有数据" in i.value for i in at.info), page


def test_an_empty_filter_result_is_explained(app_test, demo_wh, latest):
    # A firm together with a region it has no figures for: nothing matches.
    cells = demo_wh.table(metrics=["complaints_total"], by=["firm", "region"], filters=Filters(period=latest))
    firm = cells["firm_id"][0]
    reported = set(cells.filter(pl.col("firm_id") == firm)["region_code"].to_list())
    region = next(r for r in demo_wh.regions()["region_code"].to_list() if r not in reported)
    at = app_test("complaints.py", params={"period": latest, "firm": firm, "region": region})
    no_traceback(at)
    assert any(i.value == "按当前筛选没有数据。" for i in at.info)
    # … and names what emptied it: that firm in that region (each alone has figures).
    texts = "\n".join(x.value for x in at.text)
    assert "去掉筛选条件“公司：" in texts and "”或“地区：" in texts


def test_an_unexpected_error_becomes_a_friendly_message(app_test, latest, monkeypatch, caplog):
    def broken(wh, period=None):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr("dashboard.data.anomalies", broken)   # the overview's last section fails
    at = app_test(params={"period": latest})
    assert not at.exception
    assert any(PAGE_ERROR_ZH in e.value for e in at.error)
    assert not any("disk on fire" in e.value for e in at.error)     # no trace on screen …
    assert "disk on fire" in caplog.text                              # … it is in the log


def test_a_new_snapshot_shows_without_a_restart(app_test, tmp_path, latest):
    from fixtures import synthetic

    warehouse, other = tmp_path / "wh", tmp_path / "other"
    synthetic.build(warehouse, years=2, firms=12, seed=0)
    synthetic.build(other, years=2, firms=12, seed=1)
    at = app_test(warehouse=warehouse, params={"period": latest})
    label = metric(Warehouse(warehouse), "complaints_total").zh
    before = headline(at, label)

    # What an ingest does: a complete new snapshot next to the old one, then `current` swapped.
    snapshots = warehouse / "snapshots"
    new = snapshots / "999999"
    shutil.copytree(Path(other / "current").resolve(), new)
    (warehouse / "current").unlink()
    (warehouse / "current").symlink_to(Path("snapshots") / new.name)
    at.run()
    after = expected_headline(Warehouse(warehouse), "complaints_total", Filters(period=latest))
    assert headline(at, label) == after != before


# ---- the four analysis pages ---------------------------------------------------------------------------

def test_complaints_page_rates_by_region_and_ranking(app_test, demo_wh, latest):
    at = app_test("complaints.py", params={"period": latest, "type": "财产险"})
    no_traceback(at)
    rate = "complaints_per_100m_premium"
    by_region = demo_wh.table(metrics=[rate], by=["region"], filters=Filters(period=latest, firm_type="财产险"))
    assert bars_of(figure(at, "complaints_regions")) == pytest.approx(
        {r["region_name"]: r[rate] for r in by_region.iter_rows(named=True) if r[rate] is not None})
    peers = demo_wh.peers(rate, latest, "财产险")
    assert bars_of(figure(at, "complaints_peers_财产险")) == pytest.approx(
        {r["firm_name"]: r["value"] for r in peers.iter_rows(named=True) if r["value"] is not None})

    other = "complaints_per_10k_policies"
    at.segmented_control(key="complaints_rate").set_value(other).run()
    by_region = demo_wh.table(metrics=[other], by=["region"], filters=Filters(period=latest, firm_type="财产险"))
    assert bars_of(figure(at, "complaints_regions")) == pytest.approx(
        {r["region_name"]: r[other] for r in by_region.iter_rows(named=True) if r[other] is not None})


def test_mediation_page_says_success_divides_by_concluded_and_shows_query_values(app_test, demo_wh, latest):
    at = app_test("mediation.py", params={"period": latest})
    no_traceback(at)
    assert any("调解结案件数" in i.value for i in at.info)
    f = Filters(period=latest)
    for metric_id in ("mediation_participation_rate", "mediation_success_rate", "mediation_fulfilment_rate"):
        assert headline(at, metric(demo_wh, metric_id).zh) == expected_headline(demo_wh, metric_id, f)
    by_firm = demo_wh.table(metrics=["mediation_success_rate"], by=["firm"], filters=f)
    assert bars_of(figure(at, "mediation_firm")) == pytest.approx(
        {r["firm_name"]: r["mediation_success_rate"] for r in by_firm.iter_rows(named=True)
         if r["mediation_success_rate"] is not None})


def test_outreach_page_reach_per_resident_by_region(app_test, demo_wh, latest):
    at = app_test("outreach.py", params={"period": latest})
    no_traceback(at)
    f = Filters(period=latest)
    assert headline(at, metric(demo_wh, "outreach_reach").zh) == expected_headline(demo_wh, "outreach_reach", f)
    per_10k = demo_wh.table(metrics=["reach_per_10k_residents"], by=["region"], filters=f)
    assert bars_of(figure(at, "outreach_per_10k_region")) == pytest.approx(
        {r["region_name"]: r["reach_per_10k_residents"] for r in per_10k.iter_rows(named=True)
         if r["reach_per_10k_residents"] is not None})


def test_range_mode_aggregates_the_range_on_by_firm_tables(app_test, demo_wh):
    periods = demo_wh.periods()
    start, end = periods[-4], periods[-1]
    at = app_test("mediation.py", params={"from": start, "to": end})
    no_traceback(at)
    assert at.title[0].value == f"纠纷调解 · {start} – {end}"
    f = Filters(period_from=start, period_to=end)
    by_firm = demo_wh.table(metrics=["mediation_success_rate"], by=["firm"], filters=f)
    assert bars_of(figure(at, "mediation_firm")) == pytest.approx(
        {r["firm_name"]: r["mediation_success_rate"] for r in by_firm.iter_rows(named=True)
         if r["mediation_success_rate"] is not None})


@pytest.mark.parametrize("params", [{"present": "1"}, {"lang": "en", "type": "人身险"}])
def test_every_analysis_page_renders_in_presentation_mode_and_english(app_test, latest, params):
    for page, title in (("overview.py", ("总览", "Overview")), ("complaints.py", ("投诉分析", "Complaints")),
                        ("mediation.py", ("纠纷调解", "Mediation")), ("outreach.py", ("宣教覆盖", "Outreach"))):
        at = app_test(page, params={"period": latest, **params})
        no_traceback(at)
        assert at.title[0].value == f"{title[1] if 'lang' in params else title[0]} · {latest}"


def test_outreach_county_coverage_median_and_max_shown_once_as_the_query_layer_gives_them(app_test, demo_wh,
                                                                                           latest):
    at = app_test("outreach.py", params={"period": latest})
    stats = ("county_coverage_median", "county_coverage_max")
    headers = [f"{metric(demo_wh, m).zh}（%）" for m in stats]
    tables = [d.value for d in at.dataframe if headers[0] in d.value.columns]
    assert len(tables) == 1                                    # once: no second copy drawn by Streamlit magic
    expected = demo_wh.table(metrics=list(stats), by=["region"], filters=Filters(period=latest))
    shown = tables[0]
    assert list(shown["地区"]) == expected["region_name"].to_list()
    for header, m in zip(headers, stats, strict=True):
        assert list(shown[header]) == [value_text(v, "%") for v in expected[m].to_list()]


@pytest.fixture(scope="module")
def many_firms(tmp_path_factory) -> Path:
    """An association of 80 members (40 of each type): more firms than a by-firm chart draws."""
    from fixtures import synthetic

    return synthetic.build(tmp_path_factory.mktemp("many"), years=1, firms=80, seed=3)


def test_by_firm_charts_keep_to_what_a_projector_can_show(app_test, many_firms):
    from dashboard import ui

    wh = Warehouse(many_firms)
    latest = wh.periods()[-1]
    f = Filters(period=latest, firm_type="财产险")
    at = app_test("complaints.py", params={"period": latest, "type": "财产险"}, warehouse=many_firms)
    no_traceback(at)
    # The ranking chart: the 15 highest rates, a row saying how many are left out, the 15 lowest.
    peers = wh.peers("complaints_per_100m_premium", latest, "财产险").drop_nulls("value").sort("value",
                                                                                             descending=True)
    (trace,) = figure(at, "complaints_peers_财产险")["data"]
    names = peers["firm_name"].to_list()
    assert trace["y"] == [*names[:15], f"⋯ 中间 {len(names) - ui.FIRM_BARS} 项未显示 ⋯", *names[-15:]]
    assert trace["x"][:15] == pytest.approx(peers["value"].head(15).to_list())
    # The cause mix: the 20 firms with most complaints, and the page says so.
    by_firm = wh.table(["complaints_total"], ["firm"], f).sort("complaints_total", descending=True)
    causes = figure(at, "complaints_causes")["data"]
    assert causes[0]["y"] == by_firm["firm_name"].head(ui.FIRM_MIX).to_list()
    assert any(f"显示投诉总量最多的 {ui.FIRM_MIX} 家公司" in c.value for c in at.caption)

    at = app_test("outreach.py", params={"period": latest, "type": "财产险"}, warehouse=many_firms)
    no_traceback(at)
    reach = wh.table(["reach_offline"], ["firm"], f).sort("reach_offline", descending=True)
    assert figure(at, "outreach_groups")["data"][0]["y"] == reach["firm_name"].head(ui.FIRM_MIX).to_list()
