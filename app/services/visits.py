"""Visits: when a member was last here, and when their previous visit ended.

`users.last_seen_at` follows the member's activity (written at sign-in, and at most every
sign_ins.LAST_SEEN_EVERY while a browser session is used). A request after a pause of
NEW_VISIT_AFTER or more starts a new visit: `previous_seen_at` keeps the end of the one before
(read before last_seen_at moves on), and the "since your last visit" panel of the home page
(app.services.since_last_visit) shows what happened after it. The re-engagement job
(app.services.reengagement) reads last_seen_at to find members who stopped coming.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import case, update
from sqlalchemy.engine import Connection
from sqlalchemy.orm.attributes import set_committed_value

from app.models import User

#: A pause this long between two requests ends a visit.
NEW_VISIT_AFTER = timedelta(minutes=30)


def _new_visit(last_seen_at: datetime | None, now: datetime) -> bool:
    return last_seen_at is None or now - last_seen_at >= NEW_VISIT_AFTER


def seen(user: User, now: datetime) -> None:
    """The member is here now (sign-in, in the caller's transaction)."""
    if _new_visit(user.last_seen_at, now):
        user.previous_seen_at = user.last_seen_at
    user.last_seen_at = now


def touch(connection: Connection, user: User, now: datetime) -> None:
    """The member is here now, written on `connection` (a request's own short transaction);
    the loaded `user` reads the new values without another query."""
    connection.execute(update(User).where(User.id == user.id).values(
        previous_seen_at=case((User.last_seen_at.is_(None), User.previous_seen_at),
                              (User.last_seen_at <= now - NEW_VISIT_AFTER, User.last_seen_at),
                              else_=User.previous_seen_at),
        last_seen_at=now))
    if _new_visit(user.last_seen_at, now) and user.last_seen_at is not None:
        set_committed_value(user, "previous_seen_at", user.last_seen_at)
    set_committed_value(user, "last_seen_at", now)
