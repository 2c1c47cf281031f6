"""The one place that decides who may do what: can(user, action, obj) and require(...)."""
from __future__ import annotations

from typing import Any

from app.errors import Forbidden, NotFound, Unauthorized
from app.models import Comment, Idea, User
from app import lifecycle


def _authenticated(user: Any) -> bool:
    return user is not None and getattr(user, "is_authenticated", False)


def is_creator(user: Any, idea: Idea) -> bool:
    return _authenticated(user) and any(c.user_id == user.id for c in idea.creators)


def is_owner(user: Any, idea: Idea) -> bool:
    return _authenticated(user) and idea.owner_id == user.id


def has_role(user: Any, role: str) -> bool:
    return _authenticated(user) and user.has_role(role) and not user.is_blocked


def may_view_idea(user: Any, idea: Idea) -> bool:
    """Mirrors queries.idea_visibility(): public and not hidden, or a creator, or staff."""
    if has_role(user, "moderator") or has_role(user, "admin"):
        return True
    if is_creator(user, idea):
        return True
    if has_role(user, "reviewer") and idea.status in lifecycle.VISIBLE_TO_REVIEWERS \
            and not idea.hidden:
        return True
    return idea.status in lifecycle.PUBLIC and not idea.hidden


def _reason(user: Any, action: str, obj: Any) -> str | None:
    """None when allowed, else the code of why not."""
    if not _authenticated(user):
        return "sign_in_required"
    if user.is_blocked:
        return "account_blocked"
    if action in ("create_idea", "comment", "support", "report", "follow"):
        if not user.email_confirmed:
            return "email_not_confirmed"
    if action == "create_idea":
        return None
    if action in ("edit_idea", "upload_image"):
        if not is_creator(user, obj):
            return "not_a_creator"
        return None if obj.status in lifecycle.EDITABLE else "idea_not_editable"
    if action in ("submit_idea", "invite_co_creator", "withdraw_idea", "delete_idea"):
        return None if is_owner(user, obj) else "not_the_owner"
    if action == "support":
        return "own_idea" if is_creator(user, obj) else None
    if action == "withdraw_support":
        return None
    if action in ("comment", "follow"):
        return None
    if action == "post_update":
        return None if is_creator(user, obj) else "not_a_creator"
    if action == "edit_comment":
        return None if isinstance(obj, Comment) and obj.author_id == user.id else "not_the_author"
    if action == "delete_comment":
        if isinstance(obj, Comment) and (obj.author_id == user.id or has_role(user, "moderator")):
            return None
        return "not_the_author"
    if action == "report":
        return "own_comment" if isinstance(obj, Comment) and obj.author_id == user.id else None
    if action in ("moderate", "hide_content", "block_user", "merge_ideas"):
        return None if has_role(user, "moderator") or has_role(user, "admin") else "moderators_only"
    if action in ("score",):
        return None if has_role(user, "reviewer") else "reviewers_only"
    if action in ("review", "view_scores"):  # review pages: reviewers, and admins who decide
        return None if has_role(user, "reviewer") or has_role(user, "admin") else "reviewers_only"
    if action == "assign_reviewers":
        return None if has_role(user, "admin") else "admins_only"
    if action in ("manage_batches", "decide", "manage_users", "publish_agreement", "view_audit"):
        return None if has_role(user, "admin") else "admins_only"
    if action in ("record_sale", "record_payout", "view_ledger"):
        return None if has_role(user, "finance") else "finance_only"
    if action == "verify_ledger":
        return None if has_role(user, "finance") or has_role(user, "admin") else "staff_only"
    if action == "view_analytics":
        return None if user.is_staff else "staff_only"
    return "unknown_action"


MESSAGES = {
    "sign_in_required": "Please sign in first.",
    "account_blocked": "This account is blocked.",
    "email_not_confirmed": "Please confirm your email address first.",
    "not_a_creator": "Only the idea's creators may do this.",
    "idea_not_editable": "This idea can no longer be edited.",
    "not_the_owner": "Only the idea's owner may do this.",
    "own_idea": "You cannot support your own idea.",
    "not_the_author": "Only the author may do this.",
    "own_comment": "You cannot report your own comment.",
    "moderators_only": "Only moderators may do this.",
    "reviewers_only": "Only reviewers may do this.",
    "admins_only": "Only admins may do this.",
    "finance_only": "Only finance staff may do this.",
    "staff_only": "Only staff may do this.",
    "unknown_action": "Not allowed.",
}


def can(user: Any, action: str, obj: Any = None) -> bool:
    return _reason(user, action, obj) is None


def require(user: Any, action: str, obj: Any = None) -> None:
    """Raise Unauthorized / Forbidden (with the reason) unless the user may act."""
    reason = _reason(user, action, obj)
    if reason is None:
        return
    if reason == "sign_in_required":
        raise Unauthorized(reason, MESSAGES[reason])
    raise Forbidden(reason, MESSAGES.get(reason, "Not allowed."))


def require_visible(user: Any, idea: Idea | None) -> Idea:
    """The idea, or NotFound when it is absent or this user may not see it."""
    if idea is None or not may_view_idea(user, idea):
        raise NotFound("idea_not_found", "No such idea.")
    return idea


def is_staff(user: Any) -> bool:
    return _authenticated(user) and isinstance(user, User) and user.is_staff
