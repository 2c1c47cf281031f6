"""Community integrity: co-creator invitations by e-mail, and who once supported an idea."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.base import UTCDateTime, utcnow
from app.models.users import User

INVITATION_STATUSES = ("pending", "accepted", "declined", "revoked")


class CreatorInvitation(db.Model):
    """An owner's invitation of an e-mail address to co-create an idea. The address may or may
    not belong to a member (the inviter is never told which); only the token's SHA-256 is kept.
    `notified_at` is when the invitee was last told (one notification and mail per idea and
    address until they answer, and none again within the cool-down)."""

    __tablename__ = "creator_invitations"

    id: Mapped[int] = mapped_column(primary_key=True)
    idea_id: Mapped[int] = mapped_column(ForeignKey("ideas.id", ondelete="CASCADE"))
    email: Mapped[str] = mapped_column(String(254))  # normalised (lower-cased, trimmed)
    share_bps: Mapped[int] = mapped_column(Integer)
    inviter_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    notified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    inviter: Mapped[User] = relationship()

    __table_args__ = (Index("ix_creator_invitations_idea_email", "idea_id", "email"),)


class FormerSupporter(db.Model):
    """A member who supported an idea and withdrew: still a conflict of interest in review."""

    __tablename__ = "former_supporters"

    idea_id: Mapped[int] = mapped_column(ForeignKey("ideas.id", ondelete="CASCADE"),
                                         primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"),
                                         primary_key=True, index=True)
    withdrawn_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
