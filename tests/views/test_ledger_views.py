"""The ledger pages: the creator agreement, my royalties, and the finance area."""
from __future__ import annotations

import hashlib
import io
import re

import pytest
from sqlalchemy import func, select

from app.models import Agreement, AuditLog
from app.models.ledger import LedgerTransaction, Payout, Sale
from app.services import agreements as agreement_service
from app.services import ledger
from tests import factories
from tests.helpers import csrf_token, login
from tests.ledger_factories import payout, product, sale, tamper


@pytest.fixture
def finance(app):
    return factories.user("finance")


def _count(db, model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def _publish_v2(db):
    admin = factories.user("admin")
    agreement = agreement_service.publish_agreement(
        admin, "2", "Creator agreement", "# Version two\n\nNew **terms**.\r\n")
    db.session.commit()
    return agreement


# --------------------------------------------------------------------------- the agreement


def test_terms_page_shows_the_current_version_and_its_digest(client):
    current = factories.current_agreement()
    html = client.get("/terms/creators").get_data(as_text=True)
    assert current.sha256 in html
    assert "Test agreement text." in html
    assert f"version {current.version}" in html


def test_older_versions_stay_readable_after_a_new_one(db, client):
    old = factories.current_agreement()
    new = _publish_v2(db)

    html = client.get("/terms/creators").get_data(as_text=True)
    assert new.sha256 in html and "Version two" in html and "Test agreement text." not in html
    older = client.get(f"/terms/creators/{old.version}")
    assert older.status_code == 200
    page = older.get_data(as_text=True)
    assert old.sha256 in page and "earlier version" in page
    assert client.get("/terms/creators/999").status_code == 404


def test_the_exact_text_download_has_the_shown_digest(db, client):
    new = _publish_v2(db)
    response = client.get(f"/terms/creators/{new.version}/text")
    assert response.mimetype == "text/plain"
    assert hashlib.sha256(response.get_data()).hexdigest() == new.sha256
    assert "\r" not in new.text  # line endings normalised before hashing


def test_admin_publishes_a_new_version_and_it_is_audited(db, client):
    admin = factories.user("admin")
    login(client, admin)
    text = "# Terms v3\n\nThe idea belongs to its creators.\n"
    response = client.post("/admin/agreements", data={
        "csrf_token": csrf_token(client, "/admin/agreements"), "version": "3",
        "title": "Creator agreement", "text": text}, follow_redirects=True)
    assert response.status_code == 200
    digest = hashlib.sha256(text.encode()).hexdigest()
    assert digest in response.get_data(as_text=True)
    assert factories.current_agreement().version == "3"
    entry = db.session.scalar(select(AuditLog).where(AuditLog.action == "agreement.published"))
    assert entry.actor_id == admin.id and entry.after["sha256"] == digest
    assert client.get("/api/v1/agreements/current").get_json()["sha256"] == digest


def test_a_version_is_never_published_twice(db, client):
    login(client, factories.user("admin"))
    response = client.post("/admin/agreements", data={
        "csrf_token": csrf_token(client, "/admin/agreements"), "version": "1",
        "title": "Again", "text": "Changed text"})
    assert response.status_code == 422
    assert "already exists" in response.get_data(as_text=True)
    assert _count(db, Agreement) == 1


def test_only_admins_publish_agreements(db, client):
    assert client.get("/admin/agreements").status_code == 302
    for person in (factories.user(), factories.user("finance")):
        login(client, person)
        assert client.get("/admin/agreements").status_code == 403
        assert client.post("/admin/agreements", data={
            "csrf_token": csrf_token(client), "version": "9", "title": "x",
            "text": "y"}).status_code == 403
    assert _count(db, Agreement) == 1


def test_agreement_markdown_is_sanitised(db, client):
    admin = factories.user("admin")
    agreement_service.publish_agreement(admin, "x1", "T", "Hi <script>alert(1)</script>")
    db.session.commit()
    html = client.get("/terms/creators").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in html


# --------------------------------------------------------------------------- my royalties


def test_royalties_page_needs_sign_in(client):
    response = client.get("/me/royalties")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_creator_sees_balance_statements_payouts_and_a_chart(client, finance):
    owner = factories.user()
    item = product(owner, name="Folding <b>stool</b>")
    sale(finance, item, 100_000, "USD", period="2026-01")
    sale(finance, item, 250_000, "USD", period="2026-02")
    payout(finance, owner, 1_000, reference="wire-77")
    login(client, owner)

    response = client.get("/me/royalties")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "$25.00" in html  # balance: 10.00 + 25.00 - 10.00
    assert "2026-01" in html and "2026-02" in html and "wire-77" in html
    assert "Folding &lt;b&gt;stool&lt;/b&gt;" in html
    svg = re.search(r"<svg.*?</svg>", html, re.S).group(0)
    assert 'viewBox="0 0 640 260"' in svg and svg.count("<rect") == 2 and "<text" in svg
    assert "style=" not in html and "<script>" not in html
    assert 'href="/me/royalties.csv"' in html


def test_creator_downloads_a_csv_statement(client, finance):
    owner = factories.user()
    sale(finance, product(owner, name="Lamp"), 100_000, "JPY", period="2026-03")
    login(client, owner)
    response = client.get("/me/royalties.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    body = response.get_data(as_text=True)
    assert "royalty,2026-03," in body and ",Lamp,JPY,100000,1000," in body


def test_a_creator_never_sees_another_creators_royalties(client, finance):
    owner, stranger = factories.user(), factories.user()
    sale(finance, product(owner, name="Secret lamp"), 100_000, "USD")
    login(client, stranger)
    assert "Secret lamp" not in client.get("/me/royalties").get_data(as_text=True)
    assert client.get(f"/finance/creators/{owner.id}").status_code == 403


# --------------------------------------------------------------------------- finance access


@pytest.mark.parametrize("path", ["/finance", "/finance/sales/new", "/finance/sales/import",
                                  "/finance/payouts", "/finance/creators", "/finance/ledger"])
def test_finance_pages_are_for_finance_only(client, path):
    assert client.get(path).status_code == 302  # to sign in
    for person in (factories.user(), factories.user("admin"), factories.user("moderator")):
        login(client, person)
        assert client.get(path).status_code == 403


def test_finance_sees_totals_and_sales(client, finance):
    sale(finance, product(factories.user()), 100_000, "USD", external_ref="shop-42")
    login(client, finance)
    html = client.get("/finance").get_data(as_text=True)
    assert "shop-42" in html and "$1,000.00" in html and "1.00%" in html


# --------------------------------------------------------------------------- sale form


def test_finance_records_a_sale_with_the_form_parsing_money_exactly(db, client, finance):
    owner = factories.user()
    item = product(owner)
    login(client, finance)
    page = client.get("/finance/sales/new").get_data(as_text=True)
    assert f'value="{item.id}"' in page
    response = client.post("/finance/sales/new", data={
        "csrf_token": csrf_token(client, "/finance/sales/new"), "product_id": item.id,
        "period": "2026-04", "units": "3", "net_sales": "1,234.56", "currency": "USD",
        "external_ref": "form-1"}, follow_redirects=True)
    assert response.status_code == 200
    assert "form-1" in response.get_data(as_text=True)
    recorded = db.session.scalar(select(Sale))
    assert recorded.net_sales_minor == 123_456 and recorded.royalty_minor == 1_235
    assert ledger.payable_balance(owner.id, "USD") == 1_235


@pytest.mark.parametrize("amount", ["12.345", "1e3", "abc", "NaN", ""])
def test_sale_form_refuses_amounts_that_are_not_exact(db, client, finance, amount):
    item = product(factories.user())
    login(client, finance)
    response = client.post("/finance/sales/new", data={
        "csrf_token": csrf_token(client, "/finance/sales/new"), "product_id": item.id,
        "period": "2026-04", "units": "3", "net_sales": amount, "currency": "USD",
        "external_ref": "form-2"})
    assert response.status_code == 422
    assert _count(db, Sale) == 0


def test_sale_form_without_csrf_token_is_refused(db, client, finance):
    item = product(factories.user())
    login(client, finance)
    response = client.post("/finance/sales/new", data={
        "product_id": item.id, "period": "2026-04", "units": "3", "net_sales": "10",
        "currency": "USD", "external_ref": "form-3"})
    assert response.status_code == 400
    assert _count(db, Sale) == 0


def test_sale_form_shows_a_conflicting_reference(db, client, finance):
    item = product(factories.user())
    sale(finance, item, 5_000, "USD", external_ref="dup-1")
    login(client, finance)
    response = client.post("/finance/sales/new", data={
        "csrf_token": csrf_token(client, "/finance/sales/new"), "product_id": item.id,
        "period": "2026-04", "units": "3", "net_sales": "99.00", "currency": "USD",
        "external_ref": "dup-1"}, follow_redirects=True)
    assert "different figures" in response.get_data(as_text=True)
    assert _count(db, Sale) == 1


# --------------------------------------------------------------------------- CSV import


def _upload(client, data: bytes, name: str = "sales.csv"):
    return client.post("/finance/sales/import", data={
        "csrf_token": csrf_token(client, "/finance/sales/import"),
        "file": (io.BytesIO(data), name)}, content_type="multipart/form-data")


def _sales_csv(item, refs=("a-1", "a-2", "a-3")) -> bytes:
    lines = ["product_id,period,units,net_sales,currency,external_ref"]
    lines += [f"{item.id},2026-0{n},{n},{n}00.50,USD,{ref}" for n, ref in enumerate(refs, 1)]
    return ("\n".join(lines) + "\n").encode()


def test_a_good_file_is_previewed_then_posted_in_one_go(db, client, finance):
    owner = factories.user()
    item = product(owner)
    login(client, finance)
    response = _upload(client, _sales_csv(item))
    assert response.status_code == 302
    preview_url = response.headers["Location"]
    preview = client.get(preview_url).get_data(as_text=True)
    assert "3 new sales to record" in preview and "a-2" in preview and "<progress" in preview
    assert "js/ledger.js" in preview
    assert _count(db, Sale) == 0  # nothing before confirming

    token = preview_url.rsplit("/", 1)[1]
    status = client.get(f"/finance/imports/{token}/status").get_json()
    assert status == {"state": "ready", "done": 0, "total": 3}
    response = client.post(preview_url, data={"csrf_token": csrf_token(client, preview_url)},
                           follow_redirects=True)
    assert response.status_code == 200
    assert "3 sales recorded" in response.get_data(as_text=True)
    assert _count(db, Sale) == 3
    assert sorted(s.net_sales_minor for s in db.session.scalars(select(Sale))) == \
        [10_050, 20_050, 30_050]
    assert client.get(f"/finance/imports/{token}/status").get_json()["state"] == "done"
    assert client.get(preview_url).status_code == 404  # posted: the stash is gone
    assert db.session.scalar(select(AuditLog.id).where(
        AuditLog.action == "ledger.sales_imported")) is not None


def test_a_bad_file_lists_every_bad_row_and_records_nothing(db, client, finance):
    item = product(factories.user())
    login(client, finance)
    data = (f"product_id,period,units,net_sales,currency,external_ref\n"
            f"{item.id},2026-01,1,10.00,USD,ok-1\n"
            f"{item.id},2026-1,1,10.00,USD,bad-1\n"
            f"{item.id},2026-01,1,10.001,USD,bad-2\n"
            f"{item.id},2026-01,1,10.00,USD,ok-2\n"
            f"abc,2026-01,1,10.00,USD,bad-3\n").encode()
    response = _upload(client, data)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    rows = re.findall(r'data-testid="row-error"><td class="num">(\d+)</td>', html)
    assert rows == ["3", "4", "6"]
    assert "3 rows have problems" in html
    assert _count(db, Sale) == 0


def test_the_same_file_twice_records_nothing_new(db, client, finance):
    item = product(factories.user())
    login(client, finance)
    for _round in range(2):
        preview_url = _upload(client, _sales_csv(item)).headers["Location"]
        client.post(preview_url, data={"csrf_token": csrf_token(client, preview_url)})
    assert _count(db, Sale) == 3 and _count(db, LedgerTransaction) == 3
    preview_url = _upload(client, _sales_csv(item)).headers["Location"]
    html = client.get(preview_url).get_data(as_text=True)
    assert "0 new sales to record, 3 already recorded" in html


def test_someone_elses_import_cannot_be_seen_or_posted(db, client, finance):
    item = product(factories.user())
    login(client, finance)
    preview_url = _upload(client, _sales_csv(item)).headers["Location"]
    token = preview_url.rsplit("/", 1)[1]
    login(client, factories.user("finance"))
    assert client.get(preview_url).status_code == 404
    assert client.get(f"/finance/imports/{token}/status").status_code == 404
    assert client.post(preview_url, data={
        "csrf_token": csrf_token(client, "/finance")}).status_code == 404
    assert client.get("/finance/imports/..%2F..%2Fsecret_key").status_code == 404
    assert _count(db, Sale) == 0


# --------------------------------------------------------------------------- payouts


def test_finance_records_a_payout_with_the_form(db, client, finance):
    creator = factories.user(name="Aiko")
    sale(finance, product(creator), 100_000, "USD")
    login(client, finance)
    page = client.get(f"/finance/payouts?user_id={creator.id}&currency=USD")
    assert "Aiko" in page.get_data(as_text=True)
    response = client.post("/finance/payouts", data={
        "csrf_token": csrf_token(client, "/finance/payouts"), "user_id": creator.id,
        "amount": "7.50", "currency": "USD", "reference": "wire-5"}, follow_redirects=True)
    assert response.status_code == 200 and "wire-5" in response.get_data(as_text=True)
    assert db.session.scalar(select(Payout.amount_minor)) == 750
    assert ledger.payable_balance(creator.id, "USD") == 250


def test_payout_form_refuses_more_than_the_balance(db, client, finance):
    creator = factories.user()
    sale(finance, product(creator), 100_000, "USD")
    login(client, finance)
    response = client.post("/finance/payouts", data={
        "csrf_token": csrf_token(client, "/finance/payouts"), "user_id": creator.id,
        "amount": "10.01", "currency": "USD", "reference": "wire-6"})
    assert response.status_code == 200 or response.status_code == 422
    assert "more than the creator" in response.get_data(as_text=True)
    assert _count(db, Payout) == 0


# --------------------------------------------------------------------------- ledger browser


def test_ledger_browser_shows_transactions_with_entries(client, finance):
    creator = factories.user()
    sale(finance, product(creator), 100_000, "USD", external_ref="shop-1")
    payout(finance, creator, 100, reference="wire-1")
    login(client, finance)
    html = client.get("/finance/ledger").get_data(as_text=True)
    assert html.count('data-testid="transaction"') == 2
    assert f"creator_payable:{creator.id}:USD" in html and "royalty_expense:USD" in html
    assert "payouts_cash:USD" in html


def test_finance_reverses_a_transaction_from_the_browser(db, client, finance):
    creator = factories.user()
    result = sale(finance, product(creator), 100_000, "USD")
    login(client, finance)
    response = client.post(f"/finance/ledger/{result.sale.transaction_id}/reverse", data={
        "csrf_token": csrf_token(client, "/finance/ledger"), "reason": "wrong period"},
        follow_redirects=True)
    assert "reversed by #2" in response.get_data(as_text=True)
    assert ledger.payable_balance(creator.id, "USD") == 0


def test_verify_page_reports_a_sound_ledger_and_tampering(db, client, backend, finance):
    target = sale(finance, product(factories.user()), 100_000, "USD").sale
    login(client, finance)
    assert 'data-testid="verify-ok"' in client.get("/finance/ledger/verify").get_data(
        as_text=True)
    tamper(db, backend, "ledger_entries",
           "UPDATE ledger_entries SET amount_minor = 1 WHERE transaction_id = :id",
           {"id": target.transaction_id})
    html = client.get("/finance/ledger/verify").get_data(as_text=True)
    assert 'data-testid="verify-failed"' in html
    assert f"transaction {target.transaction_id}" in html


def test_admins_may_verify_but_not_browse_the_ledger(client):
    login(client, factories.user("admin"))
    assert client.get("/finance/ledger/verify").status_code == 200
    assert client.get("/finance/ledger").status_code == 403


def test_finance_sees_a_creators_statement(client, finance):
    creator = factories.user(name="Kenji")
    sale(finance, product(creator, name="Bento box"), 100_000, "JPY", period="2026-05")
    login(client, finance)
    listing = client.get("/finance/creators?q=kenji").get_data(as_text=True)
    assert "Kenji" in listing and "¥1,000" in listing
    page = client.get(f"/finance/creators/{creator.id}").get_data(as_text=True)
    assert "Bento box" in page and "2026-05" in page and "<svg" in page
    csv_response = client.get(f"/finance/creators/{creator.id}/statement.csv")
    assert csv_response.mimetype == "text/csv" and "Bento box" in csv_response.get_data(
        as_text=True)
