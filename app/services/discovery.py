"""Discovery: browsing, search, the home page rows, "For you" recommendations and trending.

Every list starts from app.queries (visible_ideas / idea_visibility / listed_condition), so a
hidden, draft or merged idea never appears in a listing, whoever asks.

Trending sorts by `Idea.trending_score` (support velocity with time decay), which
app.services.milestones keeps up to date (on each support, and `refresh_trending()` daily).
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import has_request_context
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, and_, desc, func, or_, select, union
from sqlalchemy.orm import aliased

from app import lifecycle
from app.extensions import db
from app.models import Category, Idea, IdeaCreator, Product, Support, Tag, idea_tags
from app.models.base import utcnow
from app.queries import card_options, gathering_condition, idea_visibility, listed_condition, \
    status_condition, visible_ideas
from app.search import search_condition

SORTS = ("trending", "supported", "newest", "expiring", "approved")
STATUSES = lifecycle.PUBLIC  # effective statuses a listing can be filtered by

SORT_LABELS = {
    "trending": _l("Trending"),
    "supported": _l("Most supported"),
    "newest": _l("Newest"),
    "expiring": _l("Expiring soon"),
    "approved": _l("Recently approved"),
}
STATUS_LABELS = {status: status.label for status in lifecycle.FILTER_ORDER}

# --- browse ---------------------------------------------------------------------------------

def _apply_sort(stmt: Select, sort: str, now: datetime) -> Select:
    if sort == "supported":
        return stmt.order_by(Idea.support_count.desc(), Idea.published_at.desc(), Idea.id.desc())
    if sort == "newest":
        return stmt.order_by(Idea.published_at.desc(), Idea.id.desc())
    if sort == "expiring":
        return stmt.where(gathering_condition(now), Idea.deadline.is_not(None)).order_by(
            Idea.deadline.asc(), Idea.id.asc())
    if sort == "approved":
        return stmt.where(Idea.status.in_(lifecycle.APPROVED_OR_LATER)).order_by(
            Idea.updated_at.desc(), Idea.id.desc())
    # trending: decayed support velocity, then the most recently published
    return stmt.order_by(Idea.trending_score.desc(), Idea.published_at.desc(), Idea.id.desc())


def browse_statement(viewer: Any, *, sort: str = "trending", status: str | None = None,
                     category: str | None = None, tag: str | None = None,
                     q: str | None = None, now: datetime | None = None) -> Select:
    """The listing query (validated values; unknown sort falls back to trending)."""
    now = now or utcnow()
    stmt = visible_ideas(viewer)
    if status:
        stmt = stmt.where(status_condition(status, now))
    if category:
        stmt = stmt.where(Idea.category_id.in_(
            select(Category.id).where(Category.slug == category)))
    if tag:
        stmt = stmt.where(Idea.id.in_(
            select(idea_tags.c.idea_id).join(Tag, Tag.id == idea_tags.c.tag_id)
            .where(Tag.name == tag.strip().lower())))
    if q and q.strip():
        stmt = stmt.where(search_condition(q))
    return _apply_sort(stmt, sort if sort in SORTS else "trending", now)


def browse(viewer: Any, *, sort: str = "trending", status: str | None = None,
           category: str | None = None, tag: str | None = None, q: str | None = None,
           page: int = 1, per_page: int = 24, options: Sequence = ()) -> tuple[list[Idea], int]:
    """One page of the ideas this viewer may see in listings, and the total count.

    Two queries plus the card eager loads, whatever the page size."""
    stmt = browse_statement(viewer, sort=sort, status=status, category=category, tag=tag, q=q)
    total = db.session.scalar(select(func.count()).select_from(
        stmt.order_by(None).with_only_columns(Idea.id).subquery())) or 0
    page = max(1, page)
    items = list(db.session.scalars(
        stmt.options(*options).limit(per_page).offset((page - 1) * per_page)).unique())
    return items, total


def validate_browse_args(sort: str | None, status: str | None) -> dict[str, str]:
    """Field errors for unknown sort/status values (empty when valid)."""
    errors = {}
    if sort and sort not in SORTS:
        errors["sort"] = f"sort must be one of: {', '.join(SORTS)}"
    if status and status not in STATUSES:
        errors["status"] = f"status must be one of: {', '.join(STATUSES)}"
    return errors


def categories() -> list[Category]:
    return list(db.session.scalars(select(Category).order_by(Category.name)))


def popular_tags(limit: int = 20) -> list[tuple[str, int]]:
    """The tags most used by listed ideas, with their counts."""
    stmt = (select(Tag.name, func.count().label("n"))
            .join(idea_tags, idea_tags.c.tag_id == Tag.id)
            .join(Idea, Idea.id == idea_tags.c.idea_id)
            .where(listed_condition())
            .group_by(Tag.name).order_by(desc("n"), Tag.name).limit(limit))
    return [(name, n) for name, n in db.session.execute(stmt)]


# --- home rows ------------------------------------------------------------------------------

def load_cards(ids: Sequence[int]) -> dict[int, Idea]:
    """The ideas with these ids, eager-loaded for cards (one query plus the eager loads)."""
    if not ids:
        ids = [-1]  # keep the query count the same when a row is empty
    ideas = db.session.scalars(select(Idea).where(Idea.id.in_(list(ids))).options(
        *card_options())).unique()
    return {idea.id: idea for idea in ideas}


def _ids(stmt: Select) -> list[int]:
    return list(db.session.scalars(stmt))


def _listed_ids(viewer: Any) -> Select:
    return select(Idea.id).where(idea_visibility(viewer), listed_condition())


def home_rows(viewer: Any, limit: int = 4, now: datetime | None = None) -> dict[str, list[int]]:
    """Idea ids for the home page rows (load them with load_cards in one go)."""
    now = now or utcnow()
    base = _listed_ids(viewer)
    return {
        "expiring": _ids(base.where(gathering_condition(now), Idea.deadline.is_not(None))
                         .order_by(Idea.deadline.asc(), Idea.id).limit(limit)),
        "newest": _ids(base.order_by(Idea.published_at.desc(), Idea.id.desc()).limit(limit)),
        "approved": _ids(base.where(Idea.status.in_(lifecycle.APPROVED_OR_LATER))
                         .order_by(Idea.updated_at.desc(), Idea.id.desc()).limit(limit)),
    }


def trending_ids(viewer: Any, limit: int = 8, now: datetime | None = None) -> list[int]:
    """Ideas gathering support, by trending score."""
    return _ids(_listed_ids(viewer).where(gathering_condition(now or utcnow())).order_by(
        Idea.trending_score.desc(), Idea.published_at.desc(), Idea.id.desc()).limit(limit))


def programme_stats() -> dict[str, int]:
    """Public figures of the programme: listed ideas, distinct supporters, products."""
    row = db.session.execute(select(
        select(func.count()).select_from(Idea).where(listed_condition()).scalar_subquery(),
        select(func.count(func.distinct(Support.user_id))).scalar_subquery(),
        select(func.count()).select_from(Product).scalar_subquery(),
    )).one()
    return {"ideas": row[0] or 0, "supporters": row[1] or 0, "products": row[2] or 0}


# --- "For you" --------------------------------------------------------------------------------

RECENT_SUPPORTS = 20  # the member's latest supports used to find like-minded members
PEER_LIMIT = 500  # like-minded members considered (the latest supporters first)


def _eligible(user: Any, now: datetime):
    """Ideas we may recommend: listed, visible, gathering, not own, not already supported."""
    own = select(IdeaCreator.idea_id).where(IdeaCreator.user_id == user.id)
    mine = select(Support.idea_id).where(Support.user_id == user.id)
    return and_(idea_visibility(user), listed_condition(), gathering_condition(now),
                Idea.id.not_in(own), Idea.id.not_in(mine))


@dataclass(frozen=True)
class Reason:
    """Why an idea is recommended. str() gives the sentence in the reader's language; it has no
    __html__, so templates escape the idea titles and tag names it contains."""

    kind: str  # supported | tag | category | fresh | trending
    subject: str = ""

    def __str__(self) -> str:
        if self.kind == "supported":
            return _t("Because you supported “%(title)s”", title=self.subject)
        if self.kind == "tag":
            return _t("Because you like #%(tag)s", tag=self.subject)
        if self.kind == "category":
            return _t("More in %(category)s", category=self.subject)
        if self.kind == "fresh":
            return _t("Fresh idea, just published")
        return _t("Trending now")


def _t(text: str, **values: str) -> str:
    """The reader's language inside a request; English elsewhere (CLI, tests)."""
    if has_request_context():
        return gettext(text, **values)
    return text % values if values else text


def recommended_for(user: Any, limit: int = 8,
                    now: datetime | None = None) -> list[tuple[Idea, Reason]]:
    """Up to `limit` (idea, reason) pairs for this member.

    First ideas supported by the people who supported what the member supported ("Because you
    supported X"), then ideas in the member's categories and tags, then fresh ones. Never the
    member's own, already supported, hidden or closed ideas. Members who have supported nothing
    yet get trending ideas. A fixed number of queries, whatever the data.
    """
    now = now or utcnow()
    if user is None or not getattr(user, "is_authenticated", False):
        return [(idea, Reason("trending")) for idea in _ordered(trending_ids(None, limit, now))]
    eligible = _eligible(user, now)
    has_supported = db.session.scalar(select(Support.id).where(Support.user_id == user.id)
                                      .limit(1)) is not None
    if not has_supported:
        ids = _ids(select(Idea.id).where(eligible).order_by(
            Idea.trending_score.desc(), Idea.published_at.desc(), Idea.id.desc()).limit(limit))
        return [(idea, Reason("trending")) for idea in _ordered(ids)]

    reasons: dict[int, Reason] = {}
    order: list[int] = []

    def take(idea_id: int, reason: Reason) -> None:
        if idea_id not in reasons and len(order) < limit:
            reasons[idea_id] = reason
            order.append(idea_id)

    # 1. Supported by the same people: the latest supporters of the member's latest supports
    # (a bounded set, read once), then what they supported, counted.
    # Only supports of ideas still listed: "Because you supported X" never names a hidden idea.
    recent_mine = (select(Support.idea_id).join(Idea, Idea.id == Support.idea_id)
                   .where(Support.user_id == user.id, idea_visibility(user), listed_condition())
                   .order_by(Support.created_at.desc(), Support.id.desc()).limit(RECENT_SUPPORTS))
    peers = list(dict.fromkeys(_ids(
        select(Support.user_id).where(Support.idea_id.in_(recent_mine),
                                      Support.user_id != user.id)
        .order_by(Support.created_at.desc(), Support.id.desc()).limit(PEER_LIMIT)))) or [-1]
    # Aggregate the peers' supports first (from the user index), then keep the eligible ideas:
    # the other way round, the database probes every gathering idea for every peer.
    peer_picks = (select(Support.idea_id.label("idea_id"), func.count().label("shared"))
                  .where(Support.user_id.in_(peers)).group_by(Support.idea_id).subquery())
    candidates = _ids(
        select(peer_picks.c.idea_id).join(Idea, Idea.id == peer_picks.c.idea_id).where(eligible)
        .order_by(peer_picks.c.shared.desc(), peer_picks.c.idea_id.desc()).limit(limit))
    # For each candidate, the member's supported idea that shares the most of those peers.
    theirs, ours = aliased(Support), aliased(Support)
    because_rows = db.session.execute(
        select(theirs.idea_id, Idea.title, func.count().label("n"))
        .select_from(ours)
        .join(theirs, theirs.user_id == ours.user_id)
        .join(Idea, Idea.id == ours.idea_id)
        .where(ours.user_id.in_(peers), theirs.user_id.in_(peers),
               ours.idea_id.in_(recent_mine), theirs.idea_id.in_(candidates or [-1]))
        .group_by(theirs.idea_id, ours.idea_id, Idea.title)
        .order_by(desc("n"), ours.idea_id.desc())).all()
    because: dict[int, str] = {}
    for candidate_id, title, _n in because_rows:
        because.setdefault(candidate_id, title)
    for candidate_id in candidates:
        take(candidate_id, Reason("supported", because.get(candidate_id, "")))

    # 2. The member's categories and tags (from what they supported or created).
    liked = union(select(Support.idea_id).where(Support.user_id == user.id),
                  select(IdeaCreator.idea_id).where(IdeaCreator.user_id == user.id))
    liked_categories = set(_ids(select(Idea.category_id).where(
        Idea.id.in_(liked), Idea.category_id.is_not(None)).distinct()))
    liked_tags = set(_ids(select(idea_tags.c.tag_id).where(idea_tags.c.idea_id.in_(liked))
                          .distinct()))
    affinity = _ids(
        select(Idea.id).where(eligible, or_(
            Idea.category_id.in_(liked_categories or [-1]),
            Idea.id.in_(select(idea_tags.c.idea_id).where(
                idea_tags.c.tag_id.in_(liked_tags or [-1])))))
        .order_by(Idea.trending_score.desc(), Idea.published_at.desc(), Idea.id.desc())
        .limit(limit * 2))

    # 3. Fresh ideas.
    fresh = _ids(select(Idea.id).where(eligible).order_by(
        Idea.published_at.desc(), Idea.id.desc()).limit(limit * 2))

    cards = load_cards(list(dict.fromkeys([*candidates, *affinity, *fresh])))
    for idea_id in affinity:
        idea = cards.get(idea_id)
        if idea is None:
            continue
        tag = next((t.name for t in idea.tags if t.id in liked_tags), None)
        if tag:
            take(idea_id, Reason("tag", tag))
        elif idea.category is not None:
            take(idea_id, Reason("category", idea.category.name))
    for idea_id in fresh:
        take(idea_id, Reason("fresh"))
    return [(cards[idea_id], reasons[idea_id]) for idea_id in order if idea_id in cards]


def _ordered(ids: Sequence[int]) -> list[Idea]:
    cards = load_cards(ids)
    return [cards[i] for i in ids if i in cards]
