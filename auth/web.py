"""The login in front of the dashboard: Starlette routes served by the dashboard's own server (`st.App`), and a
middleware that sends a browser without a session to the login form.

- `GET /xb/login` — a plain HTML form (用户名 / 密码 / 登录; `?lang=en`: Username / Password / Log in), no script.
- `POST /xb/login` — checks the password (argon2id, auth.passwords) under the throttle (auth.throttle: 5 failures
  in 15 minutes per user name and per client address → 429 until the window passes, even with the right
  password); on success opens a server-side session (auth.sessions) and sets its cookie: HttpOnly,
  SameSite=Strict, Secure when the request came over https, Path=/, no Max-Age (gone when the browser closes);
  then 303 to the page asked for.
- `GET|POST /xb/logout` — ends the session, clears the cookie, back to the form.
- `LoginRedirect` — a page load (GET of anything but Streamlit's assets and API) without a valid session is
  redirected to the form; `/media/` files (downloads) need a session too. The websocket is not refused here:
  each script run checks the session itself (dashboard.session.user) and shows only the login link without one.

Every login, failed or refused login and logout is recorded in the audit log (core.audit). A login that cannot
be recorded is refused (503), as an export that cannot be recorded hands out nothing.
"""

from __future__ import annotations

import html
import logging
import threading
from dataclasses import dataclass
from http.cookies import CookieError, SimpleCookie
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote, urlencode, urlsplit

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from auth import passwords, sessions, users
from auth.throttle import DEFAULT_RATE, Throttle
from auth.throttle import rate as login_rate
from core import audit
from core.settings import warehouse_dir

log = logging.getLogger("xiaobao.auth")

LOGIN_PATH = "/xb/login"
LOGOUT_PATH = "/xb/logout"
MAX_FORM_BYTES = 8192
# What a browser may load without a session: Streamlit's scripts and styles, its API (the websocket, health),
# the app's static folder (the map's topology), and the login itself. Everything else is a page or data.
OPEN_PREFIXES = ("/_stcore/", "/static/", "/component/", "/app/static/", "/xb/")
OPEN_PATHS = ("/favicon.png", "/favicon.ico", "/manifest.json", "/robots.txt")
SESSION_PREFIXES = ("/media/",)   # files made for a session (downloads): only with a session

TEXT = {
    "zh": {"title": "消保分析 · 登录", "heading": "消保分析", "username": "用户名", "password": "密码",
           "submit": "登录", "other": "English", "bad": "用户名或密码不正确。",
           "throttled": "登录失败次数过多，请 {minutes} 分钟后再试。",
           "unrecorded": "暂时无法登录：审计记录无法写入，请联系秘书处。",
           "refused": "请求来源不对，请从登录页重新登录。",
           "too_big": "请求过大。", "logged_out": "已退出登录。"},
    "en": {"title": "Consumer-protection analytics · Log in", "heading": "Consumer-protection analytics",
           "username": "Username", "password": "Password", "submit": "Log in", "other": "中文",
           "bad": "Wrong username or password.",
           "throttled": "Too many failed logins. Try again in {minutes} minutes.",
           "unrecorded": "Logging in is not possible now: the audit log cannot be written. Contact the secretariat.",
           "refused": "This request did not come from the login page. Log in again.",
           "too_big": "Request too large.", "logged_out": "Logged out."},
}
CSP = ("default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; "
       "base-uri 'none'")
PAGE = """<!doctype html>
<html lang="{lang_attr}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>{title}</title>
<style>
body {{ font-family: "Noto Sans CJK SC", "Noto Sans SC", "Microsoft YaHei", "PingFang SC", sans-serif;
       background: #eef2f7; color: #111827; margin: 0; font-size: 18px; }}
main {{ max-width: 24rem; margin: 12vh auto; background: #fff; padding: 2rem 2.2rem; border-radius: 8px;
       border: 1px solid #c4ccd8; }}
h1 {{ font-size: 1.5rem; margin: 0 0 1.4rem; color: #1f4e9c; }}
label {{ display: block; margin: 1rem 0 .3rem; font-weight: 600; }}
input {{ width: 100%; box-sizing: border-box; font-size: 1rem; padding: .5rem .6rem; border: 1px solid #8a94a6;
        border-radius: 4px; }}
button {{ margin-top: 1.5rem; width: 100%; font-size: 1.05rem; padding: .6rem; background: #1f4e9c; color: #fff;
         border: 0; border-radius: 4px; cursor: pointer; }}
.message {{ background: #fdecea; border: 1px solid #d55e00; padding: .6rem .8rem; border-radius: 4px; }}
.note {{ background: #e8f0fb; border: 1px solid #1f4e9c; padding: .6rem .8rem; border-radius: 4px; }}
.lang {{ margin-top: 1.2rem; text-align: right; font-size: .9rem; }} .lang a {{ color: #1f4e9c; }}
</style></head>
<body><main>
<h1>{heading}</h1>
{message}
<form method="post" action="{action}">
<input type="hidden" name="next" value="{next}"><input type="hidden" name="lang" value="{lang}">
<label for="username">{username_label}</label>
<input id="username" name="username" autocomplete="username" required autofocus value="{username}">
<label for="password">{password_label}</label>
<input id="password" name="password" type="password" autocomplete="current-password" required>
<button type="submit">{submit}</button>
</form>
<p class="lang"><a href="{other_href}">{other}</a></p>
</main></body></html>
"""


@dataclass
class Gate:
    """What the login needs, for one server: the users file, the open sessions, the throttle, the audit log."""

    users_file: Path
    sessions: sessions.Sessions
    throttle: Throttle
    warehouse: Path

    @classmethod
    def create(cls, users_file: Path, secret_file: Path, warehouse: Path, rate: str = DEFAULT_RATE) -> Gate:
        return cls(users_file=Path(users_file), sessions=sessions.Sessions(sessions.load_secret(secret_file),
                                                                           Path(users_file)),
                   throttle=Throttle(rate), warehouse=Path(warehouse))

    @classmethod
    def from_env(cls) -> Gate:
        """From XIAOBAO_USERS, XIAOBAO_SECRET_FILE, XIAOBAO_WAREHOUSE, XIAOBAO_LOGIN_RATE (or their defaults)."""
        return cls.create(users.users_path(), sessions.secret_path(), warehouse_dir(), login_rate())


_default: Gate | None = None
_default_lock = threading.Lock()


def default() -> Gate:
    """The server's one Gate (routes and script runs share it: they run in one process)."""
    global _default
    with _default_lock:
        if _default is None:
            _default = Gate.from_env()
        return _default


def lang_of(value: str | None) -> str:
    return "en" if value == "en" else "zh"


def safe_next(value: str | None) -> str:
    """A local path (with its query) to go back to after the login; "/" for anything else (no open redirect)."""
    value = (value or "").strip()
    parts = urlsplit(value)
    if (not value.startswith("/") or value.startswith(("//", "/\\", "/xb/")) or parts.scheme or parts.netloc
            or any(ord(c) < 0x20 for c in value)):
        return "/"
    return value


def login_url(next_path: str = "/", lang: str = "zh") -> str:
    query = {k: v for k, v in (("next", safe_next(next_path)), ("lang", lang)) if v not in ("/", "zh")}
    return LOGIN_PATH + (f"?{urlencode(query)}" if query else "")


def _headers() -> dict[str, str]:
    return {"Content-Security-Policy": CSP, "X-Frame-Options": "DENY", "Cache-Control": "no-store",
            "Referrer-Policy": "same-origin", "X-Content-Type-Options": "nosniff"}


def form_page(lang: str, next_path: str = "/", username: str = "", message: str = "", status: int = 200,
              note: bool = False) -> HTMLResponse:
    text = TEXT[lang]
    other = "zh" if lang == "en" else "en"
    box = f'<p class="{"note" if note else "message"}" role="alert">{html.escape(message)}</p>' if message else ""
    body = PAGE.format(
        lang_attr="en" if lang == "en" else "zh-CN", title=html.escape(text["title"]),
        heading=html.escape(text["heading"]), message=box, action=LOGIN_PATH,
        next=html.escape(safe_next(next_path)), lang=lang, username=html.escape(username[:64]),
        username_label=text["username"], password_label=text["password"], submit=text["submit"],
        other=text["other"], other_href=html.escape(login_url(next_path, other)))
    return HTMLResponse(body, status_code=status, headers=_headers())


def _address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def _secure(request: Request) -> bool:
    return request.url.scheme == "https"


def _same_origin(request: Request) -> bool:
    """A form post from this site (or a client that sends no Origin, like curl): not a cross-site login."""
    origin = request.headers.get("origin")
    if origin is None or origin == "null":
        return origin is None
    return urlsplit(origin).netloc == request.headers.get("host", "")


def _record(gate: Gate, what: str, who: str, role: str | None = None, **details: Any) -> bool:
    try:
        audit.record(gate.warehouse, what, who, role, **details)
        return True
    except OSError:
        log.exception("audit line not written: %s %s", what, who)
        return False


def _set_cookie(response: Response, value: str, request: Request) -> None:
    """A browser-session cookie (no Max-Age: gone when the browser closes; the server ends it after MAX_AGE_S)."""
    response.set_cookie(sessions.COOKIE, value, path="/", httponly=True, samesite="strict", secure=_secure(request))


def routes(given: Gate | None = None) -> list[Route]:
    """The login and logout routes, over `given` (tests) or the server's `default()` Gate, made at first use."""

    class _Lazy:
        def __getattr__(self, name: str) -> Any:
            return getattr(given or default(), name)

    gate: Any = _Lazy()

    async def login_form(request: Request) -> Response:
        lang = lang_of(request.query_params.get("lang"))
        next_path = safe_next(request.query_params.get("next"))
        if gate.sessions.user(request.cookies.get(sessions.COOKIE)) is not None:
            return RedirectResponse(next_path, status_code=303, headers=_headers())
        if request.query_params.get("out") == "1":
            return form_page(lang, next_path, message=TEXT[lang]["logged_out"], note=True)
        return form_page(lang, next_path)

    async def login(request: Request) -> Response:
        if int(request.headers.get("content-length") or 0) > MAX_FORM_BYTES:
            return form_page("zh", message=TEXT["zh"]["too_big"], status=413)
        body = await request.body()
        if len(body) > MAX_FORM_BYTES:
            return form_page("zh", message=TEXT["zh"]["too_big"], status=413)
        form = {k: v[0] for k, v in parse_qs(body.decode("utf-8", errors="replace"), keep_blank_values=True).items()}
        lang, next_path = lang_of(form.get("lang")), safe_next(form.get("next"))
        text = TEXT[lang]
        if not _same_origin(request):
            return form_page(lang, next_path, message=text["refused"], status=403)
        username = audit.plain(form.get("username", "")).strip()[:64]
        password = form.get("password", "")
        address = _address(request)
        wait = gate.throttle.wait_s(username, address)
        if wait:
            _record(gate, "login_refused", username, client=address, retry_after_s=wait)
            minutes = max(1, -(-wait // 60))
            response: Response = form_page(lang, next_path, username, text["throttled"].format(minutes=minutes),
                                           status=429)
            response.headers["Retry-After"] = str(wait)
            return response
        try:
            account = users.cached(gate.users_file).get(username) if username else None
        except users.UserError:   # a broken users file lets nobody in (and says so in the server log)
            log.exception("users file unreadable")
            account = None
        usable = account is not None and not account.disabled
        ok = await run_in_threadpool(passwords.verify, account.password_hash if usable and account else None, password)
        if not ok or account is None:
            gate.throttle.failed(username, address)
            reason = "unknown_user" if account is None else "disabled" if account.disabled else "wrong_password"
            _record(gate, "login_failed", username, client=address, reason=reason)
            return form_page(lang, next_path, username, text["bad"], status=401)
        gate.throttle.succeeded(username)
        if not _record(gate, "login", account.username, account.role, client=address):
            return form_page(lang, next_path, username, text["unrecorded"], status=503)
        response = RedirectResponse(next_path, status_code=303, headers=_headers())
        _set_cookie(response, gate.sessions.open(account), request)
        return response

    async def logout(request: Request) -> Response:
        lang = lang_of(request.query_params.get("lang"))
        cookie = request.cookies.get(sessions.COOKIE)
        user = gate.sessions.user(cookie)
        if gate.sessions.close(cookie) is not None and user is not None:
            _record(gate, "logout", user.username, user.role, client=_address(request))
        response = RedirectResponse(LOGIN_PATH + "?" + urlencode({"out": "1", **({"lang": lang} if lang == "en"
                                                                                   else {})}),
                                    status_code=303, headers=_headers())
        response.delete_cookie(sessions.COOKIE, path="/", httponly=True, samesite="strict", secure=_secure(request))
        return response

    return [Route(LOGIN_PATH, login_form, methods=["GET"]), Route(LOGIN_PATH, login, methods=["POST"]),
            Route(LOGOUT_PATH, logout, methods=["GET", "POST"])]


class LoginRedirect:
    """ASGI middleware: a page load without a valid session goes to the login form (with `next` = the page);
    a session-bound file (/media/) without one is 403. Websockets and Streamlit's own assets pass."""

    def __init__(self, app: Any, gate: Gate | None = None) -> None:
        self.app = app
        self._gate = gate

    @property
    def gate(self) -> Gate:
        return self._gate or default()

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope.get("path", "/")
        if path.startswith(OPEN_PREFIXES) or path in OPEN_PATHS:
            await self.app(scope, receive, send)
            return
        cookie = _cookie(scope)
        if self.gate.sessions.user(cookie) is not None:
            await self.app(scope, receive, send)
            return
        response: Response
        if path.startswith(SESSION_PREFIXES) or scope.get("method") not in ("GET", "HEAD"):
            response = Response(status_code=403, headers=_headers())
        else:
            query = scope.get("query_string", b"").decode("latin-1")
            lang = lang_of(parse_qs(query).get("lang", [""])[0])
            target = quote(path, safe="/") + (f"?{query}" if query else "")
            response = RedirectResponse(login_url(target, lang), status_code=303, headers=_headers())
        await response(scope, receive, send)


def _cookie(scope: dict) -> str | None:
    for name, value in scope.get("headers", []):
        if name == b"cookie":
            jar: SimpleCookie = SimpleCookie()
            try:
                jar.load(value.decode("latin-1"))
            except CookieError:   # a malformed Cookie header: no session
                return None
            if sessions.COOKIE in jar:
                return jar[sessions.COOKIE].value
    return None
