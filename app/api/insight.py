"""API endpoints of issue 14: refining a published idea (revisions), resonance, the creators'
evidence, polls. Thin: each endpoint calls one service function."""
from __future__ import annotations

from typing import Any

from app import ratelimits
from app.api import bp
from app.api.core import caller, json_body, require_caller
from app.api.ideas import _api_errors, _idea_fields
from app.api.openapi import SCHEMAS, operation, written
from app.errors import Invalid
from app.extensions import db, limiter
from app.models import IdeaRevision
from app.services import creator_evidence, polls, resonance, revisions
from app.services import ideas as idea_service
from app.services import insight as insight_rules
from app.transaction import transaction


def revision_json(revision: IdeaRevision) -> dict[str, Any]:
    return {"id": revision.id, "idea_id": revision.idea_id, "number": revision.number,
            "author": {"user_id": revision.author_id,
                       "display_name": revision.author.display_name}
            if revision.author is not None else None,
            "note": revision.note, "state": revision.state,
            "created_at": revision.created_at.isoformat() if revision.created_at else None,
            "reverted_reason": revision.reverted_reason,
            "reverted_at": revision.reverted_at.isoformat() if revision.reverted_at else None,
            "changes": [{"field": c["field"], "before": c["before"], "after": c["after"]}
                        for c in revision.changes]}


_FIELDS = ["description", *insight_rules.PARTS]
SCHEMAS["Revision"] = {"type": "object", "properties": {
    "id": {"type": "integer"}, "idea_id": {"type": "integer"}, "number": {"type": "integer"},
    "author": {"type": "object", "nullable": True, "properties": {
        "user_id": {"type": "integer", "nullable": True}, "display_name": {"type": "string"}}},
    "note": {"type": "string"}, "state": {"type": "string", "enum": ["published", "reverted"]},
    "created_at": {"type": "string", "format": "date-time", "nullable": True},
    "reverted_reason": {"type": "string", "nullable": True},
    "reverted_at": {"type": "string", "format": "date-time", "nullable": True},
    "changes": {"type": "array", "items": {"type": "object", "properties": {
        "field": {"type": "string", "enum": _FIELDS},
        "before": {"type": "string"}, "after": {"type": "string"}}}}}}
SCHEMAS["Poll"] = {"type": "object", "properties": {
    "id": {"type": "integer"}, "idea_id": {"type": "integer"}, "question": {"type": "string"},
    "answer_count": {"type": "integer"},
    "my_option_id": {"type": "integer", "nullable": True},
    "created_at": {"type": "string", "format": "date-time", "nullable": True},
    "options": {"type": "array", "items": {"type": "object", "properties": {
        "id": {"type": "integer"}, "label": {"type": "string"}, "count": {"type": "integer"}}}}}}
_RESONANCE = {"type": "object", "properties": {
    "counts": {"type": "object", "properties": {
        "me_too": {"type": "integer"}, "someone_i_know": {"type": "integer"},
        "not_me": {"type": "integer"}}},
    "situations": {"type": "integer"},
    "groups": {"type": "array", "items": {"type": "object", "properties": {
        "label": {"type": "string"}, "size": {"type": "integer"},
        "examples": {"type": "array", "items": {"type": "string"}}}}}}}
SCHEMAS["Resonance"] = _RESONANCE


# --- revisions ------------------------------------------------------------------------------

operation("/ideas/{id}/revisions", "get", "The idea's revisions (refinements after publishing), "
          "newest first, each with what changed (before and after); keyset: `before` = the "
          "last number seen", auth=False,
          responses={"200": "{items: [Revision], next_before}", "404": "absent or not visible"})


@bp.get("/ideas/<int:idea_id>/revisions")
def list_revisions(idea_id: int):
    from flask import request

    idea = idea_service.get_visible(caller(), idea_id)
    before = request.args.get("before", type=int)
    items = revisions.revisions_of(idea, limit=revisions.PAGE_REVISIONS,
                                   before_number=before if before and before > 0 else None)
    more = items[-1].number if len(items) == revisions.PAGE_REVISIONS else None
    return {"items": [revision_json(r) for r in items], "next_before": more}


_REFINE_BODY = {"type": "object", "description": (
    "Refine an idea that gathers support (its creators): description and/or insight parts "
    "(the same shape as POST /ideas); the refined insight must meet the submission rules. The "
    "title and pitch cannot change."), "properties": {
    "description": {"type": "string", "maxLength": idea_service.DESCRIPTION_MAX},
    "insight": {"type": "object", "properties": {
        **{part: {"type": "string", "maxLength": insight_rules.PART_MAX}
           for part in ("scene", "conflict", "own_words", "success", "judged_by")},
        "whys": {"type": "array", "maxItems": 3, "items": {
            "type": "string", "maxLength": insight_rules.PART_MAX}},
        "core": {"type": "string", "maxLength": insight_rules.CORE_MAX}}},
    "note": {"type": "string", "maxLength": revisions.NOTE_MAX,
             "description": "what changed after listening (shown in the history)"}}}

operation("/ideas/{id}/revisions", "post", "Refine a published idea while it gathers support",
          body=_REFINE_BODY,
          responses={"201": "the revision", "400": "not a JSON object",
                     "401": "no or bad token", "403": "not a creator",
                     "404": "absent or not visible",
                     "409": "idea_not_refinable: it no longer gathers support (qualified, "
                            "expired, withdrawn ...)",
                     "422": "invalid fields, an incomplete insight, or nothing_changed",
                     "429": "rate limited"})


@bp.post("/ideas/<int:idea_id>/revisions")
@limiter.limit(ratelimits.POSTING)
def create_revision(idea_id: int):
    user = require_caller()
    data = json_body()
    fields = _idea_fields({k: v for k, v in data.items() if k in ("description", "insight")})
    if "note" in data:
        fields["note"] = data["note"]
    try:
        with transaction():
            revision = revisions.refine_idea(user, idea_id, fields)
    except Invalid as error:
        raise _api_errors(error) from None
    db.session.expire_all()
    return revision_json(db.session.get(IdeaRevision, revision.id)), 201


operation("/ideas/{id}/revisions/{revision_id}/revert", "post", "A moderator reverts the "
          "latest standing revision (a change that turns the idea into another one)",
          body={"type": "object", "required": ["reason"], "properties": {
              "reason": written(revisions.REASON_MAX)}},
          responses={"200": "the revision, state reverted", "400": "not a JSON object",
                     "403": "not a moderator, or their own idea",
                     "404": "absent or not visible", "409": "already reverted, not the "
                     "latest standing revision, or revision_final (the idea no longer gathers "
                     "support)", "422": "reason missing"})


@bp.post("/ideas/<int:idea_id>/revisions/<int:revision_id>/revert")
def revert_revision(idea_id: int, revision_id: int):
    user = require_caller()
    data = json_body()
    with transaction():
        revisions.revert_revision(user, idea_id, revision_id, data.get("reason"))
    db.session.expire_all()
    return revision_json(db.session.get(IdeaRevision, revision_id))


# --- resonance and evidence -----------------------------------------------------------------

operation("/ideas/{id}/resonance", "get", "How far the idea's core resonates: the supporters' "
          "answers (kept counts) and their situations grouped by similarity", auth=False,
          responses={"200": "{counts: {me_too, someone_i_know, not_me}, situations, groups: "
                            "[{label, size, examples}]}", "404": "absent or not visible"})


@bp.get("/ideas/<int:idea_id>/resonance")
def get_resonance(idea_id: int):
    idea = idea_service.get_visible(caller(), idea_id)
    return resonance.summary(resonance.kept(idea.id))


operation("/ideas/{id}/evidence", "get", "The idea's evidence dashboard (its creators, "
          "reviewers, admins)",
          responses={"200": "{supporters_by_day: [{day, count, total}], would_buy: {yes, maybe, "
                            "no}, prices: [{currency, count, min, max, median}], reasons: [..], "
                            "reason_count, resonance, sources: {direct, share_links, tracked}, "
                            "milestone, suggestion}",
                     "401": "no or bad token", "403": "evidence_private: not a creator, "
                     "reviewer or admin", "404": "absent or not visible"})


@bp.get("/ideas/<int:idea_id>/evidence")
def get_evidence(idea_id: int):
    return creator_evidence.dashboard_for(require_caller(), idea_id)


# --- polls ----------------------------------------------------------------------------------

operation("/ideas/{id}/polls", "get", "The idea's pinned polls with their counts (and the "
          "caller's answer)", auth=False,
          responses={"200": "{items: [Poll]}", "404": "absent or not visible"})


@bp.get("/ideas/<int:idea_id>/polls")
def list_polls(idea_id: int):
    viewer = caller()
    idea = idea_service.get_visible(viewer, idea_id)
    pinned = polls.polls_of(idea.id)
    mine = polls.answers_of(viewer, pinned)
    return {"items": [polls.poll_json(p, mine.get(p.id)) for p in pinned]}


operation("/ideas/{id}/polls", "post", "Pin a poll to the idea (its creators, while it gathers "
          "support; at most 3)",
          body={"type": "object", "required": ["question", "options"], "properties": {
              "question": written(polls.QUESTION_MAX),
              "options": {"type": "array", "minItems": polls.MIN_OPTIONS,
                          "maxItems": polls.MAX_OPTIONS, "uniqueItems": True,
                          "items": written(polls.OPTION_MAX)}}},
          responses={"201": "the poll", "400": "not a JSON object", "401": "no or bad token",
                     "403": "not a creator", "404": "absent or not visible",
                     "409": "too_many_polls, or polls_not_open (not gathering support)",
                     "422": "bad question or options", "429": "rate limited"})


@bp.post("/ideas/<int:idea_id>/polls")
@limiter.limit(ratelimits.POSTING)
def create_poll(idea_id: int):
    user = require_caller()
    data = json_body()
    with transaction():
        poll = polls.pin_poll(user, idea_id, data.get("question"), data.get("options"))
    return polls.poll_json(poll), 201


operation("/polls/{id}/answers", "post", "Answer a poll (confirmed members; once)",
          body={"type": "object", "required": ["option_id"], "properties": {
              "option_id": {"type": "integer"}}},
          responses={"201": "the poll with its counts", "400": "not a JSON object",
                     "401": "no or bad token",
                     "403": "email not confirmed or blocked; own_idea (a creator of the idea)",
                     "404": "no such poll, or its idea is not visible",
                     "409": "already_answered", "422": "option_id not one of the poll's"})


@bp.post("/polls/<int:poll_id>/answers")
def answer_poll(poll_id: int):
    user = require_caller()
    data = json_body()
    with transaction():
        answer = polls.answer_poll(user, poll_id, data.get("option_id"))
    db.session.expire_all()
    poll = next(p for p in polls.polls_of(answer.poll_id) if p.id == poll_id)
    return polls.poll_json(poll, answer.option_id), 201
