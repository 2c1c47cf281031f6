"""Admin pages: review batches, users and roles, blocking, and the audit log."""
import re
from datetime import date, timedelta

from sqlalchemy import select

from app.extensions import db
from app.models import AuditLog, User
from app.models.base import utcnow
from app.services import events
from app.services import review as rs
from tests import factories as f
from tests.helpers import csrf_token, login


def test_admin_opens_a_batch_from_the_form_and_waiting_ideas_join(client):
    admin = f.user("admin")
    idea = f.idea(status="qualified", title="Umbrella that dries itself")
    login(client, admin)
    page = client.get("/admin/review").get_data(as_text=True)
    assert "Umbrella that dries itself" in page
    closes_on = (utcnow().date() + timedelta(days=30)).isoformat()
    response = client.post("/admin/review", data={"csrf_token": csrf_token(client, "/admin/review"),
                                                  "name": "Winter review", "closes_on": closes_on})
    assert response.status_code == 302
    db.session.refresh(idea)
    assert idea.status == "in_review"
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Winter review" in html and "Umbrella that dries itself" in html


def test_opening_a_batch_in_the_past_or_without_a_name_shows_errors(client):
    login(client, f.user("admin"))
    token = csrf_token(client, "/admin/review")
    response = client.post("/admin/review", data={"csrf_token": token, "name": "Late",
                                                  "closes_on": "2001-01-01"})
    assert response.status_code == 422
    assert "cannot be in the past" in response.get_data(as_text=True)
    response = client.post("/admin/review", data={"csrf_token": token, "name": "",
                                                  "closes_on": "2031-01-01"})
    assert response.status_code == 422
    assert rs.current_open_batch() is None


def test_batch_page_disables_reviewers_with_a_conflict_and_explains_it(client):
    admin = f.user("admin")
    fan = f.user("reviewer", name="Fan Reviewer")
    neutral = f.user("reviewer", name="Neutral Reviewer")
    idea = f.idea(status="qualified")
    f.support(idea, fan)
    batch = f.review_batch(admin, "Spring", date(2030, 1, 1))
    login(client, admin)
    html = client.get(f"/admin/review/batches/{batch.id}").get_data(as_text=True)
    assert f'<option value="{fan.id}" disabled>Fan Reviewer — supported it</option>' in html
    assert f'<option value="{neutral.id}">Neutral Reviewer</option>' in html
    token = csrf_token(client, f"/admin/review/batches/{batch.id}")
    response = client.post(f"/admin/review/ideas/{idea.id}/reviewers",
                           data={"csrf_token": token, "reviewer_id": fan.id}, follow_redirects=True)
    assert "Fan Reviewer supported this idea and cannot review it." in response.get_data(as_text=True)
    client.post(f"/admin/review/ideas/{idea.id}/reviewers",
                data={"csrf_token": token, "reviewer_id": neutral.id})
    assert [a.reviewer_id for a in rs.active_item(idea.id).assignments] == [neutral.id]


def test_admin_publishes_a_batch_from_its_page(client):
    admin = f.user("admin")
    idea = f.idea(status="qualified")
    batch = f.review_batch(admin, "Spring", date(2030, 1, 1))
    f.scored(idea, 2, 3, rationale="Reasoned.")
    f.decided(idea, "not_approved", "Not this time.", admin)
    login(client, admin)
    token = csrf_token(client, f"/admin/review/batches/{batch.id}")
    response = client.post(f"/admin/review/batches/{batch.id}/publish",
                           data={"csrf_token": token}, follow_redirects=True)
    assert "The batch is published" in response.get_data(as_text=True)
    db.session.refresh(idea)
    assert idea.status == "not_approved"


def test_users_can_be_searched(client):
    admin = f.user("admin")
    f.user(name="Hanako Yamada", email="hanako@example.com")
    f.user(name="Taro Sato")
    login(client, admin)
    html = client.get("/admin/users?q=hanako").get_data(as_text=True)
    assert "Hanako Yamada" in html and "Taro Sato" not in html
    html = client.get("/admin/users?role=admin").get_data(as_text=True)
    assert admin.display_name in html and "Hanako Yamada" not in html


def test_admin_grants_and_revokes_roles_and_it_is_audited(client):
    admin = f.user("admin")
    member = f.user()
    login(client, admin)
    token = csrf_token(client, f"/admin/users/{member.id}")
    client.post(f"/admin/users/{member.id}/roles",
                data={"csrf_token": token, "role": "reviewer", "action": "grant"})
    db.session.refresh(member)
    assert member.has_role("reviewer")
    client.post(f"/admin/users/{member.id}/roles",
                data={"csrf_token": token, "role": "reviewer", "action": "revoke"})
    db.session.expire_all()
    assert not db.session.get(User, member.id).has_role("reviewer")
    entries = db.session.scalars(select(AuditLog).where(AuditLog.target_id == member.id,
                                                        AuditLog.target_type == "user")
                                 .order_by(AuditLog.id)).all()
    assert [(e.action, e.before["roles"], e.after["roles"]) for e in entries] == [
        ("user.role_granted", [], ["reviewer"]), ("user.role_revoked", ["reviewer"], [])]


def test_an_admin_cannot_take_away_their_own_admin_role(client):
    admin = f.user("admin")
    login(client, admin)
    token = csrf_token(client, f"/admin/users/{admin.id}")
    response = client.post(f"/admin/users/{admin.id}/roles", follow_redirects=True,
                           data={"csrf_token": token, "role": "admin", "action": "revoke"})
    assert "cannot take away your own admin role" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(User, admin.id).has_role("admin")


def test_admin_blocks_and_unblocks_an_account(client):
    admin = f.user("admin")
    member = f.user()
    login(client, admin)
    token = csrf_token(client, f"/admin/users/{member.id}")
    client.post(f"/admin/users/{member.id}/block", data={"csrf_token": token, "reason": "Spam"})
    db.session.expire_all()
    assert db.session.get(User, member.id).is_blocked
    client.post(f"/admin/users/{member.id}/unblock", data={"csrf_token": token})
    db.session.expire_all()
    assert not db.session.get(User, member.id).is_blocked
    actions = db.session.scalars(select(AuditLog.action).where(AuditLog.target_id == member.id)
                                 .order_by(AuditLog.id)).all()
    assert actions == ["user.blocked", "user.unblocked"]


def test_role_changes_without_csrf_are_refused(client):
    admin = f.user("admin")
    member = f.user()
    login(client, admin)
    response = client.post(f"/admin/users/{member.id}/roles", data={"role": "admin",
                                                                    "action": "grant"})
    assert response.status_code == 400
    db.session.expire_all()
    assert not db.session.get(User, member.id).has_role("admin")


def listed_actions(client, query: str = "") -> list[str]:
    """The actions in the audit table of /admin/audit?query, newest first."""
    html = client.get(f"/admin/audit{query}").get_data(as_text=True)
    table = html.split('data-testid="audit-entries"', 1)[1]
    return re.findall(r'data-action="([^"]+)"', table)


def test_audit_log_filters_by_actor_action_target_and_date(client):
    admin = f.user("admin", name="Alice Admin")
    moderator = f.user("moderator", name="Mo Derator")
    idea = f.idea()
    events.audit(moderator, "idea.hidden", idea, before={"hidden": False},
                 after={"hidden": True, "note": "<script>x</script>"}, reason="Spam")
    old = events.audit(admin, "user.blocked", moderator, before={"blocked": False},
                       after={"blocked": True})
    old.created_at = utcnow() - timedelta(days=40)
    db.session.commit()
    login(client, admin)
    html = client.get("/admin/audit").get_data(as_text=True)
    assert "<script>x</script>" not in html
    assert "&lt;script&gt;x&lt;/script&gt;" in html  # the before/after values, escaped
    assert listed_actions(client) == ["idea.hidden", "user.blocked"]
    assert listed_actions(client, "?actor=derator") == ["idea.hidden"]
    assert listed_actions(client, f"?actor={admin.id}") == ["user.blocked"]
    assert listed_actions(client, "?action=user.blocked") == ["user.blocked"]
    assert listed_actions(client, "?target_type=idea") == ["idea.hidden"]
    since = (utcnow().date() - timedelta(days=1)).isoformat()
    assert listed_actions(client, f"?date_from={since}") == ["idea.hidden"]
    until = (utcnow().date() - timedelta(days=30)).isoformat()
    assert listed_actions(client, f"?date_to={until}") == ["user.blocked"]
    assert client.get("/admin/audit?date_from=yesterday").status_code == 422


def test_admin_pages_are_for_admins_only(client):
    for role in ("reviewer", "moderator", "finance"):
        login(client, f.user(role))
        for path in ("/admin", "/admin/users", "/admin/review", "/admin/audit"):
            assert client.get(path).status_code == 403, (role, path)
    with client.session_transaction() as session:
        session.clear()
    assert client.get("/admin").status_code == 302
