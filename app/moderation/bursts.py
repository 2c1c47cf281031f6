"""HTML views: supports and reports arriving in bursts from new accounts, and voiding them."""
from __future__ import annotations

from flask import current_app, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.moderation import bp
from app.moderation.forms import OptionalReasonForm
from app.services import integrity
from app.transaction import perform


@bp.get("/moderation/bursts")
def bursts():
    return render_template("moderation/bursts.html", bursts=integrity.bursts(current_user),
                           form=OptionalReasonForm(), tab="bursts",
                           has_reports="moderation.reports" in current_app.view_functions,
                           minimum=current_app.config["BURST_MIN_ACCOUNTS"],
                           days=current_app.config["REPORT_NEW_ACCOUNT_DAYS"])


@bp.post("/moderation/bursts/void")
def void_burst():
    form = OptionalReasonForm()
    perform(lambda: integrity.void_burst(
        current_user, request.form.get("kind"), request.form.get("target_id", type=int),
        request.form.get("network"), request.form.get("hour"), form.reason.data),
        validate=form, done=_("The burst was voided."))
    return redirect(url_for("moderation.bursts"))
