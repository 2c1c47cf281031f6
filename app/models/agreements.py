"""The creator agreement (versioned, with a SHA-256 of its exact text) and consents to it."""
from __future__ import annotations

import hashlib
from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.base import UTCDateTime, utcnow
from app.models.users import User


def sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class Agreement(db.Model):
    __tablename__ = "agreements"

    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[str] = mapped_column(String(20), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    text: Mapped[str] = mapped_column(Text)
    sha256: Mapped[str] = mapped_column(String(64))
    published_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    published_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class Consent(db.Model):
    """One creator's explicit consent, for one idea, to one agreement version and split."""

    __tablename__ = "consents"

    id: Mapped[int] = mapped_column(primary_key=True)
    idea_id: Mapped[int] = mapped_column(ForeignKey("ideas.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    agreement_id: Mapped[int] = mapped_column(ForeignKey("agreements.id"))
    agreement_version: Mapped[str] = mapped_column(String(20))
    agreement_sha256: Mapped[str] = mapped_column(String(64))
    share_bps: Mapped[int] = mapped_column(Integer)
    # The address the creator had confirmed when consenting, and when they confirmed it.
    email: Mapped[str] = mapped_column(String(254), default="")
    email_confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ip_address: Mapped[str] = mapped_column(String(45), default="")
    user_agent: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    user: Mapped[User] = relationship()
    agreement: Mapped[Agreement] = relationship()
