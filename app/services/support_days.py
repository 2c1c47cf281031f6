"""An idea's supports per UTC day, kept: the creators' evidence dashboard (supporters over time,
where they came from) reads one row per day with supports, never the supports themselves.

| change                                 | kept how                                           |
|----------------------------------------|----------------------------------------------------|
| a support (app.services.supports)      | today's `supports` + 1 (one upsert, in the         |
|                                        | support's transaction)                             |
| a support through a share link         | today's `referred` + 1 (app.services.referrals,    |
|                                        | where the referral event is recorded)              |
| a withdrawal, a voided support         | the support's own day: `supports` - 1, `referred`  |
|                                        | - 1 if a share link brought it                     |
| a merge (supporters move), the demo    | rebuilt from the supports (rare: counted there)    |
| seed (supports inserted in bulk)       |                                                    |
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import case, delete, exists, func, insert, select, update

from app.extensions import db
from app.models import IdeaSupportDay, ReferralEvent, Support
from app.models.base import utcnow
from app.upserts import upsert


def _day(when: datetime | None) -> date:
    when = when or utcnow()
    return (when.replace(tzinfo=UTC) if when.tzinfo is None else when).astimezone(UTC).date()


def added(idea_id: int, *, referred: bool = False, when: datetime | None = None) -> None:
    """One support given (referred: one support attributed to a share link) on `when`'s day."""
    name = "referred" if referred else "supports"
    db.session.execute(upsert(IdeaSupportDay, ("idea_id", "day", "supports", "referred"),
                              conflict=("idea_id", "day"),
                              update={name: f"idea_support_days.{name} + 1"}),
                       {"idea_id": idea_id, "day": _day(when), "supports": 0 if referred else 1,
                        "referred": 1 if referred else 0})


def removed(idea_id: int, supports: Iterable[tuple[datetime, int]]) -> None:
    """Supports (created_at, user_id) taken off the idea: each off its own day, and off the
    referred count where a share link brought it (one query to know which)."""
    supports = list(supports)
    if not supports:
        return
    brought = set(db.session.scalars(select(ReferralEvent.user_id).where(
        ReferralEvent.idea_id == idea_id, ReferralEvent.kind == "support",
        ReferralEvent.user_id.in_({user_id for _when, user_id in supports}))))
    days: Counter[date] = Counter()
    referred: Counter[date] = Counter()
    for when, user_id in supports:
        days[_day(when)] += 1
        if user_id in brought:
            referred[_day(when)] += 1
    for day, n in days.items():
        db.session.execute(update(IdeaSupportDay).where(
            IdeaSupportDay.idea_id == idea_id, IdeaSupportDay.day == day).values(
            supports=IdeaSupportDay.supports - n,
            referred=IdeaSupportDay.referred - referred.get(day, 0)))


def day_of(column: Any) -> Any:
    """The UTC calendar day of a timestamp column, in SQL."""
    if db.session.get_bind().dialect.name == "postgresql":
        return func.date(func.timezone("UTC", column))
    return func.date(column)


def rebuild(idea_ids: Iterable[int], *, also_referred_to: Iterable[int] = ()) -> None:
    """Recount the days of these ideas from their supports (a merge, a bulk insert). A support
    counts as referred when a share link brought its supporter to this idea (or to one of
    `also_referred_to`: the ideas merged into it)."""
    ids = list(idea_ids)
    if not ids:
        return
    referred_to = list({*ids, *also_referred_to})
    db.session.execute(delete(IdeaSupportDay).where(IdeaSupportDay.idea_id.in_(ids)))
    day = day_of(Support.created_at)
    brought = exists().where(ReferralEvent.user_id == Support.user_id,
                             ReferralEvent.kind == "support",
                             ReferralEvent.idea_id.in_(referred_to))
    rows = select(Support.idea_id, day, func.count(),
                  func.sum(case((brought, 1), else_=0))).where(Support.idea_id.in_(ids)).group_by(Support.idea_id, day)
    db.session.execute(insert(IdeaSupportDay).from_select(
        ["idea_id", "day", "supports", "referred"], rows))


def series(idea_id: int) -> list[dict[str, Any]]:
    """[{day, count, referred, total}] for the days with standing supports, oldest first (total:
    cumulative). One query, a row per day."""
    total, out = 0, []
    for day, count, referred in db.session.execute(
            select(IdeaSupportDay.day, IdeaSupportDay.supports, IdeaSupportDay.referred)
            .where(IdeaSupportDay.idea_id == idea_id, IdeaSupportDay.supports > 0)
            .order_by(IdeaSupportDay.day)):
        total += count
        out.append({"day": day.isoformat(), "count": count, "referred": referred,
                    "total": total})
    return out
