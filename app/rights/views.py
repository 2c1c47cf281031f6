"""HTML views: the "Your data" page (export, deletion), the deletion link's page, and staff
two-factor sign-in (enrolment, the code step). Thin: each view is one service call
(app.services.exports, .deletion, .two_factor)."""
from __future__ import annotations

from flask import (abort, current_app, flash, redirect, render_template, request, session,
                   url_for)
from flask_babel import gettext as _
from flask_login import current_user, login_required, logout_user

from app import permissions, ratelimits, security, storage
from app.accounts.forms import EmptyForm
from app.errors import Invalid, NotFound
from app.extensions import db, limiter
from app.models import User
from app.models.base import utcnow
from app.permissions import Action
from app.rights import bp
from app.rights.forms import DeleteAccountForm, DisableTwoFactorForm, TwoFactorCodeForm
from app.services import deletion, exports
from app.services import two_factor as two_factor_service
from app.transaction import perform, transaction


def _data_page(form: DeleteAccountForm | None = None, status: int = 200):
    user = current_user._get_current_object()
    return render_template("rights/data.html", tab="data", form=form or DeleteAccountForm(),
                           export_form=EmptyForm(), exports=exports.exports_of(user),
                           confirmed=user.email_confirmed), status


@bp.get("/account/data")
@login_required
def data():
    return _data_page()


@bp.post("/account/data/export")
@login_required
def start_export():
    user = current_user._get_current_object()
    perform(lambda: exports.request_export(user), validate=EmptyForm(),
            done=_("Your export is being prepared. This page shows when it is ready."))
    return redirect(url_for("rights.data"))


@bp.get("/account/data/exports/<int:export_id>/download")
@login_required
def download_export(export_id: int):
    user = current_user._get_current_object()
    try:
        with transaction():
            key = exports.download_key(user, export_id)
    except NotFound:
        abort(404)
    response = storage.send(key, "application/zip", public=False)
    response.headers["Content-Disposition"] = f'attachment; filename="kyoso-export-{export_id}.zip"'
    response.headers["Cache-Control"] = "private, no-store"
    return response


def _end_browser_session() -> None:
    logout_user()
    session.clear()
    security.forget_browser()


def _deleted_page(user_id: int):
    """"Your account is being deleted" until the erasure job is done, then "is deleted"."""
    return render_template("rights/deleted.html", erased=deletion.erased(user_id))


@bp.post("/account/delete")
@login_required
@limiter.limit(ratelimits.SIGN_IN)
def request_deletion():
    user = current_user._get_current_object()
    form = DeleteAccountForm()
    if not form.validate_on_submit():
        return _data_page(form, 422)
    outcome = perform(lambda: deletion.request_deletion(user, form.password.data), form=form)
    if not outcome:
        return _data_page(form, 422)
    if outcome.value:  # deleted at once (no confirmed address to confirm with)
        _end_browser_session()
        return _deleted_page(user.id)
    return render_template("rights/delete_sent.html", email=user.email)


@bp.route("/account/delete/<token>", methods=["GET", "POST"])
def confirm_deletion(token: str):
    """The mail's link: a page with one button (a link a mail scanner opens deletes nothing)."""
    try:
        user = deletion.user_for_token(token)
    except Invalid as error:
        return render_template("rights/link_invalid.html", message=error.fields["token"]), 400
    form = EmptyForm()
    if request.method == "POST" and form.validate_on_submit():
        signed_in_as_them = current_user.is_authenticated and current_user.id == user.id
        if perform(lambda: deletion.delete_by_token(token)):
            if signed_in_as_them:
                _end_browser_session()
            return _deleted_page(user.id)
    return render_template("rights/delete_confirm.html", form=form, token=token)


# --------------------------------------------------------------------------- two-factor sign-in

#: The password step's result, waiting for the code: in the (signed) session for this long.
PENDING_KEY = "_two_factor"
PENDING_SECONDS = 600
#: What a staff member who must enrol may still open.
OPEN_WHILE_ENROLLING = {"rights.two_factor", "rights.start_two_factor", "rights.confirm_two_factor",
                        "accounts.logout", "static"}


def ask_for_code(user, remember: bool, next_url: str | None):
    """After a good password for an account with two-factor on: remember who, ask the code."""
    session[PENDING_KEY] = {"u": user.id, "s": user.security_stamp, "r": bool(remember),
                            "n": next_url, "t": int(utcnow().timestamp())}
    return redirect(url_for("rights.two_factor_sign_in"))


def _pending_user():
    pending = session.get(PENDING_KEY)
    if not isinstance(pending, dict) or \
            int(utcnow().timestamp()) - int(pending.get("t", 0)) > PENDING_SECONDS:
        return None, pending
    user = db.session.get(User, pending.get("u"))
    if user is None or not user.is_active or user.security_stamp != pending.get("s"):
        return None, pending
    return user, pending


@bp.route("/login/two-factor", methods=["GET", "POST"])
@limiter.limit(ratelimits.SIGN_IN, methods=["POST"])
def two_factor_sign_in():
    from app.accounts.views import _sign_in

    user, pending = _pending_user()
    if user is None:
        session.pop(PENDING_KEY, None)
        return redirect(url_for("accounts.login"))
    form = TwoFactorCodeForm()
    error, status = None, 422 if request.method == "POST" else 200
    if form.validate_on_submit():
        with transaction():  # the throttle's count commits even when the code is refused
            refusal = two_factor_service.attempt_code(user, form.code.data)
        if refusal is None:
            session.pop(PENDING_KEY, None)
            _sign_in(user, remember=pending.get("r", False))
            flash(_("Welcome back, %(name)s.", name=user.display_name), "success")
            return redirect(pending.get("n") or url_for("accounts.dashboard"))
        error = refusal.fields.get("code") if isinstance(refusal, Invalid) else refusal.message
        status = refusal.status if refusal.status == 429 else 422
    return render_template("rights/two_factor_sign_in.html", form=form, error=error), status


@bp.before_app_request
def _enrol_first():
    """With STAFF_2FA_REQUIRED, admins and finance staff use nothing before they enrol (their
    API tokens are not stopped: see app.services.two_factor)."""
    if not current_app.config.get("STAFF_2FA_REQUIRED") or request.endpoint in OPEN_WHILE_ENROLLING:
        return None
    if request.endpoint is None or request.endpoint.startswith("api.") or \
            not current_user.is_authenticated:
        return None
    if two_factor_service.needs_enrolment(current_user):
        flash(_("Your role needs two-factor sign-in: set it up to go on."), "info")
        return redirect(url_for("rights.two_factor"))
    return None


def _two_factor_page(status: int = 200, **context):
    user = current_user._get_current_object()
    context.setdefault("code_form", TwoFactorCodeForm())
    context.setdefault("disable_form", DisableTwoFactorForm())
    qr = two_factor_service.qr_svg(user) if user.totp_secret and not user.two_factor_enabled else None
    return render_template("rights/two_factor.html", tab="two_factor", user=user, qr=qr,
                           secret=user.totp_secret if qr else None,
                           required=two_factor_service.required_for(user),
                           codes_left=two_factor_service.recovery_codes_left(user)
                           if user.two_factor_enabled else 0, **context), status


@bp.get("/account/two-factor")
@login_required
def two_factor():
    permissions.require(current_user, Action.USE_TWO_FACTOR)
    return _two_factor_page()


@bp.post("/account/two-factor/start")
@login_required
def start_two_factor():
    user = current_user._get_current_object()
    perform(lambda: two_factor_service.begin_enrolment(user), validate=EmptyForm())
    return redirect(url_for("rights.two_factor"))


@bp.post("/account/two-factor/confirm")
@login_required
def confirm_two_factor():
    user = current_user._get_current_object()
    form = TwoFactorCodeForm()
    if form.validate_on_submit():
        done = perform(lambda: two_factor_service.finish_enrolment(user, form.code.data), form=form)
        if done:
            return render_template("rights/recovery_codes.html", tab="two_factor",
                                   codes=done.value, fresh=True)
    return _two_factor_page(422, code_form=form)


@bp.post("/account/two-factor/recovery-codes")
@login_required
def new_recovery_codes():
    user = current_user._get_current_object()
    form = TwoFactorCodeForm()
    if form.validate_on_submit():
        done = perform(lambda: two_factor_service.new_recovery_codes(user, form.code.data), form=form)
        if done:
            return render_template("rights/recovery_codes.html", tab="two_factor",
                                   codes=done.value, fresh=False)
    return _two_factor_page(422, code_form=form)


@bp.post("/account/two-factor/disable")
@login_required
def disable_two_factor():
    user = current_user._get_current_object()
    form = DisableTwoFactorForm()
    if form.validate_on_submit() and perform(
            lambda: two_factor_service.disable(user, form.password.data, form.code.data), form=form,
            done=_("Two-factor sign-in is off.")):
        return redirect(url_for("rights.two_factor"))
    return _two_factor_page(422, disable_form=form)
