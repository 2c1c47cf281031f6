"""Members' quotas on what costs storage: ideas held before publication ("drafts": draft,
waiting for moderation, sent back for changes) and pictures uploaded per UTC day.

MAX_DRAFTS_PER_MEMBER and MAX_UPLOADS_PER_DAY (config.py; 0 turns a quota off). Uploads are a
kept count per member and day (upload_counts), raised in the transaction that stores the
picture, so a refused or failed upload counts nothing; drafts are read from the index on
(owner_id, status), at most the quota's number of rows. Over a quota: QuotaExceeded, 429.
"""
from __future__ import annotations

from datetime import date

from flask import current_app
from sqlalchemy import func, select, text, update
from sqlalchemy.exc import IntegrityError

from app import lifecycle
from app.errors import QuotaExceeded
from app.extensions import db
from app.i18n import _
from app.models import Idea, UploadCount, User
from app.models.base import utcnow

#: The statuses of an idea a member holds before publication: what the drafts quota counts.
DRAFT_STATUSES = (lifecycle.IdeaStatus.DRAFT, lifecycle.IdeaStatus.PENDING_MODERATION,
                  lifecycle.IdeaStatus.NEEDS_CHANGES)


def _lock_member(user: User) -> None:
    """Serialise one member's quota checks until commit (the database itself on SQLite)."""
    if db.session.get_bind().dialect.name == "sqlite":
        db.session.execute(text("UPDATE users SET id = id WHERE 0 = 1"))
    else:
        db.session.execute(select(User.id).where(User.id == user.id).with_for_update())


def drafts_held(user: User, limit: int) -> int:
    """How many ideas ``user`` holds before publication, counted up to ``limit`` rows."""
    held = (select(Idea.id).where(Idea.owner_id == user.id, Idea.status.in_(DRAFT_STATUSES))
            .limit(limit).subquery())
    return db.session.scalar(select(func.count()).select_from(held)) or 0


def check_new_draft(user: User) -> None:
    """QuotaExceeded when ``user`` already holds MAX_DRAFTS_PER_MEMBER unpublished ideas."""
    limit = current_app.config["MAX_DRAFTS_PER_MEMBER"]
    if not limit:
        return
    _lock_member(user)
    if drafts_held(user, limit) >= limit:
        raise QuotaExceeded("too_many_drafts", _(
            "You already have %(n)s ideas that are not published yet (drafts and ideas waiting "
            "for moderation). Submit or delete one before starting another.", n=limit))


def _today() -> date:
    return utcnow().date()


def _over_uploads(limit: int) -> QuotaExceeded:
    return QuotaExceeded("too_many_uploads", _(
        "You have uploaded %(n)s pictures today, the most allowed in a day. Please try again "
        "tomorrow (UTC).", n=limit))


def check_uploads(user: User) -> None:
    """QuotaExceeded when ``user`` has used today's MAX_UPLOADS_PER_DAY (a cheap read, before
    an upload is processed)."""
    limit = current_app.config["MAX_UPLOADS_PER_DAY"]
    if not limit:
        return
    row = db.session.get(UploadCount, (user.id, _today()))
    if row is not None and row.count >= limit:
        raise _over_uploads(limit)


def count_upload(user: User) -> None:
    """Count one upload of ``user`` today, in the current transaction; QuotaExceeded when that
    would pass MAX_UPLOADS_PER_DAY (atomic: concurrent uploads cannot pass it together)."""
    limit = current_app.config["MAX_UPLOADS_PER_DAY"]
    if not limit:
        return
    day = _today()
    key = (UploadCount.user_id == user.id) & (UploadCount.day == day)
    for _attempt in range(2):
        raised = db.session.execute(
            update(UploadCount).where(key, UploadCount.count < limit)
            .values(count=UploadCount.count + 1).execution_options(synchronize_session=False))
        if raised.rowcount:
            return
        if db.session.scalar(select(UploadCount.count).where(key)) is not None:
            raise _over_uploads(limit)
        try:
            with db.session.begin_nested():
                db.session.add(UploadCount(user_id=user.id, day=day, count=1))
            return
        except IntegrityError:
            continue  # another upload made today's row first: count on it
    raise _over_uploads(limit)


def uploads_today(user: User) -> int:
    return db.session.scalar(select(UploadCount.count).where(
        UploadCount.user_id == user.id, UploadCount.day == _today())) or 0
