"""Notifications: a member's list, marking read, preferences per category, the mails (one at
once, or the daily/weekly digests) and one-click unsubscribe links.

Notifications are created by events.notify() (kinds in app.notification_kinds). Each member
chooses per category (CATEGORIES) how they hear of it: `app` (listed only), `immediately` (and
a mail at once), `daily` / `weekly` (and in that digest), `off` (not even listed). Digest runs
come from the job schedule in app.jobs.schedule (`flask notifications digest --mode
daily|weekly` by hand) and mail everything in those categories that is neither read nor mailed.
Every mail is written in the recipient's language and time zone (app.i18n.speaking_to) and
carries a signed unsubscribe link (`/unsubscribe/<token>`, no sign-in) and the RFC 8058
List-Unsubscribe headers.
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from flask import current_app, has_request_context, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import Select, func, or_, select, update

from app.errors import Invalid, NotFound
from app.extensions import db
from app.i18n import speaking_to
from app.mail import send_mail
from app.models import Notification, NotificationPreference, User
from app.models.activity import DEFAULT_DELIVERY, DELIVERIES
from app.models.base import utcnow
from app.notification_kinds import CATEGORIES, KINDS

DIGEST_MODES = ("daily", "weekly")
UNSUBSCRIBE_SALT = "kyoso-unsubscribe"


def for_user(user: User) -> Select:
    """The user's notifications, newest first (for pagination)."""
    return (select(Notification).where(Notification.user_id == user.id)
            .order_by(Notification.created_at.desc(), Notification.id.desc()))


#: The header's badge says "99+" beyond this: its count reads at most BADGE_MOST + 1 rows.
BADGE_MOST = 99


def _unread(user_id: int) -> Select:
    return select(Notification.id).where(Notification.user_id == user_id,
                                         Notification.read_at.is_(None))


def unread_count(user: User) -> int:
    """The exact number of the user's unread notifications (their list page and the API)."""
    return db.session.scalar(select(func.count()).select_from(_unread(user.id).subquery())) or 0


def unread_badge(user_id: int) -> int:
    """The unread count for the header on every page, read through the partial index and
    bounded: at most BADGE_MOST + 1, whatever a member has piled up."""
    bounded = _unread(user_id).limit(BADGE_MOST + 1).subquery()
    return db.session.scalar(select(func.count()).select_from(bounded)) or 0


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


# --- preferences ---------------------------------------------------------------------------------

def preferences(user: User) -> dict[str, str]:
    """The member's delivery for every category (the default where they chose nothing)."""
    chosen = dict(db.session.execute(
        select(NotificationPreference.category, NotificationPreference.delivery)
        .where(NotificationPreference.user_id == user.id)).all())
    return {category: chosen.get(category, DEFAULT_DELIVERY) for category in CATEGORIES}


def deliveries(user_ids: Iterable[int], category: str) -> dict[int, str]:
    """Each user's delivery for one category, in one query (users without a row: default)."""
    ids = list(user_ids)
    chosen = dict(db.session.execute(
        select(NotificationPreference.user_id, NotificationPreference.delivery)
        .where(NotificationPreference.user_id.in_(ids),
               NotificationPreference.category == category)).all()) if ids else {}
    return {user_id: chosen.get(user_id, DEFAULT_DELIVERY) for user_id in ids}


def _category_key(key: Any) -> str | None:
    if key in CATEGORIES:
        return key
    kind = KINDS.get(key) if isinstance(key, str) else None
    return kind.category if kind else None


def set_preferences(user: User, choices: Any) -> dict[str, str]:
    """Set the delivery of some categories (keys: categories, or a kind standing for its
    category). 422 naming every bad key or value; nothing is changed then."""
    if not isinstance(choices, dict):
        raise Invalid({"notification_preferences": _("An object of category: delivery.")})
    fields, wanted = {}, {}
    for key, delivery in choices.items():
        category = _category_key(key)
        if category is None:
            fields[f"notification_preferences.{key}"] = _(
                "Unknown kind of notification. Choose one of: %(kinds)s.",
                kinds=", ".join(CATEGORIES))
        elif delivery not in DELIVERIES:
            fields[f"notification_preferences.{key}"] = _("Choose one of: %(modes)s.", modes=", ".join(DELIVERIES))
        else:
            wanted[category] = delivery
    if fields:
        raise Invalid(fields)
    _store_preferences(user.id, wanted)
    return preferences(user)


def _store_preferences(user_id: int, wanted: dict[str, str]) -> None:
    rows = {row.category: row for row in db.session.scalars(
        select(NotificationPreference).where(NotificationPreference.user_id == user_id))}
    for category, delivery in wanted.items():
        if category in rows:
            rows[category].delivery = delivery
        else:
            db.session.add(NotificationPreference(user_id=user_id, category=category,
                                                  delivery=delivery))
    db.session.flush()


# --- unsubscribe links ---------------------------------------------------------------------------

def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=UNSUBSCRIBE_SALT)


def unsubscribe_token(user: User, scope: str) -> str:
    """A signed token for one category, or for a digest (`digest:daily`): no sign-in needed."""
    return _serializer().dumps({"u": user.id, "c": scope})


def unsubscribe_url(user: User, scope: str) -> str:
    return f"{_base_url()}/unsubscribe/{unsubscribe_token(user, scope)}"


def read_unsubscribe_token(token: str) -> tuple[User, str]:
    """The member and scope of a token; 404 for a bad, forged or outdated one."""
    try:
        data = _serializer().loads(token)
    except BadSignature:
        data = None
    scope = data.get("c") if isinstance(data, dict) else None
    user = db.session.get(User, data.get("u")) if isinstance(data, dict) and \
        isinstance(data.get("u"), int) else None
    valid_scope = scope in CATEGORIES or scope in {f"digest:{mode}" for mode in DIGEST_MODES}
    if user is None or not valid_scope:
        raise NotFound("invalid_token", _("This unsubscribe link is not valid."))
    return user, scope


def scope_label(scope: str) -> str:
    if scope == "digest:daily":
        return _("the daily digest")
    if scope == "digest:weekly":
        return _("the weekly digest")
    return str(CATEGORIES[scope])


def unsubscribe(token: str) -> tuple[User, str]:
    """Stop the mails the token is for: its category (or every category in that digest) is
    kept in the app only. Idempotent."""
    user, scope = read_unsubscribe_token(token)
    if scope.startswith("digest:"):
        mode = scope.split(":", 1)[1]
        current = preferences(user)
        _store_preferences(user.id, {category: "app" for category, delivery in current.items()
                                     if delivery == mode})
    else:
        _store_preferences(user.id, {scope: "app"})
    return user, scope


def _unsubscribe_headers(link: str) -> dict[str, str]:
    return {"List-Unsubscribe": f"<{link}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}


# --- mails ---------------------------------------------------------------------------------------

def compose_mail(user: Any, kind: str, params: dict, url: str) -> tuple[str, str, dict]:
    """(subject, body, headers) of the mail telling `user` (a User, or a row with id,
    display_name, locale and time_zone) of one notification, in their language."""
    from app.notification_kinds import category_of, render

    base = _base_url()
    category = category_of(kind)
    link = unsubscribe_url(user, category)
    with speaking_to(user):
        message = render(kind, params)
        subject = _("Kyoso: %(message)s", message=message[:120])
        lines = [_("Hello %(name)s,", name=user.display_name), "", message]
        if url:
            lines += ["", f"{base}{url}"]
        lines += ["", _("All notifications: %(url)s", url=f"{base}/notifications"),
                  _("Change how you are told: %(url)s", url=f"{base}/account/settings"),
                  _("Stop these mails (%(kind)s): %(url)s", kind=CATEGORIES[category], url=link)]
    return subject, "\n".join(lines), _unsubscribe_headers(link)


def mail_now(user: User, row: Notification) -> int | None:
    """Queue the mail telling `user` of one notification, in their language."""
    subject, body, headers = compose_mail(user, row.kind, row.params, row.url)
    return send_mail(user.email, subject, body, headers=headers)


def _digest_body(user: User, mode: str, items: list[Notification], link: str) -> tuple[str, str]:
    base = _base_url()
    with speaking_to(user):
        lines = [f"- {item.message}" + (f"\n  {base}{item.url}" if item.url else "")
                 for item in items]
        subject = ngettext("Kyoso: %(num)d new notification", "Kyoso: %(num)d new notifications",
                           len(items))
        intro = (_("Your daily Kyoso digest") if mode == "daily" else _("Your weekly Kyoso digest"))
        stops = [_("Stop these mails (%(kind)s): %(url)s", kind=CATEGORIES[category],
                   url=unsubscribe_url(user, category))
                 for category in dict.fromkeys(item.category for item in items)]
        body = "\n".join([
            _("Hello %(name)s,", name=user.display_name), "", intro + ":", "", *lines, "",
            _("All notifications: %(url)s", url=f"{base}/notifications"),
            _("Change how you are told: %(url)s", url=f"{base}/account/settings"),
            _("Stop this digest: %(url)s", url=link), *stops,
        ])
    return subject, body


def _mail_allowed():
    """Announcements are marketing: mailed (in a digest too) only with marketing consent."""
    from app.services.announcements import CATEGORY, marketing_condition

    return or_(Notification.category != CATEGORY, marketing_condition())


def send_digests(mode: str) -> int:
    """Mail each member one digest of their unread notifications, in the categories they get
    in the `mode` digest, that no mail told of yet. Returns the number of mails queued (sent
    after the commit)."""
    if mode not in DIGEST_MODES:
        raise Invalid({"mode": _("Choose one of: %(modes)s.", modes=", ".join(DIGEST_MODES))})
    rows = db.session.execute(
        select(Notification, User).join(User, User.id == Notification.user_id)
        .join(NotificationPreference,
              (NotificationPreference.user_id == Notification.user_id)
              & (NotificationPreference.category == Notification.category))
        .where(NotificationPreference.delivery == mode, User.email_confirmed_at.is_not(None),
               User.blocked_at.is_(None), Notification.emailed_at.is_(None),
               Notification.mail_id.is_(None), Notification.read_at.is_(None),
               _mail_allowed())
        .order_by(User.id, Notification.created_at, Notification.id)).all()
    grouped: dict[int, list[Notification]] = defaultdict(list)
    users: dict[int, User] = {}
    for notification, user in rows:
        grouped[user.id].append(notification)
        users[user.id] = user
    queued = 0
    for user_id, items in grouped.items():
        user = users[user_id]
        link = unsubscribe_url(user, f"digest:{mode}")
        subject, body = _digest_body(user, mode, items, link)
        # Two runs at once (two schedulers) pick the same first notification: one mail.
        mail_id = send_mail(user.email, subject, body, headers=_unsubscribe_headers(link),
                            dedupe_key=f"digest:{mode}:{user_id}:{items[0].id}")
        if mail_id is None:
            continue
        for item in items:
            item.mail_id = mail_id  # emailed_at follows when the mail is actually sent
        queued += 1
    return queued
