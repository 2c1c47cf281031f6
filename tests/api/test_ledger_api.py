"""The Ledger endpoints of API.md: agreements, products, sales, payouts, royalties, verify."""
from __future__ import annotations

import hashlib

import pytest
from sqlalchemy import func, select, text

from app.models.ledger import Sale
from tests import factories
from tests.helpers import bearer
from tests.ledger_factories import payout, product, sale, tamper


@pytest.fixture
def finance(app):
    return factories.user("finance")


def _sale_body(item, **changes) -> dict:
    body = {"product_id": item.id, "period": "2026-04", "units": 12,
            "net_sales": {"amount": 123_456, "currency": "USD"}, "external_ref": "pos-1"}
    body.update(changes)
    return body


# --------------------------------------------------------------------------- agreements, products


def test_anyone_reads_the_current_agreement_with_the_digest_of_its_exact_text(client):
    response = client.get("/api/v1/agreements/current")
    assert response.status_code == 200
    body = response.get_json()
    assert set(body) >= {"version", "sha256", "text"}
    assert body["sha256"] == hashlib.sha256(body["text"].encode("utf-8")).hexdigest()
    assert client.get(f"/api/v1/agreements/{body['version']}").get_json() == body
    assert client.get("/api/v1/agreements/nope").status_code == 404


def test_anyone_reads_a_product_with_its_frozen_terms(client):
    owner, partner = factories.user(), factories.user()
    item = product(owner, partner, shares=(6_000, 4_000), rate_bps=100)
    response = client.get(f"/api/v1/products/{item.id}")
    assert response.status_code == 200
    body = response.get_json()
    assert {k: body[k] for k in ("id", "idea_id", "name", "royalty_rate_bps", "splits")} == {
        "id": item.id, "idea_id": item.idea_id, "name": item.name, "royalty_rate_bps": 100,
        "splits": [{"user_id": owner.id, "share_bps": 6_000},
                   {"user_id": partner.id, "share_bps": 4_000}]}
    assert client.get("/api/v1/products/999999").status_code == 404


def test_product_of_a_hidden_idea_is_not_found_for_the_public(db, client):
    owner = factories.user()
    item = product(owner)
    db.session.execute(text("UPDATE ideas SET hidden = :h WHERE id = :id"),
                       {"h": True, "id": item.idea_id})
    db.session.commit()
    assert client.get(f"/api/v1/products/{item.id}").status_code == 404
    assert client.get(f"/api/v1/products/{item.id}", headers=bearer(owner)).status_code == 200


# --------------------------------------------------------------------------- sales


def test_finance_records_a_sale_and_gets_the_royalty_postings(client, finance):
    owner, partner = factories.user(), factories.user()
    item = product(owner, partner, shares=(7_000, 3_000))
    response = client.post("/api/v1/sales", json=_sale_body(item), headers=bearer(finance))
    assert response.status_code == 201
    body = response.get_json()
    assert body["royalty"] == {"amount": 1_235, "currency": "USD"}
    assert body["postings"] == [
        {"user_id": owner.id, "amount": {"amount": 865, "currency": "USD"}},
        {"user_id": partner.id, "amount": {"amount": 370, "currency": "USD"}}]
    assert body["sale"]["net_sales"] == {"amount": 123_456, "currency": "USD"}
    assert body["sale"]["external_ref"] == "pos-1" and body["sale"]["period"] == "2026-04"


def test_the_same_sale_again_answers_200_with_the_existing_record(db, client, finance):
    item = product(factories.user())
    headers = bearer(finance)
    first = client.post("/api/v1/sales", json=_sale_body(item), headers=headers)
    again = client.post("/api/v1/sales", json=_sale_body(item), headers=headers)
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.get_json() == first.get_json()
    assert db.session.scalar(select(func.count()).select_from(Sale)) == 1


def test_the_same_reference_with_other_figures_is_409(client, finance):
    item = product(factories.user())
    headers = bearer(finance)
    client.post("/api/v1/sales", json=_sale_body(item), headers=headers)
    response = client.post("/api/v1/sales", json=_sale_body(item, units=13), headers=headers)
    assert response.status_code == 409
    assert response.get_json()["error"]["code"] == "external_ref_conflict"


@pytest.mark.parametrize("changes, field", [
    ({"net_sales": {"amount": 4.5, "currency": "USD"}}, "net_sales"),
    ({"net_sales": {"amount": "450", "currency": "USD"}}, "net_sales"),
    ({"net_sales": {"amount": True, "currency": "USD"}}, "net_sales"),
    ({"net_sales": {"amount": 450, "currency": "US"}}, "net_sales"),
    ({"net_sales": 450}, "net_sales"),
    ({"product_id": "1"}, "product_id"),
    ({"period": "2026-4"}, "period"),
    ({"units": 1.5}, "units"),
    ({"external_ref": ""}, "external_ref"),
    ({"external_ref": 42}, "external_ref"),
])
def test_invalid_sales_are_422_naming_the_field(client, finance, changes, field):
    item = product(factories.user())
    response = client.post("/api/v1/sales", json=_sale_body(item, **changes),
                           headers=bearer(finance))
    assert response.status_code == 422
    assert field in response.get_json()["error"]["fields"]


def test_a_missing_field_is_422_and_a_non_json_body_400(client, finance):
    item = product(factories.user())
    body = _sale_body(item)
    del body["period"]
    headers = bearer(finance)
    response = client.post("/api/v1/sales", json=body, headers=headers)
    assert response.status_code == 422 and "period" in response.get_json()["error"]["fields"]
    response = client.post("/api/v1/sales", data="units=1", headers=headers,
                           content_type="text/plain")
    assert response.status_code == 400


def test_only_finance_may_post_sales_and_payouts(client):
    creator = factories.user()
    item = product(creator)
    assert client.post("/api/v1/sales", json=_sale_body(item)).status_code == 401
    for person in (creator, factories.user("admin"), factories.user("reviewer")):
        headers = bearer(person)
        assert client.post("/api/v1/sales", json=_sale_body(item),
                           headers=headers).status_code == 403
        assert client.post("/api/v1/payouts", json={
            "user_id": creator.id, "amount": {"amount": 1, "currency": "USD"},
            "reference": "x"}, headers=headers).status_code == 403


def test_a_return_posts_negative_royalties(client, finance):
    creator = factories.user()
    item = product(creator)
    headers = bearer(finance)
    client.post("/api/v1/sales", json=_sale_body(item), headers=headers)
    response = client.post("/api/v1/sales", json=_sale_body(
        item, units=-2, net_sales={"amount": -20_000, "currency": "USD"}, external_ref="ret-1"),
        headers=headers)
    assert response.status_code == 201
    assert response.get_json()["royalty"] == {"amount": -200, "currency": "USD"}
    assert response.get_json()["postings"] == [
        {"user_id": creator.id, "amount": {"amount": -200, "currency": "USD"}}]


# --------------------------------------------------------------------------- payouts


def test_finance_pays_out_at_most_the_balance(client, finance):
    creator = factories.user()
    sale(finance, product(creator), 10_000, "USD")  # 1.00 USD earned
    headers = bearer(finance)
    too_much = client.post("/api/v1/payouts", json={
        "user_id": creator.id, "amount": {"amount": 101, "currency": "USD"},
        "reference": "wire-1"}, headers=headers)
    assert too_much.status_code == 409
    assert too_much.get_json()["error"]["code"] == "insufficient_balance"

    paid = client.post("/api/v1/payouts", json={
        "user_id": creator.id, "amount": {"amount": 60, "currency": "USD"},
        "reference": "wire-1"}, headers=headers)
    assert paid.status_code == 201
    body = paid.get_json()
    assert body["amount"] == {"amount": 60, "currency": "USD"} and body["user_id"] == creator.id
    assert body["balance"] == {"amount": 40, "currency": "USD"}
    again = client.post("/api/v1/payouts", json={
        "user_id": creator.id, "amount": {"amount": 60, "currency": "USD"},
        "reference": "wire-1"}, headers=headers)
    assert again.status_code == 200 and again.get_json()["id"] == body["id"]


@pytest.mark.parametrize("body, field", [
    ({"amount": {"amount": 4.5, "currency": "USD"}}, "amount"),
    ({"amount": {"amount": 0, "currency": "USD"}}, "amount"),
    ({"amount": {"amount": -5, "currency": "USD"}}, "amount"),
    ({"amount": {"amount": 5, "currency": "usd"}}, "amount"),
    ({"user_id": "2"}, "user_id"),
    ({"reference": ""}, "reference"),
])
def test_invalid_payouts_are_422(client, finance, body, field):
    creator = factories.user()
    data = {"user_id": creator.id, "amount": {"amount": 5, "currency": "USD"}, "reference": "r"}
    data.update(body)
    response = client.post("/api/v1/payouts", json=data, headers=bearer(finance))
    assert response.status_code == 422
    assert field in response.get_json()["error"]["fields"]


def test_a_payout_or_sale_for_no_such_member_or_product_is_404(client, finance):
    item = product(factories.user())
    headers = bearer(finance)
    payout = client.post("/api/v1/payouts", json={
        "user_id": 999_999, "amount": {"amount": 5, "currency": "USD"}, "reference": "r"},
        headers=headers)
    assert payout.status_code == 404
    assert payout.get_json()["error"]["code"] == "user_not_found"
    sale = client.post("/api/v1/sales", json=_sale_body(item, product_id=999_999), headers=headers)
    assert sale.status_code == 404
    assert sale.get_json()["error"]["code"] == "product_not_found"


def test_a_whole_number_written_with_a_fraction_is_that_integer(client, finance):
    """JSON Schema's integer: 450.0 is 450 (read exactly, never through a float); 4.5 is not."""
    item = product(factories.user())
    headers = bearer(finance)
    response = client.post("/api/v1/sales", json=_sale_body(
        item, units=12.0, net_sales={"amount": 45000.0, "currency": "USD"}), headers=headers)
    assert response.status_code == 201
    sale = response.get_json()["sale"]
    assert sale["units"] == 12 and sale["net_sales"] == {"amount": 45000, "currency": "USD"}
    refused = client.post("/api/v1/sales", json=_sale_body(
        item, external_ref="other", net_sales={"amount": 4.5, "currency": "USD"}), headers=headers)
    assert refused.status_code == 422


# --------------------------------------------------------------------------- royalties, verify


def test_a_creator_reads_their_royalties(client, finance):
    owner, partner = factories.user(), factories.user()
    item = product(owner, partner, shares=(5_000, 5_000))
    sale(finance, item, 100_000, "USD", period="2026-03")
    sale(finance, item, 40_000, "JPY", period="2026-04")
    payout(finance, owner, 200, "USD", reference="wire-9")

    response = client.get("/api/v1/me/royalties", headers=bearer(owner))
    assert response.status_code == 200
    body = response.get_json()
    assert sorted(body["balances"], key=lambda m: m["currency"]) == [
        {"amount": 200, "currency": "JPY"}, {"amount": 300, "currency": "USD"}]
    statements = {(s["period"], s["net_sales"]["currency"]): s for s in body["statements"]}
    assert statements[("2026-03", "USD")]["product_id"] == item.id
    assert statements[("2026-03", "USD")]["net_sales"]["amount"] == 100_000
    assert statements[("2026-03", "USD")]["royalty"] == {"amount": 500, "currency": "USD"}
    assert [p["reference"] for p in body["payouts"]] == ["wire-9"]
    assert body["payouts"][0]["amount"] == {"amount": 200, "currency": "USD"}
    assert client.get("/api/v1/me/royalties").status_code == 401
    # Someone who created nothing sees empty lists.
    empty = client.get("/api/v1/me/royalties", headers=bearer(factories.user())).get_json()
    assert (empty["balances"], empty["statements"], empty["payouts"]) == ([], [], [])


def test_verify_is_for_finance_and_admins(client, finance):
    sale(finance, product(factories.user()), 100_000, "USD")
    for person in (finance, factories.user("admin")):
        response = client.get("/api/v1/ledger/verify", headers=bearer(person))
        assert response.status_code == 200
        assert response.get_json() == {"ok": True, "transactions": 1}
    assert client.get("/api/v1/ledger/verify", headers=bearer(factories.user())).status_code \
        == 403
    assert client.get("/api/v1/ledger/verify").status_code == 401


def test_verify_reports_tampering_naming_the_transaction(db, client, backend, finance):
    target = sale(finance, product(factories.user()), 100_000, "USD").sale
    tamper(db, backend, "ledger_entries",
           "UPDATE ledger_entries SET amount_minor = 7 WHERE transaction_id = :id",
           {"id": target.transaction_id})
    body = client.get("/api/v1/ledger/verify", headers=bearer(finance)).get_json()
    assert body["ok"] is False
    assert body["problems"]
    assert all(problem["transaction_id"] == target.transaction_id
               for problem in body["problems"] if problem["transaction_id"])
    assert any(f"transaction {target.transaction_id}" in problem["message"]
               for problem in body["problems"])


def test_ledger_endpoints_are_described_in_openapi(client):
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    for path, method in (("/agreements/current", "get"), ("/products/{id}", "get"),
                         ("/sales", "post"), ("/payouts", "post"), ("/me/royalties", "get"),
                         ("/ledger/verify", "get")):
        assert method in paths[path]
