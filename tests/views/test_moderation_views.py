"""The moderation pages: the queue, deciding, hiding, merging and blocking."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from app.models import AuditLog, Idea, Notification, User
from app.models.base import utcnow
from tests import factories
from tests.helpers import csrf_token, login


def post(client, path, data=None, **kwargs):
    data = dict(data or {})
    data.setdefault("csrf_token", csrf_token(client))
    return client.post(path, data=data, **kwargs)


def test_members_cannot_open_the_queue(client):
    assert client.get("/moderation").status_code == 302  # to sign in
    login(client, factories.user())
    assert client.get("/moderation").status_code == 403


def test_queue_lists_pending_ideas_oldest_first_with_their_insight(client):
    now = utcnow()
    newer = factories.idea(status="pending_moderation", title="Newer idea",
                           submitted_at=now - timedelta(hours=1))
    older = factories.idea(status="pending_moderation", title="Older idea",
                           submitted_at=now - timedelta(days=1))
    factories.idea(title="Already public")
    login(client, factories.user("moderator"))
    html = client.get("/moderation").get_data(as_text=True)
    assert html.index(older.title) < html.index(newer.title)
    assert "Already public" not in html
    assert "A parent on a crowded morning train" in html


def test_moderator_publishes_from_the_queue(client, db):
    owner = factories.user()
    idea = factories.idea(owner, status="pending_moderation")
    login(client, factories.user("moderator"))
    response = post(client, f"/moderation/ideas/{idea.id}/decide",
                    {"decision": "publish", "reason": "", "next": "queue"})
    assert response.status_code == 302 and response.headers["Location"].endswith("/moderation")
    db.session.expire_all()
    idea = db.session.get(Idea, idea.id)
    assert idea.status == "published" and idea.deadline is not None
    assert client.get(f"/ideas/{idea.id}").status_code == 200


def test_needs_changes_without_reason_is_refused(client, db):
    idea = factories.idea(status="pending_moderation")
    login(client, factories.user("moderator"))
    page = post(client, f"/moderation/ideas/{idea.id}/decide", {"decision": "needs_changes"},
                follow_redirects=True).get_data(as_text=True)
    assert "Give a reason" in page
    assert db.session.get(Idea, idea.id).status == "pending_moderation"


def test_creator_reads_the_reason_after_needs_changes(client, db):
    owner = factories.user()
    idea = factories.idea(owner, status="pending_moderation")
    login(client, factories.user("moderator"))
    post(client, f"/moderation/ideas/{idea.id}/decide",
         {"decision": "needs_changes", "reason": "Show <b>who</b> it is for"})
    login(client, owner)
    html = client.get(f"/ideas/{idea.id}").get_data(as_text=True)
    assert "Show &lt;b&gt;who&lt;/b&gt; it is for" in html
    edit = client.get(f"/ideas/{idea.id}/edit").get_data(as_text=True)
    assert "Show &lt;b&gt;who&lt;/b&gt; it is for" in edit
    assert db.session.scalar(select(Notification.kind).where(Notification.user_id == owner.id)) \
        == "idea_needs_changes"


def test_decision_without_csrf_is_400(client, db):
    idea = factories.idea(status="pending_moderation")
    login(client, factories.user("moderator"))
    response = client.post(f"/moderation/ideas/{idea.id}/decide", data={"decision": "publish"})
    assert response.status_code == 400
    assert db.session.get(Idea, idea.id).status == "pending_moderation"


def test_member_cannot_post_a_decision(client, db):
    owner = factories.user()
    idea = factories.idea(owner, status="pending_moderation")
    login(client, owner)
    post(client, f"/moderation/ideas/{idea.id}/decide", {"decision": "publish"})
    assert db.session.get(Idea, idea.id).status == "pending_moderation"


def test_moderator_hides_and_unhides_an_idea(client, db, app):
    idea = factories.idea(title="Copied idea")
    login(client, factories.user("moderator"))
    assert client.get(f"/moderation/ideas/{idea.id}").status_code == 200
    post(client, f"/moderation/ideas/{idea.id}/hide", {"reason": "Copyright complaint"})
    db.session.expire_all()
    assert db.session.get(Idea, idea.id).hidden
    assert "Copied idea" in client.get("/moderation/hidden").get_data(as_text=True)
    visitor = app.test_client()
    assert visitor.get(f"/ideas/{idea.id}").status_code == 404
    assert "Copied idea" not in visitor.get("/ideas").get_data(as_text=True)
    post(client, f"/moderation/ideas/{idea.id}/unhide")
    db.session.expire_all()
    assert not db.session.get(Idea, idea.id).hidden
    actions = db.session.scalars(select(AuditLog.action).order_by(AuditLog.id)).all()
    assert actions == ["idea.hide", "idea.unhide"]


def test_moderator_merges_duplicates(client, db):
    target, source = factories.idea(supports=2), factories.idea(supports=1)
    login(client, factories.user("moderator"))
    response = post(client, f"/moderation/ideas/{source.id}/merge", {"target_id": str(target.id)})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Idea, target.id).support_count == 3
    assert db.session.get(Idea, source.id).merged_into_id == target.id


def test_moderator_blocks_an_account(client, db):
    member = factories.user(email="spammer@example.com")
    login(client, factories.user("moderator"))
    page = client.get("/moderation/users?email=spammer@example.com").get_data(as_text=True)
    assert 'data-testid="found-user"' in page
    post(client, f"/moderation/users/{member.id}/block", {"reason": "Spam"})
    db.session.expire_all()
    assert db.session.get(User, member.id).is_blocked
    post(client, f"/moderation/users/{member.id}/unblock")
    db.session.expire_all()
    assert not db.session.get(User, member.id).is_blocked


def test_block_needs_a_reason(client, db):
    member = factories.user()
    login(client, factories.user("moderator"))
    post(client, f"/moderation/users/{member.id}/block", {"reason": ""})
    assert not db.session.get(User, member.id).is_blocked
