"""Members' privacy: consent events (personalisation, marketing mail) kept for the audit trail,
the versioned member terms and privacy policy, and members' acceptances of them."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
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


#: The member-facing documents, versioned: the member terms and the privacy policy.
POLICY_KINDS = ("terms", "privacy")


class Policy(db.Model):
    """One published version of the member terms or the privacy policy, in English and Japanese,
    with the SHA-256 of each exact text. Never edited: a change is a new version, and the latest
    published one of its kind is in force."""

    __tablename__ = "policies"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))  # POLICY_KINDS
    version: Mapped[str] = mapped_column(String(20))
    text_en: Mapped[str] = mapped_column(Text)
    text_ja: Mapped[str] = mapped_column(Text)
    sha256_en: Mapped[str] = mapped_column(String(64))
    sha256_ja: Mapped[str] = mapped_column(String(64))
    published_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    published_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    __table_args__ = (UniqueConstraint("kind", "version"),
                      Index("ix_policies_kind_published", "kind", "published_at"))

    def text(self, locale: str | None) -> str:
        return self.text_ja if locale == "ja" else self.text_en

    def sha256(self, locale: str | None) -> str:
        return self.sha256_ja if locale == "ja" else self.sha256_en


class PolicyAcceptance(db.Model):
    """A member's acceptance of one version: the version and the digest of the text they were
    shown (in their language), when, and from where (IP address and user agent, nulled after the
    retention period). Purely personal: it goes with the account (CASCADE)."""

    __tablename__ = "policy_acceptances"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    policy_id: Mapped[int] = mapped_column(ForeignKey("policies.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    version: Mapped[str] = mapped_column(String(20))
    sha256: Mapped[str] = mapped_column(String(64))
    locale: Mapped[str] = mapped_column(String(8))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    ip_address: Mapped[str | None] = mapped_column(String(45))
    user_agent: Mapped[str | None] = mapped_column(String(500))

    __table_args__ = (UniqueConstraint("user_id", "policy_id"),)
