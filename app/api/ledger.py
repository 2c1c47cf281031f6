"""API endpoints: the creator agreement, products, sales, payouts, royalties and verification.

Money is always {"amount": <integer minor units>, "currency": "<ISO 4217>"}; an amount that is
a float (4.5, or even 4.0), a string or a bool is refused with 422."""
from __future__ import annotations

from typing import Any

from flask import url_for
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload, selectinload

from app import permissions
from app.api import bp
from app.api.core import caller, json_body, page_args, paginated, require_caller
from app.api.openapi import SCHEMAS, operation, written
from app.errors import Invalid, NotFound
from app.extensions import db
from app.idempotency import idempotent
from app.models import Agreement, Product, User
from app.models.ledger import LedgerEntry, LedgerTransaction, Payout, Sale
from app.services import agreements as agreement_service
from app.services import ledger as ledger_service
from app.services.ledger.validation import MAX_UNITS, REF_MAX
from app.transaction import transaction


# --- serialisation ------------------------------------------------------------------------------

def money(amount_minor: int, currency: str) -> dict[str, Any]:
    return {"amount": amount_minor, "currency": currency}


def agreement_json(agreement: Agreement) -> dict[str, Any]:
    return {"version": agreement.version, "sha256": agreement.sha256, "text": agreement.text,
            "title": agreement.title, "published_at": agreement.published_at.isoformat()}


def product_json(product: Product) -> dict[str, Any]:
    return {"id": product.id, "idea_id": product.idea_id, "name": product.name,
            "royalty_rate_bps": product.royalty_rate_bps,
            "splits": [{"user_id": split.user_id, "share_bps": split.share_bps}
                       for split in product.splits],
            "created_at": product.created_at.isoformat(), **product_stage_json(product)}


def product_stage_json(product: Product) -> dict[str, Any]:
    """Where the product stands: its stage (the idea's status) and what the stage promises."""
    return {"stage": product.stage,
            "expected_on": product.expected_on.isoformat() if product.expected_on else None,
            "shop_url": product.shop_url,
            "price": ({"amount": product.price_amount, "currency": product.price_currency}
                      if product.price_currency else None),
            "url": f"/products/{product.id}"}


def sale_json(sale: Sale, reversed_: bool = False) -> dict[str, Any]:
    return {"id": sale.id, "product_id": sale.product_id, "period": sale.period,
            "units": sale.units, "net_sales": money(sale.net_sales_minor, sale.currency),
            "external_ref": sale.external_ref, "royalty_rate_bps": sale.royalty_rate_bps,
            "royalty": money(sale.royalty_minor, sale.currency),
            "transaction_id": sale.transaction_id, "reversed": reversed_,
            "created_at": sale.created_at.isoformat()}


def sale_result_json(result: ledger_service.SaleResult) -> dict[str, Any]:
    sale = result.sale
    reversed_ = not result.created and db.session.scalar(
        select(LedgerTransaction.id).where(LedgerTransaction.reverses_id == sale.transaction_id)
    ) is not None
    return {"sale": sale_json(sale, reversed_), "royalty": money(sale.royalty_minor, sale.currency),
            "postings": [{"user_id": user_id, "amount": money(amount, sale.currency)}
                         for user_id, amount in result.postings]}


def payout_json(payout: Payout, reversed_: bool = False) -> dict[str, Any]:
    return {"id": payout.id, "user_id": payout.user_id,
            "amount": money(payout.amount_minor, payout.currency),
            "reference": payout.reference, "transaction_id": payout.transaction_id,
            "reversed": reversed_, "created_at": payout.created_at.isoformat()}


def transaction_json(transaction: LedgerTransaction) -> dict[str, Any]:
    return {"id": transaction.id, "sequence": transaction.sequence, "kind": transaction.kind,
            "memo": transaction.memo, "reverses_id": transaction.reverses_id,
            "created_by_id": transaction.created_by_id,
            "created_at": transaction.created_at.isoformat(),
            "prev_hash": transaction.prev_hash, "hash": transaction.hash,
            "entries": [{"account": entry.account.code, "account_kind": entry.account.kind,
                         "user_id": entry.account.user_id,
                         "amount": money(entry.amount_minor, entry.currency)}
                        for entry in transaction.entries]}


# --- reading request bodies ---------------------------------------------------------------------

def _money_field(data: dict, name: str, fields: dict[str, str]) -> tuple[Any, Any]:
    """(amount, currency) of a money object; problems go to fields[name]."""
    value = data.get(name)
    if not isinstance(value, dict) or "amount" not in value or "currency" not in value:
        fields[name] = "Must be an object {amount: integer minor units, currency: ISO 4217 code}."
        return None, None
    problem = ledger_service.check_amount(value["amount"]) or \
        ledger_service.check_currency(value["currency"])
    if problem:
        fields[name] = problem
    return value["amount"], value["currency"]


def _require_fields(data: dict, names: tuple[str, ...], fields: dict[str, str]) -> None:
    for name in names:
        if data.get(name) is None:
            fields.setdefault(name, "This field is required.")


# --- the creator agreement ----------------------------------------------------------------------

SCHEMAS["Agreement"] = {"type": "object", "properties": {
    "version": {"type": "string"}, "sha256": {"type": "string"}, "text": {"type": "string"},
    "title": {"type": "string"}, "published_at": {"type": "string", "format": "date-time"}}}

operation("/agreements/current", "get", "The creator agreement in force (SHA-256 of its exact "
          "text)", auth=False, responses={"200": "{version, sha256, text}", "404": "none yet"})


@bp.get("/agreements/current")
def current_agreement():
    agreement = agreement_service.current_agreement()
    if agreement is None:
        raise NotFound("agreement_not_found", "No creator agreement has been published yet.")
    return agreement_json(agreement)


operation("/agreements/{version}", "get", "One version of the creator agreement", auth=False,
          responses={"200": "{version, sha256, text}", "404": "no such version"})


@bp.get("/agreements/<version>")
def agreement_version(version: str):
    return agreement_json(agreement_service.get_version(version))


# --- products -----------------------------------------------------------------------------------

SCHEMAS["Product"] = {"type": "object", "properties": {
    "id": {"type": "integer"}, "idea_id": {"type": "integer"}, "name": {"type": "string"},
    "royalty_rate_bps": {"type": "integer"},
    "stage": {"type": "string", "enum": ["approved", "in_production", "on_sale"]},
    "expected_on": {"type": "string", "format": "date", "nullable": True},
    "shop_url": {"type": "string", "nullable": True},
    "price": {"allOf": [{"$ref": "#/components/schemas/Money"}], "nullable": True},
    "splits": {"type": "array", "items": {"type": "object", "properties": {
        "user_id": {"type": "integer"}, "share_bps": {"type": "integer"}}}}}}

operation("/products/{id}", "get", "A product: its frozen royalty rate, the creators' split, its stage, expected date, shop link and price",
          auth=False, responses={"200": "Product", "404": "absent, or its idea is not visible"})


@bp.get("/products/<int:product_id>")
def product(product_id: int):
    record = db.session.scalar(select(Product).where(Product.id == product_id)
                               .options(selectinload(Product.splits), joinedload(Product.idea)))
    if record is None:
        raise NotFound("product_not_found", "No such product.")
    user = caller()
    if not permissions.can(user, "view_ledger"):
        from app.models import Idea

        if not permissions.may_view_idea(user, db.session.get(Idea, record.idea_id)):
            # The same answer as for no product: a hidden idea's product does not exist to them.
            raise NotFound("product_not_found", "No such product.")
    return product_json(record)


# --- sales --------------------------------------------------------------------------------------

#: An external reference (a shop's order or payment id): printable ASCII, trimmed.
REFERENCE = {"type": "string", "minLength": 1, "maxLength": REF_MAX,
             "pattern": "^[\\x21-\\x7e]([\\x20-\\x7e]*[\\x21-\\x7e])?$"}

SCHEMAS["Sale"] = {"type": "object", "properties": {
    "id": {"type": "integer"}, "product_id": {"type": "integer"}, "period": {"type": "string"},
    "units": {"type": "integer"}, "net_sales": {"$ref": "#/components/schemas/Money"},
    "external_ref": {"type": "string"}, "royalty_rate_bps": {"type": "integer"},
    "royalty": {"$ref": "#/components/schemas/Money"}, "transaction_id": {"type": "integer"},
    "reversed": {"type": "boolean"}}}

operation("/sales", "post", "Record a product's net sales for a period and post the royalty",
          body={"type": "object",
                "required": ["product_id", "period", "units", "net_sales", "external_ref"],
                "properties": {"product_id": {"type": "integer"},
                               "period": {"type": "string", "pattern": "^[0-9]{4}-(0[1-9]|1[0-2])$"},
                               "units": {"type": "integer", "minimum": -(MAX_UNITS - 1),
                                         "maximum": MAX_UNITS - 1},
                               "net_sales": {"$ref": "#/components/schemas/Money"},
                               "external_ref": REFERENCE}},
          responses={"201": "{sale, royalty, postings: [{user_id, amount}]}",
                     "200": "external_ref already recorded with the same content: the record",
                     "400": "not a JSON object", "401": "no token",
                     "403": "finance only; separation_of_duties (a product whose royalties the "
                            "caller shares in)",
                     "404": "product_not_found",
                     "409": "external_ref_conflict (different content), insufficient_balance "
                            "(a return larger than a creator's balance)",
                     "422": "invalid fields"})


@bp.post("/sales")
@idempotent
def record_sale():
    user = require_caller()
    permissions.require(user, "record_sale")
    data = json_body()
    fields: dict[str, str] = {}
    _require_fields(data, ("product_id", "period", "units", "net_sales", "external_ref"), fields)
    amount, currency = _money_field(data, "net_sales", fields) if "net_sales" in data \
        else (None, None)
    for name, problem in (
            ("product_id", None if ledger_service.is_int(data.get("product_id"))
             else "Must be an integer."),
            ("period", ledger_service.check_period(data.get("period"))),
            ("units", ledger_service.check_units(data.get("units"))),
            ("external_ref", ledger_service.check_reference(data.get("external_ref")))):
        if problem and name not in fields:
            fields[name] = problem
    if fields:
        raise Invalid(fields)
    with transaction():
        result = ledger_service.record_sale(user, data["product_id"], data["period"], data["units"],
                                            amount, currency, data["external_ref"])
    return sale_result_json(result), 201 if result.created else 200


operation("/sales", "get", "Recorded sales, newest first (finance)",
          responses={"200": "list of Sale", "403": "finance only"})


@bp.get("/sales")
def list_sales():
    permissions.require(require_caller(), "view_ledger")
    reversed_ids = select(LedgerTransaction.reverses_id).where(
        LedgerTransaction.reverses_id.is_not(None))
    stmt = select(Sale, Sale.transaction_id.in_(reversed_ids)).order_by(Sale.id.desc())
    page, per_page = page_args()
    total = db.session.scalar(select(func.count()).select_from(Sale))
    rows = db.session.execute(stmt.limit(per_page).offset((page - 1) * per_page)).all()
    return {"items": [sale_json(sale, bool(reversed_)) for sale, reversed_ in rows],
            "page": page, "per_page": per_page, "total": total}


# --- payouts ------------------------------------------------------------------------------------

SCHEMAS["Payout"] = {"type": "object", "properties": {
    "id": {"type": "integer"}, "user_id": {"type": "integer"},
    "amount": {"$ref": "#/components/schemas/Money"}, "reference": {"type": "string"},
    "transaction_id": {"type": "integer"}, "reversed": {"type": "boolean"},
    "balance": {"$ref": "#/components/schemas/Money"}}}

operation("/payouts", "post", "Pay a creator from their balance (never more than it)",
          body={"type": "object", "required": ["user_id", "amount", "reference"],
                "properties": {"user_id": {"type": "integer"},
                               "amount": {"$ref": "#/components/schemas/PositiveMoney"},
                               "reference": REFERENCE}},
          responses={"201": "Payout, with the creator's remaining balance",
                     "200": "reference already recorded with the same content: the record",
                     "400": "not a JSON object", "401": "no token", "403": "finance only; separation_of_duties (a payout to oneself)",
                     "404": "user_not_found",
                     "409": "insufficient_balance (more than the balance), reference_conflict",
                     "422": "invalid fields"})


@bp.post("/payouts")
@idempotent
def record_payout():
    user = require_caller()
    permissions.require(user, "record_payout")
    data = json_body()
    fields: dict[str, str] = {}
    _require_fields(data, ("user_id", "amount", "reference"), fields)
    amount, currency = _money_field(data, "amount", fields) if "amount" in data else (None, None)
    if "user_id" not in fields and not ledger_service.is_int(data.get("user_id")):
        fields["user_id"] = "Must be an integer."
    if "reference" not in fields:
        problem = ledger_service.check_reference(data.get("reference"))
        if problem:
            fields["reference"] = problem
    if "amount" not in fields and ledger_service.check_amount(amount, allow_negative=False,
                                                              allow_zero=False):
        fields["amount"] = "The amount must be a positive integer number of minor units."
    if fields:
        raise Invalid(fields)
    with transaction():
        result = ledger_service.record_payout(user, data["user_id"], amount, currency,
                                              data["reference"])
    payout = result.payout
    body = payout_json(payout)
    body["balance"] = money(ledger_service.payable_balance(payout.user_id, payout.currency),
                            payout.currency)
    return body, 201 if result.created else 200


# --- royalties ----------------------------------------------------------------------------------

operation("/me/royalties", "get", "My royalties: balance per currency, statements per product "
          "and period, payouts", responses={"200": "{balances, statements, payouts}",
                                            "401": "no token"})


def royalties_json(statement: ledger_service.Statement) -> dict[str, Any]:
    return {
        "balances": [money(amount, currency) for currency, amount in statement.balances.items()],
        "statements": [{"product_id": line.product_id, "product_name": line.product_name,
                        "period": line.period,
                        "net_sales": money(line.net_sales_minor, line.currency),
                        "royalty": money(line.royalty_minor, line.currency)}
                       for line in statement.lines],
        "payouts": [payout_json(payout, payout.transaction_id in statement.reversed_payout_ids)
                    for payout in statement.payouts],
        "earned": [money(amount, currency)
                   for currency, amount in statement.total_earned().items()],
        "paid": [money(amount, currency) for currency, amount in statement.total_paid().items()],
        "statement_csv": url_for("ledger.royalties_csv"),
    }


@bp.get("/me/royalties")
def my_royalties():
    return royalties_json(ledger_service.statement_for(require_caller()))


operation("/users/{id}/royalties", "get", "A creator's royalties (finance)",
          responses={"200": "{balances, statements, payouts}", "403": "finance only",
                     "404": "no such user"})


@bp.get("/users/<int:user_id>/royalties")
def user_royalties(user_id: int):
    permissions.require(require_caller(), "view_ledger")
    user = db.session.get(User, user_id)
    if user is None:
        raise NotFound("user_not_found", "No such user.")
    return royalties_json(ledger_service.statement_for(user))


# --- the ledger ---------------------------------------------------------------------------------

operation("/ledger/verify", "get", "Recompute the hash chain and every balance",
          responses={"200": "{ok: true, transactions: n} or {ok: false, problems: [...]}",
                     "401": "no token", "403": "finance or admin only"})


@bp.get("/ledger/verify")
def verify_ledger():
    permissions.require(require_caller(), "verify_ledger")
    problems = ledger_service.verify_ledger()
    count = db.session.scalar(select(func.count()).select_from(LedgerTransaction))
    if problems:
        return {"ok": False, "transactions": count,
                "problems": [problem.as_dict() for problem in problems]}
    return {"ok": True, "transactions": count}


operation("/ledger/transactions", "get", "The ledger's transactions with entries, newest first "
          "(finance)", responses={"200": "list", "403": "finance only"})


@bp.get("/ledger/transactions")
def list_transactions():
    permissions.require(require_caller(), "view_ledger")
    stmt = select(LedgerTransaction).order_by(LedgerTransaction.sequence.desc()).options(
        selectinload(LedgerTransaction.entries).selectinload(LedgerEntry.account))
    return paginated(stmt, transaction_json)


operation("/ledger/transactions/{id}/reversal", "post", "Correct the ledger: post the exact "
          "opposite of a transaction (finance)",
          body={"type": "object", "required": ["reason"],
                "properties": {"reason": written(2000)}},
          responses={"201": "the reversing transaction",
                     "403": "finance only; separation_of_duties (it moves money owed to the "
                            "caller)",
                     "404": "no such transaction",
                     "409": "already_reversed, cannot_reverse_reversal, insufficient_balance",
                     "422": "reason missing"})


@bp.post("/ledger/transactions/<int:transaction_id>/reversal")
@idempotent
def reverse_transaction(transaction_id: int):
    user = require_caller()
    permissions.require(user, "record_sale")
    data = json_body()
    with transaction():
        reversal = ledger_service.reverse_transaction(user, transaction_id, data.get("reason"))
    reversal = db.session.scalar(
        select(LedgerTransaction).where(LedgerTransaction.id == reversal.id).options(
            selectinload(LedgerTransaction.entries).selectinload(LedgerEntry.account)))
    return transaction_json(reversal), 201
