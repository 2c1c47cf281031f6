"""API endpoints: members' public profiles with their kept numbers, following members, and the
caller's share code and the people they brought."""
from __future__ import annotations

from app.api import bp
from app.api.core import caller, require_caller
from app.api.openapi import SCHEMAS, operation
from app.services import people, referrals
from app.transaction import transaction

SCHEMAS["Member"] = {"type": "object", "properties": {
    "id": {"type": "integer"}, "display_name": {"type": "string"},
    "followers": {"type": "integer", "minimum": 0}, "following": {"type": "integer", "minimum": 0},
    "followed_by_me": {"type": "boolean", "description": "the caller follows this member"}}}


def member_json(user, viewer) -> dict:
    numbers = people.numbers(user)
    return {"id": user.id, "display_name": user.display_name, "followers": numbers.followers,
            "following": numbers.following,
            "followed_by_me": people.is_following(viewer, user.id)}


operation("/users/{id}", "get", "A member's public profile: name and follower numbers (kept "
          "counters)", auth=False,
          responses={"200": "Member", "404": "no such member (or blocked)"})


@bp.get("/users/<int:user_id>")
def get_member(user_id: int):
    viewer = caller()
    return member_json(people.member(viewer, user_id), viewer)


operation("/users/{id}/follow", "post", "Follow a member: hear of the ideas they publish and "
          "the updates they post (category `following`)",
          responses={"201": "Member, now followed", "200": "already following: Member",
                     "401": "no or bad token",
                     "403": "cannot_follow_self, email_not_confirmed or account_blocked",
                     "404": "no such member (or blocked)"})


@bp.post("/users/<int:user_id>/follow")
def follow_member(user_id: int):
    viewer = require_caller()
    with transaction():
        added = people.follow_member(viewer, user_id)
    return member_json(people.member(viewer, user_id), viewer), 201 if added else 200


operation("/users/{id}/follow", "delete", "Stop following a member",
          responses={"204": "not following (any more)", "401": "no or bad token",
                     "403": "account_blocked", "404": "not a member id"})


@bp.delete("/users/<int:user_id>/follow")
def unfollow_member(user_id: int):
    with transaction():
        people.unfollow_member(require_caller(), user_id)
    return "", 204


SCHEMAS["Referrals"] = {"type": "object", "properties": {
    "code": {"type": "string", "nullable": True, "pattern": "^[A-Za-z0-9_-]{6,16}$",
             "description": "the caller's share code: add `?ref=<code>` to an idea's address"},
    "brought": {"type": "integer", "minimum": 0,
                "description": "people who signed up or supported through the caller's links, "
                               "each once"},
    "share_visits": {"type": "integer", "minimum": 0},
    "referred_signups": {"type": "integer", "minimum": 0},
    "referred_supports": {"type": "integer", "minimum": 0},
    "recent": {"type": "array", "items": {"type": "object", "properties": {
        "kind": {"type": "string", "enum": ["signup", "support"]},
        "user": {"type": "object", "nullable": True},
        "idea_id": {"type": "integer", "nullable": True},
        "created_at": {"type": "string", "format": "date-time"}}}}}}

operation("/me/referrals", "get", "The caller's share code and the people their share links "
          "brought (kept counters; the latest 20 sign-ups and supports)",
          responses={"200": "Referrals", "401": "no or bad token"})


@bp.get("/me/referrals")
def my_referrals():
    user = require_caller()
    numbers = people.numbers(user)
    return {"code": referrals.code_of(user), "brought": numbers.brought,
            "share_visits": numbers.share_visits, "referred_signups": numbers.referred_signups,
            "referred_supports": numbers.referred_supports,
            "recent": [{"kind": item.kind,
                        "user": {"id": item.user_id, "display_name": item.display_name}
                        if item.user_id else None,
                        "idea_id": item.idea_id, "created_at": item.created_at.isoformat()}
                       for item in referrals.recent(user)]}
