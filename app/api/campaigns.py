"""API endpoints: campaigns (open, list, read, cover, shortlist, community vote, winners) and
staff picks. Thin: each endpoint calls one service function (app.services.campaigns)."""
from __future__ import annotations

from typing import Any

from flask import request, url_for
from sqlalchemy import select

from app.api import bp
from app.api.core import caller, json_body, page_args, require_caller
from app.api.openapi import PATHS, SCHEMAS, operation, written
from app.errors import Invalid
from app.extensions import db
from app.idempotency import idempotent
from app.models import Campaign, Category
from app.models.base import ID_MAX, utcnow
from app.services import campaigns as service
from app.transaction import transaction


def _cover_urls(campaign: Campaign) -> dict[str, str] | None:
    if not campaign.cover_key:
        return None
    return {size: url_for("campaigns.cover", key=campaign.cover_key, size=size)
            for size in service.COVER_SIZES}


def campaign_json(campaign: Campaign, *, entries: int | None = None,
                  detail: bool = False, viewer: Any = None) -> dict[str, Any]:
    now = utcnow()
    body: dict[str, Any] = {
        "id": campaign.id, "title": campaign.title, "title_ja": campaign.title_ja,
        "brief": campaign.brief, "brief_html": campaign.brief_html,
        "brief_ja": campaign.brief_ja, "brief_ja_html": campaign.brief_ja_html,
        "starts_on": campaign.starts_on.isoformat(), "ends_on": campaign.ends_on.isoformat(),
        "state": campaign.state(service.today()),
        "category": campaign.category.slug if campaign.category else None,
        "prize": campaign.prize, "prize_ja": campaign.prize_ja,
        "questions": campaign.questions or [], "cover": _cover_urls(campaign),
        "vote": {"state": campaign.vote_state(now),
                 "closes_at": campaign.vote_closes_at.isoformat()
                 if campaign.vote_closes_at else None},
        "winners_announced_at": campaign.winners_announced_at.isoformat()
        if campaign.winners_announced_at else None,
    }
    if entries is not None:
        body["entry_count"] = entries
    if detail:
        show_counts = service.results_visible(campaign, now)
        body["shortlist"] = [
            {"idea_id": entry.idea_id, "title": entry.idea.title,
             "votes": entry.vote_count if show_counts else None}
            for entry in service.shortlist_of(campaign)]
        body["winners"] = [{"idea_id": entry.idea_id, "title": entry.idea.title,
                            "position": entry.winner_position}
                           for entry in service.winners_of(campaign)]
        ballot = service.vote_of(viewer, campaign)
        body["my_vote"] = ballot.idea_id if ballot else None
    return body


_VOTE = {"type": "object", "properties": {
    "state": {"type": "string", "enum": ["none", "open", "closed"]},
    "closes_at": {"type": "string", "format": "date-time", "nullable": True}}}
SCHEMAS["Campaign"] = {"type": "object", "properties": {
    "id": {"type": "integer"}, "title": {"type": "string"}, "title_ja": {"type": "string"},
    "brief": {"type": "string", "description": "Markdown"},
    "brief_html": {"type": "string", "description": "the brief rendered (sanitised HTML)"},
    "brief_ja": {"type": "string"}, "brief_ja_html": {"type": "string"},
    "starts_on": {"type": "string", "format": "date"},
    "ends_on": {"type": "string", "format": "date"},
    "state": {"type": "string", "enum": ["upcoming", "open", "closed"],
              "description": "whether it takes entries today (UTC)"},
    "category": {"type": "string", "nullable": True},
    "prize": {"type": "string"}, "prize_ja": {"type": "string"},
    "questions": {"type": "array", "items": {"type": "object", "properties": {
        "key": {"type": "string"}, "label": {"type": "string"},
        "label_ja": {"type": "string"}}}},
    "cover": {"type": "object", "nullable": True, "properties": {
        "card": {"type": "string"}, "large": {"type": "string"}}},
    "vote": _VOTE, "winners_announced_at": {"type": "string", "format": "date-time",
                                            "nullable": True},
    "entry_count": {"type": "integer", "description": "published entries (lists)"},
    "shortlist": {"type": "array", "description": "(one campaign) votes are null until the "
                  "vote closes", "items": {"type": "object", "properties": {
                      "idea_id": {"type": "integer"}, "title": {"type": "string"},
                      "votes": {"type": "integer", "nullable": True}}}},
    "winners": {"type": "array", "items": {"type": "object", "properties": {
        "idea_id": {"type": "integer"}, "title": {"type": "string"},
        "position": {"type": "integer"}}}},
    "my_vote": {"type": "integer", "nullable": True,
                "description": "(one campaign) the idea the caller voted for"}}}


def _offered_slugs() -> list[str]:
    return list(db.session.scalars(select(Category.slug).where(Category.archived_at.is_(None))
                                   .order_by(Category.slug)))


_QUESTION = {"type": "object", "required": ["label"], "properties": {
    "key": {"type": "string", "pattern": "^[a-z][a-z0-9_]{0,39}$",
            "description": "distinct per campaign; q1, q2 ... when left out"},
    "label": written(service.QUESTION_LABEL_MAX),
    "label_ja": {"type": "string", "maxLength": service.QUESTION_LABEL_MAX}}}
_CAMPAIGN_BODY = {"type": "object", "required": ["title", "brief", "starts_on", "ends_on"],
                  "properties": {
    "title": written(service.TITLE_MAX), "title_ja": {"type": "string",
                                                       "maxLength": service.TITLE_MAX},
    "brief": written(service.BRIEF_MAX, description="Markdown (English)"),
    "brief_ja": {"type": "string", "maxLength": service.BRIEF_MAX,
                 "description": "Markdown (Japanese)"},
    "starts_on": {"type": "string", "format": "date", "description": "first day of entries (UTC)"},
    "ends_on": {"type": "string", "format": "date",
                "description": "last day of entries (UTC), not before starts_on"},
    "category": {"type": "string", "nullable": True, "enum": lambda: [*_offered_slugs(), "", None],
                 "description": "a category's slug"},
    "prize": {"type": "string", "maxLength": service.PRIZE_MAX},
    "prize_ja": {"type": "string", "maxLength": service.PRIZE_MAX},
    "questions": {"type": "array", "maxItems": service.QUESTIONS_MAX, "items": _QUESTION,
                  "description": "extra questions answered by entries (campaign_answers of "
                                 "POST /ideas)"}}}

operation("/campaigns", "post", "Open a campaign (admins and community managers): a themed, "
          "time-boxed call for ideas", body=_CAMPAIGN_BODY,
          responses={"201": "the campaign", "403": "not community staff",
                     "422": "invalid fields (ends_on before starts_on, repeated question keys)"})


@bp.post("/campaigns")
@idempotent
def create_campaign():
    user = require_caller()
    data = json_body()
    with transaction():
        campaign = service.create_campaign(user, data)
    campaign = service.get_campaign(campaign.id)
    return campaign_json(campaign, detail=True, viewer=user), 201, {
        "Location": url_for("api.get_campaign", campaign_id=campaign.id)}


operation("/campaigns", "get", "Campaigns, the latest start first: state=open|upcoming|closed, "
          "page, per_page", auth=False,
          responses={"200": "{items, page, per_page, total}", "422": "bad state or page"})
PATHS["/campaigns"]["get"]["parameters"] = [
    {"name": "state", "in": "query", "required": False,
     "schema": {"type": "string", "enum": ["open", "upcoming", "closed"]}},
    {"name": "page", "in": "query", "required": False,
     "schema": {"type": "integer", "minimum": 1, "maximum": 1000}},
    {"name": "per_page", "in": "query", "required": False,
     "schema": {"type": "integer", "minimum": 1, "maximum": 100}}]


@bp.get("/campaigns")
def list_campaigns():
    state = request.args.get("state") or None
    if state not in (None, "open", "upcoming", "closed"):
        raise Invalid({"state": "state must be one of: open, upcoming, closed"})
    page, per_page = page_args()
    stmt = service.campaigns_query(state)
    total = db.session.scalar(select(db.func.count()).select_from(
        stmt.order_by(None).subquery()))
    rows = list(db.session.scalars(stmt.limit(per_page).offset((page - 1) * per_page)).unique())
    counts = service.entry_counts([c.id for c in rows])
    return {"items": [campaign_json(c, entries=counts.get(c.id, 0)) for c in rows],
            "page": page, "per_page": per_page, "total": total}


operation("/campaigns/{id}", "get", "One campaign, with its shortlist (votes hidden until the "
          "vote closes), winners and the caller's vote. Its entries: GET /ideas?campaign_id=",
          auth=False, responses={"200": "the campaign", "404": "no such campaign"})


@bp.get("/campaigns/<int:campaign_id>")
def get_campaign(campaign_id: int):
    campaign = service.get_campaign(campaign_id)
    counts = service.entry_counts([campaign.id])
    return campaign_json(campaign, entries=counts.get(campaign.id, 0), detail=True,
                         viewer=caller())


operation("/campaigns/{id}/cover", "post", "Set the campaign's cover picture (multipart field "
          "`file`)", responses={"200": "the campaign", "400": "no file field",
                                "403": "not community staff", "404": "no such campaign",
                                "413": "too large", "422": "not an acceptable image",
                                "507": "storage_unavailable"})
PATHS["/campaigns/{id}/cover"]["post"]["requestBody"] = {"required": True, "content": {
    "multipart/form-data": {"schema": {"type": "object", "required": ["file"], "properties": {
        "file": {"type": "string", "format": "binary"}}}}}}


@bp.post("/campaigns/<int:campaign_id>/cover")
def set_cover(campaign_id: int):
    user = require_caller()
    upload = request.files.get("file")
    if upload is None:
        raise Invalid({"file": "Send the image as the multipart field `file`."})
    with transaction():
        service.set_cover(user, campaign_id, upload.read())
    return campaign_json(service.get_campaign(campaign_id), detail=True, viewer=user)


def _idea_ids(limit: int) -> dict:
    return {"type": "object", "required": ["idea_ids"], "properties": {
        "idea_ids": {"type": "array", "minItems": 1, "maxItems": limit, "uniqueItems": True,
                     "items": {"type": "integer", "minimum": 1, "maximum": ID_MAX}}}}


operation("/campaigns/{id}/shortlist", "post", "Shortlist published entries for the community "
          "vote (before it opens); their creators are told", body=_idea_ids(service.SHORTLIST_MAX),
          responses={"200": "the campaign", "403": "not community staff",
                     "404": "no such campaign",
                     "409": "vote_started, or not_an_entry (not a published entry of it)"})


@bp.post("/campaigns/<int:campaign_id>/shortlist")
def shortlist(campaign_id: int):
    user = require_caller()
    with transaction():
        service.shortlist(user, campaign_id, json_body().get("idea_ids"))
    return campaign_json(service.get_campaign(campaign_id), detail=True, viewer=user)


operation("/campaigns/{id}/vote/open", "post", "Open the community vote between the shortlisted "
          "entries until closes_at", body={"type": "object", "required": ["closes_at"],
                                           "properties": {"closes_at": {
                                               "type": "string", "format": "date-time",
                                               "description": "in the future"}}},
          responses={"200": "the campaign", "403": "not community staff",
                     "404": "no such campaign",
                     "409": "vote_started (opened already), no_shortlist",
                     "422": "closes_at not in the future"})


@bp.post("/campaigns/<int:campaign_id>/vote/open")
def open_vote(campaign_id: int):
    user = require_caller()
    with transaction():
        service.open_vote(user, campaign_id, json_body().get("closes_at"))
    return campaign_json(service.get_campaign(campaign_id), detail=True, viewer=user)


operation("/campaigns/{id}/vote/close", "post", "Close the open vote now (results show)",
          responses={"200": "the campaign", "403": "not community staff",
                     "404": "no such campaign", "409": "vote_closed: no vote is open"})


@bp.post("/campaigns/<int:campaign_id>/vote/close")
def close_vote(campaign_id: int):
    user = require_caller()
    with transaction():
        service.close_vote(user, campaign_id)
    return campaign_json(service.get_campaign(campaign_id), detail=True, viewer=user)


operation("/campaigns/{id}/votes", "post", "Vote for a shortlisted entry (confirmed members, "
          "once per campaign, while the vote is open, not for one's own idea)",
          body={"type": "object", "required": ["idea_id"], "properties": {
              "idea_id": {"type": "integer", "minimum": 1, "maximum": ID_MAX}}},
          responses={"201": "{campaign_id, idea_id}",
                     "403": "own_idea, email not confirmed", "404": "no such campaign",
                     "409": "vote_closed (not open: before or after), already_voted, "
                            "not_shortlisted"})


@bp.post("/campaigns/<int:campaign_id>/votes")
def vote(campaign_id: int):
    user = require_caller()
    with transaction():
        ballot = service.vote(user, campaign_id, json_body().get("idea_id"))
    return {"campaign_id": ballot.campaign_id, "idea_id": ballot.idea_id}, 201


operation("/campaigns/{id}/winners", "post", "Place the winners, first to last (once, not while "
          "the vote is open); entrants and voters are told in batches",
          body=_idea_ids(service.WINNERS_MAX),
          responses={"200": "the campaign", "403": "not community staff",
                     "404": "no such campaign",
                     "409": "winners_announced, vote_open, not_an_entry"})


@bp.post("/campaigns/<int:campaign_id>/winners")
def winners(campaign_id: int):
    user = require_caller()
    with transaction():
        service.pick_winners(user, campaign_id, json_body().get("idea_ids"))
    return campaign_json(service.get_campaign(campaign_id), detail=True, viewer=user)


# --- staff picks ------------------------------------------------------------------------------

operation("/ideas/{id}/staff-pick", "post", "Mark a published idea as a staff pick with a short "
          "reason (admins and community managers; once per idea); its creators are told",
          body={"type": "object", "required": ["reason"], "properties": {
              "reason": written(service.REASON_MAX)}},
          responses={"201": "{idea_id, reason, picked_at}",
                     "403": "not community staff, or separation_of_duties (their own idea)",
                     "404": "absent or not visible",
                     "409": "already_picked, or not_public (not published)"})


@bp.post("/ideas/<int:idea_id>/staff-pick")
def staff_pick(idea_id: int):
    user = require_caller()
    with transaction():
        pick = service.staff_pick(user, idea_id, json_body().get("reason"))
    return {"idea_id": pick.idea_id, "reason": pick.reason,
            "picked_at": pick.created_at.isoformat()}, 201
