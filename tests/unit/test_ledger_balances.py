"""Kept balances (ledger_balances): always the sum of each account's entries, whichever way the
entries were posted; verify_ledger names every way they can be made to disagree."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select, text

from app.models.ledger import LedgerAccount, LedgerBalance, LedgerEntry, LedgerTransaction
from app.services import ledger
from app.services.ledger import SaleRow
from tests import factories
from tests.ledger_factories import payout, product, sale, tamper


@pytest.fixture
def finance(app):
    return factories.user("finance")


def _recomputed(db) -> dict[int, int]:
    return dict(db.session.execute(
        select(LedgerEntry.account_id, func.sum(LedgerEntry.amount_minor))
        .group_by(LedgerEntry.account_id)).tuples().all())


def _kept(db) -> dict[int, int]:
    return dict(db.session.execute(
        select(LedgerBalance.account_id, LedgerBalance.balance_minor)).tuples().all())


def test_kept_balances_follow_sales_returns_payouts_and_reversals(db, finance):
    owner, partner = factories.user(), factories.user()
    item = product(owner, partner, shares=(6_000, 4_000), rate_bps=1_000)
    sold = sale(finance, item, 1_000_000, "USD")
    sale(finance, item, 2_000_000, "USD")
    sale(finance, item, 500_000, "JPY")
    sale(finance, item, -200_000, "USD")  # a return
    paid = payout(finance, owner, 30_000)
    ledger.reverse_transaction(finance, paid.payout.transaction_id, "paid twice")
    db.session.commit()
    ledger.reverse_transaction(finance, sold.sale.transaction_id, "wrong figures")
    db.session.commit()
    result = ledger.post_sales(finance, [
        SaleRow(2, item.id, "2026-05", 2, 700_000, "USD", "set-1"),
        SaleRow(3, item.id, "2026-05", -1, -100_000, "USD", "set-2"),
        SaleRow(4, item.id, "2026-05", 1, 333_333, "JPY", "set-3")])
    db.session.commit()
    assert result.created == 3

    assert _kept(db) == _recomputed(db)
    # USD royalties: 10% of (2,000,000 - 200,000 + 700,000 - 100,000), the first sale and the
    # payout reversed; 60% to the owner, 40% to the partner.
    assert ledger.payable_balance(owner.id, "USD") == 144_000
    assert ledger.balances_of(partner.id) == {"JPY": 20_000 + 13_333, "USD": 96_000}
    totals = ledger.ledger_totals()
    assert totals["USD"]["outstanding"] == 240_000 and totals["USD"]["paid_out"] == 0
    assert ledger.verify_ledger() == []


def test_an_account_whose_entries_cancel_in_one_batch_keeps_a_zero_balance(db, finance):
    owner = factories.user()
    item = product(owner, rate_bps=10_000)
    ledger.post_sales(finance, [SaleRow(2, item.id, "2026-04", 1, 500, "EUR", "in"),
                                SaleRow(3, item.id, "2026-04", -1, -500, "EUR", "out")])
    db.session.commit()
    account = db.session.scalar(select(LedgerAccount.id).where(
        LedgerAccount.code == ledger.account_code("creator_payable", "EUR", owner.id)))
    assert _kept(db)[account] == 0 == _recomputed(db)[account]
    assert ledger.balances_of(owner.id) == {"EUR": 0}
    assert ledger.verify_ledger() == []


def test_verify_names_an_edited_balance_row(db, finance):
    owner = factories.user()
    sale(finance, product(owner), 1_000_000, "USD")
    account = db.session.scalar(select(LedgerAccount.id).where(
        LedgerAccount.code == ledger.account_code("creator_payable", "USD", owner.id)))
    db.session.execute(text("UPDATE ledger_balances SET balance_minor = balance_minor - 5000 "
                            "WHERE account_id = :id"), {"id": account})
    db.session.commit()
    assert ledger.payable_balance(owner.id, "USD") == 15_000  # what a payout would now allow
    messages = [str(problem) for problem in ledger.verify_ledger()]
    assert f"account {account}: its kept balance (-15000) is not the sum of its entries " \
           f"(-10000)" in messages


def test_verify_names_a_missing_balance_row(db, finance):
    sale(finance, product(factories.user()), 1_000_000, "USD")
    db.session.execute(text("DELETE FROM ledger_balances"))
    db.session.commit()
    messages = [str(problem) for problem in ledger.verify_ledger()]
    assert sum("have no kept balance" in message for message in messages) == 2


def test_verify_names_a_deleted_entry(db, backend, finance):
    item = product(factories.user(), factories.user())
    sale(finance, item, 100_000, "USD")
    target = sale(finance, item, 50_000, "USD").sale
    sale(finance, item, 70_000, "USD")
    entry_id = db.session.scalar(select(LedgerEntry.id).where(
        LedgerEntry.transaction_id == target.transaction_id, LedgerEntry.amount_minor < 0))
    tamper(db, backend, "ledger_entries", "DELETE FROM ledger_entries WHERE id = :id",
           {"id": entry_id})
    problems = ledger.verify_ledger()
    named = [str(p) for p in problems if p.transaction_id == target.transaction_id]
    assert any("hash does not match" in message for message in named)
    assert any("do not balance" in message for message in named)
    assert any("kept balance" in str(p) for p in problems)


def test_verify_names_a_deleted_transaction(db, backend, finance):
    item = product(factories.user())
    for n in range(1, 5):
        sale(finance, item, 1_000 * n, "USD")
    second = db.session.scalar(select(LedgerTransaction).where(LedgerTransaction.sequence == 2))
    for table, statement in (
            ("sales", "DELETE FROM sales WHERE transaction_id = :id"),
            ("ledger_entries", "DELETE FROM ledger_entries WHERE transaction_id = :id"),
            ("ledger_transactions", "DELETE FROM ledger_transactions WHERE id = :id")):
        tamper(db, backend, table, statement, {"id": second.id})
    messages = [str(p) for p in ledger.verify_ledger()]
    assert any("sequence 3 where 2 was expected" in m for m in messages)
    assert any("kept balance" in m for m in messages)
