"""Review batches: opening and closing them, and qualified ideas joining the open one. Import these through app.services.review."""
from __future__ import annotations

from datetime import date, timedelta
from typing import Any
from flask import current_app
from sqlalchemy import exists, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload
from app import labels, lifecycle, permissions
from app.lifecycle import IdeaStatus
from app.permissions import Action
from app.errors import Conflict, Invalid, NotFound
from app.extensions import db
from app.models import Idea, IdeaCreator, User
from app.models.base import utcnow
from app.models.review import ReviewBatch, ReviewItem
from app import notification_kinds as kinds
from app.services import events
from app.i18n import _
from app.services.review import NAME_MAX, _lock_batch, current_open_batch


# --- batches ------------------------------------------------------------------------------------

def _validate_batch(name: Any, closes_on: Any) -> tuple[str, date]:
    fields = {}
    if not isinstance(name, str) or not name.strip():
        fields["name"] = _("Give the batch a name.")
    elif len(name.strip()) > NAME_MAX:
        fields["name"] = _("At most %(n)s characters.", n=NAME_MAX)
    if not isinstance(closes_on, date):
        fields["closes_on"] = _("A date (YYYY-MM-DD).")
    if fields:
        raise Invalid(fields)
    return name.strip(), closes_on


def _join_batch(actor: User | None, batch: ReviewBatch, idea: Idea) -> ReviewItem:
    """Put the idea into the batch and move it to in_review."""
    item = ReviewItem(batch=batch, idea_id=idea.id)
    db.session.add(item)
    events.transition(actor, idea, IdeaStatus.IN_REVIEW, "review_started",
                      reason=labels.system_reason("review_started", name=batch.name))
    events.notify(events.creators_of(idea), "idea_in_review",
                  {"title": idea.title, "name": batch.name, "date": kinds.day(batch.closes_on)},
                  idea=idea)
    return item


def _waiting_ideas() -> list[Idea]:
    """Qualified ideas waiting for a batch, and on-hold ones carried over from a published batch."""
    return list(db.session.scalars(
        select(Idea).where(Idea.status.in_(lifecycle.AWAITING_BATCH), Idea.hidden.is_(False),
                           Idea.merged_into_id.is_(None))
        .options(selectinload(Idea.creators).selectinload(IdeaCreator.user))
        .order_by(Idea.qualified_at, Idea.id).with_for_update()))


def waiting_ideas() -> list[Idea]:
    """For pages: what the next batch will take in when it opens."""
    return list(db.session.scalars(
        select(Idea).where(Idea.status.in_(lifecycle.AWAITING_BATCH), Idea.hidden.is_(False),
                           Idea.merged_into_id.is_(None))
        .order_by(Idea.qualified_at, Idea.id)))


def open_batch(admin: User, name: Any, closes_on: Any, scoring_ends_on: Any = None) -> ReviewBatch:
    """Open a review batch; every waiting idea joins it. 409 while another batch is open. Its
    intake closes on `closes_on`; scoring is planned to end on `scoring_ends_on` (by default
    REVIEW_SCORING_DAYS later)."""
    permissions.require(admin, Action.MANAGE_BATCHES)
    name, closes_on = _validate_batch(name, closes_on)
    if scoring_ends_on is None:
        scoring_ends_on = closes_on + timedelta(days=current_app.config["REVIEW_SCORING_DAYS"])
    elif not isinstance(scoring_ends_on, date) or scoring_ends_on < closes_on:
        raise Invalid({"scoring_ends_on": _("A date (YYYY-MM-DD) on or after the closing "
                                            "date.")})
    if current_open_batch() is not None:
        raise Conflict("batch_already_open",
                       _("A review batch is already open; close it before opening another."))
    batch = ReviewBatch(name=name, closes_on=closes_on, scoring_ends_on=scoring_ends_on,
                        status="open", created_by_id=admin.id)
    try:
        with db.session.begin_nested():  # the one-open-batch index decides between two admins
            db.session.add(batch)
            db.session.flush()
    except IntegrityError:
        raise Conflict("batch_already_open",
                       _("A review batch is already open; close it before opening another.")) \
            from None
    joined = [_join_batch(admin, batch, idea).idea_id for idea in _waiting_ideas()]
    db.session.flush()
    events.audit(admin, "review.batch_opened", batch, after={
        "name": name, "closes_on": closes_on.isoformat(),
        "scoring_ends_on": scoring_ends_on.isoformat(), "idea_ids": joined})
    return batch


def close_batch(admin: User, batch_id: int) -> ReviewBatch:
    """End the batch's intake: ideas that qualify from now on wait for the next batch.
    Scoring and decisions go on until it is published."""
    permissions.require(admin, Action.MANAGE_BATCHES)
    batch = _lock_batch(batch_id)
    if batch is None:
        raise NotFound("batch_not_found", _("No such review batch."))
    if batch.status != "open":
        raise Conflict("batch_not_open", _("This batch is not open."))
    batch.status = "closed"
    batch.closed_at = utcnow()
    events.audit(admin, "review.batch_closed", batch, before={"status": "open"},
                 after={"status": "closed"})
    return batch


def on_idea_qualified(idea: Idea) -> None:
    """Called when an idea reaches the last milestone (after it became `qualified`): it joins the
    open batch at once, or waits (still `qualified`) for the next batch to open."""
    if idea.status != IdeaStatus.QUALIFIED or idea.hidden or idea.merged_into_id is not None:
        return
    batch = current_open_batch()
    if batch is None:
        return
    if db.session.scalar(select(exists().where(ReviewItem.batch_id == batch.id,
                                               ReviewItem.idea_id == idea.id))):
        return
    _join_batch(None, batch, idea)
    db.session.flush()
