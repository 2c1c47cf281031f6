"""Posting sales in sets: the same ledger as row by row, idempotent inside and across batches,
a constant number of queries per batch, and canonical_fast writing the contract's bytes."""
from __future__ import annotations

import hashlib
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import event, func, select

from app.models.ledger import LedgerAccount, LedgerEntry, LedgerTransaction, Sale
from app.services import ledger
from app.services.ledger import SaleRow
from tests import factories
from tests.ledger_factories import product

MOMENT = datetime(2026, 5, 1, 9, 30, 15, 123456, tzinfo=UTC)


@pytest.fixture
def finance(app):
    return factories.user("finance")


@pytest.fixture
def frozen_clock(monkeypatch):
    """Both ways of posting stamp the same created_at, so their hashes can be compared."""
    import app.services.ledger.batch as batch_module
    import app.services.ledger.posting as posting_module

    monkeypatch.setattr(posting_module, "utcnow", lambda: MOMENT)
    monkeypatch.setattr(batch_module, "utcnow", lambda: MOMENT)


@contextmanager
def counted(db):
    statements: list[str] = []

    def before(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", before)
    try:
        yield statements
    finally:
        event.remove(db.engine, "before_cursor_execute", before)


def _rows(items) -> list[SaleRow]:
    """Sales and returns over products with remainders to split, in two currencies."""
    first, second = items
    figures = [
        (first, "2026-04", 3, 123_457, "USD"), (second, "2026-04", 1, 99_999, "USD"),
        (first, "2026-04", -1, -40_001, "USD"),  # a return: needs the balance before it
        (second, "2026-05", 7, 1_234_567, "JPY"), (first, "2026-05", 2, 3, "JPY"),
        (second, "2026-05", -1, -77_777, "JPY"), (first, "2026-06", 1, 0, "USD"),
    ]
    return [SaleRow(line, item.id, period, units, net, currency, f"set-{line}")
            for line, (item, period, units, net, currency) in enumerate(figures, start=2)]


def _ledger_state(db) -> tuple[list, list, dict]:
    transactions = [
        (t.sequence, t.kind, t.memo, t.created_by_id, t.prev_hash, t.hash,
         sorted((e.account.code, e.amount_minor) for e in t.entries))
        for t in db.session.scalars(select(LedgerTransaction)
                                    .order_by(LedgerTransaction.sequence))]
    sales = [(s.external_ref, s.product_id, s.period, s.units, s.net_sales_minor, s.currency,
              s.royalty_rate_bps, s.royalty_minor, s.recorded_by_id)
             for s in db.session.scalars(select(Sale).order_by(Sale.external_ref))]
    balances = dict(db.session.execute(
        select(LedgerAccount.code, func.sum(LedgerEntry.amount_minor))
        .join(LedgerEntry, LedgerEntry.account_id == LedgerAccount.id)
        .group_by(LedgerAccount.code)).tuples().all())
    return transactions, sales, balances


def test_batch_posting_equals_row_by_row_posting(db, finance, frozen_clock):
    a, b, c = factories.user(), factories.user(), factories.user()
    items = (product(a, b, c, shares=(3_334, 3_333, 3_333), rate_bps=777),
             product(b, c, shares=(5_000, 5_000), rate_bps=1_250))
    rows = _rows(items)
    for row in rows:
        ledger.record_sale(finance, row.product_id, row.period, row.units, row.net_sales_minor,
                           row.currency, row.external_ref, notify=False, audit=False)
    db.session.flush()
    row_by_row = _ledger_state(db)
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(LedgerTransaction)) == 0

    result = ledger.post_sales(finance, rows)
    db.session.commit()

    assert (result.created, result.existing, result.errors) == (len(rows), 0, [])
    assert _ledger_state(db) == row_by_row
    assert ledger.verify_ledger() == []


def test_a_batch_continues_the_chain_of_single_postings(db, finance):
    item = product(factories.user())
    ledger.record_sale(finance, item.id, "2026-04", 1, 10_000, "USD", "one-by-one")
    db.session.commit()
    ledger.post_sales(finance, [SaleRow(2, item.id, "2026-04", 1, 20_000, "USD", "in-a-set")])
    db.session.commit()
    ledger.record_sale(finance, item.id, "2026-04", 1, 30_000, "USD", "after-the-set")
    db.session.commit()
    chain = db.session.scalars(select(LedgerTransaction)
                               .order_by(LedgerTransaction.sequence)).all()
    assert [t.sequence for t in chain] == [1, 2, 3]
    assert chain[1].prev_hash == chain[0].hash and chain[2].prev_hash == chain[1].hash
    assert ledger.verify_ledger() == []


def test_a_reference_repeated_in_one_batch_is_recorded_once(db, finance):
    item = product(factories.user())
    rows = [SaleRow(2, item.id, "2026-04", 1, 10_000, "USD", "dup"),
            SaleRow(3, item.id, "2026-04", 1, 10_000, "USD", "dup"),   # same figures: a no-op
            SaleRow(4, item.id, "2026-04", 1, 99_000, "USD", "dup"),   # other figures: refused
            SaleRow(5, item.id, "2026-04", 1, 20_000, "USD", "other")]
    result = ledger.post_sales(finance, rows)
    db.session.commit()
    assert (result.created, result.existing) == (2, 1)
    assert [error.line for error in result.errors] == [4]
    assert "different figures" in result.errors[0].reason
    assert db.session.scalar(select(func.count()).select_from(Sale)) == 2


def test_references_repeated_across_batches_are_recorded_once(db, finance):
    owner = factories.user()
    item = product(owner)
    rows = [SaleRow(n, item.id, "2026-04", 1, 10_000, "USD", f"x-{n % 3}") for n in range(2, 9)]
    result = ledger.import_sales(finance, rows, batch_size=2)
    db.session.commit()
    assert (result.created, result.existing) == (3, 4)
    assert db.session.scalar(select(func.count()).select_from(Sale)) == 3
    assert ledger.payable_balance(owner.id, "USD") == 300
    again = ledger.import_sales(finance, rows, batch_size=3)
    assert (again.created, again.existing) == (0, 7)
    assert ledger.verify_ledger() == []


def test_a_return_may_only_use_the_balance_earned_before_it(db, finance):
    owner = factories.user()
    item = product(owner, rate_bps=10_000)
    rows = [SaleRow(2, item.id, "2026-04", -1, -500, "USD", "early-return"),
            SaleRow(3, item.id, "2026-04", 1, 1_000, "USD", "sale"),
            SaleRow(4, item.id, "2026-04", -1, -600, "USD", "late-return"),
            SaleRow(5, item.id, "2026-04", -1, -600, "USD", "one-too-many")]
    assert [error.line for error in ledger.check_sales(rows)] == [2, 5]
    assert db.session.scalar(select(func.count()).select_from(Sale)) == 0  # a dry run
    result = ledger.post_sales(finance, rows)
    db.session.commit()
    assert [error.line for error in result.errors] == [2, 5]
    assert "below zero" in result.errors[0].reason
    assert ledger.payable_balance(owner.id, "USD") == 400


def test_a_dry_run_carries_balances_from_batch_to_batch(db, finance):
    item = product(factories.user(), rate_bps=10_000)
    rows = [SaleRow(2, item.id, "2026-04", 1, 1_000, "USD", "first"),
            SaleRow(3, item.id, "2026-04", -1, -1_000, "USD", "back")]
    assert ledger.check_sales(rows, batch_size=1) == []
    assert [e.line for e in ledger.check_sales(rows[1:], batch_size=1)] == [3]


def test_unknown_products_are_refused_by_line(db, finance):
    rows = [SaleRow(2, 999_999, "2026-04", 1, 1_000, "USD", "nowhere")]
    result = ledger.post_sales(finance, rows)
    assert result.created == 0 and [e.line for e in result.errors] == [2]


def test_a_batch_costs_the_same_queries_for_ten_rows_or_three_hundred(db, finance):
    items = [product(factories.user(), factories.user()) for _ in range(3)]

    def batch(prefix: str, count: int) -> list[SaleRow]:
        return [SaleRow(n, items[n % 3].id, "2026-04", 1, 1_000 + n, "USD", f"{prefix}-{n}")
                for n in range(count)]

    ledger.post_sales(finance, batch("warm", 3))  # accounts exist from here on
    db.session.commit()
    with counted(db) as small:
        ledger.post_sales(finance, batch("small", 10))
    db.session.commit()
    with counted(db) as large:
        ledger.post_sales(finance, batch("large", 300))
    db.session.commit()
    assert len(large) == len(small) <= 16


# --------------------------------------------------------------------------- canonical_fast

texts = st.text(max_size=40)
ints = st.integers(min_value=-(10**15), max_value=10**15)
ids = st.none() | st.integers(min_value=1, max_value=2**31 - 1)
moments = st.datetimes(min_value=datetime(1000, 1, 1), max_value=datetime(9999, 12, 30),
                       timezones=st.none() | st.just(UTC) | st.builds(
                           lambda minutes: timezone(timedelta(minutes=minutes)),
                           st.integers(min_value=-720, max_value=720)))
entries = st.lists(st.tuples(texts, st.text(min_size=3, max_size=3), ints), max_size=5)
sales = st.tuples(texts, ints, texts, ints, ints, texts, ints, ints)
payouts = st.tuples(texts, ints, ints, texts)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(sequence=st.integers(min_value=1, max_value=2**31), kind=texts, memo=texts,
       reverses_id=ids, created_by_id=ids, created_at=moments,
       prev_hash=st.text(alphabet="0123456789abcdef", min_size=64, max_size=64),
       lines=entries, source=st.none() | st.tuples(st.just("sale"), sales)
       | st.tuples(st.just("payout"), payouts))
def test_canonical_fast_writes_exactly_the_contracts_bytes(sequence, kind, memo, reverses_id,
                                                          created_by_id, created_at, prev_hash,
                                                          lines, source):
    sale = source[1] if source and source[0] == "sale" else None
    payout = source[1] if source and source[0] == "payout" else None
    as_dict = None
    if sale:
        as_dict = {"sale": dict(zip(("external_ref", "product_id", "period", "units",
                                     "net_sales_minor", "currency", "royalty_rate_bps",
                                     "royalty_minor"), sale))}
    elif payout:
        as_dict = {"payout": dict(zip(("reference", "user_id", "amount_minor", "currency"),
                                      payout))}
    reference = ledger.canonical_transaction(
        sequence=sequence, kind=kind, memo=memo, reverses_id=reverses_id,
        created_by_id=created_by_id, created_at=created_at, prev_hash=prev_hash,
        entries=lines, source=as_dict)
    fast = ledger.canonical_fast(sequence, kind, memo, reverses_id, created_by_id, created_at,
                                 prev_hash, lines, sale=sale, payout=payout)
    assert fast == reference
    assert ledger.hash_fast(sequence, kind, memo, reverses_id, created_by_id, created_at,
                            prev_hash, lines, sale=sale, payout=payout) == \
        hashlib.sha256(reference).hexdigest()


def test_a_run_forgets_the_balances_it_knew_once_someone_else_posts(db, finance):
    from app.services.ledger.batch import PostingRun
    from tests.ledger_factories import payout

    owner = factories.user()
    item = product(owner, rate_bps=10_000)
    run = PostingRun()
    first = ledger.post_sales(finance, [
        SaleRow(2, item.id, "2026-04", 1, 1_000, "USD", "r-sale"),
        SaleRow(3, item.id, "2026-04", -1, -100, "USD", "r-return")], run=run)
    db.session.commit()
    assert first.created == 2 and run.balances == {(owner.id, "USD"): 900}
    second = ledger.post_sales(finance, [
        SaleRow(4, item.id, "2026-04", -1, -100, "USD", "r-return-2")], run=run)
    db.session.commit()
    assert second.created == 1 and run.balances == {(owner.id, "USD"): 800}

    payout(finance, owner, 750)  # another writer: the run's balance is stale now
    third = ledger.post_sales(finance, [
        SaleRow(5, item.id, "2026-04", -1, -100, "USD", "r-return-3")], run=run)
    assert [error.line for error in third.errors] == [5]
    assert ledger.payable_balance(owner.id, "USD") == 50


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(sequence=st.integers(min_value=1, max_value=2**31), memo=texts,
       created_by_id=ids, created_at=moments,
       prev_hash=st.text(alphabet="0123456789abcdef", min_size=64, max_size=64),
       codes=st.lists(texts, min_size=1, max_size=4, unique=True),
       currency=st.text(min_size=3, max_size=3), data=st.data(),
       sale=st.tuples(texts, ints, texts, ints, ints, st.integers(0, 10**6), ints))
def test_sale_canonical_writes_exactly_the_contracts_bytes(sequence, memo, created_by_id,
                                                           created_at, prev_hash, codes,
                                                           currency, data, sale):
    from app.services.ledger.chain import SaleCanonical, _iso_fast

    ref, product_id, period, units, net, rate, royalty = sale
    amounts = data.draw(st.lists(st.one_of(st.just(0), ints), min_size=len(codes),
                                 max_size=len(codes)))
    reference = ledger.canonical_transaction(
        sequence=sequence, kind="sale", memo=memo, reverses_id=None,
        created_by_id=created_by_id, created_at=created_at, prev_hash=prev_hash,
        entries=[(code, currency, amount) for code, amount in zip(codes, amounts) if amount],
        source={"sale": {"external_ref": ref, "product_id": product_id, "period": period,
                         "units": units, "net_sales_minor": net, "currency": currency,
                         "royalty_rate_bps": rate, "royalty_minor": royalty}})
    canonical = SaleCanonical(codes, currency, product_id, rate)
    assert canonical.distinct
    assert canonical.render(sequence, memo, created_by_id, _iso_fast(created_at), prev_hash,
                            amounts, ref, period, units, net, royalty) == reference


@settings(max_examples=300, deadline=None)
@given(total=ints, cuts=st.lists(st.integers(0, 10_000), max_size=4))
def test_splitting_by_checked_shares_is_split_largest_remainder(total, cuts):
    from app.money import split_by_checked_shares, split_largest_remainder

    points = sorted(cuts)
    shares = [b - a for a, b in zip([0] + points, points + [10_000])]
    assert split_by_checked_shares(total, shares) == split_largest_remainder(total, shares)


def test_a_run_after_a_rolled_back_batch_looks_its_accounts_up_again(db, finance):
    from app.services.ledger.batch import PostingRun

    owner = factories.user()
    item = product(owner, rate_bps=10_000)
    run = PostingRun()
    ledger.post_sales(finance, [SaleRow(2, item.id, "2026-04", 1, 1_000, "USD", "gone")], run=run)
    db.session.rollback()  # the batch and the accounts it created are gone
    result = ledger.post_sales(finance, [SaleRow(3, item.id, "2026-04", 1, 1_000, "USD", "kept")],
                               run=run)
    db.session.commit()
    assert result.created == 1
    assert ledger.payable_balance(owner.id, "USD") == 1_000
    assert ledger.verify_ledger() == []
