"""Recognition: contribution points, levelled badges, the monthly leaderboard, thanks, rewards.

Points are kept, never recounted per view: the `recognition.rollup` job (every few minutes)
reads each source past its cursor (supports given, ideas published, comments posted, thanks
received, sessions attended, product test reports sent, people brought by share links) in batches
and adds to `member_stats` (counts, points, decayed score) and
`monthly_points` (per month and category, 0 = all). Each award is a `point_events` row with a
unique source key, so a rollup that runs twice, or two at once, awards nothing twice.

A comment is *helpful* when an idea's creator (or staff) thanked its author for it (one thanks
per thanker and comment). The standing score decays: it halves every RECOGNITION_HALF_LIFE_DAYS.
Members may leave the leaderboard (member_stats.leaderboard_opt_out).

Attendance is set on an invitation that exists already, so its source is the append-only audit
entry `session.attendance` (the members newly marked present); a person brought counts once per
sharer and person (the key is the pair), whether they signed up, supported or both.
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from app import jobs, permissions
from app.errors import Conflict, Forbidden, Invalid, NotFound
from app.extensions import db
from app.i18n import _
from app.models import (AuditLog, Comment, CoSession, Idea, IdeaEvent, ProductTest,
                        ProductTestReport, ReferralEvent, Support, User)
from app.models.base import is_row_id, utcnow
from app.models.recognition import (REWARD_KINDS, MemberStats, MonthlyPoints, PointEvent,
                                    RecognitionCursor, Reward, Thanks)
from app.permissions import Action
from app.queries import visible_comment
from app.services import events

ROLLUP_JOB = "recognition.rollup"
BATCH = 1000
MESSAGE_MAX = 500
DESCRIPTION_MAX = 300
LEADERBOARD_SIZE = 50
#: Points per action (RECOGNITION_POINTS overrides any of them).
POINTS = {"idea_published": 10, "support_given": 1, "comment_posted": 2, "thanked": 3,
          "helpful_comment": 5, "session_attended": 8, "test_completed": 8, "person_brought": 5}
#: Levelled badges: the kept count each reads, and the counts of levels 1, 2, 3.
BADGES = {
    "ideas_posted": (1, 5, 20),
    "supports_given": (1, 25, 100),
    "helpful_comments": (1, 10, 50),
    "sessions_attended": (1, 3, 12),
    "tests_completed": (1, 3, 10),
    "people_brought": (1, 5, 25),
}
BADGE_LABELS = {"ideas_posted": _l("Idea maker"), "supports_given": _l("Supporter"),
                "helpful_comments": _l("Helpful voice"), "sessions_attended": _l("Co-creator"),
                "tests_completed": _l("Tester"), "people_brought": _l("Ambassador")}
COUNTERS = ("ideas_posted", "supports_given", "comments_posted", "helpful_comments",
            "thanks_received", "sessions_attended", "tests_completed", "people_brought")


def points_for(action: str) -> int:
    return int(current_app.config.get("RECOGNITION_POINTS", {}).get(action, POINTS[action]))


def half_life_days() -> float:
    return float(current_app.config.get("RECOGNITION_HALF_LIFE_DAYS", 90))


def decayed(score: float, since: datetime | None, now: datetime) -> float:
    if not score or since is None:
        return score or 0.0
    days = max(0.0, (now - since).total_seconds() / 86400)
    return score * 0.5 ** (days / half_life_days())


# --- the sources the rollup reads ---------------------------------------------------------------

@dataclass(frozen=True)
class Award:
    user_id: int
    action: str
    category_id: int | None
    key: str
    at: datetime
    counter: str | None  # the member_stats count it adds one to


@dataclass(frozen=True)
class Source:
    name: str
    query: Callable[[int, int], Select]  # (after id, limit) -> rows with .id
    awards: Callable[[Any], list[Award]]


def _supports(after: int, limit: int) -> Select:
    return (select(Support.id, Support.user_id, Support.created_at, Idea.category_id)
            .join(Idea, Idea.id == Support.idea_id).where(Support.id > after)
            .order_by(Support.id).limit(limit))


def _published(after: int, limit: int) -> Select:
    return (select(IdeaEvent.id, Idea.owner_id.label("user_id"), IdeaEvent.created_at,
                   Idea.category_id)
            .join(Idea, Idea.id == IdeaEvent.idea_id)
            .where(IdeaEvent.id > after, IdeaEvent.kind == "published")
            .order_by(IdeaEvent.id).limit(limit))


def _comments(after: int, limit: int) -> Select:
    return (select(Comment.id, Comment.author_id.label("user_id"), Comment.created_at,
                   Idea.category_id)
            .join(Idea, Idea.id == Comment.idea_id).where(Comment.id > after)
            .order_by(Comment.id).limit(limit))


def _thanks(after: int, limit: int) -> Select:
    return (select(Thanks.id, Thanks.to_user_id.label("user_id"), Thanks.created_at,
                   Thanks.comment_id, Idea.category_id)
            .outerjoin(Idea, Idea.id == Thanks.idea_id).where(Thanks.id > after)
            .order_by(Thanks.id).limit(limit))


def _thanks_awards(row) -> list[Award]:
    found = [Award(row.user_id, "thanked", row.category_id, f"thanks:{row.id}", row.created_at,
                   "thanks_received")]
    if row.comment_id:
        found.append(Award(row.user_id, "helpful_comment", row.category_id,
                           f"helpful:{row.id}", row.created_at, "helpful_comments"))
    return found


def _attendance(after: int, limit: int) -> Select:
    return (select(AuditLog.id, AuditLog.target_id, AuditLog.after, AuditLog.created_at,
                   Idea.category_id)
            .outerjoin(CoSession, CoSession.id == AuditLog.target_id)
            .outerjoin(Idea, Idea.id == CoSession.idea_id)
            .where(AuditLog.id > after, AuditLog.action == "session.attendance")
            .order_by(AuditLog.id).limit(limit))


def _attendance_awards(row) -> list[Award]:
    user_ids = (row.after or {}).get("user_ids") or []
    return [Award(user_id, "session_attended", row.category_id,
                  f"attended:{row.target_id}:{user_id}", row.created_at, "sessions_attended")
            for user_id in user_ids if isinstance(user_id, int)]


def _test_reports(after: int, limit: int) -> Select:
    return (select(ProductTestReport.id, ProductTestReport.user_id, ProductTestReport.created_at,
                   Idea.category_id)
            .join(ProductTest, ProductTest.id == ProductTestReport.test_id)
            .outerjoin(Idea, Idea.id == ProductTest.idea_id)
            .where(ProductTestReport.id > after)
            .order_by(ProductTestReport.id).limit(limit))


def _brought(after: int, limit: int) -> Select:
    return (select(ReferralEvent.id, ReferralEvent.sharer_id, ReferralEvent.user_id,
                   ReferralEvent.created_at, Idea.category_id)
            .outerjoin(Idea, Idea.id == ReferralEvent.idea_id)
            .where(ReferralEvent.id > after, ReferralEvent.kind.in_(("signup", "support")))
            .order_by(ReferralEvent.id).limit(limit))


def _brought_awards(row) -> list[Award]:
    if row.user_id is None:  # the person's account is gone
        return []
    return [Award(row.sharer_id, "person_brought", row.category_id,
                  f"brought:{row.sharer_id}:{row.user_id}", row.created_at, "people_brought")]


SOURCES = (
    Source("support", _supports, lambda r: [Award(r.user_id, "support_given", r.category_id,
                                                  f"support:{r.id}", r.created_at,
                                                  "supports_given")]),
    Source("idea", _published, lambda r: [Award(r.user_id, "idea_published", r.category_id,
                                                f"idea:{r.id}", r.created_at, "ideas_posted")]),
    Source("comment", _comments, lambda r: [Award(r.user_id, "comment_posted", r.category_id,
                                                  f"comment:{r.id}", r.created_at,
                                                  "comments_posted")]),
    Source("thanks", _thanks, _thanks_awards),
    Source("attendance", _attendance, _attendance_awards),
    Source("product_test", _test_reports, lambda r: [Award(r.user_id, "test_completed",
                                                           r.category_id, f"test:{r.id}",
                                                           r.created_at, "tests_completed")]),
    Source("referral", _brought, _brought_awards),
)


def _cursor(name: str) -> RecognitionCursor:
    if db.session.get_bind().dialect.name == "sqlite":  # one writer: take the lock now
        db.session.execute(update(RecognitionCursor).where(RecognitionCursor.source == "")
                           .values(last_id=0))
    cursor = db.session.scalar(select(RecognitionCursor).where(RecognitionCursor.source == name)
                               .with_for_update())
    if cursor is None:
        cursor = RecognitionCursor(source=name, last_id=0)
        db.session.add(cursor)
        db.session.flush()
    return cursor


def _apply(awards: list[Award], now: datetime) -> int:
    """Record the awards not recorded yet and add them to the kept counts; how many were new."""
    if not awards:
        return 0
    known = set(db.session.scalars(select(PointEvent.source_key).where(
        PointEvent.source_key.in_([a.key for a in awards]))))
    # once per key, also within the batch (a person brought by a sign-up and then a support)
    fresh: list[Award] = []
    for award in awards:
        if award.key not in known and award.user_id is not None:
            known.add(award.key)
            fresh.append(award)
    if not fresh:
        return 0
    db.session.add_all([PointEvent(user_id=a.user_id, action=a.action,
                                   points=points_for(a.action), category_id=a.category_id,
                                   source_key=a.key, created_at=a.at) for a in fresh])
    per_user: dict[int, list[Award]] = defaultdict(list)
    monthly: dict[tuple[str, int, int], int] = defaultdict(int)
    for award in fresh:
        per_user[award.user_id].append(award)
        month = award.at.strftime("%Y-%m")
        for category in {0, award.category_id or 0}:
            monthly[(month, category, award.user_id)] += points_for(award.action)
    stats = {row.user_id: row for row in db.session.scalars(
        select(MemberStats).where(MemberStats.user_id.in_(list(per_user))).with_for_update())}
    for user_id, mine in per_user.items():
        row = stats.get(user_id)
        if row is None:
            row = MemberStats(user_id=user_id, points=0, score=0.0,
                              **{counter: 0 for counter in COUNTERS})
            db.session.add(row)
        gained = sum(points_for(a.action) for a in mine)
        for award in mine:
            if award.counter:
                setattr(row, award.counter, (getattr(row, award.counter) or 0) + 1)
        row.points = (row.points or 0) + gained
        row.score = decayed(row.score or 0.0, row.score_at, now) + gained
        row.score_at = now
    months = {key[0] for key in monthly}
    existing = {(r.month, r.category_id, r.user_id): r for r in db.session.scalars(
        select(MonthlyPoints).where(MonthlyPoints.month.in_(months),
                                    MonthlyPoints.user_id.in_(list(per_user))))}
    for key, gained in monthly.items():
        if key in existing:
            existing[key].points += gained
        else:
            db.session.add(MonthlyPoints(month=key[0], category_id=key[1], user_id=key[2],
                                         points=gained))
    return len(fresh)


def rollup_batch(source: Source, batch: int = BATCH, now: datetime | None = None) -> int:
    """Read the next batch of one source and award it; the number of rows read (0: caught up).
    The caller commits."""
    cursor = _cursor(source.name)
    rows = db.session.execute(source.query(cursor.last_id, batch)).all()
    if not rows:
        return 0
    awards = [award for row in rows for award in source.awards(row)]
    _apply(awards, now or utcnow())
    cursor.last_id = rows[-1].id
    return len(rows)


@jobs.job(ROLLUP_JOB)
def rollup(batch: int = BATCH) -> int:
    """Award everything new, each source batch by batch, each batch in its own transaction."""
    read = 0
    for source in SOURCES:
        while True:
            try:
                count = rollup_batch(source, batch)
                db.session.commit()
            except IntegrityError:  # another rollup took this batch: it is theirs
                db.session.rollback()
                break
            read += count
            if count < batch:
                break
    return read


# --- reading ------------------------------------------------------------------------------------

@dataclass
class BadgeLevel:
    slug: str
    label: str
    level: int  # 0: not earned yet
    count: int
    next_at: int | None


def stats_of(user_id: int) -> MemberStats | None:
    return db.session.get(MemberStats, user_id)


def badges_of(stats: MemberStats | None) -> list[BadgeLevel]:
    found = []
    for slug, levels in BADGES.items():
        count = getattr(stats, slug, 0) or 0 if stats is not None else 0
        level = sum(1 for at in levels if count >= at)
        found.append(BadgeLevel(slug, str(BADGE_LABELS[slug]), level, count,
                                levels[level] if level < len(levels) else None))
    return found


def standing(stats: MemberStats | None, now: datetime | None = None) -> int:
    if stats is None:
        return 0
    return round(decayed(stats.score or 0.0, stats.score_at, now or utcnow()))


def thanks_for(user_id: int, limit: int = 20) -> list[Thanks]:
    return list(db.session.scalars(
        select(Thanks).where(Thanks.to_user_id == user_id)
        .options(joinedload(Thanks.from_user).lazyload(User.role_rows))
        .order_by(Thanks.id.desc()).limit(limit)))


def may_thank_for(actor: Any, idea: Idea) -> bool:
    """Whether the actor may thank members for this idea (and its comments): staff, or its
    creators (the rule thank() applies)."""
    return (permissions.can(actor, Action.THANK)
            and (actor.is_staff or permissions.is_creator(actor, idea)))


def thanked_comment_ids(actor: Any, comment_ids: list[int]) -> set[int]:
    """Which of these comments the actor thanked already (one query; none without comments)."""
    if not comment_ids or actor is None or not getattr(actor, "is_authenticated", False):
        return set()
    return set(db.session.scalars(select(Thanks.comment_id).where(
        Thanks.from_user_id == actor.id, Thanks.comment_id.in_(comment_ids))))


def current_month() -> str:
    return utcnow().strftime("%Y-%m")


def leaderboard(month: str | None = None, category_id: int = 0,
                limit: int = LEADERBOARD_SIZE) -> list[tuple[User, int]]:
    """The month's top members in a category (0: all), without those who opted out, blocked
    or deleted accounts (one query, from the board's index)."""
    month = month or current_month()
    rows = db.session.execute(
        select(User, MonthlyPoints.points).join(User, User.id == MonthlyPoints.user_id)
        .outerjoin(MemberStats, MemberStats.user_id == MonthlyPoints.user_id)
        .where(MonthlyPoints.month == month, MonthlyPoints.category_id == category_id,
               MonthlyPoints.points > 0, User.blocked_at.is_(None), User.deleted_at.is_(None),
               MemberStats.leaderboard_opt_out.is_not(True))
        .order_by(MonthlyPoints.points.desc(), User.id).limit(limit)).all()
    return [(user, points) for user, points in rows]


def rewards_for(viewer: Any, user_id: int) -> list[Reward]:
    """A member's rewards: for them and community staff."""
    if not (permissions.can(viewer, Action.MANAGE_REWARDS)
            or (viewer is not None and getattr(viewer, "id", None) == user_id)):
        raise Forbidden("not_yours", _("Only the member and community staff may see this."))
    return list(db.session.scalars(select(Reward).where(Reward.user_id == user_id)
                                   .order_by(Reward.id.desc()).limit(100)))


def recent_rewards(staff: User, limit: int = 100) -> list[Reward]:
    permissions.require(staff, Action.MANAGE_REWARDS)
    return list(db.session.scalars(select(Reward).order_by(
        (Reward.status == "delivered"), Reward.id.desc()).limit(limit)))


# --- writing ------------------------------------------------------------------------------------

def set_opt_out(user: User, opt_out: Any) -> MemberStats:
    if not isinstance(opt_out, bool):
        raise Invalid({"leaderboard_opt_out": _("Must be true or false.")})
    row = stats_of(user.id)
    if row is None:
        row = MemberStats(user_id=user.id)
        db.session.add(row)
    row.leaderboard_opt_out = opt_out
    return row


def _member(user_id: Any) -> User:
    user = db.session.get(User, user_id) if is_row_id(user_id) else None
    if user is None or user.is_blocked:
        raise NotFound("user_not_found", _("No such member."))
    return user


def _message(value: Any, limit: int, name: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise Invalid({name: _("This field is required.")})
    value = " ".join(value.split())
    if len(value) > limit or "\x00" in value:
        raise Invalid({name: _("At most %(n)s characters.", n=limit)})
    return value


def thank(actor: User, to_user_id: Any, message: Any, *, idea_id: Any = None,
          comment_id: Any = None) -> Thanks:
    """Staff, or a creator of the idea concerned, thank a member (for a comment on the idea: the
    comment counts as helpful). Never oneself; a comment is thanked once per thanker."""
    permissions.require(actor, Action.THANK)
    member = _member(to_user_id)
    if member.id == actor.id:
        raise Forbidden("thank_yourself", _("You cannot thank yourself."))
    text = _message(message, MESSAGE_MAX, "message")
    idea = None
    if comment_id is not None:
        found = visible_comment(actor, comment_id) if is_row_id(comment_id) else None
        if found is None or found[0].deleted_at is not None:
            raise NotFound("comment_not_found", _("No such comment."))
        comment, idea = found
        if comment.author_id != member.id:
            raise Invalid({"comment_id": _("That comment is not theirs.")})
    elif idea_id is not None:
        from app.queries import visible_idea

        idea = visible_idea(actor, idea_id) if is_row_id(idea_id) else None
        if idea is None:
            raise NotFound("idea_not_found", _("No such idea."))
    if not actor.is_staff and (idea is None or not permissions.is_creator(actor, idea)):
        raise Forbidden("not_a_creator", _("Staff, or the idea's creators, may thank for it."))
    row = Thanks(from_user_id=actor.id, to_user_id=member.id, message=text,
                 idea_id=idea.id if idea is not None else None,
                 comment_id=comment_id if comment_id is not None else None)
    try:
        with db.session.begin_nested():
            db.session.add(row)
    except IntegrityError:
        raise Conflict("already_thanked", _("You already thanked them for this comment.")) from None
    params = {"name": actor.display_name, "message": text}
    events.notify([member], "thanked", params, idea=idea,
                  url="" if idea is not None else f"/users/{member.id}")
    return row


def grant_reward(staff: User, user_id: Any, kind: Any, description: Any) -> Reward:
    permissions.require(staff, Action.MANAGE_REWARDS)
    member = _member(user_id)
    if kind not in REWARD_KINDS:
        raise Invalid({"kind": _("One of: %(kinds)s.", kinds=", ".join(REWARD_KINDS))})
    text = _message(description, DESCRIPTION_MAX, "description")
    reward = Reward(user_id=member.id, kind=kind, description=text, status="granted",
                    granted_by_id=staff.id)
    db.session.add(reward)
    db.session.flush()
    events.audit(staff, "reward.grant", reward, after={"user_id": member.id, "kind": kind,
                                                       "description": text})
    events.notify([member], "reward_granted", {"description": text}, url="/me/recognition")
    return reward


def deliver_reward(staff: User, reward_id: Any) -> Reward:
    permissions.require(staff, Action.MANAGE_REWARDS)
    reward = db.session.scalar(select(Reward).where(Reward.id == reward_id).with_for_update()) \
        if is_row_id(reward_id) else None
    if reward is None:
        raise NotFound("reward_not_found", _("No such reward."))
    if reward.status == "delivered":
        raise Conflict("already_delivered", _("This reward has been delivered already."))
    reward.status, reward.delivered_at = "delivered", utcnow()
    events.audit(staff, "reward.deliver", reward, before={"status": "granted"},
                 after={"status": "delivered"})
    events.notify([db.session.get(User, reward.user_id)], "reward_delivered",
                  {"description": reward.description}, url="/me/recognition")
    return reward
