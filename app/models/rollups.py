"""Kept numbers and queued work that keep the support path and the idea page cheap at scale.

- IdeaCounter: an idea's exact support count, its trending score as of the last support, and
  a change number, updated in the support's transaction on a narrow row (HOT updates: no
  indexed column changes). The wide `ideas` row keeps `support_count` / `trending_score` as the
  listings' sort keys, rolled up from here every minute (app.services.supports).
- SupportEvidence: the supporters' answers in aggregate, computed once per change.
- IdeaSupportDay: an idea's supports per day (and those through share links), kept by the
  support path: the creators' evidence dashboard reads one row per day, never the supports.
- Recommendation: a member's "For you" shelf, precomputed by a job (app.services.discovery).
- NotificationFanout: telling every follower of an idea, done in batches by a job.
- KpiResult: the KPI dashboard's figures for a scope, kept by a job (app.services.kpi_results).
"""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Date, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db
from app.models.base import UTCDateTime, utcnow


class IdeaCounter(db.Model):
    """Exact per-idea numbers written by every support and withdrawal. No secondary index, so
    an update never touches an index (PostgreSQL HOT update). A missing row means "the same as
    the ideas row" (ideas created before the table, or never supported)."""

    __tablename__ = "idea_counters"

    idea_id: Mapped[int] = mapped_column(ForeignKey("ideas.id", ondelete="CASCADE"),
                                         primary_key=True)
    support_count: Mapped[int] = mapped_column(Integer, default=0)
    trending_score: Mapped[int] = mapped_column(Integer, default=0)
    #: +1 on every support and withdrawal: the version the kept evidence was computed for.
    changes: Mapped[int] = mapped_column(Integer, default=0)


class SupportEvidence(db.Model):
    """The supporters' would-buy counts, prices per currency and latest reasons, as
    app.services.supports.answers_summary() returns them, for IdeaCounter.changes."""

    __tablename__ = "support_evidence"

    idea_id: Mapped[int] = mapped_column(ForeignKey("ideas.id", ondelete="CASCADE"),
                                         primary_key=True)
    changes: Mapped[int] = mapped_column(Integer, default=0)
    summary: Mapped[dict] = mapped_column(JSON, default=dict)
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class IdeaSupportDay(db.Model):
    """The supports of an idea given on one UTC day that still stand, and how many of them came
    through a share link (app.services.support_days keeps both; a merge rebuilds them)."""

    __tablename__ = "idea_support_days"

    idea_id: Mapped[int] = mapped_column(ForeignKey("ideas.id", ondelete="CASCADE"),
                                         primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    supports: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    referred: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class Recommendation(db.Model):
    """One idea on a member's "For you" shelf, at `position`, with the reason shown."""

    __tablename__ = "recommendations"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"),
                                         primary_key=True)
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    idea_id: Mapped[int] = mapped_column(ForeignKey("ideas.id", ondelete="CASCADE"), index=True)
    reason_kind: Mapped[str] = mapped_column(String(16))
    reason_subject: Mapped[str] = mapped_column(String(200), default="")
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class NotificationFanout(db.Model):
    """Tell everyone following an idea, in batches, after the change that calls for it
    committed (job `notifications.fan_out`; the sweep finishes any that stopped)."""

    __tablename__ = "notification_fanouts"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    idea_id: Mapped[int] = mapped_column(ForeignKey("ideas.id", ondelete="CASCADE"))
    #: The notification's params (app.notification_kinds): rendered for each reader.
    params: Mapped[dict] = mapped_column(JSON, default=dict)
    url: Mapped[str] = mapped_column(String(300), default="")
    #: followers | followers_and_supporters (never the idea's creators: they are told inline).
    audience: Mapped[str] = mapped_column(String(24), default="followers")
    #: Followers with a larger user id are still to be told (batches go in user id order).
    after_user_id: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (Index("ix_notification_fanouts_done_at", "done_at"),)


class KpiResult(db.Model):
    """The KPI dashboard's figures for one scope (period and filters), as
    app.services.analytics.kpis() returned them at `computed_at`, kept by the job
    `analytics.compute` (app.services.kpi_results) so that the dashboard answers at once.

    `status` is "pending" while a computation is queued (the row is the job's dedupe: a scope
    is queued once until it has run) and "ready" once `result` is written; a pending row may
    still hold the previous result."""

    __tablename__ = "kpi_results"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    #: sha256 of "from|to|category_id|campaign_id": one row per scope.
    scope_key: Mapped[str] = mapped_column(String(64), unique=True)
    from_day: Mapped[date] = mapped_column(Date)
    to_day: Mapped[date] = mapped_column(Date)
    category_id: Mapped[int | None] = mapped_column(ForeignKey("categories.id", ondelete="CASCADE"))
    campaign_id: Mapped[int | None] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"))
    status: Mapped[str] = mapped_column(String(16), default="pending")
    result: Mapped[dict | None] = mapped_column(JSON)
    computed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
