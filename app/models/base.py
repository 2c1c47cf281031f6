"""Shared column helpers."""
from __future__ import annotations

from datetime import datetime, UTC

from sqlalchemy import DateTime, TypeDecorator

#: The largest row id: ids are 32-bit integer columns (PostgreSQL `integer`). A larger number
#: can name no row, and SQLite's driver refuses integers above 2**63 with an OverflowError.
ID_MAX = 2**31 - 1


def is_row_id(value: object) -> bool:
    """A real integer (not a bool, float or string) that can be a row id: 1..ID_MAX."""
    return isinstance(value, int) and not isinstance(value, bool) and 0 < value <= ID_MAX


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator):
    """A timezone-aware UTC datetime on every database (SQLite keeps no zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is not None:
            if value.tzinfo is None:
                value = value.replace(tzinfo=UTC)
            value = value.astimezone(UTC)
            if dialect.name == "sqlite":
                value = value.replace(tzinfo=None)
        return value

    def process_result_value(self, value, dialect):
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value
