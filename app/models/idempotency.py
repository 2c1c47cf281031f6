"""Idempotency keys: the first answer to an API request that created something, kept so that a
retry with the same `Idempotency-Key` gets that answer again (app.idempotency)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db
from app.models.base import UTCDateTime, utcnow

#: The longest key a client may send (Stripe's limit; a UUID is 36).
KEY_MAX_LENGTH = 255


class IdempotencyKey(db.Model):
    __tablename__ = "idempotency_keys"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(KEY_MAX_LENGTH))
    method: Mapped[str] = mapped_column(String(10))
    path: Mapped[str] = mapped_column(String(500))
    #: SHA-256 of the method, path and (canonical JSON) body: the same key with another request
    #: is refused rather than answered with the first one's result.
    request_hash: Mapped[str] = mapped_column(String(64))
    #: NULL while the first request runs (never committed so: the answer is stored in the same
    #: commit as what the request created).
    status_code: Mapped[int | None] = mapped_column(Integer)
    response_body: Mapped[str | None] = mapped_column(Text)
    #: The answer's Content-Type and Location, replayed with it.
    response_headers: Mapped[dict | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)

    __table_args__ = (UniqueConstraint("user_id", "key"),)
