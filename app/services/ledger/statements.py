"""What the ledger shows: a creator's statement (page and CSV) and the finance overview."""
from __future__ import annotations

import csv
import io
from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import func, select

from app.extensions import db
from app.models import Product, ProductSplit, User
from app.models.base import utcnow
from app.models.ledger import (LedgerAccount, LedgerBalance, LedgerEntry, LedgerTransaction,
                               Payout, Sale)
from app.money import format_amount
from app.services.ledger.posting import balances_of

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


def ledger_totals() -> dict[str, dict[str, int]]:
    """{currency: {royalties, paid_out, outstanding}} over the whole ledger (kept balances)."""
    rows = db.session.execute(
        select(LedgerAccount.currency, LedgerAccount.kind, func.sum(LedgerBalance.balance_minor))
        .join(LedgerBalance, LedgerBalance.account_id == LedgerAccount.id)
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
                select(LedgerAccount.user_id, LedgerAccount.currency, LedgerBalance.balance_minor)
                .join(LedgerBalance, LedgerBalance.account_id == LedgerAccount.id)
                .where(LedgerAccount.kind == "creator_payable",
                       LedgerAccount.user_id.in_([user.id for user in users]))):
            balances[user_id][currency] = -int(total or 0)
    return [(user, dict(sorted(balances[user.id].items()))) for user in users]
