"""Logged in as a member (issue 10 item 7, AppTest): every page, every filter, every page widget, tampered URL
parameters and every download — not one other firm's id, legal name, short name or alias reaches the browser
(element protobufs, dataframe cells, chart specs with hover text and customdata, the URL, downloaded bytes).

The member's session is made by replacing `dashboard.session.user` (conftest's `app_test(user=…)`: AppTest runs the
app in this process); the Chromium side, with the websocket frames, is in tests/dashboard/test_browser.py."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from auth.model import User
from fixtures import synthetic
from query import Warehouse
from tests.dashboard.apptest import SECRETARIAT, download_texts, no_traceback, other_firms, run_texts, sections_of

OWN = "S001"  # 财产险; the synthetic warehouse's rejected and held files are its own
MEMBER = User("demo-member", "member", OWN, "会员用户")
PAGES = ("overview.py", "complaints.py", "mediation.py", "outreach.py", "map.py", "peers.py", "explorer.py",
         "submissions.py", "deck.py", "upload.py")  # the deck's build: tests/deck/test_build.py (a member's deck)
WIDGETS = ("selectbox", "button_group", "radio")  # page widgets whose every option is tried
MAX_OPTIONS = 6


@pytest.fixture(scope="module")
def member_warehouse(tmp_path_factory) -> Path:
    """24 synthetic firms over two years, each with two aliases in its registry row (the synthetic one has none)."""
    path = synthetic.build(tmp_path_factory.mktemp("member"), years=2, firms=24, seed=1)
    firms = next((path / "snapshots").glob("*/firms.parquet"))
    pl.read_parquet(firms).with_columns(
        (pl.lit("代号") + pl.col("firm_id").str.slice(1) + "号|" + pl.col("short_name") + "公司").alias("aliases")
    ).write_parquet(firms)
    return path


@pytest.fixture(scope="module")
def secrets(member_warehouse) -> set[str]:
    return other_firms(pl.read_parquet(next((member_warehouse / "snapshots").glob("*/firms.parquet"))), OWN)


@pytest.fixture
def downloads(monkeypatch) -> list[tuple[str, object]]:
    """Every download button a run draws, as (file name, data or the callable that makes it on click)."""
    from streamlit.elements.widgets import button

    seen: list[tuple[str, object]] = []
    original = button.marshall_file

    def record(coordinates, data, proto, mimetype, file_name=None, **kwargs):
        seen.append((file_name or "", data))
        return original(coordinates, data, proto, mimetype, file_name, **kwargs)

    monkeypatch.setattr(button, "marshall_file", record)
    return seen


@pytest.fixture
def member_app(app_test, member_warehouse):
    def make(page: str | None, params: dict | None = None):
        return app_test(page, params=params, warehouse=member_warehouse, user=MEMBER)

    return make


def leaks(at, secrets: set[str], downloads: list, typed: tuple[str, ...] = ()) -> list[str]:
    """The other firms' names found in what the run sent and in every download pressed (made now, as on a click).
    `typed`: values the URL carried, which a warning may echo back as typed (nothing else may hold them)."""
    no_traceback(at)
    texts = run_texts(at)
    found = set()
    for kind, text in texts:
        if kind == "alert" or kind == "warning":
            for value in typed:
                text = text.replace(value, "")
        found |= {s for s in secrets if s in text}
    for file_name, data in downloads:
        payload = data() if callable(data) else data
        assert isinstance(payload, bytes) and payload, file_name
        found |= {s for s in secrets if s in file_name or s in download_texts(payload, file_name)}
    downloads.clear()
    return sorted(found)


def options_of(widget, candidates: list) -> list:
    """The raw values behind a widget's shown options (its format_func maps each candidate to a label)."""
    raw = []
    for value in candidates:
        try:
            label = widget.format_func(value)
        except Exception:  # noqa: BLE001, S112 — a candidate of another widget
            continue
        if str(label) in widget.options and value not in raw:
            raw.append(value)
    return raw


def candidates(wh: Warehouse) -> list:
    from query import DIMS

    return [*(m.id for m in wh.metrics), *DIMS, *wh.periods(), "", "财产险", "人身险", OWN]


@pytest.mark.parametrize("page", PAGES)
def test_a_member_sees_no_other_firm_on_any_page_filter_or_widget(page, member_app, member_warehouse, secrets,
                                                                    downloads):
    wh = Warehouse(member_warehouse)
    periods = wh.periods()
    variants = [{}, {"type": "财产险"}, {"type": "人身险"}, {"from": periods[0], "to": periods[-1]},
                {"province": "440000"}, {"region": "440300"}, {"firm": OWN}, {"lang": "en", "type": "人身险"},
                {"period": periods[-2], "firm": OWN, "province": "110000"}]
    if page == "explorer.py":
        every = ",".join(m.id for m in wh.metrics if m.dataset != "complaints_by_line")
        variants += [{"metrics": every, "by": by} for by in ("", "firm", "firm,region", "province", "region,firm_type",
                                                             "period,firm", "year,province")]
        variants += [{"metrics": "complaints", "by": by} for by in ("product_line", "product_line,firm")]
    variants += [{"section": key} for key in sections_of(page)[1:]]   # the sections not open by default
    for params in variants:
        at = member_app(page, params)
        assert leaks(at, secrets, downloads) == [], params
    at = member_app(page)
    assert leaks(at, secrets, downloads) == []
    pool, tried = candidates(wh), 0
    for kind in WIDGETS:
        for widget in list(at.main.get(kind)):
            if widget.key is None or widget.key.startswith("_w_"):
                continue
            for value in options_of(widget, pool)[:MAX_OPTIONS]:
                target = next(w for w in at.main.get(kind) if w.key == widget.key)
                target.set_value(value).run()
                tried += 1
                assert leaks(at, secrets, downloads) == [], (widget.key, value)
    # each page's own choices were tried (these pages have none of those widgets)
    assert tried > 0 or page in ("explorer.py", "outreach.py", "submissions.py", "deck.py", "upload.py")
    for toggle in list(at.main.toggle):
        toggle.set_value(True).run()
        assert leaks(at, secrets, downloads) == [], toggle.key


def test_a_url_naming_another_firm_is_refused_as_if_it_did_not_exist(member_app, secrets, downloads):
    """The shared `firm` filter is read on a session's first run (the default page); `focus_firm` by the peer page.
    Another firm's id, an unknown id and a pseudonym get the same warning; nothing of it stays in the link."""
    warnings = {}
    for name, value, page in (("firm", "S002", None), ("firm", "S999", None), ("firm", "同业A", None),
                              ("firm", f"{OWN},S002", None), ("focus_firm", "S003", "peers.py"),
                              ("focus_firm", "S998", "peers.py"), ("focus_firm", "同业B", "peers.py")):
        at = member_app(page, {name: value})
        typed = tuple(v for v in value.split(",") if v != OWN)
        assert leaks(at, secrets, downloads, typed) == [], (name, value)
        shown = [w.value for w in at.warning if typed[0] in w.value]
        assert len(shown) == 1, (name, value, [w.value for w in at.warning])
        warnings[(name, value)] = shown[0].replace(typed[0], "…")
        assert typed[0] not in str(at.query_params.get(name))  # the link keeps nothing of it
        for other in ("explorer.py", "submissions.py"):  # and no page shows it afterwards
            at.switch_page(f"views/{other}").run()
            assert leaks(at, secrets, downloads) == [], (name, value, other)
    assert warnings[("firm", "S002")] == warnings[("firm", "S999")] == warnings[("firm", "同业A")]
    assert warnings[("focus_firm", "S003")] == warnings[("focus_firm", "S998")] == warnings[("focus_firm", "同业B")]


def test_a_members_cached_results_are_never_the_secretariats(app_test, member_warehouse, secrets, downloads):
    # the secretariat first: the same pages, filters and caches, every firm identified (the detector works)
    runs = [(page, {"section": key} if key else None) for page in ("overview.py", "complaints.py", "explorer.py")
            for key in sections_of(page)]   # each section of a page (only the open one is drawn)
    for page, params in runs:
        found = leaks(app_test(page, params=params, warehouse=member_warehouse, user=SECRETARIAT), secrets, downloads)
        assert found != [] or params, page
    for page, params in runs:
        at = app_test(page, params=params, warehouse=member_warehouse, user=MEMBER)
        assert leaks(at, secrets, downloads) == [], (page, params)
        assert any("同业" in text for _, text in run_texts(at)) or page == "overview.py"  # peers, by pseudonym


def test_a_member_downloads_its_own_originals_only(member_app, member_warehouse, secrets, downloads):
    at = member_app("submissions.py", {"section": "problems"})   # where its problem files are
    assert leaks(at, secrets, downloads) == []
    at = member_app("submissions.py", {"section": "problems"})
    names = [name for name, _ in downloads]
    assert {"rejected-2025Q3.xlsx", "held-2025Q3.xlsx"} <= set(names)  # its own two problem files
    originals = {name: data() for name, data in downloads if name.endswith(".xlsx")}
    assert originals["rejected-2025Q3.xlsx"] == b"synthetic rejected file"
    downloads.clear()
