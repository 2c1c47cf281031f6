"""Proof that the ledger was not tampered with: recompute the chain and every balance."""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.extensions import db
from app.models import Product
from app.models.ledger import GENESIS_HASH, LedgerAccount, LedgerEntry, LedgerTransaction, Payout, Sale
from app.money import royalty_minor, split_largest_remainder
from app.services.ledger.chain import account_code, payout_source, sale_source, transaction_hash
from app.services.ledger.posting import unbalanced_currencies
from app.services.ledger.validation import money_text

@dataclass(frozen=True)
class Problem:
    transaction_id: int | None
    message: str

    def __str__(self) -> str:
        return self.message

    def as_dict(self) -> dict:
        return {"transaction_id": self.transaction_id, "message": self.message}


VERIFY_CHUNK = 1000


@dataclass
class _Walk:
    """What verify_ledger carries from one transaction to the next, in sequence order."""

    accounts: dict[int, LedgerAccount]
    products: dict[int, Product]
    running: dict[int, int] = field(default_factory=lambda: defaultdict(int))  # account -> balance
    entries_of: dict[int, list[tuple[int, int]]] = field(default_factory=dict)  # tx -> lines
    reversed_ids: set[int] = field(default_factory=set)
    royalties: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    paid: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    #: transaction id -> ("sale"/"payout", currency, amount): what a reversal of it undoes.
    effect: dict[int, tuple[str, str, int]] = field(default_factory=dict)


def verify_ledger() -> list[Problem]:
    """Recompute the whole chain and every balance; return every problem found (none = sound).

    Checks: sequences run 1..n without gaps; each prev_hash is the previous hash and each hash
    matches the transaction's content; every transaction balances per currency and its entries
    use their account's currency; no creator's payable balance is ever negative; each sale's
    royalty is its net sales x its product's rate (half-even) split by the product's shares,
    and its entries say exactly that; each payout's entries match it; each reversal is the
    exact opposite of the transaction it reverses; per currency, creators' balances equal
    royalties minus payouts."""
    products = {product.id: product for product in db.session.scalars(
        select(Product).options(selectinload(Product.splits))
        .execution_options(populate_existing=True))}
    accounts, problems = _load_accounts()
    walk = _Walk(accounts=accounts, products=products)
    previous_hash = GENESIS_HASH
    expected_sequence = 1
    last_sequence = 0
    while chunk := _transactions_after(last_sequence):
        ids = [transaction.id for transaction in chunk]
        sales = {sale.transaction_id: sale for sale in db.session.scalars(
            select(Sale).where(Sale.transaction_id.in_(ids))
            .execution_options(populate_existing=True))}
        payouts = {payout.transaction_id: payout for payout in db.session.scalars(
            select(Payout).where(Payout.transaction_id.in_(ids))
            .execution_options(populate_existing=True))}
        for transaction in chunk:
            last_sequence = transaction.sequence
            problems.extend(_verify_transaction(
                transaction, expected_sequence, previous_hash, walk,
                sales.get(transaction.id), payouts.get(transaction.id)))
            expected_sequence = transaction.sequence + 1
            previous_hash = transaction.hash

    orphan_sales = db.session.scalars(select(Sale.id).where(
        Sale.transaction_id.not_in(select(LedgerTransaction.id)))).all()
    for sale_id in orphan_sales:
        problems.append(Problem(None, f"sale {sale_id}: its transaction is missing"))
    problems.extend(_totals_problems(walk))
    return problems


def _load_accounts() -> tuple[dict[int, LedgerAccount], list[Problem]]:
    """Every account by id, and a problem for each whose code does not match what it is."""
    accounts: dict[int, LedgerAccount] = {}
    problems: list[Problem] = []
    for account in db.session.scalars(select(LedgerAccount)
                                      .execution_options(populate_existing=True)):
        accounts[account.id] = account
        if account.code != account_code(account.kind, account.currency, account.user_id):
            problems.append(Problem(None, f"account {account.id}: code {account.code!r} does "
                                          f"not match its kind, user and currency"))
    return accounts, problems


def _transactions_after(sequence: int) -> list[LedgerTransaction]:
    """The next VERIFY_CHUNK transactions of the chain, with their entries."""
    return list(db.session.scalars(
        select(LedgerTransaction).where(LedgerTransaction.sequence > sequence)
        .order_by(LedgerTransaction.sequence).limit(VERIFY_CHUNK)
        .options(selectinload(LedgerTransaction.entries))
        .execution_options(populate_existing=True)))


def _totals_problems(walk: _Walk) -> list[Problem]:
    """Per currency, creators' balances must equal royalties minus payouts."""
    problems: list[Problem] = []
    payables: dict[str, int] = defaultdict(int)
    for account_id, balance in walk.running.items():
        account = walk.accounts.get(account_id)
        if account is not None and account.kind == "creator_payable":
            payables[account.currency] += -balance
    royalties, paid = walk.royalties, walk.paid
    for currency in sorted(set(payables) | set(royalties) | set(paid)):
        if payables[currency] != royalties[currency] - paid[currency]:
            problems.append(Problem(None, (
                f"{currency}: creators' balances {payables[currency]} differ from royalties "
                f"{royalties[currency]} minus payouts {paid[currency]}")))
    return problems


Lines = list[tuple[LedgerAccount | None, LedgerEntry]]
Report = Callable[[str], None]


def _verify_transaction(transaction: LedgerTransaction, expected_sequence: int,
                        previous_hash: str, walk: _Walk, sale: Sale | None,
                        payout: Payout | None) -> list[Problem]:
    found: list[Problem] = []

    def problem(message: str) -> None:
        found.append(Problem(transaction.id, f"transaction {transaction.id} (#{transaction.sequence}"
                                             f"): {message}"))

    lines: Lines = [(walk.accounts.get(entry.account_id), entry) for entry in transaction.entries]
    _check_chain(transaction, expected_sequence, previous_hash, lines, sale, payout, problem)
    _run_balances(transaction, lines, walk, problem)

    by_code: dict[str, int] = defaultdict(int)
    for account, entry in lines:
        by_code[account.code if account else "?"] += entry.amount_minor

    if transaction.kind == "sale":
        found.extend(_apply_sale(transaction, sale, walk, dict(by_code), problem))
    elif transaction.kind == "payout":
        _apply_payout(transaction, payout, walk, dict(by_code), problem)
    elif transaction.kind == "reversal":
        _apply_reversal(transaction, walk, problem)
    if transaction.kind != "sale" and sale is not None:
        problem(f"sale {sale.id} points at a {transaction.kind} transaction")
    if transaction.kind != "payout" and payout is not None:
        problem(f"payout {payout.id} points at a {transaction.kind} transaction")
    return found


def _check_chain(transaction: LedgerTransaction, expected_sequence: int, previous_hash: str,
                 lines: Lines, sale: Sale | None, payout: Payout | None, problem: Report) -> None:
    """Its place in the chain, its hash, its entries' accounts and currencies, its balance."""
    if transaction.sequence != expected_sequence:
        problem(f"sequence {transaction.sequence} where {expected_sequence} was expected "
                f"(a transaction is missing or out of place)")
    if transaction.prev_hash != previous_hash:
        problem("prev_hash does not match the previous transaction's hash (the chain is broken)")
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


def _run_balances(transaction: LedgerTransaction, lines: Lines, walk: _Walk,
                  problem: Report) -> None:
    """Apply the entries to the running balances; no creator's balance may go below zero."""
    walk.entries_of[transaction.id] = [(entry.account_id, entry.amount_minor) for _, entry in lines]
    for account, entry in lines:
        walk.running[entry.account_id] += entry.amount_minor
        if account is not None and account.kind == "creator_payable" \
                and walk.running[entry.account_id] > 0:
            problem(f"the balance of {account.code} becomes negative "
                    f"({-walk.running[entry.account_id]})")


def _apply_sale(transaction: LedgerTransaction, sale: Sale | None, walk: _Walk,
                by_code: dict[str, int], problem: Report) -> list[Problem]:
    if sale is None:
        problem("a sale transaction without its sale record")
        return []
    walk.royalties[sale.currency] += sale.royalty_minor
    walk.effect[transaction.id] = ("sale", sale.currency, sale.royalty_minor)
    return _verify_sale(transaction, sale, walk.products, by_code)


def _apply_payout(transaction: LedgerTransaction, payout: Payout | None, walk: _Walk,
                  by_code: dict[str, int], problem: Report) -> None:
    if payout is None:
        problem("a payout transaction without its payout record")
        return
    expected = {account_code("creator_payable", payout.currency, payout.user_id):
                payout.amount_minor,
                account_code("payouts_cash", payout.currency): -payout.amount_minor}
    if by_code != expected:
        problem(f"entries do not match payout {payout.id} of "
                f"{money_text(payout.amount_minor, payout.currency)}")
    walk.paid[payout.currency] += payout.amount_minor
    walk.effect[transaction.id] = ("payout", payout.currency, payout.amount_minor)


def _apply_reversal(transaction: LedgerTransaction, walk: _Walk, problem: Report) -> None:
    original = transaction.reverses_id
    if original is None or original not in walk.entries_of:
        problem("reverses a transaction that does not come before it")
        return
    if original in walk.reversed_ids:
        problem(f"transaction {original} is reversed more than once")
        return
    walk.reversed_ids.add(original)
    expected_lines = sorted((account_id, -amount)
                            for account_id, amount in walk.entries_of[original])
    if sorted(walk.entries_of[transaction.id]) != expected_lines:
        problem(f"is not the exact opposite of transaction {original}")
    kind, currency, amount = walk.effect.get(original, ("", "", 0))
    if kind == "sale":
        walk.royalties[currency] -= amount
    elif kind == "payout":
        walk.paid[currency] -= amount


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
