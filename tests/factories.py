"""Factories: build data directly, so each test states only what matters to it."""
from __future__ import annotations

import itertools
from datetime import timedelta

from flask import current_app

from app import lifecycle
from app.extensions import db
from app.models import Agreement, Category, Idea, IdeaCreator, Support, User, UserRole
from app.models.agreements import sha256_text
from app.models.base import utcnow

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
         password: str = PASSWORD) -> User:
    n = next(_seq)
    account = User(email=email or f"user{n}@example.com", display_name=name or f"User {n}",
                   bio="", email_confirmed_at=utcnow() if confirmed else None)
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
        insight_situation="A parent on a crowded morning train with a toddler",
        insight_emotion="Worried about disturbing others", insight_purpose="Travel calmly",
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
    db.session.commit()
    db.session.refresh(target)
    return row
