"""Co-creation (issue 15, partners and sessions): sessions with their agenda, invitations
(accepted, waiting, declined, attended), feedback and outputs; product tests (MVP) with their
testers and reports; and the partner pool's precomputed scores."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (JSON, CheckConstraint, Date, ForeignKey, Index, Integer, String, Text,
                        UniqueConstraint)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.base import UTCDateTime, utcnow
from app.models.ideas import Idea
from app.models.users import User

SESSION_MODES = ("online", "in_person")
#: An invitee's answer: invited (no answer yet), accepted (has a place), waiting (on the
#: waiting list, in order of waiting_since), declined.
INVITATION_STATUSES = ("invited", "accepted", "waiting", "declined")
TESTER_STATUSES = ("applied", "selected")


class SessionSeries(db.Model):
    """Sessions scheduled together, one a month."""

    __tablename__ = "session_series"

    id: Mapped[int] = mapped_column(primary_key=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    occurrences: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class CoSession(db.Model):
    """A co-creation session. `agenda` is the list of {phase, minutes, technique} (its minutes
    add up to duration_minutes); `accepted_count` is kept, not counted (capacity checks lock
    the row)."""

    __tablename__ = "cocreation_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(160))
    purpose: Mapped[str] = mapped_column(Text, default="")
    mode: Mapped[str] = mapped_column(String(16))
    place_or_url: Mapped[str] = mapped_column(String(500))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    duration_minutes: Mapped[int] = mapped_column(Integer)
    capacity: Mapped[int] = mapped_column(Integer)
    accepted_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    agenda: Mapped[list] = mapped_column(JSON, default=list)
    idea_id: Mapped[int | None] = mapped_column(ForeignKey("ideas.id", ondelete="SET NULL"),
                                                index=True)
    product_id: Mapped[int | None] = mapped_column(ForeignKey("products.id", ondelete="SET NULL"))
    campaign_id: Mapped[int | None] = mapped_column(ForeignKey("campaigns.id",
                                                              ondelete="SET NULL"))
    series_id: Mapped[int | None] = mapped_column(ForeignKey("session_series.id",
                                                             ondelete="SET NULL"), index=True)
    # Outputs: Markdown source and stored sanitised HTML (app.markdown).
    notes: Mapped[str] = mapped_column(Text, default="", server_default="")
    notes_html: Mapped[str] = mapped_column(Text, default="", server_default="")
    insights: Mapped[str] = mapped_column(Text, default="", server_default="")
    insights_html: Mapped[str] = mapped_column(Text, default="", server_default="")
    decisions: Mapped[str] = mapped_column(Text, default="", server_default="")
    decisions_html: Mapped[str] = mapped_column(Text, default="", server_default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: Cancelled by staff (with the reason the invitees are told): nothing more can happen.
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancelled_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id",
                                                                   ondelete="SET NULL"))
    cancel_reason: Mapped[str | None] = mapped_column(String(500))

    idea: Mapped[Idea | None] = relationship()

    @property
    def is_cancelled(self) -> bool:
        return self.cancelled_at is not None

    __table_args__ = (
        CheckConstraint("mode IN ('online', 'in_person')", name="mode_valid"),
        CheckConstraint("duration_minutes > 0", name="duration_positive"),
        CheckConstraint("capacity > 0", name="capacity_positive"),
        CheckConstraint("accepted_count >= 0 AND accepted_count <= capacity",
                        name="within_capacity"),
    )


class SessionInvitation(db.Model):
    __tablename__ = "session_invitations"

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("cocreation_sessions.id",
                                                       ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    status: Mapped[str] = mapped_column(String(16), default="invited")
    invited_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    invited_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    responded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    waiting_since: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    attended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    session: Mapped[CoSession] = relationship()
    user: Mapped[User] = relationship(foreign_keys=[user_id])

    __table_args__ = (
        UniqueConstraint("session_id", "user_id"),
        CheckConstraint("status IN ('invited', 'accepted', 'waiting', 'declined')",
                        name="status_valid"),
        Index("ix_session_invitations_waiting", "session_id", "status", "waiting_since", "id"),
    )


class SessionFeedback(db.Model):
    """An attendee's answer afterwards: satisfaction 1-5 and an optional comment; once."""

    __tablename__ = "session_feedback"

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("cocreation_sessions.id",
                                                       ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    satisfaction: Mapped[int] = mapped_column(Integer)
    comment: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (
        UniqueConstraint("session_id", "user_id"),
        CheckConstraint("satisfaction BETWEEN 1 AND 5", name="satisfaction_range"),
    )


class SessionIdea(db.Model):
    """An idea a session's outputs are linked to."""

    __tablename__ = "session_ideas"

    session_id: Mapped[int] = mapped_column(ForeignKey("cocreation_sessions.id",
                                                       ondelete="CASCADE"), primary_key=True)
    idea_id: Mapped[int] = mapped_column(ForeignKey("ideas.id", ondelete="CASCADE"),
                                         primary_key=True, index=True)


class SessionPhoto(db.Model):
    """A photo of a session (stored through app.images/app.storage, sizes as idea images)."""

    __tablename__ = "session_photos"

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("cocreation_sessions.id",
                                                       ondelete="CASCADE"), index=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ProductTest(db.Model):
    """An MVP test of an idea in review or a product in production."""

    __tablename__ = "product_tests"

    id: Mapped[int] = mapped_column(primary_key=True)
    idea_id: Mapped[int] = mapped_column(ForeignKey("ideas.id", ondelete="CASCADE"), index=True)
    product_id: Mapped[int | None] = mapped_column(ForeignKey("products.id", ondelete="SET NULL"))
    title: Mapped[str] = mapped_column(String(160))
    brief: Mapped[str] = mapped_column(Text)
    brief_html: Mapped[str] = mapped_column(Text, default="", server_default="")
    testers: Mapped[int] = mapped_column(Integer)
    opens_on: Mapped[date] = mapped_column(Date)
    closes_on: Mapped[date] = mapped_column(Date)
    selected_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    idea: Mapped[Idea] = relationship()

    __table_args__ = (
        CheckConstraint("testers > 0", name="testers_positive"),
        CheckConstraint("closes_on >= opens_on", name="dates_ordered"),
    )


class ProductTester(db.Model):
    __tablename__ = "product_testers"

    id: Mapped[int] = mapped_column(primary_key=True)
    test_id: Mapped[int] = mapped_column(ForeignKey("product_tests.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    status: Mapped[str] = mapped_column(String(16), default="applied")
    motivation: Mapped[str] = mapped_column(Text, default="")
    applied_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    selected_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()

    __table_args__ = (
        UniqueConstraint("test_id", "user_id"),
        CheckConstraint("status IN ('applied', 'selected')", name="status_valid"),
    )


class ProductTestReport(db.Model):
    """A selected tester's structured feedback: the four matrix axes as they experienced them
    (1-3 each), a reason and free text. Once per tester and test."""

    __tablename__ = "product_test_reports"

    id: Mapped[int] = mapped_column(primary_key=True)
    test_id: Mapped[int] = mapped_column(ForeignKey("product_tests.id", ondelete="CASCADE"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"),
                                                index=True)
    customer_value: Mapped[int] = mapped_column(Integer)
    uniqueness: Mapped[int] = mapped_column(Integer)
    feasibility: Mapped[int] = mapped_column(Integer)
    marketability: Mapped[int] = mapped_column(Integer)
    rationale: Mapped[str] = mapped_column(Text)
    comment: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)  # KPIs

    __table_args__ = (
        UniqueConstraint("test_id", "user_id"),
        *(CheckConstraint(f"{axis} BETWEEN 1 AND 3", name=f"{axis}_range")
          for axis in ("customer_value", "uniqueness", "feasibility", "marketability")),
    )

    def score(self, axis: str) -> int:
        """The tester's score on one matrix axis (as Review.score: app.services.review)."""
        return getattr(self, axis)


class PartnerScore(db.Model):
    """A member's partner-pool scores, computed by the job partners.refresh (never per
    request). `score` orders the pool (keyset on score, user_id); `activity_level` is low,
    medium or high; `categories` the ids of the categories they were active in."""

    __tablename__ = "partner_scores"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"),
                                         primary_key=True)
    engagement: Mapped[int] = mapped_column(Integer, default=0)
    clarity: Mapped[int] = mapped_column(Integer, default=0)
    influence: Mapped[int] = mapped_column(Integer, default=0)
    score: Mapped[int] = mapped_column(Integer, default=0)
    activity_level: Mapped[str] = mapped_column(String(8), default="low")
    locale: Mapped[str] = mapped_column(String(8), default="en")
    details: Mapped[dict] = mapped_column(JSON, default=dict)
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    user: Mapped[User] = relationship()

    __table_args__ = (Index("ix_partner_scores_rank", "score", "user_id"),)


class PartnerCategory(db.Model):
    """A category a member was active in (ideas, supports, comments), for the pool's filter."""

    __tablename__ = "partner_categories"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"),
                                         primary_key=True)
    category_id: Mapped[int] = mapped_column(ForeignKey("categories.id", ondelete="CASCADE"),
                                             primary_key=True)
    activity: Mapped[int] = mapped_column(Integer, default=0)
    score: Mapped[int] = mapped_column(Integer, default=0)  # the member's score, for keyset

    __table_args__ = (Index("ix_partner_categories_rank", "category_id", "score", "user_id"),)


__all__ = ["CoSession", "INVITATION_STATUSES", "PartnerCategory", "PartnerScore", "ProductTest",
           "ProductTestReport", "ProductTester", "SESSION_MODES", "SessionFeedback", "SessionIdea",
           "SessionInvitation", "SessionPhoto", "SessionSeries", "TESTER_STATUSES"]
