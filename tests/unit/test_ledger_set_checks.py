"""PostgreSQL checks the ledger's references to its own append-only rows once per statement
(0055_ledger_set_checks): a row naming a transaction or an account that does not exist is still
refused, with a foreign key's SQLSTATE, and nothing of the statement is written."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import IntegrityError

from app.models.ledger import LedgerAccount, LedgerEntry, Payout, Sale
from app.schema import STATEMENT_CHECKED_REFERENCES
from tests import factories
from tests.ledger_factories import payout, product, sale

pytestmark = pytest.mark.postgres_only


@pytest.fixture
def finance(app):
    return factories.user("finance")


def _refused(db, statement: str, params: dict) -> str:
    with pytest.raises(IntegrityError) as caught:
        db.session.execute(text(statement), params)
    db.session.rollback()
    assert caught.value.orig.sqlstate == "23503"
    return str(caught.value.orig)


def test_an_entry_naming_a_missing_transaction_or_account_is_refused(db, finance):
    posted = sale(finance, product(factories.user()), 100_000, "USD")
    account = db.session.scalar(select(LedgerAccount.id).limit(1))
    entries = db.session.scalar(select(func.count()).select_from(LedgerEntry))
    message = _refused(db, "INSERT INTO ledger_entries (transaction_id, account_id, amount_minor, "
                           "currency) VALUES (:good, :account, 1, 'USD'), "
                           "(987654, :account, -1, 'USD')",
                       {"good": posted.sale.transaction_id, "account": account})
    assert "transaction_id 987654 is not present" in message
    message = _refused(db, "INSERT INTO ledger_entries (transaction_id, account_id, amount_minor, "
                           "currency) VALUES (:good, 424242, 1, 'USD')",
                       {"good": posted.sale.transaction_id})
    assert "account_id 424242 is not present" in message
    assert db.session.scalar(select(func.count()).select_from(LedgerEntry)) == entries


def test_a_copy_with_one_orphan_entry_writes_none_of_its_rows(db, finance):
    posted = sale(finance, product(factories.user()), 100_000, "USD")
    account = db.session.scalar(select(LedgerAccount.id).limit(1))
    before = db.session.scalar(select(func.count()).select_from(LedgerEntry))
    good = posted.sale.transaction_id  # read before the COPY holds the connection
    driver = db.session.connection().connection.driver_connection
    with pytest.raises(Exception) as caught:
        with driver.cursor() as cursor, cursor.copy(
                "COPY ledger_entries (transaction_id, account_id, amount_minor, currency) "
                "FROM STDIN") as copy:
            for tid in (good, good, good, 555_555):
                copy.write_row((tid, account, 0, "USD"))
    db.session.rollback()
    assert getattr(caught.value, "sqlstate", None) == "23503"
    assert db.session.scalar(select(func.count()).select_from(LedgerEntry)) == before


def test_a_sale_or_payout_naming_a_missing_transaction_is_refused(db, finance):
    item = product(factories.user())
    sale(finance, item, 100_000, "USD")
    sales = db.session.scalar(select(func.count()).select_from(Sale))
    _refused(db, "INSERT INTO sales (external_ref, product_id, period, units, net_sales_minor, "
                 "currency, royalty_rate_bps, royalty_minor, transaction_id, created_at) VALUES "
                 "('orphan', :product, '2026-04', 1, 100, 'USD', 100, 1, 777777, now())",
             {"product": item.id})
    _refused(db, "INSERT INTO payouts (reference, user_id, amount_minor, currency, "
                 "transaction_id, created_at) VALUES ('orphan', :user, 100, 'USD', 777777, now())",
             {"user": finance.id})
    assert db.session.scalar(select(func.count()).select_from(Sale)) == sales
    assert db.session.scalar(select(func.count()).select_from(Payout)) == 0


def test_the_checks_replace_the_row_foreign_keys_and_posting_passes_them(db, finance):
    creator = factories.user()
    sale(finance, product(creator), 100_000, "USD")
    payout(finance, creator, 50)
    constraints = set(db.session.scalars(text(
        "SELECT conname FROM pg_constraint WHERE contype = 'f'")))
    assert not constraints & set(STATEMENT_CHECKED_REFERENCES)
    triggers = set(db.session.scalars(text(
        "SELECT tgname FROM pg_trigger WHERE NOT tgisinternal AND tgname LIKE '%_references'")))
    assert triggers == {"ledger_entries_references", "sales_references", "payouts_references"}
