"""Factories for the ledger tests: products with a frozen split, sales and payouts."""
from __future__ import annotations

import itertools

from sqlalchemy import text

from app.extensions import db
from app.models import Product, ProductSplit, User
from app.services import ledger
from tests import factories

_refs = itertools.count(1)


def product(*creators: User, shares: tuple[int, ...] | None = None, rate_bps: int = 100,
            name: str | None = None) -> Product:
    """An approved idea's product; the first creator owns the idea. Shares default to equal
    parts (the owner keeps the remainder)."""
    creators = creators or (factories.user(),)
    if shares is None:
        each = 10_000 // len(creators)
        shares = (10_000 - each * (len(creators) - 1),) + (each,) * (len(creators) - 1)
    assert sum(shares) == 10_000
    idea = factories.idea(creators[0], status="approved", title=name)
    record = Product(idea_id=idea.id, name=name or idea.title, royalty_rate_bps=rate_bps)
    for person, share in zip(creators, shares):
        record.splits.append(ProductSplit(user_id=person.id, share_bps=share))
    db.session.add(record)
    db.session.commit()
    return record


def ref(prefix: str = "ref") -> str:
    return f"{prefix}-{next(_refs)}"


def sale(finance: User, item: Product, net_minor: int, currency: str = "USD", *,
         period: str = "2026-04", units: int = 1, external_ref: str | None = None):
    result = ledger.record_sale(finance, item.id, period, units, net_minor, currency,
                                external_ref or ref("sale"))
    db.session.commit()
    return result


def payout(finance: User, creator: User, amount_minor: int, currency: str = "USD", *,
           reference: str | None = None):
    result = ledger.record_payout(finance, creator.id, amount_minor, currency,
                                  reference or ref("payout"))
    db.session.commit()
    return result


def tamper(db, backend: str, table: str, statement: str, params: dict | None = None) -> None:
    """Change rows behind the application's back, with the append-only triggers out of the way
    only for this one transaction (PostgreSQL) or re-created at once (SQLite)."""
    if backend == "postgresql":
        db.session.execute(text(f"ALTER TABLE {table} DISABLE TRIGGER USER"))
        db.session.execute(text(statement), params or {})
        db.session.execute(text(f"ALTER TABLE {table} ENABLE TRIGGER USER"))
    else:
        triggers = db.session.execute(text(
            "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = :t"),
            {"t": table}).all()
        assert triggers, "the migration must have created the triggers"
        for name, _sql in triggers:
            db.session.execute(text(f"DROP TRIGGER {name}"))
        db.session.execute(text(statement), params or {})
        for _name, sql in triggers:
            db.session.execute(text(sql))
    db.session.commit()
