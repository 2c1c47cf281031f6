"""Appending to the ledger: the writer's lock, accounts, balances and the balanced posting."""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence

from sqlalchemy import func, select, text

from app.extensions import db
from app.models import User
from app.models.base import utcnow
from app.models.ledger import (GENESIS_HASH, LedgerAccount, LedgerBalance, LedgerEntry,
                               LedgerTransaction)
from app.services.ledger.chain import account_code, transaction_hash
from app.services.ledger.validation import MEMO_MAX

#: Key of the PostgreSQL advisory lock that serialises appends to the ledger.
LEDGER_LOCK_KEY = 0x4B594C47  # "KYLG"


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
    """What the company owes this creator in this currency (credits are negative entries),
    read from the kept balance (ledger_balances)."""
    total = db.session.scalar(
        select(LedgerBalance.balance_minor)
        .join(LedgerAccount, LedgerAccount.id == LedgerBalance.account_id)
        .where(LedgerAccount.code == account_code("creator_payable", currency, user_id)))
    return -int(total or 0)


def balances_of(user_id: int) -> dict[str, int]:
    """The creator's payable balance per currency (currencies they were ever credited in)."""
    rows = db.session.execute(
        select(LedgerAccount.currency, func.coalesce(LedgerBalance.balance_minor, 0))
        .select_from(LedgerAccount)
        .outerjoin(LedgerBalance, LedgerBalance.account_id == LedgerAccount.id)
        .where(LedgerAccount.kind == "creator_payable", LedgerAccount.user_id == user_id)
        .order_by(LedgerAccount.currency))
    return {currency: -int(total) for currency, total in rows}


#: Adds a set of (account, amount) changes to the kept balances in one statement.
_ADD_TO_BALANCES = {
    "postgresql": text(
        "INSERT INTO ledger_balances (account_id, balance_minor) "
        "SELECT * FROM unnest(CAST(string_to_array(:ids, ',') AS integer[]), "
        "CAST(string_to_array(:amounts, ',') AS bigint[])) "
        "ON CONFLICT (account_id) DO UPDATE "
        "SET balance_minor = ledger_balances.balance_minor + excluded.balance_minor"),
    "sqlite": text(
        "INSERT INTO ledger_balances (account_id, balance_minor) VALUES (:id, :amount) "
        "ON CONFLICT (account_id) DO UPDATE "
        "SET balance_minor = balance_minor + excluded.balance_minor"),
}


def add_to_balances(changes: Iterable[tuple[int, int]]) -> None:
    """Add the amounts of entries being written, (account id, amount_minor) each, to the kept
    balances in one statement; every account touched gets its row. The caller holds the ledger
    lock and writes those entries in the same database transaction."""
    totals: dict[int, int] = defaultdict(int)
    for account_id, amount in changes:
        totals[account_id] += amount
    if not totals:
        return
    ids: Sequence[int] = sorted(totals)
    if db.session.get_bind().dialect.name == "postgresql":
        # Two texts the server splits: cheaper to send than two Python lists as arrays.
        db.session.execute(_ADD_TO_BALANCES["postgresql"], {
            "ids": ",".join(map(str, ids)), "amounts": ",".join(str(totals[i]) for i in ids)})
    else:
        db.session.execute(_ADD_TO_BALANCES["sqlite"],
                           [{"id": i, "amount": totals[i]} for i in ids])


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
    add_to_balances((account.id, amount) for account, amount in lines)
    return transaction
