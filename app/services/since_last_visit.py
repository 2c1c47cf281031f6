"""What happened since a member's last visit: the home page panel and the re-engagement mail
read the same digest.

- moves: ideas the member supports, follows or created that reached a milestone or changed
  status (events by the member themselves left out);
- results: the same for review decisions and the product steps after them (approved, on hold,
  not approved, in production, on sale);
- updates: creators' updates on those ideas;
- new ideas: ideas published since, in the categories of the ideas they supported or posted.

Only listed ideas (app.queries.listed_condition), whoever asks: a hidden, merged or
unpublished idea never appears. A digest costs a fixed number of queries whatever the data
(each part is one query with a LIMIT, the new ideas' cards two more).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import or_, select, union
from sqlalchemy.orm import aliased

from app import lifecycle
from app.extensions import db
from app.lifecycle import IdeaStatus
from app.models import Comment, Idea, IdeaCreator, IdeaEvent, IdeaFollow, Support, User
from app.queries import card_options, listed_condition

#: How many of each part a digest holds (the most recent first).
MOVES_LIMIT = 8
UPDATES_LIMIT = 5
NEW_IDEAS_LIMIT = 4

#: Statuses whose arrival is a result (the review's answer and the product's steps).
RESULT_STATUSES = (*lifecycle.REVIEW_DECISIONS, IdeaStatus.IN_PRODUCTION, IdeaStatus.ON_SALE)
#: Statuses whose arrival is news to the idea's audience (public ones; "published" is news only
#: to the creators, who get their own notification).
MOVE_STATUSES = tuple(status for status in lifecycle.PUBLIC if status != IdeaStatus.PUBLISHED)
_COUNT = re.compile(r"^(\d+)")


@dataclass(frozen=True)
class Move:
    """One thing that happened to an idea: a milestone (`milestone` supporters) or a status."""

    idea_id: int
    title: str
    at: datetime
    status: str | None = None
    milestone: int | None = None

    @property
    def status_label(self) -> str:
        return str(lifecycle.IdeaStatus(self.status).label) if self.status else ""


@dataclass(frozen=True)
class Update:
    idea_id: int
    title: str
    author: str
    at: datetime


@dataclass
class Digest:
    since: datetime | None
    moves: list[Move] = field(default_factory=list)
    results: list[Move] = field(default_factory=list)
    updates: list[Update] = field(default_factory=list)
    new_ideas: list[Idea] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (self.moves or self.results or self.updates or self.new_ideas)


def _interest(user_id: int):
    """Ideas the member supports, follows or created (ids)."""
    return union(select(Support.idea_id).where(Support.user_id == user_id),
                 select(IdeaFollow.idea_id).where(IdeaFollow.user_id == user_id),
                 select(IdeaCreator.idea_id).where(IdeaCreator.user_id == user_id))


def _their_categories(user_id: int):
    """Categories of the ideas the member supported or posted."""
    ideas = union(select(Support.idea_id).where(Support.user_id == user_id),
                  select(IdeaCreator.idea_id).where(IdeaCreator.user_id == user_id)).subquery()
    theirs = aliased(Idea)  # not correlated with the outer query's ideas
    return select(theirs.category_id).where(theirs.id.in_(select(ideas.c[0])),
                                            theirs.category_id.is_not(None)).distinct()


def _milestone(reason: str | None) -> int | None:
    match = _COUNT.match(reason or "")
    return int(match.group(1)) if match else None


def digest(user: User, since: datetime | None, *, now: datetime | None = None) -> Digest:
    """What happened after `since` (None: nothing to tell, e.g. a first visit)."""
    result = Digest(since=since)
    if since is None:
        return result
    interest = _interest(user.id).subquery()
    in_interest = Idea.id.in_(select(interest.c[0]))
    events = db.session.execute(
        select(IdeaEvent.idea_id, Idea.title, IdeaEvent.created_at, IdeaEvent.kind,
               IdeaEvent.to_status, IdeaEvent.reason)
        .join(Idea, Idea.id == IdeaEvent.idea_id)
        .where(in_interest, listed_condition(), IdeaEvent.created_at > since,
               or_(IdeaEvent.actor_id.is_(None), IdeaEvent.actor_id != user.id),
               or_(IdeaEvent.kind == "milestone_reached",
                   IdeaEvent.to_status.in_([str(s) for s in MOVE_STATUSES])))
        .order_by(IdeaEvent.created_at.desc(), IdeaEvent.id.desc())
        .limit(2 * MOVES_LIMIT)).all()
    for idea_id, title, at, kind, to_status, reason in events:
        if kind == "milestone_reached":
            count = _milestone(reason)
            if count is not None and len(result.moves) < MOVES_LIMIT:
                result.moves.append(Move(idea_id, title, at, milestone=count))
        elif to_status in RESULT_STATUSES:
            if len(result.results) < MOVES_LIMIT:
                result.results.append(Move(idea_id, title, at, status=to_status))
        elif len(result.moves) < MOVES_LIMIT:
            result.moves.append(Move(idea_id, title, at, status=to_status))
    result.updates = [Update(idea_id, title, author, at) for idea_id, title, author, at in
                      db.session.execute(
        select(Comment.idea_id, Idea.title, User.display_name, Comment.created_at)
        .join(Idea, Idea.id == Comment.idea_id).join(User, User.id == Comment.author_id)
        .where(in_interest, listed_condition(), Comment.is_update.is_(True),
               Comment.hidden.is_(False), Comment.deleted_at.is_(None),
               Comment.created_at > since, Comment.author_id != user.id)
        .order_by(Comment.created_at.desc(), Comment.id.desc()).limit(UPDATES_LIMIT)).all()]
    result.new_ideas = list(db.session.scalars(
        select(Idea).where(listed_condition(), Idea.published_at > since,
                           Idea.category_id.in_(_their_categories(user.id)),
                           ~in_interest)
        .options(*card_options())
        .order_by(Idea.published_at.desc(), Idea.id.desc()).limit(NEW_IDEAS_LIMIT)).unique())
    return result
