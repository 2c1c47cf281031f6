"""Recognition: points per contribution (kept by a rollup, never recounted per view), levelled
badges from kept counts, a monthly leaderboard per category, thank-you acknowledgements and
rewards that are things (granted, then delivered)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import (Boolean, Float, ForeignKey, Index, Integer, PrimaryKeyConstraint, String,
                        UniqueConstraint, false)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.base import UTCDateTime, utcnow
from app.models.users import User


class MemberStats(db.Model):
    """A member's kept counts and points (app.services.recognition.rollup adds to them)."""

    __tablename__ = "member_stats"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"),
                                         primary_key=True)
    ideas_posted: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    supports_given: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    comments_posted: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    helpful_comments: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    thanks_received: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    sessions_attended: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    tests_completed: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    #: People who signed up or supported through the member's share links, each once.
    people_brought: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    points: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    #: Points with decay, as of score_at (halves every RECOGNITION_HALF_LIFE_DAYS).
    score: Mapped[float] = mapped_column(Float, default=0.0, server_default="0")
    score_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    leaderboard_opt_out: Mapped[bool] = mapped_column(Boolean, default=False,
                                                      server_default=false())


class PointEvent(db.Model):
    """One award of points, once per source row (source_key is unique: a rollup that runs
    twice awards nothing twice)."""

    __tablename__ = "point_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    action: Mapped[str] = mapped_column(String(24))
    points: Mapped[int] = mapped_column(Integer)
    category_id: Mapped[int | None] = mapped_column(Integer)
    source_key: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (Index("ix_point_events_user", "user_id", "id"),)


class MonthlyPoints(db.Model):
    """Points per member, month (YYYY-MM) and category (0: all categories)."""

    __tablename__ = "monthly_points"

    month: Mapped[str] = mapped_column(String(7))
    category_id: Mapped[int] = mapped_column(Integer)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    points: Mapped[int] = mapped_column(Integer, default=0)

    __table_args__ = (PrimaryKeyConstraint("month", "category_id", "user_id"),
                      Index("ix_monthly_points_board", "month", "category_id", "points"))


class RecognitionCursor(db.Model):
    """How far the rollup has read each source (the last id it awarded)."""

    __tablename__ = "recognition_cursors"

    source: Mapped[str] = mapped_column(String(24), primary_key=True)
    last_id: Mapped[int] = mapped_column(Integer, default=0)


class Thanks(db.Model):
    """A thank-you from staff or an idea's creator to a member, for something (shown on the
    member's profile). One thanking a comment marks it helpful."""

    __tablename__ = "thanks"

    id: Mapped[int] = mapped_column(primary_key=True)
    from_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    to_user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    idea_id: Mapped[int | None] = mapped_column(ForeignKey("ideas.id", ondelete="CASCADE"))
    comment_id: Mapped[int | None] = mapped_column(ForeignKey("comments.id", ondelete="CASCADE"))
    message: Mapped[str] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    from_user: Mapped[User | None] = relationship(foreign_keys=[from_user_id])

    __table_args__ = (Index("ix_thanks_to", "to_user_id", "id"),
                      UniqueConstraint("from_user_id", "comment_id"))


REWARD_KINDS = ("free_copy", "discount", "other")
REWARD_STATUSES = ("granted", "delivered")


class Reward(db.Model):
    """A reward that is a thing (a free copy, a discount), granted by staff, then delivered."""

    __tablename__ = "rewards"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))
    description: Mapped[str] = mapped_column(String(300))
    status: Mapped[str] = mapped_column(String(12), default="granted")
    granted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    granted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (Index("ix_rewards_user", "user_id", "id"),)
