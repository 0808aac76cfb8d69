"""Who is using this session: the logged-in user and the query layer's Scope for them.

The seam between logins and member scope (issue 10): the login sets the user, `scope()` turns it into the
`query.Scope` that every query-layer call of the session runs under. Pages never read it themselves;
`dashboard.context` passes it to the query layer. Tests may replace `user` (AppTest runs in this process).
"""

from __future__ import annotations

from auth.model import User
from query import Scope


def user() -> User | None:
    """The logged-in user of this session; None when nobody is logged in. Until logins land: nobody."""
    return None


def scope() -> Scope:
    """The Scope of this session's user: a member sees its own firm identified, everyone else sees all."""
    u = user()
    if u is None:
        return Scope()
    return Scope(firm_id=u.firm_id if u.is_member else None, user=u.username)
