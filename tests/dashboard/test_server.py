"""dashboard/server.py is what `xiaobao serve` runs: Streamlit must find its st.App (with the login routes and
the redirect) the way `streamlit run` does; in Chromium, the login form leads to the overview and the logout out
of it, a page load without a session shows no figures, and a disabled user's open tab is stopped at its next
click."""

from __future__ import annotations

import subprocess
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from streamlit.web.server.app_discovery import discover_asgi_app

from fixtures.browser import PASSWORD, USERS, log_in, open_page, screenshot, wait_settled
from xiaobao import cli_serve

SERVER = Path(__file__).resolve().parents[2] / "dashboard" / "server.py"


def test_streamlit_run_finds_the_app_with_the_login_routes():
    found = discover_asgi_app(SERVER)
    assert found.is_asgi_app and found.import_string == "server:app"
    assert cli_serve.APP == SERVER and cli_serve.streamlit_args("127.0.0.1", 8501)[:2] == ["run", str(SERVER)]
    text = SERVER.read_text(encoding="utf-8")
    assert "web.routes()" in text and "web.LoginRedirect" in text


# ── in Chromium, against `xiaobao serve` (the browser suite's shared server and users) ────────────────────────
@pytest.mark.browser
def test_logging_in_through_the_form_shows_the_overview_and_logging_out_ends_it(page_as, app_url, blocked_requests):
    page = page_as(None)
    page.goto(f"{app_url}/", wait_until="domcontentloaded")
    assert urlsplit(page.url).path == "/xb/login"
    screenshot(page, "login-zh")
    page.get_by_label("用户名").fill(USERS["secretariat"])
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(f"{app_url}/**")
    wait_settled(page)
    assert "总览" in page.locator("h1").first.inner_text()
    assert page.locator('[data-testid="stMetric"]').count() > 0
    sidebar = page.locator('[data-testid="stSidebar"]')
    assert USERS["secretariat"] in sidebar.inner_text()
    assert sidebar.get_by_text("审计日志").count() == 1          # the secretariat's own page
    cookie = next(c for c in page.context.cookies() if c["name"] == "xb_session")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict"
    sidebar.get_by_text("退出登录").click()
    page.wait_for_url("**/xb/login?out=1")
    assert "已退出登录" in page.inner_text("body")
    assert [c for c in page.context.cookies() if c["name"] == "xb_session"] == []
    page.goto(f"{app_url}/complaints", wait_until="domcontentloaded")
    assert urlsplit(page.url).path == "/xb/login"                 # logged out: back to the form
    assert blocked_requests == []


@pytest.mark.browser
def test_an_unauthenticated_page_load_shows_no_figures(page_as, app_url, ingested):
    page = page_as(None)
    page.goto(f"{app_url}/peers?period=2025Q2&type=财产险", wait_until="domcontentloaded")
    assert urlsplit(page.url).path == "/xb/login"
    assert page.locator('[data-testid="stPlotlyChart"], [data-testid="stMetric"], [data-testid="stApp"]').count() == 0
    text = page.inner_text("body")
    assert not [name for name in ingested.firms()["short_name"].to_list() if name in text]
    english = page_as(None)
    english.goto(f"{app_url}/?lang=en", wait_until="domcontentloaded")
    for label in ("Username", "Password"):
        assert english.get_by_label(label).count() == 1
    assert english.get_by_role("button", name="Log in").count() == 1
    screenshot(english, "login-en")


@pytest.mark.browser
def test_a_disabled_users_open_tab_shows_only_the_login_link_at_the_next_click(page_as, app_url, e2e_users,
                                                                             e2e_warehouse):
    from fixtures.browser import XIAOBAO

    users_file, (warehouse, registry) = e2e_users["file"], e2e_warehouse
    common = ["--users", users_file, "--warehouse", str(warehouse)]
    subprocess.run([str(XIAOBAO), "user", "add", "e2e-soon-disabled", "--role", "analyst", "--registry",
                    str(registry), *common], input=PASSWORD + "\n", text=True, check=True, capture_output=True)
    page = page_as(None)
    log_in(page, app_url, "e2e-soon-disabled")
    open_page(page, f"{app_url}/")
    assert page.locator('[data-testid="stMetric"]').count() > 0
    subprocess.run([str(XIAOBAO), "user", "disable", "e2e-soon-disabled", *common], check=True, capture_output=True)
    page.locator('[data-testid="stSidebarNav"]').get_by_text("投诉分析").click()   # the next request of that tab
    page.get_by_text("请先登录").wait_for()
    wait_settled(page)
    main = page.locator('[data-testid="stMain"]')
    assert main.locator('[data-testid="stPlotlyChart"], [data-testid="stMetric"]').count() == 0
    assert not page.locator('[data-testid="stSidebar"]').is_visible()   # nor the page menu of the last run
    assert main.locator('a[href^="/xb/login"]').count() == 1
    screenshot(page, "login-session-ended")
    page.reload(wait_until="domcontentloaded")
    assert urlsplit(page.url).path == "/xb/login"


@pytest.mark.browser
def test_a_member_is_offered_no_audit_page_and_cannot_open_it(page_as, app_url):
    page = page_as("member")
    open_page(page, f"{app_url}/")
    sidebar = page.locator('[data-testid="stSidebar"]')
    assert USERS["member"] in sidebar.inner_text() and "会员公司" in sidebar.inner_text()
    assert sidebar.get_by_text("审计日志").count() == 0
    open_page(page, f"{app_url}/audit")
    assert "找不到页面“audit”" in page.locator('[data-testid="stMain"]').inner_text()   # not this user's page
    assert "审计日志" not in page.locator("h1").first.inner_text()
