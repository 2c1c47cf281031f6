"""API endpoints: segments (saved filters over members, previews). Thin: each endpoint calls one
function of app.services.segments."""
from __future__ import annotations

from typing import Any

from app.api import bp
from app.api.core import json_body, listing, require_caller
from app.api.openapi import SCHEMAS, operation, written
from app.idempotency import idempotent
from app.models import Category, Segment
from app.models.base import ID_MAX
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
