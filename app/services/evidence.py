"""The supporters' evidence (would-buy, prices, reasons) aggregated once per change.

kept(idea) returns the aggregate from `support_evidence` in one query when it was computed for
the idea's current version, and otherwise computes it over the idea's supports (a few grouped
queries) and keeps it. The version is `idea_counters.changes` (+1 on every support,
withdrawal and merge), or, for an idea without a counter row, derived from its support count.
Reviewers look at qualified ideas, whose supports no longer change: for them the aggregate is
computed once and read in one query after that (the scoring page, the API answers summary).
"""
from __future__ import annotations

from fractions import Fraction
from typing import Any

from sqlalchemy import and_, func, literal, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from app.extensions import db
from app.models import Idea, IdeaCounter, Support, SupportEvidence
from app.models.base import utcnow
from app.models.ideas import WOULD_BUY

#: The latest reasons kept (the scoring page shows them all, the API the first 50).
REASONS_KEPT = 100


def compute(idea_id: int) -> dict[str, Any]:
    """The aggregate over the idea's supports: would-buy counts, per currency the count, min,
    max, median (mean of the middle two, rounded half-even) and lower median, the number of
    reasons and the latest REASONS_KEPT (reason, would_buy)."""
    would_buy = dict.fromkeys(WOULD_BUY, 0)
    for answer, count in db.session.execute(
            select(Support.would_buy, func.count()).where(Support.idea_id == idea_id,
                                                          Support.would_buy.is_not(None))
            .group_by(Support.would_buy)):
        if answer in would_buy:
            would_buy[answer] = count
    priced = (Support.idea_id == idea_id, Support.price_minor.is_not(None),
              Support.price_currency.is_not(None))
    prices = []
    for currency, count, low, high in db.session.execute(
            select(Support.price_currency, func.count(), func.min(Support.price_minor),
                   func.max(Support.price_minor)).where(*priced)
            .group_by(Support.price_currency)
            .order_by(func.count().desc(), Support.price_currency)):
        middle = list(db.session.scalars(
            select(Support.price_minor).where(*priced, Support.price_currency == currency)
            .order_by(Support.price_minor).offset((count - 1) // 2).limit(2 - count % 2)))
        prices.append({"currency": currency, "count": count, "min": low, "max": high,
                       "median": round(Fraction(sum(middle), len(middle))),
                       "median_low": middle[0]})
    has_reason = and_(Support.idea_id == idea_id, Support.reason.is_not(None),
                      Support.reason != "")
    reason_count = db.session.scalar(select(func.count()).select_from(Support).where(has_reason))
    reasons = [[reason, answer] for reason, answer in db.session.execute(
        select(Support.reason, Support.would_buy).where(has_reason)
        .order_by(Support.created_at.desc(), Support.id.desc()).limit(REASONS_KEPT))]
    return {"would_buy": would_buy, "prices": prices, "reason_count": reason_count or 0,
            "reasons": reasons}


def kept(idea: Idea) -> dict[str, Any]:
    """The aggregate for the idea's current supports: one query when kept, else computed and
    kept (once per change)."""
    one = select(literal(1).label("one")).subquery()
    row = db.session.execute(
        select(SupportEvidence.summary, SupportEvidence.changes, IdeaCounter.changes)
        .select_from(one)
        .outerjoin(SupportEvidence, SupportEvidence.idea_id == idea.id)
        .outerjoin(IdeaCounter, IdeaCounter.idea_id == idea.id)).one()
    summary, kept_version, changes = row
    version = changes if changes is not None else -1 - idea.support_count
    if summary is not None and kept_version == version:
        return summary
    summary = compute(idea.id)
    insert = (pg_insert if db.session.get_bind().dialect.name == "postgresql"
              else sqlite_insert)(SupportEvidence)
    stmt = insert.values(idea_id=idea.id, changes=version, summary=summary,
                         computed_at=utcnow())
    # Kept on a connection of its own, committed at once: a page view (a GET, which never
    # commits its session) still keeps it for the next one.
    with db.engine.begin() as connection:
        connection.execute(stmt.on_conflict_do_update(
            index_elements=[SupportEvidence.idea_id],
            set_={"changes": version, "summary": summary, "computed_at": utcnow()}))
    return summary
