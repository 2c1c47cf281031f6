"""Review batches, assignments and scores on the 4-axis evaluation matrix (issue 3)."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (CheckConstraint, Date, ForeignKey, Index, Integer, String, Text,
                        UniqueConstraint, text)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app import lifecycle
from app.extensions import db
from app.models.base import UTCDateTime, utcnow
from app.models.ideas import Idea
from app.models.users import User

__all__ = ["Review", "ReviewAssignment", "ReviewBatch", "ReviewItem", "ReviewNote"]

# The matrix of PRODUCT.md, in its order. Each axis is scored 1 (low) to 3 (high).
AXES = ("customer_value", "uniqueness", "feasibility", "marketability")
BATCH_STATUSES = ("open", "closed", "published")
DECISIONS = lifecycle.REVIEW_DECISIONS  # a decision becomes the idea's status


class ReviewBatch(db.Model):
    """A review period with a deadline. At most one batch is open at a time (a partial unique
    index says so to the database, so two admins opening batches at once cannot both win)."""

    __tablename__ = "review_batches"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    closes_on: Mapped[date] = mapped_column(Date)  # the intake closes (no new ideas join)
    # When scoring and decisions are planned to end (None: batches opened before there was one).
    scoring_ends_on: Mapped[date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16), default="open")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    published_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])
    items: Mapped[list[ReviewItem]] = relationship(back_populates="batch", order_by="ReviewItem.id")

    __table_args__ = (
        CheckConstraint("status IN ('open', 'closed', 'published')", name="status_valid"),
        Index("uq_review_batches_one_open", "status", unique=True,
              sqlite_where=text("status = 'open'"), postgresql_where=text("status = 'open'")),
    )

    @property
    def is_published(self) -> bool:
        return self.status == "published"


class ReviewItem(db.Model):
    """One idea in one batch, and the admin's decision on it (private until the batch is
    published). An idea put on hold appears again, as a new item, in the next batch."""

    __tablename__ = "review_items"

    id: Mapped[int] = mapped_column(primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("review_batches.id", ondelete="CASCADE"),
                                          index=True)
    idea_id: Mapped[int] = mapped_column(ForeignKey("ideas.id", ondelete="CASCADE"), index=True)
    decision: Mapped[str | None] = mapped_column(String(16))
    decision_message: Mapped[str | None] = mapped_column(Text)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    batch: Mapped[ReviewBatch] = relationship(back_populates="items")
    idea: Mapped[Idea] = relationship()
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id])
    assignments: Mapped[list[ReviewAssignment]] = relationship(
        back_populates="item", order_by="ReviewAssignment.id", cascade="all, delete-orphan")
    reviews: Mapped[list[Review]] = relationship(
        back_populates="item", order_by="Review.id", cascade="all, delete-orphan")

    __table_args__ = (
        UniqueConstraint("batch_id", "idea_id"),
        CheckConstraint("decision IS NULL OR decision IN ('approved', 'not_approved', 'on_hold')",
                        name="decision_valid"),
    )


class ReviewNote(db.Model):
    """A reviewer's or admin's note on one idea of a batch, for calibration ("discuss"): read by
    the item's reviewers who have scored it and by admins (app.permissions REVIEW_NOTES)."""

    __tablename__ = "review_notes"

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("review_items.id", ondelete="CASCADE"))
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    author: Mapped[User] = relationship()

    __table_args__ = (Index("ix_review_notes_item_created", "item_id", "created_at"),)


class ReviewAssignment(db.Model):
    """A reviewer asked (by an admin) or volunteering (by taking it) to score an item."""

    __tablename__ = "review_assignments"

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("review_items.id", ondelete="CASCADE"),
                                         index=True)
    reviewer_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    assigned_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    item: Mapped[ReviewItem] = relationship(back_populates="assignments")
    reviewer: Mapped[User] = relationship(foreign_keys=[reviewer_id])

    __table_args__ = (UniqueConstraint("item_id", "reviewer_id"),)


class Review(db.Model):
    """One reviewer's scores on the four axes, each with its written rationale."""

    __tablename__ = "reviews"

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("review_items.id", ondelete="CASCADE"),
                                         index=True)
    reviewer_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    customer_value: Mapped[int] = mapped_column(Integer)
    uniqueness: Mapped[int] = mapped_column(Integer)
    feasibility: Mapped[int] = mapped_column(Integer)
    marketability: Mapped[int] = mapped_column(Integer)
    customer_value_rationale: Mapped[str] = mapped_column(Text)
    uniqueness_rationale: Mapped[str] = mapped_column(Text)
    feasibility_rationale: Mapped[str] = mapped_column(Text)
    marketability_rationale: Mapped[str] = mapped_column(Text)
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The idea's revision the reviewer saw when they scored (None: the idea as published).
    revision_id: Mapped[int | None] = mapped_column(
        ForeignKey("idea_revisions.id", ondelete="SET NULL"))

    item: Mapped[ReviewItem] = relationship(back_populates="reviews")
    reviewer: Mapped[User] = relationship()

    __table_args__ = (
        UniqueConstraint("item_id", "reviewer_id"),
        CheckConstraint("customer_value BETWEEN 1 AND 3", name="customer_value_range"),
        CheckConstraint("uniqueness BETWEEN 1 AND 3", name="uniqueness_range"),
        CheckConstraint("feasibility BETWEEN 1 AND 3", name="feasibility_range"),
        CheckConstraint("marketability BETWEEN 1 AND 3", name="marketability_range"),
    )

    def score(self, axis: str) -> int:
        return getattr(self, axis)

    def rationale(self, axis: str) -> str:
        return getattr(self, f"{axis}_rationale")

    @property
    def scores(self) -> dict[str, int]:
        return {axis: getattr(self, axis) for axis in AXES}

    @property
    def rationales(self) -> dict[str, str]:
        return {axis: getattr(self, f"{axis}_rationale") for axis in AXES}
