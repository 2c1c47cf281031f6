"""API endpoints: recognition (a member's badges, points and thanks; the monthly leaderboard;
opting out of it; thanking; rewards granted and delivered). Thin: each endpoint calls one
service function (app.services.recognition)."""
from __future__ import annotations

import re
from typing import Any

from flask import request

from app.api import bp
from app.api.core import caller, json_body, require_caller
from app.api.openapi import PATHS, operation, written
from app.errors import Invalid, NotFound
from app.extensions import db
from app.models import Category, User
from app.models.base import ID_MAX
from app.models.recognition import REWARD_KINDS, Reward
from app.services import recognition as service
from app.transaction import transaction

_MONTH = re.compile(r"\d{4}-(0[1-9]|1[0-2])")


def _user(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None or user.is_blocked:
        raise NotFound("user_not_found", "No such member.")
    return user


def reward_json(reward: Reward) -> dict[str, Any]:
    return {"id": reward.id, "user_id": reward.user_id, "kind": reward.kind,
            "description": reward.description, "status": reward.status,
            "granted_at": reward.granted_at.isoformat(),
            "delivered_at": reward.delivered_at.isoformat() if reward.delivered_at else None}


operation("/users/{id}/recognition", "get", "A member's levelled badges, points (total and "
          "decayed standing) and the thanks they received", auth=False,
          responses={"200": "{user_id, points, standing, badges: [{badge, level, count, "
                            "next_at}], thanks: [{from, message, idea_id, comment_id, "
                            "created_at}]}; badge is one of " + ", ".join(service.BADGES)
                            + " (levels 1-3, 0 not earned yet)", "404": "no such member"})


@bp.get("/users/<int:user_id>/recognition")
def recognition(user_id: int):
    user = _user(user_id)
    stats = service.stats_of(user.id)
    return {"user_id": user.id, "points": stats.points if stats else 0,
            "standing": service.standing(stats),
            "badges": [{"badge": b.slug, "level": b.level, "count": b.count, "next_at": b.next_at}
                       for b in service.badges_of(stats)],
            "thanks": [{"from": t.from_user.display_name if t.from_user else None,
                        "message": t.message, "idea_id": t.idea_id, "comment_id": t.comment_id,
                        "created_at": t.created_at.isoformat()}
                       for t in service.thanks_for(user.id)]}


operation("/leaderboard", "get", "The month's top members (points) in a category, without "
          "those who opted out", auth=False,
          responses={"200": "{items: [{rank, user_id, display_name, points}], page, per_page, "
                            "total, month, category}",
                     "404": "category_not_found", "422": "month not YYYY-MM"})
PATHS["/leaderboard"]["get"]["parameters"] = [
    {"name": "month", "in": "query", "required": False,
     "schema": {"type": "string", "pattern": "^[0-9]{4}-(0[1-9]|1[0-2])$"}},
    {"name": "category", "in": "query", "required": False,
     "schema": {"type": "string", "maxLength": 40}}]


@bp.get("/leaderboard")
def leaderboard():
    month = request.args.get("month") or service.current_month()
    if not _MONTH.fullmatch(month):
        raise Invalid({"month": "A month as YYYY-MM."})
    slug = request.args.get("category") or None
    category_id = 0
    if slug:
        category = db.session.query(Category).filter_by(slug=slug).first()
        if category is None:
            raise NotFound("category_not_found", "No such category.")
        category_id = category.id
    rows = service.leaderboard(month, category_id)
    return {"items": [{"rank": rank, "user_id": user.id, "display_name": user.display_name,
                       "points": points} for rank, (user, points) in enumerate(rows, start=1)],
            "page": 1, "per_page": service.LEADERBOARD_SIZE, "total": len(rows),
            "month": month, "category": slug}


operation("/me/recognition", "patch", "Leave (or join again) the leaderboard",
          body={"type": "object", "required": ["leaderboard_opt_out"], "properties": {
              "leaderboard_opt_out": {"type": "boolean"}}},
          responses={"200": "{leaderboard_opt_out}"})


@bp.patch("/me/recognition")
def patch_recognition():
    user = require_caller()
    with transaction():
        row = service.set_opt_out(user, json_body().get("leaderboard_opt_out"))
    return {"leaderboard_opt_out": row.leaderboard_opt_out}


operation("/users/{id}/thanks", "post", "Thank a member (staff; or a creator of the idea "
          "concerned: give idea_id, or comment_id of their comment on it, which counts as helpful)",
          body={"type": "object", "required": ["message"], "properties": {
              "message": written(service.MESSAGE_MAX),
              "idea_id": {"type": "integer", "minimum": 1, "maximum": ID_MAX, "nullable": True},
              "comment_id": {"type": "integer", "minimum": 1, "maximum": ID_MAX,
                             "nullable": True}}},
          responses={"201": "{id}", "403": "thank_yourself, not_a_creator",
                     "404": "no such member, idea or comment",
                     "409": "already_thanked (that comment)",
                     "422": "comment_id is not the member's comment"})


@bp.post("/users/<int:user_id>/thanks")
def thank(user_id: int):
    actor = require_caller()
    data = json_body()
    with transaction():
        row = service.thank(actor, user_id, data.get("message"), idea_id=data.get("idea_id"),
                            comment_id=data.get("comment_id"))
    return {"id": row.id}, 201


operation("/users/{id}/rewards", "post", "Grant a member a reward that is a thing (admins and "
          "community managers; audited; the member is told)",
          body={"type": "object", "required": ["kind", "description"], "properties": {
              "kind": {"type": "string", "enum": list(REWARD_KINDS)},
              "description": written(service.DESCRIPTION_MAX)}},
          responses={"201": "the reward, status granted", "403": "not community staff",
                     "404": "no such member"})


@bp.post("/users/<int:user_id>/rewards")
def grant_reward(user_id: int):
    staff = require_caller()
    data = json_body()
    with transaction():
        reward = service.grant_reward(staff, user_id, data.get("kind"), data.get("description"))
    return reward_json(reward), 201


operation("/users/{id}/rewards", "get", "A member's rewards (the member, or community staff)",
          responses={"200": "{items: [reward], page, per_page, total}", "403": "not theirs",
                     "404": "no such member"})


@bp.get("/users/<int:user_id>/rewards")
def rewards(user_id: int):
    viewer = require_caller()
    user = _user(user_id)
    items = [reward_json(r) for r in service.rewards_for(viewer, user.id)]
    return {"items": items, "page": 1, "per_page": 100, "total": len(items)}


operation("/rewards/{id}/delivery", "post", "Record that a granted reward was delivered (once)",
          responses={"200": "the reward, status delivered", "403": "not community staff",
                     "404": "no such reward", "409": "already_delivered"})


@bp.post("/rewards/<int:reward_id>/delivery")
def deliver_reward(reward_id: int):
    staff = require_caller()
    with transaction():
        reward = service.deliver_reward(staff, reward_id)
    return reward_json(reward)


__all__ = ["caller"]
