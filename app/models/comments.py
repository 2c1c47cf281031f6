"""Discussion: comments with one level of replies, their edit history and reports."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import (Boolean, CheckConstraint, ForeignKey, Index, Integer, String, Text,
                        UniqueConstraint, text)
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from app import markdown
from app.extensions import db
from app.models.base import UTCDateTime, utcnow
from app.models.users import User
from app.origin import current_network_hash


class Comment(db.Model):
    __tablename__ = "comments"

    id: Mapped[int] = mapped_column(primary_key=True)
    idea_id: Mapped[int] = mapped_column(ForeignKey("ideas.id", ondelete="CASCADE"))
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("comments.id"), index=True)
    body: Mapped[str] = mapped_column(Text)
    # The body rendered when it was saved (app.markdown), and the renderer's version.
    body_html: Mapped[str] = mapped_column(Text, default="", server_default="")
    body_html_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    is_official: Mapped[bool] = mapped_column(Boolean, default=False)  # written by staff
    is_update: Mapped[bool] = mapped_column(Boolean, default=False)  # a creator's update post
    hidden: Mapped[bool] = mapped_column(Boolean, default=False)  # by reports or a moderator
    report_count: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    edited_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Deleted by a moderator (its page says so), not by its author.
    removed_by_moderator: Mapped[bool] = mapped_column(Boolean, default=False,
                                                       server_default="false")

    author: Mapped[User] = relationship()
    replies: Mapped[list[Comment]] = relationship(order_by="Comment.id")

    __table_args__ = (Index("ix_comments_idea_created", "idea_id", "created_at"),
                      Index("ix_comments_created_author", "created_at", "author_id"))  # KPIs

    @validates("body")
    def _render_body(self, _key: str, value: str | None) -> str | None:
        self.body_html, self.body_html_version = markdown.render_stored(value)
        return value


class CommentRevision(db.Model):
    """The text a comment had before an edit."""

    __tablename__ = "comment_revisions"

    id: Mapped[int] = mapped_column(primary_key=True)
    comment_id: Mapped[int] = mapped_column(ForeignKey("comments.id", ondelete="CASCADE"),
                                            index=True)
    body: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str] = mapped_column(Text, default="", server_default="")
    body_html_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    @validates("body")
    def _render_body(self, _key: str, value: str | None) -> str | None:
        self.body_html, self.body_html_version = markdown.render_stored(value)
        return value


class Report(db.Model):
    __tablename__ = "reports"

    id: Mapped[int] = mapped_column(primary_key=True)
    comment_id: Mapped[int] = mapped_column(ForeignKey("comments.id", ondelete="CASCADE"),
                                            index=True)
    reporter_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    reason: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolution: Mapped[str | None] = mapped_column(String(16))  # restored | removed
    # How much this report counts toward auto-hiding, in percent (new accounts count less).
    weight_pct: Mapped[int] = mapped_column(Integer, default=100)
    network_hash: Mapped[str | None] = mapped_column(String(32), default=current_network_hash)

    __table_args__ = (UniqueConstraint("comment_id", "reporter_id"),
                      # the moderation link's count (app.services.moderation): open reports
                      Index("ix_reports_open", "comment_id",
                            postgresql_where=text("resolved_at IS NULL"),
                            sqlite_where=text("resolved_at IS NULL")))


class ContentReport(db.Model):
    """A member's report of an idea or of another member (once each), weighed and thresholded
    as comment reports are (app.services.integrity), decided in the same moderation queue."""

    __tablename__ = "content_reports"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(8))  # idea | user
    target_id: Mapped[int] = mapped_column(Integer)
    reporter_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    reason: Mapped[str] = mapped_column(String(500), default="")
    weight_pct: Mapped[int] = mapped_column(Integer, default=100)
    network_hash: Mapped[str | None] = mapped_column(String(32), default=current_network_hash)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolution: Mapped[str | None] = mapped_column(String(16))  # restored | removed

    __table_args__ = (UniqueConstraint("kind", "target_id", "reporter_id"),
                      Index("ix_content_reports_open", "kind", "resolved_at", "target_id"),
                      CheckConstraint("kind IN ('idea', 'user')", name="kind_valid"))
