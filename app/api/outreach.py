"""API endpoints: segments (saved filters over members, previews) and announcements to them.
Thin: each endpoint calls one function of app.services.segments or app.services.announcements."""
from __future__ import annotations

from typing import Any

from app import permissions
from app.api import bp
from app.api.core import json_body, listing, paginated, require_caller
from app.api.openapi import SCHEMAS, operation, written
from app.idempotency import idempotent
from app.models import Category, Segment
from app.models.base import ID_MAX
from app.permissions import Action
from app.services import announcements as announcement_service
from app.services import segments as segment_service
from app.transaction import transaction


def _category_slugs() -> list[str]:
    from sqlalchemy import select

    from app.extensions import db

    return sorted(db.session.scalars(select(Category.slug)))


DAYS = {"type": "integer", "minimum": 1, "maximum": segment_service.DAYS_MAX}
IDEA_REF = {"type": "integer", "minimum": 1, "maximum": ID_MAX,
            "description": "an idea the caller may see (else 422)"}
#: The segment object (app.services.segments): every filter optional, all of them must hold.
SEGMENT_SPEC = {
    "type": "object", "additionalProperties": False,
    "description": "filters over confirmed, unblocked members; all given ones must hold",
    "properties": {
        "locale": {"type": "string", "enum": ["en", "ja"]},
        "active_within_days": DAYS,
        "inactive_for_days": DAYS,
        "roles": {"type": "array", "minItems": 1, "maxItems": len(segment_service.SEGMENT_ROLES),
                  "items": {"type": "string", "enum": list(segment_service.SEGMENT_ROLES)},
                  "description": "any of these (creator, supporter, follower, commenter: what "
                                 "they did; or a staff role)"},
        "supporters_of": IDEA_REF,
        "followers_of": IDEA_REF,
        "categories": {"type": "array", "minItems": 1,
                       "maxItems": segment_service.CATEGORIES_MAX,
                       "items": {"type": "string", "enum": _category_slugs},
                       "description": "supported or (co-)created an idea in any of these"},
        "engagement": {"type": "string", "enum": list(segment_service.ENGAGEMENT_LEVELS),
                       "description": "contributions in the last "
                                      f"{segment_service.ENGAGEMENT_WINDOW_DAYS} days: none 0, "
                                      "low 1-2, medium 3-9, high 10+"},
    }}
SCHEMAS["SegmentSpec"] = SEGMENT_SPEC
SCHEMAS["SegmentPreview"] = {"type": "object", "properties": {
    "count": {"type": "integer"},
    "sample": {"type": "array", "maxItems": segment_service.SAMPLE_SIZE, "items": {
        "type": "object", "properties": {"id": {"type": "integer"},
                                         "display_name": {"type": "string"}}}}}}
SCHEMAS["Segment"] = {"type": "object", "properties": {
    "id": {"type": "integer"}, "name": {"type": "string"},
    "spec": {"$ref": "#/components/schemas/SegmentSpec"},
    "created_by_id": {"type": "integer", "nullable": True},
    "created_at": {"type": "string", "format": "date-time"}}}


def segment_json(segment: Segment) -> dict[str, Any]:
    return {"id": segment.id, "name": segment.name, "spec": segment.spec,
            "created_by_id": segment.created_by_id, "created_at": segment.created_at.isoformat()}


operation("/segments/preview", "post", "How many members a segment holds, and a sample of up to "
          f"{segment_service.SAMPLE_SIZE} (admin, community_manager)",
          body=SEGMENT_SPEC,
          responses={"200": "SegmentPreview {count, sample: [{id, display_name}]}",
                     "403": "not a community manager or admin",
                     "422": "unknown filter, bad value, unknown category, an idea the caller "
                            "may not see"})


@bp.post("/segments/preview")
def preview_segment():
    user = require_caller()
    spec = json_body()
    with transaction():
        count, sample = segment_service.preview_for(user, spec)
    return {"count": count, "sample": sample}


operation("/segments", "get", "Saved segments, by name (admin, community_manager)",
          responses={"200": "list of Segment", "403": "not a community manager or admin"})


@bp.get("/segments")
def segments():
    rows = segment_service.saved_segments(require_caller())
    return listing([segment_json(row) for row in rows])


SEGMENT_BODY = {"type": "object", "required": ["name", "spec"], "properties": {
    "name": written(segment_service.NAME_MAX), "spec": SEGMENT_SPEC}}

operation("/segments", "post", "Save a segment under a name (admin, community_manager)",
          body=SEGMENT_BODY,
          responses={"201": "Segment", "403": "not a community manager or admin",
                     "409": "segment_name_taken", "422": "bad name or spec"})


@bp.post("/segments")
@idempotent
def create_segment():
    user = require_caller()
    data = json_body()
    with transaction():
        segment = segment_service.create_segment(user, data.get("name"), data.get("spec"))
    return segment_json(segment), 201


operation("/segments/{id}", "get", "A saved segment (admin, community_manager)",
          responses={"200": "Segment", "403": "not a community manager or admin",
                     "404": "no such segment"})


@bp.get("/segments/<int:segment_id>")
def segment(segment_id: int):
    return segment_json(segment_service.get_segment(require_caller(), segment_id))


operation("/segments/{id}", "patch", "Rename a saved segment or change its filters",
          body={"type": "object", "properties": {
              "name": written(segment_service.NAME_MAX), "spec": SEGMENT_SPEC}},
          responses={"200": "Segment", "403": "not a community manager or admin",
                     "404": "no such segment", "409": "segment_name_taken",
                     "422": "bad name or spec"})


@bp.patch("/segments/<int:segment_id>")
def update_segment(segment_id: int):
    user = require_caller()
    data = json_body()
    with transaction():
        segment = segment_service.update_segment(user, segment_id, data)
    return segment_json(segment)


operation("/segments/{id}", "delete", "Forget a saved segment (announcements keep their copy)",
          responses={"204": "deleted", "403": "not a community manager or admin",
                     "404": "no such segment"})


@bp.delete("/segments/<int:segment_id>")
def delete_segment(segment_id: int):
    with transaction():
        segment_service.delete_segment(require_caller(), segment_id)
    return "", 204


# --- announcements ---------------------------------------------------------------------------------

def _texts_schema(most: int) -> dict:
    return {"type": "object", "required": ["en"], "additionalProperties": False, "properties": {
        "en": written(most), "ja": {"type": "string", "maxLength": most,
                                     "description": "optional; '' = none (English is shown)"}}}


SCHEMAS["Announcement"] = {"type": "object", "properties": {
    "id": {"type": "integer"},
    "status": {"type": "string", "enum": ["draft", "sending", "sent"]},
    "title": {"type": "object", "properties": {"en": {"type": "string"},
                                               "ja": {"type": "string"}}},
    "body": {"type": "object", "properties": {"en": {"type": "string"}, "ja": {"type": "string"}}},
    "body_html": {"type": "object", "properties": {"en": {"type": "string"},
                                                   "ja": {"type": "string"}}},
    "segment": {"$ref": "#/components/schemas/SegmentSpec"},
    "segment_id": {"type": "integer", "nullable": True},
    "recipients_count": {"type": "integer"}, "delivered_count": {"type": "integer"},
    "mailed_count": {"type": "integer"},
    "created_at": {"type": "string", "format": "date-time"},
    "sending_at": {"type": "string", "format": "date-time", "nullable": True},
    "sent_at": {"type": "string", "format": "date-time", "nullable": True}}}


def _moment(value) -> str | None:
    return value.isoformat() if value is not None else None


def announcement_json(row) -> dict[str, Any]:
    return {"id": row.id, "status": row.status,
            "title": {"en": row.title_en, "ja": row.title_ja},
            "body": {"en": row.body_en, "ja": row.body_ja},
            "body_html": {"en": row.body_en_html, "ja": row.body_ja_html},
            "segment": row.segment_spec, "segment_id": row.segment_id,
            "recipients_count": row.recipients_count, "delivered_count": row.delivered_count,
            "mailed_count": row.mailed_count, "created_at": row.created_at.isoformat(),
            "sending_at": _moment(row.sending_at), "sent_at": _moment(row.sent_at)}


operation("/announcements", "post", "Write an announcement to a segment (a draft; admin, "
          "community_manager)",
          body={"type": "object", "required": ["title", "body", "segment"], "properties": {
              "title": _texts_schema(announcement_service.TITLE_MAX),
              "body": _texts_schema(announcement_service.BODY_MAX),
              "segment": SEGMENT_SPEC}},
          responses={"201": "{id, status: draft, recipients_count} and the rest of Announcement",
                     "403": "not a community manager or admin",
                     "422": "bad title, body or segment"})


@bp.post("/announcements")
@idempotent
def create_announcement():
    user = require_caller()
    data = json_body()
    with transaction():
        row = announcement_service.create_announcement(user, data.get("title"), data.get("body"),
                                                       data.get("segment"))
    return announcement_json(row), 201


operation("/announcements", "get", "Announcements, newest first (admin, community_manager)",
          responses={"200": "list of Announcement", "403": "not a community manager or admin"})


@bp.get("/announcements")
def announcements():
    user = require_caller()
    permissions.require(user, Action.MANAGE_ANNOUNCEMENTS)
    return paginated(announcement_service.listing_query(user), announcement_json)


operation("/announcements/{id}", "get", "An announcement and how far its sending got",
          responses={"200": "Announcement", "403": "not a community manager or admin",
                     "404": "no such announcement"})


@bp.get("/announcements/<int:announcement_id>")
def announcement(announcement_id: int):
    return announcement_json(announcement_service.get_announcement(require_caller(),
                                                                   announcement_id))


operation("/announcements/{id}/send", "post", "Send the announcement: queued, each recipient "
          "told once in the app and by mail as they chose (again while sending: nothing more)",
          responses={"202": "{id, status: sending, recipients_count}",
                     "403": "not a community manager or admin",
                     "404": "no such announcement", "409": "already_sent"})


@bp.post("/announcements/<int:announcement_id>/send")
def send_announcement(announcement_id: int):
    with transaction():
        row = announcement_service.send_announcement(require_caller(), announcement_id)
    return {"id": row.id, "status": row.status, "recipients_count": row.recipients_count}, 202
