"""Payouts racing for the same balance, on real concurrent connections: two threads, each with
its own app context, session and database connection, try to pay out 70 of a balance of 100 at
the same moment. Exactly one may succeed; the balance never goes below zero.

On PostgreSQL the ledger's advisory lock serialises them; on SQLite the database write lock
taken at the start of the posting does (WAL mode, two connections to the same file)."""
from __future__ import annotations

import threading

from app.errors import Conflict
from app.extensions import db
from app.models import Product, User
from app.services import ledger
from tests import factories
from tests.ledger_factories import product, sale

ATTEMPTS = 3  # repeat the race: a lucky interleaving must not pass by chance


def _race(app, finance_id: int, creator_id: int, amount: int, references: list[str]) -> list:
    barrier = threading.Barrier(len(references))
    outcomes: list = [None] * len(references)

    def attempt(index: int) -> None:
        with app.app_context():
            try:
                finance = db.session.get(User, finance_id)
                db.session.execute(db.select(User.id).limit(1))  # connect before the start
                barrier.wait(timeout=10)
                ledger.record_payout(finance, creator_id, amount, "USD", references[index])
                db.session.commit()
                outcomes[index] = "paid"
            except Conflict as error:
                db.session.rollback()
                outcomes[index] = error.code
            except Exception as error:  # pragma: no cover - reported by the assertion
                db.session.rollback()
                outcomes[index] = repr(error)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=attempt, args=(i,)) for i in range(len(references))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return outcomes


def test_two_racing_payouts_never_overdraw_a_balance(app, backend):
    finance_id = factories.user("finance").id
    creator_id = factories.user().id
    # Royalty = net sales (a 100% rate), to make round numbers.
    item_id = product(db.session.get(User, creator_id), rate_bps=10_000).id
    for attempt in range(ATTEMPTS):
        finance, item = db.session.get(User, finance_id), db.session.get(Product, item_id)
        sale(finance, item, 100 - ledger.payable_balance(creator_id, "USD"), "USD")
        assert ledger.payable_balance(creator_id, "USD") == 100
        db.session.remove()  # the threads must not wait on a connection this thread holds

        outcomes = _race(app, finance_id, creator_id, 70,
                         [f"race-{attempt}-a", f"race-{attempt}-b"])

        assert sorted(outcomes) == ["insufficient_balance", "paid"], outcomes
        assert ledger.payable_balance(creator_id, "USD") == 30
    assert ledger.verify_ledger() == []
