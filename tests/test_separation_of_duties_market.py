"""Separation of duties after approval (issue 10, item 9, carried to issue 11's loop): staff
who (co-)created an idea never move its product or post its official updates, and finance staff
never pay or decline money owed to themselves; another staff member must."""
from __future__ import annotations

from flask import g
from sqlalchemy import func, select

from app.extensions import db
from app.models import Idea, Notification, ProductPost
from app.models.ledger import Payout
from app.models.programme import PayoutRequest
from app.services import ledger as ledger_service
from tests import factories as f
from tests.helpers import bearer, csrf_token, login
from tests.ledger_factories import product as ledger_product
from tests.ledger_factories import sale
from tests.product_factories import approved_product, idea_of

IN_PRODUCTION = {"stage": "in_production", "message": "Tooling has started.",
                 "expected_on": "2031-04-01"}


def _form(client, user, url, data, page):
    g.pop("csrf_token", None)
    login(client, user)
    return client.post(url, data={"csrf_token": csrf_token(client, page), **data})


def test_a_product_manager_cannot_move_or_update_the_product_of_their_own_idea(app, client):
    manager = f.user("product_manager")
    colleague = f.user("product_manager")
    product = approved_product(owner=f.user(), co_creators=(manager,))

    refused = client.post(f"/api/v1/products/{product.id}/stage", headers=bearer(manager),
                          json=IN_PRODUCTION)
    assert refused.status_code == 403
    assert refused.get_json()["error"]["code"] == "separation_of_duties"
    update = client.post(f"/api/v1/products/{product.id}/updates", headers=bearer(manager),
                         json={"body": "Prototype tested."})
    assert update.status_code == 403
    assert update.get_json()["error"]["code"] == "separation_of_duties"

    # the page offers them no form, and posting the form anyway changes nothing
    login(client, manager)
    page = client.get(f"/products/{product.id}").get_data(as_text=True)
    assert f'action="/products/{product.id}/stage"' not in page
    assert f'action="/products/{product.id}/updates"' not in page
    html = _form(client, manager, f"/products/{product.id}/stage",
                 {"stage": "in_production", "message": "Tooling has started.",
                  "expected_on": "2031-04-01"}, f"/products/{product.id}")
    assert html.status_code == 403
    db.session.expire_all()
    assert db.session.get(Idea, idea_of(product).id).status == "approved"
    assert db.session.scalar(select(func.count()).select_from(ProductPost)) == 0

    # a colleague who did not create it may
    login(client, colleague)
    assert f'action="/products/{product.id}/stage"' in \
        client.get(f"/products/{product.id}").get_data(as_text=True)
    assert client.post(f"/api/v1/products/{product.id}/stage", headers=bearer(colleague),
                       json=IN_PRODUCTION).status_code == 200


def test_finance_cannot_pay_or_decline_their_own_payout_request(app, client):
    accountant, colleague = f.user("finance"), f.user("finance")
    sale(colleague, ledger_product(accountant, rate_bps=10_000), 9000, "JPY")
    asked = client.post("/api/v1/me/payout-requests", headers=bearer(accountant),
                        json={"amount": {"amount": 7000, "currency": "JPY"}})
    assert asked.status_code == 201
    request_id = asked.get_json()["id"]
    told = set(db.session.scalars(select(Notification.user_id).where(
        Notification.kind == "payout_request")))
    assert told == {colleague.id}  # the requester is not asked to answer their own request

    pay = client.post(f"/api/v1/payout-requests/{request_id}/pay", headers=bearer(accountant),
                      json={"reference": "self-1"})
    assert pay.status_code == 403
    assert pay.get_json()["error"]["code"] == "separation_of_duties"
    decline = client.post(f"/api/v1/payout-requests/{request_id}/decline",
                          headers=bearer(accountant), json={"reason": "Changed my mind"})
    assert decline.status_code == 403
    direct = client.post("/api/v1/payouts", headers=bearer(accountant),
                         json={"user_id": accountant.id,
                               "amount": {"amount": 7000, "currency": "JPY"},
                               "reference": "self-2"})
    assert direct.status_code == 403
    assert direct.get_json()["error"]["code"] == "separation_of_duties"

    # the finance page lists the request without the forms for its own requester
    login(client, accountant)
    listing = client.get("/finance/payout-requests").get_data(as_text=True)
    assert f'data-request="{request_id}"' in listing
    assert f'action="/finance/payout-requests/{request_id}/pay"' not in listing
    assert "another finance staff member answers it" in listing
    _form(client, accountant, f"/finance/payout-requests/{request_id}/pay",
          {"reference": "self-3"}, "/finance/payout-requests")
    db.session.expire_all()
    assert db.session.get(PayoutRequest, request_id).status == "requested"
    assert db.session.scalar(select(func.count()).select_from(Payout)) == 0
    assert ledger_service.payable_balance(accountant.id, "JPY") == 9000

    # a colleague pays it
    assert client.post(f"/api/v1/payout-requests/{request_id}/pay", headers=bearer(colleague),
                       json={"reference": "bank-1"}).status_code == 200
    assert ledger_service.payable_balance(accountant.id, "JPY") == 2000


def test_finance_never_records_the_sales_of_a_product_they_share_in(app, client):
    """One sale (API and service), a sales file at upload, and the posting job all refuse the
    product's own creators; a colleague records the same sale."""
    from app.models.ledger import Sale
    from app.services.ledger import batch, uploads
    from tests.ledger_factories import product as shared_product

    finance, colleague = f.user("finance"), f.user("finance")
    own = shared_product(f.user(), finance)
    other = shared_product(f.user())

    refused = client.post("/api/v1/sales", headers=bearer(finance), json={
        "product_id": own.id, "period": "2026-04", "units": 1,
        "net_sales": {"amount": 1000, "currency": "USD"}, "external_ref": "own-1"})
    assert refused.status_code == 403, refused.get_json()
    assert refused.get_json()["error"]["code"] == "separation_of_duties"

    csv = (f"product_id,period,units,net_sales,currency,external_ref\n"
           f"{other.id},2026-04,1,10.00,USD,file-1\n{own.id},2026-04,1,10.00,USD,file-2\n").encode()
    record, _parsed = uploads.create_import(finance, "april.csv", csv)
    db.session.commit()
    assert record.status == "refused"
    assert [(p.line, "share in this product" in p.reason)
            for p in uploads.problems_of(record)] == [(3, True)]
    # the posting job's own check, whatever reached it; the colleague's run passes
    assert [error.line for error in batch.check_sales(_parsed.rows, actor_id=finance.id)] == [3]
    assert batch.check_sales(_parsed.rows, actor_id=colleague.id) == []
    assert db.session.scalar(select(func.count()).select_from(Sale)) == 0

    done = client.post("/api/v1/sales", headers=bearer(colleague), json={
        "product_id": own.id, "period": "2026-04", "units": 1,
        "net_sales": {"amount": 1000, "currency": "USD"}, "external_ref": "own-1"})
    assert done.status_code == 201, done.get_json()


def test_finance_never_reverses_a_transaction_that_moves_their_own_money(app, client):
    """A sale of a product they share in, a payout to them: a colleague reverses it, through
    the API and the HTML form alike; the refusal writes nothing."""
    from app.models.ledger import LedgerTransaction

    finance, colleague = f.user("finance"), f.user("finance")
    own = ledger_product(f.user(), finance)
    sold = sale(colleague, own, 100_000, "USD").sale
    paid = ledger_service.record_payout(colleague, finance.id, 100, "USD", "own-payout")
    db.session.commit()
    paid_tid = paid.payout.transaction_id
    for tid in (sold.transaction_id, paid_tid):
        refused = client.post(f"/api/v1/ledger/transactions/{tid}/reversal",
                              headers=bearer(finance), json={"reason": "typo"})
        assert refused.status_code == 403, refused.get_json()
        assert refused.get_json()["error"]["code"] == "separation_of_duties"
    page = _form(client, finance, f"/finance/ledger/{sold.transaction_id}/reverse",
                 {"reason": "typo"}, "/finance/ledger")
    assert page.status_code == 403
    assert "another finance staff member must reverse it" in page.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(LedgerTransaction).where(
        LedgerTransaction.kind == "reversal")) == 0
    done = client.post(f"/api/v1/ledger/transactions/{paid_tid}/reversal",
                       headers=bearer(colleague), json={"reason": "paid twice"})
    assert done.status_code == 201
