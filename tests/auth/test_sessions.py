"""Server-side sessions: the secret file (owner-only, made once), signed opaque cookies, expiry, and the users
file consulted on every check."""

from __future__ import annotations

import stat

import pytest

from auth import sessions, users


@pytest.fixture(scope="module")
def account_bytes(tmp_path_factory):
    path = tmp_path_factory.mktemp("u") / "users.json"
    users.add(path, "an", "analyst", "a-long-password-1")
    return path.read_bytes()


@pytest.fixture
def users_file(tmp_path, account_bytes):
    path = tmp_path / "users.json"
    path.write_bytes(account_bytes)
    return path


def test_the_secret_is_made_once_owner_only_and_reused(tmp_path):
    path = tmp_path / "keys" / "session.key"
    first = sessions.load_secret(path)
    assert len(first) == 32 and stat.S_IMODE(path.stat().st_mode) == 0o600
    assert sessions.load_secret(path) == first
    path.write_text("abcd\n")
    with pytest.raises(ValueError, match="太短或已损坏"):
        sessions.load_secret(path)


def test_the_secret_defaults_under_data_and_the_environment_overrides(monkeypatch, tmp_path):
    monkeypatch.delenv(sessions.SECRET_ENV, raising=False)
    assert sessions.secret_path() == sessions.DEFAULT_SECRET and sessions.DEFAULT_SECRET.parts[0] == "data"
    monkeypatch.setenv(sessions.SECRET_ENV, str(tmp_path / "k"))
    assert sessions.secret_path() == tmp_path / "k"


def test_a_session_lives_until_it_is_closed_or_too_old_or_idle(users_file):
    now = [1000.0]
    store = sessions.Sessions(b"k" * 32, users_file, clock=lambda: now[0])
    account = users.load(users_file)["an"]
    cookie = store.open(account)
    assert store.user(cookie).username == "an"
    now[0] += sessions.IDLE_S - 1
    assert store.user(cookie) is not None            # used: the idle clock restarts
    now[0] += sessions.IDLE_S + 1
    assert store.user(cookie) is None and len(store) == 0   # idle too long: dropped
    cookie = store.open(account)
    for _ in range(int(sessions.MAX_AGE_S // (sessions.IDLE_S - 60)) + 1):
        now[0] += sessions.IDLE_S - 60
        store.user(cookie)
    assert store.user(cookie) is None                 # kept busy, still over after MAX_AGE_S
    cookie = store.open(account)
    assert store.close(cookie) == "an" and store.user(cookie) is None and store.close(cookie) is None


def test_the_account_is_checked_on_every_use(users_file):
    store = sessions.Sessions(b"k" * 32, users_file)
    cookie = store.open(users.load(users_file)["an"])
    users.reset_password(users_file, "an", "other-password-2")
    assert store.user(cookie) is None
    cookie = store.open(users.load(users_file)["an"])
    users.remove(users_file, "an")
    assert store.user(cookie) is None


def test_a_broken_users_file_lets_nobody_in(users_file):
    store = sessions.Sessions(b"k" * 32, users_file)
    cookie = store.open(users.load(users_file)["an"])
    users_file.write_text("{broken", encoding="utf-8")
    assert store.user(cookie) is None


def test_cookies_are_opaque_and_signed(users_file):
    store = sessions.Sessions(b"k" * 32, users_file)
    cookie = store.open(users.load(users_file)["an"])
    token, signature = cookie.split(".")
    assert "an" not in token and len(token) >= 40
    assert store.user(f"{token}.{'0' * 64}") is None and store.user(token) is None and store.user(None) is None
    assert store.user(f"{token[:-1]}x.{signature}") is None
