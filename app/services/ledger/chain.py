"""STORED-DATA CONTRACT: the bytes each ledger transaction's hash covers.

Every row of ledger_transactions stores `hash` = SHA-256 of canonical_transaction(...), and the
next transaction stores it again as `prev_hash`, so the whole chain depends on exactly these
fields and exactly this serialisation:

- the transaction's sequence, kind, memo, reverses_id, created_by_id, created_at (as _iso writes
  it: UTC, microseconds, "Z") and prev_hash;
- its entries as [account code, currency, amount_minor], sorted; account codes as account_code
  writes them (they are also stored in ledger_accounts.code);
- the sale (sale_source) or payout (payout_source) it records, field for field;
- JSON with sorted keys, no spaces, ASCII only.

Renaming, adding or dropping a field, changing a format, a key or the JSON options would make
every stored hash fail `flask ledger verify`. Never change any of it without a chain-version
migration (a new version marker in the hashed body for new rows, old rows verified the old
way). tests/unit/test_ledger_contract.py pins the canonical form of known transactions.
"""
from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from datetime import UTC, datetime
from json.encoder import encode_basestring_ascii
from operator import itemgetter

from app.models.ledger import LedgerTransaction, Payout, Sale


def account_code(kind: str, currency: str, user_id: int | None = None) -> str:
    """The account's code: stored in ledger_accounts.code and hashed into every entry
    (STORED-DATA CONTRACT: never change the format)."""
    if kind == "creator_payable":
        return f"creator_payable:{user_id}:{currency}"
    return f"{kind}:{currency}"


def _iso(moment: datetime) -> str:
    """created_at as hashed (STORED-DATA CONTRACT): UTC, microseconds, "Z"; naive = UTC."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def sale_source(sale: Sale) -> dict:
    """The sale as hashed into its transaction (STORED-DATA CONTRACT: keep every field)."""
    return {"sale": {"external_ref": sale.external_ref, "product_id": sale.product_id,
                     "period": sale.period, "units": sale.units,
                     "net_sales_minor": sale.net_sales_minor, "currency": sale.currency,
                     "royalty_rate_bps": sale.royalty_rate_bps,
                     "royalty_minor": sale.royalty_minor}}


def payout_source(payout: Payout) -> dict:
    """The payout as hashed into its transaction (STORED-DATA CONTRACT: keep every field)."""
    return {"payout": {"reference": payout.reference, "user_id": payout.user_id,
                       "amount_minor": payout.amount_minor, "currency": payout.currency}}


def canonical_transaction(*, sequence: int, kind: str, memo: str, reverses_id: int | None,
                          created_by_id: int | None, created_at: datetime, prev_hash: str,
                          entries: Iterable[tuple[str, str, int]], source: dict | None) -> bytes:
    """The exact bytes a transaction's hash covers: its fields, its entries (account code,
    currency, amount; sorted), the sale or payout it records, and the previous hash.

    STORED-DATA CONTRACT: these fields, their names and this serialisation are hashed into
    every stored transaction (and chained through prev_hash). Never change them without a
    chain-version migration; see this module's docstring and tests/unit/test_ledger_contract.py.
    """
    body = {"sequence": sequence, "kind": kind, "memo": memo, "reverses_id": reverses_id,
            "created_by_id": created_by_id, "created_at": _iso(created_at),
            "prev_hash": prev_hash, "entries": sorted([list(e) for e in entries]),
            "source": source}
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode()


def transaction_hash(transaction: LedgerTransaction, entries: Iterable[tuple[str, str, int]],
                     source: dict | None) -> str:
    """SHA-256 (hex) of the transaction's canonical form: what `hash` stores."""
    return hashlib.sha256(canonical_transaction(
        sequence=transaction.sequence, kind=transaction.kind, memo=transaction.memo,
        reverses_id=transaction.reverses_id, created_by_id=transaction.created_by_id,
        created_at=transaction.created_at, prev_hash=transaction.prev_hash, entries=entries,
        source=source)).hexdigest()


# --------------------------------------------------------------------------- the fast path
# Posting and verifying a million transactions cannot afford json.dumps on a dict per row
# (about 30 µs each). canonical_fast writes the same bytes directly: the keys in their sorted
# order, strings through the JSON module's own ASCII encoder, integers as JSON writes them.
# It is not a second definition of the contract: canonical_transaction above is, and
# tests/unit/test_ledger_batch.py checks that both agree on random and awkward input.
# verify_ledger falls back to canonical_transaction before it reports a mismatch.

_text = encode_basestring_ascii
_int = int.__repr__

#: (external_ref, product_id, period, units, net_sales_minor, currency, royalty_rate_bps,
#: royalty_minor): a sale as canonical_fast takes it.
SaleFields = tuple[str, int, str, int, int, str, int, int]
#: (reference, user_id, amount_minor, currency): a payout as canonical_fast takes it.
PayoutFields = tuple[str, int, int, str]


def _iso_fast(moment: datetime) -> str:
    """What _iso writes, through datetime's own C formatting (four-digit year, microseconds
    always): the UTC offset of an aware moment, "+00:00" once in UTC, becomes "Z"."""
    if moment.tzinfo is None:
        return moment.isoformat(timespec="microseconds") + "Z"
    if moment.utcoffset():
        moment = moment.astimezone(UTC)
    return moment.isoformat(timespec="microseconds")[:-6] + "Z"


def _nullable(value: int | None) -> str:
    return "null" if value is None else _int(value)


def canonical_fast(sequence: int, kind: str, memo: str, reverses_id: int | None,
                   created_by_id: int | None, created_at: datetime, prev_hash: str,
                   entries: Iterable[tuple[str, str, int]], sale: SaleFields | None = None,
                   payout: PayoutFields | None = None) -> bytes:
    """The bytes canonical_transaction writes, for the same transaction (its sale or payout
    given as a plain tuple), several times faster."""
    lines = ",".join(f"[{_text(code)},{_text(currency)},{_int(amount)}]"
                     for code, currency, amount in sorted(entries))
    if sale is not None:
        ref, product_id, period, units, net, currency, rate, royalty = sale
        source = (f'{{"sale":{{"currency":{_text(currency)},"external_ref":{_text(ref)},'
                  f'"net_sales_minor":{_int(net)},"period":{_text(period)},'
                  f'"product_id":{_int(product_id)},"royalty_minor":{_int(royalty)},'
                  f'"royalty_rate_bps":{_int(rate)},"units":{_int(units)}}}}}')
    elif payout is not None:
        reference, user_id, amount, currency = payout
        source = (f'{{"payout":{{"amount_minor":{_int(amount)},"currency":{_text(currency)},'
                  f'"reference":{_text(reference)},"user_id":{_int(user_id)}}}}}')
    else:
        source = "null"
    return (f'{{"created_at":"{_iso_fast(created_at)}","created_by_id":{_nullable(created_by_id)}'
            f',"entries":[{lines}],"kind":{_text(kind)},"memo":{_text(memo)},'
            f'"prev_hash":{_text(prev_hash)},"reverses_id":{_nullable(reverses_id)},'
            f'"sequence":{_int(sequence)},"source":{source}}}').encode()


def hash_fast(*args, **kwargs) -> str:
    """SHA-256 (hex) of canonical_fast(...)."""
    return hashlib.sha256(canonical_fast(*args, **kwargs)).hexdigest()


class SaleCanonical:
    """canonical_transaction's bytes for sales of one product in one currency, with what all
    of them share (their accounts' codes, the currency, the product, its rate) written once
    into a %-template: posting or verifying a million sale lines renders each in one C call.
    Entries are sorted by account code, which is the contract's order when the codes differ
    (they do: one account per creator of a split and the expense account; `distinct` says so,
    and callers use canonical_fast when not). tests/unit/test_ledger_batch.py checks it
    against canonical_transaction."""

    __slots__ = ("order", "prefixes", "head", "distinct", "template", "pick")

    def __init__(self, codes: list[str], currency: str, product_id: int, rate_bps: int) -> None:
        self.order = sorted(range(len(codes)), key=codes.__getitem__)
        self.distinct = len(set(codes)) == len(codes)
        #: The amounts in code order, as a tuple (itemgetter of one index returns the item).
        self.pick = itemgetter(*self.order) if len(codes) > 1 else (
            lambda amounts: (amounts[0],))
        self.prefixes = [f"[{_text(codes[i])},{_text(currency)}," for i in self.order]
        self.head = (f'{{"sale":{{"currency":{_text(currency)},"external_ref":',
                     f',"product_id":{_int(product_id)},"royalty_minor":',
                     f',"royalty_rate_bps":{_int(rate_bps)},"units":')
        sale, product, rate = (part.replace("%", "%%") for part in self.head)
        lines = ",".join(prefix.replace("%", "%%") + "%d]" for prefix in self.prefixes)
        #: Every amount non-zero (the usual case): created_at, created_by_id, the amounts in
        #: code order, memo, prev_hash, sequence, external_ref, net, period, royalty, units.
        self.template = (
            '{"created_at":"%s","created_by_id":%s,"entries":[' + lines + '],"kind":"sale",'
            '"memo":%s,"prev_hash":%s,"reverses_id":null,"sequence":%d,"source":' + sale
            + '%s,"net_sales_minor":%d,"period":%s' + product + '%d' + rate + '%d}}}')

    def render(self, sequence: int, memo: str, created_by_id: int | None, created_at: str,
               prev_hash: str, amounts: list[int], external_ref: str, period: str, units: int,
               net_sales_minor: int, royalty_minor: int) -> bytes:
        """The bytes of one sale: amounts are aligned with the codes given (zeros left out, as
        posting leaves them out); created_at as _iso_fast writes it."""
        if not self.distinct:
            raise ValueError("a sale's accounts must differ")
        if 0 not in amounts:
            return (self.template % (
                created_at, "null" if created_by_id is None else _int(created_by_id),
                *self.pick(amounts), _text(memo), _text(prev_hash),
                sequence, _text(external_ref), net_sales_minor, _text(period), royalty_minor,
                units)).encode()
        lines = ",".join([prefix + _int(amounts[index]) + "]"
                          for prefix, index in zip(self.prefixes, self.order) if amounts[index]])
        sale, product, rate = self.head
        return (f'{{"created_at":"{created_at}","created_by_id":{_nullable(created_by_id)}'
                f',"entries":[{lines}],"kind":"sale","memo":{_text(memo)},'
                f'"prev_hash":{_text(prev_hash)},"reverses_id":null,'
                f'"sequence":{_int(sequence)},"source":{sale}{_text(external_ref)}'
                f',"net_sales_minor":{_int(net_sales_minor)},"period":{_text(period)}'
                f'{product}{_int(royalty_minor)}{rate}{_int(units)}}}}}}}').encode()
