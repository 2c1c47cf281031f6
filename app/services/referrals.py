"""Personal share links and what they bring: `?ref=<code>` on an idea's address, where the code
is the sharer's `users.ref_code` (random, stable, not their id).

A visit through a valid link (a sharer who exists and is not blocked, an idea anyone may see,
a visitor who is not the sharer) is recorded once per visitor session and idea; a sign-up or a
support that follows in that session is attributed to the sharer. Every event is a row of
`referral_events` (kind visit | signup | support) and bumps the sharer's kept numbers in
`member_counters` (share visits, referred sign-ups and supports, and people brought: each
person counted once per sharer). The web layer keeps the session part (app.sharing); these
functions know nothing of the request.

Read by the dashboard ("People you brought"), the API (`GET /api/v1/me/referrals`), the insight
evidence ("sources") and the KPI work (`reach(start, end)`).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, exists, func, select

from app import lifecycle
from app.extensions import db
from app.models import Idea, ReferralEvent, User
from app.permissions import idea_visibility
from app.services import people, support_days

CODE_PATTERN = re.compile(r"^[A-Za-z0-9_-]{6,16}$")
RECENT_LIMIT = 20


@dataclass(frozen=True)
class Brought:
    """One thing a sharer's link brought (for the dashboard): who, what, on which idea."""

    kind: str
    user_id: int | None
    display_name: str | None
    idea_id: int | None
    idea_title: str | None
    created_at: datetime


def code_of(user: User | None) -> str | None:
    """The member's share code (None for visitors)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    return user.ref_code


def sharer_for(code: object) -> User | None:
    """The member whose code this is, if they may still bring people (not blocked)."""
    if not isinstance(code, str) or not CODE_PATTERN.match(code):
        return None
    sharer = db.session.scalar(select(User).where(User.ref_code == code))
    if sharer is None or sharer.is_blocked or sharer.deleted_at is not None:
        return None
    return sharer


def record_visit(code: object, idea: Idea, visitor: User | None) -> int | None:
    """A visit of the idea through a share link; the sharer's id when it counts (a valid code,
    a public idea, not the sharer themself), else None and nothing is recorded. The caller
    calls this once per visitor session and idea."""
    if idea.status not in lifecycle.PUBLIC or idea.hidden:
        return None
    sharer = sharer_for(code)
    if sharer is None or (visitor is not None and getattr(visitor, "id", None) == sharer.id):
        return None
    db.session.add(ReferralEvent(sharer_id=sharer.id, kind="visit", idea_id=idea.id,
                                 user_id=getattr(visitor, "id", None)))
    people.bump(sharer.id, share_visit_count=1)
    return sharer.id


def _brought_before(sharer_id: int, user_id: int) -> bool:
    return bool(db.session.scalar(select(exists().where(
        ReferralEvent.sharer_id == sharer_id, ReferralEvent.user_id == user_id,
        ReferralEvent.kind.in_(("signup", "support"))))))


def _attribute(sharer_id: int | None, user: User, kind: str, idea_id: int | None) -> bool:
    if not isinstance(sharer_id, int) or sharer_id == user.id:
        return False
    sharer = db.session.get(User, sharer_id)
    if sharer is None or sharer.is_blocked or sharer.deleted_at is not None:
        return False
    first = not _brought_before(sharer_id, user.id)
    db.session.add(ReferralEvent(sharer_id=sharer_id, kind=kind, user_id=user.id,
                                 idea_id=idea_id))
    counter = "referred_signup_count" if kind == "signup" else "referred_support_count"
    people.bump(sharer_id, **{counter: 1, "brought_count": 1 if first else 0})
    if kind == "support" and idea_id is not None:
        support_days.added(idea_id, referred=True)  # the creators' "where they came from"
    return True


def record_signup(sharer_id: int | None, user: User, idea_id: int | None = None) -> bool:
    """The member signed up in a session that came through the sharer's link."""
    return _attribute(sharer_id, user, "signup", idea_id)


def record_support(sharer_id: int | None, user: User, idea_id: int) -> bool:
    """The member supported the idea in a session that came through the sharer's link (one
    support of one idea is attributed once, even if withdrawn and given again). No query
    without a sharer: the support path costs what it did."""
    if not isinstance(sharer_id, int) or sharer_id == user.id:
        return False
    if db.session.scalar(select(exists().where(
            ReferralEvent.sharer_id == sharer_id, ReferralEvent.user_id == user.id,
            ReferralEvent.kind == "support", ReferralEvent.idea_id == idea_id))):
        return False
    return _attribute(sharer_id, user, "support", idea_id)


def credit_signup(code: object, user: User) -> bool:
    """A sign-up that carried a share code itself (the API's `ref`, from a `?ref=` link the
    client opened): attributed to the code's sharer by the rules of record_signup. An unknown
    code or a blocked sharer credits nobody, and costs one query."""
    sharer = sharer_for(code)
    return record_signup(sharer.id if sharer else None, user)


def credit_support(code: object, user: User, idea_id: int) -> bool:
    """A support that carried a share code itself (the API's `ref`): attributed to the code's
    sharer by the rules of record_support (once per support of one idea, never one's own code).
    No query without a code."""
    if code is None:
        return False
    sharer = sharer_for(code)
    return record_support(sharer.id if sharer else None, user, idea_id)


def brought_count(user: User) -> int:
    """How many people the member brought (signed up or supported through their links), each
    once: a kept counter, one primary key read."""
    return people.numbers(user).brought


def recent(user: User, limit: int = RECENT_LIMIT) -> list[Brought]:
    """The latest sign-ups and supports the member's links brought, newest first, in one query
    (a blocked person shows without a name, an idea the member may no longer see without its
    title)."""
    rows = db.session.execute(
        select(ReferralEvent.kind, ReferralEvent.user_id, User.display_name, ReferralEvent.idea_id,
               Idea.title, ReferralEvent.created_at)
        .outerjoin(User, and_(User.id == ReferralEvent.user_id, User.blocked_at.is_(None),
                              User.deleted_at.is_(None)))
        .outerjoin(Idea, and_(Idea.id == ReferralEvent.idea_id, idea_visibility(user)))
        .where(ReferralEvent.sharer_id == user.id, ReferralEvent.kind.in_(("signup", "support")))
        .order_by(ReferralEvent.id.desc()).limit(limit)).all()
    return [Brought(kind=row.kind, user_id=row.user_id if row.display_name else None,
                    display_name=row.display_name, idea_id=row.idea_id if row.title else None,
                    idea_title=row.title, created_at=row.created_at) for row in rows]


def reach(start: datetime, end: datetime) -> dict[str, int]:
    """Share visits, referred sign-ups and referred supports in [start, end) (the KPI "reach"
    figures), in one grouped query over the created_at index."""
    counts = dict(db.session.execute(
        select(ReferralEvent.kind, func.count())
        .where(ReferralEvent.created_at >= start, ReferralEvent.created_at < end)
        .group_by(ReferralEvent.kind)).all())
    return {"share_visits": counts.get("visit", 0), "referred_signups": counts.get("signup", 0),
            "referred_supports": counts.get("support", 0)}
