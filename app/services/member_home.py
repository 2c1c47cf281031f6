"""The signed-in member's home page: their ideas' progress, the ideas they support that are
close to their deadline, the nudges to share them (For you and "since your last visit" have services of their own).
Each part is one query with a LIMIT (cards eager-loaded), whatever the data."""
from __future__ import annotations

from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import select

from app.extensions import db
from app.models import Idea, IdeaCreator, Notification, Support, User
from app.models.base import utcnow
from app.queries import card_options, gathering_condition, listed_condition
from app.permissions import idea_visibility

MY_IDEAS_LIMIT = 4
CLOSING_LIMIT = 4
NUDGES_LIMIT = 3
#: The notification kinds of app.services.nudges.
NUDGE_KINDS = ("support_nudge", "support_nudge_one")


def my_ideas(user: User, limit: int = MY_IDEAS_LIMIT) -> list[Idea]:
    """The member's own ideas (owner or co-creator), drafts included, latest change first."""
    mine = select(IdeaCreator.idea_id).where(IdeaCreator.user_id == user.id)
    return list(db.session.scalars(
        select(Idea).where(Idea.id.in_(mine), idea_visibility(user), Idea.merged_into_id.is_(None))
        .options(*card_options()).order_by(Idea.updated_at.desc(), Idea.id.desc())
        .limit(limit)).unique())


def closing_soon(user: User, limit: int = CLOSING_LIMIT,
                 now: datetime | None = None) -> list[Idea]:
    """Ideas the member supports that still gather support and whose deadline comes within
    HOME_DEADLINE_DAYS, the closest first."""
    now = now or utcnow()
    within = now + timedelta(days=current_app.config["HOME_DEADLINE_DAYS"])
    supported = select(Support.idea_id).where(Support.user_id == user.id)
    return list(db.session.scalars(
        select(Idea).where(Idea.id.in_(supported), listed_condition(), gathering_condition(now),
                           Idea.deadline <= within)
        .options(*card_options()).order_by(Idea.deadline, Idea.id).limit(limit)).unique())


def nudges(user: User, limit: int = NUDGES_LIMIT,
           now: datetime | None = None) -> list[tuple[Notification, Idea]]:
    """The member's unread nudges ("“Lamp” needs 12 more supporters by 6 Dec: share it!") of
    the last NUDGE_INTERVAL_DAYS for ideas still gathering support, newest first, each with its
    idea; rendered by the page in the member's language and time zone. One query over the
    (user_id, created_at) index."""
    now = now or utcnow()
    since = now - timedelta(days=int(current_app.config.get("NUDGE_INTERVAL_DAYS", 7)))
    rows = db.session.execute(
        select(Notification, Idea).join(Idea, Idea.id == Notification.idea_id)
        .where(Notification.user_id == user.id, Notification.created_at >= since,
               Notification.kind.in_(NUDGE_KINDS), Notification.read_at.is_(None),
               listed_condition(), gathering_condition(now))
        .order_by(Notification.created_at.desc(), Notification.id.desc()).limit(limit)).all()
    return [(row[0], row[1]) for row in rows]
