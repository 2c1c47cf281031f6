"""Review decisions and publishing: the admin decides, publishes a batch, and creators see the result. Import these through app.services.review."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from flask import url_for
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload
from app import labels, permissions
from app.lifecycle import IdeaStatus
from app.permissions import Action
from app.errors import Conflict, Invalid, NotFound
from app.extensions import db
from app.models import Idea, IdeaCreator, User
from app.models.base import utcnow
from app.models.review import DECISIONS, Review, ReviewBatch, ReviewItem
from app import notification_kinds as kinds
from app.services import events
from app.i18n import _
from app.services.review import (MESSAGE_MAX, Aggregate, _idea, _load_item,
                                 _lock_batch, _lock_item, _reviewing_item, aggregate,
                                 current_open_batch, latest_item, min_reviewers)
from app.services.review_batches import _join_batch


# --- decisions and publishing -------------------------------------------------------------------

def decide(admin: User, idea_id: int, decision: Any, message: Any) -> ReviewItem:
    """Record the admin's decision with its message to the creators (private until published)."""
    permissions.require(admin, Action.DECIDE)
    fields = {}
    if decision not in DECISIONS:
        fields["decision"] = _("One of: approved, not_approved, on_hold.")
    if not isinstance(message, str) or not message.strip():
        fields["message"] = _("Write a message to the creators.")
    elif len(message.strip()) > MESSAGE_MAX:
        fields["message"] = _("At most %(n)s characters.", n=MESSAGE_MAX)
    idea = _idea(admin, idea_id)
    permissions.require(admin, Action.DECIDE, idea)  # never on an idea they (co-)created
    if fields:
        raise Invalid(fields)
    item = _lock_item(_reviewing_item(idea))
    scored = db.session.scalar(select(func.count()).select_from(Review)
                               .where(Review.item_id == item.id)) or 0
    needed = min_reviewers()
    if scored < needed:
        raise Conflict("not_enough_reviewers",
                       _("At least %(needed)s reviewers must score before a decision "
                         "(%(scored)s have).", needed=needed, scored=scored))
    before = {"decision": item.decision, "message": item.decision_message}
    item.decision = decision
    item.decision_message = message.strip()
    item.decided_by_id = admin.id
    item.decided_at = utcnow()
    events.audit(admin, "review.decided", item, before=before,
                 after={"idea_id": idea.id, "decision": decision, "message": item.decision_message,
                        "reviewers": scored})
    return item


def publish_batch(admin: User, batch_id: int) -> ReviewBatch:
    """Make the batch's decisions public: each idea moves to its decision, approved ideas become
    products, creators get the result and supporters and followers the new status. On-hold ideas
    join the next batch when it opens (at once if one is already open)."""
    permissions.require(admin, Action.MANAGE_BATCHES)
    batch = _lock_batch(batch_id)
    if batch is None:
        raise NotFound("batch_not_found", _("No such review batch."))
    if batch.status == "published":
        raise Conflict("already_published", _("This batch has already been published."))
    items = list(db.session.scalars(
        select(ReviewItem).where(ReviewItem.batch_id == batch.id)
        .options(selectinload(ReviewItem.idea).selectinload(Idea.creators)
                 .selectinload(IdeaCreator.user))
        .order_by(ReviewItem.id)))
    undecided = [item for item in items if item.decision is None]
    if undecided:
        raise Conflict("decisions_missing",
                       _("%(n)s ideas still need a decision: %(titles)s.", n=len(undecided),
                         titles=", ".join(f"“{item.idea.title}”" for item in undecided[:5])))
    from app.services.follows import audience_of
    from app.services.products import create_product_from_idea

    before_status = batch.status
    results_url = _results_url(batch)
    for item in items:
        idea = item.idea
        # The public history shows the decision; the message is for the creators only.
        events.transition(admin, idea, item.decision, "review_decision",
                          reason=labels.system_reason("review_decision", name=batch.name))
        if item.decision == IdeaStatus.APPROVED:
            create_product_from_idea(idea)
        decision = kinds.label("decision", str(item.decision))
        creators = events.creators_of(idea)
        events.notify(creators, "review_result", {"title": idea.title, "decision": decision},
                      idea=idea)
        creator_ids = {creator.id for creator in creators}
        events.notify([user for user in audience_of(idea) if user.id not in creator_ids],
                      "idea_reviewed", {"title": idea.title, "decision": decision}, idea=idea,
                      url=results_url)
    batch.status = "published"
    batch.published_at = utcnow()
    batch.published_by_id = admin.id
    db.session.flush()
    events.audit(admin, "review.batch_published", batch, before={"status": before_status},
                 after={"status": "published", "decisions": {
                     str(item.idea_id): item.decision for item in items}})
    following = current_open_batch()
    if following is not None:
        for item in items:
            if item.decision == IdeaStatus.ON_HOLD and not item.idea.hidden:
                _join_batch(admin, following, item.idea)
        db.session.flush()
    return batch


def _results_url(batch: ReviewBatch) -> str:
    """The batch's public results page (linked from its notifications)."""
    try:
        return url_for("review.batch_results", batch_id=batch.id)
    except RuntimeError:
        return f"/review/batches/{batch.id}/results"


@dataclass
class ReviewResult:
    """What the creators see once the batch is published (and admins at any time)."""

    idea: Idea
    item: ReviewItem
    aggregate: Aggregate
    published: bool


def review_result(user: Any, idea_id: int) -> ReviewResult:
    """The decision, message and per-axis means; 404 for creators before the batch is published
    and for everyone but the creators and admins."""
    idea = _idea(user, idea_id)
    if permissions.has_role(user, "admin"):
        item = latest_item(idea.id)
    elif permissions.is_creator(user, idea):
        item = latest_item(idea.id, published_only=True)
    else:
        item = None
    if item is None:
        raise NotFound("review_not_found", _("No published review for this idea."))
    item = _load_item(item.id)
    return ReviewResult(idea, item, aggregate(list(item.reviews)), item.batch.is_published)


def published_result_for(user: Any, idea: Idea) -> ReviewResult | None:
    """For the idea page: the last published result, to its creators and admins; else None."""
    if not (permissions.is_creator(user, idea) or permissions.has_role(user, "admin")):
        return None
    item = latest_item(idea.id, published_only=True)
    if item is None:
        return None
    item = _load_item(item.id)
    return ReviewResult(idea, item, aggregate(list(item.reviews)), True)
