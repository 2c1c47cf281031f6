"""Helpers for view and API tests."""
from __future__ import annotations

import re

CSRF_META = re.compile(r'<meta name="csrf-token" content="([^"]+)"')


def csrf_token(client, path: str = "/") -> str:
    """The CSRF token of the client's session, read from a page as a browser would."""
    html = client.get(path).get_data(as_text=True)
    match = CSRF_META.search(html)
    assert match, "page has no csrf-token meta tag"
    return match.group(1)


def login(client, user) -> None:
    """Sign the test client in as user (the sign-in form itself is tested in its own tests): a
    server-side session, as the sign-in form starts one, and its id in the cookie session."""
    from app.extensions import db
    from app.security import SESSION_ID_KEY
    from app.services import sign_ins

    started = sign_ins.start_session(user, user_agent="test client")
    db.session.commit()
    with client.session_transaction() as session:
        session["_user_id"] = user.get_id()
        session[SESSION_ID_KEY] = started.row.id
        session["_fresh"] = True


def bearer(user) -> dict[str, str]:
    """Authorization headers with a fresh API token for user."""
    from app.extensions import db
    from app.security import issue_token

    token = issue_token(user, 3600)
    db.session.commit()
    return {"Authorization": f"Bearer {token}"}


def warm_caches() -> None:
    """Read what a running server keeps between requests (the policy versions in force), so a
    test comparing two requests' query counts compares like with like."""
    from app.services import policies

    policies.current_versions()
