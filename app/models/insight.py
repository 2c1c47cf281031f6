"""Issue 14 beyond the guided insight: revisions of a published idea, the supporters'
resonance (kept counts and grouped situations) and the creators' polls."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.base import UTCDateTime, utcnow
from app.models.users import User

RESONANCES = ("me_too", "someone_i_know", "not_me")
REVISION_STATES = ("published", "reverted")


class IdeaRevision(db.Model):
    """One refinement of a published idea by its creators: what changed (each field's text
    before and after), the creator's note, and whether a moderator reverted it."""

    __tablename__ = "idea_revisions"

    id: Mapped[int] = mapped_column(primary_key=True)
    idea_id: Mapped[int] = mapped_column(ForeignKey("ideas.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # [{"field": "description" | an insight part, "before": text, "after": text}]
    changes: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    note: Mapped[str] = mapped_column(Text, default="", server_default="")
    state: Mapped[str] = mapped_column(String(16), default="published", server_default="published")
    reverted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    reverted_reason: Mapped[str | None] = mapped_column(Text)
    reverted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)  # KPIs

    author: Mapped[User | None] = relationship(foreign_keys=[author_id])

    __table_args__ = (
        UniqueConstraint("idea_id", "number"),
        CheckConstraint("state IN ('published', 'reverted')", name="revision_state_known"),
    )

    @property
    def is_reverted(self) -> bool:
        return self.state == "reverted"

    @property
    def fields(self) -> list[str]:
        return [change["field"] for change in self.changes]

    def change(self, field: str) -> dict[str, Any] | None:
        return next((c for c in self.changes if c["field"] == field), None)


class IdeaResonance(db.Model):
    """The supporters' answers to "does the core fit your life?", kept as counts (changed with
    each support and withdrawal, never counted per view), and the situations they described
    grouped by similarity (computed by the job insight.group_situations)."""

    __tablename__ = "idea_resonance"

    idea_id: Mapped[int] = mapped_column(ForeignKey("ideas.id", ondelete="CASCADE"),
                                         primary_key=True)
    me_too: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    someone_i_know: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    not_me: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    situations: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # [{"label": str, "size": int, "examples": [str]}], for `grouped_situations` situations
    groups: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON)
    grouped_situations: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    grouped_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    @property
    def counts(self) -> dict[str, int]:
        return {answer: getattr(self, answer) or 0 for answer in RESONANCES}


class IdeaPoll(db.Model):
    """A question a creator pins to their idea (at most 3), with 2-6 options."""

    __tablename__ = "idea_polls"

    id: Mapped[int] = mapped_column(primary_key=True)
    idea_id: Mapped[int] = mapped_column(ForeignKey("ideas.id", ondelete="CASCADE"), index=True)
    question: Mapped[str] = mapped_column(String(200))
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    answer_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    options: Mapped[list[PollOption]] = relationship(
        back_populates="poll", order_by="PollOption.position", cascade="all, delete-orphan")


class PollOption(db.Model):
    __tablename__ = "poll_options"

    id: Mapped[int] = mapped_column(primary_key=True)
    poll_id: Mapped[int] = mapped_column(ForeignKey("idea_polls.id", ondelete="CASCADE"),
                                         index=True)
    position: Mapped[int] = mapped_column(Integer)
    label: Mapped[str] = mapped_column(String(80))
    answer_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    poll: Mapped[IdeaPoll] = relationship(back_populates="options")

    __table_args__ = (CheckConstraint("answer_count >= 0", name="poll_option_count_non_negative"),)


class PollAnswer(db.Model):
    """One member's answer to one poll (once: the unique key decides, even in a race)."""

    __tablename__ = "poll_answers"

    id: Mapped[int] = mapped_column(primary_key=True)
    poll_id: Mapped[int] = mapped_column(ForeignKey("idea_polls.id", ondelete="CASCADE"))
    option_id: Mapped[int] = mapped_column(ForeignKey("poll_options.id", ondelete="CASCADE"),
                                           index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (UniqueConstraint("poll_id", "user_id"),)


