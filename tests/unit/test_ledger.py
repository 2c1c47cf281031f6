"""The royalty ledger: sales, returns, payouts, corrections, append-only storage and verify."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError

from app.errors import Conflict, Forbidden, Invalid, NotFound
from app.models import AuditLog, Notification
from app.models.ledger import LedgerEntry, LedgerTransaction, Payout, Sale
from app.services import ledger
from tests import factories
from tests.ledger_factories import payout, product, ref, sale, tamper


@pytest.fixture
def finance(app):
    return factories.user("finance")


def _entries(transaction_id: int) -> dict[str, int]:
    from app.extensions import db
    from app.models.ledger import LedgerAccount

    rows = db.session.execute(
        select(LedgerAccount.code, LedgerEntry.amount_minor)
        .join(LedgerAccount, LedgerAccount.id == LedgerEntry.account_id)
        .where(LedgerEntry.transaction_id == transaction_id))
    return dict(rows.all())


# --------------------------------------------------------------------------- sales


def test_sale_posts_the_royalty_split_among_creators_in_one_balanced_transaction(finance):
    owner, partner = factories.user(), factories.user()
    item = product(owner, partner, shares=(7_000, 3_000), rate_bps=100)

    result = sale(finance, item, 123_456, "USD", period="2026-03", units=40)

    # 1% of 1234.56 USD = 12.3456 -> 12.35 (half-even to the cent); 70/30 by largest remainder.
    assert result.created
    assert result.sale.royalty_minor == 1_235
    assert result.postings == [(owner.id, 865), (partner.id, 370)]
    assert _entries(result.sale.transaction_id) == {
        "royalty_expense:USD": 1_235,
        f"creator_payable:{owner.id}:USD": -865,
        f"creator_payable:{partner.id}:USD": -370,
    }
    assert ledger.payable_balance(owner.id, "USD") == 865
    assert ledger.payable_balance(partner.id, "USD") == 370


def test_royalty_rounds_half_to_even_in_the_currencys_minor_unit(finance):
    creator = factories.user()
    item = product(creator, rate_bps=100)
    # 1% of 250 JPY = 2.5 yen -> 2 (even); 1% of 350 JPY = 3.5 -> 4 (even).
    assert sale(finance, item, 250, "JPY").sale.royalty_minor == 2
    assert sale(finance, item, 350, "JPY").sale.royalty_minor == 4
    assert ledger.balances_of(creator.id) == {"JPY": 6}


def test_return_posts_the_exact_reverse_of_the_sale(finance):
    owner, partner = factories.user(), factories.user()
    item = product(owner, partner, shares=(5_000, 5_000))
    sale(finance, item, 10_001, "USD")
    returned = sale(finance, item, -10_001, "USD", units=-1)

    assert returned.sale.royalty_minor == -100
    assert sorted(amount for _, amount in returned.postings) == [-50, -50]
    assert ledger.balances_of(owner.id) == {"USD": 0}
    assert ledger.balances_of(partner.id) == {"USD": 0}
    assert ledger.verify_ledger() == []


def test_return_larger_than_a_creators_balance_is_refused(finance):
    creator = factories.user()
    item = product(creator)
    sale(finance, item, 100_000, "USD")
    payout(finance, creator, 900)

    with pytest.raises(Conflict) as caught:
        ledger.record_sale(finance, item.id, "2026-04", -10, -100_000, "USD", ref())
    assert caught.value.code == "insufficient_balance"


def test_same_external_ref_with_same_figures_records_nothing_new(db, finance):
    item = product(factories.user())
    first = sale(finance, item, 5_000, "EUR", external_ref="shop-1")
    again = sale(finance, item, 5_000, "EUR", external_ref="shop-1")

    assert not again.created
    assert again.sale.id == first.sale.id
    assert again.postings == first.postings
    assert db.session.scalar(select(func.count()).select_from(Sale)) == 1
    assert db.session.scalar(select(func.count()).select_from(LedgerTransaction)) == 1


def test_same_external_ref_with_other_figures_is_a_conflict(db, finance):
    item = product(factories.user())
    sale(finance, item, 5_000, "EUR", external_ref="shop-1")
    with pytest.raises(Conflict) as caught:
        ledger.record_sale(finance, item.id, "2026-04", 1, 5_001, "EUR", "shop-1")
    assert caught.value.code == "external_ref_conflict"


@pytest.mark.parametrize("amount", [4.5, 4.0, "450", True, None])
def test_amounts_that_are_not_integers_are_refused(finance, amount):
    item = product(factories.user())
    with pytest.raises(Invalid) as caught:
        ledger.record_sale(finance, item.id, "2026-04", 1, amount, "USD", ref())
    assert "net_sales" in caught.value.fields


@pytest.mark.parametrize("period", ["2026-13", "2026-4", "26-04", "2026-04-01", "２０２６-04"])
def test_periods_must_be_year_and_month(finance, period):
    item = product(factories.user())
    with pytest.raises(Invalid) as caught:
        ledger.record_sale(finance, item.id, period, 1, 100, "USD", ref())
    assert "period" in caught.value.fields


def test_unknown_currency_and_product_are_refused(finance):
    item = product(factories.user())
    with pytest.raises(Invalid) as caught:
        ledger.record_sale(finance, item.id, "2026-04", 1, 100, "usd", ref())
    assert "currency" in caught.value.fields
    with pytest.raises(Invalid) as caught:
        ledger.record_sale(finance, 999_999, "2026-04", 1, 100, "USD", ref())
    assert "product_id" in caught.value.fields


def test_only_finance_records_sales_and_payouts(app):
    creator = factories.user()
    item = product(creator)
    for person in (factories.user(), factories.user("admin"), creator):
        with pytest.raises(Forbidden):
            ledger.record_sale(person, item.id, "2026-04", 1, 100, "USD", ref())
        with pytest.raises(Forbidden):
            ledger.record_payout(person, creator.id, 1, "USD", ref())


def test_recording_a_sale_is_audited_and_tells_the_creators(db, finance):
    owner, partner = factories.user(), factories.user()
    item = product(owner, partner)
    result = sale(finance, item, 100_000, "USD")

    entry = db.session.scalar(select(AuditLog).where(AuditLog.action == "ledger.sale_recorded"))
    assert entry.actor_id == finance.id and entry.target_id == result.sale.id
    kinds = db.session.scalars(select(Notification.user_id).where(
        Notification.category == "royalties")).all()
    assert sorted(kinds) == sorted([owner.id, partner.id])


# --------------------------------------------------------------------------- payouts


def test_payout_is_taken_from_the_creators_balance(db, finance):
    creator = factories.user()
    item = product(creator)
    sale(finance, item, 100_000, "USD")  # royalty 10.00 USD
    result = payout(finance, creator, 600)

    assert result.created
    assert ledger.payable_balance(creator.id, "USD") == 400
    assert _entries(result.payout.transaction_id) == {
        f"creator_payable:{creator.id}:USD": 600, "payouts_cash:USD": -600}
    assert db.session.scalar(select(AuditLog.id).where(
        AuditLog.action == "ledger.payout_recorded")) is not None


def test_payout_above_the_balance_is_refused(db, finance):
    creator = factories.user()
    item = product(creator)
    sale(finance, item, 100_000, "USD")
    with pytest.raises(Conflict) as caught:
        ledger.record_payout(finance, creator.id, 1_001, "USD", ref())
    assert caught.value.code == "insufficient_balance"
    # ...and in a currency the creator never earned in.
    with pytest.raises(Conflict):
        ledger.record_payout(finance, creator.id, 1, "JPY", ref())
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(Payout)) == 0


def test_payout_reference_is_idempotent(db, finance):
    creator = factories.user()
    sale(finance, product(creator), 100_000, "USD")
    first = payout(finance, creator, 500, reference="bank-7")
    again = payout(finance, creator, 500, reference="bank-7")
    assert not again.created and again.payout.id == first.payout.id
    assert ledger.payable_balance(creator.id, "USD") == 500
    with pytest.raises(Conflict) as caught:
        ledger.record_payout(finance, creator.id, 400, "USD", "bank-7")
    assert caught.value.code == "reference_conflict"


@pytest.mark.parametrize("amount", [0, -5, 2.5, "5"])
def test_payout_amount_must_be_a_positive_integer(finance, amount):
    creator = factories.user()
    with pytest.raises(Invalid) as caught:
        ledger.record_payout(finance, creator.id, amount, "USD", ref())
    assert "amount" in caught.value.fields


# --------------------------------------------------------------------------- corrections


def test_a_correction_is_a_reversing_transaction_posted_once(db, finance):
    creator = factories.user()
    result = sale(finance, product(creator), 100_000, "USD")
    reversal = ledger.reverse_transaction(finance, result.sale.transaction_id, "typo in figures")
    db.session.commit()

    assert reversal.kind == "reversal" and reversal.reverses_id == result.sale.transaction_id
    assert _entries(reversal.id) == {code: -amount for code, amount in
                                     _entries(result.sale.transaction_id).items()}
    assert ledger.payable_balance(creator.id, "USD") == 0
    assert ledger.verify_ledger() == []
    with pytest.raises(Conflict) as caught:
        ledger.reverse_transaction(finance, result.sale.transaction_id, "again")
    assert caught.value.code == "already_reversed"
    with pytest.raises(Conflict):
        ledger.reverse_transaction(finance, reversal.id, "undo the undo")
    with pytest.raises(NotFound):
        ledger.reverse_transaction(finance, 999_999, "nothing")


def test_reversing_a_sale_already_paid_out_is_refused(finance):
    creator = factories.user()
    result = sale(finance, product(creator), 100_000, "USD")
    payout(finance, creator, 1_000)
    with pytest.raises(Conflict) as caught:
        ledger.reverse_transaction(finance, result.sale.transaction_id, "wrong")
    assert caught.value.code == "insufficient_balance"


def test_reversed_payout_returns_the_money_to_the_balance(finance):
    creator = factories.user()
    sale(finance, product(creator), 100_000, "USD")
    paid = payout(finance, creator, 1_000)
    ledger.reverse_transaction(finance, paid.payout.transaction_id, "bank returned it")
    assert ledger.payable_balance(creator.id, "USD") == 1_000
    statement = ledger.statement_for(creator)
    assert statement.total_paid() == {}
    assert ledger.verify_ledger() == []


# --------------------------------------------------------------------------- chain and verify


def test_transactions_form_a_hash_chain(db, finance):
    creator = factories.user()
    item = product(creator)
    sale(finance, item, 1_000, "USD")
    sale(finance, item, 2_000, "USD")
    payout(finance, creator, 10)
    chain = db.session.scalars(select(LedgerTransaction)
                               .order_by(LedgerTransaction.sequence)).all()
    assert [t.sequence for t in chain] == [1, 2, 3]
    assert chain[0].prev_hash == "0" * 64
    assert chain[1].prev_hash == chain[0].hash and chain[2].prev_hash == chain[1].hash
    assert len({t.hash for t in chain}) == 3
    assert ledger.verify_ledger() == []


def test_unbalanced_postings_never_reach_the_database(db, finance):
    from app.services.ledger import _account, _post

    with pytest.raises(ValueError, match="unbalanced"):
        _post(finance, "sale", [(_account("royalty_expense", "USD"), 5)], memo="broken")
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(LedgerTransaction)) == 0


@pytest.mark.parametrize("statement", [
    "UPDATE ledger_entries SET amount_minor = amount_minor + 1",
    "DELETE FROM ledger_entries",
    "UPDATE ledger_transactions SET memo = 'edited'",
    "DELETE FROM ledger_transactions WHERE sequence = 2",
    "UPDATE sales SET net_sales_minor = 1",
    "DELETE FROM sales",
    "UPDATE payouts SET amount_minor = 1",
    "DELETE FROM payouts",
    "UPDATE ledger_accounts SET code = 'x'",
])
def test_raw_updates_and_deletes_are_refused_by_the_database(db, finance, statement):
    creator = factories.user()
    sale(finance, product(creator), 100_000, "USD")
    payout(finance, creator, 100)
    with pytest.raises(DBAPIError) as caught:
        db.session.execute(text(statement))
        db.session.flush()
    assert "append-only" in str(caught.value)
    db.session.rollback()
    assert ledger.verify_ledger() == []


@pytest.mark.postgres_only  # SQLite has no TRUNCATE (its DELETE is refused by the triggers)
def test_truncate_is_refused_on_postgresql(db, finance):
    sale(finance, product(factories.user()), 100_000, "USD")
    with pytest.raises(DBAPIError) as caught:
        db.session.execute(text("TRUNCATE ledger_entries, ledger_transactions, sales CASCADE"))
    assert "append-only" in str(caught.value)
    db.session.rollback()


def test_verify_names_the_transaction_whose_entry_was_changed(db, backend, finance):
    owner, partner = factories.user(), factories.user()
    item = product(owner, partner)
    sale(finance, item, 100_000, "USD")
    target = sale(finance, item, 50_000, "USD").sale
    sale(finance, item, 70_000, "USD")
    entry_id = db.session.scalar(select(LedgerEntry.id).where(
        LedgerEntry.transaction_id == target.transaction_id, LedgerEntry.amount_minor < 0))

    tamper(db, backend, "ledger_entries",
           "UPDATE ledger_entries SET amount_minor = amount_minor - 100 WHERE id = :id",
           {"id": entry_id})

    problems = ledger.verify_ledger()
    assert problems, "verify must notice the change"
    assert {problem.transaction_id for problem in problems} >= {target.transaction_id}
    named = [str(p) for p in problems if p.transaction_id == target.transaction_id]
    assert any("hash does not match" in message for message in named)
    assert any("do not balance" in message for message in named)
    # The triggers are back: the database refuses changes again.
    with pytest.raises(DBAPIError):
        db.session.execute(text("UPDATE ledger_entries SET amount_minor = 0"))
        db.session.flush()
    db.session.rollback()


def test_verify_names_a_sale_whose_figures_were_changed(db, backend, finance):
    item = product(factories.user())
    target = sale(finance, item, 100_000, "USD").sale
    tamper(db, backend, "sales", "UPDATE sales SET net_sales_minor = 1000000 WHERE id = :id",
           {"id": target.id})
    problems = ledger.verify_ledger()
    assert any(p.transaction_id == target.transaction_id and "hash" in str(p) for p in problems)
    assert any("royalty" in str(p) for p in problems)


def test_verify_names_a_broken_chain(db, backend, finance):
    item = product(factories.user())
    sale(finance, item, 100_000, "USD")
    second = sale(finance, item, 200_000, "USD").sale
    tamper(db, backend, "ledger_transactions",
           "UPDATE ledger_transactions SET prev_hash = :h WHERE id = :id",
           {"h": "f" * 64, "id": second.transaction_id})
    problems = ledger.verify_ledger()
    assert any(p.transaction_id == second.transaction_id and "chain is broken" in str(p)
               for p in problems)


def test_cli_verify_exits_0_when_sound_and_1_naming_each_problem(app, db, backend, finance):
    item = product(factories.user())
    target = sale(finance, item, 100_000, "USD").sale
    runner = app.test_cli_runner()
    result = runner.invoke(args=["ledger", "verify"])
    assert result.exit_code == 0, result.output
    assert "OK (1 transactions" in result.output

    tamper(db, backend, "ledger_entries",
           "UPDATE ledger_entries SET amount_minor = amount_minor * 2 WHERE transaction_id = :id",
           {"id": target.transaction_id})
    result = runner.invoke(args=["ledger", "verify"])
    assert result.exit_code == 1
    assert f"transaction {target.transaction_id}" in result.output


# --------------------------------------------------------------------------- statements


def test_statement_shows_earnings_per_product_and_period_net_of_returns(finance):
    owner, partner = factories.user(), factories.user()
    lamp = product(owner, partner, shares=(6_000, 4_000), name="Lamp")
    mug = product(owner, name="Mug")
    sale(finance, lamp, 100_000, "USD", period="2026-01")
    sale(finance, lamp, -20_000, "USD", period="2026-01")
    sale(finance, lamp, 50_000, "USD", period="2026-02")
    sale(finance, mug, 30_000, "JPY", period="2026-02")
    payout(finance, owner, 300, "USD")

    statement = ledger.statement_for(owner)
    lines = {(line.product_name, line.period, line.currency):
             (line.net_sales_minor, line.royalty_minor) for line in statement.lines}
    assert lines == {("Lamp", "2026-01", "USD"): (80_000, 480),
                     ("Lamp", "2026-02", "USD"): (50_000, 300),
                     ("Mug", "2026-02", "JPY"): (30_000, 300)}
    assert statement.balances == {"JPY": 300, "USD": 480}
    assert statement.total_paid() == {"USD": 300}
    assert statement.earnings_by_period() == {"JPY": [("2026-02", 300)],
                                              "USD": [("2026-01", 480), ("2026-02", 300)]}
    csv_text = ledger.statement_csv(statement)
    assert f"royalty,2026-01,{lamp.id},Lamp,USD,800.00,4.80" in csv_text
    assert "payout," in csv_text and "balance," in csv_text


def test_statement_csv_neutralises_spreadsheet_formulas(finance):
    owner = factories.user()
    sale(finance, product(owner, name="=HYPERLINK(\"http://evil\")"), 10_000, "USD")
    csv_text = ledger.statement_csv(ledger.statement_for(owner))
    assert "'=HYPERLINK" in csv_text and ",=HYPERLINK" not in csv_text
    assert ",USD,,,,1.00," in csv_text  # the balance row
