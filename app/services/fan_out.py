"""Telling everyone who follows an idea, in batches, outside the request.

    fan_out.tell_followers(idea, "idea_milestone", message)   # one row, in the caller's transaction

The request writes one `notification_fanouts` row; after the commit the job
`notifications.fan_out` tells the followers NOTIFY_FANOUT_BATCH at a time, in user id order:
per batch one query for the people, one multi-row insert of the mails of those who want them
at once, one of the notifications, and one `mail.send_batch` job that sends the batch's mails
over one SMTP connection (one publish to the broker per batch, not per mail). Each batch
commits with the fan-out's cursor (`after_user_id`) under the fan-out's row lock, so a job
that runs twice, or two at once, tells each follower once; `notifications.fan_out_sweep`
(every minute) finishes a fan-out whose job was lost. The 10,000th support costs the request
what the first does.
"""
from __future__ import annotations

import logging
import smtplib
from datetime import timedelta

from flask import current_app
from sqlalchemy import insert, select, text, union, update

from app import jobs, mail
from app.extensions import db
from app.models import (Idea, IdeaCreator, IdeaFollow, Notification, NotificationFanout,
                        OutboundMail, Support, User)
from app.models.base import utcnow
from app.services import events

log = logging.getLogger(__name__)

AUDIENCES = ("followers", "followers_and_supporters")


def tell_followers(idea: Idea, kind: str, message: str, *, url: str = "",
                   audience: str = "followers") -> NotificationFanout:
    """Queue a notification to the idea's followers (and supporters, with that audience),
    never its creators (tell them inline); sent in batches after the commit."""
    if audience not in AUDIENCES:
        raise ValueError(f"unknown audience {audience!r}")
    fanout = NotificationFanout(kind=kind, idea_id=idea.id, message=message,
                                url=url or events.idea_url(idea), audience=audience,
                                after_user_id=0)
    db.session.add(fanout)
    db.session.flush()
    jobs.enqueue("notifications.fan_out", fanout_id=fanout.id)
    return fanout


def _batch_size() -> int:
    return int(current_app.config.get("NOTIFY_FANOUT_BATCH", 500))


def _people(fanout: NotificationFanout, size: int):
    """The next `size` people to tell (id, email, notify_mode, confirmed), by user id, from the
    (idea_id, user_id) unique indexes."""
    ids = select(IdeaFollow.user_id.label("user_id")).where(
        IdeaFollow.idea_id == fanout.idea_id, IdeaFollow.user_id > fanout.after_user_id)
    if fanout.audience == "followers_and_supporters":
        ids = union(ids, select(Support.user_id.label("user_id")).where(
            Support.idea_id == fanout.idea_id, Support.user_id > fanout.after_user_id))
    ids = ids.subquery()
    creators = select(IdeaCreator.user_id).where(IdeaCreator.idea_id == fanout.idea_id)
    return db.session.execute(
        select(User.id, User.email, User.notify_mode, User.email_confirmed_at)
        .join(ids, ids.c.user_id == User.id)
        .where(User.blocked_at.is_(None), User.id.not_in(creators))
        .order_by(User.id).limit(size)).all()


def _lock(fanout_id: int) -> NotificationFanout | None:
    if db.session.get_bind().dialect.name == "sqlite":  # one writer at a time: take the lock now
        db.session.execute(text("UPDATE notification_fanouts SET id = id WHERE 0 = 1"))
    return db.session.scalar(
        select(NotificationFanout).where(NotificationFanout.id == fanout_id,
                                         NotificationFanout.done_at.is_(None))
        .with_for_update().execution_options(populate_existing=True))


def tell_next_batch(fanout_id: int) -> int | None:
    """Tell the next batch and commit; the number told, or None when the fan-out is done."""
    fanout = _lock(fanout_id)
    if fanout is None:
        db.session.rollback()
        return None
    size = _batch_size()
    people = _people(fanout, size)
    base = current_app.config.get("PUBLIC_BASE_URL", "")
    wanting_mail = [person for person in people
                    if person.notify_mode == "immediately" and person.email_confirmed_at]
    mail_ids: dict[int, int] = {}
    if wanting_mail:
        subject = f"Kyoso: {fanout.message[:120]}"
        body = (f"{fanout.message}\n\n{base}{fanout.url}\n\n"
                f"Change how you are told: {base}/account/settings")
        now = utcnow()
        returned = db.session.execute(
            insert(OutboundMail).returning(OutboundMail.id, sort_by_parameter_order=True),
            [{"to_address": person.email, "subject": subject, "body": body, "headers": {},
              "status": "pending", "attempts": 0, "created_at": now, "next_attempt_at": now}
             for person in wanting_mail]).scalars().all()
        mail_ids = {person.id: mail_id for person, mail_id in zip(wanting_mail, returned)}
    if people:
        now = utcnow()
        db.session.execute(insert(Notification), [
            {"user_id": person.id, "kind": fanout.kind, "idea_id": fanout.idea_id,
             "message": fanout.message, "url": fanout.url, "created_at": now,
             "mail_id": mail_ids.get(person.id)} for person in people])
        fanout.after_user_id = people[-1].id
    if len(people) < size:
        fanout.done_at = utcnow()
    if mail_ids:
        jobs.enqueue("mail.send_batch", mail_ids=sorted(mail_ids.values()))
    db.session.commit()
    return len(people)


@jobs.job("notifications.fan_out")
def fan_out(fanout_id: int) -> int:
    """Tell every remaining follower, batch by batch; returns how many this run told."""
    told = 0
    while (count := tell_next_batch(fanout_id)) is not None:
        told += count
    return told


@jobs.job("notifications.fan_out_sweep")
def sweep(older_than: int = 60) -> int:
    """Finish the fan-outs still open after `older_than` seconds (their job was lost or died);
    returns how many were finished."""
    due = db.session.scalars(
        select(NotificationFanout.id).where(
            NotificationFanout.done_at.is_(None),
            NotificationFanout.created_at <= utcnow() - timedelta(seconds=older_than))
        .order_by(NotificationFanout.id).limit(100)).all()
    db.session.rollback()
    for fanout_id in due:
        fan_out(fanout_id)
    return len(due)


# --- sending a batch of mails over one connection ---------------------------------------------

def _claim(mail_ids: list[int]) -> list[OutboundMail]:
    now = utcnow()
    claimed = db.session.scalars(
        update(OutboundMail).where(OutboundMail.id.in_(mail_ids), *mail._claimable(now))
        .values(locked_until=now + mail._lease(), locked_by=jobs.current_job_id(),
                attempts=OutboundMail.attempts + 1)
        .returning(OutboundMail.id)).all()
    db.session.commit()
    if not claimed:
        return []
    return list(db.session.scalars(select(OutboundMail).where(OutboundMail.id.in_(claimed))
                                   .order_by(OutboundMail.id)))


def _record_sent(sent: list[int]) -> None:
    if not sent:
        return
    now = utcnow()
    db.session.execute(update(OutboundMail).where(OutboundMail.id.in_(sent)).values(
        status="sent", sent_at=now, locked_until=None, locked_by=None, last_error=None))
    db.session.execute(update(Notification).where(Notification.mail_id.in_(sent))
                       .values(emailed_at=now))


def _release(mail_ids: list[int], error: Exception) -> None:
    """Give the unsent mails back to the outbox: the sweep (or this job's retry) sends them."""
    if not mail_ids:
        return
    db.session.execute(update(OutboundMail).where(
        OutboundMail.id.in_(mail_ids), OutboundMail.status == "pending").values(
        locked_until=None, locked_by=None, last_error=f"{type(error).__name__}: {error}"[:2000]))


@jobs.job("mail.send_batch", retry_for=mail.TRANSIENT_ERRORS, swept=True)
def deliver_batch(mail_ids: list[int]) -> int:
    """Send the outbox mails over one SMTP connection, each once; returns how many were sent.
    A mail the server refuses for good is marked failed and the batch goes on; a transient
    error stops the batch (the rest stay pending for the retry or the sweep)."""
    mails = _claim(mail_ids)
    sent: list[int] = []
    try:
        with mail.smtp_connection() as smtp:
            for outgoing in mails:
                try:
                    if smtp is None:
                        mail.send_now(outgoing.to_address, outgoing.subject, outgoing.body,
                                      outgoing.headers or None)
                    else:
                        mail.send_now(outgoing.to_address, outgoing.subject, outgoing.body,
                                      outgoing.headers or None, smtp=smtp)
                except smtplib.SMTPRecipientsRefused as error:
                    if not mail._permanent(error):
                        raise
                    outgoing.status, outgoing.locked_until, outgoing.locked_by = \
                        "failed", None, None
                    outgoing.last_error = f"{type(error).__name__}: {error}"[:2000]
                    continue
                sent.append(outgoing.id)
    except mail.TRANSIENT_ERRORS as error:
        _record_sent(sent)
        _release([m.id for m in mails if m.id not in set(sent)], error)
        db.session.commit()
        log.warning("mail batch stopped after %s of %s (%s: %s)", len(sent), len(mails),
                    type(error).__name__, error)
        raise
    _record_sent(sent)
    db.session.commit()
    return len(sent)
