"""The mail outbox and the dead-letter list of background jobs."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db
from app.models.base import UTCDateTime, utcnow

#: pending: waiting to be sent (or retried); sent: the SMTP server took it; failed: gave up after
#: the last retry (listed by `flask jobs failed`, sent again by `flask jobs retry`).
MAIL_STATUSES = ("pending", "sent", "failed")


class OutboundMail(db.Model):
    """One mail to send, written in the same transaction as whatever caused it (an outbox):
    a mail exists exactly when its cause committed, and it is sent once, whoever sends it."""

    __tablename__ = "outbound_mails"

    id: Mapped[int] = mapped_column(primary_key=True)
    to_address: Mapped[str] = mapped_column(String(320))
    subject: Mapped[str] = mapped_column(Text)
    body: Mapped[str] = mapped_column(Text)
    headers: Mapped[dict] = mapped_column(JSON, default=dict)
    #: Two attempts to create the same mail (e.g. two digest runs at once) agree on this key;
    #: the second finds it taken and sends nothing.
    dedupe_key: Mapped[str | None] = mapped_column(String(200), unique=True)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: When a sender should next try it; the sweep sends mails whose time passed long ago.
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: A sender's lease: while it holds, no other sender touches the mail.
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    locked_by: Mapped[str | None] = mapped_column(String(64))
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (
        CheckConstraint("status IN ('pending', 'sent', 'failed')", name="status_valid"),
        Index("ix_outbound_mails_status_next_attempt", "status", "next_attempt_at"),
    )


class FailedJob(db.Model):
    """A job that failed for good (its retries exhausted, or an error no retry can fix)."""

    __tablename__ = "failed_jobs"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), index=True)
    args: Mapped[dict] = mapped_column(JSON, default=dict)
    error: Mapped[str] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(Integer, default=1)
    task_id: Mapped[str | None] = mapped_column(String(64))
    failed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
