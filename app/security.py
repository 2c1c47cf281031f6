"""Sign-in plumbing: session users, bearer tokens, and security headers."""
from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from flask import Flask
from sqlalchemy import select

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
    row = db.session.scalar(select(ApiToken).where(ApiToken.token_hash == hash_token(token)))
    if row is None or row.revoked_at is not None or row.expires_at <= utcnow():
        return None
    return None if row.user.is_blocked else row.user


@login_manager.user_loader
def load_user(session_id: str) -> User | None:
    try:
        user_id, stamp = (int(part) for part in session_id.split(":"))
    except ValueError:
        return None
    user = db.session.get(User, user_id)
    if user is None or user.security_stamp != stamp or user.is_blocked:
        return None
    return user


CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)


def init_app(app: Flask) -> None:
    login_manager.login_view = "accounts.login"
    login_manager.login_message_category = "info"

    @app.after_request
    def _security_headers(response):
        response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        if app.config.get("SESSION_COOKIE_SECURE"):
            response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
        return response
