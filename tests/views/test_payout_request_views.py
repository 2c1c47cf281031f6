"""Payouts on request in the browser: "My royalties" offers the request once the balance
reaches the published minimum; finance pays (through the ledger) or declines with a reason.
And the "qualified" notification names the next review batch's closing date."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import AuditLog, Notification
from app.models.base import utcnow
from app.models.ledger import Payout
from app.models.programme import PayoutRequest
from app.services import ledger as ledger_service
from app.services import programme as programme_service
from tests import factories
from tests.helpers import csrf_token, login
from tests.ledger_factories import product, sale


def post(client, path, data=None):
    data = dict(data or {})
    data.setdefault("csrf_token", csrf_token(client))
    return client.post(path, data=data)


@pytest.fixture
def finance(app):
    return factories.user("finance")


def _creator_with(finance, amount_minor: int, currency: str = "JPY"):
    creator = factories.user()
    sale(finance, product(creator, rate_bps=10_000), amount_minor, currency)
    return creator


def test_below_the_minimum_the_page_says_how_far_and_offers_no_form(client, finance):
    creator = _creator_with(finance, 3000)
    login(client, creator)
    page = client.get("/me/royalties").get_data(as_text=True)
    assert "once your balance reaches" in page
    assert 'action="/me/royalties/payout-requests"' not in page
    refused = post(client, "/me/royalties/payout-requests", {"amount": "3000",
                                                             "currency": "JPY"})
    assert refused.status_code == 302
    assert "smallest payout" in client.get("/me/royalties").get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(PayoutRequest)) == 0


def test_creator_asks_finance_pays_and_the_creator_is_told(client, finance):
    creator = _creator_with(finance, 9000)
    login(client, creator)
    page = client.get("/me/royalties").get_data(as_text=True)
    assert 'action="/me/royalties/payout-requests"' in page and 'value="9000"' in page
    above = post(client, "/me/royalties/payout-requests", {"amount": "9001", "currency": "JPY"})
    assert above.status_code == 302
    assert "more than your balance" in client.get("/me/royalties").get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(PayoutRequest)) == 0
    assert post(client, "/me/royalties/payout-requests",
                {"amount": "7000", "currency": "JPY"}).status_code == 302
    row = db.session.scalar(select(PayoutRequest))
    assert (row.amount_minor, row.status) == (7000, "requested")
    assert "finance will answer" in client.get("/me/royalties").get_data(as_text=True)
    assert client.get("/finance/payout-requests").status_code == 403  # not finance

    login(client, finance)
    listing = client.get("/finance/payout-requests").get_data(as_text=True)
    assert creator.display_name in listing and f'data-request="{row.id}"' in listing
    told = db.session.scalar(select(Notification).where(Notification.user_id == finance.id,
                                                        Notification.kind == "payout_request"))
    assert told is not None
    assert post(client, f"/finance/payout-requests/{row.id}/pay",
                {"reference": "bank-77"}).status_code == 302
    db.session.expire_all()
    row = db.session.get(PayoutRequest, row.id)
    assert row.status == "paid"
    payout = db.session.get(Payout, row.payout_id)
    assert (payout.reference, payout.amount_minor, payout.user_id) == ("bank-77", 7000, creator.id)
    assert ledger_service.payable_balance(creator.id, "JPY") == 2000
    assert db.session.scalar(select(AuditLog).where(AuditLog.action == "payout_request.paid"))
    assert db.session.scalar(select(Notification).where(Notification.user_id == creator.id,
                                                        Notification.kind == "royalty_payout"))
    # answered already: paying again changes nothing
    post(client, f"/finance/payout-requests/{row.id}/pay", {"reference": "bank-78"})
    assert db.session.scalar(select(func.count()).select_from(Payout)) == 1


def test_finance_declines_with_a_reason_the_creator_reads(client, finance):
    creator = _creator_with(finance, 6000)
    login(client, creator)
    post(client, "/me/royalties/payout-requests", {"amount": "6000", "currency": "JPY"})
    row = db.session.scalar(select(PayoutRequest))
    login(client, finance)
    post(client, f"/finance/payout-requests/{row.id}/decline", {"reason": ""})
    db.session.expire_all()
    assert db.session.get(PayoutRequest, row.id).status == "requested"
    post(client, f"/finance/payout-requests/{row.id}/decline",
         {"reason": "Please add your bank details first."})
    db.session.expire_all()
    assert db.session.get(PayoutRequest, row.id).status == "declined"
    assert ledger_service.payable_balance(creator.id, "JPY") == 6000
    login(client, creator)
    page = client.get("/me/royalties").get_data(as_text=True)
    assert "Please add your bank details first." in page
    note = db.session.scalar(select(Notification).where(Notification.user_id == creator.id,
                                                        Notification.kind == "payout_declined"))
    assert "Please add your bank details first." in note.message
    # and they may ask again
    assert 'action="/me/royalties/payout-requests"' in page


@pytest.fixture
def config_overrides():
    return {"SUPPORT_MILESTONES": [2], "SUPPORT_WINDOWS_DAYS": [10]}


def test_qualified_notification_names_the_next_review_date(app):
    from app.services import supports

    closes = (utcnow() + timedelta(days=30)).date()
    programme_service.add_review_date(None, closes, "Winter review")
    db.session.commit()
    owner = factories.user()
    idea = factories.idea(owner)
    for _ in range(2):
        supports.support_idea(factories.user(), idea.id)
        db.session.commit()
    from babel.dates import format_date

    messages = [n.message for n in db.session.scalars(select(Notification).where(
        Notification.user_id == owner.id, Notification.kind == "idea_qualified_next_review"))]
    shown = format_date(closes, "medium", locale="en")  # the reader's way (English here)
    assert any("qualifies for review" in m and shown in m for m in messages)
