"""The app shell (dashboard/app.py) in AppTest: shared filters and the URL, page switches, language, presentation mode,
ranges, empty warehouses and filters, friendly errors, a new snapshot without a restart. Expected values are the
query layer's."""

from __future__ import annotations

import shutil
from pathlib import Path

import polars as pl
import pytest

from dashboard import app as dashboard_app
from query import Filters, Warehouse
from tests.dashboard.apptest import (
    PAGE_ERROR_ZH,
    bars_of,
    expected_headline,
    figure,
    headline,
    metric,
    no_traceback,
)


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
    warnings = [w.value.replace("\\", "") for w in at.warning]   # shown escaped: plain text, never markdown
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
    # (the by-region section: the firm ranking is nationwide, region filters do not apply to it)
    at = app_test("complaints.py", params={"period": latest, "firm": firm, "region": region, "section": "regions"})
    no_traceback(at)
    assert any(i.value == "按当前筛选没有数据。" for i in at.info)
    # … and names what emptied it: that firm in that region (each alone has figures).
    texts = "\n".join(x.value for x in at.text)
    assert "去掉筛选条件“公司：" in texts and "”或“地区：" in texts


def test_an_unexpected_error_becomes_a_friendly_message(app_test, latest, monkeypatch, caplog):
    def broken(wh, period=None):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr("dashboard.data.anomalies", broken)   # the overview's last section fails
    at = app_test(params={"period": latest, "section": "anomalies"})
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


def test_an_unknown_page_path_is_named_and_a_known_one_is_not():
    known = dashboard_app.known_paths()
    assert {"", "home", "overview", "complaints", "submissions"} <= known
    assert dashboard_app.unknown_page(None, known) is None
    assert dashboard_app.unknown_page("", known) is None
    assert dashboard_app.unknown_page("peers", known) is None
    assert dashboard_app.unknown_page("nosuchpage", known) == "nosuchpage"


def test_a_link_value_is_shown_as_plain_text_and_cut(app_test):
    at = app_test(params={"firm": "**bold** [x](http://e.vil) " + "y" * 80})
    assert not at.exception
    (warning,) = [w.value for w in at.warning if "firm" in w.value]
    assert "**bold**" not in warning and "[x](" not in warning   # escaped: read literally
    assert "y" * 40 not in warning


def test_a_firm_not_of_the_chosen_type_is_reported_in_the_link_and_in_the_sidebar(app_test, demo_warehouse):
    firms = Warehouse(demo_warehouse).firms()
    life = firms.filter(pl.col("firm_type") == "人身险").row(0, named=True)
    at = app_test(params={"type": "财产险", "firm": life["firm_id"]})
    assert [w.value for w in at.warning if life["firm_id"] in w.value.replace("\\", "")]
    # chosen in the sidebar, then the firm type changed: taken out, and said so
    at = app_test()
    at.multiselect(key="_w_firms").set_value([life["firm_id"]]).run()
    at.selectbox(key="_w_type").set_value("财产险").run()
    assert not at.exception
    said = [w.value.replace("\\", "") for w in at.warning]
    assert any(life["short_name"] in w and "财产险" in w for w in said), said
    assert at.multiselect(key="_w_firms").value == []


# ── the login gate and navigation by role ──────────────────────────────────────────────────────────────────────
def test_nobody_logged_in_sees_only_the_login_link_and_the_warehouse_is_never_opened(app_test, monkeypatch):
    from dashboard import data

    opened = []
    monkeypatch.setattr(data, "warehouse", lambda *a, **k: opened.append(a) or (_ for _ in ()).throw(AssertionError))
    at = app_test(user=None, params={"period": "2025Q3"})
    assert not at.exception and opened == []
    assert [e.value for e in at.info] == ["请先登录。登录后即可查看分析看板。"]
    (link,) = [h for h in at.get("html") if "href" in h.proto.body]
    assert 'href="/xb/login"' in link.proto.body and "前往登录页" in link.proto.body
    assert not at.metric and not at.get("plotly_chart") and not at.dataframe and not at.sidebar.selectbox
    english = app_test(user=None, params={"lang": "en"})
    body = next(h.proto.body for h in english.get("html") if "href" in h.proto.body)
    assert "Go to the login page" in body and "lang=en" in body


@pytest.mark.parametrize(("role", "sees_audit"), [("secretariat", True), ("analyst", False), ("member", False)])
def test_the_audit_page_is_offered_to_the_secretariat_only(app_test, role, sees_audit, demo_wh):
    from auth.model import User

    user = User(username=f"t-{role}", role=role, firm_id=demo_wh.firms()["firm_id"][0] if role == "member" else None)
    at = app_test(user=user)
    no_traceback(at)
    assert any("t-" + role in c.value for c in at.sidebar.caption)
    assert ("audit" in dashboard_app.known_paths(user)) is sees_audit
    logout = [h.proto.body for h in at.sidebar.get("html") if "/xb/logout" in h.proto.body]
    assert logout and "退出登录" in logout[0]
    if sees_audit:
        at.switch_page("views/audit.py").run()
        assert "审计日志" in [t.value for t in at.title]
    else:   # not in this user's navigation at all
        with pytest.raises(ValueError, match="Could not find a navigation page"):
            at.switch_page("views/audit.py")


def test_the_audit_page_lists_logins_and_exports_newest_first(app_test, demo_warehouse, monkeypatch):
    from core import audit, clock

    now = clock.now().isoformat(timespec="seconds")
    audit.append(demo_warehouse, {"at": now, "who": "zhang\x1b[31m", "role": "analyst", "what": "login",
                                  "client": "10.0.0.1"})
    audit.append(demo_warehouse, {"at": now, "who": "li", "role": "analyst", "what": "table", "rows": 7,
                                  "format": "csv"})
    at = app_test("audit.py")
    no_traceback(at)
    frame = pl.from_pandas(at.dataframe[0].value)
    assert frame.columns == ["时间", "用户", "角色", "事件", "详情"]
    mine = frame.filter(pl.col("用户").is_in(["zhang[31m", "li"]))
    assert mine["事件"].to_list() == ["导出数据", "登录"] and mine["详情"].to_list() == ["rows=7 format=csv",
                                                                                       "client=10.0.0.1"]
    at.selectbox(key="audit_user").set_value("li").run()
    assert pl.from_pandas(at.dataframe[0].value)["用户"].to_list() == ["li"]
