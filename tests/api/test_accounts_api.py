"""The accounts API: sign-up, tokens, me, my notifications (API.md, Accounts)."""
from __future__ import annotations

import pytest

from app.extensions import db
from app.models import ApiToken, Notification, User
from app.services import accounts, events
from tests import factories
from tests.helpers import bearer, csrf_token, login

GOOD = {"email": "Api.Fan@Example.com", "password": "river stones 42", "display_name": "Api Fan"}


def test_sign_up_creates_an_unconfirmed_member(client):
    response = client.post("/api/v1/users", json=GOOD)
    assert response.status_code == 201
    body = response.get_json()
    assert body == {"id": body["id"], "email": "api.fan@example.com", "display_name": "Api Fan",
                    "roles": ["member"], "email_confirmed": False}
    assert db.session.get(User, body["id"]).check_password("river stones 42")


def test_sign_up_with_a_taken_email_is_a_conflict(client):
    factories.user(email="api.fan@example.com")
    response = client.post("/api/v1/users", json=GOOD)
    assert response.status_code == 409
    assert response.get_json()["error"]["code"] == "email_taken"


@pytest.mark.parametrize("body, field", [
    ({**GOOD, "password": "short"}, "password"),
    ({**GOOD, "password": "qwertyuiop"}, "password"),
    ({**GOOD, "email": "not-an-email"}, "email"),
    ({**GOOD, "display_name": "   "}, "display_name"),
    ({**GOOD, "display_name": 42}, "display_name"),
    ({"email": GOOD["email"], "password": GOOD["password"]}, "display_name"),
    ({**GOOD, "password": ["river stones 42"]}, "password"),
])
def test_sign_up_with_bad_fields_is_unprocessable(client, body, field):
    response = client.post("/api/v1/users", json=body)
    assert response.status_code == 422
    assert field in response.get_json()["error"]["fields"]
    assert db.session.query(User).count() == 0


@pytest.mark.parametrize("data, content_type", [
    ("email=x", "application/x-www-form-urlencoded"), ("{not json", "application/json"),
    ("[1, 2]", "application/json"),
])
def test_non_json_body_is_malformed(client, data, content_type):
    response = client.post("/api/v1/users", data=data, content_type=content_type)
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "malformed_json"


def test_token_for_good_credentials_then_me(client):
    person = factories.user("reviewer", email="fan@example.com", name="Fan")
    response = client.post("/api/v1/tokens", json={"email": "FAN@example.com",
                                                   "password": factories.PASSWORD})
    assert response.status_code == 201
    body = response.get_json()
    assert body["user"] == {"id": person.id, "email": "fan@example.com", "display_name": "Fan",
                            "roles": ["member", "reviewer"], "email_confirmed": True}
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {body['token']}"})
    assert me.status_code == 200 and me.get_json().items() >= body["user"].items()
    assert me.get_json()["locale"] == "en" and me.get_json()["time_zone"] == "UTC"


@pytest.mark.parametrize("email, password", [
    ("fan@example.com", "wrong password"), ("nobody@example.com", factories.PASSWORD),
])
def test_token_for_bad_credentials_is_refused(client, email, password):
    factories.user(email="fan@example.com")
    response = client.post("/api/v1/tokens", json={"email": email, "password": password})
    assert response.status_code == 401
    assert response.get_json()["error"]["code"] == "bad_credentials"


def test_blocked_account_gets_no_token_and_its_tokens_stop_working(client):
    person = factories.user(email="fan@example.com")
    headers = bearer(person)
    accounts.block_user(None, person, "abuse")
    db.session.commit()
    response = client.post("/api/v1/tokens", json={"email": "fan@example.com",
                                                   "password": factories.PASSWORD})
    assert response.status_code == 401
    assert client.get("/api/v1/me", headers=headers).status_code == 401


def test_token_request_with_missing_fields_is_unprocessable(client):
    response = client.post("/api/v1/tokens", json={"email": "fan@example.com"})
    assert response.status_code == 422
    assert "password" in response.get_json()["error"]["fields"]


def test_me_without_or_with_a_bad_token_is_unauthorized(client):
    assert client.get("/api/v1/me").status_code == 401
    response = client.get("/api/v1/me", headers={"Authorization": "Bearer not-a-real-token"})
    assert response.status_code == 401
    assert response.get_json()["error"]["code"] == "bad_token"
    assert client.get("/api/v1/me", headers={"Authorization": "Basic abc"}).status_code == 401


def test_me_works_with_a_cookie_session(client):
    person = factories.user()
    login(client, person)
    assert client.get("/api/v1/me").get_json()["id"] == person.id


def test_revoking_the_current_token(client):
    person = factories.user()
    headers = bearer(person)
    assert client.delete("/api/v1/tokens/current", headers=headers).status_code == 204
    assert client.get("/api/v1/me", headers=headers).status_code == 401
    assert db.session.query(ApiToken).filter(ApiToken.revoked_at.is_not(None)).count() == 1
    assert client.delete("/api/v1/tokens/current").status_code == 401


def test_password_change_revokes_api_tokens(client):
    person = factories.user()
    headers = bearer(person)
    accounts.change_password(person, factories.PASSWORD, "another good secret")
    db.session.commit()
    assert client.get("/api/v1/me", headers=headers).status_code == 401


def test_my_notifications_are_a_list_of_mine_only(client):
    me, other = factories.user(), factories.user()
    idea = factories.idea(me)
    events.notify([me], "idea_supported", {"name": "First", "title": "Lamp", "count": 2}, idea=idea)
    events.notify([me], "idea_supported", {"name": "Second", "title": "Lamp", "count": 3}, idea=idea)
    events.notify([other], "idea_supported", {"name": "Not mine", "title": "Lamp", "count": 4},
                  idea=idea)
    db.session.commit()
    headers = bearer(me)
    body = client.get("/api/v1/me/notifications?per_page=1", headers=headers).get_json()
    assert body["total"] == 2 and body["page"] == 1 and body["per_page"] == 1
    assert len(body["items"]) == 1 and body["items"][0]["message"] in (
        "First supports “Lamp” (2 supporters).", "Second supports “Lamp” (3 supporters).")
    assert body["items"][0]["kind"] == "idea_supported"
    assert body["items"][0]["params"]["title"] == "Lamp"
    assert body["items"][0]["read"] is False and body["items"][0]["idea_id"] == idea.id
    assert client.get("/api/v1/me/notifications").status_code == 401

    marked = client.post("/api/v1/me/notifications/read", headers=headers)
    assert marked.status_code == 200 and marked.get_json() == {"marked": 2}
    assert db.session.query(Notification).filter_by(user_id=other.id, read_at=None).count() == 1


def test_cookie_session_writes_need_csrf(client):
    me = factories.user()
    login(client, me)
    assert client.post("/api/v1/me/notifications/read").status_code == 400
    token = csrf_token(client, "/me")
    assert client.post("/api/v1/me/notifications/read",
                       headers={"X-CSRFToken": token}).status_code == 200


def test_update_me(client):
    me = factories.user()
    headers = bearer(me)
    response = client.patch("/api/v1/me", headers=headers, json={
        "display_name": "<b>New</b>", "notify_mode": "daily", "locale": "ja"})
    assert response.status_code == 200 and response.get_json()["display_name"] == "<b>New</b>"
    db.session.expire_all()
    stored = db.session.get(User, me.id)
    assert stored.locale == "ja"
    assert set(response.get_json()["notification_preferences"].values()) == {"daily"}
    bad = client.patch("/api/v1/me", headers=headers, json={"notify_mode": "hourly"})
    assert bad.status_code == 422 and "notify_mode" in bad.get_json()["error"]["fields"]


@pytest.mark.parametrize("body", [{"display_name": None}, {"display_name": ""},
                                  {"display_name": 5}, {"bio": None}])
def test_patch_me_refuses_null_and_non_text_names_as_the_document_says(client, body):
    """Issue 10.13: PATCH /me accepted `display_name: null`; the document says a string."""
    me = factories.user(name="Kept Name")
    response = client.patch("/api/v1/me", headers=bearer(me), json=body)
    assert response.status_code == 422
    assert set(response.get_json()["error"]["fields"]) == set(body)
    db.session.expire_all()
    assert db.session.get(User, me.id).display_name == "Kept Name"
    schema = client.get("/api/v1/openapi.json").get_json()["paths"]["/me"]["patch"]
    properties = schema["requestBody"]["content"]["application/json"]["schema"]["properties"]
    assert properties["display_name"]["type"] == "string"  # not nullable


def test_accounts_endpoints_are_in_the_openapi_document(client):
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    assert {"post"} <= set(paths["/users"]) and {"post"} <= set(paths["/tokens"])
    assert "get" in paths["/me"] and "delete" in paths["/tokens/current"]
    assert "409" in paths["/users"]["post"]["responses"]
