"""A request refused half-way leaves nothing behind: no row, no event, no notification, no mail
(services never commit; the view or endpoint commits after a successful call, and every refusal
rolls back)."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from app import mail
from app.extensions import db
from app.models import AuditLog, Idea, IdeaCreator, IdeaEvent, Notification, Tag
from tests import factories as f
from tests.helpers import bearer, csrf_token, login


@pytest.fixture
def sent(monkeypatch) -> list:
    outbox: list = []
    monkeypatch.setattr(mail, "send_now", lambda *args: outbox.append(args))
    return outbox


def _counts() -> tuple:
    return tuple(db.session.scalar(select(func.count()).select_from(model))
                 for model in (Idea, IdeaCreator, IdeaEvent, Notification, AuditLog, Tag))


def test_an_idea_refused_for_a_bad_tag_leaves_no_idea_and_no_tag(client):
    owner = f.user()
    before = _counts()
    response = client.post("/api/v1/ideas", headers=bearer(owner), json={
        "title": "Fine", "tags": ["good-tag", "x" * 41]})
    assert response.status_code == 422 and "tags" in response.json["error"]["fields"]
    assert _counts() == before


def test_an_invitation_refused_after_the_creator_row_was_added_leaves_nothing(client, sent):
    """The split check runs after the new creator joined the idea in the session: the refusal
    must take that row, its event and the invitee's notification and mail back."""
    owner = f.user()
    first, second = f.user(email="first@example.com"), f.user(email="second@example.com")
    draft = f.idea(owner, status="draft", co_creators=(first,))  # first holds 1,000 bps
    before = _counts()
    response = client.post(f"/api/v1/ideas/{draft.id}/creators", headers=bearer(owner),
                           json={"email": "second@example.com", "share_bps": 9_000})
    assert response.status_code == 422
    assert _counts() == before
    login(client, owner)
    page = client.post(f"/ideas/{draft.id}/creators", data={
        "csrf_token": csrf_token(client, f"/ideas/{draft.id}/edit"),
        "email": "second@example.com", "share_bps": "9000"})
    assert page.status_code == 422  # the error beside the field, nothing written
    assert _counts() == before
    assert sent == []
    db.session.expire_all()
    assert sorted(c.user_id for c in db.session.get(Idea, draft.id).creators) == \
        sorted([owner.id, first.id])
    assert second.id not in {c.user_id for c in db.session.get(Idea, draft.id).creators}
