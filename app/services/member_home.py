"""The signed-in member's home page: their ideas' progress and the ideas they support that are
close to their deadline (For you and "since your last visit" have services of their own).
Each part is one query with a LIMIT (cards eager-loaded), whatever the data."""
from __future__ import annotations

from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import select

from app.extensions import db
from app.models import Idea, IdeaCreator, Support, User
from app.models.base import utcnow
from app.queries import card_options, gathering_condition, listed_condition
from app.permissions import idea_visibility

MY_IDEAS_LIMIT = 4
CLOSING_LIMIT = 4


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
