"""Proof that the ledger was not tampered with: recompute the chain and every balance.

Two halves, both over the whole ledger:

- the chain, streamed in sequence order through a server-side cursor (one row per transaction
  with its entries, sale and payout), checked in Python: sequence, prev_hash and hash (written
  by canonical_fast, confirmed by canonical_transaction before a mismatch is reported); running
  balances (no creator below zero); each sale's royalty and split, each payout's entries, each
  reversal against what it reverses. Memory stays flat: only the few reversed transactions'
  entries are kept;
- set-based SQL for what does not need the order: every transaction balances per currency,
  entries are in their account's currency, sales have their transaction, and per currency the
  creators' balances equal royalties minus payouts (net of reversals).
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

from sqlalchemy import Integer, String, select, text
from sqlalchemy.orm import selectinload

from app.extensions import db
from app.models import Product
from app.models.base import UTCDateTime
from app.models.ledger import GENESIS_HASH, LedgerAccount, LedgerTransaction
from app.money import BPS_WHOLE, royalty_minor
from app.services.ledger.chain import (account_code, canonical_transaction, hash_fast,
                                       payout_source, sale_source)
from app.services.ledger.validation import money_text


@dataclass(frozen=True)
class Problem:
    transaction_id: int | None
    message: str

    def __str__(self) -> str:
        return self.message

    def as_dict(self) -> dict:
        return {"transaction_id": self.transaction_id, "message": self.message}


#: Rows fetched per round trip of the server-side cursor.
VERIFY_CHUNK = 5000

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
#: the arrays are aligned), its sale and its payout; the unique index on sequence gives the
#: order without sorting the ledger.
CHAIN_SQL = {
    "postgresql": f"""
        SELECT {_TX}, e.accounts, e.amounts, e.currencies, {_SALE_AND_PAYOUT}
        FROM ledger_transactions t
        LEFT JOIN LATERAL (
            SELECT array_agg(account_id) AS accounts, array_agg(amount_minor) AS amounts,
                   array_agg(currency) AS currencies
            FROM ledger_entries WHERE transaction_id = t.id) e ON true
        {_JOINS}
        ORDER BY t.sequence""",
    "sqlite": f"""
        SELECT {_TX},
            (SELECT json_group_array(account_id) FROM ledger_entries WHERE transaction_id = t.id),
            (SELECT json_group_array(amount_minor) FROM ledger_entries
             WHERE transaction_id = t.id),
            (SELECT json_group_array(currency) FROM ledger_entries WHERE transaction_id = t.id),
            {_SALE_AND_PAYOUT}
        FROM ledger_transactions t {_JOINS}
        ORDER BY t.sequence""",
}


class _Account:
    __slots__ = ("id", "code", "kind", "currency", "user_id")

    def __init__(self, id: int, code: str, kind: str, currency: str, user_id: int | None):
        self.id, self.code, self.kind, self.currency, self.user_id = (
            id, code, kind, currency, user_id)


class _Terms:
    """A product's rate and split, with the split's arithmetic prepared once."""

    __slots__ = ("rate", "users", "shares")

    def __init__(self, rate: int, splits: list[tuple[int, int]]) -> None:
        self.rate = rate
        self.users = [user_id for user_id, _ in splits]
        self.shares = [share for _, share in splits]

    def parts(self, total: int) -> list[int]:
        """split_largest_remainder(total, shares), without re-validating the shares."""
        magnitude = -total if total < 0 else total
        divided = [divmod(magnitude * share, BPS_WHOLE) for share in self.shares]
        parts = [floor for floor, _ in divided]
        leftover = magnitude - sum(parts)
        if leftover:
            order = sorted(range(len(parts)), key=lambda i: (-divided[i][1], i))
            for index in order[:leftover]:
                parts[index] += 1
        return [-part for part in parts] if total < 0 else parts


class _Chain:
    """What the walk carries from one transaction to the next, in sequence order."""

    def __init__(self, accounts: dict[int, _Account], terms: dict[int, _Terms],
                 reversed_ids: set[int]) -> None:
        self.accounts = accounts
        self.codes = {account.id: account.code for account in accounts.values()}
        self.payable_ids = {account.id for account in accounts.values()
                            if account.kind == "creator_payable"}
        self.terms = terms
        self.reversed_ids = reversed_ids
        self.kept: dict[int, list[tuple[int, int]]] = {}  # entries of reversed transactions
        self.done_reversals: set[int] = set()
        self.running: dict[int, int] = defaultdict(int)  # creator account -> balance
        self.problems: list[Problem] = []
        self.count = 0
        self._sale_codes: dict[tuple[int, str], tuple[str, list[str]]] = {}

    def sale_codes(self, product_id: int, currency: str, terms: _Terms) -> tuple[str, list[str]]:
        """The accounts a sale of this product in this currency posts to (expense, creators)."""
        key = (product_id, currency)
        codes = self._sale_codes.get(key)
        if codes is None:
            codes = self._sale_codes[key] = (
                account_code("royalty_expense", currency),
                [account_code("creator_payable", currency, user_id) for user_id in terms.users])
        return codes


def verify_ledger() -> list[Problem]:
    """Recompute the whole chain and every balance; return every problem found (none = sound).

    Checks: sequences run 1..n without gaps; each prev_hash is the previous hash and each hash
    matches the transaction's content; every transaction balances per currency and its entries
    use their account's currency; no creator's payable balance is ever negative; each sale's
    royalty is its net sales x its product's rate (half-even) split by the product's shares,
    and its entries say exactly that; each payout's entries match it; each reversal is the
    exact opposite of the transaction it reverses; per currency, creators' balances equal
    royalties minus payouts."""
    accounts, problems = _load_accounts()
    chain = _Chain(accounts, _load_terms(), set(db.session.scalars(
        select(LedgerTransaction.reverses_id).where(LedgerTransaction.reverses_id.is_not(None)))))
    _walk(chain)
    problems.extend(chain.problems)
    problems.extend(_set_based_problems())
    return problems


def _load_accounts() -> tuple[dict[int, _Account], list[Problem]]:
    """Every account by id, and a problem for each whose code does not match what it is."""
    accounts: dict[int, _Account] = {}
    problems: list[Problem] = []
    for row in db.session.execute(select(LedgerAccount.id, LedgerAccount.code,
                                         LedgerAccount.kind, LedgerAccount.currency,
                                         LedgerAccount.user_id)):
        account = accounts[row.id] = _Account(*row)
        if account.code != account_code(account.kind, account.currency, account.user_id):
            problems.append(Problem(None, f"account {account.id}: code {account.code!r} does "
                                          f"not match its kind, user and currency"))
    return accounts, problems


def _load_terms() -> dict[int, _Terms]:
    return {product.id: _Terms(product.royalty_rate_bps, [
                (split.user_id, split.share_bps) for split in product.splits])
            for product in db.session.scalars(
                select(Product).options(selectinload(Product.splits))
                .execution_options(populate_existing=True))}


def _stream() -> Iterator[tuple]:
    """The chain, row by row, in this session's transaction. PostgreSQL: psycopg's stream()
    on the session's own connection, so the server sends rows while Python checks the ones
    before (no round trip per chunk, nothing held in memory)."""
    dialect = db.session.get_bind().dialect.name
    if dialect == "postgresql":
        # A plain index-ordered walk: compiling it (JIT) costs more than running it.
        db.session.execute(text("SET LOCAL jit = off"))
        driver = db.session.connection().connection.driver_connection
        with driver.cursor() as cursor:
            yield from cursor.stream(CHAIN_SQL["postgresql"], size=VERIFY_CHUNK)
        return
    import json

    statement = text(CHAIN_SQL["sqlite"]).columns(
        *(db.column(name, UTCDateTime() if name == "created_at" else None)
          for name in _COLUMNS))
    for row in db.session.execute(statement, execution_options={"yield_per": VERIFY_CHUNK}):
        accounts, amounts, currencies = (json.loads(value) if value else None
                                         for value in row[9:12])
        if accounts == []:
            accounts = amounts = currencies = None
        yield (*row[:9], accounts, amounts, currencies, *row[12:])


def _walk(chain: _Chain) -> None:
    expected_sequence, previous_hash = 1, GENESIS_HASH
    codes, payable_ids, running = chain.codes, chain.payable_ids, chain.running
    for row in _stream():
        (tid, sequence, kind, memo, reverses_id, created_by_id, created_at, prev_hash,
         stored_hash, account_ids, amounts, currencies, sale_id, *_) = row
        chain.count += 1
        account_ids = account_ids or ()
        entries = [(codes.get(account_id) or f"?{account_id}", currency, amount)
                   for account_id, amount, currency in zip(account_ids, amounts or (),
                                                           currencies or ())]
        sale = payout = None
        if sale_id is not None:
            sale = (row[13], row[14], row[15], row[16], row[17], row[18], row[19], row[20])
        if row[21] is not None:
            payout = (row[22], row[23], row[24], row[25])
        if sequence != expected_sequence or prev_hash != previous_hash or \
                hash_fast(sequence, kind, memo, reverses_id, created_by_id, created_at,
                          prev_hash, entries, sale=sale, payout=payout) != stored_hash:
            _chain_problems(chain, row, expected_sequence, previous_hash, entries, sale, payout)
        expected_sequence, previous_hash = sequence + 1, stored_hash

        for account_id, amount in zip(account_ids, amounts or ()):
            if account_id in payable_ids:
                running[account_id] += amount
                if running[account_id] > 0:
                    _problem(chain, tid, sequence, f"the balance of {codes[account_id]} becomes "
                                                   f"negative ({-running[account_id]})")
            elif account_id not in codes:
                _problem(chain, tid, sequence, f"an entry posts to a missing account "
                                               f"{account_id}")
        if tid in chain.reversed_ids:
            chain.kept[tid] = sorted(zip(account_ids, amounts or ()))
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


def _chain_problems(chain: _Chain, row: tuple, expected_sequence: int, previous_hash: str,
                    entries: list[tuple[str, str, int]], sale: tuple | None,
                    payout: tuple | None) -> None:
    """Name what is wrong with this link of the chain (the slow, exact way)."""
    tid, sequence, kind, memo, reverses_id, created_by_id, created_at, prev_hash, stored = row[:9]
    if sequence != expected_sequence:
        _problem(chain, tid, sequence, f"sequence {sequence} where {expected_sequence} was "
                                       f"expected (a transaction is missing or out of place)")
    if prev_hash != previous_hash:
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
    import hashlib

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
    expense, creators = chain.sale_codes(product_id, currency, terms)
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


# --------------------------------------------------------------------------- set-based checks

UNBALANCED_SQL = """
    SELECT e.transaction_id, t.sequence, e.currency, SUM(e.amount_minor) AS total
    FROM ledger_entries e JOIN ledger_transactions t ON t.id = e.transaction_id
    GROUP BY e.transaction_id, t.sequence, e.currency
    HAVING SUM(e.amount_minor) <> 0
    ORDER BY t.sequence, e.currency"""
WRONG_CURRENCY_SQL = """
    SELECT e.id, e.transaction_id, t.sequence, e.currency, a.code, a.currency
    FROM ledger_entries e
    JOIN ledger_accounts a ON a.id = e.account_id
    JOIN ledger_transactions t ON t.id = e.transaction_id
    WHERE e.currency <> a.currency
    ORDER BY t.sequence, e.id"""
#: Every account whose kept balance (ledger_balances) is not the sum of its entries, or that has
#: entries and no kept balance: (account id, sum of entries, kept balance, kept rows).
KEPT_BALANCES_SQL = """
    SELECT account_id, SUM(amount) AS entries, SUM(kept) AS kept, SUM(is_kept) AS kept_rows
    FROM (SELECT account_id, amount_minor AS amount, 0 AS kept, 0 AS is_kept
          FROM ledger_entries
          UNION ALL
          SELECT account_id, 0, balance_minor, 1 FROM ledger_balances) AS both_sides
    GROUP BY account_id
    HAVING SUM(amount) <> SUM(kept) OR SUM(is_kept) <> 1
    ORDER BY account_id"""
#: Sales and payouts whose transaction is missing (NOT EXISTS: an anti-join, where NOT IN over
#: a million ids would compare every sale with every transaction).
ORPHANS_SQL = """
    SELECT 'sale', s.id FROM sales s
    WHERE NOT EXISTS (SELECT 1 FROM ledger_transactions t WHERE t.id = s.transaction_id)
    UNION ALL
    SELECT 'payout', p.id FROM payouts p
    WHERE NOT EXISTS (SELECT 1 FROM ledger_transactions t WHERE t.id = p.transaction_id)"""
#: Per currency: what creators are owed (minus their accounts' kept balances, which
#: KEPT_BALANCES_SQL checks against the entries), royalties and payouts (each net of
#: reversals). Each total is one statement, so it reads one snapshot.
TOTALS_SQL = """
    SELECT 'payable' AS what, a.currency, -SUM(b.balance_minor)
    FROM ledger_balances b JOIN ledger_accounts a ON a.id = b.account_id
    WHERE a.kind = 'creator_payable' GROUP BY a.currency
    UNION ALL
    SELECT 'royalty', s.currency, SUM(CASE WHEN r.id IS NULL THEN s.royalty_minor ELSE 0 END)
    FROM sales s LEFT JOIN ledger_transactions r ON r.reverses_id = s.transaction_id
    GROUP BY s.currency
    UNION ALL
    SELECT 'paid', p.currency, SUM(CASE WHEN r.id IS NULL THEN p.amount_minor ELSE 0 END)
    FROM payouts p LEFT JOIN ledger_transactions r ON r.reverses_id = p.transaction_id
    GROUP BY p.currency"""


def _set_based_problems() -> list[Problem]:
    problems: list[Problem] = []
    for tid, sequence, currency, total in db.session.execute(text(UNBALANCED_SQL)):
        problems.append(Problem(tid, f"transaction {tid} (#{sequence}): entries do not balance "
                                     f"in {currency} (sum {total})"))
    for entry_id, tid, sequence, currency, code, account_currency in db.session.execute(
            text(WRONG_CURRENCY_SQL)):
        problems.append(Problem(tid, f"transaction {tid} (#{sequence}): entry {entry_id} is in "
                                     f"{currency} but its account {code} is in "
                                     f"{account_currency}"))
    for what, record_id in db.session.execute(text(ORPHANS_SQL)):
        problems.append(Problem(None, f"{what} {record_id}: its transaction is missing"))
    for account_id, entries, kept, kept_rows in db.session.execute(text(KEPT_BALANCES_SQL)):
        problems.append(Problem(None, (
            f"account {account_id}: its kept balance ({int(kept)}) is not the sum of its "
            f"entries ({int(entries)})") if kept_rows else (
            f"account {account_id}: its entries ({int(entries)}) have no kept balance")))
    totals: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for what, currency, amount in db.session.execute(text(TOTALS_SQL).columns(
            db.column("what", String()), db.column("currency", String()),
            db.column("amount", Integer()))):
        totals[currency][what] += int(amount or 0)
    for currency in sorted(totals):
        figures = totals[currency]
        if figures["payable"] != figures["royalty"] - figures["paid"]:
            problems.append(Problem(None, (
                f"{currency}: creators' balances {figures['payable']} differ from royalties "
                f"{figures['royalty']} minus payouts {figures['paid']}")))
    return problems
