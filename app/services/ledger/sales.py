"""Sales and returns: a product's net sales for a period, and the creators' royalty."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from app import permissions
from app.errors import Conflict, Invalid
from app.extensions import db
from app.i18n import _
from app.models import Product, User
from app.models.ledger import LedgerAccount, LedgerEntry, Sale
from app.money import royalty_minor, split_largest_remainder
from app import notification_kinds as kinds
from app.services import events
from app.services.ledger.chain import sale_source
from app.services.ledger.posting import _account, _post, lock_ledger, payable_balance
from app.services.ledger.validation import (_raise_if, check_amount, check_currency, check_period,
                                            check_reference, check_units, is_id, is_int)

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
    permissions.require(actor, "record_sale", product)  # never the sales of one's own idea
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
        figures = kinds.moneys(amounts)
        if product_name:
            events.notify([users[user_id]], "royalty_statement_product",
                          {"figures": figures, "product": product_name,
                           "period": kinds.month(period) if period else ""}, url=url)
        else:
            events.notify([users[user_id]], "royalty_statement", {"figures": figures}, url=url)
