"""Payouts: money paid to a creator, never more than their balance."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from app import permissions
from app.errors import Conflict, Invalid
from app.extensions import db
from app.i18n import _
from app.models import User
from app.models.ledger import Payout
from app import notification_kinds as kinds
from app.services import events
from app.services.ledger.chain import payout_source
from app.services.ledger.posting import _account, _post, lock_ledger, payable_balance
from app.services.ledger.validation import (_raise_if, check_amount, check_currency,
                                            check_reference, is_id, is_int)
from app.web import format_money

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
    permissions.require(actor, "record_payout", creator)
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
            amount=format_money(amount_minor, currency),
            balance=format_money(balance, currency)))
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
    events.notify([creator], "royalty_payout",
                  {"amount": kinds.money(amount_minor, currency), "ref": reference},
                  url="/me/royalties")
    return PayoutResult(payout, True)
