"""Products made from approved ideas, with their frozen royalty terms."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (BigInteger, CheckConstraint, Date, ForeignKey, Index, Integer, String,
                        Text, UniqueConstraint)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.base import UTCDateTime, utcnow
from app.models.ideas import Idea
from app.models.users import User

#: What a product's timeline holds: its two steps after approval, and staff's development updates.
POST_KINDS = ("in_production", "on_sale", "update")


class Product(db.Model):
    __tablename__ = "products"

    id: Mapped[int] = mapped_column(primary_key=True)
    idea_id: Mapped[int] = mapped_column(ForeignKey("ideas.id"), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    royalty_rate_bps: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The stage is the idea's status (approved, in_production, on_sale); these say what it means.
    expected_on: Mapped[date | None] = mapped_column(Date)  # while in production
    shop_url: Mapped[str | None] = mapped_column(String(500))  # once on sale
    price_amount: Mapped[int | None] = mapped_column(BigInteger)  # minor units
    price_currency: Mapped[str | None] = mapped_column(String(3))
    stage_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    idea: Mapped[Idea] = relationship()
    splits: Mapped[list[ProductSplit]] = relationship(order_by="ProductSplit.id",
                                                      cascade="all, delete-orphan")

    __table_args__ = (
        CheckConstraint("royalty_rate_bps >= 0 AND royalty_rate_bps <= 10000",
                        name="royalty_rate_range"),
        CheckConstraint("(price_amount IS NULL AND price_currency IS NULL) OR "
                        "(price_amount >= 0 AND price_currency IS NOT NULL)", name="price_valid"),
    )

    @property
    def stage(self) -> str:
        return self.idea.status


class ProductSplit(db.Model):
    __tablename__ = "product_splits"

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id", ondelete="CASCADE"),
                                            index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    share_bps: Mapped[int] = mapped_column(Integer)
    consent_id: Mapped[int | None] = mapped_column(ForeignKey("consents.id"))

    __table_args__ = (UniqueConstraint("product_id", "user_id"),)


class ProductPost(db.Model):
    """One entry of a product's public timeline: a stage step (with the admin's message, the
    expected date or the shop link and price of that moment) or a development update by staff.
    `notified_through` is the fan-out job's cursor (the last user id told), so a job that runs
    twice tells no one twice."""

    __tablename__ = "product_posts"

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id", ondelete="CASCADE"))
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    kind: Mapped[str] = mapped_column(String(16))
    body: Mapped[str] = mapped_column(Text, default="")  # Markdown
    expected_on: Mapped[date | None] = mapped_column(Date)
    shop_url: Mapped[str | None] = mapped_column(String(500))
    price_amount: Mapped[int | None] = mapped_column(BigInteger)
    price_currency: Mapped[str | None] = mapped_column(String(3))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    notified_through: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    notified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    author: Mapped[User | None] = relationship()

    __table_args__ = (
        CheckConstraint("kind IN ('in_production', 'on_sale', 'update')", name="kind_valid"),
        Index("ix_product_posts_product_created", "product_id", "created_at"),
    )
