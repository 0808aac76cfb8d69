"""Page building blocks (dashboard/ui.py) as the pages render them: headline tiles with their 环比/同比, by-firm charts
that keep to what a projector can show."""

from __future__ import annotations

import pytest

from dashboard.charts.labels import value_text
from query import Filters, Warehouse
from tests.dashboard.apptest import (
    figure,
    metric,
    no_traceback,
)


def rate_change(absolute: float, relative: float, unit: str, lang: str) -> str:
    """A rate per base's change, spelt out by hand: +0.52 件/亿元（+7.2%） / -2 per 100m yuan (-21.8%)."""
    a = ("+" if absolute > 0 else "") + value_text(absolute, unit, lang)
    r = f"{relative * 100:+.1f}%"
    return f"{a}（{r}）" if lang == "zh" else f"{a} ({r})"


def test_headline_changes_read_shares_in_points_and_rates_absolute_and_relative(app_test, demo_wh, latest):
    """适老化网点占比 rising from 45.0% to 56.1% reads 同比 +11.1 百分点, not +24.7%; 亿元保费投诉量 reads
    +0.52 件/亿元（+7.2%）; totals read relative (+5.2%) — in both languages."""
    f = Filters(period=latest)
    for lang in ("zh", "en"):
        at = app_test(params={"period": latest, **({"lang": "en"} if lang == "en" else {})})
        no_traceback(at)
        tiles = {m.label: m for m in at.metric}
        for metric_id in ("age_friendly_outlet_share", "on_time_resolution_rate", "complaints_per_100m_premium",
                          "complaints_total"):
            m, row = metric(demo_wh, metric_id), demo_wh.change(metric_id, by=[], filters=f).row(0, named=True)
            tile = tiles[m.zh if lang == "zh" else m.en]
            unit = m.unit_zh if lang == "zh" else m.unit_en
            if m.percent:
                want = {k: f"{row[f'{k}_abs'] * 100:+.1f} {'百分点' if lang == 'zh' else 'pp'}" for k in ("qoq", "yoy")}
            elif m.kind == "rate":
                want = {k: rate_change(row[f"{k}_abs"], row[f"{k}_pct"], unit, lang) for k in ("qoq", "yoy")}
            else:
                want = {k: f"{row[f'{k}_pct'] * 100:+.1f}%" for k in ("qoq", "yoy")}
            assert tile.delta == want["qoq"], (metric_id, lang)
            assert tile.proto.delta_description.endswith(" " + want["yoy"]), (metric_id, lang)
            assert "%" not in tile.delta or not m.percent, (metric_id, lang)


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
