"""People: members following members, the kept numbers of a member (followers, following,
people brought through their share links), referral events and supporter nudges."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db
from app.models.base import UTCDateTime, utcnow

REFERRAL_KINDS = ("visit", "signup", "support")


class UserFollow(db.Model):
    """`follower` hears of the new ideas and updates of `followed`. Purely personal: gone with
    either account (CASCADE)."""

    __tablename__ = "user_follows"

    id: Mapped[int] = mapped_column(primary_key=True)
    follower_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    followed_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (
        UniqueConstraint("follower_id", "followed_id"),
        # the fan-out walks a member's followers in follower id order
        Index("ix_user_follows_followed_follower", "followed_id", "follower_id"),
    )


class MemberCounter(db.Model):
    """A member's kept numbers, changed in the transaction of what changes them (never counted
    per view). A narrow row of its own, so following a popular member never locks `users`.
    A missing row means all zero."""

    __tablename__ = "member_counters"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"),
                                         primary_key=True)
    follower_count: Mapped[int] = mapped_column(Integer, default=0)
    following_count: Mapped[int] = mapped_column(Integer, default=0)
    #: Visits of ideas through the member's share links (once per visitor session and idea).
    share_visit_count: Mapped[int] = mapped_column(Integer, default=0)
    referred_signup_count: Mapped[int] = mapped_column(Integer, default=0)
    referred_support_count: Mapped[int] = mapped_column(Integer, default=0)
    #: Distinct people who signed up or supported an idea through the member's links.
    brought_count: Mapped[int] = mapped_column(Integer, default=0)


class ReferralEvent(db.Model):
    """Something that happened through a member's share link (`?ref=<code>`): a visit of an
    idea, a sign-up, a support. `user_id` is the person brought (none for an anonymous visit)."""

    __tablename__ = "referral_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    sharer_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(8))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    idea_id: Mapped[int | None] = mapped_column(ForeignKey("ideas.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (
        Index("ix_referral_events_sharer_kind", "sharer_id", "kind", "id"),
        Index("ix_referral_events_created_at", "created_at"),
        Index("ix_referral_events_user_id", "user_id"),
        Index("ix_referral_events_idea_id", "idea_id"),
    )


class IdeaNudge(db.Model):
    """One nudge ("N more supporters in D days: share it") to one supporter of one idea on one
    day. The unique key makes a retried or doubled job send nothing twice; the job skips anyone
    nudged for the idea in the last NUDGE_INTERVAL_DAYS."""

    __tablename__ = "idea_nudges"

    id: Mapped[int] = mapped_column(primary_key=True)
    idea_id: Mapped[int] = mapped_column(ForeignKey("ideas.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"),
                                         index=True)
    sent_on: Mapped[date] = mapped_column(Date)

    __table_args__ = (UniqueConstraint("idea_id", "user_id", "sent_on"),)
