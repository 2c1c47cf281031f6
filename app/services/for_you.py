"""The "For you" shelf, precomputed per member: the home page reads it, never the supports.

The job `discovery.refresh_for_you` computes a member's shelf with
discovery.compute_for_you() (like-minded members' supports, then the member's categories and
tags, then fresh ideas) and keeps STORED ideas with their reasons in `recommendations`:

- for one member (`user_id`): when a member who has supported something opens the home page
  and has no shelf yet (queued then; they see trending ideas meanwhile);
- scheduled (every FOR_YOU_REFRESH_MINUTES): for the members who supported something since the
  last run (supports after a watermark kept in site_stats), at most FOR_YOU_REFRESH_BATCH
  members a run, oldest supports first.

At request time the shelf costs a fixed number of queries: the stored rows, which of them are
still recommendable (listed, gathering, not the member's own nor supported since: a lookup
of at most STORED ids), and the cards. A shelf is therefore at most one scheduled run behind
the member's latest supports, and never shows an idea they may not be recommended.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import current_app
from sqlalchemy import delete, func, insert, select

from app import jobs
from app.extensions import db
from app.models import Idea, Recommendation, SiteStat, Support, User
from app.models.base import utcnow
from app.queries import listed_condition
from app.services import consents, discovery

#: Ideas kept per member: more than a shelf shows, so ideas supported or closed since still
#: leave a full shelf.
STORED = 16
WATERMARK = "for_you_support_id"


def _signed_in(user: Any) -> bool:
    return user is not None and getattr(user, "is_authenticated", False)


def _stored(user_id: int) -> list[Recommendation]:
    return list(db.session.scalars(select(Recommendation).where(Recommendation.user_id == user_id)
                                   .order_by(Recommendation.position)))


def shelf(user: Any, limit: int = 8,
          now: datetime | None = None) -> list[tuple[Any, discovery.Reason]]:
    """Up to `limit` (idea, reason) pairs for the member from the kept shelf; trending ideas
    for visitors, new members and until the member's shelf is computed."""
    if not _signed_in(user):
        return discovery.trending_for(None, limit, now)
    if not consents.personalisation_allowed(user):  # they said no: trending, nothing of theirs
        return discovery.trending_for(user, limit, now)
    rows = _stored(user.id)
    if not rows:
        if not discovery.has_supported(user):
            return discovery.trending_for(user, limit, now)
        # Compute it in the background (in the tests' synchronous mode: now) and look again.
        jobs.dispatch(current_app._get_current_object(), "discovery.refresh_for_you",
                      {"user_id": user.id})
        rows = _stored(user.id)
        if not rows:
            return discovery.trending_for(user, limit, now)
    ids = discovery.eligible_ids(user, [row.idea_id for row in rows], now)[:limit]
    cards = discovery.load_cards(ids)
    kept = {row.idea_id: row for row in rows}
    named = _still_nameable(user, {kept[i].reason_subject for i in ids
                                   if kept[i].reason_kind == "supported"})
    # A reason naming an idea hidden (or no longer supported) since is not shown, nor its idea.
    return [(cards[idea_id], discovery.Reason(kept[idea_id].reason_kind,
                                              kept[idea_id].reason_subject))
            for idea_id in ids if idea_id in cards
            and (kept[idea_id].reason_kind != "supported" or kept[idea_id].reason_subject in named)]


def _still_nameable(user: Any, titles: set[str]) -> set[str]:
    """Of the titles a "Because you supported ..." reason names, those of ideas the member
    supports that are still listed (a hidden idea is never named); one query, only if any."""
    if not titles:
        return set()
    return set(db.session.scalars(
        select(Idea.title).join(Support, Support.idea_id == Idea.id)
        .where(Support.user_id == user.id, Idea.title.in_(sorted(titles)), listed_condition())))


def refresh_member(user_id: int, now: datetime | None = None) -> int:
    """Compute and keep the member's shelf (replacing the old one); returns how many ideas."""
    user = db.session.get(User, user_id)
    if user is None:
        return 0
    if not consents.personalisation_allowed(user):
        db.session.execute(delete(Recommendation).where(Recommendation.user_id == user_id))
        return 0
    picks = discovery.compute_for_you(user, limit=STORED, now=now)
    db.session.execute(delete(Recommendation).where(Recommendation.user_id == user_id))
    computed = utcnow()
    if picks:
        db.session.execute(insert(Recommendation), [
            {"user_id": user_id, "position": position, "idea_id": idea.id,
             "reason_kind": reason.kind, "reason_subject": (reason.subject or "")[:200],
             "computed_at": computed}
            for position, (idea, reason) in enumerate(picks)])
    return len(picks)


def _watermark() -> int:
    return db.session.scalar(select(SiteStat.value).where(SiteStat.key == WATERMARK)) or 0


def _set_watermark(value: int) -> None:
    row = db.session.get(SiteStat, WATERMARK)
    if row is None:
        db.session.add(SiteStat(key=WATERMARK, value=value, updated_at=utcnow()))
    else:
        row.value, row.updated_at = value, utcnow()


def refresh_recent_supporters(batch: int | None = None) -> int:
    """Recompute the shelves of the members who supported something since the last run (at
    most `batch` members, oldest supports first); returns how many members."""
    batch = batch or current_app.config.get("FOR_YOU_REFRESH_BATCH", 500)
    after = _watermark()
    if not after:  # the first run starts from now (earlier members: on their next visit)
        _set_watermark(db.session.scalar(select(func.max(Support.id))) or 0)
        db.session.commit()
        return 0
    # Members who switched personalisation off are not computed (their shelf is trending).
    recent = (select(Support.user_id, func.min(Support.id).label("first"),
                     func.max(Support.id).label("last"))
              .join(User, User.id == Support.user_id)
              .where(Support.id > after, consents.personalisation_condition())
              .group_by(Support.user_id).subquery())
    members = db.session.execute(select(recent.c.user_id, recent.c.last)
                                 .order_by(recent.c.first).limit(batch)).all()
    db.session.rollback()
    for user_id, _last in members:
        refresh_member(user_id)
        db.session.commit()
    if members:
        # Members beyond the batch keep their place: the next run starts after the last support
        # seen of the members done, and before the first support of those not done yet.
        done_up_to = max(last for _user, last in members)
        if len(members) == batch:
            pending_first = db.session.scalar(
                select(func.min(recent.c.first)).where(
                    recent.c.user_id.not_in([user_id for user_id, _ in members])))
            if pending_first is not None:
                done_up_to = min(done_up_to, pending_first - 1)
        _set_watermark(done_up_to)
        db.session.commit()
    return len(members)


@jobs.job("discovery.refresh_for_you")
def refresh_job(user_id: int | None = None) -> int:
    """One member's shelf (`user_id`), or the recent supporters' (scheduled)."""
    if user_id is not None:
        count = refresh_member(user_id)
        db.session.commit()
        return count
    return refresh_recent_supporters()
