"""Who is using this session: the logged-in user and the query layer's Scope for them.

The seam between logins and member scope (issue 10): the login sets the user, `scope()` turns it into the
`query.Scope` that every query-layer call of the session runs under. Pages never read it themselves;
`dashboard.context` passes it to the query layer.
"""

from __future__ import annotations

from query import Scope


def scope() -> Scope:
    """The Scope of this session's user. Until logins land, everyone is the secretariat."""
    return Scope()
