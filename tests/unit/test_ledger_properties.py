"""Property-based tests of the ledger's invariants: whatever sequence of sales, returns,
payouts and corrections finance records (accepted or refused), every transaction balances per
currency, no creator's balance is ever negative, the creators' balances equal royalties minus
payouts, and verify finds nothing wrong."""
from __future__ import annotations

import itertools
from collections import defaultdict

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from app.errors import Conflict
from app.extensions import db
from app.models.ledger import LedgerAccount, LedgerEntry, LedgerTransaction, Payout, Sale
from app.money import royalty_minor, split_largest_remainder
from app.services import ledger
from tests import factories
from tests.ledger_factories import product

CURRENCIES = ("USD", "JPY", "BHD")
_refs = itertools.count(1)

shares = st.lists(st.integers(min_value=0, max_value=10_000), min_size=1, max_size=4).filter(
    lambda parts: sum(parts) > 0).map(
    lambda parts: [p * 10_000 // sum(parts) for p in parts[:-1]]
    + [10_000 - sum(p * 10_000 // sum(parts) for p in parts[:-1])])

operation = st.one_of(
    st.tuples(st.just("sale"), st.integers(0, 1), st.sampled_from(CURRENCIES),
              st.integers(-2_000_000, 5_000_000)),
    st.tuples(st.just("payout"), st.integers(0, 3), st.sampled_from(CURRENCIES),
              st.integers(1, 50_000)),
    st.tuples(st.just("reverse"), st.integers(0, 50), st.just(""), st.just(0)),
)


def _payables_by_user() -> dict[tuple[int, str], int]:
    rows = db.session.execute(
        select(LedgerAccount.user_id, LedgerAccount.currency, func.sum(LedgerEntry.amount_minor))
        .join(LedgerEntry, LedgerEntry.account_id == LedgerAccount.id)
        .where(LedgerAccount.kind == "creator_payable")
        .group_by(LedgerAccount.user_id, LedgerAccount.currency))
    return {(user_id, currency): -int(total) for user_id, currency, total in rows}


@settings(max_examples=12, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(split_a=shares, split_b=shares, rate=st.integers(0, 2_000),
       operations=st.lists(operation, min_size=1, max_size=14))
def test_any_sequence_of_postings_keeps_the_ledger_sound(app, split_a, split_b, rate, operations):
    finance = factories.user("finance")
    people = [factories.user() for _ in range(4)]
    products = [product(*people[:len(split_a)], shares=tuple(split_a), rate_bps=rate),
                product(*people[len(people) - len(split_b):], shares=tuple(split_b),
                        rate_bps=rate)]
    transactions: list[int] = []
    for kind, index, currency, amount in operations:
        try:
            if kind == "sale":
                result = ledger.record_sale(finance, products[index].id, "2026-04", 1, amount,
                                            currency, f"prop-{next(_refs)}")
                transactions.append(result.sale.transaction_id)
            elif kind == "payout":
                result = ledger.record_payout(finance, people[index].id, amount, currency,
                                              f"prop-{next(_refs)}")
                transactions.append(result.payout.transaction_id)
            elif transactions:
                ledger.reverse_transaction(finance, transactions[index % len(transactions)],
                                           "property test")
        except Conflict:
            db.session.rollback()  # refused (balance, already reversed): nothing was written
        else:
            db.session.commit()

    # Every transaction balances per currency.
    unbalanced = db.session.execute(
        select(LedgerEntry.transaction_id, LedgerEntry.currency)
        .group_by(LedgerEntry.transaction_id, LedgerEntry.currency)
        .having(func.sum(LedgerEntry.amount_minor) != 0)).all()
    assert unbalanced == []
    # No creator's balance is negative.
    payables = _payables_by_user()
    assert all(balance >= 0 for balance in payables.values()), payables
    # Per currency, creators' balances == royalties - payouts (reversed ones excluded).
    reversed_ids = set(db.session.scalars(select(LedgerTransaction.reverses_id).where(
        LedgerTransaction.reverses_id.is_not(None))))
    expected: dict[str, int] = defaultdict(int)
    for record in db.session.scalars(select(Sale)):
        if record.transaction_id not in reversed_ids:
            expected[record.currency] += record.royalty_minor
            # ... and each royalty is net x rate, half-even, split by largest remainder.
            assert record.royalty_minor == royalty_minor(record.net_sales_minor,
                                                         record.royalty_rate_bps)
    for record in db.session.scalars(select(Payout)):
        if record.transaction_id not in reversed_ids:
            expected[record.currency] -= record.amount_minor
    totals: dict[str, int] = defaultdict(int)
    for (_user, currency), balance in payables.items():
        totals[currency] += balance
    assert {c: v for c, v in totals.items() if v} == {c: v for c, v in expected.items() if v}
    assert ledger.verify_ledger() == []


@given(net=st.integers(-10**13, 10**13), rate=st.integers(0, 10_000), split=shares)
def test_sale_postings_always_balance_and_mirror_their_return(net, rate, split):
    """The arithmetic of a posting, without a database: the creators' parts sum exactly to the
    royalty, each within one minor unit of its exact share, and a return is the exact mirror."""
    royalty = royalty_minor(net, rate)
    parts = split_largest_remainder(royalty, split)
    assert sum(parts) == royalty
    for part, share in zip(parts, split):
        exact_times_whole = royalty * share  # exact share x 10,000
        assert abs(part * 10_000 - exact_times_whole) < 10_000
    assert split_largest_remainder(royalty_minor(-net, rate), split) == [-p for p in parts]
    assert ledger.unbalanced_currencies(
        [("USD", royalty)] + [("USD", -part) for part in parts]) == {}
