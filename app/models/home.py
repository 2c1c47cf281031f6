"""The member's home: re-engagement mails (one per lapse)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db
from app.models.base import UTCDateTime, utcnow


class ReengagementMail(db.Model):
    """One "what happened since your last visit" mail per lapse of a member: the lapse is named
    by the member's last visit (`lapsed_since`, their last_seen_at, or created_at when they
    never came back), so a member who returns and lapses again gets a new row, and a job run
    twice finds the row and mails nobody twice. `outcome` says what the run did: sent, or
    skipped (nothing happened, no consent, mails turned off)."""

    __tablename__ = "reengagement_mails"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    lapsed_since: Mapped[datetime] = mapped_column(UTCDateTime)
    outcome: Mapped[str] = mapped_column(String(16), default="sent")
    mail_id: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (UniqueConstraint("user_id", "lapsed_since"),)
