"""The Review endpoints of API.md: exact paths, fields and status codes."""
from datetime import date

from sqlalchemy import select

from app.extensions import db
from app.models import Product
from app.models.review import AXES
from app.services import review as rs
from tests import factories as f
from tests.helpers import bearer


def body(value=2, rationale="Solid reasoning.", **axes) -> dict:
    """The JSON of PUT /ideas/{id}/scores."""
    return {**f.scores(value, **axes), "rationale": f.rationales(rationale)}


def open_batch(client, admin) -> dict:
    response = client.post("/api/v1/review-batches", headers=bearer(admin),
                           json={"name": "Spring review", "closes_on": "2030-03-31"})
    assert response.status_code == 201, response.json
    return response.json


def test_admin_opens_a_batch_and_waiting_qualified_ideas_join_it(client):
    admin = f.user("admin")
    idea = f.idea(status="qualified")
    batch = open_batch(client, admin)
    assert batch["status"] == "open" and batch["closes_on"] == "2030-03-31"
    assert batch["name"] == "Spring review"
    assert batch["idea_ids"] == [idea.id]
    db.session.refresh(idea)
    assert idea.status == "in_review"


def test_a_second_open_batch_is_a_conflict(client):
    admin = f.user("admin")
    open_batch(client, admin)
    response = client.post("/api/v1/review-batches", headers=bearer(admin),
                           json={"name": "Again", "closes_on": "2030-04-30"})
    assert response.status_code == 409
    assert response.json["error"]["code"] == "batch_already_open"


def test_opening_a_batch_validates_every_field(client):
    admin = f.user("admin")
    for payload, fields in (({"name": "", "closes_on": "2030-13-01"}, {"name", "closes_on"}),
                            ({"name": 5, "closes_on": 20300101}, {"name", "closes_on"}),
                            ({}, {"name", "closes_on"}),
                            ({"name": "Ok", "closes_on": "31/03/2030"}, {"closes_on"})):
        response = client.post("/api/v1/review-batches", headers=bearer(admin), json=payload)
        assert response.status_code == 422, payload
        assert set(response.json["error"]["fields"]) == fields
    response = client.post("/api/v1/review-batches", headers=bearer(admin), data="not json",
                           content_type="application/json")
    assert response.status_code == 400


def test_only_admins_open_batches(client):
    payload = {"name": "Mine", "closes_on": "2030-01-01"}
    assert client.post("/api/v1/review-batches", json=payload).status_code == 401
    assert client.post("/api/v1/review-batches", headers=bearer(f.user("reviewer")),
                       json=payload).status_code == 403


def test_the_queue_lists_ideas_awaiting_this_reviewers_scores(client):
    admin, reviewer = f.user("admin"), f.user("reviewer")
    idea = f.idea(status="qualified", title="Quiet stroller wheels")
    f.idea(reviewer, status="qualified")  # their own idea: a conflict of interest
    open_batch(client, admin)
    response = client.get("/api/v1/review/queue", headers=bearer(reviewer))
    assert response.status_code == 200
    data = response.json
    assert set(data) >= {"items", "page", "per_page", "total"}
    assert [item["id"] for item in data["items"]] == [idea.id]  # never their own idea
    assert data["items"][0]["title"] == "Quiet stroller wheels"
    client.put(f"/api/v1/ideas/{idea.id}/scores", headers=bearer(reviewer), json=body())
    assert client.get("/api/v1/review/queue", headers=bearer(reviewer)).json["total"] == 0


def test_a_reviewer_scores_an_idea(client):
    admin, reviewer = f.user("admin"), f.user("reviewer")
    idea = f.idea(status="qualified")
    open_batch(client, admin)
    response = client.put(f"/api/v1/ideas/{idea.id}/scores", headers=bearer(reviewer),
                          json=body(3, feasibility=1))
    assert response.status_code == 200
    review = response.json
    assert review["customer_value"] == 3 and review["feasibility"] == 1
    assert review["rationale"]["uniqueness"] == "Solid reasoning."
    assert review["reviewer"]["id"] == reviewer.id


def test_scores_out_of_range_or_without_rationale_are_422_with_fields(client):
    admin, reviewer = f.user("admin"), f.user("reviewer")
    idea = f.idea(status="qualified")
    open_batch(client, admin)
    url = f"/api/v1/ideas/{idea.id}/scores"
    bad = body(uniqueness=4, marketability="2")
    bad["rationale"]["feasibility"] = ""
    response = client.put(url, headers=bearer(reviewer), json=bad)
    assert response.status_code == 422
    assert set(response.json["error"]["fields"]) == {"uniqueness", "marketability",
                                                     "rationale.feasibility"}
    no_rationale = body()
    del no_rationale["rationale"]
    response = client.put(url, headers=bearer(reviewer), json=no_rationale)
    assert response.status_code == 422 and "rationale" in response.json["error"]["fields"]
    assert client.put(url, headers=bearer(reviewer), json=[1, 2]).status_code == 400


def test_scoring_an_idea_you_supported_is_403_conflict_of_interest(client):
    admin, reviewer = f.user("admin"), f.user("reviewer")
    idea = f.idea(status="qualified")
    f.support(idea, reviewer)
    open_batch(client, admin)
    response = client.put(f"/api/v1/ideas/{idea.id}/scores", headers=bearer(reviewer),
                          json=body())
    assert response.status_code == 403
    assert response.json["error"]["code"] == "conflict_of_interest"
    assert "supported" in response.json["error"]["message"]


def test_scores_are_blind_until_you_have_scored(client):
    admin = f.user("admin")
    first, second = f.user("reviewer"), f.user("reviewer")
    idea = f.idea(status="qualified")
    open_batch(client, admin)
    url = f"/api/v1/ideas/{idea.id}/scores"
    client.put(url, headers=bearer(first), json=body(3))
    response = client.get(url, headers=bearer(second))
    assert response.status_code == 403
    assert response.json["error"]["code"] == "scores_hidden"
    client.put(url, headers=bearer(second), json=body(2))
    assert client.get(url, headers=bearer(second)).status_code == 200
    assert client.get(url, headers=bearer(admin)).status_code == 200


def test_scores_show_exact_means_total_and_priority(client):
    admin = f.user("admin")
    idea = f.idea(status="qualified")
    open_batch(client, admin)
    url = f"/api/v1/ideas/{idea.id}/scores"
    for value in (3, 2, 2):
        assert client.put(url, headers=bearer(f.user("reviewer")),
                          json=body(value, feasibility=2, marketability=3 if value == 3 else 2)
                          ).status_code == 200
    data = client.get(url, headers=bearer(admin)).json
    assert len(data["reviews"]) == 3
    assert data["axis_means"] == {"customer_value": 2.3333, "uniqueness": 2.3333,
                                  "feasibility": 2, "marketability": 2.3333}
    assert data["exact"]["axis_means"]["customer_value"] == "7/3"
    assert data["exact"]["total"] == "9"
    assert data["total"] == 9
    assert data["priority"] is True


def test_two_and_a_half_is_two_and_a_half(client):
    admin = f.user("admin")
    idea = f.idea(status="qualified")
    open_batch(client, admin)
    url = f"/api/v1/ideas/{idea.id}/scores"
    client.put(url, headers=bearer(f.user("reviewer")), json=body(3))
    client.put(url, headers=bearer(f.user("reviewer")), json=body(2))
    data = client.get(url, headers=bearer(admin)).json
    assert data["axis_means"]["uniqueness"] == 2.5
    assert data["total"] == 10


def test_a_decision_with_fewer_reviewers_than_required_is_409(client):
    admin = f.user("admin")
    idea = f.idea(status="qualified")
    open_batch(client, admin)
    client.put(f"/api/v1/ideas/{idea.id}/scores", headers=bearer(f.user("reviewer")), json=body())
    response = client.post(f"/api/v1/ideas/{idea.id}/decision", headers=bearer(admin),
                           json={"decision": "approved", "message": "Great idea."})
    assert response.status_code == 409
    assert response.json["error"]["code"] == "not_enough_reviewers"


def test_decision_fields_are_validated(client):
    admin = f.user("admin")
    idea = f.idea(status="qualified")
    open_batch(client, admin)
    response = client.post(f"/api/v1/ideas/{idea.id}/decision", headers=bearer(admin),
                           json={"decision": "yes", "message": 3})
    assert response.status_code == 422
    assert set(response.json["error"]["fields"]) == {"decision", "message"}


def test_publishing_makes_the_decision_public_and_the_result_visible_to_creators(client):
    admin, creator, stranger = f.user("admin"), f.user(), f.user()
    idea = f.idea(creator, status="qualified")
    batch = open_batch(client, admin)
    for value in (3, 2):
        client.put(f"/api/v1/ideas/{idea.id}/scores", headers=bearer(f.user("reviewer")),
                   json=body(value))
    response = client.post(f"/api/v1/ideas/{idea.id}/decision", headers=bearer(admin),
                           json={"decision": "approved", "message": "We will make it."})
    assert response.status_code == 200
    assert response.json["decision"] == "approved"

    review_url = f"/api/v1/ideas/{idea.id}/review"
    assert client.get(review_url, headers=bearer(creator)).status_code == 404
    assert client.get(review_url, headers=bearer(admin)).status_code == 200

    response = client.post(f"/api/v1/review-batches/{batch['id']}/publish", headers=bearer(admin))
    assert response.status_code == 200
    assert response.json["status"] == "published"
    assert response.json["items"][0]["idea"]["status"] == "approved"
    db.session.refresh(idea)
    assert idea.status == "approved"
    assert db.session.scalar(select(Product).where(Product.idea_id == idea.id)) is not None

    result = client.get(review_url, headers=bearer(creator))
    assert result.status_code == 200
    assert result.json["decision"] == "approved"
    assert result.json["message"] == "We will make it."
    assert result.json["axis_means"] == {axis: 2.5 for axis in AXES}
    assert result.json["total"] == 10 and result.json["priority"] is True
    assert client.get(review_url, headers=bearer(stranger)).status_code == 404
    assert client.get(review_url).status_code == 404


def test_publishing_twice_or_with_undecided_ideas_is_409(client):
    admin = f.user("admin")
    f.idea(status="qualified")
    batch = open_batch(client, admin)
    url = f"/api/v1/review-batches/{batch['id']}/publish"
    response = client.post(url, headers=bearer(admin))
    assert response.status_code == 409
    assert response.json["error"]["code"] == "decisions_missing"
    assert client.post("/api/v1/review-batches/999/publish",
                       headers=bearer(admin)).status_code == 404


def test_admin_assigns_reviewers_and_reviewers_take_ideas(client):
    admin, reviewer, taker = f.user("admin"), f.user("reviewer"), f.user("reviewer")
    supporter = f.user("reviewer")
    idea = f.idea(status="qualified")
    f.support(idea, supporter)
    open_batch(client, admin)
    url = f"/api/v1/ideas/{idea.id}/reviewers"
    assert client.post(url, headers=bearer(admin), json={"reviewer_id": reviewer.id}).status_code == 201
    assert client.post(url, headers=bearer(admin), json={"reviewer_id": reviewer.id}).status_code == 200
    assert client.post(url, headers=bearer(taker)).status_code == 201
    conflict = client.post(url, headers=bearer(admin), json={"reviewer_id": supporter.id})
    assert conflict.status_code == 403 and conflict.json["error"]["code"] == "conflict_of_interest"
    assert client.post(url, headers=bearer(taker), json={"reviewer_id": reviewer.id}).status_code == 403
    assert client.post(url, headers=bearer(admin), json={"reviewer_id": "x"}).status_code == 422
    assert client.delete(f"{url}/{reviewer.id}", headers=bearer(admin)).status_code == 204
    queue = client.get("/api/v1/review/queue", headers=bearer(taker)).json
    assert queue["items"][0]["assigned"] is True


def test_calibration_endpoint_reports_spread(client):
    admin = f.user("admin")
    idea = f.idea(status="qualified")
    batch = open_batch(client, admin)
    url = f"/api/v1/ideas/{idea.id}/scores"
    client.put(url, headers=bearer(f.user("reviewer")), json=body(1))
    client.put(url, headers=bearer(f.user("reviewer")), json=body(3))
    data = client.get(f"/api/v1/review-batches/{batch['id']}/calibration",
                      headers=bearer(admin)).json
    (row,) = data["items"]
    assert row["axes"]["uniqueness"] == {"min": 1, "max": 3, "spread": 2, "mean": 2,
                                         "flagged": True}


def test_review_endpoints_are_described_in_openapi(client):
    paths = client.get("/api/v1/openapi.json").json["paths"]
    for path, method in (("/review-batches", "post"), ("/review/queue", "get"),
                         ("/ideas/{idea_id}/scores", "put"), ("/ideas/{idea_id}/scores", "get"),
                         ("/ideas/{idea_id}/decision", "post"),
                         ("/review-batches/{batch_id}/publish", "post"),
                         ("/ideas/{idea_id}/review", "get")):
        assert method in paths[path], path
        assert paths[path][method]["summary"] != ""


def test_rationale_is_returned_as_plain_json_not_html(client):
    admin, reviewer = f.user("admin"), f.user("reviewer")
    idea = f.idea(status="qualified")
    open_batch(client, admin)
    response = client.put(f"/api/v1/ideas/{idea.id}/scores", headers=bearer(reviewer),
                          json=body(rationale="<script>alert(1)</script>"))
    assert response.json["rationale"]["customer_value"] == "<script>alert(1)</script>"
    assert response.content_type.startswith("application/json")


def test_batches_can_be_listed_and_closed(client):
    admin = f.user("admin")
    batch = open_batch(client, admin)
    listing = client.get("/api/v1/review-batches", headers=bearer(admin)).json
    assert listing["total"] == 1 and listing["items"][0]["id"] == batch["id"]
    closed = client.post(f"/api/v1/review-batches/{batch['id']}/close", headers=bearer(admin))
    assert closed.status_code == 200 and closed.json["status"] == "closed"
    assert rs.current_open_batch() is None
    assert date.fromisoformat(closed.json["closes_on"]) == date(2030, 3, 31)
