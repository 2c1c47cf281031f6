"""Shared read queries. idea_visibility() is the one filter every listing, search and API uses
(it lives in app.permissions, beside may_view_idea, its Python twin)."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Select, and_, false, or_, select
from sqlalchemy.orm import selectinload

from app import lifecycle
from app.lifecycle import IdeaStatus
from app.models import Idea
from app.models.base import utcnow
from app.permissions import idea_visibility


def listed_condition():
    """What public listings show, for everyone: public states, not hidden, not merged away."""
    return and_(Idea.status.in_(lifecycle.PUBLIC), Idea.hidden.is_(False),
                Idea.merged_into_id.is_(None))


def gathering_condition(now: datetime | None = None):
    """Published and its deadline not yet passed (a passed deadline counts as expired at once)."""
    now = now or utcnow()
    return and_(Idea.status == IdeaStatus.PUBLISHED,
                or_(Idea.deadline.is_(None), Idea.deadline > now))


def expired_condition(now: datetime | None = None):
    now = now or utcnow()
    return or_(Idea.status == IdeaStatus.EXPIRED,
               and_(Idea.status == IdeaStatus.PUBLISHED, Idea.deadline <= now))


def status_condition(status: str, now: datetime | None = None):
    """Filter by the status a viewer sees (effective status), not the stored one."""
    if status == IdeaStatus.PUBLISHED:
        return gathering_condition(now)
    if status == IdeaStatus.EXPIRED:
        return expired_condition(now)
    return Idea.status == status if status else false()


def card_options():
    """Eager loads for idea cards: a list page costs the same queries for 5 items or 50."""
    return (selectinload(Idea.images), selectinload(Idea.category), selectinload(Idea.owner),
            selectinload(Idea.tags))


def visible_ideas(viewer: Any, *, listing: bool = True) -> Select:
    """Ideas this viewer may see; `listing` also restricts to what public listings show."""
    stmt = select(Idea).where(idea_visibility(viewer))
    if listing:
        stmt = stmt.where(listed_condition())
    return stmt.options(*card_options())
