"""The royalty ledger (issue 4): double-entry, append-only, hash-chained.

Every table here is append-only: the migration installs database triggers (SQLite and
PostgreSQL) that refuse UPDATE and DELETE, so a correction is always a new, reversing
transaction. Amounts are integer minor units (BigInteger) with an ISO 4217 currency; an
entry's amount is positive for a debit and negative for a credit, and the entries of one
transaction sum to zero per currency.

STORED-DATA CONTRACT: each transaction's `hash` covers LedgerTransaction's sequence, kind, memo,
reverses_id, created_by_id, created_at and prev_hash; its entries' account code, currency and
amount_minor; and its Sale's (external_ref, product_id, period, units, net_sales_minor, currency,
royalty_rate_bps, royalty_minor) or Payout's (reference, user_id, amount_minor, currency) fields,
serialised by app.services.ledger.chain.canonical_transaction. Renaming, retyping or reformatting
any of these (or the account code format) breaks every stored hash: never without a
chain-version migration.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.base import UTCDateTime, utcnow
from app.models.products import Product
from app.models.users import User

__all__ = ["LedgerAccount", "LedgerBalance", "LedgerTransaction", "LedgerEntry", "Sale", "Payout"]

#: royalty_expense:<currency> (debited by sales), creator_payable:<user_id>:<currency> (what the
#: company owes a creator; credited by sales, debited by payouts), payouts_cash:<currency>
#: (credited when money leaves the company).
ACCOUNT_KINDS = ("royalty_expense", "creator_payable", "payouts_cash")
TRANSACTION_KINDS = ("sale", "payout", "reversal")
#: The tables whose rows the database refuses to update or delete.
APPEND_ONLY_TABLES = ("ledger_accounts", "ledger_transactions", "ledger_entries", "sales",
                      "payouts")
#: prev_hash of the first transaction.
GENESIS_HASH = "0" * 64


class LedgerAccount(db.Model):
    __tablename__ = "ledger_accounts"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(80), unique=True)  # hashed into entries (contract)
    kind: Mapped[str] = mapped_column(String(24))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    currency: Mapped[str] = mapped_column(String(3))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    user: Mapped[User | None] = relationship()

    __table_args__ = (
        CheckConstraint("kind IN ('royalty_expense', 'creator_payable', 'payouts_cash')",
                        name="kind_valid"),
    )


class LedgerBalance(db.Model):
    """An account's balance: the sum of its entries' amount_minor, kept (not summed per read).

    Posting adds each transaction's amounts here in the same database transaction as its
    entries (app.services.ledger.posting.add_to_balances: one statement per transaction or
    batch), so balances, payout and return checks, statements and the finance overview read
    one row per account. It is derived, not ledger data: not hashed, not append-only, and
    verify_ledger recomputes it from the entries and names every account where they differ.
    An account without entries has no row (balance 0)."""

    __tablename__ = "ledger_balances"

    account_id: Mapped[int] = mapped_column(ForeignKey("ledger_accounts.id"), primary_key=True,
                                            autoincrement=False)
    balance_minor: Mapped[int] = mapped_column(BigInteger, default=0)  # + debit, - credit


class LedgerTransaction(db.Model):
    """One balanced posting. `sequence` orders the hash chain and is unique, so two appends
    can never claim the same place (and no two hashes are equal: each covers its sequence);
    `hash` covers this transaction's content, its entries, its
    sale or payout and `prev_hash` (STORED-DATA CONTRACT: see the module docstring)."""

    __tablename__ = "ledger_transactions"

    id: Mapped[int] = mapped_column(primary_key=True)
    sequence: Mapped[int] = mapped_column(Integer, unique=True)
    kind: Mapped[str] = mapped_column(String(16))
    memo: Mapped[str] = mapped_column(String(300), default="")
    reverses_id: Mapped[int | None] = mapped_column(ForeignKey("ledger_transactions.id"),
                                                    unique=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))  # unique through sequence (0015)

    entries: Mapped[list[LedgerEntry]] = relationship(order_by="LedgerEntry.id",
                                                      back_populates="transaction")
    created_by: Mapped[User | None] = relationship()

    __table_args__ = (
        CheckConstraint("kind IN ('sale', 'payout', 'reversal')", name="kind_valid"),
        CheckConstraint("sequence > 0", name="sequence_positive"),
    )


class LedgerEntry(db.Model):
    __tablename__ = "ledger_entries"

    id: Mapped[int] = mapped_column(primary_key=True)
    transaction_id: Mapped[int] = mapped_column(ForeignKey("ledger_transactions.id"), index=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("ledger_accounts.id"))
    amount_minor: Mapped[int] = mapped_column(BigInteger)  # + debit, - credit
    currency: Mapped[str] = mapped_column(String(3))

    transaction: Mapped[LedgerTransaction] = relationship(back_populates="entries")
    account: Mapped[LedgerAccount] = relationship()


class Sale(db.Model):
    """Net sales of a product in a period, and the royalty it earned (frozen at posting).
    Its fields but id, transaction_id, recorded_by_id and created_at are hashed into its
    transaction (STORED-DATA CONTRACT)."""

    __tablename__ = "sales"

    id: Mapped[int] = mapped_column(primary_key=True)
    external_ref: Mapped[str] = mapped_column(String(100), unique=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"))
    period: Mapped[str] = mapped_column(String(7))  # YYYY-MM
    units: Mapped[int] = mapped_column(Integer)
    net_sales_minor: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    royalty_rate_bps: Mapped[int] = mapped_column(Integer)
    royalty_minor: Mapped[int] = mapped_column(BigInteger)
    transaction_id: Mapped[int] = mapped_column(ForeignKey("ledger_transactions.id"), unique=True)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    product: Mapped[Product] = relationship()
    transaction: Mapped[LedgerTransaction] = relationship()
    recorded_by: Mapped[User | None] = relationship()

    __table_args__ = (Index("ix_sales_product_id_period", "product_id", "period"),)


class Payout(db.Model):
    """Money paid to a creator; never more than their payable balance in that currency.
    reference, user_id, amount_minor and currency are hashed into its transaction
    (STORED-DATA CONTRACT)."""

    __tablename__ = "payouts"

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(100), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    transaction_id: Mapped[int] = mapped_column(ForeignKey("ledger_transactions.id"), unique=True)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    user: Mapped[User] = relationship(foreign_keys=[user_id])
    transaction: Mapped[LedgerTransaction] = relationship()
    recorded_by: Mapped[User | None] = relationship(foreign_keys=[recorded_by_id])

    __table_args__ = (CheckConstraint("amount_minor > 0", name="amount_positive"),)
