"""API endpoints: moderators' view of bursts from new accounts, and voiding one."""
from __future__ import annotations

from typing import Any

from app.api import bp
from app.api.core import json_body, require_caller
from app.api.openapi import operation
from app.services import integrity
from app.transaction import transaction


def burst_json(burst: integrity.Burst) -> dict[str, Any]:
    return {"kind": burst.kind, "target_id": burst.target_id, "idea_id": burst.idea_id,
            "network": burst.network, "hour": burst.hour.strftime("%Y%m%d%H"),
            "accounts": [{"user_id": user_id, "display_name": name,
                          "joined_at": joined.isoformat()} for user_id, name, joined in
                         burst.members]}


operation("/moderation/bursts", "get", "Supports and reports by new accounts from one network "
          "within one hour (moderators)",
          responses={"200": "{items: [{kind, target_id, idea_id, network, hour, accounts}]}",
                     "401": "sign in", "403": "moderators only"})


@bp.get("/moderation/bursts")
def list_bursts():
    return {"items": [burst_json(b) for b in integrity.bursts(require_caller())]}


operation("/moderation/bursts/void", "post", "Void a burst: its supports are removed and the "
          "idea recounted exactly, or its reports closed (audited)",
          body={"type": "object", "required": ["kind", "target_id", "network", "hour"],
                "properties": {"kind": {"type": "string", "enum": list(integrity.BURST_KINDS)},
                               "target_id": {"type": "integer"}, "network": {"type": "string"},
                               "hour": {"type": "string", "pattern": "^[0-9]{10}$",
                                        "description": "the burst's hour, YYYYMMDDHH (UTC)"},
                               "reason": {"type": "string"}}},
          responses={"200": "the voided burst", "400": "not a JSON object", "401": "sign in",
                     "403": "moderators only, or separation_of_duties (their own idea)",
                     "404": "no such burst",
                     "409": "supporters_final: the idea is past the support phase",
                     "422": "invalid kind or hour"})


@bp.post("/moderation/bursts/void")
def void_burst():
    user = require_caller()
    data = json_body()
    with transaction():
        burst = integrity.void_burst(user, data.get("kind"), data.get("target_id"),
                                     data.get("network"), data.get("hour"), data.get("reason"))
    return burst_json(burst)
