"""API endpoints: authoring ideas (drafts, images, co-creators, consent, submission),
moderation, and categories. Thin: each endpoint calls one service function.

`idea_json(idea, viewer)` is the one shape of an idea in the API; other modules reuse it.
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import request, url_for
from sqlalchemy import select

from app import permissions, ratelimits
from app.api import bp
from app.api.core import caller, json_body, require_caller
from app.api.openapi import PATHS, SCHEMAS, operation, written
from app.errors import Invalid
from app.extensions import db, limiter
from app.idempotency import idempotent
from app.models import Category, Consent, CreatorInvitation, Idea, IdeaCreator, IdeaImage
from app.services import ideas as idea_service
from app.services import insight as insight_rules
from app.services import moderation as moderation_service
from app.transaction import transaction


# --- shapes ---------------------------------------------------------------------------------

def image_urls(image: IdeaImage) -> dict[str, str]:
    return {size: url_for("ideas.image", key=image.key, size=size)
            for size in idea_service.IMAGE_SIZES}


def creator_json(creator: IdeaCreator) -> dict[str, Any]:
    return {"user_id": creator.user_id, "display_name": creator.user.display_name,
            "share_bps": creator.share_bps, "is_owner": creator.is_owner,
            "consented": creator.consent_id is not None}


def idea_json(idea: Idea, viewer: Any = None, *,
              product_ids: Mapping[int, int] | None = None) -> dict[str, Any]:
    """An idea as the API shows it. Cheap with `images`, `tags`, `category` and
    `creators.user` loaded (services.ideas.page_options()); `product_id` costs one query only
    for approved ideas, none when `product_ids` (idea id -> product id) is given."""
    if product_ids is not None:
        product_id = product_ids.get(idea.id)
    else:
        product_id = idea_service.product_id_of(idea)
    return {
        "id": idea.id,
        "title": idea.title,
        "pitch": idea.pitch,
        "description": idea.description,
        "category": idea.category.slug if idea.category else None,
        "tags": [tag.name for tag in idea.tags],
        "insight": idea.insight,
        "status": idea.effective_status,
        "support_count": idea.support_count,
        "next_milestone": idea.next_milestone,
        "deadline": idea.deadline.isoformat() if idea.deadline else None,
        "creators": [creator_json(c) for c in idea.creators],
        "images": [{"id": image.id, "urls": image_urls(image)} for image in idea.images],
        "product_id": product_id,
        "campaign_id": idea.campaign_id,
        "staff_picked_at": idea.staff_picked_at.isoformat() if idea.staff_picked_at else None,
    }


def consent_json(consent: Consent) -> dict[str, Any]:
    return {"id": consent.id, "idea_id": consent.idea_id, "user_id": consent.user_id,
            "agreement_version": consent.agreement_version,
            "agreement_sha256": consent.agreement_sha256, "share_bps": consent.share_bps,
            "email": consent.email,
            "email_confirmed_at": consent.email_confirmed_at.isoformat()
            if consent.email_confirmed_at else None,
            "created_at": consent.created_at.isoformat() if consent.created_at else None}


def _fresh(idea_id: int, viewer: Any) -> dict[str, Any]:
    """The idea as it now stands (after a change), re-read with its relationships."""
    db.session.expire_all()
    return idea_json(idea_service.get_visible(viewer, idea_id), viewer)


def _idea_fields(data: Mapping[str, Any]) -> dict[str, Any]:
    """The service's field names from an API body ({..., insight: {situation, ...}})."""
    fields = {name: data[name] for name in ("title", "pitch", "description", "category", "tags")
              if name in data}
    if "tags" in data and data["tags"] is not None and not isinstance(data["tags"], list):
        raise Invalid({"tags": "Must be a list of strings."})
    if "insight" in data:
        insight = data["insight"]
        if insight is None:
            insight = {}
        if not isinstance(insight, dict):
            raise Invalid({"insight": "Must be an object {scene, conflict, own_words, success, "
                                      "judged_by, whys, core} (or {situation, emotion, purpose})."})
        whys = insight.get("whys")
        if whys is not None and (not isinstance(whys, list) or len(whys) > len(insight_rules.WHYS)):
            raise Invalid({"insight.whys": "Must be a list of at most three strings."})
        fields.update({name: value for name, value in insight.items()
                       if name in (*insight_rules.PARTS, *insight_rules.LEGACY, "whys")})
    return fields


def _api_field(name: str) -> str:
    """A service field's name in the API: insight.scene, insight.whys.0 ..."""
    if name in insight_rules.WHYS:
        return f"insight.whys.{insight_rules.WHYS.index(name)}"
    if name in insight_rules.PARTS or name in idea_service.INSIGHT_FIELDS:
        return f"insight.{name}"
    return name


def _api_errors(error: Invalid) -> Invalid:
    """Field errors under the API's names (insight.situation rather than situation)."""
    renamed = {_api_field(k): v for k, v in error.fields.items()}
    return Invalid(renamed, error.message, error.code)


def _optional_body() -> dict[str, Any]:
    """A JSON object body, or {} when the request has no body at all."""
    return json_body() if request.get_data() else {}


def _client() -> dict[str, str]:
    return {"ip_address": request.remote_addr or "",
            "user_agent": request.user_agent.string or ""}


SCHEMAS["Idea"] = {"type": "object", "properties": {
    "id": {"type": "integer"}, "title": {"type": "string", "maxLength": 120},
    "pitch": {"type": "string", "maxLength": 200},
    "description": {"type": "string", "maxLength": 20000, "description": "Markdown"},
    "category": {"type": "string", "nullable": True, "description": "category slug"},
    "tags": {"type": "array", "maxItems": 10, "items": {"type": "string", "maxLength": 40}},
    "insight": {"type": "object", "properties": {
        **{part: {"type": "string"} for part in ("scene", "conflict", "own_words", "success",
                                                 "judged_by", "core")},
        "whys": {"type": "array", "minItems": 3, "maxItems": 3, "items": {"type": "string"}},
        "situation": {"type": "string", "description": "the scene (first version's name)"},
        "emotion": {"type": "string", "description": "the conflict (first version's name)"},
        "purpose": {"type": "string", "description": "success (first version's name)"}}},
    "status": {"type": "string"}, "support_count": {"type": "integer"},
    "next_milestone": {"type": "integer", "nullable": True},
    "deadline": {"type": "string", "format": "date-time", "nullable": True},
    "creators": {"type": "array", "items": {"type": "object", "properties": {
        "user_id": {"type": "integer"}, "display_name": {"type": "string"},
        "share_bps": {"type": "integer"}, "is_owner": {"type": "boolean"},
        "consented": {"type": "boolean"}}}},
    "images": {"type": "array", "items": {"type": "object", "properties": {
        "id": {"type": "integer"}, "urls": {"type": "object", "properties": {
            "thumb": {"type": "string"}, "card": {"type": "string"},
            "large": {"type": "string"}}}}}},
    "product_id": {"type": "integer", "nullable": True},
    "campaign_id": {"type": "integer", "nullable": True,
                    "description": "the campaign it was entered into"},
    "staff_picked_at": {"type": "string", "format": "date-time", "nullable": True}}}
def _category_slugs() -> list[str]:
    """The slugs a new idea may name, for the OpenAPI document (read when it is served)."""
    return [*db.session.scalars(select(Category.slug).order_by(Category.slug)), ""]


#: Every field but the title may be null: null leaves it as it is (the same as leaving it out).
_IDEA_BODY = {"type": "object", "properties": {
    "title": written(idea_service.TITLE_MAX),
    "pitch": {"type": "string", "maxLength": 200, "nullable": True},
    "description": {"type": "string", "maxLength": 20000, "nullable": True},
    "category": {"type": "string", "description": "a category's slug (GET /categories)",
                 "nullable": True, "enum": lambda: [*_category_slugs(), None]},
    "tags": {"type": "array", "maxItems": idea_service.TAGS_MAX, "nullable": True,
             "items": {"type": "string", "maxLength": idea_service.TAG_MAX}},
    "insight": {"type": "object", "nullable": True, "description": (
        "The guided N=1 insight. While drafting every part is optional but may not be "
        "placeholder text; submitting needs scene, conflict, success, the three whys and the "
        "core (minimum lengths in README, 'The guided insight'). situation, emotion and purpose "
        "are the first version's names of scene, conflict and success."), "properties": {
        **{part: {"type": "string", "maxLength": insight_rules.PART_MAX, "nullable": True}
           for part in ("scene", "conflict", "own_words", "success", "judged_by")},
        "whys": {"type": "array", "maxItems": 3, "nullable": True, "items": {
            "type": "string", "maxLength": insight_rules.PART_MAX, "nullable": True}},
        "core": {"type": "string", "maxLength": insight_rules.CORE_MAX, "nullable": True},
        "situation": {"type": "string", "maxLength": 2000, "nullable": True},
        "emotion": {"type": "string", "maxLength": 2000, "nullable": True},
        "purpose": {"type": "string", "maxLength": 2000, "nullable": True}}}}}


# --- ideas ----------------------------------------------------------------------------------

_NEW_IDEA_BODY = {**_IDEA_BODY, "required": ["title"], "properties": {
    **_IDEA_BODY["properties"],
    "campaign_id": {"type": "integer", "nullable": True,
                    "description": "enter the idea into this open campaign (GET /campaigns)"},
    "campaign_answers": {"type": "object", "nullable": True,
                         "description": "answers to the campaign's questions, by key",
                         "additionalProperties": {"type": "string", "maxLength": 2000}}}}

operation("/ideas", "post", "Create a draft idea (title required; the rest before submitting), "
          "optionally entered into an open campaign (campaign_id, campaign_answers)",
          body=_NEW_IDEA_BODY,
          responses={"201": "the idea, status draft", "400": "not a JSON object",
                     "401": "no or bad token", "403": "email not confirmed or blocked",
                     "404": "campaign_not_found: no campaign has campaign_id",
                     "409": "campaign_closed: the campaign does not take entries today",
                     "422": "invalid fields", "429": "rate limited"})


def _check_campaign_fields(data: Mapping[str, Any]) -> None:
    """campaign_id an integer, campaign_answers an object of texts (each as documented)."""
    campaign_id, answers = data.get("campaign_id"), data.get("campaign_answers")
    if campaign_id is not None and (isinstance(campaign_id, bool) or not isinstance(campaign_id, int)):
        raise Invalid({"campaign_id": "Must be a campaign id."})
    if answers is not None and (not isinstance(answers, dict) or not all(
            isinstance(v, str) and len(v) <= 2000 for v in answers.values())):
        raise Invalid({"campaign_answers": "Must be an object of texts (at most 2000 "
                                           "characters each)."})


@bp.post("/ideas")
@limiter.limit(ratelimits.POSTING)
@idempotent
def create_idea():
    user = require_caller()
    data = json_body()
    try:
        with transaction():
            fields = _idea_fields(data)
            _check_campaign_fields(data)
            if data.get("campaign_id") is not None:
                fields["campaign_id"] = data["campaign_id"]
                fields["campaign_answers"] = data.get("campaign_answers")
            idea = idea_service.create_draft(user, fields)
    except Invalid as error:
        raise _api_errors(error) from None
    return _fresh(idea.id, user), 201, {"Location": url_for("api.get_idea", idea_id=idea.id)}


operation("/ideas/{id}", "get", "One idea", auth=False,
          responses={"200": "the idea", "404": "absent or not visible to the caller"})


@bp.get("/ideas/<int:idea_id>")
def get_idea(idea_id: int):
    viewer = caller()
    return idea_json(idea_service.get_visible(viewer, idea_id), viewer)


operation("/ideas/{id}", "patch", "Change a draft (or an idea that needs changes): any fields",
          body=_IDEA_BODY,
          responses={"200": "the idea", "400": "not a JSON object", "401": "no or bad token",
                     "403": "not a creator", "404": "absent or not visible",
                     "409": "not a draft or needs_changes", "422": "invalid fields"})


@bp.patch("/ideas/<int:idea_id>")
@limiter.limit(ratelimits.POSTING)
def patch_idea(idea_id: int):
    user = require_caller()
    data = json_body()
    try:
        with transaction():
            idea_service.update_idea(user, idea_id, _idea_fields(data))
    except Invalid as error:
        raise _api_errors(error) from None
    return _fresh(idea_id, user)


operation("/ideas/{id}", "delete", "Delete a draft (its owner)",
          responses={"204": "deleted", "401": "no or bad token", "403": "not the owner",
                     "404": "absent or not visible", "409": "not a draft"})


@bp.delete("/ideas/<int:idea_id>")
def delete_idea(idea_id: int):
    with transaction():
        idea_service.delete_draft(require_caller(), idea_id)
    return "", 204


operation("/ideas/{id}/withdraw", "post", "Withdraw an idea that gathers support (its owner)",
          body={"type": "object", "properties": {"reason": {"type": "string"}}},
          responses={"200": "the idea, status withdrawn", "403": "not the owner",
                     "404": "absent or not visible", "409": "not gathering support"})


@bp.post("/ideas/<int:idea_id>/withdraw")
def withdraw_idea(idea_id: int):
    user = require_caller()
    reason = _optional_body().get("reason")
    if reason is not None and not isinstance(reason, str):
        raise Invalid({"reason": "Must be a string."})
    with transaction():
        idea_service.withdraw_idea(user, idea_id, reason)
    return _fresh(idea_id, user)


# --- images ---------------------------------------------------------------------------------

operation("/ideas/{id}/images", "post", "Add an image (multipart field `file`); the first is "
          "the cover",
          responses={"201": "{id, urls: {thumb, card, large}}", "400": "no file field",
                     "403": "not a creator", "404": "absent or not visible",
                     "409": "not editable, or already the maximum number of images",
                     "413": "too large", "422": "not an acceptable image (damaged, unsupported "
                     "format, too many pixels, a side or aspect ratio beyond the limits)",
                     "507": "storage_unavailable: the file could not be stored (storage full or "
                     "failing); nothing was saved"})
PATHS["/ideas/{id}/images"]["post"]["requestBody"] = {"required": True, "content": {
    "multipart/form-data": {"schema": {"type": "object", "required": ["file"], "properties": {
        "file": {"type": "string", "format": "binary"}}}}}}


@bp.post("/ideas/<int:idea_id>/images")
@limiter.limit(ratelimits.POSTING)
def upload_image(idea_id: int):
    user = require_caller()
    upload = request.files.get("file")
    if upload is None:
        raise Invalid({"file": "Send the image as the multipart field `file`."})
    with transaction():
        image = idea_service.add_image(user, idea_id, upload.read())
    return {"id": image.id, "urls": image_urls(image)}, 201


operation("/ideas/{id}/images/{image_id}", "delete", "Remove an image",
          responses={"204": "removed", "403": "not a creator", "404": "absent",
                     "409": "not editable"})


@bp.delete("/ideas/<int:idea_id>/images/<int:image_id>")
def delete_image(idea_id: int, image_id: int):
    with transaction():
        idea_service.delete_image(require_caller(), idea_id, image_id)
    return "", 204


operation("/ideas/{id}/images/{image_id}", "patch", "Move an image: {position} (0 = cover)",
          body={"type": "object", "required": ["position"],
                "properties": {"position": {"type": "integer", "minimum": 0}}},
          responses={"200": "the idea", "403": "not a creator", "404": "absent",
                     "409": "not editable", "422": "bad position"})


@bp.patch("/ideas/<int:idea_id>/images/<int:image_id>")
def move_image(idea_id: int, image_id: int):
    user = require_caller()
    position = json_body().get("position")
    if isinstance(position, bool) or not isinstance(position, int) or position < 0:
        raise Invalid({"position": "A whole number, 0 for the cover."})
    with transaction():
        idea_service.move_image(user, idea_id, image_id, position)
    return _fresh(idea_id, user)


# --- co-creators, consent, submission ---------------------------------------------------------

def invitation_json(invitation: CreatorInvitation) -> dict[str, Any]:
    """The same shape whoever the address belongs to (it says nothing of registration)."""
    return {"id": invitation.id, "idea_id": invitation.idea_id, "email": invitation.email,
            "share_bps": invitation.share_bps, "status": invitation.status,
            "created_at": invitation.created_at.isoformat() if invitation.created_at else None}


#: The invitee's address, as email-validator reads it (app.services.invitations).
INVITE_EMAIL = {"type": "string", "format": "email", "maxLength": 254}

_INVITATION = ("the invitation {id, idea_id, email, share_bps, status, created_at}: the same "
               "answer whether or not a member has the address")

operation("/ideas/{id}/creators", "post", "Invite a co-creator by e-mail address with a revenue "
          "share (the owner keeps 10,000 bps minus the others). A confirmed member with the "
          "address is told once; any other address gets an invitation to join. The invitee "
          "becomes a co-creator by consenting (POST /ideas/{id}/consent) or through the link",
          body={"type": "object", "required": ["email", "share_bps"], "properties": {
              "email": INVITE_EMAIL, "share_bps": {"type": "integer", "minimum": 0,
                                                         "maximum": 9999}}},
          responses={"201": _INVITATION,
                     "400": "not a JSON object", "403": "not the owner",
                     "404": "absent or not visible",
                     "409": "not a draft, already a creator or already invited",
                     "422": "invalid address, bad share, or shares would reach 10,000",
                     "429": "invitations_limited: too many today for this idea or inviter"})


@bp.post("/ideas/<int:idea_id>/creators")
@idempotent
def invite_creator(idea_id: int):
    user = require_caller()
    data = json_body()
    with transaction():
        invitation = idea_service.invite_co_creator(user, idea_id, data.get("email"),
                                                    data.get("share_bps"))
    return invitation_json(invitation), 201


operation("/ideas/{id}/invitations", "get", "The idea's pending co-creator invitations (owner)",
          responses={"200": "list of invitations", "403": "not the owner",
                     "404": "absent or not visible", "409": "not a draft"})


@bp.get("/ideas/<int:idea_id>/invitations")
def list_invitations(idea_id: int):
    user = require_caller()
    idea = idea_service.get_visible(user, idea_id)
    permissions.require(user, "invite_co_creator", idea)
    return {"items": [invitation_json(i) for i in idea_service.pending_invitations(idea)]}


operation("/ideas/{id}/invitations/{invitation_id}", "delete", "Withdraw a pending invitation",
          responses={"204": "withdrawn", "403": "not the owner",
                     "404": "no such pending invitation", "409": "not a draft"})


@bp.delete("/ideas/<int:idea_id>/invitations/<int:invitation_id>")
def revoke_invitation(idea_id: int, invitation_id: int):
    with transaction():
        idea_service.revoke_invitation(require_caller(), idea_id, invitation_id)
    return "", 204


operation("/ideas/{id}/creators/{user_id}", "patch", "Change a co-creator's share (everyone "
          "whose share changes must consent again)",
          body={"type": "object", "required": ["share_bps"],
                "properties": {"share_bps": {"type": "integer", "minimum": 0, "maximum": 9999}}},
          responses={"200": "the idea", "403": "not the owner", "404": "no such co-creator",
                     "409": "not a draft", "422": "bad share"})


@bp.patch("/ideas/<int:idea_id>/creators/<int:user_id>")
def change_share(idea_id: int, user_id: int):
    user = require_caller()
    with transaction():
        idea_service.change_share(user, idea_id, user_id, json_body().get("share_bps"))
    return _fresh(idea_id, user)


operation("/ideas/{id}/creators/{user_id}", "delete", "Remove a co-creator (the owner), or "
          "leave (the co-creator)",
          responses={"204": "removed", "403": "not the owner", "404": "no such co-creator",
                     "409": "not a draft"})


@bp.delete("/ideas/<int:idea_id>/creators/<int:user_id>")
def remove_creator(idea_id: int, user_id: int):
    with transaction():
        idea_service.remove_co_creator(require_caller(), idea_id, user_id)
    return "", 204


_VERSION_BODY = {"type": "object", "required": ["agreement_version"],
                 "properties": {"agreement_version": {
                     "type": "string", "description": "the current agreement's version",
                     "enum": lambda: _current_agreement_version()}}}


def _current_agreement_version() -> list[str]:
    from app.services.agreements import current_agreement

    agreement = current_agreement()
    return [agreement.version] if agreement is not None else [""]

operation("/ideas/{id}/consent", "post", "A creator consents to the current agreement and their "
          "share", body=_VERSION_BODY,
          responses={"201": "the consent {id, idea_id, user_id, agreement_version, "
                            "agreement_sha256, share_bps, email, email_confirmed_at, "
                            "created_at}; an invitee signed in with the invited address "
                            "becomes a co-creator by consenting",
                     "400": "not a JSON object",
                     "403": "not a creator, or email_not_confirmed",
                     "404": "absent or not visible", "409": "already submitted",
                     "422": "not the current agreement version"})


@bp.post("/ideas/<int:idea_id>/consent")
@idempotent
def consent(idea_id: int):
    user = require_caller()
    data = json_body()
    with transaction():
        row = idea_service.consent(user, idea_id, data.get("agreement_version"), **_client())
    return consent_json(row), 201


operation("/ideas/{id}/submit", "post", "The owner consents to the current agreement and "
          "submits the idea for moderation", body=_VERSION_BODY,
          responses={"200": "the idea, status pending_moderation", "400": "not a JSON object",
                     "403": "not the owner", "404": "absent or not visible",
                     "409": "consent_missing (a co-creator has not consented) or wrong status",
                     "422": "not the current agreement version, or required fields missing"})


@bp.post("/ideas/<int:idea_id>/submit")
@limiter.limit(ratelimits.POSTING)
def submit(idea_id: int):
    user = require_caller()
    data = json_body()
    try:
        with transaction():
            idea_service.submit_idea(user, idea_id, data.get("agreement_version"), **_client())
    except Invalid as error:
        raise _api_errors(error) from None
    return _fresh(idea_id, user)


# --- moderation -----------------------------------------------------------------------------

operation("/ideas/{id}/moderation", "post", "Moderate a submitted idea",
          body={"type": "object", "required": ["decision"], "properties": {
              "decision": {"type": "string", "enum": list(moderation_service.DECISIONS)},
              "reason": {"type": "string", "maxLength": moderation_service.REASON_MAX,
                         "description": "required unless publishing"}},
          "if": {"properties": {"decision": {"not": {"const": "publish"}}}},
          "then": {"required": ["reason"], "properties": {
              "reason": written(moderation_service.REASON_MAX)}}},
          responses={"200": "the idea", "400": "not a JSON object",
                     "403": "not a moderator, or separation_of_duties (their own idea)",
                     "404": "absent or not visible", "409": "not pending moderation",
                     "422": "bad decision, or reason missing"})


@bp.post("/ideas/<int:idea_id>/moderation")
def moderate(idea_id: int):
    user = require_caller()
    data = json_body()
    with transaction():
        moderation_service.decide(user, idea_id, data.get("decision"), data.get("reason"))
    return _fresh(idea_id, user)


_REASON_BODY = {"type": "object", "properties": {
    "reason": {"type": "string", "maxLength": moderation_service.REASON_MAX}}}
_REQUIRED_REASON_BODY = {"type": "object", "required": ["reason"], "properties": {
    "reason": written(moderation_service.REASON_MAX)}}

operation("/ideas/{id}/hide", "post", "Hide an idea from everyone but its creators and staff",
          body=_REQUIRED_REASON_BODY,
          responses={"200": "the idea",
                     "403": "not a moderator, or separation_of_duties (their own idea)",
                     "404": "absent", "409": "already hidden", "422": "reason missing"})


@bp.post("/ideas/<int:idea_id>/hide")
def hide(idea_id: int):
    user = require_caller()
    with transaction():
        moderation_service.hide_idea(user, idea_id, json_body().get("reason"))
    return _fresh(idea_id, user)


operation("/ideas/{id}/unhide", "post", "Show a hidden idea again", body=_REASON_BODY,
          responses={"200": "the idea", "403": "not a moderator", "404": "absent",
                     "409": "not hidden"})


@bp.post("/ideas/<int:idea_id>/unhide")
def unhide(idea_id: int):
    user = require_caller()
    with transaction():
        moderation_service.unhide_idea(user, idea_id, _optional_body().get("reason"))
    return _fresh(idea_id, user)


operation("/ideas/{id}/merge", "post", "Merge this duplicate into another idea (supporters "
          "are combined without counting anyone twice)",
          body={"type": "object", "required": ["target_id"], "properties": {
              "target_id": {"type": "integer"},
              "reason": {"type": "string", "maxLength": moderation_service.REASON_MAX}}},
          responses={"200": "the target idea",
                     "403": "not a moderator, or separation_of_duties (their own idea)",
                     "404": "absent, or no idea has target_id (target_not_found)",
                     "409": "already merged, into itself, or target not gathering support",
                     "422": "target_id not an integer, reason too long"})


@bp.post("/ideas/<int:idea_id>/merge")
def merge(idea_id: int):
    user = require_caller()
    data = json_body()
    with transaction():
        target = moderation_service.merge_ideas(user, idea_id, data.get("target_id"),
                                                data.get("reason"))
    return _fresh(target.id, user)


operation("/moderation/users/{id}/block", "post", "Block an account (moderators; staff only by admins)",
          body=_REQUIRED_REASON_BODY,
          responses={"200": "{id, blocked}", "403": "not allowed", "404": "no such user",
                     "409": "already blocked, or yourself", "422": "reason missing"})


@bp.post("/moderation/users/<int:user_id>/block")
def block_user(user_id: int):
    with transaction():
        user = moderation_service.block_user(require_caller(), user_id, json_body().get("reason"))
    return {"id": user.id, "blocked": True}


operation("/moderation/users/{id}/unblock", "post", "Unblock an account", body=_REASON_BODY,
          responses={"200": "{id, blocked}", "403": "not allowed", "404": "no such user",
                     "409": "not blocked"})


@bp.post("/moderation/users/<int:user_id>/unblock")
def unblock_user(user_id: int):
    with transaction():
        user = moderation_service.unblock_user(require_caller(), user_id,
                                               _optional_body().get("reason"))
    return {"id": user.id, "blocked": False}
