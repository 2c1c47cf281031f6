"""API: POST/DELETE /api/v1/ideas/{id}/supports and POST/DELETE /api/v1/ideas/{id}/follow."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from app.models import IdeaFollow, Support
from app.models.base import utcnow
from tests import factories as f
from tests.helpers import bearer, csrf_token, login


def _support(client, idea, headers, body=None):
    return client.post(f"/api/v1/ideas/{idea.id}/supports", json=body, headers=headers)


def test_member_supports_with_answers(client, db):
    idea = f.idea()
    response = _support(client, idea, bearer(f.user()),
                        {"would_buy": "maybe", "price": {"amount": 1999, "currency": "USD"},
                         "reason": "For rainy school runs"})
    assert response.status_code == 201
    data = response.get_json()
    assert data["price"] == {"amount": 1999, "currency": "USD"}
    assert (data["would_buy"], data["reason"]) == ("maybe", "For rainy school runs")
    assert data["idea"]["support_count"] == 1


def test_support_without_a_body_is_accepted(client, db):
    idea = f.idea()
    response = client.post(f"/api/v1/ideas/{idea.id}/supports", headers=bearer(f.user()))
    assert response.status_code == 201


def test_second_support_is_409_already_supporting(client, db):
    idea, headers = f.idea(), bearer(f.user())
    assert _support(client, idea, headers).status_code == 201
    response = _support(client, idea, headers)
    assert response.status_code == 409
    assert response.get_json()["error"]["code"] == "already_supporting"


def test_own_idea_is_403_own_idea(client, db):
    owner = f.user()
    response = _support(client, f.idea(owner), bearer(owner))
    assert response.status_code == 403
    assert response.get_json()["error"]["code"] == "own_idea"


def test_unconfirmed_member_gets_403_email_not_confirmed(client, db):
    response = _support(client, f.idea(), bearer(f.user(confirmed=False)))
    assert response.status_code == 403
    assert response.get_json()["error"]["code"] == "email_not_confirmed"


def test_support_without_token_is_401(client, db):
    assert _support(client, f.idea(), {}).status_code == 401


def test_expired_idea_is_409_not_gathering_before_expire_runs(client, db):
    idea = f.idea(deadline=utcnow() - timedelta(minutes=1))
    response = _support(client, idea, bearer(f.user()))
    assert response.status_code == 409
    assert response.get_json()["error"]["code"] == "not_gathering"


@pytest.mark.parametrize("fields", [{"status": "draft"}, {"status": "pending_moderation"},
                                    {"hidden": True}])
def test_idea_the_caller_cannot_see_is_404(client, db, fields):
    assert _support(client, f.idea(**fields), bearer(f.user())).status_code == 404


def test_unknown_idea_is_404(client, db):
    response = client.post("/api/v1/ideas/999999/supports", json={}, headers=bearer(f.user()))
    assert response.status_code == 404


@pytest.mark.parametrize("body, field", [
    ({"would_buy": "definitely"}, "would_buy"),
    ({"price": {"amount": 12.5, "currency": "USD"}}, "price"),
    ({"price": {"amount": "1000", "currency": "JPY"}}, "price"),
    ({"price": {"amount": -5, "currency": "JPY"}}, "price"),
    ({"price": {"amount": 100, "currency": "ZZZ"}}, "price"),
    ({"reason": "x" * 501}, "reason"),
])
def test_bad_answers_are_422_with_fields(client, db, body, field):
    idea = f.idea()
    response = _support(client, idea, bearer(f.user()), body)
    assert response.status_code == 422
    assert field in response.get_json()["error"]["fields"]
    db.session.refresh(idea)
    assert idea.support_count == 0


def test_non_json_body_is_400(client, db):
    response = client.post(f"/api/v1/ideas/{f.idea().id}/supports", data="would_buy=yes",
                           headers={**bearer(f.user()), "Content-Type": "text/plain"})
    assert response.status_code == 400


def test_supporter_withdraws_with_204(client, db):
    idea, headers = f.idea(), bearer(f.user())
    _support(client, idea, headers)
    response = client.delete(f"/api/v1/ideas/{idea.id}/supports", headers=headers)
    assert response.status_code == 204
    db.session.refresh(idea)
    assert idea.support_count == 0
    assert db.session.scalar(select(Support).where(Support.idea_id == idea.id)) is None


def test_withdrawing_after_qualification_is_409(client, db):
    member = f.user()
    idea = f.idea(status="qualified")
    f.support(idea, member)
    response = client.delete(f"/api/v1/ideas/{idea.id}/supports", headers=bearer(member))
    assert response.status_code == 409
    assert response.get_json()["error"]["code"] == "not_gathering"


def test_cookie_session_needs_csrf_for_support(client, db):
    idea, member = f.idea(), f.user()
    login(client, member)
    assert client.post(f"/api/v1/ideas/{idea.id}/supports", json={}).status_code == 400
    token = csrf_token(client)
    response = client.post(f"/api/v1/ideas/{idea.id}/supports", json={},
                           headers={"X-CSRFToken": token})
    assert response.status_code == 201


def test_follow_and_unfollow(client, db):
    idea, member = f.idea(), f.user()
    headers = bearer(member)
    response = client.post(f"/api/v1/ideas/{idea.id}/follow", headers=headers)
    assert response.status_code == 201 and response.get_json()["following"] is True
    assert client.post(f"/api/v1/ideas/{idea.id}/follow", headers=headers).status_code == 200
    assert client.delete(f"/api/v1/ideas/{idea.id}/follow", headers=headers).status_code == 204
    assert db.session.scalar(select(IdeaFollow).where(IdeaFollow.user_id == member.id)) is None


def test_following_a_hidden_idea_is_404(client, db):
    response = client.post(f"/api/v1/ideas/{f.idea(hidden=True).id}/follow",
                           headers=bearer(f.user()))
    assert response.status_code == 404


def test_owner_resubmits_expired_idea(client, db):
    owner = f.user()
    idea = f.idea(owner, status="expired")
    response = client.post(f"/api/v1/ideas/{idea.id}/resubmit", headers=bearer(owner))
    assert response.status_code == 201
    assert response.get_json()["status"] == "draft"
    assert response.get_json()["resubmitted_from_id"] == idea.id


def test_other_member_cannot_resubmit(client, db):
    idea = f.idea(status="expired")
    response = client.post(f"/api/v1/ideas/{idea.id}/resubmit", headers=bearer(f.user()))
    assert response.status_code == 403


def test_endpoints_are_described_in_openapi(client, db):
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    assert {"post", "delete"} <= set(paths["/ideas/{id}/supports"])
    assert "409" in paths["/ideas/{id}/supports"]["post"]["responses"]
    assert {"get", "post"} <= set(paths["/ideas/{id}/comments"])
    assert {"patch", "delete"} <= set(paths["/comments/{id}"])
    assert "post" in paths["/comments/{id}/reports"]
