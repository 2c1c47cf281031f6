"""verify_ledger streams the chain: tampering anywhere in a chain longer than one fetch is
named, and the number of statements does not grow with the ledger."""
from __future__ import annotations

import pytest
from sqlalchemy import event, select

from app.models.ledger import LedgerTransaction
from app.services import ledger
from app.services.ledger import verify as verify_module
from tests import factories
from tests.ledger_factories import payout, product, sale, tamper


@pytest.fixture
def finance(app):
    return factories.user("finance")


@pytest.fixture
def small_fetches(monkeypatch):
    monkeypatch.setattr(verify_module, "VERIFY_CHUNK", 2)


def _statements(db, function) -> list[str]:
    seen: list[str] = []

    def before(conn, cursor, statement, parameters, context, executemany):
        seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", before)
    try:
        function()
    finally:
        event.remove(db.engine, "before_cursor_execute", before)
    return seen


def test_a_changed_memo_in_the_middle_of_a_long_chain_is_named(db, backend, finance,
                                                               small_fetches):
    item = product(factories.user())
    results = [sale(finance, item, 10_000 * n, "USD") for n in range(1, 7)]
    target = results[2].sale.transaction_id
    tamper(db, backend, "ledger_transactions",
           "UPDATE ledger_transactions SET memo = 'Sale of something else' WHERE id = :id",
           {"id": target})
    problems = ledger.verify_ledger()
    assert [p.transaction_id for p in problems] == [target]
    assert "hash does not match" in str(problems[0])


def test_a_changed_payout_is_named_with_its_entries(db, backend, finance, small_fetches):
    creator = factories.user()
    sale(finance, product(creator), 100_000, "USD")
    paid = payout(finance, creator, 500).payout
    sale(finance, product(creator), 100_000, "USD")
    tamper(db, backend, "payouts", "UPDATE payouts SET amount_minor = 400 WHERE id = :id",
           {"id": paid.id})
    messages = [str(p) for p in ledger.verify_ledger() if p.transaction_id == paid.transaction_id]
    assert any("hash does not match" in m for m in messages)
    assert any("do not match payout" in m for m in messages)


def test_a_reordered_chain_is_named(db, backend, finance, small_fetches):
    item = product(factories.user())
    for n in range(1, 5):
        sale(finance, item, 1_000 * n, "USD")
    last = db.session.scalar(select(LedgerTransaction).order_by(
        LedgerTransaction.sequence.desc()))
    tamper(db, backend, "ledger_transactions",
           "UPDATE ledger_transactions SET sequence = 9 WHERE id = :id", {"id": last.id})
    problems = [str(p) for p in ledger.verify_ledger()]
    assert any("sequence 9 where 4 was expected" in m for m in problems)


def test_verify_costs_the_same_statements_for_a_short_or_a_long_ledger(db, finance):
    creator = factories.user()
    item = product(creator)
    sale(finance, item, 10_000, "USD")
    short = _statements(db, ledger.verify_ledger)
    for n in range(12):
        sale(finance, item, 10_000 + n, "USD")
    payout(finance, creator, 50)
    assert len(_statements(db, ledger.verify_ledger)) == len(short)


def test_sales_posted_either_way_are_checked_on_the_fast_path(db, finance, monkeypatch):
    from app.services.ledger import SaleRow

    owner, partner = factories.user(), factories.user()
    item = product(owner, partner, shares=(7_001, 2_999), rate_bps=333)
    sale(finance, item, 123_457, "USD")
    sale(finance, item, -23_457, "USD")  # a return
    ledger.post_sales(finance, [SaleRow(n, item.id, "2026-05", 1, 10_001 * n, "JPY", f"f-{n}")
                                for n in range(2, 7)] + [
        SaleRow(7, item.id, "2026-05", 1, 1, "JPY", "tiny")])  # a royalty of zero
    db.session.commit()
    payout(finance, owner, 100)
    slow: list[int] = []
    exact = verify_module._slow_row
    monkeypatch.setattr(verify_module, "_slow_row",
                        lambda chain, row, *args: slow.append(row[0]) or exact(chain, row, *args))
    assert ledger.verify_ledger() == []
    kinds = dict(db.session.execute(select(LedgerTransaction.id, LedgerTransaction.kind)).all())
    assert [kinds[tid] for tid in slow] == ["payout"]


def test_an_entry_moved_to_another_currency_is_named(db, backend, finance):
    item = product(factories.user())
    target = sale(finance, item, 100_000, "USD").sale
    tamper(db, backend, "ledger_entries",
           "UPDATE ledger_entries SET currency = 'EUR' WHERE transaction_id = :id",
           {"id": target.transaction_id})
    messages = [str(p) for p in ledger.verify_ledger() if p.transaction_id ==
                target.transaction_id]
    assert any("hash does not match" in m for m in messages)
    assert any("an entry is in EUR but its account royalty_expense:USD is in USD" in m
               for m in messages)
