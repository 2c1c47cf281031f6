"""API endpoints: review batches, reviewer assignments, blind scores, decisions and results."""
from __future__ import annotations

import re
from datetime import date
from typing import Any

from sqlalchemy import select

from app.api import bp
from app.api.core import caller, json_body, listing, paginated, require_caller
from app.api.openapi import SCHEMAS, operation, written
from app.errors import Invalid
from app.extensions import db
from app.idempotency import idempotent
from app.models.review import AXES, DECISIONS, Review, ReviewBatch, ReviewItem
from app.services import review as review_service
from app.services.review import Aggregate, json_number
from app.transaction import transaction

DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


# --- serialisation ------------------------------------------------------------------------------

def aggregate_json(agg: Aggregate) -> dict[str, Any]:
    """axis_means, total and priority as JSON numbers (exact values rounded only here), plus the
    exact fractions as strings ("7/3") for callers that want them."""
    return {
        "axis_means": {axis: json_number(agg.axis_means[axis]) for axis in AXES},
        "total": json_number(agg.total),
        "priority": agg.priority,
        "reviewer_count": agg.reviewer_count,
        "exact": {"axis_means": {axis: None if agg.axis_means[axis] is None
                                 else str(agg.axis_means[axis]) for axis in AXES},
                  "total": None if agg.total is None else str(agg.total)},
    }


def review_json(review: Review) -> dict[str, Any]:
    return {"id": review.id, "reviewer": {"id": review.reviewer_id,
                                          "display_name": review.reviewer.display_name},
            "reviewer_id": review.reviewer_id, **review.scores, "rationale": review.rationales,
            "submitted_at": review.submitted_at.isoformat(),
            "updated_at": review.updated_at.isoformat()}


def item_json(item: ReviewItem, *, with_decision: bool = True) -> dict[str, Any]:
    data = {"id": item.id, "batch_id": item.batch_id, "idea_id": item.idea_id,
            "idea": {"id": item.idea.id, "title": item.idea.title, "status": item.idea.status}}
    if with_decision:
        data.update(decision=item.decision, message=item.decision_message,
                    decided_at=item.decided_at.isoformat() if item.decided_at else None)
    return data


def batch_json(batch: ReviewBatch, items: list[ReviewItem] | None = None) -> dict[str, Any]:
    data = {"id": batch.id, "name": batch.name, "closes_on": batch.closes_on.isoformat(),
            "scoring_ends_on": batch.scoring_ends_on.isoformat() if batch.scoring_ends_on
            else None,
            "status": batch.status, "opened_at": batch.opened_at.isoformat(),
            "closed_at": batch.closed_at.isoformat() if batch.closed_at else None,
            "published_at": batch.published_at.isoformat() if batch.published_at else None}
    if items is not None:
        data["items"] = [item_json(item) for item in items]
        data["idea_ids"] = [item.idea_id for item in items]
    return data


def _batch_items(batch: ReviewBatch) -> list[ReviewItem]:
    from sqlalchemy.orm import selectinload

    return list(db.session.scalars(select(ReviewItem).where(ReviewItem.batch_id == batch.id)
                                   .options(selectinload(ReviewItem.idea))
                                   .order_by(ReviewItem.id)))


def _int_field(data: dict, name: str, *, required: bool = True) -> int | None:
    value = data.get(name)
    if value is None and not required:
        return None
    if not isinstance(value, int) or isinstance(value, bool):
        raise Invalid({name: "Must be an integer."})
    return value


# --- batches ------------------------------------------------------------------------------------

SCHEMAS["ReviewBatch"] = {"type": "object", "properties": {
    "id": {"type": "integer"}, "name": {"type": "string"},
    "closes_on": {"type": "string", "format": "date"},
    "status": {"type": "string", "enum": ["open", "closed", "published"]},
    "items": {"type": "array", "items": {"type": "object"}}}}
SCHEMAS["Scores"] = {"type": "object", "properties": {
    "reviews": {"type": "array", "items": {"type": "object"}},
    "axis_means": {"type": "object", "properties": {axis: {"type": "number"} for axis in AXES}},
    "total": {"type": "number"}, "priority": {"type": "boolean"}}}

operation("/review-batches", "post", "Open a review batch (admin); waiting qualified ideas join it",
          body={"type": "object", "required": ["name", "closes_on"], "properties": {
              "name": written(review_service.NAME_MAX),
              "closes_on": {"type": "string", "format": "date",
                            "description": "the intake closes: no idea joins after it"},
              "scoring_ends_on": {"type": "string", "format": "date",
                                  "description": "when scoring is planned to end (on or after "
                                                 "closes_on; default REVIEW_SCORING_DAYS later)"}}},
          responses={"201": "the open batch with its items", "401": "no token",
                     "403": "admins only", "409": "batch_already_open",
                     "422": "invalid name or date"})


def _date_or_none(value: Any) -> date | None:
    """A YYYY-MM-DD string as a date; None for anything else (the service says what is wrong)."""
    if isinstance(value, str) and DATE.match(value):
        try:
            return date.fromisoformat(value)
        except ValueError:
            return None
    return None


@bp.post("/review-batches")
@idempotent
def open_review_batch():
    user = require_caller()
    data = json_body()
    scoring_ends_on = data.get("scoring_ends_on")
    with transaction():
        batch = review_service.open_batch(
            user, data.get("name"), _date_or_none(data.get("closes_on")),
            None if scoring_ends_on is None else (_date_or_none(scoring_ends_on) or ""))
    return batch_json(batch, _batch_items(batch)), 201


operation("/review-batches", "get", "Review batches, newest first (admin)",
          responses={"200": "{items, page, per_page, total}", "403": "admins only"})


@bp.get("/review-batches")
def list_review_batches():
    from app import permissions

    user = require_caller()
    permissions.require(user, "manage_batches")
    return paginated(select(ReviewBatch).order_by(ReviewBatch.id.desc()), batch_json)


operation("/review-batches/{batch_id}", "get", "A batch with its items and decisions (admin)",
          responses={"200": "batch", "403": "admins only", "404": "no such batch"})


@bp.get("/review-batches/<int:batch_id>")
def get_review_batch(batch_id: int):
    user = require_caller()
    batch, rows = review_service.batch_detail(user, batch_id)
    data = batch_json(batch)
    data["items"] = [{**item_json(item),
                      "reviewers": [a.reviewer_id for a in item.assignments],
                      "scored_by": [r.reviewer_id for r in item.reviews],
                      **aggregate_json(agg)} for item, agg in rows]
    return data


operation("/review-batches/{batch_id}/close", "post",
          "Close the batch's intake (admin); scoring and decisions go on until publish",
          responses={"200": "batch", "403": "admins only", "404": "no such batch",
                     "409": "batch_not_open"})


@bp.post("/review-batches/<int:batch_id>/close")
def close_review_batch(batch_id: int):
    with transaction():
        batch = review_service.close_batch(require_caller(), batch_id)
    return batch_json(batch)


operation("/review-batches/{batch_id}/publish", "post",
          "Publish the batch's decisions (admin): each idea's status becomes its decision, "
          "approved ideas become products, creators, supporters and followers are notified",
          responses={"200": "the published batch", "403": "admins only", "404": "no such batch",
                     "409": "already_published or decisions_missing"})


@bp.post("/review-batches/<int:batch_id>/publish")
def publish_review_batch(batch_id: int):
    with transaction():
        batch = review_service.publish_batch(require_caller(), batch_id)
    return batch_json(batch, _batch_items(batch))


operation("/review-batches/{batch_id}/calibration", "get",
          "Per idea and axis: lowest, highest score and spread (flagged from 2); admins see every "
          "idea, reviewers the ideas they have scored",
          responses={"200": "{batch, items}", "403": "reviewers and admins only",
                     "404": "no such batch"})


@bp.get("/review-batches/<int:batch_id>/calibration")
def review_batch_calibration(batch_id: int):
    batch, rows = review_service.calibration(require_caller(), batch_id)
    return {"batch": batch_json(batch), "items": [{
        "idea_id": row.idea.id, "title": row.idea.title, "reviewer_count": row.reviewer_count,
        "flagged": row.flagged, "total": json_number(row.total),
        "axes": {axis: {"min": spread.low, "max": spread.high, "spread": spread.spread,
                        "mean": json_number(spread.mean), "flagged": spread.flagged}
                 for axis, spread in row.axes.items()}} for row in rows]}


# --- the reviewer's queue and assignments -------------------------------------------------------

operation("/review/queue", "get", "Ideas awaiting this reviewer's scores (assigned ones first)",
          responses={"200": "{items, page, per_page, total}", "401": "no token",
                     "403": "reviewers only"})


@bp.get("/review/queue")
def review_queue():
    user = require_caller()
    entries = review_service.awaiting_scores(user)
    return listing([{
        "id": entry.idea.id, "title": entry.idea.title, "pitch": entry.idea.pitch,
        "status": entry.idea.status, "support_count": entry.idea.support_count,
        "batch": {"id": entry.batch.id, "name": entry.batch.name,
                  "closes_on": entry.batch.closes_on.isoformat()},
        "assigned": entry.assigned, "reviewer_count": entry.reviewer_count,
    } for entry in entries])


operation("/ideas/{idea_id}/reviewers", "post",
          "Assign a reviewer to an idea in review (admin), or take it yourself (a reviewer, "
          "with your own id or no body)",
          body={"type": "object", "properties": {"reviewer_id": {"type": "integer"}}},
          responses={"201": "assigned", "200": "already assigned",
                     "403": "conflict_of_interest, separation_of_duties or not allowed",
                     "404": "no such idea",
                     "409": "not_in_review or decision_made", "422": "not a reviewer"})


@bp.post("/ideas/<int:idea_id>/reviewers")
def assign_idea_reviewer(idea_id: int):
    from flask import request

    user = require_caller()
    data = json_body() if request.get_data() else {}
    reviewer_id = _int_field(data, "reviewer_id", required=False)
    reviewer_id = user.id if reviewer_id is None else reviewer_id
    with transaction():
        assignment, created = review_service.assign_reviewer(user, idea_id, reviewer_id)
    return {"idea_id": idea_id, "reviewer_id": assignment.reviewer_id,
            "assigned_by": assignment.assigned_by_id}, 201 if created else 200


operation("/ideas/{idea_id}/reviewers/{user_id}", "delete",
          "Remove a reviewer who has not scored yet (admin)",
          responses={"204": "removed", "404": "not assigned", "409": "already_scored"})


@bp.delete("/ideas/<int:idea_id>/reviewers/<int:user_id>")
def unassign_idea_reviewer(idea_id: int, user_id: int):
    with transaction():
        review_service.unassign_reviewer(require_caller(), idea_id, user_id)
    return "", 204


# --- scores, decisions, results -----------------------------------------------------------------

operation("/ideas/{idea_id}/scores", "put",
          "Submit or revise your scores (reviewer): each axis an integer 1-3 with a rationale",
          body={"type": "object", "required": [*AXES, "rationale"], "properties": {
              **{axis: {"type": "integer", "minimum": 1, "maximum": 3} for axis in AXES},
              "rationale": {"type": "object", "required": list(AXES), "properties": {
                  axis: {"type": "string"} for axis in AXES}}}},
          responses={"200": "your review", "401": "no token",
                     "403": "conflict_of_interest or reviewers only", "404": "no such idea",
                     "409": "not_in_review or decision_made",
                     "422": "out of range or missing rationale"})


@bp.put("/ideas/<int:idea_id>/scores")
def put_scores(idea_id: int):
    user = require_caller()
    data = json_body()
    with transaction():
        review = review_service.score_idea(user, idea_id, {axis: data.get(axis) for axis in AXES},
                                           data.get("rationale"))
    return review_json(review)


operation("/ideas/{idea_id}/scores", "get",
          "Every reviewer's scores with the per-axis means, total and priority (admins; reviewers "
          "once they have scored: blind)",
          responses={"200": "{reviews, axis_means, total, priority}", "401": "no token",
                     "403": "scores_hidden until you have scored", "404": "no such idea"})


@bp.get("/ideas/<int:idea_id>/scores")
def get_scores(idea_id: int):
    sheet = review_service.scores_for(caller(), idea_id)
    return {"idea_id": sheet.idea.id, "batch_id": sheet.item.batch_id,
            "decision": sheet.item.decision, "reviews": [review_json(r) for r in sheet.reviews],
            **aggregate_json(sheet.aggregate)}


operation("/ideas/{idea_id}/decision", "post",
          "Decide (admin): approved, not_approved or on_hold with a message to the creators; "
          "private until the batch is published",
          body={"type": "object", "required": ["decision", "message"], "properties": {
              "decision": {"type": "string", "enum": [decision.value for decision in DECISIONS]},
              "message": written(5000)}},
          responses={"200": "the decision",
                     "403": "admins only, or separation_of_duties (their own idea)",
                     "404": "no such idea",
                     "409": "not_enough_reviewers or not_in_review", "422": "invalid"})


@bp.post("/ideas/<int:idea_id>/decision")
def post_decision(idea_id: int):
    user = require_caller()
    data = json_body()
    with transaction():
        item = review_service.decide(user, idea_id, data.get("decision"), data.get("message"))
    return {"idea_id": item.idea_id, "batch_id": item.batch_id, "decision": item.decision,
            "message": item.decision_message, "decided_at": item.decided_at.isoformat(),
            "published": False}


operation("/ideas/{idea_id}/review", "get",
          "The review result: decision, message, per-axis means, total, priority (its creators "
          "after the batch is published; admins)",
          responses={"200": "{decision, message, axis_means, total, priority}",
                     "404": "not published yet, or not yours"})


@bp.get("/ideas/<int:idea_id>/review")
def get_review_result(idea_id: int):
    result = review_service.review_result(caller(), idea_id)
    return {"idea_id": result.idea.id, "batch_id": result.item.batch_id,
            "published": result.published, "decision": result.item.decision,
            "message": result.item.decision_message,
            "published_at": result.item.batch.published_at.isoformat()
            if result.item.batch.published_at else None,
            **aggregate_json(result.aggregate)}


# --- reviewer notes (calibration) ----------------------------------------------------------------

SCHEMAS["ReviewNote"] = {"type": "object", "properties": {
    "id": {"type": "integer"}, "item_id": {"type": "integer"}, "idea_id": {"type": "integer"},
    "batch_id": {"type": "integer"}, "body": {"type": "string"},
    "author": {"type": "object", "properties": {"id": {"type": "integer"},
                                                "display_name": {"type": "string"}}},
    "created_at": {"type": "string", "format": "date-time"}}}


def note_json(note, item: ReviewItem) -> dict[str, Any]:
    return {"id": note.id, "item_id": item.id, "idea_id": item.idea_id, "batch_id": item.batch_id,
            "body": note.body,
            "author": {"id": note.author.id, "display_name": note.author.display_name},
            "created_at": note.created_at.isoformat()}


operation("/review-items/{item_id}/notes", "get",
          "Reviewer notes on one idea of a batch, oldest first (admins; the item's reviewers "
          "once they have scored it; never on one's own idea)",
          responses={"200": "{items: [ReviewNote], page, per_page, total}", "401": "no token",
                     "403": "reviewers_only, scores_hidden, own_idea_staff",
                     "404": "no such review item"})


@bp.get("/review-items/<int:item_id>/notes")
def list_review_notes(item_id: int):
    item, notes = review_service.notes_of(require_caller(), item_id)
    return listing([note_json(note, item) for note in notes])


operation("/review-items/{item_id}/notes", "post",
          "Add a note to discuss one idea of a batch (audited); until the batch is published",
          body={"type": "object", "required": ["body"], "properties": {
              "body": written(review_service.NOTE_MAX_LENGTH)}},
          responses={"201": "the note", "400": "not a JSON object", "401": "no token",
                     "403": "reviewers_only, scores_hidden, own_idea_staff",
                     "409": "batch_published",
                     "404": "no such review item", "422": "empty or too long"})


@bp.post("/review-items/<int:item_id>/notes")
def add_review_note(item_id: int):
    user = require_caller()
    data = json_body()
    with transaction():
        note = review_service.add_note(user, item_id, data.get("body"))
        item = db.session.get(ReviewItem, note.item_id)
        body = note_json(note, item)
    return body, 201
