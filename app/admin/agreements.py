"""HTML views (admin): publish a new version of the creator agreement; see every version."""
from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app import permissions
from app.admin import bp
from app.ledger.forms import AgreementForm
from app.models.agreements import sha256_text
from app.services import agreements as agreement_service
from app.transaction import perform


@bp.route("/admin/agreements", methods=["GET", "POST"])
def agreements():
    permissions.require(current_user, "publish_agreement")
    form = AgreementForm()
    current = agreement_service.current_agreement()
    if request.method == "GET" and current is not None:
        form.title.data = current.title
        form.text.data = current.text
    status = 422 if request.method == "POST" else 200
    if form.validate_on_submit():
        published = perform(lambda: agreement_service.publish_agreement(
            current_user, form.version.data, form.title.data, form.text.data), form=form)
        if published:
            agreement = published.value
            flash(_("Version %(v)s is published and in force. SHA-256: %(digest)s",
                    v=agreement.version, digest=agreement.sha256), "success")
            return redirect(url_for("admin.agreements"))
        status = published.status
    draft_digest = sha256_text(agreement_service.normalise_text(form.text.data)) \
        if form.text.data else None
    return render_template("admin/agreements.html", form=form, current=current,
                           versions=agreement_service.all_versions(),
                           draft_digest=draft_digest), status
