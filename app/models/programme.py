"""The programme as the company runs it: its settings page (one row), the review calendar,
the payout minimum per currency, and creators' payout requests."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, CheckConstraint, Date, ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.base import UTCDateTime, utcnow
from app.models.users import User


class ProgrammeSettings(db.Model):
    """The programme page (always the row with id 1; absent until an admin first saves it,
    and then the settings' defaults apply). Expectation management: what the company promises
    and what it does not."""

    __tablename__ = "programme_settings"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), default="")
    purpose: Mapped[str] = mapped_column(Text, default="")
    promises: Mapped[str] = mapped_column(Text, default="")
    not_promised: Mapped[str] = mapped_column(Text, default="")
    outlook: Mapped[str] = mapped_column(Text, default="")
    timeline: Mapped[str] = mapped_column(Text, default="")
    who_decides: Mapped[str] = mapped_column(Text, default="")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class ReviewDate(db.Model):
    """One announced review batch: the date it closes (and its name, if known yet)."""

    __tablename__ = "review_calendar"

    id: Mapped[int] = mapped_column(primary_key=True)
    batch_name: Mapped[str] = mapped_column(String(120), default="")
    closes_on: Mapped[date] = mapped_column(Date, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class PayoutMinimum(db.Model):
    """The smallest balance a creator may ask to be paid, in one currency (minor units)."""

    __tablename__ = "payout_minimums"

    currency: Mapped[str] = mapped_column(String(3), primary_key=True)
    amount_minor: Mapped[int] = mapped_column(BigInteger)

    __table_args__ = (CheckConstraint("amount_minor > 0", name="amount_positive"),)


PAYOUT_REQUEST_STATUSES = ("requested", "paid", "declined")


class PayoutRequest(db.Model):
    """A creator asks to be paid part or all of their balance; finance pays (a ledger payout)
    or declines with a reason. At most one open request per creator and currency."""

    __tablename__ = "payout_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    status: Mapped[str] = mapped_column(String(16), default="requested")
    reason: Mapped[str | None] = mapped_column(Text)
    payout_id: Mapped[int | None] = mapped_column(ForeignKey("payouts.id"))
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    user: Mapped[User] = relationship(foreign_keys=[user_id])

    __table_args__ = (
        CheckConstraint("amount_minor > 0", name="amount_positive"),
        CheckConstraint("status IN ('requested', 'paid', 'declined')", name="status_known"),
        Index("ix_payout_requests_status_id", "status", "id"),
        Index("ix_payout_requests_open", "user_id", "currency", unique=True,
              postgresql_where=text("status = 'requested'"),
              sqlite_where=text("status = 'requested'")),
    )

    @property
    def is_open(self) -> bool:
        return self.status == "requested"


__all__ = ["PAYOUT_REQUEST_STATUSES", "PayoutMinimum", "PayoutRequest", "ProgrammeSettings",
           "ReviewDate"]
