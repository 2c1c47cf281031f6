"""may_view_idea (Python, for one idea) and idea_visibility (SQL, for every listing) agree: for
every status x hidden x role, on both databases."""
from __future__ import annotations

import itertools

import pytest
from sqlalchemy import select

from app import queries
from app.lifecycle import IdeaStatus
from app.models import Idea
from app.permissions import idea_visibility, may_view_idea
from tests import factories as f

ROLES = ("anonymous", "member", "creator", "reviewer", "moderator", "admin")
CASES = list(itertools.product(IdeaStatus, (False, True)))


def _viewer(role: str):
    if role == "anonymous":
        return None
    return f.user(*(() if role in ("member", "creator") else (role,)))


@pytest.mark.parametrize("role", ROLES)
def test_python_and_sql_visibility_agree(app, db, role):
    viewer = _viewer(role)
    owner = viewer if role == "creator" else f.user()
    ideas = {(status, hidden): f.idea(owner, status=status.value, hidden=hidden)
             for status, hidden in CASES}
    in_sql = set(db.session.scalars(select(Idea.id).where(idea_visibility(viewer))))
    disagreements = [(status.value, hidden) for (status, hidden), idea in ideas.items()
                     if may_view_idea(viewer, idea) != (idea.id in in_sql)]
    assert disagreements == []
    assert queries.idea_visibility is idea_visibility  # one function, two import paths


@pytest.mark.parametrize("role", ROLES)
def test_who_sees_what(app, db, role):
    """What the two agree on is the product's rule (PRODUCT.md)."""
    viewer = _viewer(role)
    owner = viewer if role == "creator" else f.user()
    seen = {(status, hidden) for status, hidden in CASES
            if may_view_idea(viewer, f.idea(owner, status=status.value, hidden=hidden))}
    public = {(status, False) for status in IdeaStatus
              if status not in ("draft", "pending_moderation", "needs_changes", "rejected")}
    reviewed = {(status, False) for status in ("qualified", "in_review", "on_hold")}
    expected = {"anonymous": public, "member": public, "reviewer": public | reviewed,
                "creator": set(CASES), "moderator": set(CASES), "admin": set(CASES)}[role]
    assert seen == expected


def test_blocked_staff_see_only_what_members_see(app, db):
    moderator = f.user("moderator")
    moderator.blocked_at = moderator.created_at
    db.session.commit()
    draft = f.idea(status="draft")
    assert not may_view_idea(moderator, draft)
    assert draft.id not in set(db.session.scalars(select(Idea.id).where(
        idea_visibility(moderator))))
