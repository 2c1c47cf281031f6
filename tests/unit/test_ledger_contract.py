"""The ledger's stored-data contract: the bytes a transaction's hash covers never change.

Every stored transaction carries a SHA-256 over canonical_transaction(...). If the fields, their
names, their order of serialisation, the timestamp format, the account codes or the sale/payout
source changed, every stored hash would stop verifying. These expected values were computed
from the code as it was when the ledger went live; a failure here means a change needs a
chain-version migration, not a new expected value.
"""
from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta, timezone

from app.models.ledger import GENESIS_HASH, LedgerTransaction, Payout, Sale
from app.services import ledger

SALE_CANONICAL = (
    '{"created_at":"2026-05-01T09:30:15.123456Z","created_by_id":3,"entries":['
    '["creator_payable:11:JPY","JPY",-6173],["creator_payable:12:JPY","JPY",-6173],'
    '["royalty_expense:JPY","JPY",12346]],"kind":"sale",'
    '"memo":"Sale INV-2026-04-001: Tram Kit 2026-04",'
    '"prev_hash":"abababababababababababababababababababababababababababababababab",'
    '"reverses_id":null,"sequence":42,"source":{"sale":{"currency":"JPY",'
    '"external_ref":"INV-2026-04-001","net_sales_minor":1234567,"period":"2026-04",'
    '"product_id":7,"royalty_minor":12346,"royalty_rate_bps":100,"units":120}}}')
SALE_HASH = "e0e6eda13f96afaafbf76017be9cf12b228f46d8322ff7680b96314767840e06"

PAYOUT_CANONICAL = (
    '{"created_at":"2026-05-01T15:00:00.000000Z","created_by_id":null,"entries":['
    '["creator_payable:11:USD","USD",5000],["payouts_cash:USD","USD",-5000]],"kind":"payout",'
    '"memo":"Payout PAY-9 to Aiko",'
    '"prev_hash":"0000000000000000000000000000000000000000000000000000000000000000",'
    '"reverses_id":null,"sequence":43,"source":{"payout":{"amount_minor":5000,'
    '"currency":"USD","reference":"PAY-9","user_id":11}}}')
PAYOUT_HASH = "1b5ba17a0fbe7cfcb3501b82930f423da191d68c3758f7fd58f1787aec32f716"

REVERSAL_CANONICAL = (
    '{"created_at":"2026-05-03T12:00:00.000000Z","created_by_id":3,"entries":['
    '["creator_payable:11:USD","USD",-5000],["payouts_cash:USD","USD",5000]],"kind":"reversal",'
    '"memo":"Reversal of #43: wrong amount \\u2014 \\u8fd4\\u91d1",'
    '"prev_hash":"cdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcd",'
    '"reverses_id":43,"sequence":44,"source":null}')
REVERSAL_HASH = "3b30097bfd20a713edfc9b5b2203b25f46995e8c85b4fbcf512d03ffbffaa9c7"


def test_a_sale_transaction_has_the_pinned_canonical_form_and_hash():
    sale = Sale(external_ref="INV-2026-04-001", product_id=7, period="2026-04", units=120,
                net_sales_minor=1_234_567, currency="JPY", royalty_rate_bps=100,
                royalty_minor=12_346)
    canonical = ledger.canonical_transaction(
        sequence=42, kind="sale", memo="Sale INV-2026-04-001: Tram Kit 2026-04",
        reverses_id=None, created_by_id=3,
        created_at=datetime(2026, 5, 1, 9, 30, 15, 123456, tzinfo=UTC), prev_hash="ab" * 32,
        entries=[(ledger.account_code("royalty_expense", "JPY"), "JPY", 12_346),
                 (ledger.account_code("creator_payable", "JPY", 11), "JPY", -6_173),
                 (ledger.account_code("creator_payable", "JPY", 12), "JPY", -6_173)],
        source=ledger.sale_source(sale))

    assert canonical.decode() == SALE_CANONICAL
    assert hashlib.sha256(canonical).hexdigest() == SALE_HASH


def test_a_payout_transaction_has_the_pinned_canonical_form_and_hash():
    payout = Payout(reference="PAY-9", user_id=11, amount_minor=5_000, currency="USD")
    canonical = ledger.canonical_transaction(
        sequence=43, kind="payout", memo="Payout PAY-9 to Aiko", reverses_id=None,
        created_by_id=None,
        created_at=datetime(2026, 5, 2, 0, 0, 0, tzinfo=timezone(timedelta(hours=9))),
        prev_hash=GENESIS_HASH,
        entries=[(ledger.account_code("creator_payable", "USD", 11), "USD", 5_000),
                 (ledger.account_code("payouts_cash", "USD"), "USD", -5_000)],
        source=ledger.payout_source(payout))

    assert canonical.decode() == PAYOUT_CANONICAL
    assert hashlib.sha256(canonical).hexdigest() == PAYOUT_HASH


def test_a_reversal_hashes_its_stored_fields_with_naive_times_read_as_utc():
    transaction = LedgerTransaction(
        sequence=44, kind="reversal", memo="Reversal of #43: wrong amount — 返金",
        reverses_id=43, created_by_id=3, created_at=datetime(2026, 5, 3, 12, 0, 0),
        prev_hash="cd" * 32)
    entries = [("payouts_cash:USD", "USD", 5_000), ("creator_payable:11:USD", "USD", -5_000)]

    assert ledger.canonical_transaction(
        sequence=transaction.sequence, kind=transaction.kind, memo=transaction.memo,
        reverses_id=transaction.reverses_id, created_by_id=transaction.created_by_id,
        created_at=transaction.created_at, prev_hash=transaction.prev_hash, entries=entries,
        source=None).decode() == REVERSAL_CANONICAL
    assert ledger.transaction_hash(transaction, entries, None) == REVERSAL_HASH


def test_the_genesis_hash_is_pinned():
    assert GENESIS_HASH == "0" * 64
