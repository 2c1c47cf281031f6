"""Posting sales in sets (CSV imports, bulk loads): record_sale's rules, checked set-based.

For each batch the caller gets: the ledger lock taken once; the chain head read once; every row
checked against the database with a few set-based queries (products and their splits, the
external_refs already recorded, the balances a return draws on); each transaction's hash
computed in order in Python; and the transactions, entries and sales written in bulk (COPY on
PostgreSQL, executemany elsewhere). The caller commits: one commit per batch keeps the lock
short and makes a batch the unit of resumption.

A batch posts what record_sale would have posted row by row: the same entries, memos and
sales, and the same hashes for the same created_at (tests/unit/test_ledger_batch.py).
"""
from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ARRAY, any_, bindparam, cast, func, insert, select, text

from app import permissions
from app.extensions import db
from app.i18n import _
from app.models import Product, ProductSplit, User
from app.models.base import utcnow
from app.models.ledger import (GENESIS_HASH, LedgerAccount, LedgerBalance, LedgerEntry,
                               LedgerTransaction, Sale)
from app.money import BPS_WHOLE, royalty_minor, split_by_checked_shares
from app.services.ledger.chain import SaleCanonical, _iso_fast, account_code, hash_fast
from app.services.ledger.posting import add_to_balances, lock_ledger
from app.services.ledger.validation import MEMO_MAX

#: Rows posted per database transaction by imports and bulk loads.
BATCH_SIZE = 1000
#: Values per IN (...) list: far below SQLite's and PostgreSQL's limits.
IN_CHUNK = 1000


@dataclass
class SaleRow:
    """One checked sale of a file: its line number and its figures."""

    line: int
    product_id: int
    period: str
    units: int
    net_sales_minor: int
    currency: str
    external_ref: str
    already_recorded: bool = False

    def figures(self) -> tuple[int, str, int, int, str]:
        return (self.product_id, self.period, self.units, self.net_sales_minor, self.currency)

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


@dataclass(frozen=True)
class _Terms:
    """A product's frozen terms, as a sale needs them."""

    name: str
    rate_bps: int
    splits: tuple[tuple[int, int], ...]  # (user_id, share_bps), in ProductSplit.id order

    def __post_init__(self) -> None:
        shares = [share for _, share in self.splits]
        if any(share < 0 for share in shares) or sum(shares) != BPS_WHOLE:
            raise ValueError(f"the split of {self.name!r} does not sum to {BPS_WHOLE}")

    def parts(self, royalty: int) -> list[tuple[int, int]]:
        """(user_id, part) of the royalty per split, as split_largest_remainder makes them."""
        return list(zip([user_id for user_id, _ in self.splits], split_by_checked_shares(
            royalty, [share for _, share in self.splits])))


@dataclass
class _Shape:
    """What every sale of one product in one currency posts to, prepared once per run: the
    accounts (royalty expense, then each creator in split order) and the canonical form."""

    codes: list[str]
    canonical: SaleCanonical
    account_ids: list[int] = field(default_factory=list)


@dataclass
class _Planned:
    row: SaleRow
    terms: _Terms
    royalty: int
    postings: list[tuple[int, int]]  # (user_id, part) per split, zeros included


@dataclass
class BatchResult:
    """What a batch did: rows created, rows already recorded, rows refused, and the amount
    credited to each creator per currency (for one notification per creator)."""

    created: int = 0
    existing: int = 0
    errors: list[RowError] = field(default_factory=list)
    totals: dict[int, dict[str, int]] = field(
        default_factory=lambda: defaultdict(lambda: defaultdict(int)))
    external_refs: list[str] = field(default_factory=list)

    def add(self, other: BatchResult) -> None:
        self.created += other.created
        self.existing += other.existing
        self.errors.extend(other.errors)
        self.external_refs.extend(other.external_refs)
        for user_id, amounts in other.totals.items():
            for currency, amount in amounts.items():
                self.totals[user_id][currency] += amount


def among(column: Any, values: Sequence) -> Any:
    """column IN values: on PostgreSQL as = ANY(one parameter), which costs the same to plan
    for a thousand values as for one: the values as one line-separated text, split by the
    server (sending a Python list as an array costs milliseconds per thousand strings), or an
    array when a value holds a line break; elsewhere a plain IN list."""
    if db.session.get_bind().dialect.name == "postgresql":
        texts = [str(value) for value in values]
        joined = "\n".join(texts)
        if texts and joined.count("\n") == len(texts) - 1:
            return column == any_(cast(func.string_to_array(joined, "\n"), ARRAY(column.type)))
        return column == any_(bindparam(None, list(values), type_=ARRAY(column.type)))
    return column.in_(values)


def chunks(items: Sequence, size: int = IN_CHUNK) -> Iterable[Sequence]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def own_product_error(row: SaleRow) -> RowError:
    """Separation of duties: finance staff never record the sales of a product whose royalties
    they share in."""
    return RowError(row.line, _(
        "product_id: you share in this product's royalties (%(id)s), so another finance staff "
        "member must record its sales", id=row.product_id))


class SalePlanner:
    """Checks sale rows in file order against the database and against the rows before them:
    the product exists and has a split; a reference already recorded (or earlier in the same
    run) with the same figures is a no-op and with other figures a conflict; a return may not
    take a creator's balance below zero. Keeps product terms and balances between calls, so a
    dry run over a whole file costs a few queries per thousand rows."""

    def __init__(self, terms: dict[int, _Terms | None] | None = None,
                 actor_id: int | None = None) -> None:
        self.terms = terms if terms is not None else {}
        #: Who posts: the sales of a product they share in are refused (separation of duties).
        self.actor_id = actor_id
        self.seen: dict[str, tuple] = {}
        self.loaded: dict[tuple[int, str], int] = {}  # (user_id, currency) -> from the database
        self.added: dict[tuple[int, str], int] = defaultdict(int)  # -> by this planner's rows

    def plan(self, rows: Sequence[SaleRow]) -> tuple[list[_Planned], BatchResult]:
        """The rows to post (in order) and the result so far: existing rows and errors."""
        result = BatchResult()
        self._load_terms({row.product_id for row in rows})
        recorded = self._recorded([row.external_ref for row in rows
                                   if row.external_ref not in self.seen])
        candidates: list[_Planned] = []
        for row in rows:
            figures = self.seen.get(row.external_ref) or recorded.get(row.external_ref)
            if figures is not None:
                if figures == row.figures():
                    result.existing += 1
                    result.external_refs.append(row.external_ref)
                else:
                    result.errors.append(RowError(row.line, _(
                        "The reference %(ref)s was already recorded with different figures.",
                        ref=row.external_ref)))
                continue
            terms = self.terms.get(row.product_id)
            if terms is None:
                result.errors.append(RowError(row.line, _(
                    "product_id: no such product (%(id)s)", id=row.product_id)))
                continue
            if self.actor_id is not None and any(user_id == self.actor_id
                                                 for user_id, _share in terms.splits):
                result.errors.append(own_product_error(row))
                continue
            royalty = royalty_minor(row.net_sales_minor, terms.rate_bps)
            candidates.append(_Planned(row, terms, royalty, terms.parts(royalty)))
            self.seen[row.external_ref] = row.figures()
        return self._check_balances(candidates, result), result

    def _load_terms(self, product_ids: set[int]) -> None:
        missing = sorted(product_id for product_id in product_ids if product_id not in self.terms)
        for chunk in chunks(missing):
            products = db.session.execute(select(
                Product.id, Product.name, Product.royalty_rate_bps).where(
                    among(Product.id, chunk))).all()
            splits: dict[int, list[tuple[int, int]]] = defaultdict(list)
            for product_id, user_id, share in db.session.execute(select(
                    ProductSplit.product_id, ProductSplit.user_id, ProductSplit.share_bps)
                    .where(among(ProductSplit.product_id, chunk)).order_by(ProductSplit.id)):
                splits[product_id].append((user_id, share))
            for product_id, name, rate in products:
                self.terms[product_id] = _Terms(name, rate, tuple(splits[product_id])) \
                    if splits[product_id] else None
            for product_id in chunk:
                self.terms.setdefault(product_id, None)

    @staticmethod
    def _recorded(refs: list[str]) -> dict[str, tuple]:
        found: dict[str, tuple] = {}
        for chunk in chunks(refs):
            found.update((ref, tuple(figures)) for ref, *figures in db.session.execute(
                select(Sale.external_ref, Sale.product_id, Sale.period, Sale.units,
                       Sale.net_sales_minor, Sale.currency).where(among(Sale.external_ref, chunk))))
        return found

    def _check_balances(self, candidates: list[_Planned], result: BatchResult) -> list[_Planned]:
        """Refuse each return that would take a creator below zero, in file order. A balance
        is what the database held when first needed plus what this planner's rows added (the
        database never holds them while the planner plans: posting writes after planning)."""
        needed = sorted({(user_id, planned.row.currency) for planned in candidates
                         for user_id, part in planned.postings if part < 0}
                        - set(self.loaded))
        self.loaded.update(payable_balances(needed))
        planned_rows: list[_Planned] = []
        for planned in candidates:
            currency = planned.row.currency
            short = [user_id for user_id, part in planned.postings
                     if part < 0 and self.loaded[(user_id, currency)]
                     + self.added[(user_id, currency)] + part < 0]
            if short:
                result.errors.append(RowError(planned.row.line, _(
                    "This return would take a creator's balance below zero (user %(id)s).",
                    id=short[0])))
                del self.seen[planned.row.external_ref]
                continue
            for user_id, part in planned.postings:
                self.added[(user_id, currency)] += part
            planned_rows.append(planned)
        return planned_rows


def payable_balances(pairs: Sequence[tuple[int, str]]) -> dict[tuple[int, str], int]:
    """{(user_id, currency): payable balance} for these creators, from the kept balances, in
    one query per chunk."""
    balances = {pair: 0 for pair in pairs}
    codes = {account_code("creator_payable", currency, user_id): (user_id, currency)
             for user_id, currency in pairs}
    for chunk in chunks(sorted(codes)):
        for code, total in db.session.execute(
                select(LedgerAccount.code, LedgerBalance.balance_minor)
                .join(LedgerBalance, LedgerBalance.account_id == LedgerAccount.id)
                .where(among(LedgerAccount.code, chunk))):
            balances[codes[code]] = -int(total)
    return balances


def check_sales(rows: Sequence[SaleRow], batch_size: int = BATCH_SIZE,
                actor_id: int | None = None) -> list[RowError]:
    """Every row that posting these rows in this order (by `actor_id`) would refuse (nothing
    is written)."""
    planner = SalePlanner(actor_id=actor_id)
    errors: list[RowError] = []
    for batch in chunks(rows, batch_size):
        errors.extend(planner.plan(batch)[1].errors)
    return errors


@dataclass
class PostingRun:
    """What post_sales carries from one batch to the next of one run: the products' terms
    (frozen, so always valid) and the creators' balances it looked up, which stay valid only
    while no one else posts in between: they are dropped unless the chain's head is still the
    last transaction this run wrote. A run stops at its first rolled-back batch."""

    terms: dict[int, _Terms | None] = field(default_factory=dict)
    balances: dict[tuple[int, str], int] = field(default_factory=dict)
    head: int | None = None
    #: Account ids by code and sale shapes by (product, currency): accounts never change.
    accounts: dict[str, int] = field(default_factory=dict)
    shapes: dict[tuple[int, str], _Shape] = field(default_factory=dict)


def post_sales(actor: User, rows: Sequence[SaleRow], *,
               terms: dict[int, _Terms | None] | None = None,
               run: PostingRun | None = None) -> BatchResult:
    """Post these rows as one set in the current transaction (the caller commits): every good
    row is written, every bad row is in result.errors and not written. `run` (or just `terms`)
    carries what one batch learnt to the next."""
    permissions.require(actor, "record_sale")
    lock_ledger()
    last = db.session.execute(
        select(LedgerTransaction.sequence, LedgerTransaction.hash)
        .order_by(LedgerTransaction.sequence.desc()).limit(1)).first()
    sequence, prev_hash = (last.sequence, last.hash) if last else (0, GENESIS_HASH)
    planner = SalePlanner(run.terms if run is not None else terms, actor_id=actor.id)
    if run is not None:
        if run.head != sequence:  # someone else posted since, or the last batch rolled
            run.balances.clear()  # back: look balances (and accounts it may have made) up again
            run.accounts.clear()
            run.shapes.clear()
        planner.loaded = run.balances
    planned, result = planner.plan(rows)
    if run is not None:
        for key, amount in planner.added.items():
            if key in run.balances:
                run.balances[key] += amount
        run.head = sequence + len(planned)
    if not planned:
        return result
    return _write_sales(actor, planned, result, sequence, prev_hash,
                        run.accounts if run is not None else {},
                        run.shapes if run is not None else {})


def _write_sales(actor: User, planned: list[_Planned], result: BatchResult, sequence: int,
                 prev_hash: str, accounts: dict[str, int],
                 shapes: dict[tuple[int, str], _Shape]) -> BatchResult:
    """Hash the planned sales in order after (sequence, prev_hash) and write them in bulk.
    One moment for the whole batch: its rows are one database transaction."""
    _accounts_for(planned, accounts)
    ids = _new_transaction_ids(len(planned))
    created_at = utcnow()
    stamp, actor_id = _iso_fast(created_at), actor.id
    transactions, entries, sales = [], [], []
    sha256, totals = hashlib.sha256, result.totals
    for transaction_id, item in zip(ids, planned):
        row, terms = item.row, item.terms
        sequence += 1
        currency = row.currency
        shape = shapes.get((row.product_id, currency)) or _shape(shapes, item, accounts)
        amounts = [item.royalty] + [-part for _user_id, part in item.postings]
        kind_word = "Return" if row.net_sales_minor < 0 else "Sale"
        memo = f"{kind_word} {row.external_ref}: {terms.name} {row.period}"[:MEMO_MAX]
        if shape.canonical.distinct:
            digest = sha256(shape.canonical.render(
                sequence, memo, actor_id, stamp, prev_hash, amounts, row.external_ref,
                row.period, row.units, row.net_sales_minor, item.royalty)).hexdigest()
        else:
            digest = hash_fast(sequence, "sale", memo, None, actor_id, created_at, prev_hash,
                               [(code, currency, amount)
                                for code, amount in zip(shape.codes, amounts) if amount],
                               sale=(row.external_ref, row.product_id, row.period, row.units,
                                     row.net_sales_minor, currency, terms.rate_bps,
                                     item.royalty))
        transactions.append((transaction_id, sequence, "sale", memo, None, actor_id, created_at,
                             prev_hash, digest))
        entries.extend([(transaction_id, account_id, amount, currency)
                        for account_id, amount in zip(shape.account_ids, amounts) if amount])
        sales.append((row.external_ref, row.product_id, row.period, row.units,
                      row.net_sales_minor, currency, terms.rate_bps, item.royalty,
                      transaction_id, actor_id, created_at))
        prev_hash = digest
        for user_id, part in item.postings:
            if part:
                totals[user_id][currency] += part
    result.created += len(planned)
    result.external_refs.extend([item.row.external_ref for item in planned])
    _write(LedgerTransaction, ("id", "sequence", "kind", "memo", "reverses_id", "created_by_id",
                               "created_at", "prev_hash", "hash"), transactions)
    _write(LedgerEntry, ("transaction_id", "account_id", "amount_minor", "currency"), entries)
    add_to_balances((account_id, amount) for _tid, account_id, amount, _currency in entries)
    _write(Sale, ("external_ref", "product_id", "period", "units", "net_sales_minor", "currency",
                  "royalty_rate_bps", "royalty_minor", "transaction_id", "recorded_by_id",
                  "created_at"), sales)
    return result


def _sale_codes(item: _Planned) -> list[str]:
    """The accounts a sale posts to: royalty expense, then each creator in split order."""
    currency = item.row.currency
    return [account_code("royalty_expense", currency)] + [
        account_code("creator_payable", currency, user_id) for user_id, _ in item.terms.splits]


def _shape(shapes: dict[tuple[int, str], _Shape], item: _Planned,
           accounts: dict[str, int]) -> _Shape:
    row = item.row
    codes = _sale_codes(item)
    shape = shapes[(row.product_id, row.currency)] = _Shape(
        codes, SaleCanonical(codes, row.currency, row.product_id, item.terms.rate_bps),
        [accounts[code] for code in codes])
    return shape


def _accounts_for(planned: list[_Planned], accounts: dict[str, int]) -> None:
    """Add to `accounts` ({code: id}) every account these sales post to, looking up the codes
    it does not hold yet and creating the missing accounts (the caller holds the ledger lock,
    so no one else creates them meanwhile)."""
    wanted: dict[str, tuple[str, str, int | None]] = {}
    for item in planned:
        currency = item.row.currency
        expense = account_code("royalty_expense", currency)
        if expense not in accounts:
            wanted[expense] = ("royalty_expense", currency, None)
        for user_id, _part in item.postings:
            code = account_code("creator_payable", currency, user_id)
            if code not in accounts:
                wanted[code] = ("creator_payable", currency, user_id)
    if not wanted:
        return
    for chunk in chunks(sorted(wanted)):
        accounts.update(db.session.execute(
            select(LedgerAccount.code, LedgerAccount.id)
            .where(among(LedgerAccount.code, chunk))).tuples().all())
    missing = [LedgerAccount(code=code, kind=kind, currency=currency, user_id=user_id)
               for code, (kind, currency, user_id) in wanted.items() if code not in accounts]
    if missing:
        db.session.add_all(missing)
        db.session.flush()
        accounts.update((account.code, account.id) for account in missing)


def _new_transaction_ids(count: int) -> list[int]:
    """Ids for the batch's transactions, so entries and sales can name them before they exist.
    PostgreSQL: taken from the table's sequence. SQLite: after the largest id (the ledger lock
    is SQLite's write lock, so no one else inserts meanwhile)."""
    if db.session.get_bind().dialect.name == "postgresql":
        return list(db.session.scalars(text(
            "SELECT nextval(pg_get_serial_sequence('ledger_transactions', 'id')) "
            "FROM generate_series(1, :n)"), {"n": count}))
    start = db.session.scalar(select(func.coalesce(func.max(LedgerTransaction.id), 0)))
    return list(range(start + 1, start + 1 + count))


def _write(model: type, columns: tuple[str, ...], rows: list[tuple]) -> None:
    """Insert rows in bulk: COPY on PostgreSQL (in this session's transaction), one
    executemany elsewhere."""
    if not rows:
        return
    table = model.__table__
    if db.session.get_bind().dialect.name == "postgresql":
        driver = db.session.connection().connection.driver_connection
        with driver.cursor() as cursor, cursor.copy(
                f"COPY {table.name} ({', '.join(columns)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        return
    db.session.execute(insert(table), [dict(zip(columns, row)) for row in rows])
