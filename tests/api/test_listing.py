"""GET /api/v1/ideas: the list shape, sorts, filters, validation and visibility."""
from datetime import timedelta

import pytest

from app.models.base import utcnow
from tests import factories
from tests.helpers import bearer, login


def get(client, query="", headers=None, status=200):
    response = client.get(f"/api/v1/ideas{query}", headers=headers or {})
    assert response.status_code == status, response.get_data(as_text=True)
    return response.get_json()


def test_anyone_gets_the_list_shape_with_idea_fields(client):
    idea = factories.idea(title="Lantern hook", pitch="Hang it anywhere", supports=2)
    body = get(client)
    assert set(body) == {"items", "page", "per_page", "total"}
    assert body["total"] == 1 and body["page"] == 1
    item = body["items"][0]
    assert item["id"] == idea.id and item["title"] == "Lantern hook"
    assert item["pitch"] == "Hang it anywhere"
    assert item["status"] == "published" and item["support_count"] == 2


def test_sorts(client):
    now = utcnow()
    factories.idea(title="Many", supports=3, published_at=now - timedelta(days=5),
                   deadline=now + timedelta(days=50), trending_score=5000)
    factories.idea(title="New", published_at=now - timedelta(hours=1),
                   deadline=now + timedelta(days=2))
    factories.idea(title="Sold", status="on_sale")
    titles = lambda q: [i["title"] for i in get(client, q)["items"]]  # noqa: E731
    assert titles("?sort=supported")[0] == "Many"
    assert titles("?sort=newest")[0] == "New"
    assert titles("?sort=expiring") == ["New", "Many"]
    assert titles("?sort=trending")[0] == "Many"


def test_filters_and_search(client):
    factories.idea(title="Tent light", category_slug="outdoor")
    factories.idea(title="Sofa tray", category_slug="home")
    factories.idea(title="Old tent", status="expired", category_slug="outdoor")
    assert [i["title"] for i in get(client, "?category=outdoor&status=published")["items"]] \
        == ["Tent light"]
    assert [i["title"] for i in get(client, "?status=expired")["items"]] == ["Old tent"]
    assert {i["title"] for i in get(client, "?q=tent")["items"]} == {"Tent light", "Old tent"}
    assert get(client, "?tag=none")["total"] == 0


def test_pagination(client):
    for n in range(5):
        factories.idea(title=f"Idea {n}")
    body = get(client, "?sort=newest&page=2&per_page=2")
    assert body["page"] == 2 and body["per_page"] == 2 and body["total"] == 5
    assert len(body["items"]) == 2


@pytest.mark.parametrize("query,field", [("?sort=random", "sort"), ("?status=draft", "status"),
                                         ("?status=hidden", "status"), ("?page=0", "page"),
                                         ("?per_page=1000", "page"), ("?page=x", "page"),
                                         ("?q=" + "x" * 201, "q")])
def test_invalid_parameters_are_422_with_fields(client, query, field):
    body = get(client, query, status=422)
    assert body["error"]["code"] == "invalid"
    assert field in body["error"]["fields"]


@pytest.mark.parametrize("q", ['"', "AND(", "*", "NEAR(", "a\"b", "%", "タ"])
def test_hostile_search_text_never_fails(client, q):
    factories.idea(title="Lamp")
    get(client, "?q=" + q)


@pytest.mark.parametrize("roles", [(), ("moderator",), ("reviewer",), ("finance",), ("admin",),
                                   ("moderator", "admin", "reviewer", "finance")])
def test_hidden_draft_and_pending_ideas_never_appear_for_any_role(client, roles):
    caller = factories.user(*roles)
    for owner in (caller, factories.user()):
        factories.idea(owner, title="Hidden", hidden=True)
        factories.idea(owner, title="Draft", status="draft")
        factories.idea(owner, title="Pending", status="pending_moderation")
        factories.idea(owner, title="Needs changes", status="needs_changes")
        factories.idea(owner, title="Rejected", status="rejected")
        factories.idea(owner, title="Public")
    for sort in ("trending", "supported", "newest", "expiring"):
        for status in ("", "&status=published", "&status=qualified"):
            body = get(client, f"?sort={sort}{status}&per_page=100", headers=bearer(caller))
            assert {i["title"] for i in body["items"]} <= {"Public"}
    assert get(client, "?per_page=100", headers=bearer(caller))["total"] == 2


def test_cookie_session_listing_works_without_csrf(client):
    factories.idea(title="Public")
    login(client, factories.user())
    assert get(client)["total"] == 1


def test_bad_bearer_token_is_401(client):
    response = client.get("/api/v1/ideas", headers={"Authorization": "Bearer nope"})
    assert response.status_code == 401


def test_listing_is_described_in_openapi(client):
    doc = client.get("/api/v1/openapi.json").get_json()
    assert "get" in doc["paths"]["/ideas"]


def test_items_have_the_idea_shape_with_product_id(client, db):
    from app.models import Product

    sold = factories.idea(title="Sold", status="on_sale")
    db.session.add(Product(idea_id=sold.id, name="Sold", royalty_rate_bps=100))
    db.session.commit()
    factories.idea(title="Gathering")
    items = {i["title"]: i for i in get(client, "?sort=newest")["items"]}
    assert items["Sold"]["product_id"] is not None and items["Gathering"]["product_id"] is None
    for field in ("id", "title", "pitch", "status", "support_count", "next_milestone",
                  "deadline", "category", "tags", "creators", "images"):
        assert field in items["Gathering"]
