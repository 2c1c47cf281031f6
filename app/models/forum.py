"""The forum: an always-on discussion area per category (threads and their replies), with the
same reports and moderation as comments."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from app import markdown
from app.extensions import db
from app.models.base import UTCDateTime, utcnow
from app.models.ideas import Category
from app.models.users import User


class ForumThread(db.Model):
    __tablename__ = "forum_threads"

    id: Mapped[int] = mapped_column(primary_key=True)
    category_id: Mapped[int] = mapped_column(ForeignKey("categories.id"))
    # Contributions others read stay when an account goes (SET NULL: shown as a former member).
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    title: Mapped[str] = mapped_column(String(120))
    body: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str] = mapped_column(Text, default="", server_default="")
    body_html_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    hidden: Mapped[bool] = mapped_column(Boolean, default=False)  # by reports or a moderator
    report_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    #: Visible replies, kept (+1 per reply).
    reply_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    last_activity_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    author: Mapped[User | None] = relationship()
    category: Mapped[Category] = relationship()

    __table_args__ = (
        # A category's threads, the latest activity first (keyset pages walk this index).
        Index("ix_forum_threads_category_activity", "category_id", "last_activity_at", "id"),
        Index("ix_forum_threads_author", "author_id"),
    )

    @validates("body")
    def _render_body(self, _key: str, value: str | None) -> str | None:
        self.body_html, self.body_html_version = markdown.render_stored(value)
        return value


class ForumReply(db.Model):
    __tablename__ = "forum_replies"

    id: Mapped[int] = mapped_column(primary_key=True)
    thread_id: Mapped[int] = mapped_column(ForeignKey("forum_threads.id", ondelete="CASCADE"))
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    body: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str] = mapped_column(Text, default="", server_default="")
    body_html_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    hidden: Mapped[bool] = mapped_column(Boolean, default=False)
    report_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    author: Mapped[User | None] = relationship()

    __table_args__ = (Index("ix_forum_replies_thread", "thread_id", "id"),
                      Index("ix_forum_replies_author", "author_id"))

    @validates("body")
    def _render_body(self, _key: str, value: str | None) -> str | None:
        self.body_html, self.body_html_version = markdown.render_stored(value)
        return value


class ForumReport(db.Model):
    """A member's report of a thread or a reply (once each), weighed as comment reports are."""

    __tablename__ = "forum_reports"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(8))  # thread | reply
    target_id: Mapped[int] = mapped_column(Integer)
    reporter_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    reason: Mapped[str] = mapped_column(String(500), default="")
    weight_pct: Mapped[int] = mapped_column(Integer, default=100)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolution: Mapped[str | None] = mapped_column(String(16))  # restored | removed

    __table_args__ = (UniqueConstraint("kind", "target_id", "reporter_id"),
                      # the moderation link's count (app.services.moderation): open reports
                      Index("ix_forum_reports_open", "kind", "target_id",
                            postgresql_where=text("resolved_at IS NULL"),
                            sqlite_where=text("resolved_at IS NULL")))
