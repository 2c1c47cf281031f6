"""Reaching members: saved segments (filters over members) and staff announcements sent to one."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.base import UTCDateTime, utcnow
from app.models.users import User

ANNOUNCEMENT_STATUSES = ("draft", "sending", "sent")


class Segment(db.Model):
    """A saved filter over members (app.services.segments validates and runs its spec)."""

    __tablename__ = "segments"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)
    spec: Mapped[dict] = mapped_column(JSON, default=dict)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    created_by: Mapped[User | None] = relationship()


class Announcement(db.Model):
    """A message from staff to a segment, in English and optionally Japanese (Markdown, stored
    rendered beside the source). Sent by the job announcements.send in keyset batches of
    members (`after_user_id` is its cursor); each recipient has one AnnouncementDelivery."""

    __tablename__ = "announcements"

    id: Mapped[int] = mapped_column(primary_key=True)
    title_en: Mapped[str] = mapped_column(String(160))
    title_ja: Mapped[str] = mapped_column(String(160), default="")
    body_en: Mapped[str] = mapped_column(Text)
    body_ja: Mapped[str] = mapped_column(Text, default="")
    body_en_html: Mapped[str] = mapped_column(Text, default="")
    body_ja_html: Mapped[str] = mapped_column(Text, default="")
    body_html_version: Mapped[int] = mapped_column(Integer, default=0)
    #: The segment's spec, copied when the announcement is written (a saved segment changed
    #: later does not change who an announcement goes to).
    segment_spec: Mapped[dict] = mapped_column(JSON, default=dict)
    segment_id: Mapped[int | None] = mapped_column(ForeignKey("segments.id", ondelete="SET NULL"))
    status: Mapped[str] = mapped_column(String(16), default="draft")
    #: Members who would receive it when it was written (and again when sending started).
    recipients_count: Mapped[int] = mapped_column(Integer, default=0)
    #: Notifications created so far, and mails queued with them.
    delivered_count: Mapped[int] = mapped_column(Integer, default=0)
    mailed_count: Mapped[int] = mapped_column(Integer, default=0)
    after_user_id: Mapped[int] = mapped_column(Integer, default=0)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    sent_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sending_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])
    sent_by: Mapped[User | None] = relationship(foreign_keys=[sent_by_id])
    segment: Mapped[Segment | None] = relationship()

    __table_args__ = (
        CheckConstraint("status IN ('draft', 'sending', 'sent')", name="status_valid"),
        Index("ix_announcements_status", "status"),
    )

    def title_for(self, locale: str) -> str:
        return self.title_ja if locale == "ja" and self.title_ja else self.title_en

    def body_html_for(self, locale: str) -> str:
        return self.body_ja_html if locale == "ja" and self.body_ja else self.body_en_html

    def body_for(self, locale: str) -> str:
        return self.body_ja if locale == "ja" and self.body_ja else self.body_en


class AnnouncementDelivery(db.Model):
    """One recipient of one announcement: the primary key makes sure each member is told once,
    however often the sending job runs."""

    __tablename__ = "announcement_deliveries"

    announcement_id: Mapped[int] = mapped_column(
        ForeignKey("announcements.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"),
                                         primary_key=True, index=True)
    mailed: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
