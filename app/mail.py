"""Outgoing mail through an outbox: SMTP when MAIL_SERVER is set, otherwise written to the log.

    mail_id = send_mail(to, subject, body)   # a row in outbound_mails, in the caller's transaction

Every mail is first a row written in the same transaction as whatever caused it, so it exists
exactly when its cause committed. After the commit the job `mail.send` sends it (Celery worker,
or the in-process pool); the job leases the row, sends it only if it is still pending and records
`sent_at` (and `emailed_at` on the notifications it tells of), so a job that runs twice sends
once. A send that fails (SMTP down, a timeout after MAIL_TIMEOUT seconds) is tried again with
backoff, by the engine's retries and by the sweep (`mail.sweep`, every minute), which also sends
mail whose job never ran (Redis down when it was queued); after JOBS_MAX_RETRIES retries the mail
is `failed` and its job is in the dead-letter list. No request ever waits for SMTP.

A mail is sent at least once: a sender that dies after the SMTP server took the mail but before
it recorded that, sends it again on its next attempt.
"""
from __future__ import annotations

import logging
import smtplib
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from email.message import EmailMessage

from flask import current_app
from sqlalchemy import or_, select, update
from sqlalchemy.dialects import postgresql, sqlite

from app import jobs, observability
from app.extensions import db
from app.models import Notification, OutboundMail
from app.models.base import utcnow

log = logging.getLogger("kyoso.mail")

#: Worth another try later: the server is down, slow, or answered 4xx.
TRANSIENT_ERRORS = (OSError, smtplib.SMTPException)
SWEEP_BATCH = 100


def compose(to: str, subject: str, body: str,
            headers: dict[str, str] | None = None) -> EmailMessage:
    """The message as it is sent: From the site, one-line headers."""
    message = EmailMessage()
    message["From"] = current_app.config["MAIL_DEFAULT_SENDER"]
    message["To"] = to
    # One line: a line break in a header is refused by the email package (and would be a
    # header injection); subjects quote titles and names that members type.
    message["Subject"] = " ".join(subject.split())
    for name, value in (headers or {}).items():
        message[name] = " ".join(str(value).split())
    message.set_content(body)
    return message


@contextmanager
def smtp_connection() -> Iterator[smtplib.SMTP | None]:
    """One SMTP conversation (MAIL_TIMEOUT for each step) for any number of mails; None
    without MAIL_SERVER (mail is then written to the log)."""
    config = current_app.config
    if not config.get("MAIL_SERVER"):
        yield None
        return
    with smtplib.SMTP(config["MAIL_SERVER"], config["MAIL_PORT"],
                      timeout=config["MAIL_TIMEOUT"]) as smtp:
        if config.get("MAIL_USE_TLS"):
            smtp.starttls()
        if config.get("MAIL_USERNAME"):
            smtp.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"] or "")
        yield smtp


def send_now(to: str, subject: str, body: str, headers: dict[str, str] | None = None,
             smtp: smtplib.SMTP | None = None) -> None:
    """Hand one mail to the SMTP server now (on `smtp` when given, else on a connection of its
    own); raises on failure."""
    message = compose(to, subject, body, headers)
    if smtp is not None:
        smtp.send_message(message)
        return
    with smtp_connection() as own:
        if own is None:
            log.info("Mail (no MAIL_SERVER set) to %s: %s\n%s", to, subject, body)
            return
        own.send_message(message)


def send_mail(to: str, subject: str, body: str, *, dedupe_key: str | None = None,
              headers: dict[str, str] | None = None) -> int | None:
    """Put a mail in the outbox (in the current transaction) and send it after the commit.

    Returns the mail's id, or None when a mail with the same dedupe_key already exists (then
    nothing more is sent)."""
    values = {"to_address": to, "subject": subject, "body": body, "headers": headers or {},
              "dedupe_key": dedupe_key}
    dialect = db.session.get_bind().dialect.name
    if dialect in ("postgresql", "sqlite"):
        insert = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(OutboundMail)
        statement = insert.values(**values).on_conflict_do_nothing(index_elements=["dedupe_key"])
    else:  # pragma: no cover - the two supported databases are above
        from sqlalchemy import insert as plain_insert

        statement = plain_insert(OutboundMail).values(**values)
    mail_id = db.session.execute(statement.returning(OutboundMail.id)).scalar()
    if mail_id is not None:
        jobs.enqueue("mail.send", mail_id=mail_id)
    return mail_id


def _lease() -> timedelta:
    # Longer than any one SMTP conversation: connect, EHLO, STARTTLS, login, MAIL, RCPT, DATA.
    return timedelta(seconds=10 * current_app.config["MAIL_TIMEOUT"] + 10)


def _claimable(now):
    return (OutboundMail.status == "pending",
            or_(OutboundMail.locked_until.is_(None), OutboundMail.locked_until < now,
                OutboundMail.locked_by == jobs.current_job_id()))


def _claim(mail_id: int) -> OutboundMail | None:
    """Lease the mail for this job (one attempt) if it is still pending and nobody else holds it;
    a job delivered again after its worker died holds its own lease still."""
    now = utcnow()
    claimed = db.session.execute(
        update(OutboundMail).where(OutboundMail.id == mail_id, *_claimable(now))
        .values(locked_until=now + _lease(), locked_by=jobs.current_job_id(),
                attempts=OutboundMail.attempts + 1)).rowcount
    db.session.commit()
    return db.session.get(OutboundMail, mail_id) if claimed else None


def _backoff(attempts: int) -> timedelta:
    config = current_app.config
    return timedelta(seconds=min(config["JOBS_RETRY_BACKOFF_MAX"],
                                 config["JOBS_RETRY_BACKOFF"] * 2 ** max(0, attempts - 1)))


def _permanent(error: Exception) -> bool:
    """A 5xx answer: the server refuses this mail, and asking again will not change that."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return all(code >= 500 for code, _message in error.recipients.values())
    return isinstance(error, smtplib.SMTPResponseException) and error.smtp_code >= 500


def _record_failure(mail: OutboundMail, error: Exception) -> None:
    now = utcnow()
    last = mail.attempts > current_app.config["JOBS_MAX_RETRIES"] or _permanent(error)
    mail.status = "failed" if last else "pending"
    mail.next_attempt_at = now + _backoff(mail.attempts)
    mail.locked_until = mail.locked_by = None
    mail.last_error = f"{type(error).__name__}: {error}"[:2000]
    db.session.commit()
    log.warning("mail %s to %s: attempt %s failed (%s)%s", mail.id, mail.to_address, mail.attempts,
                mail.last_error, "; giving up" if last else "")
    if last:
        raise jobs.GaveUp(f"mail {mail.id}: {mail.last_error}") from error


def revive(mail_id: int) -> None:
    """Make a failed mail pending again with fresh attempts (for `flask jobs retry`)."""
    db.session.execute(update(OutboundMail).where(
        OutboundMail.id == mail_id, OutboundMail.status != "sent").values(
        status="pending", attempts=0, next_attempt_at=utcnow(), locked_until=None,
        locked_by=None))


@jobs.job("mail.send", retry_for=TRANSIENT_ERRORS, swept=True, revive=revive)
def deliver(mail_id: int) -> bool:
    """Send the outbox mail once; True if this call sent it. Raises a transient error for a
    retry later, or GaveUp after the last attempt."""
    mail = _claim(mail_id)
    if mail is None:
        return False  # sent already, given up, or another sender holds it
    try:
        if mail.headers:
            send_now(mail.to_address, mail.subject, mail.body, mail.headers)
        else:
            send_now(mail.to_address, mail.subject, mail.body)
    except TRANSIENT_ERRORS as error:
        db.session.rollback()
        _record_failure(db.session.get(OutboundMail, mail_id), error)
        observability.mail_failed()
        raise
    now = utcnow()
    db.session.execute(update(OutboundMail).where(OutboundMail.id == mail_id).values(
        status="sent", sent_at=now, locked_until=None, locked_by=None, last_error=None))
    db.session.execute(update(Notification).where(Notification.mail_id == mail_id)
                       .values(emailed_at=now))
    db.session.commit()
    observability.mail_sent()
    return True


@jobs.job("mail.sweep")
def sweep(older_than: int | None = None) -> int:
    """Send pending mail whose time came over MAIL_SWEEP_AFTER seconds ago (its job was lost,
    or its retry is overdue); stops at the first failure (the server is down: the rest wait for
    the next sweep). Returns how many were sent."""
    from app.jobs import dead_letters

    now = utcnow()
    after = current_app.config["MAIL_SWEEP_AFTER"] if older_than is None else older_than
    due = db.session.scalars(
        select(OutboundMail.id).where(*_claimable(now),
                                      OutboundMail.next_attempt_at <= now - timedelta(seconds=after))
        .order_by(OutboundMail.next_attempt_at, OutboundMail.id).limit(SWEEP_BATCH)
        .with_for_update(skip_locked=True)).all()
    if due:  # leased to this sweep at once, so a second sweep picks other mail
        db.session.execute(update(OutboundMail).where(OutboundMail.id.in_(due)).values(
            locked_until=now + _lease(), locked_by=jobs.current_job_id()))
    db.session.commit()
    sent = 0
    for mail_id in due:
        try:
            sent += deliver(mail_id)
        except jobs.GaveUp as error:
            dead_letters.record("mail.send", {"mail_id": mail_id}, error, attempts=(
                db.session.get(OutboundMail, mail_id).attempts))
        except TRANSIENT_ERRORS:
            db.session.execute(update(OutboundMail).where(
                OutboundMail.id.in_(due), OutboundMail.locked_by == jobs.current_job_id())
                .values(locked_until=None, locked_by=None))
            db.session.commit()
            break
    return sent
