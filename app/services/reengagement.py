"""Re-engagement: a member who has not been here for REENGAGE_AFTER_DAYS gets one "what
happened since your last visit" mail (the same digest as the home page's panel,
app.services.since_last_visit), in their language, then nothing more until they come back.

A lapse is named by the member's last visit (`last_seen_at`, or `created_at` when they never
came back after signing up): the job writes one `reengagement_mails` row per (member, lapse)
before it mails, under a unique key, and the mail has a dedupe key of its own, so a job run
twice (two schedulers, a retry after a crash) mails nobody twice. A member who comes back
moves last_seen_at on, so their next lapse is a new one.

Marketing mail (AREAS.md "Consents"): only members who allow it (app.services.consents), and
whose preference for the "reengagement" category is a mail (immediately, daily or weekly; `app`
and `off` mean no mail, and the mail's one-click unsubscribe link sets it to `app`).

Members are walked in keyset batches of REENGAGE_BATCH by id, one commit per batch: the job
never holds all members in memory, and one that dies loses at most the batch it was on (the
next run takes it again).
"""
from __future__ import annotations

from datetime import datetime, timedelta

from flask import current_app
from flask_babel import format_date
from flask_babel import gettext as _
from sqlalchemy import exists, func, select
from sqlalchemy.dialects import postgresql, sqlite

from app.extensions import db
from app.i18n import speaking_to
from app.mail import send_mail
from app.models import ReengagementMail, User
from app.models.base import utcnow
from app.notification_kinds import CATEGORIES
from app.services import consents, notifications, since_last_visit

#: The preference category of these mails (app.notification_kinds.CATEGORIES).
CATEGORY = "reengagement"
MAIL_DELIVERIES = ("immediately", "daily", "weekly")


def _lapse():
    return func.coalesce(User.last_seen_at, User.created_at)


def due_batch(after_id: int, cutoff: datetime, size: int) -> list[User]:
    """The next `size` members by id after `after_id` away since before `cutoff`, who can be
    mailed, and whose current lapse has no row yet."""
    told = exists().where(ReengagementMail.user_id == User.id,
                          ReengagementMail.lapsed_since == _lapse())
    return list(db.session.scalars(
        select(User).where(User.id > after_id, _lapse() < cutoff,
                           User.email_confirmed_at.is_not(None), User.blocked_at.is_(None),
                           consents.marketing_condition(), ~told)
        .order_by(User.id).limit(size)))


def _claim(user: User, lapsed_since: datetime, outcome: str) -> int | None:
    """Write the lapse's row (None when another run wrote it first)."""
    values = {"user_id": user.id, "lapsed_since": lapsed_since, "outcome": outcome,
              "created_at": utcnow()}
    dialect = db.session.get_bind().dialect.name
    insert = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(ReengagementMail)
    return db.session.execute(
        insert.values(**values).on_conflict_do_nothing(
            index_elements=["user_id", "lapsed_since"]).returning(ReengagementMail.id)).scalar()


def _lines(digest: since_last_visit.Digest, base: str) -> list[str]:
    lines: list[str] = []

    def link(idea_id: int) -> str:
        return f"  {base}/ideas/{idea_id}"

    if digest.results:
        lines += ["", _("Results") + ":"]
        for move in digest.results:
            lines += [_("- “%(title)s”: %(status)s", title=move.title, status=move.status_label),
                      link(move.idea_id)]
    if digest.moves:
        lines += ["", _("Ideas you follow moved") + ":"]
        for move in digest.moves:
            if move.milestone:
                text = _("- “%(title)s” reached %(count)s supporters", title=move.title,
                         count=f"{move.milestone:,}")
            else:
                text = _("- “%(title)s” is now: %(status)s", title=move.title,
                         status=move.status_label)
            lines += [text, link(move.idea_id)]
    if digest.updates:
        lines += ["", _("Updates from creators") + ":"]
        for update in digest.updates:
            lines += [_("- “%(title)s”: update from %(name)s", title=update.title,
                        name=update.author), link(update.idea_id)]
    if digest.new_ideas:
        lines += ["", _("New in your categories") + ":"]
        for idea in digest.new_ideas:
            lines += [f"- {idea.title}", link(idea.id)]
    return lines


def compose(user: User, digest: since_last_visit.Digest) -> tuple[str, str, dict[str, str]]:
    """(subject, body, headers) of the mail, in the member's language."""
    base = notifications._base_url()
    link = notifications.unsubscribe_url(user, CATEGORY)
    with speaking_to(user):
        subject = _("Kyoso: what happened since your last visit")
        body = "\n".join([
            _("Hello %(name)s,", name=user.display_name), "",
            _("It has been a while! Here is what happened since your last visit on %(date)s:",
              date=format_date(digest.since, "long")),
            *_lines(digest, base), "",
            _("See it all on your home page: %(url)s", url=f"{base}/"),
            _("Change how you are told: %(url)s", url=f"{base}/account/settings"),
            _("Stop these mails (%(kind)s): %(url)s", kind=CATEGORIES[CATEGORY], url=link),
        ])
    return subject, body, notifications._unsubscribe_headers(link)


def _outcome(delivery: str, digest: since_last_visit.Digest) -> str:
    """What the member's current lapse comes to: sent, nothing_new or turned_off."""
    if digest.empty:
        return "nothing_new"
    return "sent" if delivery in MAIL_DELIVERIES else "turned_off"


def _tell(user: User, delivery: str, *, dry_run: bool = False) -> str:
    """Handle one member's current lapse; returns the outcome (or "taken" when another run
    handled it). A dry run only says what the outcome would be: it writes and mails nothing."""
    lapsed_since = user.last_seen_at or user.created_at
    digest = since_last_visit.digest(user, lapsed_since)
    outcome = _outcome(delivery, digest)
    if dry_run:
        return outcome
    row_id = _claim(user, lapsed_since, outcome)
    if row_id is None:
        return "taken"
    if outcome == "sent":
        subject, body, headers = compose(user, digest)
        mail_id = send_mail(user.email, subject, body, headers=headers,
                            dedupe_key=f"reengage:{user.id}:{lapsed_since.isoformat()}")
        db.session.get(ReengagementMail, row_id).mail_id = mail_id
    return outcome


def run(now: datetime | None = None, batch: int | None = None, *,
        dry_run: bool = False) -> dict[str, int]:
    """Mail every member due (see the module); returns how many of each outcome ("sent": got
    the mail). With `dry_run`, nothing is written or mailed: the counts say what a run now
    would do (`flask users reengage --dry-run`)."""
    now = now or utcnow()
    size = batch or current_app.config["REENGAGE_BATCH"]
    cutoff = now - timedelta(days=current_app.config["REENGAGE_AFTER_DAYS"])
    counts: dict[str, int] = {}
    after_id = 0
    while True:
        members = due_batch(after_id, cutoff, size)
        if not members:
            break
        chosen = notifications.deliveries([member.id for member in members], CATEGORY)
        for member in members:
            outcome = _tell(member, chosen[member.id], dry_run=dry_run)
            counts[outcome] = counts.get(outcome, 0) + 1
        after_id = members[-1].id
        if dry_run:
            db.session.rollback()  # nothing was written; the session lets the batch go
        else:
            db.session.commit()  # the session holds committed rows weakly: memory stays flat
    return counts
