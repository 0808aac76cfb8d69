"""dashboard.session: the browser session's cookie → the server's session → the user (re-checked on every run),
and the user → the query layer's Scope."""

from __future__ import annotations

import pytest

from auth import users, web
from dashboard import session
from query import Scope


@pytest.fixture
def gate(tmp_path, monkeypatch) -> web.Gate:
    path = tmp_path / "users.json"
    users.add(path, "mem", "member", "a-long-password-1", firm_id="F003", name="示例财险")
    gate = web.Gate.create(path, tmp_path / "secret.key", tmp_path / "wh")
    monkeypatch.setattr(web, "default", lambda: gate)
    return gate


def test_no_cookie_is_nobody_and_sees_no_firm_identified_by_default():
    assert session.cookie() is None and session.user() is None   # outside a browser session: no cookie


def test_the_cookie_names_the_user_until_the_account_changes(gate, monkeypatch):
    cookie = gate.sessions.open(users.load(gate.users_file)["mem"])
    monkeypatch.setattr(session, "cookie", lambda: cookie)
    user = session.user()
    assert (user.username, user.role, user.firm_id, user.name) == ("mem", "member", "F003", "示例财险")
    assert session.scope() == Scope(firm_id="F003", user="mem")
    users.set_disabled(gate.users_file, "mem", True)
    assert session.user() is None                                # the next run: nobody
    monkeypatch.setattr(session, "cookie", lambda: "forged.0000")
    assert session.user() is None
