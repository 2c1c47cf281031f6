"""Support milestones and deadlines, qualification, expiry, resubmission and the trending score.

The numbers live in the settings SUPPORT_MILESTONES and SUPPORT_WINDOWS_DAYS: the first window
counts from publication, each later one from reaching the previous milestone; reaching the last
milestone qualifies the idea for review.
"""
from __future__ import annotations

import logging
from datetime import date, datetime, timedelta

from flask import current_app
from sqlalchemy import case, func, select, text, update

from app import labels, permissions
from app.errors import Conflict
from app.extensions import db
from app.lifecycle import IdeaStatus
from app.models import Idea, IdeaCreator, Support, User
from app.models.base import utcnow
from app.permissions import Action
from app import notification_kinds as kinds
from app.services import counters, events, fan_out, review
from app.i18n import _


log = logging.getLogger(__name__)

#: Trending: a support counts this much on its first day and half as much each day after,
#: for a week ("support velocity with time decay"), in integer points.
TRENDING_DAY_WEIGHTS = (1000, 500, 250, 125, 62, 31, 15)
FRESH_SUPPORT_WEIGHT = TRENDING_DAY_WEIGHTS[0]


def sqlite_write_lock() -> None:
    """SQLite ignores FOR UPDATE: take the database write lock now, so that what is read next is
    current and stays so until commit (SQLite has one writer at a time). No-op elsewhere."""
    if db.session.get_bind().dialect.name == "sqlite":
        db.session.execute(text("UPDATE ideas SET id = id WHERE 0 = 1"))


def _settings() -> tuple[list[int], list[int]]:
    config = current_app.config
    return list(config["SUPPORT_MILESTONES"]), list(config["SUPPORT_WINDOWS_DAYS"])


def start_gathering(idea: Idea, now: datetime | None = None) -> None:
    """Set the first milestone and its deadline; call when an idea is published."""
    milestones, windows = _settings()
    now = now or utcnow()
    idea.next_milestone = milestones[0]
    idea.deadline = now + timedelta(days=windows[0])


def advance(idea: Idea, actor: User | None = None, *,
            support_count: int | None = None) -> list[int]:
    """Record each milestone the idea's support count has reached (several at once after a
    merge), move to the next milestone and its deadline, or qualify the idea after the last.

    Call with the idea's row locked and `support_count` the exact count (app.services.counters;
    by default the idea's own). Returns the milestones reached by this call (empty when none).
    """
    count = idea.support_count if support_count is None else support_count
    now = utcnow()
    if idea.status != IdeaStatus.PUBLISHED or idea.next_milestone is None \
            or (idea.deadline is not None and idea.deadline <= now):
        return []
    milestones, windows = _settings()
    reached: list[int] = []
    qualified = False
    while idea.next_milestone is not None and count >= idea.next_milestone:
        milestone = idea.next_milestone
        reached.append(milestone)
        events.record(actor, "milestone_reached", idea,
                      reason=labels.system_reason("milestone_reached", n=milestone))
        later = [i for i, m in enumerate(milestones) if m > milestone]
        if later:
            idea.next_milestone = milestones[later[0]]
            idea.deadline = now + timedelta(days=windows[later[0]])
            continue
        events.transition(actor, idea, IdeaStatus.QUALIFIED, "qualified",
                          reason=labels.system_reason("qualified", n=milestone))
        idea.qualified_at = now
        idea.next_milestone = None
        idea.deadline = None
        qualified = True
    if not reached:
        return reached
    idea.support_count = count  # the row is written anyway: its sort key is exact again
    top = reached[-1]
    if qualified:
        closes_on = _next_review_closes_on()
        kind, params = ("idea_qualified_next_review", {
            "title": idea.title, "count": top, "date": kinds.day(closes_on)}) if closes_on \
            else ("idea_qualified", {"title": idea.title, "count": top})
    else:
        kind, params = "idea_milestone", {"title": idea.title, "count": top,
                                          "next": idea.next_milestone}
    # The creators now; the followers (thousands, at the later milestones) by a job in batches.
    events.notify(events.creators_of(idea), kind, params, idea=idea)
    fan_out.tell_followers(idea, kind, params)
    if qualified:
        review.on_idea_qualified(idea)  # joins the open review batch, or waits for the next
    return reached


def _next_review_closes_on() -> date | None:
    """When the next review batch of the review calendar closes, if one is planned."""
    from app.services.programme import upcoming_reviews

    coming = upcoming_reviews()
    return coming[0]["closes_on"] if coming else None


# --- expiry ---------------------------------------------------------------------------------

def _expire(idea: Idea) -> None:
    events.transition(None, idea, IdeaStatus.EXPIRED, "expired",
                      reason=labels.system_reason("expired", n=idea.next_milestone))
    events.notify(events.creators_of(idea), "idea_expired",
                  {"title": idea.title, "count": idea.next_milestone or 0}, idea=idea)


def expire_ideas(now: datetime | None = None) -> int:
    """Store `expired` on every published idea whose deadline has passed; returns how many.

    Safe to run at any time and concurrently: rows are locked (PostgreSQL, skipping rows another
    run holds) or the database is (SQLite), and only still-published ideas are taken.
    """
    now = now or utcnow()
    sqlite_write_lock()
    due = db.session.scalars(
        select(Idea).where(Idea.status == IdeaStatus.PUBLISHED, Idea.deadline.is_not(None),
                           Idea.deadline <= now)
        .order_by(Idea.id).with_for_update(skip_locked=True)
        .execution_options(populate_existing=True)).all()
    for idea in due:
        _expire(idea)
    return len(due)


def resubmit_expired(owner: User, idea_id: int) -> Idea:
    """Start a new draft from an expired idea (support starts again from zero).

    Copies the text, category, tags and N=1 insight; not the images (their files belong to
    the old idea) nor the co-creators (each must accept again).
    """
    sqlite_write_lock()
    old = db.session.scalar(select(Idea).where(Idea.id == idea_id).with_for_update()
                            .execution_options(populate_existing=True))
    permissions.require_visible(owner, old)
    permissions.require(owner, Action.RESUBMIT_IDEA, old)  # the owner, once it expired
    if old.status == IdeaStatus.PUBLISHED:  # deadline passed, `flask ideas expire` has not run yet
        _expire(old)
    if db.session.scalar(select(func.count()).select_from(Idea)
                         .where(Idea.resubmitted_from_id == old.id)):
        raise Conflict("already_resubmitted", _("This idea has already been submitted again."))
    new = Idea(owner_id=owner.id, title=old.title, pitch=old.pitch, description=old.description,
               category_id=old.category_id,
               **{column: getattr(old, column) for column in _INSIGHT_COLUMNS},
               status=IdeaStatus.DRAFT, resubmitted_from_id=old.id)
    new.tags = list(old.tags)
    db.session.add(new)
    db.session.flush()
    db.session.add(IdeaCreator(idea_id=new.id, user_id=owner.id, is_owner=True, share_bps=10_000))
    events.record(owner, "created", new, to_status=IdeaStatus.DRAFT,
                  reason=labels.system_reason("created", id=old.id))
    events.record(owner, "resubmitted", old, reason=labels.system_reason("resubmitted", id=new.id))
    return new


_INSIGHT_COLUMNS = tuple(f"insight_{part}" for part in (
    "scene", "conflict", "own_words", "success", "judged_by", "why_1", "why_2", "why_3", "core"))


# --- trending -------------------------------------------------------------------------------

def _weight(now: datetime):
    """SQL: the trending weight of one support row as of `now` (0 outside the window)."""
    return case(*[(Support.created_at > now - timedelta(days=day + 1), weight)
                  for day, weight in enumerate(TRENDING_DAY_WEIGHTS)], else_=0)


def _window_start(now: datetime) -> datetime:
    return now - timedelta(days=len(TRENDING_DAY_WEIGHTS))


def trending_score_for(idea_id: int, now: datetime | None = None) -> int:
    now = now or utcnow()
    return int(db.session.scalar(
        select(func.coalesce(func.sum(_weight(now)), 0))
        .where(Support.idea_id == idea_id, Support.created_at > _window_start(now))) or 0)


def refresh_trending(now: datetime | None = None) -> int:
    """Recompute every idea's trending score with today's decay; returns how many changed.

    Supports add to the score as they come (services.supports); this lets old ones fade. Two
    set-based statements, whatever the number of ideas (no list of ids goes through the driver):
    the ideas supported in the window get their sum, the others with a score get 0.
    """
    now = now or utcnow()
    table = Idea.__table__
    fresh = (select(Support.idea_id.label("idea_id"), func.sum(_weight(now)).label("score"))
             .where(Support.created_at > _window_start(now)).group_by(Support.idea_id)
             .subquery())
    changed = db.session.execute(
        update(table).where(table.c.id == fresh.c.idea_id, table.c.trending_score != fresh.c.score)
        .values(trending_score=fresh.c.score, updated_at=table.c.updated_at)).rowcount
    recent = (select(Support.id).where(Support.idea_id == table.c.id,
                                       Support.created_at > _window_start(now)).exists())
    changed += db.session.execute(
        update(table).where(table.c.trending_score != 0, ~recent)
        .values(trending_score=0, updated_at=table.c.updated_at)).rowcount
    counters.sync_trending_from_ideas()
    return changed
