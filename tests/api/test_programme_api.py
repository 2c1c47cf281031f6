"""The Programme endpoints of API.md: categories, tags, the programme, payout requests."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.models import AuditLog, Category, Idea, Notification, Tag
from app.models.base import utcnow
from app.models.ledger import Payout
from app.models.programme import PayoutRequest
from app.services import ledger as ledger_service
from tests import factories
from tests.helpers import bearer
from tests.ledger_factories import product, sale

CATEGORY_FIELDS = {"id", "slug", "name", "name_ja", "archived"}


@pytest.fixture
def admin(app):
    return factories.user("admin")


# --- categories ---------------------------------------------------------------------------------

def test_admin_creates_renames_orders_and_archives_a_category(client, admin, db):
    made = client.post("/api/v1/categories", headers=bearer(admin),
                       json={"slug": "kitchen", "name": "Kitchen", "name_ja": "キッチン"})
    assert made.status_code == 201, made.get_data(as_text=True)
    body = made.get_json()
    assert set(body) == CATEGORY_FIELDS
    assert (body["slug"], body["name"], body["name_ja"], body["archived"]) == \
        ("kitchen", "Kitchen", "キッチン", False)
    listed = client.get("/api/v1/categories").get_json()["items"]
    assert listed[-1]["slug"] == "kitchen" and all(set(c) == CATEGORY_FIELDS for c in listed)

    renamed = client.patch(f"/api/v1/categories/{body['id']}", headers=bearer(admin),
                           json={"name": "Kitchen tools", "name_ja": "台所道具"})
    assert renamed.status_code == 200
    assert (renamed.get_json()["name"], renamed.get_json()["name_ja"]) == ("Kitchen tools",
                                                                          "台所道具")
    home = factories.category("home")
    moved = client.patch(f"/api/v1/categories/{home.id}", headers=bearer(admin),
                         json={"position": 50})
    assert moved.status_code == 200
    order = [c["slug"] for c in client.get("/api/v1/categories").get_json()["items"]]
    assert order == ["kids", "outdoor", "kitchen", "home"]  # by position, then name

    archived = client.patch(f"/api/v1/categories/{body['id']}", headers=bearer(admin),
                            json={"archived": True})
    assert archived.status_code == 200 and archived.get_json()["archived"] is True
    offered = {c["slug"] for c in client.get("/api/v1/categories").get_json()["items"]}
    assert "kitchen" not in offered
    everything = client.get("/api/v1/categories?all=1", headers=bearer(admin)).get_json()
    assert "kitchen" in {c["slug"] for c in everything["items"]}
    # ?all=1 is for admins only: anyone else sees the offered ones
    assert {c["slug"] for c in client.get("/api/v1/categories?all=1").get_json()["items"]} \
        == offered
    actions = set(db.session.scalars(select(AuditLog.action).where(
        AuditLog.target_type == "category")))
    assert actions == {"category.created", "category.updated"}


def test_category_refusals(client, admin, db):
    member = factories.user()
    before = db.session.scalar(select(func.count()).select_from(Category))
    taken = client.post("/api/v1/categories", headers=bearer(admin),
                        json={"slug": "home", "name": "Home again"})
    assert taken.status_code == 409 and taken.get_json()["error"]["code"] == "slug_taken"
    for bad in ({"slug": "Has Spaces", "name": "X"}, {"slug": "ok", "name": ""},
                {"slug": "ok"}, {"slug": "ok", "name": "x" * 81}, {"slug": 5, "name": "X"},
                {"slug": "-dash", "name": "X"}):
        response = client.post("/api/v1/categories", headers=bearer(admin), json=bad)
        assert response.status_code == 422, bad
        assert response.get_json()["error"]["fields"]
    assert client.post("/api/v1/categories", headers=bearer(member),
                       json={"slug": "ok", "name": "OK"}).status_code == 403
    assert client.post("/api/v1/categories", json={"slug": "ok", "name": "OK"}).status_code == 401
    home = factories.category("home")
    assert client.patch(f"/api/v1/categories/{home.id}", headers=bearer(member),
                        json={"name": "Mine"}).status_code == 403
    for bad in ({"archived": "yes"}, {"position": -1}, {"name": ""}, {"position": 1.5}):
        assert client.patch(f"/api/v1/categories/{home.id}", headers=bearer(admin),
                            json=bad).status_code == 422, bad
    assert client.patch("/api/v1/categories/999999", headers=bearer(admin),
                        json={"name": "X"}).status_code == 404
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(Category)) == before
    assert factories.category("home").name == "Home & Living"


def test_archived_category_is_refused_for_new_ideas_but_old_ideas_keep_it(client, admin, db):
    owner = factories.user()
    old = factories.idea(owner, status="draft", category_slug="outdoor")
    outdoor = factories.category("outdoor")
    client.patch(f"/api/v1/categories/{outdoor.id}", headers=bearer(admin),
                 json={"archived": True})
    refused = client.post("/api/v1/ideas", headers=bearer(owner),
                          json={"title": "New one", "category": "outdoor"})
    assert refused.status_code == 422
    assert "category" in refused.get_json()["error"]["fields"]
    assert db.session.scalar(select(func.count()).select_from(Idea)
                             .where(Idea.title == "New one")) == 0
    # the old idea keeps it, and saving it with its own category is fine
    kept = client.patch(f"/api/v1/ideas/{old.id}", headers=bearer(owner),
                        json={"title": "Renamed", "category": "outdoor"})
    assert kept.status_code == 200 and kept.get_json()["category"] == "outdoor"
    # another draft cannot move into it
    other = factories.idea(owner, status="draft", category_slug="home")
    moved = client.patch(f"/api/v1/ideas/{other.id}", headers=bearer(owner),
                         json={"category": "outdoor"})
    assert moved.status_code == 422
    assert client.get(f"/api/v1/ideas/{old.id}", headers=bearer(owner)).get_json()["category"] \
        == "outdoor"


# --- tags ---------------------------------------------------------------------------------------

def test_admin_renames_and_merges_tags(client, admin, db):
    owner = factories.user()
    a = client.post("/api/v1/ideas", headers=bearer(owner),
                    json={"title": "One", "tags": ["umbrella", "rain"]}).get_json()
    b = client.post("/api/v1/ideas", headers=bearer(owner),
                    json={"title": "Two", "tags": ["umbrela"]}).get_json()
    tags = {t["name"]: t["id"] for t in
            client.get("/api/v1/tags", headers=bearer(admin)).get_json()["items"]}
    assert {"umbrella", "rain", "umbrela"} <= set(tags)

    renamed = client.patch(f"/api/v1/tags/{tags['rain']}", headers=bearer(admin),
                           json={"name": "Rainy Days"})
    assert renamed.status_code == 200 and renamed.get_json()["name"] == "rainy-days"
    taken = client.patch(f"/api/v1/tags/{tags['umbrela']}", headers=bearer(admin),
                         json={"name": "umbrella"})
    assert taken.status_code == 409 and taken.get_json()["error"]["code"] == "tag_taken"

    merged = client.post(f"/api/v1/tags/{tags['umbrela']}/merge", headers=bearer(admin),
                         json={"into": tags["umbrella"]})
    assert merged.status_code == 200 and merged.get_json()["name"] == "umbrella"
    db.session.expire_all()
    assert db.session.get(Tag, tags["umbrela"]) is None
    assert client.get(f"/api/v1/ideas/{b['id']}", headers=bearer(owner)).get_json()["tags"] \
        == ["umbrella"]
    assert client.get(f"/api/v1/ideas/{a['id']}", headers=bearer(owner)).get_json()["tags"] \
        == ["rainy-days", "umbrella"]

    assert client.post(f"/api/v1/tags/{tags['umbrella']}/merge", headers=bearer(admin),
                       json={"into": tags["umbrella"]}).status_code == 422
    assert client.patch(f"/api/v1/tags/{tags['umbrella']}", headers=bearer(owner),
                        json={"name": "mine"}).status_code == 403
    assert client.get("/api/v1/tags", headers=bearer(owner)).status_code == 403
    assert {"tag.renamed", "tag.merged"} <= set(db.session.scalars(select(AuditLog.action)))


# --- the programme ------------------------------------------------------------------------------

def test_programme_shows_the_live_thresholds_and_defaults(client, app):
    body = client.get("/api/v1/programme").get_json()
    assert {"name", "purpose", "review_calendar", "support_milestones", "support_windows_days",
            "review_min_reviewers", "review_priority_total", "royalty_rate_bps",
            "payout_minimums"} <= set(body)
    config = app.config
    assert body["support_milestones"] == config["SUPPORT_MILESTONES"]
    assert body["support_windows_days"] == config["SUPPORT_WINDOWS_DAYS"]
    assert body["review_min_reviewers"] == config["REVIEW_MIN_REVIEWERS"]
    assert body["royalty_rate_bps"] == config["ROYALTY_RATE_BPS"]
    assert {"amount": 5000, "currency": "JPY"} in body["payout_minimums"]
    assert body["review_calendar"] == [] and body["purpose"]


def test_admin_changes_the_programme_and_its_calendar(client, admin, db):
    soon = (utcnow() + timedelta(days=10)).date()
    later = soon + timedelta(days=90)
    changed = client.patch("/api/v1/programme", headers=bearer(admin), json={
        "name": "Acme Ideas", "purpose": "Make things people need.",
        "payout_minimums": [{"amount": 2000, "currency": "USD"}]})
    assert changed.status_code == 200, changed.get_data(as_text=True)
    for day, name in ((later, ""), (soon, "Summer review")):
        added = client.post("/api/v1/programme/review-calendar", headers=bearer(admin),
                            json={"closes_on": day.isoformat(), "batch_name": name})
        assert added.status_code == 201
    body = client.get("/api/v1/programme").get_json()
    assert (body["name"], body["purpose"]) == ("Acme Ideas", "Make things people need.")
    assert body["payout_minimums"] == [{"amount": 2000, "currency": "USD"}]
    assert body["review_calendar"] == [
        {"batch_name": "Summer review", "closes_on": soon.isoformat()},
        {"batch_name": None, "closes_on": later.isoformat()}]
    assert {"programme.updated", "review_calendar.added"} <= set(
        db.session.scalars(select(AuditLog.action)))

    past = client.post("/api/v1/programme/review-calendar", headers=bearer(admin),
                       json={"closes_on": "2001-01-01"})
    assert past.status_code == 422
    twice = client.post("/api/v1/programme/review-calendar", headers=bearer(admin),
                        json={"closes_on": soon.isoformat()})
    assert twice.status_code == 409
    for bad in ({"payout_minimums": [{"amount": -5, "currency": "USD"}]},
                {"payout_minimums": [{"amount": 5, "currency": "usd"}]},
                {"payout_minimums": "lots"}, {"name": "x" * 200}, {"purpose": 5}):
        assert client.patch("/api/v1/programme", headers=bearer(admin),
                            json=bad).status_code == 422, bad
    member = factories.user()
    assert client.patch("/api/v1/programme", headers=bearer(member),
                        json={"name": "Mine"}).status_code == 403
    assert client.post("/api/v1/programme/review-calendar", headers=bearer(member),
                       json={"closes_on": later.isoformat()}).status_code == 403
    assert client.get("/api/v1/programme").get_json()["name"] == "Acme Ideas"


# --- payout requests ----------------------------------------------------------------------------

@pytest.fixture
def finance(app):
    return factories.user("finance")


def _earn(finance, creator, royalty_minor: int, currency: str = "JPY") -> None:
    item = product(creator, rate_bps=10_000)  # the whole net sale is royalty
    sale(finance, item, royalty_minor, currency)


def test_creator_requests_a_payout_and_finance_pays_it(client, finance, db):
    creator = factories.user()
    _earn(finance, creator, 8000)
    asked = client.post("/api/v1/me/payout-requests", headers=bearer(creator),
                        json={"amount": {"amount": 6000, "currency": "JPY"}})
    assert asked.status_code == 201, asked.get_data(as_text=True)
    body = asked.get_json()
    assert (body["amount"], body["status"]) == ({"amount": 6000, "currency": "JPY"}, "requested")
    assert client.post("/api/v1/me/payout-requests", headers=bearer(creator),
                       json={"amount": {"amount": 5000, "currency": "JPY"}}).status_code == 409

    listed = client.get("/api/v1/payout-requests", headers=bearer(finance)).get_json()
    assert [r["id"] for r in listed["items"]] == [body["id"]]
    assert client.get("/api/v1/payout-requests", headers=bearer(creator)).status_code == 403

    paid = client.post(f"/api/v1/payout-requests/{body['id']}/pay", headers=bearer(finance),
                       json={"reference": "bank-0001"})
    assert paid.status_code == 200, paid.get_data(as_text=True)
    assert paid.get_json()["status"] == "paid"
    assert paid.get_json()["payout"]["amount"] == {"amount": 6000, "currency": "JPY"}
    assert ledger_service.payable_balance(creator.id, "JPY") == 2000
    assert client.post(f"/api/v1/payout-requests/{body['id']}/pay", headers=bearer(finance),
                       json={"reference": "bank-0002"}).status_code == 409
    notes = [n.kind for n in db.session.scalars(select(Notification).where(
        Notification.user_id == creator.id))]
    assert "royalty_payout" in notes
    assert {"payout_request.created", "payout_request.paid"} <= set(
        db.session.scalars(select(AuditLog.action)))
    mine = client.get("/api/v1/me/payout-requests", headers=bearer(creator)).get_json()
    assert [r["status"] for r in mine["items"]] == ["paid"]


def test_payout_request_refusals(client, finance, db):
    creator = factories.user()
    _earn(finance, creator, 6000)
    cases = [({"amount": 4000, "currency": "JPY"}, 409, "below_minimum"),
             ({"amount": 7000, "currency": "JPY"}, 409, "insufficient_balance"),
             ({"amount": 6000, "currency": "GBP"}, 409, "below_minimum"),
             ({"amount": 60.5, "currency": "JPY"}, 422, None),
             ({"amount": 0, "currency": "JPY"}, 422, None)]
    for amount, status, code in cases:
        response = client.post("/api/v1/me/payout-requests", headers=bearer(creator),
                               json={"amount": amount})
        assert response.status_code == status, amount
        if code:
            assert response.get_json()["error"]["code"] == code
    assert client.post("/api/v1/me/payout-requests", headers=bearer(creator),
                       json={"amount": 6000}).status_code == 422
    assert client.post("/api/v1/me/payout-requests",
                       json={"amount": {"amount": 6000, "currency": "JPY"}}).status_code == 401
    assert db.session.scalar(select(func.count()).select_from(PayoutRequest)) == 0

    # the balance falls below the request after it was made: paying it is refused
    asked = client.post("/api/v1/me/payout-requests", headers=bearer(creator),
                        json={"amount": {"amount": 6000, "currency": "JPY"}}).get_json()
    ledger_service.record_payout(finance, creator.id, 1000, "JPY", "direct-1")
    db.session.commit()
    refused = client.post(f"/api/v1/payout-requests/{asked['id']}/pay", headers=bearer(finance),
                          json={"reference": "bank-9"})
    assert refused.status_code == 409
    assert refused.get_json()["error"]["code"] == "insufficient_balance"
    db.session.expire_all()
    assert db.session.get(PayoutRequest, asked["id"]).status == "requested"
    assert db.session.scalar(select(func.count()).select_from(Payout)) == 1
    assert client.post(f"/api/v1/payout-requests/{asked['id']}/pay", headers=bearer(creator),
                       json={"reference": "self"}).status_code == 403

    # declined with a reason, which the creator is told
    assert client.post(f"/api/v1/payout-requests/{asked['id']}/decline",
                       headers=bearer(finance), json={"reason": " "}).status_code == 422
    declined = client.post(f"/api/v1/payout-requests/{asked['id']}/decline",
                           headers=bearer(finance), json={"reason": "Bank details missing"})
    assert declined.status_code == 200
    assert declined.get_json()["status"] == "declined"
    assert declined.get_json()["reason"] == "Bank details missing"
    note = db.session.scalar(select(Notification).where(Notification.user_id == creator.id,
                                                        Notification.kind == "payout_declined"))
    assert "Bank details missing" in note.message
    assert ledger_service.payable_balance(creator.id, "JPY") == 5000
