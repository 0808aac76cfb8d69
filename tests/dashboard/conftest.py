"""Fixtures for the dashboard tests: a small synthetic warehouse and AppTest runs of dashboard/app.py."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from auth.model import User
from dashboard import session as dashboard_session
from fixtures.browser import add_users, build_demo_warehouse, first_firm, launch, log_in, new_page, serve
from tests.dashboard.apptest import SECRETARIAT
from tests.dashboard.apptest import log_in as log_in_apptest

ROOT = Path(__file__).resolve().parents[2]
UNSET = object()
REAL_USER = dashboard_session.user   # before any test replaces it
APP = ROOT / "dashboard" / "app.py"
# Generous: the first run of a session pays for imports and DuckDB; later runs hit the caches.
TIMEOUT = 60


@pytest.fixture(scope="session")
def demo_warehouse(tmp_path_factory) -> Path:
    """A warehouse built by the query layer's synthetic generator: 2 years, 12 firms of both types."""
    from fixtures import synthetic

    path = tmp_path_factory.mktemp("warehouse")
    synthetic.build(path, years=2, firms=12, seed=0)
    return path


@pytest.fixture
def demo_wh(demo_warehouse):
    """The query layer's Warehouse over the demo warehouse: the expected values of every page test."""
    from query import Warehouse

    return Warehouse(demo_warehouse)


@pytest.fixture
def app_test(demo_warehouse, monkeypatch) -> Callable[..., AppTest]:
    """`app_test("peers.py", params={"type": "财产险"})` → an AppTest of dashboard/app.py, run on that page.

    The URL query parameters are set before the first run (as when a shared link is opened). AppTest
    needs one run before it can switch pages, so the first run shows the default page (总览); with `page`
    given the test is then switched there and run again. `warehouse=` points at another warehouse;
    `run=False` returns it unrun (and unswitched). `user=` is who is logged in (None: nobody, so the login gate
    stops the app); without it, the secretariat — unless the test has already replaced dashboard.session.user.
    """

    def make(page: str | None = None, params: Mapping[str, str | list[str]] | None = None,
             warehouse: Path | None = None, run: bool = True, user: User | None | object = UNSET) -> AppTest:
        monkeypatch.setenv("XIAOBAO_WAREHOUSE", str(warehouse or demo_warehouse))
        if user is not UNSET:
            log_in_apptest(monkeypatch, user)  # type: ignore[arg-type]
        elif dashboard_session.user is REAL_USER:
            log_in_apptest(monkeypatch, SECRETARIAT)
        at = AppTest.from_file(str(APP), default_timeout=TIMEOUT)
        params = dict(params or {})
        # A page's own `section` is for that page: the default page, run first, would take it for its own (and
        # answer an unknown one with a warning and its first section), as a browser opening the link never does.
        section = params.pop("section", None) if page is not None else None
        for name, value in params.items():
            at.query_params[name] = value
        if not run:
            if section is not None:
                at.query_params["section"] = section
            return at
        at.run()
        if page is not None:
            # the default page wrote its own open section into the URL: the next page opens on its first (or given)
            at.query_params.pop("section", None)
            if section is not None:
                at.query_params["section"] = section
            at.switch_page(f"views/{page}").run()
        return at

    return make


# ---- the browser suite: one demo ingest, one server and one Chromium per session ------------------------

@pytest.fixture(scope="session")
def e2e_warehouse(tmp_path_factory) -> tuple[Path, Path]:
    """(warehouse, registry) of a real demo ingest, built once per session."""
    return build_demo_warehouse(tmp_path_factory.mktemp("e2e"))


@pytest.fixture(scope="session")
def e2e_users(e2e_warehouse, tmp_path_factory) -> dict[str, str]:
    """role → user name of the browser suite's users (fixtures.browser.USERS, password fixtures.browser.PASSWORD);
    the member is bound to `e2e_member_firm`."""
    warehouse, registry = e2e_warehouse
    users_file = tmp_path_factory.mktemp("users") / "users.json"
    names = add_users(users_file, registry, warehouse)
    names["file"] = str(users_file)
    return names


@pytest.fixture(scope="session")
def e2e_member_firm(e2e_warehouse) -> str:
    """The firm the browser suite's member user is bound to (the demo registry's first)."""
    return first_firm(e2e_warehouse[1])


@pytest.fixture(scope="session")
def app_url(e2e_warehouse, e2e_users) -> Iterator[str]:
    warehouse, registry = e2e_warehouse
    with serve(warehouse, registry, users=Path(e2e_users["file"])) as base_url:
        yield base_url


@pytest.fixture(scope="session")
def chromium() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = launch(playwright)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def blocked_requests() -> list[str]:
    return []


@pytest.fixture
def page_as(chromium, blocked_requests, app_url, e2e_users) -> Iterator[Callable[[str | None], object]]:
    """`page_as("member")` → a page in a fresh browser context logged in as the suite's user of that role
    ("secretariat", "analyst", "member"); `page_as(None)` → one logged in as nobody."""
    opened: list = []

    def make(role: str | None) -> object:
        page = new_page(chromium, blocked_requests)
        opened.append(page)
        if role is not None:
            log_in(page, app_url, e2e_users[role])
        return page

    try:
        yield make
    finally:
        for page in opened:
            page.context.close()


@pytest.fixture
def page(page_as) -> object:
    """A page logged in as the secretariat (sees everything)."""
    return page_as("secretariat")


@pytest.fixture
def latest(demo_wh) -> str:
    """The demo warehouse's last quarter."""
    return demo_wh.periods()[-1]


@pytest.fixture
def ingested(e2e_warehouse):
    """The query layer over the warehouse the demo ingest built (real submissions, rejected files included)."""
    from query import Warehouse

    return Warehouse(e2e_warehouse[0])


@pytest.fixture(scope="module")
def many_firms(tmp_path_factory) -> Path:
    """An association of 80 members (40 of each type): more firms than a by-firm chart draws."""
    from fixtures import synthetic

    return synthetic.build(tmp_path_factory.mktemp("many"), years=1, firms=80, seed=3)
