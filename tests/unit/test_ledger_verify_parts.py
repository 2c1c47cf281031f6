"""Verify walks a long PostgreSQL ledger in two processes (the later half of the ids in a forked
child on the same snapshot). Its answer must be the one walk's answer: sound ledgers pass with
the same count, and anything wrong is named exactly as one process names it."""
from __future__ import annotations

import os

import pytest

from app.services import ledger
from app.services.ledger import verify as verify_module
from tests import factories
from tests.ledger_factories import payout, product, sale, tamper

pytestmark = pytest.mark.postgres_only


@pytest.fixture
def finance(app):
    return factories.user("finance")


@pytest.fixture
def in_parts(app, monkeypatch):
    """Walk in parts from two transactions on; record whether the parts' answer was used."""
    monkeypatch.setattr(verify_module, "PARALLEL_FROM", 2)
    app.config["LEDGER_VERIFY_PROCESSES"] = 2
    used: list[bool] = []
    walk = verify_module._walk_in_parts

    def recording(*args):
        chain = walk(*args)
        used.append(chain is not None)
        return chain

    monkeypatch.setattr(verify_module, "_walk_in_parts", recording)
    return used


def _one_process(app):
    app.config["LEDGER_VERIFY_PROCESSES"] = 1
    try:
        return ledger.run_verification()
    finally:
        app.config["LEDGER_VERIFY_PROCESSES"] = 2


def _busy_ledger(finance):
    """Sales, a return, a payout and reversals, some reversing a transaction of the first half
    from the second."""
    owner, partner = factories.user(), factories.user()
    item = product(owner, partner, shares=(6_000, 4_000), rate_bps=1_000)
    first = sale(finance, item, 1_000_000, "USD")
    for n in range(6):
        sale(finance, item, 100_000 + n, "USD" if n % 2 else "JPY")
    sale(finance, item, -50_000, "USD")
    paid = payout(finance, owner, 3_000)
    for n in range(4):
        sale(finance, item, 200_000 + n, "USD")
    ledger.reverse_transaction(finance, first.sale.transaction_id, "posted twice")
    ledger.reverse_transaction(finance, paid.payout.transaction_id, "paid twice")
    from app.extensions import db

    db.session.commit()
    return owner, item


def test_a_sound_ledger_walked_in_parts_passes_with_every_transaction_counted(app, db, finance,
                                                                             in_parts):
    _busy_ledger(finance)
    result = ledger.run_verification()
    assert in_parts == [True]
    assert result.problems == []
    assert result.transactions == _one_process(app).transactions == 15


def test_tampering_in_the_second_half_is_named_as_one_process_names_it(app, db, finance,
                                                                      in_parts):
    _busy_ledger(finance)
    from sqlalchemy import select

    from app.models.ledger import LedgerTransaction

    ids = db.session.scalars(select(LedgerTransaction.id).order_by(LedgerTransaction.id)).all()
    target = ids[-3]
    tamper(db, "postgresql", "ledger_entries",
           "UPDATE ledger_entries SET amount_minor = amount_minor + 1 "
           "WHERE transaction_id = :id AND amount_minor > 0", {"id": target})
    problems = ledger.verify_ledger()
    assert in_parts == [False]
    assert problems == _one_process(app).problems
    assert {p.transaction_id for p in problems if p.transaction_id} == {target}
    assert any("hash does not match" in str(p) for p in problems)


def test_a_broken_link_between_the_halves_is_named(app, db, finance, in_parts):
    _busy_ledger(finance)
    from sqlalchemy import select

    from app.models.ledger import LedgerTransaction

    ids = db.session.scalars(select(LedgerTransaction.id).order_by(LedgerTransaction.id)).all()
    split = (ids[0] + ids[-1]) // 2 + 1
    tamper(db, "postgresql", "ledger_transactions",
           "UPDATE ledger_transactions SET prev_hash = :h WHERE id = :id",
           {"h": "0" * 64, "id": split})
    problems = [str(p) for p in ledger.verify_ledger()]
    assert in_parts == [False]
    assert any("prev_hash does not match" in m for m in problems)


def test_a_child_that_fails_leaves_the_walk_to_one_process(app, db, finance, in_parts,
                                                          monkeypatch):
    _busy_ledger(finance)

    def dies(writer, *args):
        os._exit(3)

    monkeypatch.setattr(verify_module, "_child_walk", dies)
    result = ledger.run_verification()
    assert in_parts == [False]
    assert result.problems == [] and result.transactions == 15


def test_a_balance_driven_below_zero_across_the_halves_is_not_vouched_for(app, db, finance):
    """The second half's sums start at zero: the highest it reached, added to the first half's
    balance, decides (here 30 owed before, 50 more taken back after)."""
    accounts, _ = verify_module._load_accounts(db.session)
    chain = verify_module._Chain(accounts, {}, set())
    chain.sums[7] = -30
    chain.last = (11, "h")
    part = {"problems": [], "count": 4, "first": (11, "h"), "highs": {7: 50}, "pending": [],
            "done_reversals": set(), "sums": {7: 20}, "royalties": {}, "paid": {}, "sales": 0,
            "payouts": 0}
    assert verify_module._join(chain, part) is False
    part["highs"] = {7: 30}
    assert verify_module._join(chain, part) is True
    assert chain.sums[7] == -10 and chain.count == 4
