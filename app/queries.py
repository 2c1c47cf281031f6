"""Shared read queries. idea_visibility() is the one filter every listing, search and API uses
(it lives in app.permissions, beside may_view_idea, its Python twin)."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Select, and_, false, literal_column, or_, select
from sqlalchemy.orm import joinedload, selectinload

from app import lifecycle
from app.lifecycle import IdeaStatus
from app.extensions import db
from app.models import Comment, Idea, IdeaImage, User
from app.models.base import utcnow
from app.permissions import idea_visibility


def _literal_statuses(statuses) -> list:
    """Statuses as SQL literals, not bound parameters: the partial indexes of the listings
    (app.models.ideas) have them in their predicates, and a planner proves that a query implies
    a predicate only from constants (PostgreSQL's generic plans, SQLite always)."""
    return [literal_column(f"'{status}'") for status in statuses]


def _not_hidden_not_merged():
    return and_(Idea.hidden.is_(False), Idea.merged_into_id.is_(None))


def listed_condition():
    """What public listings show, for everyone: public states, not hidden, not merged away.

    Every viewer may open every listed idea (idea_visibility is true for them: public and not
    hidden), so listings need no per-viewer condition on top of this one."""
    return and_(Idea.status.in_(_literal_statuses(lifecycle.PUBLIC)), _not_hidden_not_merged())


def approved_condition():
    """Listed and approved, in production or on sale (the "Recently approved" listing)."""
    return and_(Idea.status.in_(_literal_statuses(lifecycle.APPROVED_OR_LATER)),
                _not_hidden_not_merged())


def gathering_condition(now: datetime | None = None):
    """Published and its deadline not yet passed (a passed deadline counts as expired at once)."""
    now = now or utcnow()
    return and_(Idea.status == literal_column(f"'{IdeaStatus.PUBLISHED}'"),
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


def card_options(*, tags: bool = True):
    """Eager loads for idea cards: a list page costs the same queries for 5 items or 50 (the
    category and owner joined into the page's query, images and tags one query each). A card
    shows no tags: `tags=False` where nothing else reads them (the list pages)."""
    return (selectinload(Idea.images), joinedload(Idea.category),
            joinedload(Idea.owner).lazyload(User.role_rows),  # a card shows no roles
            *((selectinload(Idea.tags),) if tags else ()))


def visible_ideas(viewer: Any, *, listing: bool = True) -> Select:
    """Ideas this viewer may see; `listing` restricts to what public listings show, which every
    viewer may see (so the listing needs no per-viewer condition, and its partial indexes
    serve everyone alike)."""
    if listing:
        stmt = select(Idea).where(listed_condition())
    else:
        stmt = select(Idea).where(idea_visibility(viewer))
    return stmt.options(*card_options())


def visible_idea(viewer: Any, idea_id: int, *options) -> Idea | None:
    """The idea if this viewer may see it, else None: one query with the visibility filter in
    SQL, so an idea that exists but is hidden from the viewer (a draft, hidden, another's)
    costs exactly what a missing id costs, and the two 404s cannot be told apart by their
    timing or work (the eager ``options`` only run for a row the viewer may see)."""
    return db.session.scalar(select(Idea).where(Idea.id == idea_id, idea_visibility(viewer))
                             .options(*options))


def visible_comment(viewer: Any, comment_id: int) -> tuple[Comment, Idea] | None:
    """A comment on an idea this viewer may see, with that idea, else None (one query)."""
    row = db.session.execute(select(Comment, Idea).join(Idea, Idea.id == Comment.idea_id)
                             .where(Comment.id == comment_id, idea_visibility(viewer))).first()
    return (row[0], row[1]) if row else None


def visible_image(viewer: Any, key: str) -> tuple[IdeaImage, bool] | None:
    """An idea image whose idea this viewer may see, and whether that idea is public (shown to
    everyone, so the file may be cached by everyone), else None (one query)."""
    public = and_(Idea.status.in_(lifecycle.PUBLIC), Idea.hidden.is_(False))
    row = db.session.execute(select(IdeaImage, public).join(Idea, Idea.id == IdeaImage.idea_id)
                             .where(IdeaImage.key == key, idea_visibility(viewer))).first()
    return (row[0], bool(row[1])) if row else None
