"""Factories: build data directly, so each test states only what matters to it."""
from __future__ import annotations

import itertools
from datetime import date, timedelta

from flask import current_app
from sqlalchemy import update

from app import lifecycle
from app.extensions import db
from app.models import (Agreement, Category, Idea, IdeaCounter, IdeaCreator, Support, User,
                        UserRole)
from app.models.agreements import sha256_text
from app.models.base import utcnow
from app.models.review import AXES, ReviewBatch, ReviewItem
from app.services import review as review_service
from app.services import support_days

_seq = itertools.count(1)
PASSWORD = "correct horse battery"
_HASHES: dict[str, str] = {}


def seed_basics() -> None:
    """What every installation has: categories and a current creator agreement."""
    if db.session.query(Category).count():
        return
    for slug, name, name_ja in (("home", "Home & Living", "暮らし"),
                                ("outdoor", "Outdoor", "アウトドア"),
                                ("kids", "Kids & Family", "キッズ・ファミリー")):
        db.session.add(Category(slug=slug, name=name, name_ja=name_ja))
    text = "# Creator agreement v1\n\nTest agreement text."
    db.session.add(Agreement(version="1", title="Creator agreement", text=text,
                             sha256=sha256_text(text)))
    db.session.commit()


def category(slug: str = "home") -> Category:
    return db.session.query(Category).filter_by(slug=slug).one()


def current_agreement() -> Agreement:
    return db.session.query(Agreement).order_by(Agreement.published_at.desc(),
                                                Agreement.id.desc()).first()


def user(*roles: str, email: str | None = None, name: str | None = None, confirmed: bool = True,
         password: str = PASSWORD, locale: str | None = None,
         marketing_mail: bool = False) -> User:
    n = next(_seq)
    account = User(email=email or f"user{n}@example.com", display_name=name or f"User {n}",
                   bio="", email_confirmed_at=utcnow() if confirmed else None, locale=locale,
                   marketing_mail=marketing_mail)
    if password not in _HASHES:  # scrypt is slow on purpose; hash each test password once
        account.set_password(password)
        _HASHES[password] = account.password_hash
    account.password_hash = _HASHES[password]
    for role in roles:
        if role != "member":
            account.role_rows.append(UserRole(role=role))
    db.session.add(account)
    db.session.commit()
    return account


#: A complete guided insight (app.services.insight), as a submitted idea has it.
GUIDED_INSIGHT = dict(
    insight_scene="A parent on a crowded morning train with a toddler and a folded buggy",
    insight_conflict="Worried about disturbing others when the child cries",
    insight_own_words="I just want to get there without apologising.",
    insight_success="Arriving calm, the child content, nobody bothered",
    insight_judged_by="Holding the child and the bag with one arm for a whole ride",
    insight_why_1="Because the ride sets the mood for the whole day",
    insight_why_2="Because a bad start makes her feel she fails at home and at work",
    insight_why_3="Because she wants to belong in the city with a child",
    insight_core="For parents commuting with a toddler, when the train is packed, who want to "
                 "belong, this carrier makes the ride calm.",
)
#: The same as the service's and the form's fields (part -> text).
GUIDED_FORM = {column[len("insight_"):]: text for column, text in GUIDED_INSIGHT.items()}
#: The same as the API's `insight` body.
GUIDED_INSIGHT_JSON = {
    "scene": GUIDED_INSIGHT["insight_scene"], "conflict": GUIDED_INSIGHT["insight_conflict"],
    "own_words": GUIDED_INSIGHT["insight_own_words"],
    "success": GUIDED_INSIGHT["insight_success"],
    "judged_by": GUIDED_INSIGHT["insight_judged_by"],
    "whys": [GUIDED_INSIGHT[f"insight_why_{n}"] for n in (1, 2, 3)],
    "core": GUIDED_INSIGHT["insight_core"],
}


def idea(owner: User | None = None, *, status: str = "published", title: str | None = None,
         supports: int = 0, hidden: bool = False, co_creators: tuple[User, ...] = (),
         category_slug: str = "home", **fields) -> Idea:
    """An idea in the given status; published ones get the first milestone and deadline."""
    owner = owner or user()
    n = next(_seq)
    now = utcnow()
    milestones = current_app.config["SUPPORT_MILESTONES"]
    windows = current_app.config["SUPPORT_WINDOWS_DAYS"]
    values = dict(
        owner_id=owner.id, title=title or f"Idea number {n}", pitch=f"A pitch for idea {n}",
        description=f"Description of idea {n}.", category_id=category(category_slug).id,
        **GUIDED_INSIGHT,
        status=status, hidden=hidden,
    )
    if status not in lifecycle.UNPUBLISHED:
        values.update(published_at=now - timedelta(days=1), submitted_at=now - timedelta(days=2))
    if status == lifecycle.IdeaStatus.PUBLISHED:
        values.update(next_milestone=milestones[0], deadline=now + timedelta(days=windows[0]))
    values.update(fields)
    record = Idea(**values)
    db.session.add(record)
    db.session.flush()
    shares = [10_000 - 1_000 * len(co_creators)] + [1_000] * len(co_creators)
    for person, share in zip((owner, *co_creators), shares):
        db.session.add(IdeaCreator(idea_id=record.id, user_id=person.id, is_owner=person is owner,
                                   share_bps=share))
    db.session.commit()
    for _ in range(supports):
        support(record)
    return record


def support(target: Idea, supporter: User | None = None, **answers) -> Support:
    supporter = supporter or user()
    row = Support(idea_id=target.id, user_id=supporter.id, **answers)
    db.session.add(row)
    target.support_count = Idea.support_count + 1
    db.session.execute(update(IdeaCounter).where(IdeaCounter.idea_id == target.id)
                       .values(support_count=IdeaCounter.support_count + 1))  # when kept
    support_days.added(target.id, when=answers.get("created_at"))
    db.session.commit()
    db.session.refresh(target)
    return row


def hidden(target: Idea, reason: str | None = None) -> Idea:
    """Hide an existing idea as a moderator would, without the moderation service's records
    (for a new idea, pass `hidden=True` to idea())."""
    target.hidden = True
    target.hidden_reason = reason
    db.session.commit()
    return target


# --- review: traits that take an idea through the review states -------------------------------

REVIEW_CLOSES_ON = date(2030, 3, 31)
RATIONALE = "Because of the evidence."


def scores(value: int = 2, **axes) -> dict:
    """A score for each matrix axis: `value`, or the one given by name (scores(3, feasibility=1))."""
    return {axis: axes.get(axis, value) for axis in AXES}


def rationales(text: str = RATIONALE) -> dict:
    """The same written rationale for every axis."""
    return {axis: text for axis in AXES}


def review_batch(admin: User | None = None, name: str = "Spring review",
                 closes_on: date = REVIEW_CLOSES_ON) -> ReviewBatch:
    """Open a review batch; the qualified ideas waiting join it."""
    batch = review_service.open_batch(admin or user("admin"), name, closes_on)
    db.session.commit()
    return batch


def in_review(owner: User | None = None, **fields) -> Idea:
    """A qualified idea in the open review batch (one is opened when none is)."""
    record = idea(owner, status="qualified", **fields)
    if review_service.current_open_batch() is None:
        review_batch()
    else:
        review_service.on_idea_qualified(record)
        db.session.commit()
    assert record.status == "in_review", record.status
    return record


def scored(target: Idea, *values: int, reviewer: User | None = None,
           rationale: str = RATIONALE) -> None:
    """Scores for an idea in review: one new reviewer per value, each giving that value on every
    axis (or `reviewer` giving them all, the last one counting)."""
    for value in values:
        review_service.score_idea(reviewer or user("reviewer"), target.id, scores(value),
                                  rationales(rationale))
    db.session.commit()


def decided(target: Idea, decision: str, message: str = "We will make it.",
            admin: User | None = None) -> ReviewItem:
    """The admin's decision on an idea in review (enough reviewers must have scored it); private
    until the batch is published."""
    item = review_service.decide(admin or user("admin"), target.id, decision, message)
    db.session.commit()
    return item


def approved(target: Idea, message: str = "We will make it.",
             admin: User | None = None) -> ReviewItem:
    """decided(target, "approved"): the idea becomes `approved` when its batch is published."""
    return decided(target, "approved", message, admin)


def published(batch: ReviewBatch | None = None, admin: User | None = None) -> ReviewBatch:
    """Publish a batch (the open one by default): each idea moves to its decision."""
    batch = batch or review_service.current_open_batch()
    review_service.publish_batch(admin or user("admin"), batch.id)
    db.session.commit()
    return batch


def join_invitation(idea_id: int, invitee: User) -> None:
    """The invitee accepts their pending co-creator invitation (as the link in its mail does)."""
    from app.services import idea_creators, invitations
    from app.services.ideas import lock_idea

    invitation = invitations.pending_invitation(idea_id, invitee.email.lower())
    invitations.join(invitee, lock_idea(idea_id), invitation, idea_creators._rebalance)
    db.session.commit()


def established(*roles: str) -> User:
    """A member who joined long ago and has done something (their reports count in full)."""
    member = user(*roles)
    member.created_at = utcnow() - timedelta(days=90)
    db.session.commit()
    idea(member, status="draft")
    return member


def deliver(account: User, delivery: str, *categories: str) -> User:
    """Set how the member hears of the given categories (all when none are named)."""
    from app.notification_kinds import CATEGORIES
    from app.services import notifications

    notifications.set_preferences(account, dict.fromkeys(categories or CATEGORIES, delivery))
    db.session.commit()
    return account
