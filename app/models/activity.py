"""Notifications to members and the staff audit log."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, Integer, PrimaryKeyConstraint, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.base import UTCDateTime, utcnow
from app.models.users import User

#: How a member hears about a category of notifications (app.notification_kinds.CATEGORIES).
DELIVERIES = ("app", "immediately", "daily", "weekly", "off")
#: A category nobody chose for: in the app and by mail at once.
DEFAULT_DELIVERY = "immediately"


class Notification(db.Model):
    """Stored as a kind (app.notification_kinds) and JSON params; rendered for the reader."""

    __tablename__ = "notifications"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(32))
    #: The kind's preference category, kept with the row (digests select by it).
    category: Mapped[str] = mapped_column(String(24), default="status")
    idea_id: Mapped[int | None] = mapped_column(ForeignKey("ideas.id", ondelete="CASCADE"))
    params: Mapped[dict] = mapped_column(JSON, default=dict)
    url: Mapped[str] = mapped_column(String(300), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: When the mail telling of it was actually sent (not queued): set with OutboundMail.sent_at.
    emailed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: The mail (immediate or digest) that tells of it; a notification is in at most one mail.
    mail_id: Mapped[int | None] = mapped_column(
        ForeignKey("outbound_mails.id", ondelete="SET NULL"), index=True)

    __table_args__ = (
        Index("ix_notifications_user_created", "user_id", "created_at"),
        # The header's badge counts a member's unread rows only (app.services.notifications).
        Index("ix_notifications_unread", "user_id", sqlite_where=text("read_at IS NULL"),
              postgresql_where=text("read_at IS NULL")),
    )

    @property
    def message(self) -> str:
        """The sentence in the current locale and time zone (the request's reader, or whoever
        app.i18n.speaking_to names)."""
        from app.notification_kinds import render

        return render(self.kind, self.params)


class NotificationPreference(db.Model):
    """A member's choice for one category; no row = DEFAULT_DELIVERY."""

    __tablename__ = "notification_preferences"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    category: Mapped[str] = mapped_column(String(24))
    delivery: Mapped[str] = mapped_column(String(16))

    __table_args__ = (PrimaryKeyConstraint("user_id", "category"),)


class AuditLog(db.Model):
    """Every staff action: who, what, on which object, when, and the values before and after."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    action: Mapped[str] = mapped_column(String(60), index=True)
    target_type: Mapped[str] = mapped_column(String(40))
    target_id: Mapped[int | None] = mapped_column(Integer)
    before: Mapped[dict | None] = mapped_column(JSON)
    after: Mapped[dict | None] = mapped_column(JSON)
    reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)

    actor: Mapped[User | None] = relationship()
