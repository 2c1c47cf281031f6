"""Telling everyone who follows an idea, in batches, outside the request.

    fan_out.tell_followers(idea, "idea_milestone", params)   # one row, in the caller's transaction

The request writes one `notification_fanouts` row; after the commit the job
`notifications.fan_out` tells the followers NOTIFY_FANOUT_BATCH at a time, in user id order:
per batch one query for the people (with their language, time zone and preference for the
kind's category: `off` gets nothing), one multi-row insert of the mails of those who want them
at once (each in its reader's language, with its unsubscribe link), one of the notifications, and one `mail.send_batch` job that sends the batch's mails
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

from typing import Any

from flask import current_app
from sqlalchemy import func, insert, select, text, union, update
from sqlalchemy.orm import aliased

from app import jobs, mail
from app import notification_kinds as kinds
from app.extensions import db
from app.models import (Idea, IdeaCreator, IdeaFollow, Notification, NotificationFanout,
                        NotificationPreference, OutboundMail, Support, User, UserFollow)
from app.models.activity import DEFAULT_DELIVERY
from app.models.base import utcnow
from app.services import events, notifications

log = logging.getLogger(__name__)

#: creators_followers: the members who follow any of the idea's creators (app.services.people),
#: except the idea's own followers and supporters (they hear of it as the idea's audience).
AUDIENCES = ("followers", "followers_and_supporters", "creators_followers")


def tell_followers(idea: Idea, kind: str, params: dict[str, Any], *, url: str = "",
                   audience: str = "followers") -> NotificationFanout:
    """Queue a notification (a kind of app.notification_kinds and its params) to the idea's
    followers (and supporters, with that audience), never its creators (tell them inline);
    sent in batches after the commit. ValueError for an unknown kind or missing params."""
    if audience not in AUDIENCES:
        raise ValueError(f"unknown audience {audience!r}")
    kinds.check_params(kinds.get(kind), params)
    fanout = NotificationFanout(kind=kind, idea_id=idea.id, params=dict(params),
                                url=url or events.idea_url(idea), audience=audience,
                                after_user_id=0)
    db.session.add(fanout)
    db.session.flush()
    jobs.enqueue("notifications.fan_out", fanout_id=fanout.id)
    return fanout


def _batch_size() -> int:
    return int(current_app.config.get("NOTIFY_FANOUT_BATCH", 500))


def _people(fanout: NotificationFanout, size: int):
    """The next `size` people to tell (id, email, display_name, locale, time_zone, confirmed,
    delivery for the kind's category), by user id, from the (idea_id, user_id) unique
    indexes."""
    creators = select(IdeaCreator.user_id).where(IdeaCreator.idea_id == fanout.idea_id)
    if fanout.audience == "creators_followers":
        return _creators_followers(fanout, size, creators)
    ids = select(IdeaFollow.user_id.label("user_id")).where(
        IdeaFollow.idea_id == fanout.idea_id, IdeaFollow.user_id > fanout.after_user_id)
    if fanout.audience == "followers_and_supporters":
        ids = union(ids, select(Support.user_id.label("user_id")).where(
            Support.idea_id == fanout.idea_id, Support.user_id > fanout.after_user_id))
    return _people_of(fanout, size, ids.subquery(), creators)


def _people_of(fanout: NotificationFanout, size: int, ids, creators, *conditions):
    chosen = aliased(NotificationPreference)
    return db.session.execute(
        select(User.id, User.email, User.display_name, User.locale, User.time_zone,
               User.email_confirmed_at,
               func.coalesce(chosen.delivery, DEFAULT_DELIVERY).label("delivery"))
        .join(ids, ids.c.user_id == User.id)
        .outerjoin(chosen, (chosen.user_id == User.id)
                   & (chosen.category == kinds.category_of(fanout.kind)))
        .where(User.blocked_at.is_(None), User.deleted_at.is_(None), User.id.not_in(creators),
               *conditions)
        .order_by(User.id).limit(size)).all()


def _creators_followers(fanout: NotificationFanout, size: int, creators):
    """The next followers of the idea's creators, by follower id (the (followed_id,
    follower_id) index per creator), without the idea's own followers and supporters."""
    ids = select(UserFollow.follower_id.label("user_id")).where(
        UserFollow.followed_id.in_(creators), UserFollow.follower_id > fanout.after_user_id
    ).distinct().subquery()
    idea_followers = select(IdeaFollow.user_id).where(IdeaFollow.idea_id == fanout.idea_id)
    supporters = select(Support.user_id).where(Support.idea_id == fanout.idea_id)
    return _people_of(fanout, size, ids, creators, User.id.not_in(idea_followers),
                      User.id.not_in(supporters))


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
    told = [person for person in people if person.delivery != "off"]
    wanting_mail = [person for person in told
                    if person.delivery == "immediately" and person.email_confirmed_at]
    mail_ids: dict[int, int] = {}
    if wanting_mail:
        now = utcnow()
        rows = []
        for person in wanting_mail:  # each in the reader's language, with their own link
            subject, body, headers = notifications.compose_mail(person, fanout.kind,
                                                                fanout.params, fanout.url)
            rows.append({"to_address": person.email, "subject": subject, "body": body,
                         "headers": headers, "status": "pending", "attempts": 0,
                         "created_at": now, "next_attempt_at": now})
        returned = db.session.execute(
            insert(OutboundMail).returning(OutboundMail.id, sort_by_parameter_order=True),
            rows).scalars().all()
        mail_ids = {person.id: mail_id for person, mail_id in zip(wanting_mail, returned)}
    if told:
        now = utcnow()
        category = kinds.category_of(fanout.kind)
        db.session.execute(insert(Notification), [
            {"user_id": person.id, "kind": fanout.kind, "category": category,
             "idea_id": fanout.idea_id, "params": fanout.params, "url": fanout.url,
             "created_at": now, "mail_id": mail_ids.get(person.id)} for person in told])
    if people:
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
