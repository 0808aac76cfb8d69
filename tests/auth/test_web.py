"""The login routes and the redirect in front of the dashboard, over ASGI (tests/auth/asgi.py): the form, the
cookie's flags, the throttle's 429 and its timed unlock, sessions that end when the account changes, logout,
and what reaches the audit log."""

from __future__ import annotations

import pytest
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from auth import sessions, users, web
from core import audit
from tests.auth.asgi import Client
from tests.auth.clock import FakeTime

PASSWORD = "right-password-1"


@pytest.fixture(scope="module")
def accounts(tmp_path_factory):
    """A users file made once (argon2 is slow on purpose): copied per test."""
    path = tmp_path_factory.mktemp("users") / "users.json"
    users.add(path, "sec", "secretariat", PASSWORD, name="秘书处")
    users.add(path, "mem", "member", PASSWORD, firm_id="F001")
    return path.read_bytes()


@pytest.fixture
def gate(tmp_path, accounts) -> web.Gate:
    path = tmp_path / "users.json"
    path.write_bytes(accounts)
    return web.Gate.create(path, tmp_path / "secret.key", tmp_path / "wh")


@pytest.fixture
def client(gate) -> Client:
    async def data(request: Request) -> PlainTextResponse:
        return PlainTextResponse("FIGURES")

    routes = [*web.routes(gate), Route("/", data), Route("/complaints", data), Route("/media/abc.csv", data),
              Route("/_stcore/health", data), Route("/_stcore/stream", data, methods=["GET"])]
    return Client(Starlette(routes=routes, middleware=[Middleware(web.LoginRedirect, gate=gate)]))


def log_in(client: Client, username: str = "sec", password: str = PASSWORD, **form):
    return client.post(web.LOGIN_PATH, {"username": username, "password": password, **form})


def events(gate: web.Gate) -> list[str]:
    return [line["what"] for line in audit.read(gate.warehouse)]


def test_the_form_has_its_labels_in_chinese_and_english(client):
    zh, en = client.get("/xb/login"), client.get("/xb/login?lang=en")
    assert zh.status == 200 and en.status == 200
    for text in ('<label for="username">用户名</label>', '<label for="password">密码</label>', ">登录</button>"):
        assert text in zh.text
    for text in ('<label for="username">Username</label>', '<label for="password">Password</label>',
                 ">Log in</button>"):
        assert text in en.text
    assert 'type="password"' in zh.text and "<script" not in zh.text
    assert "frame-ancestors 'none'" in zh.header("content-security-policy") and zh.header("cache-control") == "no-store"


def test_without_a_session_a_page_load_goes_to_the_login_and_no_data_is_sent(client):
    page = client.get("/complaints?period=2025Q3")
    assert page.status == 303 and "FIGURES" not in page.text
    assert page.header("location") == "/xb/login?next=%2Fcomplaints%3Fperiod%3D2025Q3"
    assert client.get("/media/abc.csv").status == 403                  # a download needs a session
    assert client.post("/complaints", {}).status == 403
    assert client.get("/_stcore/health").text == "FIGURES"             # Streamlit's own API passes (health)


def test_a_login_sets_an_httponly_strict_signed_cookie_and_returns_to_the_page(client, gate):
    answer = log_in(client, next="/complaints?period=2025Q3")
    assert answer.status == 303 and answer.header("location") == "/complaints?period=2025Q3"
    (cookie,) = answer.set_cookies()
    flags = [part.strip().lower() for part in cookie.split(";")]
    assert "httponly" in flags and "samesite=strict" in flags and "path=/" in flags and "secure" not in flags
    assert not [f for f in flags if f.startswith(("max-age", "expires"))]   # ends with the browser session
    value = client.cookies[sessions.COOKIE]
    assert "sec" not in value.split(".")[0] and len(value.split(".")[1]) == 64   # opaque token . HMAC-SHA256
    assert client.get("/complaints").text == "FIGURES"
    assert gate.sessions.user(value).username == "sec"
    assert events(gate) == ["login"]
    line = audit.read(gate.warehouse)[0]
    assert (line["who"], line["role"], line["client"]) == ("sec", "secretariat", "127.0.0.1")


def test_over_https_the_cookie_is_secure(gate, client):
    client.scheme = "https"
    (cookie,) = log_in(client).set_cookies()
    assert "secure" in [part.strip().lower() for part in cookie.split(";")]


def test_a_wrong_password_is_401_and_never_recorded(client, gate):
    answer = log_in(client, password="wrong-password-9")
    assert answer.status == 401 and "用户名或密码不正确" in answer.text and sessions.COOKIE not in client.cookies
    unknown = log_in(client, username="nobody", password="wrong-password-9")
    assert unknown.status == 401 and "用户名或密码不正确" in unknown.text     # the same answer: no enumeration
    log = (gate.warehouse / "audit" / "log.jsonl").read_text(encoding="utf-8")
    assert events(gate) == ["login_failed", "login_failed"] and "wrong-password-9" not in log
    assert [line["reason"] for line in audit.read(gate.warehouse)] == ["wrong_password", "unknown_user"]


def test_the_sixth_attempt_is_refused_even_with_the_right_password_until_the_window_passes(client, gate,
                                                                                           monkeypatch):
    clock = FakeTime.install(monkeypatch)
    for _ in range(5):
        assert log_in(client, password="wrong-password-9").status == 401
    refused = log_in(client)   # the right password
    assert refused.status == 429 and "登录失败次数过多" in refused.text and "15 分钟" in refused.text
    assert int(refused.header("retry-after")) == 15 * 60 and sessions.COOKIE not in client.cookies
    clock.advance(14 * 60)
    assert log_in(client).status == 429 and "1 分钟" in log_in(client).text
    clock.advance(61)   # the first failure has left the 15-minute window: a timed unlock
    assert log_in(client).status == 303 and sessions.COOKIE in client.cookies
    assert events(gate) == ["login_failed"] * 5 + ["login_refused"] * 3 + ["login"]


def test_the_throttle_counts_per_address_as_well_as_per_user(client, gate, monkeypatch):
    FakeTime.install(monkeypatch)
    for name in ("a1", "a2", "a3", "a4", "a5"):   # five different names from one address
        log_in(client, username=name, password="wrong-password-9")
    assert log_in(client, username="mem").status == 429                 # that address is held
    elsewhere = Client(client.app, address="10.0.0.9")
    assert log_in(elsewhere, username="mem").status == 303               # the user is not


def test_a_disabled_users_open_session_ends_at_the_next_request(client, gate):
    log_in(client)
    assert client.get("/").text == "FIGURES"
    users.set_disabled(gate.users_file, "sec", True)
    assert client.get("/").status == 303 and "FIGURES" not in client.get("/").text
    users.set_disabled(gate.users_file, "sec", False)
    assert client.get("/").status == 303      # enabled again: that session is still over; log in again
    assert log_in(client).status == 303 and client.get("/").text == "FIGURES"


def test_a_password_reset_ends_the_users_sessions_and_the_old_password_fails(client, gate):
    log_in(client)
    users.reset_password(gate.users_file, "sec", "new-password-22")
    assert client.get("/").status == 303
    assert log_in(client).status == 401 and log_in(client, password="new-password-22").status == 303


def test_a_disabled_user_cannot_log_in(client, gate):
    users.set_disabled(gate.users_file, "mem", True)
    assert log_in(client, username="mem").status == 401
    assert audit.read(gate.warehouse)[-1]["reason"] == "disabled"


def test_logout_ends_the_session_and_clears_the_cookie(client, gate):
    log_in(client)
    value = client.cookies[sessions.COOKIE]
    answer = client.post(web.LOGOUT_PATH, {})
    assert answer.status == 303 and answer.header("location") == "/xb/login?out=1"
    assert sessions.COOKIE not in client.cookies and any("Max-Age=0" in c for c in answer.set_cookies())
    client.cookies[sessions.COOKIE] = value          # the old cookie replayed: the server has forgotten it
    assert client.get("/").status == 303 and gate.sessions.user(value) is None
    assert events(gate) == ["login", "logout"] and "已退出登录" in client.get("/xb/login?out=1").text


def test_forged_and_foreign_cookies_open_nothing(client, gate, tmp_path):
    log_in(client)
    token, _ = client.cookies[sessions.COOKIE].split(".")
    other = sessions.Sessions(b"x" * 32, gate.users_file)
    client.cookies[sessions.COOKIE] = f"{token}.{other._sign(token)}"   # the right token, another key
    assert client.get("/").status == 303
    client.cookies[sessions.COOKIE] = "garbage"
    assert client.get("/").status == 303


@pytest.mark.parametrize("target", ["//evil.example/x", "https://evil.example/", "/\\evil.example", "/xb/logout",
                                    "javascript:alert(1)"])
def test_after_the_login_only_a_local_page_is_opened(client, target):
    assert log_in(client, next=target).header("location") == "/"


def test_a_cross_site_form_post_is_refused(client):
    answer = client.post(web.LOGIN_PATH, {"username": "sec", "password": PASSWORD},
                         headers={"origin": "http://evil.example"})
    assert answer.status == 403 and sessions.COOKIE not in client.cookies


def test_a_broken_users_file_lets_nobody_in(client, gate):
    gate.users_file.write_text("{broken", encoding="utf-8")
    assert log_in(client).status == 401 and sessions.COOKIE not in client.cookies


def test_a_login_that_cannot_be_recorded_is_refused(client, gate, tmp_path):
    gate.warehouse = tmp_path / "blocked"
    gate.warehouse.mkdir()
    (gate.warehouse / "audit").write_text("not a folder")
    answer = log_in(client)
    assert answer.status == 503 and "审计记录无法写入" in answer.text and sessions.COOKIE not in client.cookies


def test_the_form_sends_a_logged_in_user_on_to_the_page(client):
    log_in(client)
    answer = client.get("/xb/login?next=/peers")
    assert answer.status == 303 and answer.header("location") == "/peers"
