"""Products made from approved ideas, with their frozen royalty terms."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.base import UTCDateTime, utcnow


class Product(db.Model):
    __tablename__ = "products"

    id: Mapped[int] = mapped_column(primary_key=True)
    idea_id: Mapped[int] = mapped_column(ForeignKey("ideas.id"), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    royalty_rate_bps: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    splits: Mapped[list[ProductSplit]] = relationship(order_by="ProductSplit.id",
                                                      cascade="all, delete-orphan")

    __table_args__ = (
        CheckConstraint("royalty_rate_bps >= 0 AND royalty_rate_bps <= 10000",
                        name="royalty_rate_range"),
    )


class ProductSplit(db.Model):
    __tablename__ = "product_splits"

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id", ondelete="CASCADE"),
                                            index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    share_bps: Mapped[int] = mapped_column(Integer)
    consent_id: Mapped[int | None] = mapped_column(ForeignKey("consents.id"))

    __table_args__ = (UniqueConstraint("product_id", "user_id"),)
