"""Following members: a member follows another and hears of their newly published ideas and
the updates they post (notification category "following"), told in batches by the fan-out job
(app.services.fan_out, audience "creators_followers"): never all followers in memory.

Follower and following counts are kept in member_counters in the follow's transaction.
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import delete, exists, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from app import permissions
from app.errors import NotFound
from app.extensions import db
from app.i18n import _
from app.models import Comment, Idea, MemberCounter, User, UserFollow
from app.models.base import utcnow
from app.permissions import Action


@dataclass(frozen=True)
class MemberNumbers:
    followers: int = 0
    following: int = 0
    share_visits: int = 0
    referred_signups: int = 0
    referred_supports: int = 0
    brought: int = 0


def _insert(model):
    dialect = db.session.get_bind().dialect.name
    return (pg_insert if dialect == "postgresql" else sqlite_insert)(model)


def bump(user_id: int, **deltas: int) -> None:
    """Add to a member's kept numbers in one statement (the row is created on first use):
    atomic in SQL, never read-modify-write in Python."""
    values = {column: 0 for column in ("follower_count", "following_count", "share_visit_count",
                                       "referred_signup_count", "referred_support_count",
                                       "brought_count")}
    values.update(deltas)
    statement = _insert(MemberCounter).values(user_id=user_id, **values)
    db.session.execute(statement.on_conflict_do_update(
        index_elements=["user_id"],
        set_={column: getattr(MemberCounter, column) + delta
              for column, delta in deltas.items()}))


def numbers(user: User) -> MemberNumbers:
    """The member's kept numbers (one primary key read)."""
    row = db.session.get(MemberCounter, user.id)
    if row is None:
        return MemberNumbers()
    return MemberNumbers(followers=row.follower_count, following=row.following_count,
                         share_visits=row.share_visit_count,
                         referred_signups=row.referred_signup_count,
                         referred_supports=row.referred_support_count,
                         brought=row.brought_count)


def member(viewer: User | None, user_id: int) -> User:
    """The member, if the viewer may see their profile (blocked members are gone to others)."""
    user = db.session.get(User, user_id) if isinstance(user_id, int) else None
    if user is None or (user.is_blocked and not permissions.can(viewer, Action.BLOCK_USER)):
        raise NotFound("user_not_found", _("No such member."))
    return user


def is_following(viewer: User | None, user_id: int) -> bool:
    if viewer is None or not getattr(viewer, "is_authenticated", False):
        return False
    return bool(db.session.scalar(select(exists().where(
        UserFollow.follower_id == viewer.id, UserFollow.followed_id == user_id))))


def follow_member(follower: User, user_id: int) -> bool:
    """Follow a member; True when newly followed (idempotent: the unique (follower_id,
    followed_id) decides, even in a race). 404 for no such (visible) member, 403 for oneself
    or without a confirmed e-mail address."""
    followed = member(follower, user_id)
    permissions.require(follower, Action.FOLLOW_MEMBER, followed)
    if followed.is_blocked or followed.deleted_at is not None:
        raise NotFound("user_not_found", _("No such member."))
    added = db.session.execute(
        _insert(UserFollow).values(follower_id=follower.id, followed_id=followed.id,
                                   created_at=utcnow())
        .on_conflict_do_nothing(index_elements=["follower_id", "followed_id"])
        .returning(UserFollow.id)).scalar()
    if added is None:
        return False
    bump(followed.id, follower_count=1)
    bump(follower.id, following_count=1)
    return True


def unfollow_member(follower: User, user_id: int) -> bool:
    """Stop following; True when they were following (idempotent). Allowed for anyone signed
    in and not blocked, even towards a member since blocked."""
    permissions.require(follower, Action.FOLLOW_MEMBER)
    removed = db.session.execute(delete(UserFollow).where(
        UserFollow.follower_id == follower.id, UserFollow.followed_id == user_id)).rowcount
    if not removed:
        return False
    bump(user_id, follower_count=-1)
    bump(follower.id, following_count=-1)
    return True


def forget_member(user_id: int) -> None:
    """Before a member's account is deleted (app.services.deletion): lower the kept numbers of
    the members they followed and of those who followed them; the follow rows themselves go
    with the account's personal rows."""
    followed = select(UserFollow.followed_id).where(UserFollow.follower_id == user_id)
    followers = select(UserFollow.follower_id).where(UserFollow.followed_id == user_id)
    db.session.execute(update(MemberCounter).where(MemberCounter.user_id.in_(followed))
                       .values(follower_count=MemberCounter.follower_count - 1))
    db.session.execute(update(MemberCounter).where(MemberCounter.user_id.in_(followers))
                       .values(following_count=MemberCounter.following_count - 1))


# --- telling the followers ----------------------------------------------------------------

def tell_of_new_idea(idea: Idea) -> None:
    """The idea was just published: its creators' followers hear of it (by the fan-out job)."""
    from app.services import fan_out

    owner = idea.owner
    fan_out.tell_followers(idea, "member_new_idea",
                           {"name": owner.display_name, "title": idea.title},
                           audience="creators_followers")


def tell_of_update(idea: Idea, author: User, update: Comment, url: str) -> None:
    """A creator posted an update: the followers of the idea's creators hear of it (those who
    follow or support the idea hear of it as the idea's audience, not twice)."""
    from app.services import fan_out

    fan_out.tell_followers(idea, "member_update",
                           {"name": author.display_name, "title": idea.title}, url=url,
                           audience="creators_followers")
