"""API endpoints: supports, follows, comments and creators' updates, resubmitting expired ideas."""
from __future__ import annotations

from typing import Any

from flask import request

from app import permissions, ratelimits
from app.api import bp
from app.api.accounts import REF, ref_of
from app.api.core import caller, json_body, paginated, require_caller
from app.api.openapi import SCHEMAS, operation, written
from app.errors import Invalid
from app.extensions import limiter
from app.idempotency import idempotent
from app.models import Comment, Idea, Support
from app.queries import visible_idea
from app.services import comments, follows, milestones, moderation, referrals, supports
from app.transaction import transaction

SCHEMAS["SupportAnswers"] = {"type": "object", "properties": {
    "would_buy": {"type": "string", "enum": ["yes", "maybe", "no"]},
    "price": {"type": "object", "required": ["amount", "currency"], "properties": {
        "amount": {"type": "integer", "minimum": 0, "maximum": supports.MAX_PRICE_MINOR,
                   "description": "integer minor units"},
        "currency": {"$ref": "#/components/schemas/Money/properties/currency"}}},
    "reason": {"type": "string", "maxLength": supports.REASON_MAX_LENGTH},
    "resonance": {"type": "string", "enum": ["me_too", "someone_i_know", "not_me"],
                  "description": "does the idea's core fit the supporter's own life"},
    "my_situation": {"type": "string", "maxLength": 300,
                     "description": "the supporter's own situation, in a sentence, not "
                                    "placeholder text (422); shown grouped by similarity, never "
                                    "with their name"}}}
SCHEMAS["Comment"] = {"type": "object", "properties": {
    "id": {"type": "integer"}, "idea_id": {"type": "integer"},
    "parent_id": {"type": "integer", "nullable": True},
    "body": {"type": "string", "description": "absent when the comment is hidden or deleted"},
    "author": {"type": "object", "description": "absent when the comment is hidden or deleted"},
    "is_official": {"type": "boolean"}, "is_update": {"type": "boolean"},
    "hidden": {"type": "boolean"}, "deleted": {"type": "boolean"},
    "removed_by_moderator": {"type": "boolean", "description": "deleted by a moderator, not "
                             "by its author"}, "edited": {"type": "boolean"},
    "created_at": {"type": "string", "format": "date-time"},
    "edited_at": {"type": "string", "format": "date-time", "nullable": True},
    "replies": {"type": "array", "items": {"type": "object"}}}}
_BODY = {"type": "object", "required": ["body"], "properties": {
    "body": written(comments.BODY_MAX_LENGTH)}}


def _iso(value) -> str | None:
    return value.isoformat() if value else None


def support_json(support: Support, idea: Idea) -> dict[str, Any]:
    price = None
    if support.price_minor is not None:
        price = {"amount": support.price_minor, "currency": support.price_currency}
    return {"id": support.id, "idea_id": support.idea_id, "user_id": support.user_id,
            "would_buy": support.would_buy, "price": price, "reason": support.reason,
            "resonance": support.resonance, "my_situation": support.my_situation,
            "created_at": _iso(support.created_at),
            "idea": {"id": idea.id, "status": idea.effective_status,
                     "support_count": idea.support_count,
                     "next_milestone": idea.next_milestone, "deadline": _iso(idea.deadline)}}


def comment_json(comment: Comment, *, with_replies: bool = True) -> dict[str, Any]:
    """A comment as readers see it: hidden and deleted comments keep their place but not
    their text or author."""
    deleted = comment.deleted_at is not None
    data: dict[str, Any] = {
        "id": comment.id, "idea_id": comment.idea_id, "parent_id": comment.parent_id,
        "is_official": comment.is_official, "is_update": comment.is_update,
        "hidden": comment.hidden and not deleted, "deleted": deleted,
        "removed_by_moderator": deleted and comment.removed_by_moderator,
        "edited": comment.edited_at is not None, "created_at": _iso(comment.created_at),
        "edited_at": _iso(comment.edited_at),
    }
    body = comments.shown_body(comment)
    if body is not None:
        data["body"] = body
        data["author"] = {"id": comment.author.id, "display_name": comment.author.display_name}
    if with_replies and comment.parent_id is None:
        data["replies"] = [comment_json(reply, with_replies=False) for reply in comment.replies]
    return data


def _json_or_empty() -> dict[str, Any]:
    """All fields optional: an empty body means {}; anything else must be a JSON object."""
    if not request.get_data(cache=True):
        return {}
    return json_body()


def _int_or_none(data: dict, name: str) -> int | None:
    value = data.get(name)
    if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
        raise Invalid({name: "must be an integer"})
    return value


# --- supports ------------------------------------------------------------------------------

SCHEMAS["SupportRequest"] = {"allOf": [{"$ref": "#/components/schemas/SupportAnswers"}, {
    "type": "object", "properties": {"ref": REF}}]}

operation("/ideas/{id}/supports", "post", "Support an idea (confirmed members; once; not one's "
          "own; only while it gathers support). Optional answers for the reviewers; `ref`: the "
          "share code of the link that brought the supporter (credited once per support of "
          "this idea).",
          body={"$ref": "#/components/schemas/SupportRequest"},
          responses={"201": "the support, with the idea's new support_count",
                     "400": "not a JSON object", "401": "no or bad token",
                     "403": "own_idea, email_not_confirmed", "404": "no such visible idea",
                     "409": "already_supporting, not_gathering", "422": "invalid answers",
                     "429": "rate limited"})


@bp.post("/ideas/<int:idea_id>/supports")
@limiter.limit(ratelimits.SUPPORTING)
@idempotent
def create_support(idea_id: int):
    user = require_caller()
    answers = dict(_json_or_empty())
    ref = ref_of(answers)
    answers.pop("ref", None)
    with transaction():
        support = supports.support_idea(user, idea_id, answers)
        referrals.credit_support(ref, user, idea_id)  # a share link brought them
        body = support_json(support, support.idea)  # the exact count, before the commit
    return body, 201


operation("/ideas/{id}/supports", "delete", "Withdraw the caller's support while the idea "
          "still gathers support",
          responses={"204": "withdrawn", "401": "no or bad token", "404": "no such visible idea",
                     "409": "not_gathering (supporter list is final), not_supporting"})


@bp.delete("/ideas/<int:idea_id>/supports")
@limiter.limit(ratelimits.SUPPORTING)
def delete_support(idea_id: int):
    with transaction():
        supports.withdraw_support(require_caller(), idea_id)
    return "", 204


# --- follows -------------------------------------------------------------------------------

operation("/ideas/{id}/follow", "post", "Follow an idea: hear about its milestones, updates and "
          "status changes (supporters follow automatically)",
          responses={"201": "{following: true}", "200": "already following",
                     "401": "no or bad token", "403": "email_not_confirmed",
                     "404": "no such visible idea"})


@bp.post("/ideas/<int:idea_id>/follow")
def follow_idea(idea_id: int):
    with transaction():
        added = follows.follow_idea(require_caller(), idea_id)
    return {"idea_id": idea_id, "following": True}, 201 if added else 200


operation("/ideas/{id}/follow", "delete", "Stop following an idea",
          responses={"204": "not following (any more)", "401": "no or bad token",
                     "404": "no such visible idea"})


@bp.delete("/ideas/<int:idea_id>/follow")
def unfollow_idea(idea_id: int):
    with transaction():
        follows.unfollow_idea(require_caller(), idea_id)
    return "", 204


# --- comments ------------------------------------------------------------------------------

operation("/ideas/{id}/comments", "get", "The discussion: top-level comments oldest first, each "
          "with its replies; hidden and deleted comments have no body or author", auth=False,
          responses={"200": "{items: [Comment], page, per_page, total}",
                     "404": "no such visible idea"})


@bp.get("/ideas/<int:idea_id>/comments")
def list_comments(idea_id: int):
    idea = permissions.require_visible(caller(), visible_idea(caller(), idea_id))
    return paginated(comments.thread_query(idea.id), comment_json)


operation("/ideas/{id}/comments", "post", "Comment on an idea, or reply with parent_id (a reply "
          "to a reply joins the top-level thread)",
          body={"type": "object", "required": ["body"], "properties": {
              "body": written(comments.BODY_MAX_LENGTH),
              "parent_id": {"type": "integer"}}},
          responses={"201": "the comment", "400": "not a JSON object", "401": "no or bad token",
                     "403": "email_not_confirmed", "404": "no such visible idea",
                     "409": "discussion_closed (idea not public)",
                     "422": "empty or too long body, parent from another idea",
                     "429": "rate limited"})


@bp.post("/ideas/<int:idea_id>/comments")
@limiter.limit(ratelimits.POSTING)
@idempotent
def create_comment(idea_id: int):
    user = require_caller()
    data = json_body()
    with transaction():
        comment = comments.post_comment(user, idea_id, data.get("body"),
                                        _int_or_none(data, "parent_id"))
    return comment_json(comment), 201


operation("/ideas/{id}/updates", "post", "A creator's update on their idea (shown in the "
          "discussion, followers and supporters are told)", body=_BODY,
          responses={"201": "the update (a comment with is_update true)",
                     "403": "not_a_creator", "404": "no such visible idea",
                     "409": "discussion_closed", "422": "empty or too long body"})


@bp.post("/ideas/<int:idea_id>/updates")
@limiter.limit(ratelimits.POSTING)
@idempotent
def create_update(idea_id: int):
    user = require_caller()
    with transaction():
        comment = comments.post_update(user, idea_id, json_body().get("body"))
    return comment_json(comment), 201


operation("/comments/{id}", "patch", "Edit one's comment (the previous text is kept)",
          body=_BODY, responses={"200": "the comment", "403": "not_the_author",
                                 "404": "no such visible comment",
                                 "409": "comment_deleted, comment_hidden",
                                 "422": "empty or too long body"})


@bp.patch("/comments/<int:comment_id>")
@limiter.limit(ratelimits.POSTING)
def edit_comment(comment_id: int):
    user = require_caller()
    with transaction():
        comment = comments.edit_comment(user, comment_id, json_body().get("body"))
    return comment_json(comment)


operation("/comments/{id}", "delete", "Delete a comment (its author or a moderator); it shows "
          "as deleted, replies stay",
          responses={"204": "deleted", "403": "not_the_author",
                     "404": "no such visible comment"})


@bp.delete("/comments/<int:comment_id>")
def delete_comment(comment_id: int):
    with transaction():
        comments.delete_comment(require_caller(), comment_id)
    return "", 204


operation("/comments/{id}/history", "get", "Earlier texts of an edited comment, newest first",
          auth=False, responses={"200": "{items: [{body, replaced_at}], ...}",
                                 "404": "no such visible comment"})


@bp.get("/comments/<int:comment_id>/history")
def comment_history(comment_id: int):
    comment, revisions = comments.revisions_of(caller(), comment_id)
    items = [{"body": r.body, "replaced_at": _iso(r.created_at)} for r in revisions]
    return {"items": items, "page": 1, "per_page": max(len(items), 1), "total": len(items),
            "comment": comment_json(comment, with_replies=False)}


operation("/comments/{id}/reports", "post", "Report a comment to moderators (once per member, "
          "not one's own); reported by enough members it is hidden until a moderator decides",
          body={"type": "object", "properties": {
              "reason": {"type": "string", "maxLength": comments.REPORT_REASON_MAX_LENGTH}}},
          responses={"201": "{id, comment_id, reason, created_at}", "403": "own_comment",
                     "404": "no such visible comment", "409": "already_reported",
                     "422": "reason too long"})


@bp.post("/comments/<int:comment_id>/reports")
@limiter.limit(ratelimits.POSTING)
@idempotent
def report_comment(comment_id: int):
    user = require_caller()
    data = _json_or_empty()
    reason = data.get("reason")
    with transaction():
        report = comments.report_comment(user, comment_id, "" if reason is None else reason)
    return {"id": report.id, "comment_id": report.comment_id, "reason": report.reason,
            "created_at": _iso(report.created_at)}, 201


# --- expired ideas -------------------------------------------------------------------------

operation("/ideas/{id}/resubmit", "post", "Start a new draft from one's expired idea "
          "(support starts again from zero)",
          responses={"201": "{id, status: draft, resubmitted_from_id}", "403": "not_the_owner",
                     "404": "no such visible idea", "409": "not_expired, already_resubmitted"})


@bp.post("/ideas/<int:idea_id>/resubmit")
@limiter.limit(ratelimits.POSTING)
def resubmit_idea(idea_id: int):
    with transaction():
        new = milestones.resubmit_expired(require_caller(), idea_id)
    return {"id": new.id, "status": new.status, "title": new.title,
            "resubmitted_from_id": new.resubmitted_from_id}, 201


# --- reports of ideas and members (the comments' rules and queue) ------------------------------

_REPORT_BODY = {"type": "object", "properties": {
    "reason": {"type": "string", "maxLength": comments.REPORT_REASON_MAX_LENGTH}}}


def _report_json(report) -> dict[str, Any]:
    return {"id": report.id, "kind": report.kind, "target_id": report.target_id,
            "reason": report.reason, "created_at": _iso(report.created_at)}


operation("/ideas/{id}/reports", "post", "Report a public idea to moderators (once per member, "
          "not one's own); reported by enough members it is hidden until a moderator decides",
          body=_REPORT_BODY,
          responses={"201": "{id, kind, target_id, reason, created_at}", "401": "no or bad token",
                     "403": "own_idea, email_not_confirmed", "404": "no such visible idea",
                     "409": "already_reported, not_reportable", "422": "reason too long",
                     "429": "rate limited"})


@bp.post("/ideas/<int:idea_id>/reports")
@limiter.limit(ratelimits.POSTING)
@idempotent
def report_idea(idea_id: int):
    user = require_caller()
    reason = _json_or_empty().get("reason")
    with transaction():
        report = moderation.report_idea(user, idea_id, reason)
        body = _report_json(report)
    return body, 201


operation("/users/{id}/reports", "post", "Report another member to moderators (once per member); "
          "a moderator decides (reports alone never block anyone)", body=_REPORT_BODY,
          responses={"201": "{id, kind, target_id, reason, created_at}", "401": "no or bad token",
                     "403": "cannot_report_self, email_not_confirmed", "404": "no such user",
                     "409": "already_reported", "422": "reason too long", "429": "rate limited"})


@bp.post("/users/<int:user_id>/reports")
@limiter.limit(ratelimits.POSTING)
@idempotent
def report_member(user_id: int):
    user = require_caller()
    reason = _json_or_empty().get("reason")
    with transaction():
        report = moderation.report_member(user, user_id, reason)
        body = _report_json(report)
    return body, 201


_DECIDE_REPORTS_BODY = {"type": "object", "required": ["decision"], "properties": {
    "decision": {"type": "string", "enum": ["restore", "remove"]},
    "reason": {"type": "string", "maxLength": 2000}}}

operation("/moderation/reports/ideas/{id}", "post", "Decide on an idea's open reports "
          "(moderators): restore dismisses them (an idea they hid shows again), remove upholds "
          "them (the idea is hidden; a reason is required); never on one's own idea",
          body=_DECIDE_REPORTS_BODY,
          responses={"200": "{kind, id, hidden}", "401": "no or bad token",
                     "403": "moderators only, separation_of_duties", "404": "no such idea",
                     "409": "already hidden", "422": "decision or reason missing"})
operation("/moderation/reports/users/{id}", "post", "Decide on a member's open reports "
          "(moderators): restore dismisses them, remove upholds them (the account is blocked; "
          "a reason is required); never on reports about oneself",
          body=_DECIDE_REPORTS_BODY,
          responses={"200": "{kind, id, blocked}", "401": "no or bad token",
                     "403": "moderators only, separation_of_duties, admins_only (staff)",
                     "404": "no such user", "409": "already blocked",
                     "422": "decision or reason missing"})


@bp.post("/moderation/reports/ideas/<int:target_id>", defaults={"kind": "idea"})
@bp.post("/moderation/reports/users/<int:target_id>", defaults={"kind": "user"})
def decide_reports(kind: str, target_id: int):
    user = require_caller()
    data = json_body()
    decision = data.get("decision")
    if decision not in ("restore", "remove"):
        raise Invalid({"decision": "restore or remove"})
    with transaction():
        if kind == "idea":
            idea = moderation.decide_idea_reports(user, target_id, decision == "remove",
                                                  data.get("reason"))
            body = {"kind": kind, "id": idea.id, "hidden": idea.hidden}
        else:
            member = moderation.decide_member_reports(user, target_id, decision == "remove",
                                                      data.get("reason"))
            body = {"kind": kind, "id": member.id, "blocked": member.is_blocked}
    return body
