"""The ideas API: drafting, images, co-creators, consent, submission and moderation, with every
status code API.md names for these endpoints."""
from __future__ import annotations

import io

import pytest
from PIL import Image
from sqlalchemy import select

from app.models import Consent, Idea, Product
from tests import factories
from tests.helpers import bearer, csrf_token, login

IDEA = {"title": "Quiet stroller wheels", "pitch": "No noise on trains",
        "description": "It **rolls**.", "category": "kids", "tags": ["Travel", "kids"],
        "insight": dict(factories.GUIDED_INSIGHT_JSON)}
IDEA_FIELDS = {"id", "title", "pitch", "description", "category", "tags", "insight", "status",
               "support_count", "next_milestone", "deadline", "creators", "images", "product_id",
               "campaign_id", "staff_picked_at"}


def png(size=(40, 30)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (10, 120, 200)).save(buffer, "PNG")
    return buffer.getvalue()


def version() -> str:
    return factories.current_agreement().version


def create(client, user, body=None, status=201):
    response = client.post("/api/v1/ideas", json=IDEA if body is None else body,
                           headers=bearer(user))
    assert response.status_code == status, response.get_data(as_text=True)
    return response.get_json()


def upload(client, user, idea_id, data, name="photo.png"):
    return client.post(f"/api/v1/ideas/{idea_id}/images", headers=bearer(user),
                       data={"file": (io.BytesIO(data), name)},
                       content_type="multipart/form-data")


# --- create, read, change, delete -----------------------------------------------------------

def test_member_creates_a_draft(client):
    owner = factories.user()
    body = create(client, owner)
    assert set(body) == IDEA_FIELDS
    assert body["status"] == "draft"
    assert body["category"] == "kids" and body["tags"] == ["kids", "travel"]
    assert body["insight"] == {**IDEA["insight"], "situation": IDEA["insight"]["scene"],
                               "emotion": IDEA["insight"]["conflict"],
                               "purpose": IDEA["insight"]["success"]}
    assert body["creators"] == [{"user_id": owner.id, "display_name": owner.display_name,
                                 "share_bps": 10_000, "is_owner": True, "consented": False}]
    assert body["images"] == [] and body["product_id"] is None and body["deadline"] is None


def test_create_needs_a_token(client):
    assert client.post("/api/v1/ideas", json=IDEA).status_code == 401


def test_unconfirmed_member_cannot_create(client):
    response = client.post("/api/v1/ideas", json=IDEA,
                           headers=bearer(factories.user(confirmed=False)))
    assert response.status_code == 403
    assert response.get_json()["error"]["code"] == "email_not_confirmed"


def test_non_json_body_is_400(client):
    response = client.post("/api/v1/ideas", data="title=x", headers=bearer(factories.user()),
                           content_type="application/x-www-form-urlencoded")
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "malformed_json"


@pytest.mark.parametrize("body,field", [
    ({"title": 12}, "title"), ({"title": "x" * 121}, "title"), ({}, "title"),
    ({"title": "ok", "tags": "a, b"}, "tags"), ({"title": "ok", "tags": list("abcdefghijk")}, "tags"),
    ({"title": "ok", "category": "nope"}, "category"),
    ({"title": "ok", "insight": {"situation": 3}}, "insight.situation"),
    ({"title": "ok", "insight": "text"}, "insight"),
    ({"title": "ok", "insight": {"scene": "test"}}, "insight.scene"),
    ({"title": "ok", "insight": {"whys": ["Because it matters", "asdf"]}}, "insight.whys.1"),
    ({"title": "ok", "insight": {"whys": "because"}}, "insight.whys"),
])
def test_invalid_fields_are_422_with_fields(client, body, field):
    error = create(client, factories.user(), body, status=422)["error"]
    assert field in error["fields"]


def test_get_shows_a_published_idea_to_anyone(client):
    idea = factories.idea(supports=3)
    body = client.get(f"/api/v1/ideas/{idea.id}").get_json()
    assert set(body) == IDEA_FIELDS
    assert body["status"] == "published" and body["support_count"] == 3
    assert body["next_milestone"] == 100 and body["deadline"].startswith(str(idea.deadline.year))


def test_get_reports_effective_status_and_product(client, db):
    from datetime import timedelta

    from app.models.base import utcnow

    expired = factories.idea(deadline=utcnow() - timedelta(days=1))
    assert client.get(f"/api/v1/ideas/{expired.id}").get_json()["status"] == "expired"
    approved = factories.idea(status="approved")
    product = Product(idea_id=approved.id, name="P", royalty_rate_bps=100)
    db.session.add(product)
    db.session.commit()
    assert client.get(f"/api/v1/ideas/{approved.id}").get_json()["product_id"] == product.id


@pytest.mark.parametrize("kind", ["draft", "hidden", "pending", "absent"])
def test_ideas_others_may_not_see_are_404(client, kind):
    if kind == "absent":
        idea_id = 999_999
    elif kind == "hidden":
        idea_id = factories.idea(hidden=True).id
    else:
        idea_id = factories.idea(status="draft" if kind == "draft" else "pending_moderation").id
    response = client.get(f"/api/v1/ideas/{idea_id}", headers=bearer(factories.user()))
    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "idea_not_found"


def test_creator_sees_own_draft(client):
    owner = factories.user()
    idea = factories.idea(owner, status="draft")
    assert client.get(f"/api/v1/ideas/{idea.id}", headers=bearer(owner)).status_code == 200


def test_patch_changes_some_fields(client):
    owner = factories.user()
    body = create(client, owner)
    response = client.patch(f"/api/v1/ideas/{body['id']}", headers=bearer(owner),
                            json={"pitch": "Better", "insight": {"emotion": "Calm"}})
    assert response.status_code == 200
    updated = response.get_json()
    assert updated["pitch"] == "Better" and updated["title"] == IDEA["title"]
    assert updated["insight"]["emotion"] == "Calm" == updated["insight"]["conflict"]
    assert updated["insight"]["situation"] == IDEA["insight"]["scene"]


def test_patch_by_someone_else_is_403_or_404(client):
    owner, other = factories.user(), factories.user()
    published = factories.idea(owner)
    draft = factories.idea(owner, status="draft")
    assert client.patch(f"/api/v1/ideas/{published.id}", json={"title": "x"},
                        headers=bearer(other)).status_code == 403
    assert client.patch(f"/api/v1/ideas/{draft.id}", json={"title": "x"},
                        headers=bearer(other)).status_code == 404


def test_patch_in_wrong_status_is_409(client):
    owner = factories.user()
    idea = factories.idea(owner, status="pending_moderation")
    response = client.patch(f"/api/v1/ideas/{idea.id}", json={"title": "x"},
                            headers=bearer(owner))
    assert response.status_code == 409
    assert response.get_json()["error"]["code"] == "idea_not_editable"


def test_patch_with_bad_field_is_422(client):
    owner = factories.user()
    body = create(client, owner)
    response = client.patch(f"/api/v1/ideas/{body['id']}", json={"tags": "x" * 50},
                            headers=bearer(owner))
    assert response.status_code == 422 and "tags" in response.get_json()["error"]["fields"]


def test_cookie_session_needs_csrf_for_api_writes(client):
    owner = factories.user()
    login(client, owner)
    assert client.post("/api/v1/ideas", json=IDEA).status_code == 400
    token = csrf_token(client)
    assert client.post("/api/v1/ideas", json=IDEA, headers={"X-CSRFToken": token}).status_code \
        == 201


def test_owner_deletes_a_draft(client, db):
    owner = factories.user()
    body = create(client, owner)
    other = factories.user()
    assert client.delete(f"/api/v1/ideas/{body['id']}", headers=bearer(other)).status_code == 404
    assert client.delete(f"/api/v1/ideas/{body['id']}", headers=bearer(owner)).status_code == 204
    assert db.session.get(Idea, body["id"]) is None
    published = factories.idea(owner)
    assert client.delete(f"/api/v1/ideas/{published.id}", headers=bearer(owner)).status_code \
        == 409


# --- images ---------------------------------------------------------------------------------

def test_upload_image_returns_its_urls_and_serves_them(client):
    owner = factories.user()
    body = create(client, owner)
    response = upload(client, owner, body["id"], png())
    assert response.status_code == 201, response.get_data(as_text=True)
    image = response.get_json()
    assert set(image) == {"id", "urls"} and set(image["urls"]) == {"thumb", "card", "large"}
    served = client.get(image["urls"]["thumb"], headers=bearer(owner))
    # the draft's image is not public: the anonymous client gets 404, a creator gets it
    assert client.get(image["urls"]["thumb"]).status_code == 404
    login(client, owner)
    served = client.get(image["urls"]["thumb"])
    assert served.status_code == 200 and served.mimetype == "image/jpeg"
    assert served.data[:2] == b"\xff\xd8"
    idea = client.get(f"/api/v1/ideas/{body['id']}", headers=bearer(owner)).get_json()
    assert idea["images"] == [image]


def test_fake_image_is_422(client):
    owner = factories.user()
    body = create(client, owner)
    response = upload(client, owner, body["id"], b"GIF89a not really", "x.gif")
    assert response.status_code == 422
    assert "file" in response.get_json()["error"]["fields"]


def test_missing_file_field_is_422(client):
    owner = factories.user()
    body = create(client, owner)
    response = client.post(f"/api/v1/ideas/{body['id']}/images", headers=bearer(owner),
                           data={"other": "x"}, content_type="multipart/form-data")
    assert response.status_code == 422


def test_huge_body_is_413(client, app):
    owner = factories.user()
    body = create(client, owner)
    app.config["MAX_CONTENT_LENGTH"] = 1024
    response = upload(client, owner, body["id"], b"\x89PNG" + b"0" * 4096)
    assert response.status_code == 413
    assert response.get_json()["error"]["code"] == "too_large"


def test_image_above_the_image_limit_is_413(client, app):
    owner = factories.user()
    body = create(client, owner)
    app.config["IMAGE_MAX_BYTES"] = 100
    response = upload(client, owner, body["id"], png((300, 300)))
    assert response.status_code == 413


def test_stranger_cannot_upload_to_a_published_idea(client):
    idea = factories.idea()
    response = upload(client, factories.user(), idea.id, png())
    assert response.status_code == 403


# --- co-creators, consent, submission -------------------------------------------------------

def test_full_flow_with_a_co_creator(client, db):
    owner, partner = factories.user(), factories.user()
    body = create(client, owner)
    idea_id = body["id"]
    invited = client.post(f"/api/v1/ideas/{idea_id}/creators", headers=bearer(owner),
                          json={"email": partner.email, "share_bps": 2500})
    assert invited.status_code == 201
    answer = invited.get_json()
    assert answer == {"id": answer["id"], "idea_id": idea_id, "email": partner.email,
                      "share_bps": 2500, "status": "pending",
                      "created_at": answer["created_at"]}

    blocked = client.post(f"/api/v1/ideas/{idea_id}/submit", headers=bearer(owner),
                          json={"agreement_version": version()})
    assert blocked.status_code == 409
    assert blocked.get_json()["error"]["code"] == "consent_missing"

    wrong = client.post(f"/api/v1/ideas/{idea_id}/consent", headers=bearer(partner),
                        json={"agreement_version": "0"})
    assert wrong.status_code == 422 and "agreement_version" in wrong.get_json()["error"]["fields"]
    consent = client.post(f"/api/v1/ideas/{idea_id}/consent",
                          headers={**bearer(partner), "User-Agent": "KyosoTest/1"},
                          json={"agreement_version": version()})
    assert consent.status_code == 201  # consenting accepts the invitation
    assert consent.get_json()["share_bps"] == 2500
    assert consent.get_json()["email"] == partner.email
    assert consent.get_json()["email_confirmed_at"] == partner.email_confirmed_at.isoformat()
    row = db.session.get(Consent, consent.get_json()["id"])
    assert row.user_agent == "KyosoTest/1" and row.ip_address

    submitted = client.post(f"/api/v1/ideas/{idea_id}/submit", headers=bearer(owner),
                            json={"agreement_version": version()})
    assert submitted.status_code == 200
    idea = submitted.get_json()
    assert idea["status"] == "pending_moderation"
    assert {c["user_id"]: (c["share_bps"], c["consented"]) for c in idea["creators"]} == {
        owner.id: (7500, True), partner.id: (2500, True)}


def test_submit_with_wrong_version_is_422(client):
    owner = factories.user()
    body = create(client, owner)
    response = client.post(f"/api/v1/ideas/{body['id']}/submit", headers=bearer(owner),
                           json={"agreement_version": "99"})
    assert response.status_code == 422
    assert "agreement_version" in response.get_json()["error"]["fields"]


def test_submit_by_co_creator_is_403(client):
    owner, partner = factories.user(), factories.user()
    body = create(client, owner)
    client.post(f"/api/v1/ideas/{body['id']}/creators", headers=bearer(owner),
                json={"email": partner.email, "share_bps": 100})
    factories.join_invitation(body["id"], partner)
    response = client.post(f"/api/v1/ideas/{body['id']}/submit", headers=bearer(partner),
                           json={"agreement_version": version()})
    assert response.status_code == 403


def test_submit_missing_insight_is_422(client):
    owner = factories.user()
    body = create(client, owner, {"title": "Only a title"})
    response = client.post(f"/api/v1/ideas/{body['id']}/submit", headers=bearer(owner),
                           json={"agreement_version": version()})
    assert response.status_code == 422
    assert {"insight.scene", "insight.whys.0", "insight.core", "pitch", "category"} <= set(
        response.get_json()["error"]["fields"])


def test_invite_validation(client):
    owner, partner = factories.user(), factories.user()
    body = create(client, owner)
    url = f"/api/v1/ideas/{body['id']}/creators"
    assert client.post(url, headers=bearer(owner),
                       json={"email": partner.email, "share_bps": 10_000}).status_code == 422
    assert client.post(url, headers=bearer(owner),
                       json={"email": partner.email, "share_bps": "10"}).status_code == 422
    assert client.post(url, headers=bearer(owner),
                       json={"email": "ghost@", "share_bps": 10}).status_code == 422
    assert client.post(url, headers=bearer(owner),
                       json={"email": partner.email, "share_bps": 10}).status_code == 201
    assert client.post(url, headers=bearer(owner),
                       json={"email": partner.email, "share_bps": 10}).status_code == 409
    published = factories.idea(owner)
    assert client.post(f"/api/v1/ideas/{published.id}/creators", headers=bearer(owner),
                       json={"email": partner.email, "share_bps": 10}).status_code == 409


def test_consent_by_a_stranger_is_403_or_404(client):
    owner = factories.user()
    draft = factories.idea(owner, status="draft")
    published = factories.idea(owner)
    stranger = factories.user()
    body = {"agreement_version": version()}
    assert client.post(f"/api/v1/ideas/{draft.id}/consent", json=body,
                       headers=bearer(stranger)).status_code == 404
    assert client.post(f"/api/v1/ideas/{published.id}/consent", json=body,
                       headers=bearer(stranger)).status_code == 403


# --- moderation -----------------------------------------------------------------------------

def pending(client, owner):
    body = create(client, owner)
    response = client.post(f"/api/v1/ideas/{body['id']}/submit", headers=bearer(owner),
                           json={"agreement_version": version()})
    assert response.status_code == 200
    return body["id"]


def test_moderator_publishes(client):
    owner, moderator = factories.user(), factories.user("moderator")
    idea_id = pending(client, owner)
    response = client.post(f"/api/v1/ideas/{idea_id}/moderation", headers=bearer(moderator),
                           json={"decision": "publish"})
    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == "published" and body["next_milestone"] == 100
    assert body["deadline"] is not None
    assert client.get(f"/api/v1/ideas/{idea_id}").status_code == 200  # public now
    again = client.post(f"/api/v1/ideas/{idea_id}/moderation", headers=bearer(moderator),
                        json={"decision": "publish"})
    assert again.status_code == 409


def test_moderation_validation_and_roles(client):
    owner, moderator = factories.user(), factories.user("moderator")
    idea_id = pending(client, owner)
    url = f"/api/v1/ideas/{idea_id}/moderation"
    assert client.post(url, headers=bearer(moderator),
                       json={"decision": "reject"}).status_code == 422
    assert client.post(url, headers=bearer(moderator),
                       json={"decision": "maybe", "reason": "x"}).status_code == 422
    assert client.post(url, headers=bearer(owner),
                       json={"decision": "publish"}).status_code == 403
    assert client.post(url, headers=bearer(factories.user()),
                       json={"decision": "publish"}).status_code == 404
    assert client.post(url, json={"decision": "publish"}).status_code == 401
    response = client.post(url, headers=bearer(moderator),
                           json={"decision": "needs_changes", "reason": "Add a picture"})
    assert response.status_code == 200 and response.get_json()["status"] == "needs_changes"


def test_hidden_idea_is_404_for_others_and_200_for_creators(client):
    owner, moderator = factories.user(), factories.user("moderator")
    idea = factories.idea(owner)
    assert client.post(f"/api/v1/ideas/{idea.id}/hide", headers=bearer(moderator),
                       json={"reason": "Copyright"}).status_code == 200
    assert client.get(f"/api/v1/ideas/{idea.id}").status_code == 404
    assert client.get(f"/api/v1/ideas/{idea.id}", headers=bearer(owner)).status_code == 200
    assert client.post(f"/api/v1/ideas/{idea.id}/unhide",
                       headers=bearer(moderator)).status_code == 200
    assert client.get(f"/api/v1/ideas/{idea.id}").status_code == 200


def test_merge_endpoint(client, db):
    moderator = factories.user("moderator")
    target, source = factories.idea(supports=1), factories.idea(supports=2)
    response = client.post(f"/api/v1/ideas/{source.id}/merge", headers=bearer(moderator),
                           json={"target_id": target.id})
    assert response.status_code == 200 and response.get_json()["support_count"] == 3
    assert client.post(f"/api/v1/ideas/{source.id}/merge", headers=bearer(moderator),
                       json={"target_id": "x"}).status_code == 422


def test_block_endpoint(client):
    moderator, member = factories.user("moderator"), factories.user()
    headers = bearer(member)
    assert client.post(f"/api/v1/moderation/users/{member.id}/block", headers=bearer(moderator),
                       json={"reason": "spam"}).status_code == 200
    assert client.get("/api/v1/me", headers=headers).status_code == 401  # its token stops working


def test_withdraw_endpoint(client):
    owner = factories.user()
    idea = factories.idea(owner)
    assert client.post(f"/api/v1/ideas/{idea.id}/withdraw",
                       headers=bearer(factories.user())).status_code == 403
    response = client.post(f"/api/v1/ideas/{idea.id}/withdraw", headers=bearer(owner))
    assert response.status_code == 200 and response.get_json()["status"] == "withdrawn"


# --- categories and the document ------------------------------------------------------------

def test_categories_list(client):
    body = client.get("/api/v1/categories").get_json()
    assert set(body) == {"items", "page", "per_page", "total"}
    assert {"home", "outdoor", "kids"} == {c["slug"] for c in body["items"]}
    assert set(body["items"][0]) == {"id", "slug", "name", "name_ja", "archived"}


def test_endpoints_are_described_in_openapi(client):
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    assert "post" in paths["/ideas"]
    assert {"get", "patch", "delete"} <= set(paths["/ideas/{id}"])
    for path in ("/ideas/{id}/images", "/ideas/{id}/submit", "/ideas/{id}/moderation",
                 "/ideas/{id}/creators", "/ideas/{id}/consent"):
        assert "post" in paths[path]
    assert "multipart/form-data" in paths["/ideas/{id}/images"]["post"]["requestBody"]["content"]


def test_consent_row_records_the_agreement_digest(client, db):
    owner = factories.user()
    pending(client, owner)
    consent = db.session.scalar(select(Consent))
    agreement = factories.current_agreement()
    assert (consent.agreement_id, consent.agreement_sha256) == (agreement.id, agreement.sha256)
