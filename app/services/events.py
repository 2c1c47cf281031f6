"""Recording what happened: idea events, the staff audit log, and notifications."""
from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from flask import current_app, url_for

from app import lifecycle
from app.extensions import db
from app.mail import send_mail
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


def notify(users: Iterable[User], kind: str, message: str, *, idea: Idea | None = None,
           url: str = "", exclude: User | None = None) -> list[Notification]:
    """Tell each user once, in the app and (if they chose `immediately`) by email after commit
    (through the outbox: one mail per notification, sent once)."""
    seen: set[int] = set()
    rows = []
    url = url or (idea_url(idea) if idea is not None else "")
    for user in users:
        if user is None or user.id in seen or (exclude is not None and user.id == exclude.id):
            continue
        seen.add(user.id)
        row = Notification(user_id=user.id, kind=kind, idea_id=idea.id if idea else None,
                           message=message, url=url)
        if user.notify_mode == "immediately" and user.email_confirmed:
            # emailed_at is set when the mail is actually sent (app.mail.deliver).
            base = current_app.config.get("PUBLIC_BASE_URL", "")
            row.mail_id = send_mail(
                user.email, f"Kyoso: {message[:120]}",
                f"{message}\n\n{base}{url}\n\nChange how you are told: {base}/account/settings")
        db.session.add(row)
        rows.append(row)
    return rows


def creators_of(idea: Idea) -> list[User]:
    return [creator.user for creator in idea.creators]
