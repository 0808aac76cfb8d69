"""Sessions held in the server process: an opaque random token per login, signed with the server's secret.

The cookie carries `<token>.<HMAC-SHA256(secret, token)>` and nothing else (no name, no role). The server keeps
token → (user name, the account's stamp at login, opened, last seen). A session is valid while it is in the
store, younger than MAX_AGE_S, used within IDLE_S, and its account still exists, is enabled and has the same
stamp in the users file (auth.users) — so disabling a user or resetting a password ends their sessions at the
next request. A server restart ends every session (they are only in memory).

The secret is generated at first start into `secret_path()` (default data/session.key, git-ignored;
`XIAOBAO_SECRET_FILE` overrides), mode 0600, created with O_EXCL so two starting processes agree on one.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

from auth import users
from auth.model import User

SECRET_ENV = "XIAOBAO_SECRET_FILE"
DEFAULT_SECRET = Path("data/session.key")
COOKIE = "xb_session"
MAX_AGE_S = 12 * 3600   # a working day: then log in again
IDLE_S = 2 * 3600       # unused this long: log in again


def secret_path(override: str | os.PathLike[str] | None = None) -> Path:
    return Path(override or os.environ.get(SECRET_ENV) or DEFAULT_SECRET)


def load_secret(path: Path) -> bytes:
    """The server's signing secret (32 random bytes, hex in the file), created owner-only at first start."""
    path = Path(path)
    try:
        text = path.read_text(encoding="ascii").strip()
    except FileNotFoundError:
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:   # another process made it first: use theirs
            return load_secret(path)
        try:
            os.write(fd, (secrets.token_hex(32) + "\n").encode("ascii"))
            os.fsync(fd)
        finally:
            os.close(fd)
        text = path.read_text(encoding="ascii").strip()
    secret = bytes.fromhex(text)
    if len(secret) < 32:
        raise ValueError(f"会话密钥文件太短或已损坏：{path}；删除它，服务启动时会重新生成（所有人需重新登录）。")
    return secret


@dataclass(frozen=True)
class Session:
    token: str
    username: str
    stamp: str
    opened: float
    seen: float


class Sessions:
    """The server's open sessions. Thread-safe: routes (event loop) and script runs (threads) share it."""

    def __init__(self, secret: bytes, users_file: Path, clock: Callable[[], float] = time.time) -> None:
        self._secret = secret
        self.users_file = Path(users_file)
        self._clock = clock
        self._open: dict[str, Session] = {}
        self._lock = threading.Lock()

    def _sign(self, token: str) -> str:
        return hmac.new(self._secret, token.encode("ascii"), hashlib.sha256).hexdigest()

    def _token(self, cookie: str | None) -> str | None:
        """The token of a well-signed cookie value, else None."""
        token, _, signature = (cookie or "").partition(".")
        if not token or not signature or not hmac.compare_digest(self._sign(token), signature):
            return None
        return token

    def open(self, account: users.Account) -> str:
        """A new session for `account`: returns the cookie value."""
        token, now = secrets.token_urlsafe(32), self._clock()
        with self._lock:
            self._purge(now)
            self._open[token] = Session(token, account.username, account.stamp, now, now)
        return f"{token}.{self._sign(token)}"

    def _purge(self, now: float) -> None:
        for token in [t for t, s in self._open.items() if not self._alive(s, now)]:
            del self._open[token]

    @staticmethod
    def _alive(s: Session, now: float) -> bool:
        return now - s.opened < MAX_AGE_S and now - s.seen < IDLE_S

    def user(self, cookie: str | None) -> User | None:
        """The user of a valid session cookie, or None (and the session dropped when it has died)."""
        token = self._token(cookie)
        if token is None:
            return None
        now = self._clock()
        with self._lock:
            s = self._open.get(token)
        if s is None:
            return None
        try:
            account = users.cached(self.users_file).get(s.username)
        except users.UserError:   # a broken users file lets nobody in
            return None
        if not self._alive(s, now) or account is None or account.disabled or account.stamp != s.stamp:
            self.close(cookie)
            return None
        with self._lock:
            if token in self._open:
                self._open[token] = replace(s, seen=now)
        return account.user

    def close(self, cookie: str | None) -> str | None:
        """End a session (logout); returns the user name it was for, or None."""
        token = self._token(cookie)
        if token is None:
            return None
        with self._lock:
            s = self._open.pop(token, None)
        return s.username if s else None

    def __len__(self) -> int:
        return len(self._open)
