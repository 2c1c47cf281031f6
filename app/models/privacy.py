"""Members' privacy: consent events (personalisation, marketing mail) kept for the audit trail."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db
from app.models.base import UTCDateTime, utcnow

#: What a member may consent to (the columns of the same names on users).
CONSENT_KINDS = ("personalisation", "marketing_mail")


class ConsentEvent(db.Model):
    """One change of a member's consent: what, on or off, when, from where (IP address and user
    agent, nulled after PRIVACY_RETENTION_DAYS by `flask privacy purge`). Purely personal: it
    goes with the account (CASCADE)."""

    __tablename__ = "consent_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(32))  # CONSENT_KINDS
    granted: Mapped[bool] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    ip_address: Mapped[str | None] = mapped_column(String(45))
    user_agent: Mapped[str | None] = mapped_column(String(500))
