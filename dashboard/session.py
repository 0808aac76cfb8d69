"""Who is using this session: the logged-in user and the query layer's Scope for them.

The seam between logins and member scope (issue 10): the login (auth.web) opens a server-side session and sets
its cookie; `user()` reads the cookie of this browser session (`st.context.cookies`) and asks the server's
sessions (auth.sessions) whom it belongs to — on every script run, so a user disabled or given a new password
since is nobody at the next rerun. `scope()` turns the user into the `query.Scope` that every query-layer call
of the session runs under. Pages never read it themselves; `dashboard.context` passes it to the query layer.
Tests may replace `user` (AppTest runs in this process).
"""

from __future__ import annotations

import streamlit as st

from auth.model import User
from auth.sessions import COOKIE
from query import Scope


def cookie() -> str | None:
    """This browser session's session cookie, as sent when it connected; None without one."""
    return st.context.cookies.get(COOKIE) or None


def user() -> User | None:
    """The logged-in user of this session; None when nobody is (no cookie, or a session that has ended)."""
    value = cookie()
    if value is None:
        return None
    from auth import web

    return web.default().sessions.user(value)


def scope() -> Scope:
    """The Scope of this session's user: a member sees its own firm identified, everyone else sees all."""
    u = user()
    if u is None:
        return Scope()
    return Scope(firm_id=u.firm_id if u.is_member else None, user=u.username)
