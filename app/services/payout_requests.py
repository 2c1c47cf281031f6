"""Payouts on request: a creator whose balance reaches the published minimum asks to be paid;
finance pays the request (a ledger payout: never more than the balance) or declines it with a
reason. The creator is notified either way; every step is audited."""
from __future__ import annotations

from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from app import permissions
from app.errors import Conflict, Invalid, NotFound
from app.extensions import db
from app.i18n import _
from app.models import User, UserRole
from app.models.base import utcnow
from app.models.programme import PayoutRequest
from app.permissions import Action
from app import notification_kinds as kinds
from app.services import events
from app.services import ledger as ledger_service
from app.services.programme import payout_minimums

REASON_MAX = 2000
ROYALTIES_URL = "/me/royalties"


def _state(request: PayoutRequest) -> dict[str, Any]:
    return {"user_id": request.user_id, "amount_minor": request.amount_minor,
            "currency": request.currency, "status": request.status,
            "payout_id": request.payout_id, "reason": request.reason}


def open_requests_of(user: User) -> dict[str, PayoutRequest]:
    """{currency: the member's open request in it}."""
    return {r.currency: r for r in db.session.scalars(select(PayoutRequest).where(
        PayoutRequest.user_id == user.id, PayoutRequest.status == "requested"))}


def requests_of(user: User, limit: int = 50) -> list[PayoutRequest]:
    return list(db.session.scalars(select(PayoutRequest).where(PayoutRequest.user_id == user.id)
                                   .order_by(PayoutRequest.id.desc()).limit(limit)))


def requestable(user: User) -> dict[str, dict[str, Any]]:
    """Per currency of the member's balances: balance, minimum, whether they may ask now."""
    minimums = payout_minimums()
    pending = open_requests_of(user)
    result = {}
    for currency, balance in ledger_service.balances_of(user.id).items():
        minimum = minimums.get(currency)
        result[currency] = {"balance": balance, "minimum": minimum,
                            "open": pending.get(currency),
                            "may_request": minimum is not None and balance >= minimum
                            and currency not in pending}
    return result


def request_payout(user: User, amount_minor: Any, currency: Any) -> PayoutRequest:
    """Ask to be paid `amount` (at least the minimum, at most the balance). 409 `below_minimum`
    (the amount or the balance is under the published minimum, or none is published for the
    currency), `insufficient_balance`, `request_open` (one open request per currency)."""
    permissions.require(user, Action.REQUEST_PAYOUT)
    ledger_service._raise_if({
        "amount": ledger_service.check_amount(amount_minor, allow_negative=False,
                                              allow_zero=False),
        "currency": ledger_service.check_currency(currency)})
    minimum = payout_minimums().get(currency)
    text = ledger_service.money_text
    if minimum is None:
        raise Conflict("below_minimum", _("Payouts in %(currency)s are not offered.",
                                          currency=currency))
    if amount_minor < minimum:
        raise Conflict("below_minimum", _(
            "The smallest payout is %(minimum)s.", minimum=text(minimum, currency)))
    ledger_service.lock_ledger()  # the balance cannot change under us until commit
    balance = ledger_service.payable_balance(user.id, currency)
    if amount_minor > balance:
        raise Conflict("insufficient_balance", _(
            "The amount (%(amount)s) is more than your balance (%(balance)s).",
            amount=text(amount_minor, currency), balance=text(balance, currency)))
    if currency in open_requests_of(user):
        raise Conflict("request_open", _("You have asked for a payout in %(currency)s already; "
                                         "finance will answer it first.", currency=currency))
    request = PayoutRequest(user_id=user.id, amount_minor=amount_minor, currency=currency,
                            status="requested")
    try:
        with db.session.begin_nested():
            db.session.add(request)
    except IntegrityError:
        raise Conflict("request_open", _("You have asked for a payout in %(currency)s already; "
                                         "finance will answer it first.",
                                         currency=currency)) from None
    events.audit(user, "payout_request.created", request, after=_state(request))
    finance = list(db.session.scalars(select(User).join(UserRole, UserRole.user_id == User.id)
                                      .where(UserRole.role == "finance", User.id != user.id,
                                             User.blocked_at.is_(None))))
    events.notify(finance, "payout_request",
                  {"name": user.display_name, "amount": kinds.money(amount_minor, currency)},
                  url="/finance/payout-requests")
    return request


def requests_query(actor: User, status: str = "requested") -> Select:
    """Payout requests for finance: the open ones first come first, or all, newest first."""
    permissions.require(actor, Action.DECIDE_PAYOUT)
    stmt = select(PayoutRequest).options(selectinload(PayoutRequest.user))
    if status in ("requested", "paid", "declined"):
        stmt = stmt.where(PayoutRequest.status == status)
    order = PayoutRequest.id.asc() if status == "requested" else PayoutRequest.id.desc()
    return stmt.order_by(order)


def balances_for(rows: list[PayoutRequest]) -> dict[tuple[int, str], int]:
    """{(user id, currency): payable balance} for the open requests among rows (one query)."""
    from app.models.ledger import LedgerAccount, LedgerBalance
    from app.services.ledger import account_code

    codes = {account_code("creator_payable", r.currency, r.user_id): (r.user_id, r.currency)
             for r in rows if r.is_open}
    balances = dict.fromkeys(codes.values(), 0)
    if codes:
        for code, total in db.session.execute(
                select(LedgerAccount.code, LedgerBalance.balance_minor)
                .join(LedgerBalance, LedgerBalance.account_id == LedgerAccount.id)
                .where(LedgerAccount.code.in_(list(codes)))):
            balances[codes[code]] = -int(total or 0)
    return balances


def _open_request(request_id: Any) -> PayoutRequest:
    request = db.session.get(PayoutRequest, request_id, with_for_update=True) \
        if ledger_service.is_id(request_id) else None
    if request is None:
        raise NotFound("payout_request_not_found", _("No such payout request."))
    if not request.is_open:
        raise Conflict("request_closed", _("This request has been answered already."))
    return request


def pay_request(actor: User, request_id: Any, reference: Any) -> PayoutRequest:
    """Pay the request through the ledger (record_payout: 409 `insufficient_balance` when the
    balance fell below the amount since, and the request stays open)."""
    permissions.require(actor, Action.DECIDE_PAYOUT)
    ledger_service.lock_ledger()
    request = _open_request(request_id)
    permissions.require(actor, Action.DECIDE_PAYOUT, request)
    result = ledger_service.record_payout(actor, request.user_id, request.amount_minor,
                                          request.currency, reference)
    if not result.created:
        raise Conflict("reference_conflict", _(
            "The reference %(ref)s was already used for a different payout.", ref=reference))
    before = _state(request)
    request.status, request.payout_id = "paid", result.payout.id
    request.decided_by_id, request.decided_at = actor.id, utcnow()
    db.session.flush()
    events.audit(actor, "payout_request.paid", request, before=before, after=_state(request))
    return request


def decline_request(actor: User, request_id: Any, reason: Any) -> PayoutRequest:
    """Decline with a reason the creator reads."""
    permissions.require(actor, Action.DECIDE_PAYOUT)
    reason = reason.strip() if isinstance(reason, str) else ""
    if not reason or len(reason) > REASON_MAX:
        raise Invalid({"reason": _("A reason of up to %(n)s characters is required.",
                                   n=REASON_MAX)})
    request = _open_request(request_id)
    permissions.require(actor, Action.DECIDE_PAYOUT, request)
    before = _state(request)
    request.status, request.reason = "declined", reason
    request.decided_by_id, request.decided_at = actor.id, utcnow()
    db.session.flush()
    events.audit(actor, "payout_request.declined", request, before=before,
                 after=_state(request), reason=reason)
    events.notify([request.user], "payout_declined",
                  {"amount": kinds.money(request.amount_minor, request.currency),
                   "reason": reason}, url=ROYALTIES_URL)
    return request
