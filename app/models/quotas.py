"""Kept counts behind the members' quotas (app.services.quotas)."""
from __future__ import annotations

from datetime import date

from sqlalchemy import CheckConstraint, Date, ForeignKey, Integer
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db


class UploadCount(db.Model):
    """How many pictures a member uploaded on one UTC day: one row per member and day."""

    __tablename__ = "upload_counts"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"),
                                         primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    count: Mapped[int] = mapped_column(Integer, default=0)

    __table_args__ = (CheckConstraint("count >= 0", name="count_non_negative"),)
