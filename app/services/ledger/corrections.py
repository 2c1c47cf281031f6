"""Corrections: a transaction is never edited, only reversed by its exact opposite."""
from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app import permissions
from app.errors import Conflict, NotFound
from app.extensions import db
from app.i18n import _
from app.models import User
from app.models.ledger import LedgerEntry, LedgerTransaction
from app.services import events
from app.services.ledger.posting import _post, lock_ledger, payable_balance
from app.services.ledger.validation import _raise_if, is_id, is_int

def reverse_transaction(actor: User, transaction_id: Any, reason: Any) -> LedgerTransaction:
    """Correct the ledger by posting the exact opposite of a transaction (never editing it).

    A transaction is reversed at most once; a reversal itself is not reversed (record the
    right figures again instead); a reversal that would take a creator's balance below zero
    (money already paid out) is refused."""
    permissions.require(actor, "record_sale")
    reason_text = reason.strip() if isinstance(reason, str) else ""
    _raise_if({"reason": None if reason_text else _("Say why this is reversed."),
               "transaction_id": None if is_int(transaction_id) else _("No such transaction.")})
    lock_ledger()
    original = db.session.scalar(
        select(LedgerTransaction).where(LedgerTransaction.id == transaction_id)
        .options(selectinload(LedgerTransaction.entries).selectinload(LedgerEntry.account))) \
        if is_id(transaction_id) else None
    if original is None:
        raise NotFound("transaction_not_found", _("No such transaction."))
    permissions.require(actor, "reverse_transaction", original)  # never their own money
    if original.kind == "reversal":
        raise Conflict("cannot_reverse_reversal", _("A reversal cannot itself be reversed."))
    if db.session.scalar(select(LedgerTransaction.id)
                         .where(LedgerTransaction.reverses_id == original.id)) is not None:
        raise Conflict("already_reversed", _("This transaction was already reversed."))
    lines = [(entry.account, -entry.amount_minor) for entry in original.entries]
    for account, amount in lines:
        if account.kind == "creator_payable" and amount > 0 and \
                payable_balance(account.user_id, account.currency) - amount < 0:
            raise Conflict("insufficient_balance", _(
                "Reversing this would take a creator's balance below zero (user %(id)s).",
                id=account.user_id))
    transaction = _post(actor, "reversal", lines,
                        memo=f"Reversal of #{original.sequence}: {reason_text}",
                        reverses_id=original.id)
    events.audit(actor, "ledger.transaction_reversed", transaction, reason=reason_text,
                 after={"reverses_id": original.id, "reverses_sequence": original.sequence})
    return transaction
