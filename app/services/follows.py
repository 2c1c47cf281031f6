"""Following ideas: who hears about an idea's milestones, updates and status changes."""
from __future__ import annotations

from sqlalchemy import delete, exists, select

from app import permissions
from app.permissions import Action
from app.extensions import db
from app.models import Idea, IdeaFollow, Support, User
from app.models.base import utcnow
from app.queries import visible_idea
from app.services import events
from app.upserts import upsert


def _visible_idea(user: User | None, idea_id: int) -> Idea:
    return permissions.require_visible(user, visible_idea(user, idea_id))


def is_following(user: User | None, idea_id: int) -> bool:
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    return bool(db.session.scalar(select(exists().where(
        IdeaFollow.idea_id == idea_id, IdeaFollow.user_id == user.id))))


def add_follow(user: User, idea: Idea) -> bool:
    """Make user follow idea (no checks, no notification); False when they already did.
    One statement: the unique (idea_id, user_id) decides, even in a race."""
    added = db.session.execute(
        upsert(IdeaFollow, ("idea_id", "user_id", "created_at"), conflict=("idea_id", "user_id"),
               returning=("id",)),
        {"idea_id": idea.id, "user_id": user.id, "created_at": utcnow()}).scalar()
    return added is not None


def follow_idea(user: User, idea_id: int) -> bool:
    """Follow an idea the user may see; True when newly followed (idempotent).
    The creators are told that someone follows their idea."""
    idea = _visible_idea(user, idea_id)
    permissions.require(user, Action.FOLLOW, idea)
    if permissions.is_creator(user, idea):
        return False  # creators hear about their own idea anyway
    added = add_follow(user, idea)
    if added:
        events.notify(events.creators_of(idea), "idea_followed",
                      {"name": user.display_name, "title": idea.title}, idea=idea, exclude=user)
    return added


def unfollow_idea(user: User, idea_id: int) -> bool:
    """Stop following; True when the user was following (idempotent)."""
    idea = _visible_idea(user, idea_id)
    permissions.require(user, Action.FOLLOW, idea)
    result = db.session.execute(delete(IdeaFollow).where(IdeaFollow.idea_id == idea.id,
                                                         IdeaFollow.user_id == user.id))
    return bool(result.rowcount)


def followers_of(idea: Idea) -> list[User]:
    """Everyone following the idea."""
    return list(db.session.scalars(
        select(User).join(IdeaFollow, IdeaFollow.user_id == User.id)
        .where(IdeaFollow.idea_id == idea.id, User.blocked_at.is_(None))
        .order_by(User.id)))


def audience_of(idea: Idea) -> list[User]:
    """Followers and supporters of the idea: the people told about a creator's update."""
    followers = select(IdeaFollow.user_id).where(IdeaFollow.idea_id == idea.id)
    supporters = select(Support.user_id).where(Support.idea_id == idea.id)
    return list(db.session.scalars(
        select(User).where(User.blocked_at.is_(None),
                           User.id.in_(followers.union(supporters)))
        .order_by(User.id)))
