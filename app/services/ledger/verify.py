"""Proof that the ledger was not tampered with: recompute the chain and every balance.

One pass over the whole ledger, in one snapshot (PostgreSQL: its own REPEATABLE READ, READ
ONLY transaction, so the chain, the kept balances and the counts are read at one moment while
others keep posting):

- the chain is streamed (one row per transaction with its entries, sale and payout) in id
  order, which merge-joins the tables on their indexes without sorting; posting assigns ids
  and sequences together under the ledger lock, so that is the sequence order, and the walk
  checks it is: at the first sequence out of place it starts again in sequence order (the
  slower plan) so every problem is named as in the chain's own order;
- each row is checked in Python: sequence, prev_hash and hash; the running balances (no
  creator below zero); its entries balance per currency, in their accounts' currencies; each
  sale's royalty and split, each payout's entries, each reversal against what it reverses. A
  sale posted the usual way (entries in posting order: expense, then each creator of the
  split) is checked on a fast path: its expected entries are computed from its product and
  compared as they are, and its hash rendered by SaleCanonical; anything else takes the exact
  path (canonical_fast, confirmed by canonical_transaction before a mismatch is reported);
- the walk adds up every account's entries, so afterwards the kept balances (ledger_balances)
  are compared with those sums, and per currency the creators' balances with royalties minus
  payouts (each net of reversals); the sales and payouts the walk met are counted against the
  tables (a missing transaction is then named with an anti-join).

Memory stays flat: only the few reversed transactions' entries and one sum per account are kept.

On PostgreSQL, from PARALLEL_FROM transactions, the walk runs in two processes
(_walk_in_parts, LEDGER_VERIFY_PROCESSES): the later half of the ids in a forked child on the
same exported snapshot, joined with the first half only when both vouch for a sound ledger;
otherwise the whole chain is walked again in one process, as above.
"""
from __future__ import annotations

import hashlib
import itertools
import os
import pickle
import signal
from collections import defaultdict
from collections.abc import Generator, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

from flask import current_app
from sqlalchemy import text

from app.extensions import db
from app.models.base import UTCDateTime
from app.models.ledger import GENESIS_HASH
from app.money import royalty_minor, royalty_of_checked, split_by_checked_shares
from app.services.ledger.chain import (SaleCanonical, _iso_fast, account_code,
                                       canonical_transaction, hash_fast, payout_source,
                                       sale_source)
from app.services.ledger.validation import money_text


@dataclass(frozen=True)
class Problem:
    transaction_id: int | None
    message: str

    def __str__(self) -> str:
        return self.message

    def as_dict(self) -> dict:
        return {"transaction_id": self.transaction_id, "message": self.message}


@dataclass
class Verification:
    """What verify found: every problem (none = sound) and how many transactions it walked."""

    problems: list[Problem] = field(default_factory=list)
    transactions: int = 0


#: Rows the server sends per chunk of the stream.
VERIFY_CHUNK = 5000
#: From this many transactions (by id) the chain is walked in two processes (PostgreSQL;
#: LEDGER_VERIFY_PROCESSES = 1 turns it off).
PARALLEL_FROM = 200_000
_NO_END = 2**62

_COLUMNS = ("id", "sequence", "kind", "memo", "reverses_id", "created_by_id", "created_at",
            "prev_hash", "hash", "accounts", "amounts", "currencies",
            "sale_id", "external_ref", "product_id", "period", "units", "net_sales_minor",
            "sale_currency", "royalty_rate_bps", "royalty_minor",
            "payout_id", "reference", "payout_user_id", "payout_amount", "payout_currency")

_SALE_AND_PAYOUT = """
    s.id, s.external_ref, s.product_id, s.period, s.units, s.net_sales_minor, s.currency,
    s.royalty_rate_bps, s.royalty_minor,
    p.id, p.reference, p.user_id, p.amount_minor, p.currency
"""
_JOINS = """
    LEFT JOIN sales s ON s.transaction_id = t.id
    LEFT JOIN payouts p ON p.transaction_id = t.id
"""
_TX = ("t.id, t.sequence, t.kind, t.memo, t.reverses_id, t.created_by_id, t.created_at, "
       "t.prev_hash, t.hash")
#: The chain with each transaction's entries as three parallel arrays (one aggregate node, so
#: the arrays are aligned). "by_id": merge joins over the id and transaction_id indexes, no
#: sort; "by_sequence": the unique sequence index, entries looked up per transaction.
CHAIN_SQL = {
    ("postgresql", "by_id"): f"""
        SELECT {_TX}, e.accounts, e.amounts, e.currencies, {_SALE_AND_PAYOUT}
        FROM ledger_transactions t
        LEFT JOIN (
            SELECT transaction_id, array_agg(account_id) AS accounts,
                   array_agg(amount_minor) AS amounts, array_agg(currency) AS currencies
            FROM ledger_entries
            WHERE transaction_id >= %(low)s AND transaction_id < %(high)s
            GROUP BY transaction_id) e ON e.transaction_id = t.id
        LEFT JOIN sales s ON s.transaction_id = t.id
            AND s.transaction_id >= %(low)s AND s.transaction_id < %(high)s
        LEFT JOIN payouts p ON p.transaction_id = t.id
            AND p.transaction_id >= %(low)s AND p.transaction_id < %(high)s
        WHERE t.id >= %(low)s AND t.id < %(high)s
        ORDER BY t.id""",
    ("postgresql", "by_sequence"): f"""
        SELECT {_TX}, e.accounts, e.amounts, e.currencies, {_SALE_AND_PAYOUT}
        FROM ledger_transactions t
        LEFT JOIN LATERAL (
            SELECT array_agg(account_id ORDER BY id) AS accounts,
                   array_agg(amount_minor ORDER BY id) AS amounts,
                   array_agg(currency ORDER BY id) AS currencies
            FROM ledger_entries WHERE transaction_id = t.id) e ON true
        {_JOINS}
        ORDER BY t.sequence""",
}
_SQLITE_CHAIN = f"""
    SELECT {_TX},
        (SELECT json_group_array(account_id) FROM ledger_entries WHERE transaction_id = t.id),
        (SELECT json_group_array(amount_minor) FROM ledger_entries WHERE transaction_id = t.id),
        (SELECT json_group_array(currency) FROM ledger_entries WHERE transaction_id = t.id),
        {_SALE_AND_PAYOUT}
    FROM ledger_transactions t {_JOINS}
    ORDER BY t.{{order}}"""
CHAIN_SQL[("sqlite", "by_id")] = _SQLITE_CHAIN.format(order="id")
CHAIN_SQL[("sqlite", "by_sequence")] = _SQLITE_CHAIN.format(order="sequence")

#: Sales and payouts whose transaction is missing (NOT EXISTS: an anti-join, where NOT IN over
#: a million ids would compare every sale with every transaction). Run only when the walk met
#: fewer sales or payouts than the tables hold.
ORPHANS_SQL = """
    SELECT 'sale', s.id FROM sales s
    WHERE NOT EXISTS (SELECT 1 FROM ledger_transactions t WHERE t.id = s.transaction_id)
    UNION ALL
    SELECT 'payout', p.id FROM payouts p
    WHERE NOT EXISTS (SELECT 1 FROM ledger_transactions t WHERE t.id = p.transaction_id)"""


class _Account:
    __slots__ = ("id", "code", "kind", "currency", "user_id")

    def __init__(self, id: int, code: str, kind: str, currency: str, user_id: int | None):
        self.id, self.code, self.kind, self.currency, self.user_id = (
            id, code, kind, currency, user_id)


class _Terms:
    """A product's rate and split."""

    __slots__ = ("rate", "users", "shares")

    def __init__(self, rate: int, splits: list[tuple[int, int]]) -> None:
        self.rate = rate
        self.users = [user_id for user_id, _ in splits]
        self.shares = [share for _, share in splits]

    def parts(self, total: int) -> list[int]:
        """split_largest_remainder(total, shares) (a product's shares are checked when made)."""
        return split_by_checked_shares(total, self.shares)


class _Shape:
    """Sales of one product in one currency: their accounts in posting order (expense, then
    each creator of the split), whether those accounts exist, and the canonical renderer."""

    __slots__ = ("terms", "codes", "account_ids", "canonical", "single")

    def __init__(self, terms: _Terms, product_id: int, currency: str,
                 ids_by_code: dict[str, int]) -> None:
        self.terms = terms
        self.codes = [account_code("royalty_expense", currency)] + [
            account_code("creator_payable", currency, user_id) for user_id in terms.users]
        found = [ids_by_code.get(code) for code in self.codes]
        self.account_ids = found if None not in found else None
        self.canonical = SaleCanonical(self.codes, currency, product_id, terms.rate)
        self.single = len(terms.shares) == 1


class _Chain:
    """What the walk carries from one transaction to the next, in sequence order."""

    def __init__(self, accounts: dict[int, _Account], terms: dict[int, _Terms],
                 reversed_ids: set[int]) -> None:
        self.accounts = accounts
        self.codes = {account.id: account.code for account in accounts.values()}
        self.ids_by_code = {account.code: account.id for account in accounts.values()}
        self.currencies = {account.id: account.currency for account in accounts.values()}
        self.payable_ids = {account.id for account in accounts.values()
                            if account.kind == "creator_payable"}
        self.terms = terms
        self.reversed_ids = reversed_ids
        self.kept: dict[int, list[tuple[int, int]]] = {}  # entries of reversed transactions
        self.done_reversals: set[int] = set()
        self.sums: dict[int, int] = defaultdict(int)  # account -> running balance
        self.royalties: dict[str, int] = defaultdict(int)  # not reversed, per currency
        self.paid: dict[str, int] = defaultdict(int)
        self.sales = self.payouts = 0
        self.problems: list[Problem] = []
        self.count = 0
        self.shapes: dict[tuple[int, str], _Shape | None] = {}
        # A part of the chain (parallel walk): its id span; its sums start at zero, so the
        # balance checks keep the highest sum reached per account (checked once the balance
        # before the part is known) and reversals of earlier transactions wait in pending.
        self.part: tuple[int, int] | None = None
        self.highs: dict[int, int] = {}
        self.pending: list[tuple[int, int, int, list[int], list[int]]] = []
        self.first: tuple[int, str] | None = None  # (sequence, prev_hash) of its first row
        self.last: tuple[int | None, str | None] = (None, None)  # expected next after it

    def check_balance(self, tid: int, sequence: int, account_id: int) -> None:
        """No creator's payable balance may go below zero (a debit balance here)."""
        balance = self.sums[account_id]
        if self.part is not None:
            if balance > self.highs.get(account_id, balance - 1):
                self.highs[account_id] = balance
        elif balance > 0:
            _negative(self, tid, sequence, account_id)

    def summary(self) -> dict:
        """What the parent needs from a part walked in another process."""
        return {"count": self.count, "sums": dict(self.sums), "royalties": dict(self.royalties),
                "paid": dict(self.paid), "sales": self.sales, "payouts": self.payouts,
                "problems": self.problems, "highs": self.highs, "pending": self.pending,
                "first": self.first, "done_reversals": self.done_reversals}

    def shape(self, product_id: int, currency: str) -> _Shape | None:
        key = (product_id, currency)
        if key not in self.shapes:
            terms = self.terms.get(product_id)
            self.shapes[key] = _Shape(terms, product_id, currency, self.ids_by_code) \
                if terms is not None and terms.users else None
        return self.shapes[key]


class _OutOfOrder(Exception):
    """The id order left the sequence order: walk again in sequence order."""


def run_verification() -> Verification:
    """Recompute the whole chain and every balance: every problem found, and the number of
    transactions walked.

    Checks: sequences run 1..n without gaps; each prev_hash is the previous hash and each hash
    matches the transaction's content; every transaction balances per currency and its entries
    use their account's currency; no creator's payable balance is ever negative; each sale's
    royalty is its net sales x its product's rate (half-even) split by the product's shares,
    and its entries say exactly that; each payout's entries match it; each reversal is the
    exact opposite of the transaction it reverses; every kept balance is the sum of its
    account's entries; per currency, creators' balances equal royalties minus payouts; no sale
    or payout lacks its transaction."""
    with _snapshot() as connection:
        accounts, problems = _load_accounts(connection)
        terms = _load_terms(connection)
        reversed_ids = set(connection.execute(text(
            "SELECT reverses_id FROM ledger_transactions WHERE reverses_id IS NOT NULL"))
            .scalars())
        chain = _walk_in_parts(connection, accounts, terms, reversed_ids)
        if chain is None:  # one process, or the parts did not vouch for a sound ledger
            chain = _Chain(accounts, terms, reversed_ids)
            try:
                _walk(chain, _stream(connection, "by_id"), "by_id")
            except _OutOfOrder:
                chain = _Chain(accounts, terms, reversed_ids)
                _walk(chain, _stream(connection, "by_sequence"), "by_sequence")
        problems.extend(chain.problems)
        problems.extend(_after_the_walk(chain, connection))
    return Verification(problems, chain.count)


def _processes() -> int:
    try:
        return max(1, int(current_app.config.get("LEDGER_VERIFY_PROCESSES", 2)))
    except (RuntimeError, TypeError, ValueError):
        return 1


def _walk_in_parts(connection: Any, accounts: dict[int, _Account], terms: dict[int, _Terms],
                   reversed_ids: set[int]) -> _Chain | None:
    """PostgreSQL, from PARALLEL_FROM transactions: the chain walked in two processes, the
    later half of the ids in a forked child reading the same exported snapshot on a
    connection of its own. Only a sound result is used: the halves must meet (the child's
    first sequence and prev_hash follow the parent's last), no balance may go negative once
    the first half's sums are added to the second half's highest, and the second half's
    reversals of first-half transactions must check out. Anything else (a problem in either
    half, a sequence out of place, a child that failed) returns None and the caller walks the
    whole chain again in one process, so every problem is named in the chain's order."""
    if db.session.get_bind().dialect.name != "postgresql" or _processes() < 2:
        return None
    low, high = connection.execute(text(
        "SELECT min(id), max(id) FROM ledger_transactions")).one()
    if low is None or high - low + 1 < PARALLEL_FROM:
        return None
    split = (low + high) // 2 + 1
    snapshot = connection.execute(text("SELECT pg_export_snapshot()")).scalar_one()
    url = db.engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
    reader, writer = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: walk [split, end) and send the summary
        os.close(reader)
        _child_walk(writer, url, snapshot, split, accounts, terms, reversed_ids)
    os.close(writer)
    received = None
    with os.fdopen(reader, "rb") as pipe:
        try:
            chain: _Chain | None = _Chain(accounts, terms, reversed_ids)
            try:
                _walk(chain, _stream(connection, "by_id", (0, split)), "by_id")
            except _OutOfOrder:
                chain = None
            if chain is not None and not chain.problems:
                received = pipe.read()
        finally:
            if received is None:  # not needed (or this half failed): it holds nothing to
                os.kill(pid, signal.SIGKILL)  # clean up
            os.waitpid(pid, 0)
    if chain is None or not received:
        return None
    part = pickle.loads(received)
    return chain if part is not None and _join(chain, part) else None


def _child_walk(writer: int, url: str, snapshot: str, split: int,
                accounts: dict[int, _Account], terms: dict[int, _Terms],
                reversed_ids: set[int]) -> None:
    """In the forked child: never returns. Sends the pickled summary of [split, end), or None
    when that part is out of order or anything failed."""
    import psycopg
    from psycopg import sql

    summary = None
    try:
        with psycopg.connect(url) as driver:
            driver.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
            driver.read_only = True
            driver.execute(sql.SQL("SET TRANSACTION SNAPSHOT {}").format(sql.Literal(snapshot)))
            driver.execute("SET LOCAL jit = off")
            driver.execute("SET LOCAL TimeZone = 'UTC'")
            chain = _Chain(accounts, terms, reversed_ids)
            chain.part = (split, _NO_END)
            try:
                _walk(chain, _stream(None, "by_id", chain.part, driver=driver), "by_id")
                summary = chain.summary()
            except _OutOfOrder:
                summary = None
        data = pickle.dumps(summary)
    except BaseException:  # noqa: BLE001 (the parent walks again in one process)
        data = pickle.dumps(None)
    try:
        with os.fdopen(writer, "wb") as pipe:
            pipe.write(data)
    finally:
        os._exit(0)


def _join(chain: _Chain, part: dict) -> bool:
    """Add the later part to the chain walked up to it; False unless the two together are
    exactly what one walk of a sound ledger finds."""
    if part["problems"]:
        return False
    if part["count"]:
        if part["first"] != chain.last:
            return False
        for account_id, high in part["highs"].items():
            if chain.sums.get(account_id, 0) + high > 0:
                return False
        for tid, sequence, original, account_ids, amounts in part["pending"]:
            _check_reversal(chain, tid, sequence, original, account_ids, amounts)
        if chain.problems or chain.done_reversals & part["done_reversals"]:
            return False
    for account_id, amount in part["sums"].items():
        chain.sums[account_id] += amount
    for currency, amount in part["royalties"].items():
        chain.royalties[currency] += amount
    for currency, amount in part["paid"].items():
        chain.paid[currency] += amount
    chain.sales += part["sales"]
    chain.payouts += part["payouts"]
    chain.count += part["count"]
    return True


def verify_ledger() -> list[Problem]:
    """Every problem run_verification() finds (an empty list: the ledger is sound)."""
    return run_verification().problems


@contextmanager
def _snapshot() -> Iterator[Any]:
    """Where verify reads. PostgreSQL: a connection of its own in a READ ONLY, REPEATABLE READ
    transaction (one snapshot for the stream and every query after it; UTC, so timestamps
    arrive as the hash writes them; no JIT, which costs more than the plain walk it would
    compile). SQLite: the session, as every other read."""
    if db.session.get_bind().dialect.name != "postgresql":
        yield db.session
        return
    with db.engine.connect().execution_options(isolation_level="REPEATABLE READ") as connection:
        with connection.begin():
            connection.execute(text("SET TRANSACTION READ ONLY"))
            connection.execute(text("SET LOCAL jit = off"))
            connection.execute(text("SET LOCAL TimeZone = 'UTC'"))
            yield connection


def _load_accounts(connection: Any) -> tuple[dict[int, _Account], list[Problem]]:
    """Every account by id, and a problem for each whose code does not match what it is."""
    accounts: dict[int, _Account] = {}
    problems: list[Problem] = []
    for row in connection.execute(text(
            "SELECT id, code, kind, currency, user_id FROM ledger_accounts ORDER BY id")):
        account = accounts[row.id] = _Account(*row)
        if account.code != account_code(account.kind, account.currency, account.user_id):
            problems.append(Problem(None, f"account {account.id}: code {account.code!r} does "
                                          f"not match its kind, user and currency"))
    return accounts, problems


def _load_terms(connection: Any) -> dict[int, _Terms]:
    splits: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for product_id, user_id, share in connection.execute(text(
            "SELECT product_id, user_id, share_bps FROM product_splits ORDER BY id")):
        splits[product_id].append((user_id, share))
    return {product_id: _Terms(rate, splits[product_id]) for product_id, rate in
            connection.execute(text("SELECT id, royalty_rate_bps FROM products"))}


def _stream(connection: Any, order: str, span: tuple[int, int] = (0, _NO_END),
            driver: Any = None) -> Generator[tuple, None, None]:
    """The chain, row by row (by_id: the transactions with ids in `span`). PostgreSQL:
    psycopg's stream() in binary on verify's own connection (or `driver`, a plain psycopg
    connection), so the server sends rows while Python checks the ones before (no round trip
    per chunk, nothing held in memory)."""
    if driver is not None or db.session.get_bind().dialect.name == "postgresql":
        driver = driver or connection.connection.driver_connection
        params = {"low": span[0], "high": span[1]} if order == "by_id" else None
        with driver.cursor(binary=True) as cursor:
            yield from cursor.stream(CHAIN_SQL[("postgresql", order)], params,
                                     size=VERIFY_CHUNK)
        return
    import json

    statement = text(CHAIN_SQL[("sqlite", order)]).columns(
        *(db.column(name, UTCDateTime() if name == "created_at" else None)
          for name in _COLUMNS))
    for row in connection.execute(statement, execution_options={"yield_per": VERIFY_CHUNK}):
        accounts, amounts, currencies = (json.loads(value) if value else None
                                         for value in row[9:12])
        if accounts == []:
            accounts = amounts = currencies = None
        yield (*row[:9], accounts, amounts, currencies, *row[12:])


def _start(chain: _Chain, rows: Iterator[tuple]) -> tuple[Iterator[tuple], int, str]:
    """Where the walk begins: the whole chain at sequence 1 after the genesis hash; a part
    where its first row says (the parent checks that against the part before)."""
    if chain.part is None:
        return rows, 1, GENESIS_HASH
    rows = iter(rows)
    first = next(rows, None)
    if first is None:
        return iter(()), 1, GENESIS_HASH
    chain.first = (first[1], first[7])
    return itertools.chain([first], rows), first[1], first[7]


def _walk(chain: _Chain, rows: Generator[tuple, None, None], order: str) -> None:
    """Check each row of the chain in turn, then close the stream (a walk given up half-way,
    out of order, must not leave its query running on the connection the next walk uses)."""
    try:
        _walk_rows(chain, rows, order)
    finally:
        rows.close()


def _walk_rows(chain: _Chain, rows: Iterator[tuple], order: str) -> None:
    rows, expected_sequence, previous_hash = _start(chain, rows)
    last_moment, stamp = None, ""
    sums, payable_ids, reversed_ids = chain.sums, chain.payable_ids, chain.reversed_ids
    shapes, sha256, royalties = chain.shapes, hashlib.sha256, chain.royalties
    count = fast_sales = 0
    for row in rows:
        (tid, sequence, kind, memo, reverses_id, created_by_id, created_at, prev_hash,
         stored_hash, account_ids, amounts, currencies, sale_id, ref, product_id, period, units,
         net, currency, rate, royalty, payout_id) = row[:22]
        count += 1
        if sequence != expected_sequence or prev_hash != previous_hash:
            if order == "by_id" and sequence != expected_sequence:
                raise _OutOfOrder
            _slow_row(chain, row, expected_sequence, previous_hash)
            expected_sequence, previous_hash = sequence + 1, stored_hash
            continue
        expected_sequence, previous_hash = sequence + 1, stored_hash
        if kind == "sale" and sale_id is not None and payout_id is None and reverses_id is None:
            # The fast path: a sale whose entries are what posting writes for it.
            if account_ids is None:  # no entries (a royalty of zero)
                account_ids, amounts, currencies = [], [], []
            shape = shapes.get((product_id, currency)) or chain.shape(product_id, currency)
            if shape is not None and shape.account_ids is not None and \
                    rate == shape.terms.rate and royalty == royalty_of_checked(net, rate):
                expected = [royalty, -royalty] if shape.single else \
                    [royalty] + [-part for part in shape.terms.parts(royalty)]
                if created_at != last_moment:
                    last_moment, stamp = created_at, _iso_fast(created_at)
                if 0 in expected:
                    posted = ([account_id for account_id, amount
                               in zip(shape.account_ids, expected) if amount],
                              [amount for amount in expected if amount])
                else:
                    posted = (shape.account_ids, expected)
                if account_ids == posted[0] and amounts == posted[1] and \
                        currencies.count(currency) == len(currencies) and \
                        sha256(shape.canonical.render(
                            sequence, memo, created_by_id, stamp, prev_hash, expected, ref,
                            period, units, net, royalty)).hexdigest() == stored_hash:
                    for account_id, amount in zip(account_ids, amounts):
                        sums[account_id] += amount
                    if royalty < 0:  # a return: the creators' balances go down
                        for account_id in account_ids:
                            if account_id in payable_ids:
                                chain.check_balance(tid, sequence, account_id)
                    fast_sales += 1
                    if tid in reversed_ids:
                        chain.kept[tid] = sorted(zip(account_ids, amounts))
                    else:
                        royalties[currency] += royalty
                    continue
        _slow_row(chain, row, None, None)
    chain.count += count
    chain.sales += fast_sales
    chain.last = (expected_sequence, previous_hash)


def _slow_row(chain: _Chain, row: tuple, expected_sequence: int | None,
              previous_hash: str | None) -> None:
    """Check one transaction the exact way (anything the fast path did not vouch for)."""
    (tid, sequence, kind, memo, reverses_id, created_by_id, created_at, prev_hash,
     stored_hash, account_ids, amounts, currencies, sale_id) = row[:13]
    account_ids, amounts, currencies = account_ids or [], amounts or [], currencies or []
    codes = chain.codes
    entries = [(codes.get(account_id) or f"?{account_id}", currency, amount)
               for account_id, amount, currency in zip(account_ids, amounts, currencies)]
    sale = tuple(row[13:21]) if sale_id is not None else None
    payout = tuple(row[22:26]) if row[21] is not None else None
    if expected_sequence is not None or hash_fast(
            sequence, kind, memo, reverses_id, created_by_id, created_at, prev_hash, entries,
            sale=sale, payout=payout) != stored_hash:
        _chain_problems(chain, row, expected_sequence, previous_hash, entries, sale, payout)
    _entries_problems(chain, tid, sequence, account_ids, amounts, currencies)
    for account_id, amount in zip(account_ids, amounts):
        chain.sums[account_id] += amount
        if account_id in chain.payable_ids and amount > 0:
            chain.check_balance(tid, sequence, account_id)
        elif account_id not in codes:
            _problem(chain, tid, sequence, f"an entry posts to a missing account {account_id}")
    reversed_ = tid in chain.reversed_ids
    if reversed_:
        chain.kept[tid] = sorted(zip(account_ids, amounts))
    if sale_id is not None:
        chain.sales += 1
        if not reversed_:
            chain.royalties[row[18]] += row[20]
    if row[21] is not None:
        chain.payouts += 1
        if not reversed_:
            chain.paid[row[25]] += row[24]
    if kind == "sale":
        _check_sale(chain, tid, sequence, row, entries)
    elif kind == "payout":
        _check_payout(chain, tid, sequence, row, entries)
    elif kind == "reversal":
        _check_reversal(chain, tid, sequence, reverses_id, account_ids, amounts)
    if kind != "sale" and sale_id is not None:
        _problem(chain, tid, sequence, f"sale {sale_id} points at a {kind} transaction")
    if kind != "payout" and row[21] is not None:
        _problem(chain, tid, sequence, f"payout {row[21]} points at a {kind} transaction")


def _problem(chain: _Chain, tid: int, sequence: int, message: str) -> None:
    chain.problems.append(Problem(tid, f"transaction {tid} (#{sequence}): {message}"))


def _negative(chain: _Chain, tid: int, sequence: int, account_id: int) -> None:
    _problem(chain, tid, sequence, f"the balance of {chain.codes[account_id]} becomes "
                                   f"negative ({-chain.sums[account_id]})")


def _entries_problems(chain: _Chain, tid: int, sequence: int, account_ids: list[int],
                      amounts: list[int], currencies: list[str]) -> None:
    """Double entry: the entries sum to zero per currency, each in its account's currency."""
    totals: dict[str, int] = defaultdict(int)
    for account_id, amount, currency in zip(account_ids, amounts, currencies):
        totals[currency] += amount
        account_currency = chain.currencies.get(account_id)
        if account_currency is not None and account_currency != currency:
            _problem(chain, tid, sequence, f"an entry is in {currency} but its account "
                                           f"{chain.codes[account_id]} is in {account_currency}")
    for currency, total in sorted(totals.items()):
        if total:
            _problem(chain, tid, sequence, f"entries do not balance in {currency} (sum {total})")


def _chain_problems(chain: _Chain, row: tuple, expected_sequence: int | None,
                    previous_hash: str | None, entries: list[tuple[str, str, int]],
                    sale: tuple | None, payout: tuple | None) -> None:
    """Name what is wrong with this link of the chain (the slow, exact way)."""
    tid, sequence, kind, memo, reverses_id, created_by_id, created_at, prev_hash, stored = row[:9]
    if expected_sequence is not None and sequence != expected_sequence:
        _problem(chain, tid, sequence, f"sequence {sequence} where {expected_sequence} was "
                                       f"expected (a transaction is missing or out of place)")
    if previous_hash is not None and prev_hash != previous_hash:
        _problem(chain, tid, sequence, "prev_hash does not match the previous transaction's "
                                       "hash (the chain is broken)")
    source = None
    if sale is not None:
        source = sale_source(SimpleNamespace(**dict(zip(
            ("external_ref", "product_id", "period", "units", "net_sales_minor", "currency",
             "royalty_rate_bps", "royalty_minor"), sale))))
    elif payout is not None:
        source = payout_source(SimpleNamespace(**dict(zip(
            ("reference", "user_id", "amount_minor", "currency"), payout))))
    recomputed = hashlib.sha256(canonical_transaction(
        sequence=sequence, kind=kind, memo=memo, reverses_id=reverses_id,
        created_by_id=created_by_id, created_at=created_at, prev_hash=prev_hash,
        entries=entries, source=source)).hexdigest()
    if recomputed != stored:
        _problem(chain, tid, sequence, "its hash does not match its content (it or its entries, "
                                       "sale or payout were changed)")


def _by_code(entries: list[tuple[str, str, int]]) -> dict[str, int]:
    totals: dict[str, int] = {}
    for code, _currency, amount in entries:
        totals[code] = totals.get(code, 0) + amount
    return {code: amount for code, amount in totals.items() if amount}


def _check_sale(chain: _Chain, tid: int, sequence: int, row: tuple,
                entries: list[tuple[str, str, int]]) -> None:
    sale_id, ref, product_id = row[12], row[13], row[14]
    if sale_id is None:
        _problem(chain, tid, sequence, "a sale transaction without its sale record")
        return
    net, currency, rate, royalty = row[17], row[18], row[19], row[20]

    def problem(message: str) -> None:
        _problem(chain, tid, sequence, f"sale {sale_id} ({ref}): {message}")

    terms = chain.terms.get(product_id)
    if terms is None:
        problem(f"its product {product_id} is missing")
        return
    if rate != terms.rate:
        problem(f"royalty rate {rate} bps differs from the product's {terms.rate} bps")
    expected_royalty = royalty_minor(net, terms.rate)
    if royalty != expected_royalty:
        problem(f"royalty {money_text(royalty, currency)} should be "
                f"{money_text(expected_royalty, currency)}")
    if not terms.users:
        problem("its product has no split")
        return
    expense = account_code("royalty_expense", currency)
    creators = [account_code("creator_payable", currency, user_id) for user_id in terms.users]
    expected: dict[str, int] = {expense: expected_royalty} if expected_royalty else {}
    for code, part in zip(creators, terms.parts(expected_royalty)):
        if part:
            expected[code] = expected.get(code, 0) - part
    if _by_code(entries) != expected:
        problem("its entries do not match the royalty and the product's split")


def _check_payout(chain: _Chain, tid: int, sequence: int, row: tuple,
                  entries: list[tuple[str, str, int]]) -> None:
    payout_id, _reference, user_id, amount, currency = row[21:26]
    if payout_id is None:
        _problem(chain, tid, sequence, "a payout transaction without its payout record")
        return
    expected = {account_code("creator_payable", currency, user_id): amount,
                account_code("payouts_cash", currency): -amount}
    if _by_code(entries) != expected:
        _problem(chain, tid, sequence, f"entries do not match payout {payout_id} of "
                                       f"{money_text(amount, currency)}")


def _check_reversal(chain: _Chain, tid: int, sequence: int, original: int | None,
                    account_ids: Any, amounts: Any) -> None:
    if original is not None and chain.part and original < chain.part[0] and \
            original not in chain.kept:  # it reverses one in the part before: checked there
        chain.pending.append((tid, sequence, original, list(account_ids or ()),
                              list(amounts or ())))
        return
    if original is None or original not in chain.kept:
        _problem(chain, tid, sequence, "reverses a transaction that does not come before it")
        return
    if original in chain.done_reversals:
        _problem(chain, tid, sequence, f"transaction {original} is reversed more than once")
        return
    chain.done_reversals.add(original)
    opposite = sorted((account_id, -amount) for account_id, amount in chain.kept[original])
    if sorted(zip(account_ids, amounts or ())) != opposite:
        _problem(chain, tid, sequence, f"is not the exact opposite of transaction {original}")


# --------------------------------------------------------------------------- after the walk

def _after_the_walk(chain: _Chain, connection: Any) -> list[Problem]:
    """The kept balances against the walk's sums, the totals per currency, and the sales and
    payouts the walk did not meet (a few small queries in the same snapshot)."""
    problems: list[Problem] = []
    kept = dict(connection.execute(text(
        "SELECT account_id, balance_minor FROM ledger_balances")).tuples().all())
    for account_id in sorted(set(kept) | set(chain.sums)):
        entries, balance = chain.sums.get(account_id, 0), kept.get(account_id)
        if balance is None:
            problems.append(Problem(None, f"account {account_id}: its entries ({entries}) have "
                                          f"no kept balance"))
        elif balance != entries:
            problems.append(Problem(None, f"account {account_id}: its kept balance ({balance}) "
                                          f"is not the sum of its entries ({entries})"))
    payable: dict[str, int] = defaultdict(int)
    for account_id in chain.payable_ids:
        payable[chain.currencies[account_id]] -= chain.sums.get(account_id, 0)
    for currency in sorted(set(payable) | set(chain.royalties) | set(chain.paid)):
        owed, earned, paid = payable[currency], chain.royalties[currency], chain.paid[currency]
        if owed != earned - paid:
            problems.append(Problem(None, f"{currency}: creators' balances {owed} differ from "
                                          f"royalties {earned} minus payouts {paid}"))
    sales, payouts = connection.execute(text(
        "SELECT (SELECT count(*) FROM sales), (SELECT count(*) FROM payouts)")).one()
    if (sales, payouts) != (chain.sales, chain.payouts):
        for what, record_id in connection.execute(text(ORPHANS_SQL)):
            problems.append(Problem(None, f"{what} {record_id}: its transaction is missing"))
    return problems
