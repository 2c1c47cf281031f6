"""Sales files between upload and posting: the import, and each checked row of its file.

Unlike the ledger tables these change: an import moves through its statuses and counts the rows
it posted, so a job can post it in batches, show its progress and resume where it stopped. The
rows keep the figures as checked at upload (or the reason a row was refused); what was recorded
is in the ledger, found again by external_ref.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import (JSON, BigInteger, Boolean, CheckConstraint, ForeignKey, Integer, String,
                        Text, UniqueConstraint)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.base import UTCDateTime, utcnow
from app.models.users import User

__all__ = ["SalesImport", "SalesImportRow", "IMPORT_STATUSES"]

#: refused: the file had bad rows (nothing can be posted); ready: checked, waiting for finance;
#: queued: finance asked to post it; posting: a job is posting it; done; failed: the job
#: stopped (its error says why; finance may resume it).
IMPORT_STATUSES = ("refused", "ready", "queued", "posting", "done", "failed")


class SalesImport(db.Model):
    __tablename__ = "sales_imports"

    id: Mapped[int] = mapped_column(primary_key=True)
    token: Mapped[str] = mapped_column(String(64), unique=True)  # the URL's unguessable id
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    filename: Mapped[str] = mapped_column(String(200), default="")
    status: Mapped[str] = mapped_column(String(16), default="ready")
    total_rows: Mapped[int] = mapped_column(Integer, default=0)  # good rows kept for posting
    new_rows: Mapped[int] = mapped_column(Integer, default=0)  # not yet recorded at upload
    problem_rows: Mapped[int] = mapped_column(Integer, default=0)
    done_rows: Mapped[int] = mapped_column(Integer, default=0)  # rows the job got through
    created_count: Mapped[int] = mapped_column(Integer, default=0)
    existing_count: Mapped[int] = mapped_column(Integer, default=0)
    #: {user_id: {currency: amount}} credited so far, for one notification per creator at the end.
    credited: Mapped[dict] = mapped_column(JSON, default=dict)
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()

    __table_args__ = (
        CheckConstraint("status IN ('refused', 'ready', 'queued', 'posting', 'done', 'failed')",
                        name="status_valid"),
    )


class SalesImportRow(db.Model):
    """A line of an uploaded file: its checked figures, or (problem) why it was refused."""

    __tablename__ = "sales_import_rows"

    id: Mapped[int] = mapped_column(primary_key=True)
    import_id: Mapped[int] = mapped_column(ForeignKey("sales_imports.id", ondelete="CASCADE"))
    line: Mapped[int] = mapped_column(Integer)
    product_id: Mapped[int | None] = mapped_column(Integer)
    period: Mapped[str | None] = mapped_column(String(7))
    units: Mapped[int | None] = mapped_column(Integer)
    net_sales_minor: Mapped[int | None] = mapped_column(BigInteger)
    currency: Mapped[str | None] = mapped_column(String(3))
    external_ref: Mapped[str | None] = mapped_column(String(100))
    royalty_minor: Mapped[int | None] = mapped_column(BigInteger)
    already_recorded: Mapped[bool] = mapped_column(Boolean, default=False)
    problem: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (UniqueConstraint("import_id", "line"),)
