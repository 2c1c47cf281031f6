"""Recording what happened: idea events, the staff audit log, and notifications."""
from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from flask import url_for

from app import lifecycle
from app.extensions import db
from app.models import AuditLog, Idea, IdeaEvent, Notification, User
from app.models.base import utcnow


def record(actor: User | None, kind: str, idea: Idea, *, from_status: str | None = None,
           to_status: str | None = None, reason: str | None = None) -> IdeaEvent:
    """Record an event on an idea (a state change carries from/to status)."""
    event = IdeaEvent(idea_id=idea.id, actor_id=actor.id if actor else None, kind=kind,
                      from_status=from_status, to_status=to_status, reason=reason)
    db.session.add(event)
    return event


def transition(actor: User | None, idea: Idea, to_status: str, kind: str,
               reason: str | None = None) -> IdeaEvent:
    """Move an idea to a new status and record the event. Raises lifecycle.IllegalTransition
    (409 wrong_status) for a move app.lifecycle.TRANSITIONS does not allow."""
    from_status = idea.status
    target = lifecycle.check_transition(from_status, to_status)
    idea.status = target.value
    if target in lifecycle.CLOSING:
        idea.closed_at = utcnow()
    return record(actor, kind, idea, from_status=from_status, to_status=target.value, reason=reason)


def audit(actor: User | None, action: str, target: Any, *, before: dict | None = None,
          after: dict | None = None, reason: str | None = None) -> AuditLog:
    """Write a staff action to the audit log."""
    entry = AuditLog(actor_id=actor.id if actor else None, action=action,
                     target_type=type(target).__name__.lower() if target is not None else "none",
                     target_id=getattr(target, "id", None), before=before, after=after,
                     reason=reason)
    db.session.add(entry)
    return entry


def idea_url(idea: Idea) -> str:
    try:
        return url_for("ideas.detail", idea_id=idea.id)
    except RuntimeError:
        return f"/ideas/{idea.id}"


def notify(users: Iterable[User | None], kind: str, params: dict[str, Any], *,
           idea: Idea | None = None, url: str = "", exclude: User | None = None
           ) -> list[Notification]:
    """Tell each user once of `kind` (registered in app.notification_kinds) with `params`
    (JSON values; see that module): no sentence is stored, each reader sees it in their own
    language. Each user's preference for the kind's category decides: `off` stores nothing,
    `immediately` also mails them after the commit (through the outbox: one mail per
    notification, sent once, in their language), digests collect it later.
    Raises ValueError for an unknown kind or missing params."""
    from app.notification_kinds import check_params
    from app.notification_kinds import get as kind_named
    from app.services import notifications

    spec = kind_named(kind)
    params = dict(params)
    check_params(spec, params)
    url = url or (idea_url(idea) if idea is not None else (spec.url(params) if spec.url else ""))
    recipients: dict[int, User] = {}
    for user in users:
        if user is None or user.id in recipients or (exclude is not None and user.id == exclude.id):
            continue
        if user.deleted_at is not None:  # a deleted account hears of nothing
            continue
        recipients[user.id] = user
    chosen = notifications.deliveries(recipients, spec.category)
    rows = []
    for user_id, user in recipients.items():
        delivery = chosen[user_id]
        if delivery == "off":
            continue
        row = Notification(user_id=user_id, kind=kind, category=spec.category, params=params,
                           idea_id=idea.id if idea else None, url=url)
        if delivery == "immediately" and user.email_confirmed and not user.is_blocked:
            # emailed_at is set when the mail is actually sent (app.mail.deliver).
            row.mail_id = notifications.mail_now(user, row)
        db.session.add(row)
        rows.append(row)
    return rows


def creators_of(idea: Idea) -> list[User]:
    return [creator.user for creator in idea.creators]
