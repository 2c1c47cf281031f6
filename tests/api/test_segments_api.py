"""POST /api/v1/segments/preview (API.md, "One to one") and the saved segments endpoints."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from app.models import AuditLog, Segment
from tests import factories as f
from tests.helpers import bearer


@pytest.fixture
def manager(app):
    return f.user("community_manager")


def test_preview_answers_count_and_sample(client, manager):
    idea = f.idea()
    fans = [f.user(name=f"Fan {n}") for n in range(12)]
    for fan in fans:
        f.support(idea, fan)
    answer = client.post("/api/v1/segments/preview", headers=bearer(manager),
                         json={"supporters_of": idea.id})
    assert answer.status_code == 200, answer.get_data(as_text=True)
    body = answer.get_json()
    assert set(body) == {"count", "sample"}
    assert body["count"] == 12
    assert len(body["sample"]) == 10
    assert all(set(row) == {"id", "display_name"} for row in body["sample"])
    by_id = {fan.id: fan.display_name for fan in fans}
    assert all(by_id[row["id"]] == row["display_name"] for row in body["sample"])


def test_an_empty_spec_is_every_reachable_member(client, manager):
    f.user(confirmed=False)
    body = client.post("/api/v1/segments/preview", headers=bearer(manager), json={}).get_json()
    assert body["count"] == 1  # the manager: the unconfirmed member is never in a segment


def test_admins_may_preview_and_others_may_not(client):
    assert client.post("/api/v1/segments/preview", headers=bearer(f.user("admin")),
                       json={}).status_code == 200
    for outsider in (f.user(), f.user("moderator"), f.user("finance")):
        answer = client.post("/api/v1/segments/preview", headers=bearer(outsider), json={})
        assert answer.status_code == 403
        assert answer.get_json()["error"]["code"] == "community_staff_only"
    assert client.post("/api/v1/segments/preview", json={}).status_code == 401


@pytest.mark.parametrize("spec, field", [
    ({"unknown": 1}, "unknown"),
    ({"locale": "de"}, "locale"),
    ({"active_within_days": -1}, "active_within_days"),
    ({"roles": ["alien"]}, "roles"),
    ({"categories": ["nowhere"]}, "categories"),
    ({"supporters_of": 999999}, "supporters_of"),
    ({"engagement": 3}, "engagement"),
])
def test_bad_filters_are_422_with_field_errors(client, manager, spec, field):
    answer = client.post("/api/v1/segments/preview", headers=bearer(manager), json=spec)
    assert answer.status_code == 422
    assert set(answer.get_json()["error"]["fields"]) == {field}


def test_an_idea_the_caller_may_not_see_is_422_like_a_missing_one(client, manager):
    draft = f.idea(status="draft")
    missing = client.post("/api/v1/segments/preview", headers=bearer(manager),
                          json={"followers_of": draft.id + 100})
    hidden = client.post("/api/v1/segments/preview", headers=bearer(manager),
                         json={"followers_of": draft.id})
    assert missing.status_code == hidden.status_code == 422
    assert missing.get_json() == hidden.get_json()


def test_a_body_that_is_not_an_object_is_400(client, manager):
    answer = client.post("/api/v1/segments/preview", headers=bearer(manager), json=["locale"])
    assert answer.status_code == 400


def test_saved_segments_round_trip(client, manager, db):
    made = client.post("/api/v1/segments", headers=bearer(manager),
                       json={"name": "Japanese supporters",
                             "spec": {"locale": "ja", "roles": ["supporter"]}})
    assert made.status_code == 201, made.get_data(as_text=True)
    body = made.get_json()
    assert (body["name"], body["spec"], body["created_by_id"]) == (
        "Japanese supporters", {"locale": "ja", "roles": ["supporter"]}, manager.id)
    listed = client.get("/api/v1/segments", headers=bearer(manager)).get_json()
    assert [row["id"] for row in listed["items"]] == [body["id"]]
    assert client.get(f"/api/v1/segments/{body['id']}", headers=bearer(manager)).get_json() == body

    renamed = client.patch(f"/api/v1/segments/{body['id']}", headers=bearer(manager),
                           json={"name": "JA supporters"})
    assert renamed.status_code == 200
    assert renamed.get_json()["spec"] == body["spec"]
    taken = client.post("/api/v1/segments", headers=bearer(manager),
                        json={"name": "ja SUPPORTERS", "spec": {}})
    assert taken.status_code == 409
    assert taken.get_json()["error"]["code"] == "segment_name_taken"
    bad = client.patch(f"/api/v1/segments/{body['id']}", headers=bearer(manager),
                       json={"spec": {"roles": []}})
    assert bad.status_code == 422 and set(bad.get_json()["error"]["fields"]) == {"spec.roles"}

    assert client.delete(f"/api/v1/segments/{body['id']}",
                         headers=bearer(manager)).status_code == 204
    assert client.get(f"/api/v1/segments/{body['id']}",
                      headers=bearer(manager)).status_code == 404
    assert db.session.scalar(select(Segment)) is None
    assert db.session.scalars(select(AuditLog.action).where(
        AuditLog.actor_id == manager.id).order_by(AuditLog.id)).all() == [
        "segment.created", "segment.updated", "segment.deleted"]


def test_saved_segments_are_refused_to_members(client, manager, db):
    saved = client.post("/api/v1/segments", headers=bearer(manager),
                        json={"name": "All", "spec": {}}).get_json()
    member = bearer(f.user())
    assert client.get("/api/v1/segments", headers=member).status_code == 403
    assert client.post("/api/v1/segments", headers=member,
                       json={"name": "Mine", "spec": {}}).status_code == 403
    assert client.patch(f"/api/v1/segments/{saved['id']}", headers=member,
                        json={"name": "Mine"}).status_code == 403
    assert client.delete(f"/api/v1/segments/{saved['id']}", headers=member).status_code == 403
    assert db.session.get(Segment, saved["id"]).name == "All"


def test_the_openapi_document_describes_the_segment(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    schema = spec["components"]["schemas"]["SegmentSpec"]
    assert schema["additionalProperties"] is False
    assert set(schema["properties"]) == {"locale", "active_within_days", "inactive_for_days",
                                         "roles", "supporters_of", "followers_of", "categories",
                                         "engagement"}
    assert schema["properties"]["categories"]["items"]["enum"] == ["home", "kids", "outdoor"]
    assert "post" in spec["paths"]["/segments/preview"]
