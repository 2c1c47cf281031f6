"""Importing sales from CSV: every bad row reported, all-or-nothing, idempotent."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from app.models.ledger import LedgerTransaction, Sale
from app.services import ledger
from tests import factories
from tests.ledger_factories import payout, product, sale


@pytest.fixture
def finance(app):
    return factories.user("finance")


def _csv(*rows: str, header: str = "product_id,period,units,net_sales,currency,external_ref") \
        -> bytes:
    return ("\n".join((header, *rows)) + "\n").encode()


def _count(db, model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_good_file_is_parsed_exactly(finance):
    item = product(factories.user())
    parsed = ledger.parse_sales_csv(_csv(
        f"{item.id},2026-04,10,\"1,234.56\",USD,r-1",
        f"{item.id},2026-04,3,1200,jpy,r-2",
        f"{item.id},2026-05,-1,-0.10,EUR,r-3",
        f"{item.id},2026-05,1,0.001,BHD,r-4",
    ))
    assert parsed.errors == []
    assert [(r.line, r.net_sales_minor, r.currency) for r in parsed.rows] == [
        (2, 123_456, "USD"), (3, 1_200, "JPY"), (4, -10, "EUR"), (5, 1, "BHD")]


def test_bad_file_reports_every_bad_row_with_its_line_and_records_nothing(db, finance):
    item = product(factories.user())
    sale(finance, item, 5_000, "USD", external_ref="old-1")
    data = _csv(
        f"{item.id},2026-04,10,100.00,USD,ok-1",        # line 2: fine
        f"{item.id},2026-13,10,100.00,USD,bad-period",  # line 3
        f"{item.id},2026-04,ten,100.00,USD,bad-units",  # line 4
        f"{item.id},2026-04,10,100.005,USD,bad-cents",  # line 5: 3 decimals in USD
        f"{item.id},2026-04,10,1e3,USD,bad-number",     # line 6
        f"{item.id},2026-04,10,100,XXX,bad-currency",   # line 7
        "999999,2026-04,10,100.00,USD,bad-product",     # line 8
        f"{item.id},2026-04,10,100.00,USD,ok-1",        # line 9: repeated reference
        f"{item.id},2026-04,10,51.00,USD,old-1",        # line 10: recorded with other figures
        f"{item.id},2026-04,10",                        # line 11: too few columns
        f"{item.id},2026-04,10,100.00,USD,",            # line 12: no reference
        f"{item.id},2026-04,10,100.50,JPY,bad-yen",     # line 13: JPY has no decimals
    )
    parsed = ledger.parse_sales_csv(data)

    lines = {error.line: error.reason for error in parsed.errors}
    assert sorted(lines) == [3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13]
    assert "period" in lines[3] and "units" in lines[4] and "net_sales" in lines[5]
    assert "net_sales" in lines[6] and "currency" in lines[7] and "product" in lines[8]
    assert "line 2" in lines[9] and "different figures" in lines[10]
    assert "columns" in lines[11] and "external_ref" in lines[12] and "JPY" in lines[13]
    assert _count(db, Sale) == 1


def test_header_must_name_the_columns(finance):
    parsed = ledger.parse_sales_csv(_csv("1,2026-04,1,1,USD,x", header="product,period,units"))
    assert [error.line for error in parsed.errors] == [1]
    assert "missing" in parsed.errors[0].reason


@pytest.mark.parametrize("data", [b"", b"\xff\xfe\x00garbage", b"\n\n"])
def test_empty_or_binary_files_are_reported(finance, data):
    parsed = ledger.parse_sales_csv(data)
    assert parsed.errors and not parsed.rows


def test_columns_may_come_in_any_order_with_a_bom_and_blank_lines(finance):
    item = product(factories.user())
    data = "\ufeffexternal_ref,currency,net_sales,units,period,product_id\r\n" \
           f"x-1,USD,10.00,1,2026-04,{item.id}\r\n\r\n"
    parsed = ledger.parse_sales_csv(data.encode())
    assert parsed.errors == []
    assert parsed.rows[0].net_sales_minor == 1_000


def test_importing_the_same_file_twice_records_nothing_new(db, finance):
    owner = factories.user()
    item = product(owner)
    data = _csv(*(f"{item.id},2026-0{m},5,{m}00.00,USD,batch-{m}" for m in range(1, 6)))

    first = ledger.import_sales(finance, ledger.parse_sales_csv(data).rows)
    db.session.commit()
    assert (first.created, first.existing) == (5, 0)
    balance = ledger.payable_balance(owner.id, "USD")
    transactions = _count(db, LedgerTransaction)

    parsed_again = ledger.parse_sales_csv(data)
    assert parsed_again.errors == [] and all(r.already_recorded for r in parsed_again.rows)
    again = ledger.import_sales(finance, parsed_again.rows)
    db.session.commit()
    assert (again.created, again.existing) == (0, 5)
    assert _count(db, Sale) == 5 and _count(db, LedgerTransaction) == transactions
    assert ledger.payable_balance(owner.id, "USD") == balance
    assert ledger.verify_ledger() == []


def test_import_posts_all_rows_or_none(db, finance):
    """A row that fails only when posted (a return larger than the balance) refuses the file."""
    creator = factories.user()
    item = product(creator)
    sale(finance, item, 100_000, "USD")
    payout(finance, creator, 1_000)  # balance now 0
    rows = ledger.parse_sales_csv(_csv(
        f"{item.id},2026-05,1,500.00,USD,new-1",
        f"{item.id},2026-05,-1,-900.00,USD,return-1",   # needs 9.00 back; only 5.00 earned
        f"{item.id},2026-05,1,100.00,USD,new-2",
    )).rows
    with pytest.raises(ledger.ImportRefused) as caught:
        ledger.import_sales(finance, rows)
    db.session.rollback()
    assert [error.line for error in caught.value.errors] == [3]
    assert "balance" in caught.value.errors[0].reason
    assert _count(db, Sale) == 1


def test_import_reports_progress_and_tells_each_creator_once(db, finance):
    from app.models import Notification

    owner, partner = factories.user(), factories.user()
    item = product(owner, partner)
    rows = ledger.parse_sales_csv(_csv(
        *(f"{item.id},2026-04,1,{n}0.00,USD,p-{n}" for n in range(1, 8)))).rows
    seen: list[tuple[int, int]] = []
    result = ledger.import_sales(finance, rows, progress=lambda done, total: seen.append(
        (done, total)))
    db.session.commit()
    assert result.created == 7
    assert seen[-1] == (7, 7) and len(seen) == 7
    notified = db.session.scalars(select(Notification.user_id).where(
        Notification.category == "royalties")).all()
    assert sorted(notified) == sorted([owner.id, partner.id])
