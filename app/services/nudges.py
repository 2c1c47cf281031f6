"""Nudges: supporters of an idea close to its deadline or to its next milestone are asked to
share it ("“Lamp” needs 12 more supporters by 6 Dec: share it!"), in their language.

The daily job `nudges.send` (app.jobs.schedule; `send_nudges()`) picks the gathering
ideas whose deadline is within NUDGE_DEADLINE_DAYS, or whose next milestone is within
NUDGE_MILESTONE_PERCENT of their support count, and walks each idea's supporters in user id
batches of NUDGE_BATCH (never all in memory). A supporter gets at most one nudge per idea per
NUDGE_INTERVAL_DAYS: each nudge is a row of idea_nudges whose unique (idea_id, user_id,
sent_on) key is inserted before the notification, in the batch's transaction, so a retried or
doubled job sends nothing twice. Nudges are marketing: only members who allow marketing mail
get them (app.services.consents), and their preference for the `nudges` category decides how
(off: nothing). The date in the nudge is the deadline's day in the reader's time zone (their
setting, else their browser's, else their language's), found when it is shown or mailed; the
once-a-week key (`sent_on`) is the UTC day the job ran.
"""
from __future__ import annotations

import logging
from datetime import date, datetime, timedelta

from flask import current_app
from sqlalchemy import and_, exists, or_, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from app import notification_kinds as kinds
from app.extensions import db
from app.lifecycle import IdeaStatus
from app.models import Idea, IdeaCreator, IdeaNudge, Support, User
from app.models.base import utcnow
from app.services import consents, events

log = logging.getLogger(__name__)
IDEA_BATCH = 100


def _setting(name: str, default: int) -> int:
    return int(current_app.config.get(name, default))


def _due(now: datetime, after_id: int, limit: int):
    """The next gathering ideas (by id) close to their deadline or next milestone."""
    days = _setting("NUDGE_DEADLINE_DAYS", 3)
    percent = _setting("NUDGE_MILESTONE_PERCENT", 10)
    remaining = Idea.next_milestone - Idea.support_count
    return db.session.scalars(
        select(Idea).where(
            Idea.id > after_id, Idea.status == IdeaStatus.PUBLISHED, Idea.hidden.is_(False),
            Idea.next_milestone.is_not(None), Idea.deadline > now, remaining > 0,
            or_(Idea.deadline <= now + timedelta(days=days),
                remaining * 100 <= Idea.next_milestone * percent))
        .order_by(Idea.id).limit(limit)).all()


def _insert(model):
    dialect = db.session.get_bind().dialect.name
    return (pg_insert if dialect == "postgresql" else sqlite_insert)(model)


def _next_supporters(idea: Idea, after_user_id: int, today: date, size: int) -> list[int]:
    since = today - timedelta(days=_setting("NUDGE_INTERVAL_DAYS", 7) - 1)
    nudged = exists().where(IdeaNudge.idea_id == idea.id, IdeaNudge.user_id == User.id,
                            IdeaNudge.sent_on >= since)
    creators = select(IdeaCreator.user_id).where(IdeaCreator.idea_id == idea.id)
    return list(db.session.scalars(
        select(User.id).join(Support, and_(Support.user_id == User.id, Support.idea_id == idea.id))
        .where(User.id > after_user_id, User.blocked_at.is_(None), User.deleted_at.is_(None),
               User.id.not_in(creators),
               consents.marketing_condition(), ~nudged)
        .order_by(User.id).limit(size)))


def nudge_idea(idea: Idea, today: date) -> int:
    """Nudge the idea's supporters who were not nudged for it lately, batch by batch (each
    batch commits); returns how many were nudged."""
    remaining = (idea.next_milestone or 0) - idea.support_count
    if remaining <= 0:
        return 0
    kind = "support_nudge_one" if remaining == 1 else "support_nudge"
    # the deadline's day as each reader's calendar has it (their time zone), not UTC's
    params = {"title": idea.title, "count": remaining, "date": kinds.local_day(idea.deadline)}
    idea_id, size, after, told = idea.id, _setting("NUDGE_BATCH", 500), 0, 0
    while True:
        ids = _next_supporters(idea, after, today, size)
        if not ids:
            break
        after = ids[-1]
        fresh = db.session.scalars(
            _insert(IdeaNudge).values([{"idea_id": idea_id, "user_id": user_id, "sent_on": today}
                                       for user_id in ids])
            .on_conflict_do_nothing(index_elements=["idea_id", "user_id", "sent_on"])
            .returning(IdeaNudge.user_id)).all()
        if fresh:
            users = db.session.scalars(select(User).where(User.id.in_(fresh))
                                       .order_by(User.id)).all()
            events.notify(users, kind, params, idea=idea)
            told += len(fresh)
        db.session.commit()
        idea = db.session.get(Idea, idea_id)
        if len(ids) < size:
            break
    return told


def send_nudges(moment: datetime | None = None) -> int:
    """Nudge the supporters of every idea close to its deadline or next milestone; returns how
    many nudges were sent. Idempotent: run it twice on a day and the second run sends none.
    Commits batch by batch (a job, never inside a request)."""
    moment = moment or utcnow()
    today = moment.date()
    after, told = 0, 0
    while True:
        ideas = _due(moment, after, IDEA_BATCH)
        if not ideas:
            break
        after = ideas[-1].id
        ids = [idea.id for idea in ideas]
        db.session.rollback()
        for idea_id in ids:
            idea = db.session.get(Idea, idea_id)
            if idea is not None:
                told += nudge_idea(idea, today)
    db.session.commit()
    log.info("nudges sent: %s", told)
    return told
