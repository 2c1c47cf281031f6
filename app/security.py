"""Sign-in plumbing: session users, bearer tokens, and security headers."""
from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from app.extensions import db, login_manager
from app.models import ApiToken, User
from app.models.base import utcnow


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_token(user: User, max_age_seconds: int) -> str:
    """Create a bearer token for the user; only its hash is stored."""
    token = secrets.token_urlsafe(32)
    db.session.add(ApiToken(user_id=user.id, token_hash=hash_token(token),
                            expires_at=utcnow() + timedelta(seconds=max_age_seconds)))
    return token


def user_for_token(token: str) -> User | None:
    """The token's live, unblocked member, read with its roles in one statement (every API
    request with a bearer token starts here)."""
    row = db.session.scalars(
        select(ApiToken).where(ApiToken.token_hash == hash_token(token))
        .options(joinedload(ApiToken.user).joinedload(User.role_rows))).unique().first()
    if row is None or row.revoked_at is not None or row.expires_at <= utcnow():
        return None
    return None if row.user.is_blocked else row.user


#: Keys in the (signed) Flask session: the server-side session's id (app.services.sign_ins).
SESSION_ID_KEY = "_sid"
#: The "keep me signed in" cookie: a per-sign-in random token, only its hash is stored.
REMEMBER_COOKIE = "kyoso_remember"


@login_manager.user_loader
def load_user(session_id: str) -> User | None:
    """The member of this browser session, while its server-side session lives (one query)."""
    from flask import g, session

    from app.services import sign_ins

    try:
        user_id, stamp = (int(part) for part in session_id.split(":"))
    except ValueError:
        return None
    sid = session.get(SESSION_ID_KEY)
    if not isinstance(sid, int) or isinstance(sid, bool):
        return None
    found = sign_ins.user_for_session(sid, user_id)
    if found is None or found[0].security_stamp != stamp:
        return None
    g.user_session_id = sid
    return found[0]


@login_manager.request_loader
def load_remembered_user(request) -> User | None:
    """No live session: a remember-me cookie of a live session signs the browser in again."""
    from flask import g, session

    from app.services import sign_ins

    token = request.cookies.get(REMEMBER_COOKIE)
    if not token:
        return None
    found = sign_ins.user_for_remember_token(token)
    if found is None:
        g.forget_remember_cookie = True  # ended or expired: the browser can drop it
        return None
    user, row = found
    session["_user_id"] = user.get_id()
    session[SESSION_ID_KEY] = row.id
    session["_fresh"] = False
    g.user_session_id = row.id
    return user


def current_session_id() -> int | None:
    """The server-side session of this request's browser (None for bearer tokens)."""
    from flask import g
    from flask_login import current_user

    if not current_user.is_authenticated:
        return None
    return g.get("user_session_id")


def remember_browser(token: str) -> None:
    """Send the remember-me cookie with this response (set after the request)."""
    from flask import g

    g.set_remember_cookie = token


def forget_browser() -> None:
    from flask import g

    g.forget_remember_cookie = True


def _remember_cookies(app: Flask, response):
    from flask import g, request

    from app.services import sign_ins

    token = g.pop("set_remember_cookie", None)
    if token:
        response.set_cookie(REMEMBER_COOKIE, token, max_age=sign_ins.session_days() * 86400,
                            httponly=True, samesite="Lax", path="/",
                            secure=bool(app.config.get("SESSION_COOKIE_SECURE")
                                        or request.is_secure))
    elif g.pop("forget_remember_cookie", None) and REMEMBER_COOKIE in request.cookies:
        response.delete_cookie(REMEMBER_COOKIE, path="/", httponly=True, samesite="Lax")
    return response


CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)


def init_app(app: Flask) -> None:
    login_manager.login_view = "accounts.login"
    login_manager.login_message_category = "info"

    @app.after_request
    def _remember(response):
        return _remember_cookies(app, response)

    @app.teardown_request
    def _forget_session_state(_error=None) -> None:
        """Requests that share an app context (tests, scripts) must not inherit these."""
        from flask import g

        for key in ("user_session_id", "set_remember_cookie", "forget_remember_cookie"):
            g.pop(key, None)

    @app.after_request
    def _security_headers(response):
        response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        if app.config.get("SESSION_COOKIE_SECURE"):
            response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
        return response
