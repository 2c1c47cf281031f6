"""The royalty ledger: sales, returns, payouts and corrections as balanced, hash-chained
transactions, and the checks that prove the ledger was not tampered with.

The rules in one place:
- double entry: every transaction's entries sum to zero per currency (checked here before
  anything is written, and again by verify_ledger); a debit is positive, a credit negative;
- append-only: the database refuses UPDATE and DELETE on every ledger table (triggers from
  migration 0003_ledger); a correction is a new transaction reversing an old one;
- one writer at a time: every posting first takes the ledger lock (PostgreSQL: a transaction
  advisory lock; SQLite: the database write lock), so the sequence and hash chain never fork
  and a payout's balance check cannot race another payout;
- a sale's royalty is net x the product's frozen rate, rounded half to even to the minor unit,
  split among the creators by largest remainder (app.money); returns are negative sales;
- a creator's payable balance never goes below zero (payouts and returns are refused first);
- sales are idempotent by external_ref and payouts by reference: the same content again is the
  existing record, different content is a conflict.
"""
from __future__ import annotations

import csv
import hashlib
import io
import json
import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.orm import selectinload

from app import permissions
from app.errors import Conflict, DomainError, Invalid, NotFound
from app.extensions import db
from app.models import Product, ProductSplit, User
from app.models.base import utcnow
from app.models.ledger import (GENESIS_HASH, LedgerAccount, LedgerEntry, LedgerTransaction,
                               Payout, Sale)
from app.money import format_amount, is_currency, parse_amount, royalty_minor, \
    split_largest_remainder
from app.services import events
from app.i18n import _, _en

#: Key of the PostgreSQL advisory lock that serialises appends to the ledger.
LEDGER_LOCK_KEY = 0x4B594C47  # "KYLG"
#: Largest amount (in minor units) accepted for one sale or payout: far beyond any real figure,
#: far below what a BIGINT column holds, so sums cannot overflow.
MAX_AMOUNT_MINOR = 10**15
MAX_UNITS = 10**9
ID_MAX = 2**31 - 1
REF_MAX = 100
MEMO_MAX = 300
#: Rows accepted in one CSV import.
IMPORT_MAX_ROWS = 100_000
CSV_COLUMNS = ("product_id", "period", "units", "net_sales", "currency", "external_ref")

_PERIOD = re.compile(r"[0-9]{4}-(0[1-9]|1[0-2])")
_REF = re.compile(r"[\x21-\x7e](?:[\x20-\x7e]*[\x21-\x7e])?")  # printable ASCII, trimmed
_INT_TEXT = re.compile(r"[+-]?[0-9]+")


def money_text(amount_minor: int, currency: str) -> str:
    """Plain "1234.56 USD" (for notifications, CSV and messages that are not localised)."""
    return f"{format_amount(amount_minor, currency)} {currency}"


# --------------------------------------------------------------------------- validation


def is_int(value: Any) -> bool:
    """A real integer: not a bool, not a float that happens to be whole, not a string."""
    return isinstance(value, int) and not isinstance(value, bool)


def is_id(value: Any) -> bool:
    """An integer that can be a row id (a 32-bit positive integer)."""
    return is_int(value) and 0 < value <= ID_MAX


def check_period(value: Any) -> str | None:
    """None when `value` is a period "YYYY-MM", else the reason."""
    if not isinstance(value, str) or not _PERIOD.fullmatch(value):
        return _("Use the form YYYY-MM (e.g. 2026-04).")
    return None


def check_currency(value: Any) -> str | None:
    if not isinstance(value, str) or not is_currency(value):
        return _("Use an ISO 4217 currency code such as JPY, USD or EUR.")
    return None


def check_reference(value: Any) -> str | None:
    if not isinstance(value, str) or not value.strip():
        return _("A reference is required.")
    if len(value) > REF_MAX:
        return _("At most %(n)s characters.", n=REF_MAX)
    if not _REF.fullmatch(value):
        return _("Use printable ASCII characters only, without leading or trailing spaces.")
    return None


def check_amount(value: Any, *, allow_negative: bool = True, allow_zero: bool = True) -> str | None:
    if not is_int(value):
        return _("The amount must be an integer number of minor units.")
    if abs(value) >= MAX_AMOUNT_MINOR:
        return _("The amount is too large.")
    if value < 0 and not allow_negative:
        return _("The amount must be positive.")
    if value == 0 and not allow_zero:
        return _("The amount must be positive.")
    return None


def check_units(value: Any) -> str | None:
    if not is_int(value):
        return _("Units must be an integer.")
    if abs(value) >= MAX_UNITS:
        return _("Too many units.")
    return None


def _raise_if(problems: Mapping[str, str | None]) -> None:
    fields = {name: message for name, message in problems.items() if message}
    if fields:
        raise Invalid(fields)


# --------------------------------------------------------------------------- locking, accounts


def lock_ledger() -> None:
    """Become the only writer of the ledger until this transaction ends.

    PostgreSQL: a transaction-level advisory lock (released at commit or rollback). SQLite: the
    database write lock, taken by a write that changes nothing; later reads in this transaction
    then see every committed row, and no one else can commit until we do."""
    bind = db.session.get_bind()
    if bind.dialect.name == "postgresql":
        db.session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": LEDGER_LOCK_KEY})
    else:
        db.session.execute(text("UPDATE ledger_accounts SET id = id WHERE 0 = 1"))


def account_code(kind: str, currency: str, user_id: int | None = None) -> str:
    if kind == "creator_payable":
        return f"creator_payable:{user_id}:{currency}"
    return f"{kind}:{currency}"


def _account(kind: str, currency: str, user_id: int | None = None) -> LedgerAccount:
    """The account, created on first use (callers hold the ledger lock, so no two create it)."""
    code = account_code(kind, currency, user_id)
    account = db.session.scalar(select(LedgerAccount).where(LedgerAccount.code == code))
    if account is None:
        account = LedgerAccount(code=code, kind=kind, currency=currency, user_id=user_id)
        db.session.add(account)
        db.session.flush()
    return account


def payable_balance(user_id: int, currency: str) -> int:
    """What the company owes this creator in this currency (credits are negative entries)."""
    total = db.session.scalar(
        select(func.coalesce(func.sum(LedgerEntry.amount_minor), 0))
        .join(LedgerAccount, LedgerAccount.id == LedgerEntry.account_id)
        .where(LedgerAccount.code == account_code("creator_payable", currency, user_id)))
    return -int(total or 0)


def balances_of(user_id: int) -> dict[str, int]:
    """The creator's payable balance per currency (currencies they were ever credited in)."""
    rows = db.session.execute(
        select(LedgerAccount.currency, func.coalesce(func.sum(LedgerEntry.amount_minor), 0))
        .select_from(LedgerAccount)
        .outerjoin(LedgerEntry, LedgerEntry.account_id == LedgerAccount.id)
        .where(LedgerAccount.kind == "creator_payable", LedgerAccount.user_id == user_id)
        .group_by(LedgerAccount.currency).order_by(LedgerAccount.currency))
    return {currency: -int(total) for currency, total in rows}


# --------------------------------------------------------------------------- the hash chain


def _iso(moment: datetime) -> str:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def sale_source(sale: Sale) -> dict:
    return {"sale": {"external_ref": sale.external_ref, "product_id": sale.product_id,
                     "period": sale.period, "units": sale.units,
                     "net_sales_minor": sale.net_sales_minor, "currency": sale.currency,
                     "royalty_rate_bps": sale.royalty_rate_bps,
                     "royalty_minor": sale.royalty_minor}}


def payout_source(payout: Payout) -> dict:
    return {"payout": {"reference": payout.reference, "user_id": payout.user_id,
                       "amount_minor": payout.amount_minor, "currency": payout.currency}}


def canonical_transaction(*, sequence: int, kind: str, memo: str, reverses_id: int | None,
                          created_by_id: int | None, created_at: datetime, prev_hash: str,
                          entries: Iterable[tuple[str, str, int]], source: dict | None) -> bytes:
    """The exact bytes a transaction's hash covers: its fields, its entries (account code,
    currency, amount; sorted), the sale or payout it records, and the previous hash."""
    body = {"sequence": sequence, "kind": kind, "memo": memo, "reverses_id": reverses_id,
            "created_by_id": created_by_id, "created_at": _iso(created_at),
            "prev_hash": prev_hash, "entries": sorted([list(e) for e in entries]),
            "source": source}
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode()


def transaction_hash(transaction: LedgerTransaction, entries: Iterable[tuple[str, str, int]],
                     source: dict | None) -> str:
    return hashlib.sha256(canonical_transaction(
        sequence=transaction.sequence, kind=transaction.kind, memo=transaction.memo,
        reverses_id=transaction.reverses_id, created_by_id=transaction.created_by_id,
        created_at=transaction.created_at, prev_hash=transaction.prev_hash, entries=entries,
        source=source)).hexdigest()


def unbalanced_currencies(lines: Iterable[tuple[str, int]]) -> dict[str, int]:
    """{currency: non-zero sum} for each currency whose amounts do not sum to zero."""
    sums: dict[str, int] = defaultdict(int)
    for currency, amount in lines:
        sums[currency] += amount
    return {currency: total for currency, total in sums.items() if total != 0}


def _post(actor: User | None, kind: str, lines: list[tuple[LedgerAccount, int]], *, memo: str,
          reverses_id: int | None = None, source: dict | None = None) -> LedgerTransaction:
    """Append one balanced transaction to the chain. The caller holds the ledger lock."""
    lines = [(account, amount) for account, amount in lines if amount != 0]
    unbalanced = unbalanced_currencies((account.currency, amount) for account, amount in lines)
    if unbalanced:
        raise ValueError(f"unbalanced transaction: {unbalanced}")
    last = db.session.execute(
        select(LedgerTransaction.sequence, LedgerTransaction.hash)
        .order_by(LedgerTransaction.sequence.desc()).limit(1)).first()
    transaction = LedgerTransaction(
        sequence=(last.sequence + 1) if last else 1, kind=kind, memo=memo[:MEMO_MAX],
        reverses_id=reverses_id, created_by_id=actor.id if actor else None, created_at=utcnow(),
        prev_hash=last.hash if last else GENESIS_HASH)
    transaction.hash = transaction_hash(
        transaction, [(account.code, account.currency, amount) for account, amount in lines],
        source)
    db.session.add(transaction)
    db.session.flush()
    for account, amount in lines:
        db.session.add(LedgerEntry(transaction_id=transaction.id, account_id=account.id,
                                   amount_minor=amount, currency=account.currency))
    db.session.flush()
    return transaction


# --------------------------------------------------------------------------- sales


@dataclass
class SaleResult:
    sale: Sale
    created: bool
    postings: list[tuple[int, int]]  # (user_id, amount credited to the creator; < 0 on returns)


def _get_product(product_id: Any) -> Product:
    # Products' terms are frozen, so the identity map's copy is good (imports reuse it per row).
    product = db.session.get(Product, product_id) if is_id(product_id) else None
    if product is None:
        raise Invalid({"product_id": _("No such product.")}, code="product_not_found")
    return product


def sale_postings(sale: Sale) -> list[tuple[int, int]]:
    """(user_id, amount) credited to each creator by this sale (from its ledger entries)."""
    entries = db.session.execute(
        select(LedgerAccount.user_id, LedgerEntry.amount_minor)
        .join(LedgerAccount, LedgerAccount.id == LedgerEntry.account_id)
        .where(LedgerEntry.transaction_id == sale.transaction_id,
               LedgerAccount.kind == "creator_payable")
        .order_by(LedgerEntry.id))
    return [(user_id, -amount) for user_id, amount in entries]


def _same_sale(sale: Sale, product_id: int, period: str, units: int, net_sales_minor: int,
               currency: str) -> bool:
    return (sale.product_id, sale.period, sale.units, sale.net_sales_minor, sale.currency) == \
        (product_id, period, units, net_sales_minor, currency)


def record_sale(actor: User, product_id: Any, period: Any, units: Any, net_sales_minor: Any,
                currency: Any, external_ref: Any, *, notify: bool = True,
                audit: bool = True) -> SaleResult:
    """Record a product's net sales for a period and post the creators' royalty.

    Royalty = royalty_minor(net, product rate), split by the product's frozen shares; one
    transaction debits royalty expense and credits each creator's payable (a return, with
    negative net sales, posts the reverse and is refused if it would take a creator's balance
    below zero). Idempotent by external_ref."""
    permissions.require(actor, "record_sale")
    _raise_if({"period": check_period(period), "units": check_units(units),
               "net_sales": check_amount(net_sales_minor), "currency": check_currency(currency),
               "external_ref": check_reference(external_ref),
               "product_id": None if is_int(product_id) else _("No such product.")})
    product = _get_product(product_id)
    if not product.splits:
        raise Conflict("product_without_splits", _("This product has no creators' split."))
    lock_ledger()
    existing = db.session.scalar(select(Sale).where(Sale.external_ref == external_ref))
    if existing is not None:
        if _same_sale(existing, product_id, period, units, net_sales_minor, currency):
            return SaleResult(existing, False, sale_postings(existing))
        raise Conflict("external_ref_conflict", _(
            "The reference %(ref)s was already recorded with different figures.",
            ref=external_ref))

    royalty = royalty_minor(net_sales_minor, product.royalty_rate_bps)
    parts = split_largest_remainder(royalty, [split.share_bps for split in product.splits])
    postings = [(split.user_id, part) for split, part in zip(product.splits, parts)]
    for user_id, part in postings:
        if part < 0 and payable_balance(user_id, currency) + part < 0:
            raise Conflict("insufficient_balance", _(
                "This return would take a creator's balance below zero (user %(id)s).",
                id=user_id))

    sale = Sale(external_ref=external_ref, product_id=product.id, period=period, units=units,
                net_sales_minor=net_sales_minor, currency=currency,
                royalty_rate_bps=product.royalty_rate_bps, royalty_minor=royalty,
                recorded_by_id=actor.id)
    lines = [(_account("royalty_expense", currency), royalty)]
    lines += [(_account("creator_payable", currency, user_id), -part)
              for user_id, part in postings]
    kind_word = "Return" if net_sales_minor < 0 else "Sale"
    transaction = _post(actor, "sale", lines,
                        memo=f"{kind_word} {external_ref}: {product.name} {period}",
                        source=sale_source(sale))
    sale.transaction_id = transaction.id
    db.session.add(sale)
    db.session.flush()
    if audit:
        events.audit(actor, "ledger.sale_recorded", sale, after=sale_source(sale)["sale"])
    if notify:
        _notify_royalties({user_id: {currency: part} for user_id, part in postings if part},
                          product_name=product.name, period=period)
    return SaleResult(sale, True, [(user_id, part) for user_id, part in postings if part])


def _notify_royalties(totals: Mapping[int, Mapping[str, int]], *, product_name: str | None = None,
                      period: str | None = None) -> None:
    """Tell each creator what was added to (or taken from) their royalties."""
    from flask import url_for

    try:
        url = url_for("ledger.royalties")
    except RuntimeError:
        url = "/me/royalties"
    users = {user.id: user for user in db.session.scalars(
        select(User).where(User.id.in_(list(totals))))} if totals else {}
    for user_id, amounts in totals.items():
        amounts = {currency: amount for currency, amount in amounts.items() if amount}
        if not amounts or user_id not in users:
            continue
        figures = ", ".join(money_text(amount, currency)
                            for currency, amount in sorted(amounts.items()))
        if product_name:
            message = _en("Royalty statement: %(figures)s for “%(product)s” (%(period)s).",
                          figures=figures, product=product_name, period=period)
        else:
            message = _en("Royalty statement: %(figures)s from newly recorded sales.",
                          figures=figures)
        events.notify([users[user_id]], "royalty_statement", message, url=url)


# --------------------------------------------------------------------------- payouts


@dataclass
class PayoutResult:
    payout: Payout
    created: bool


def record_payout(actor: User, user_id: Any, amount_minor: Any, currency: Any,
                  reference: Any) -> PayoutResult:
    """Pay a creator part or all of their balance in one currency, never more. Idempotent by
    reference. Two payouts racing for the same balance are serialised by the ledger lock."""
    permissions.require(actor, "record_payout")
    _raise_if({"amount": check_amount(amount_minor, allow_negative=False, allow_zero=False),
               "currency": check_currency(currency), "reference": check_reference(reference),
               "user_id": None if is_int(user_id) else _("No such user.")})
    creator = db.session.get(User, user_id) if is_id(user_id) else None
    if creator is None:
        raise Invalid({"user_id": _("No such user.")}, code="user_not_found")
    lock_ledger()
    existing = db.session.scalar(select(Payout).where(Payout.reference == reference))
    if existing is not None:
        if (existing.user_id, existing.amount_minor, existing.currency) == \
                (user_id, amount_minor, currency):
            return PayoutResult(existing, False)
        raise Conflict("reference_conflict", _(
            "The reference %(ref)s was already used for a different payout.", ref=reference))
    balance = payable_balance(user_id, currency)
    if amount_minor > balance:
        raise Conflict("insufficient_balance", _(
            "The payout (%(amount)s) is more than the creator's balance (%(balance)s).",
            amount=money_text(amount_minor, currency), balance=money_text(balance, currency)))
    payout = Payout(reference=reference, user_id=user_id, amount_minor=amount_minor,
                    currency=currency, recorded_by_id=actor.id)
    transaction = _post(actor, "payout", [
        (_account("creator_payable", currency, user_id), amount_minor),
        (_account("payouts_cash", currency), -amount_minor),
    ], memo=f"Payout {reference} to {creator.display_name}", source=payout_source(payout))
    payout.transaction_id = transaction.id
    db.session.add(payout)
    db.session.flush()
    events.audit(actor, "ledger.payout_recorded", payout, after=payout_source(payout)["payout"])
    events.notify([creator], "royalty_payout", _en(
        "A payout of %(amount)s was sent to you (reference %(ref)s).",
        amount=money_text(amount_minor, currency), ref=reference), url="/me/royalties")
    return PayoutResult(payout, True)


# --------------------------------------------------------------------------- corrections


def reverse_transaction(actor: User, transaction_id: Any, reason: Any) -> LedgerTransaction:
    """Correct the ledger by posting the exact opposite of a transaction (never editing it).

    A transaction is reversed at most once; a reversal itself is not reversed (record the
    right figures again instead); a reversal that would take a creator's balance below zero
    (money already paid out) is refused."""
    permissions.require(actor, "record_sale")
    reason_text = reason.strip() if isinstance(reason, str) else ""
    _raise_if({"reason": None if reason_text else _("Say why this is reversed."),
               "transaction_id": None if is_int(transaction_id) else _("No such transaction.")})
    lock_ledger()
    original = db.session.scalar(
        select(LedgerTransaction).where(LedgerTransaction.id == transaction_id)
        .options(selectinload(LedgerTransaction.entries).selectinload(LedgerEntry.account))) \
        if is_id(transaction_id) else None
    if original is None:
        raise NotFound("transaction_not_found", _("No such transaction."))
    if original.kind == "reversal":
        raise Conflict("cannot_reverse_reversal", _("A reversal cannot itself be reversed."))
    if db.session.scalar(select(LedgerTransaction.id)
                         .where(LedgerTransaction.reverses_id == original.id)) is not None:
        raise Conflict("already_reversed", _("This transaction was already reversed."))
    lines = [(entry.account, -entry.amount_minor) for entry in original.entries]
    for account, amount in lines:
        if account.kind == "creator_payable" and amount > 0 and \
                payable_balance(account.user_id, account.currency) - amount < 0:
            raise Conflict("insufficient_balance", _(
                "Reversing this would take a creator's balance below zero (user %(id)s).",
                id=account.user_id))
    transaction = _post(actor, "reversal", lines,
                        memo=f"Reversal of #{original.sequence}: {reason_text}",
                        reverses_id=original.id)
    events.audit(actor, "ledger.transaction_reversed", transaction, reason=reason_text,
                 after={"reverses_id": original.id, "reverses_sequence": original.sequence})
    return transaction


# --------------------------------------------------------------------------- CSV import


@dataclass
class SaleRow:
    line: int
    product_id: int
    period: str
    units: int
    net_sales_minor: int
    currency: str
    external_ref: str
    already_recorded: bool = False

    def as_dict(self) -> dict:
        return {"line": self.line, "product_id": self.product_id, "period": self.period,
                "units": self.units, "net_sales_minor": self.net_sales_minor,
                "currency": self.currency, "external_ref": self.external_ref,
                "already_recorded": self.already_recorded}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> SaleRow:
        return cls(**{name: data[name] for name in (
            "line", "product_id", "period", "units", "net_sales_minor", "currency",
            "external_ref", "already_recorded")})


@dataclass
class RowError:
    line: int
    reason: str


@dataclass
class ParsedImport:
    rows: list[SaleRow] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)

    @property
    def new_rows(self) -> list[SaleRow]:
        return [row for row in self.rows if not row.already_recorded]


class ImportRefused(Invalid):
    """A sales file with bad rows: nothing was recorded; `errors` lists every bad row."""

    def __init__(self, errors: list[RowError]) -> None:
        self.errors = sorted(errors, key=lambda error: error.line)
        super().__init__({"file": _("%(n)s rows have problems; nothing was recorded.",
                                    n=len(self.errors))}, code="bad_rows")


def _parse_row(values: dict[str, str]) -> tuple[dict[str, Any], list[str]]:
    problems: list[str] = []
    parsed: dict[str, Any] = {}
    product_id = values["product_id"].strip()
    if _INT_TEXT.fullmatch(product_id) and int(product_id) > 0:
        parsed["product_id"] = int(product_id)
    else:
        problems.append(_("product_id: not a product id (%(value)s)", value=product_id[:40]))
    period = values["period"].strip()
    if check_period(period):
        problems.append(_("period: use YYYY-MM (%(value)s)", value=period[:40]))
    parsed["period"] = period
    units = values["units"].strip()
    if _INT_TEXT.fullmatch(units) and abs(int(units)) < MAX_UNITS:
        parsed["units"] = int(units)
    else:
        problems.append(_("units: not a whole number (%(value)s)", value=units[:40]))
    currency = values["currency"].strip().upper()
    if check_currency(currency):
        problems.append(_("currency: not an ISO 4217 code (%(value)s)", value=currency[:40]))
    else:
        parsed["currency"] = currency
        try:
            amount = parse_amount(values["net_sales"], currency)
        except ValueError:
            problems.append(_("net_sales: not an amount in %(currency)s (%(value)s)",
                              currency=currency, value=values["net_sales"].strip()[:40]))
        else:
            if abs(amount) >= MAX_AMOUNT_MINOR:
                problems.append(_("net_sales: the amount is too large"))
            parsed["net_sales_minor"] = amount
    ref = values["external_ref"].strip()
    problem = check_reference(ref)
    if problem:
        problems.append(_("external_ref: %(problem)s", problem=problem))
    parsed["external_ref"] = ref
    return parsed, problems


def parse_sales_csv(data: bytes) -> ParsedImport:
    """Read a sales file (columns product_id, period, units, net_sales, currency, external_ref;
    net_sales as decimal text in the currency's units). Every row is checked - its fields, that
    its product exists, that its reference is not repeated in the file or already recorded with
    other figures - and every bad row is reported with its line number and reason. Rows already
    recorded with the same figures are marked `already_recorded` (importing them is a no-op)."""
    result = ParsedImport()
    try:
        content = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        result.errors.append(RowError(1, _("The file is not UTF-8 text.")))
        return result
    reader = csv.reader(io.StringIO(content, newline=""))
    try:
        header = next(reader)
    except StopIteration:
        result.errors.append(RowError(1, _("The file is empty.")))
        return result
    except csv.Error as error:
        result.errors.append(RowError(1, _("Not a CSV file: %(error)s", error=str(error))))
        return result
    names = [name.strip().lower() for name in header]
    missing = [name for name in CSV_COLUMNS if name not in names]
    if missing:
        result.errors.append(RowError(1, _(
            "The header must name the columns %(columns)s; missing: %(missing)s.",
            columns=", ".join(CSV_COLUMNS), missing=", ".join(missing))))
        return result
    position = {name: names.index(name) for name in CSV_COLUMNS}
    seen_refs: dict[str, int] = {}
    while True:
        try:
            record = next(reader)
        except StopIteration:
            break
        except csv.Error as error:
            result.errors.append(RowError(reader.line_num, _("Unreadable row: %(error)s",
                                                             error=str(error))))
            break
        line = reader.line_num
        if not record or all(not cell.strip() for cell in record):
            continue
        if len(result.rows) + len(result.errors) >= IMPORT_MAX_ROWS:
            result.errors.append(RowError(line, _("Too many rows: at most %(n)s per file.",
                                                  n=IMPORT_MAX_ROWS)))
            break
        if len(record) != len(header):
            result.errors.append(RowError(line, _(
                "Expected %(expected)s columns, found %(found)s.", expected=len(header),
                found=len(record))))
            continue
        parsed, problems = _parse_row({name: record[index] for name, index in position.items()})
        ref = parsed["external_ref"]
        if ref and ref in seen_refs:
            problems.append(_("external_ref: %(ref)s is repeated (first on line %(line)s)",
                              ref=ref[:REF_MAX], line=seen_refs[ref]))
        elif ref:
            seen_refs[ref] = line
        if problems:
            result.errors.append(RowError(line, "; ".join(problems)))
        else:
            result.rows.append(SaleRow(line=line, **parsed))
    _check_against_database(result)
    result.errors.sort(key=lambda error: error.line)
    return result


def _chunks(items: list, size: int = 500) -> Iterable[list]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def _check_against_database(result: ParsedImport) -> None:
    product_ids = sorted({row.product_id for row in result.rows})
    known: set[int] = set()
    for chunk in _chunks(product_ids):
        known.update(db.session.scalars(
            select(Product.id).where(Product.id.in_(chunk), Product.splits.any())))
    existing: dict[str, Sale] = {}
    for chunk in _chunks([row.external_ref for row in result.rows]):
        existing.update((sale.external_ref, sale) for sale in db.session.scalars(
            select(Sale).where(Sale.external_ref.in_(chunk))))
    good = []
    for row in result.rows:
        if row.product_id not in known:
            result.errors.append(RowError(row.line, _("product_id: no such product (%(id)s)",
                                                      id=row.product_id)))
            continue
        sale = existing.get(row.external_ref)
        if sale is not None:
            if not _same_sale(sale, row.product_id, row.period, row.units, row.net_sales_minor,
                              row.currency):
                result.errors.append(RowError(row.line, _(
                    "external_ref: %(ref)s was already recorded with different figures",
                    ref=row.external_ref)))
                continue
            row.already_recorded = True
        good.append(row)
    result.rows = good


@dataclass
class ImportResult:
    created: int
    existing: int
    sales: list[Sale]


def import_sales(actor: User, rows: list[SaleRow],
                 progress: Callable[[int, int], None] | None = None) -> ImportResult:
    """Record every row of a checked sales file in this one transaction, or none of them: when a
    row fails now (e.g. a return larger than a creator's balance, or a reference recorded by
    someone else since the preview) ImportRefused lists every failing row and the caller rolls
    back. Creators get one notification each for the whole file."""
    permissions.require(actor, "record_sale")
    lock_ledger()
    errors: list[RowError] = []
    sales: list[Sale] = []
    created = 0
    totals: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for index, row in enumerate(rows, start=1):
        try:
            result = record_sale(actor, row.product_id, row.period, row.units,
                                 row.net_sales_minor, row.currency, row.external_ref,
                                 notify=False, audit=False)
        except DomainError as error:
            fields = getattr(error, "fields", None) or {}
            errors.append(RowError(row.line, "; ".join(f"{name}: {message}" for name, message
                                                       in fields.items()) or error.message))
        else:
            sales.append(result.sale)
            if result.created:
                created += 1
                for user_id, amount in result.postings:
                    totals[user_id][row.currency] += amount
        if progress is not None:
            progress(index, len(rows))
    if errors:
        raise ImportRefused(errors)
    if created:
        events.audit(actor, "ledger.sales_imported", None, after={
            "created": created, "existing": len(sales) - created,
            "external_refs": [sale.external_ref for sale in sales][:1000]})
        _notify_royalties(totals)
    return ImportResult(created=created, existing=len(sales) - created, sales=sales)


# --------------------------------------------------------------------------- statements


@dataclass
class StatementLine:
    product_id: int
    product_name: str
    period: str
    currency: str
    net_sales_minor: int = 0
    royalty_minor: int = 0


@dataclass
class Statement:
    """A creator's royalties: balance per currency, earnings per product and period (net of
    returns and reversals), payouts, and earnings per period for the chart."""

    user: User
    balances: dict[str, int]
    lines: list[StatementLine]
    payouts: list[Payout]
    reversed_payout_ids: set[int]

    def earnings_by_period(self) -> dict[str, list[tuple[str, int]]]:
        """{currency: [(period, royalty), ...]} in period order."""
        totals: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        for line in self.lines:
            totals[line.currency][line.period] += line.royalty_minor
        return {currency: sorted(periods.items()) for currency, periods in sorted(totals.items())}

    def total_earned(self) -> dict[str, int]:
        totals: dict[str, int] = defaultdict(int)
        for line in self.lines:
            totals[line.currency] += line.royalty_minor
        return dict(sorted(totals.items()))

    def total_paid(self) -> dict[str, int]:
        totals: dict[str, int] = defaultdict(int)
        for payout in self.payouts:
            if payout.transaction_id not in self.reversed_payout_ids:
                totals[payout.currency] += payout.amount_minor
        return dict(sorted(totals.items()))


def statement_for(user: User) -> Statement:
    """Everything a creator's royalties page shows, in a constant number of queries."""
    product_rows = db.session.execute(
        select(Product.id, Product.name).join(ProductSplit, ProductSplit.product_id == Product.id)
        .where(ProductSplit.user_id == user.id)).all()
    names = dict(product_rows)
    sales = list(db.session.scalars(select(Sale).where(Sale.product_id.in_(list(names)))
                                    .order_by(Sale.period, Sale.id))) if names else []
    payouts = list(db.session.scalars(select(Payout).where(Payout.user_id == user.id)
                                      .order_by(Payout.created_at.desc(), Payout.id.desc())))
    reversals = dict(db.session.execute(
        select(LedgerTransaction.reverses_id, LedgerTransaction.id)
        .where(LedgerTransaction.reverses_id.in_(
            [sale.transaction_id for sale in sales] + [p.transaction_id for p in payouts]))).all()) \
        if sales or payouts else {}
    credited = dict(db.session.execute(
        select(LedgerEntry.transaction_id, LedgerEntry.amount_minor)
        .join(LedgerAccount, LedgerAccount.id == LedgerEntry.account_id)
        .where(LedgerAccount.kind == "creator_payable", LedgerAccount.user_id == user.id,
               LedgerEntry.transaction_id.in_([sale.transaction_id for sale in sales])))
        .all()) if sales else {}
    lines: dict[tuple[int, str, str], StatementLine] = {}
    for sale in sales:
        key = (sale.product_id, sale.period, sale.currency)
        line = lines.setdefault(key, StatementLine(sale.product_id, names[sale.product_id],
                                                   sale.period, sale.currency))
        if sale.transaction_id in reversals:
            continue  # reversed: as if never recorded
        line.net_sales_minor += sale.net_sales_minor
        line.royalty_minor += -credited.get(sale.transaction_id, 0)
    return Statement(user=user, balances=balances_of(user.id),
                     lines=sorted(lines.values(), key=lambda s: (s.period, s.product_name,
                                                                 s.currency), reverse=True),
                     payouts=payouts, reversed_payout_ids={
                         p.transaction_id for p in payouts if p.transaction_id in reversals})


def statement_csv(statement: Statement) -> str:
    """The statement as CSV: one row per product, period and currency, then payouts."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["type", "date_or_period", "product_id", "product", "currency",
                     "net_sales", "royalty", "payout", "balance", "reference"])
    for line in sorted(statement.lines, key=lambda s: (s.period, s.product_id, s.currency)):
        writer.writerow(["royalty", line.period, line.product_id, _csv_safe(line.product_name),
                         line.currency, format_amount(line.net_sales_minor, line.currency),
                         format_amount(line.royalty_minor, line.currency), "", "", ""])
    for payout in sorted(statement.payouts, key=lambda p: (p.created_at, p.id)):
        reversed_ = payout.transaction_id in statement.reversed_payout_ids
        writer.writerow(["payout_reversed" if reversed_ else "payout",
                         payout.created_at.date().isoformat(), "", "", payout.currency, "", "",
                         format_amount(payout.amount_minor, payout.currency), "",
                         _csv_safe(payout.reference)])
    for currency, balance in sorted(statement.balances.items()):
        writer.writerow(["balance", utcnow().date().isoformat(), "", "", currency, "", "", "",
                         format_amount(balance, currency), ""])
    return out.getvalue()


def _csv_safe(value: str) -> str:
    """Neutralise spreadsheet formulas (a product named "=HYPERLINK(...)")."""
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


# --------------------------------------------------------------------------- overview


def ledger_totals() -> dict[str, dict[str, int]]:
    """{currency: {royalties, paid_out, outstanding}} over the whole ledger."""
    rows = db.session.execute(
        select(LedgerAccount.currency, LedgerAccount.kind, func.sum(LedgerEntry.amount_minor))
        .join(LedgerEntry, LedgerEntry.account_id == LedgerAccount.id)
        .group_by(LedgerAccount.currency, LedgerAccount.kind))
    totals: dict[str, dict[str, int]] = defaultdict(
        lambda: {"royalties": 0, "paid_out": 0, "outstanding": 0})
    for currency, kind, total in rows:
        total = int(total or 0)
        if kind == "royalty_expense":
            totals[currency]["royalties"] = total
        elif kind == "payouts_cash":
            totals[currency]["paid_out"] = -total
        else:
            totals[currency]["outstanding"] = -total
    return dict(sorted(totals.items()))


def creators_with_balances(query: str = "", limit: int = 200) -> list[tuple[User, dict[str, int]]]:
    """Creators of products (and anyone with a payable account), with balances per currency."""
    user_ids = select(ProductSplit.user_id).union(
        select(LedgerAccount.user_id).where(LedgerAccount.user_id.is_not(None)))
    stmt = select(User).where(User.id.in_(user_ids)).order_by(User.display_name, User.id)
    query = (query or "").strip()
    if query:
        pattern = "%" + query.lower().replace("\\", "\\\\").replace("%", "\\%") \
            .replace("_", "\\_") + "%"
        stmt = stmt.where(func.lower(User.display_name).like(pattern, escape="\\")
                          | func.lower(User.email).like(pattern, escape="\\"))
    users = list(db.session.scalars(stmt.limit(limit)))
    balances: dict[int, dict[str, int]] = defaultdict(dict)
    if users:
        for user_id, currency, total in db.session.execute(
                select(LedgerAccount.user_id, LedgerAccount.currency,
                       func.sum(LedgerEntry.amount_minor))
                .join(LedgerEntry, LedgerEntry.account_id == LedgerAccount.id)
                .where(LedgerAccount.kind == "creator_payable",
                       LedgerAccount.user_id.in_([user.id for user in users]))
                .group_by(LedgerAccount.user_id, LedgerAccount.currency)):
            balances[user_id][currency] = -int(total or 0)
    return [(user, dict(sorted(balances[user.id].items()))) for user in users]


# --------------------------------------------------------------------------- verification


@dataclass(frozen=True)
class Problem:
    transaction_id: int | None
    message: str

    def __str__(self) -> str:
        return self.message

    def as_dict(self) -> dict:
        return {"transaction_id": self.transaction_id, "message": self.message}


VERIFY_CHUNK = 1000


def verify_ledger() -> list[Problem]:
    """Recompute the whole chain and every balance; return every problem found (none = sound).

    Checks: sequences run 1..n without gaps; each prev_hash is the previous hash and each hash
    matches the transaction's content; every transaction balances per currency and its entries
    use their account's currency; no creator's payable balance is ever negative; each sale's
    royalty is its net sales x its product's rate (half-even) split by the product's shares,
    and its entries say exactly that; each payout's entries match it; each reversal is the
    exact opposite of the transaction it reverses; per currency, creators' balances equal
    royalties minus payouts."""
    problems: list[Problem] = []
    products = {product.id: product for product in db.session.scalars(
        select(Product).options(selectinload(Product.splits))
        .execution_options(populate_existing=True))}
    running: dict[int, int] = defaultdict(int)  # account id -> balance (debit-positive)
    accounts: dict[int, LedgerAccount] = {}
    entries_of: dict[int, list[tuple[int, int]]] = {}  # transaction id -> [(account, amount)]
    reversed_ids: set[int] = set()
    royalties: dict[str, int] = defaultdict(int)
    paid: dict[str, int] = defaultdict(int)
    effect: dict[int, tuple[str, str, int]] = {}  # tx id -> ("sale"/"payout", currency, amount)
    previous_hash = GENESIS_HASH
    expected_sequence = 1
    count = 0
    last_sequence = 0

    for account in db.session.scalars(select(LedgerAccount)
                                      .execution_options(populate_existing=True)):
        accounts[account.id] = account
        if account.code != account_code(account.kind, account.currency, account.user_id):
            problems.append(Problem(None, f"account {account.id}: code {account.code!r} does "
                                          f"not match its kind, user and currency"))

    while True:
        chunk = list(db.session.scalars(
            select(LedgerTransaction).where(LedgerTransaction.sequence > last_sequence)
            .order_by(LedgerTransaction.sequence).limit(VERIFY_CHUNK)
            .options(selectinload(LedgerTransaction.entries))
            .execution_options(populate_existing=True)))
        if not chunk:
            break
        ids = [transaction.id for transaction in chunk]
        sales = {sale.transaction_id: sale for sale in db.session.scalars(
            select(Sale).where(Sale.transaction_id.in_(ids))
            .execution_options(populate_existing=True))}
        payouts = {payout.transaction_id: payout for payout in db.session.scalars(
            select(Payout).where(Payout.transaction_id.in_(ids))
            .execution_options(populate_existing=True))}
        for transaction in chunk:
            count += 1
            last_sequence = transaction.sequence
            problems.extend(_verify_transaction(
                transaction, expected_sequence, previous_hash, accounts, products,
                sales.get(transaction.id), payouts.get(transaction.id), entries_of, running,
                reversed_ids, royalties, paid, effect))
            expected_sequence = transaction.sequence + 1
            previous_hash = transaction.hash

    orphan_sales = db.session.scalars(select(Sale.id).where(
        Sale.transaction_id.not_in(select(LedgerTransaction.id)))).all()
    for sale_id in orphan_sales:
        problems.append(Problem(None, f"sale {sale_id}: its transaction is missing"))

    payables: dict[str, int] = defaultdict(int)
    for account_id, balance in running.items():
        account = accounts.get(account_id)
        if account is not None and account.kind == "creator_payable":
            payables[account.currency] += -balance
    for currency in sorted(set(payables) | set(royalties) | set(paid)):
        if payables[currency] != royalties[currency] - paid[currency]:
            problems.append(Problem(None, (
                f"{currency}: creators' balances {payables[currency]} differ from royalties "
                f"{royalties[currency]} minus payouts {paid[currency]}")))
    return problems


def _verify_transaction(transaction: LedgerTransaction, expected_sequence: int,
                        previous_hash: str, accounts: dict[int, LedgerAccount],
                        products: dict[int, Product], sale: Sale | None, payout: Payout | None,
                        entries_of: dict[int, list[tuple[int, int]]], running: dict[int, int],
                        reversed_ids: set[int], royalties: dict[str, int], paid: dict[str, int],
                        effect: dict[int, tuple[str, str, int]]) -> list[Problem]:
    found: list[Problem] = []

    def problem(message: str) -> None:
        found.append(Problem(transaction.id, f"transaction {transaction.id} (#{transaction.sequence}"
                                             f"): {message}"))

    if transaction.sequence != expected_sequence:
        problem(f"sequence {transaction.sequence} where {expected_sequence} was expected "
                f"(a transaction is missing or out of place)")
    if transaction.prev_hash != previous_hash:
        problem("prev_hash does not match the previous transaction's hash (the chain is broken)")
    lines: list[tuple[LedgerAccount | None, LedgerEntry]] = [
        (accounts.get(entry.account_id), entry) for entry in transaction.entries]
    for account, entry in lines:
        if account is None:
            problem(f"entry {entry.id} posts to a missing account {entry.account_id}")
        elif entry.currency != account.currency:
            problem(f"entry {entry.id} is in {entry.currency} but its account {account.code} "
                    f"is in {account.currency}")
    source = sale_source(sale) if sale is not None else \
        payout_source(payout) if payout is not None else None
    recomputed = transaction_hash(transaction, [
        (account.code if account else f"?{entry.account_id}", entry.currency, entry.amount_minor)
        for account, entry in lines], source)
    if recomputed != transaction.hash:
        problem("its hash does not match its content (it or its entries, sale or payout were "
                "changed)")
    unbalanced = unbalanced_currencies((entry.currency, entry.amount_minor) for _, entry in lines)
    for currency, total in sorted(unbalanced.items()):
        problem(f"entries do not balance in {currency} (sum {total})")

    entries_of[transaction.id] = [(entry.account_id, entry.amount_minor) for _, entry in lines]
    for account, entry in lines:
        running[entry.account_id] += entry.amount_minor
        if account is not None and account.kind == "creator_payable" \
                and running[entry.account_id] > 0:
            problem(f"the balance of {account.code} becomes negative "
                    f"({-running[entry.account_id]})")

    by_code = defaultdict(int)
    for account, entry in lines:
        by_code[account.code if account else "?"] += entry.amount_minor

    if transaction.kind == "sale":
        if sale is None:
            problem("a sale transaction without its sale record")
        else:
            found.extend(_verify_sale(transaction, sale, products, dict(by_code)))
            royalties[sale.currency] += sale.royalty_minor
            effect[transaction.id] = ("sale", sale.currency, sale.royalty_minor)
    elif transaction.kind == "payout":
        if payout is None:
            problem("a payout transaction without its payout record")
        else:
            expected = {account_code("creator_payable", payout.currency, payout.user_id):
                        payout.amount_minor,
                        account_code("payouts_cash", payout.currency): -payout.amount_minor}
            if dict(by_code) != expected:
                problem(f"entries do not match payout {payout.id} of "
                        f"{money_text(payout.amount_minor, payout.currency)}")
            paid[payout.currency] += payout.amount_minor
            effect[transaction.id] = ("payout", payout.currency, payout.amount_minor)
    elif transaction.kind == "reversal":
        original = transaction.reverses_id
        if original is None or original not in entries_of:
            problem("reverses a transaction that does not come before it")
        elif original in reversed_ids:
            problem(f"transaction {original} is reversed more than once")
        else:
            reversed_ids.add(original)
            expected_lines = sorted((account_id, -amount)
                                    for account_id, amount in entries_of[original])
            if sorted(entries_of[transaction.id]) != expected_lines:
                problem(f"is not the exact opposite of transaction {original}")
            kind, currency, amount = effect.get(original, ("", "", 0))
            if kind == "sale":
                royalties[currency] -= amount
            elif kind == "payout":
                paid[currency] -= amount
    if transaction.kind != "sale" and sale is not None:
        problem(f"sale {sale.id} points at a {transaction.kind} transaction")
    if transaction.kind != "payout" and payout is not None:
        problem(f"payout {payout.id} points at a {transaction.kind} transaction")
    return found


def _verify_sale(transaction: LedgerTransaction, sale: Sale, products: dict[int, Product],
                 by_code: dict[str, int]) -> list[Problem]:
    found: list[Problem] = []

    def problem(message: str) -> None:
        found.append(Problem(transaction.id, f"transaction {transaction.id} (#{transaction.sequence}"
                                             f"): sale {sale.id} ({sale.external_ref}): {message}"))

    product = products.get(sale.product_id)
    if product is None:
        problem(f"its product {sale.product_id} is missing")
        return found
    if sale.royalty_rate_bps != product.royalty_rate_bps:
        problem(f"royalty rate {sale.royalty_rate_bps} bps differs from the product's "
                f"{product.royalty_rate_bps} bps")
    expected_royalty = royalty_minor(sale.net_sales_minor, product.royalty_rate_bps)
    if sale.royalty_minor != expected_royalty:
        problem(f"royalty {money_text(sale.royalty_minor, sale.currency)} should be "
                f"{money_text(expected_royalty, sale.currency)}")
    if not product.splits:
        problem("its product has no split")
        return found
    parts = split_largest_remainder(expected_royalty,
                                    [split.share_bps for split in product.splits])
    expected: dict[str, int] = defaultdict(int)
    expected[account_code("royalty_expense", sale.currency)] += expected_royalty
    for split, part in zip(product.splits, parts):
        expected[account_code("creator_payable", sale.currency, split.user_id)] -= part
    expected_clean = {code: amount for code, amount in expected.items() if amount}
    actual_clean = {code: amount for code, amount in by_code.items() if amount}
    if actual_clean != expected_clean:
        problem("its entries do not match the royalty and the product's split")
    return found
