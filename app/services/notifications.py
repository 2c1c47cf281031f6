"""Notifications: a member's list, marking read, and the daily/weekly email digests.

Notifications are created by events.notify(); members who chose `immediately` are mailed there.
Members who chose a digest get one mail per run of the digest job (daily and weekly, by the job
schedule in app.jobs.schedule; `flask notifications digest --mode daily|weekly` by hand)
with everything they have neither read nor been mailed about.
"""
from __future__ import annotations

from collections import defaultdict

from flask import current_app, has_request_context, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import Select, func, select, update

from app.errors import Invalid, NotFound
from app.extensions import db
from app.mail import send_mail
from app.models import Notification, User
from app.models.base import utcnow

DIGEST_MODES = ("daily", "weekly")


def for_user(user: User) -> Select:
    """The user's notifications, newest first (for pagination)."""
    return (select(Notification).where(Notification.user_id == user.id)
            .order_by(Notification.created_at.desc(), Notification.id.desc()))


def unread_count(user: User) -> int:
    return db.session.scalar(select(func.count()).select_from(Notification).where(
        Notification.user_id == user.id, Notification.read_at.is_(None))) or 0


def mark_all_read(user: User) -> int:
    """Mark every unread notification of the user read; returns how many."""
    result = db.session.execute(
        update(Notification).where(Notification.user_id == user.id, Notification.read_at.is_(None))
        .values(read_at=utcnow()))
    return result.rowcount or 0


def mark_read(user: User, notification_id: int) -> Notification:
    """Mark one of the user's own notifications read (404 for anyone else's)."""
    row = db.session.get(Notification, notification_id)
    if row is None or row.user_id != user.id:
        raise NotFound("notification_not_found", _("No such notification."))
    if row.read_at is None:
        row.read_at = utcnow()
    return row


def _base_url() -> str:
    configured = current_app.config.get("PUBLIC_BASE_URL")
    if configured or not has_request_context():
        return (configured or "").rstrip("/")
    return url_for("main.home", _external=True).rstrip("/")


def send_digests(mode: str) -> int:
    """Mail each member whose notify_mode is `mode` one digest of their unread notifications
    that no mail told of yet. Returns the number of mails queued (sent after the commit)."""
    if mode not in DIGEST_MODES:
        raise Invalid({"mode": _("Choose one of: %(modes)s.", modes=", ".join(DIGEST_MODES))})
    rows = db.session.execute(
        select(Notification, User).join(User, User.id == Notification.user_id)
        .where(User.notify_mode == mode, User.email_confirmed_at.is_not(None),
               User.blocked_at.is_(None), Notification.emailed_at.is_(None),
               Notification.mail_id.is_(None), Notification.read_at.is_(None))
        .order_by(User.id, Notification.created_at, Notification.id)).all()
    grouped: dict[int, list[Notification]] = defaultdict(list)
    users: dict[int, User] = {}
    for notification, user in rows:
        grouped[user.id].append(notification)
        users[user.id] = user
    base = _base_url()
    queued = 0
    for user_id, items in grouped.items():
        user = users[user_id]
        lines = [f"- {item.message}" + (f"\n  {base}{item.url}" if item.url else "") for item in items]
        subject = ngettext("Kyoso: %(num)d new notification", "Kyoso: %(num)d new notifications",
                           len(items))
        intro = (_("Your daily Kyoso digest") if mode == "daily" else _("Your weekly Kyoso digest"))
        body = "\n".join([
            _("Hello %(name)s,", name=user.display_name), "", intro + ":", "", *lines, "",
            _("All notifications: %(url)s", url=f"{base}/notifications"),
            _("Change how you are told: %(url)s", url=f"{base}/account/settings"),
        ])
        # Two runs at once (two schedulers) pick the same first notification: one mail.
        mail_id = send_mail(user.email, subject, body,
                            dedupe_key=f"digest:{mode}:{user_id}:{items[0].id}")
        if mail_id is None:
            continue
        for item in items:
            item.mail_id = mail_id  # emailed_at follows when the mail is actually sent
        queued += 1
    return queued
