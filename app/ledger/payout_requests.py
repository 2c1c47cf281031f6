"""HTML views: a creator asks for a payout from "My royalties"; finance pays or declines the
requests. Thin: each view calls one function of app.services.payout_requests."""
from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app import permissions
from app.ledger import bp
from app.ledger.forms import DeclineRequestForm, PayoutRequestForm, PayRequestForm, new_reference
from app.permissions import Action
from app.services import payout_requests as request_service
from app.services.admin import page_of
from app.transaction import perform
from app.web import format_money, page_arg

PER_PAGE = 50


def royalties_context(user) -> dict:
    """What "My royalties" shows about payouts on request (app.ledger.views.royalties)."""
    return {"payout_options": request_service.requestable(user),
            "payout_requests": request_service.requests_of(user, limit=10),
            "request_form": PayoutRequestForm()}


@bp.post("/me/royalties/payout-requests")
def request_payout():
    if not current_user.is_authenticated:
        return redirect(url_for("accounts.login", next=url_for("ledger.royalties")))
    form = PayoutRequestForm()
    asked = perform(lambda: request_service.request_payout(
        current_user, form.amount_minor(), form.currency.data), validate=form)
    if asked:
        row = asked.value
        flash(_("Your payout request of %(amount)s is sent to finance: you will be told when it "
                "is paid.", amount=format_money(row.amount_minor, row.currency)),
              "success")
    return redirect(url_for("ledger.royalties"))


@bp.route("/finance/payout-requests")
def payout_requests():
    status = request.args.get("status", "requested")
    if status not in ("requested", "paid", "declined", "all"):
        status = "requested"
    stmt = request_service.requests_query(current_user, status)  # 403 unless finance
    page = page_arg()
    rows, total = page_of(stmt, page, PER_PAGE)
    balances = request_service.balances_for(rows)
    return render_template("ledger/payout_requests.html", rows=rows, total=total, page=page,
                           per_page=PER_PAGE, status=status, balances=balances,
                           pay_form=PayRequestForm(), decline_form=DeclineRequestForm(),
                           new_reference=lambda: new_reference("payout"), tab="requests")


@bp.post("/finance/payout-requests/<int:request_id>/pay")
def pay_request(request_id: int):
    permissions.require(current_user, Action.DECIDE_PAYOUT)
    form = PayRequestForm()
    paid = perform(lambda: request_service.pay_request(current_user, request_id,
                                                       (form.reference.data or "").strip()),
                   validate=form)
    if paid:
        row = paid.value
        flash(_("Paid: %(amount)s to %(name)s.", name=row.user.display_name,
                amount=format_money(row.amount_minor, row.currency)), "success")
    return redirect(url_for("ledger.payout_requests"))


@bp.post("/finance/payout-requests/<int:request_id>/decline")
def decline_request(request_id: int):
    permissions.require(current_user, Action.DECIDE_PAYOUT)
    form = DeclineRequestForm()
    perform(lambda: request_service.decline_request(current_user, request_id, form.reason.data),
            validate=form, done=_("The request is declined; the creator is told why."))
    return redirect(url_for("ledger.payout_requests"))
