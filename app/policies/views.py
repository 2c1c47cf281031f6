"""HTML views: the terms and privacy policy in the reader's language, every version, the exact
text of each; the interstitial asking for acceptance of new versions."""
from __future__ import annotations

from flask import Response, flash, g, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_login import current_user

from app.accounts.views import safe_next
from app.errors import NotFound
from app.extensions import db
from app.i18n import _
from app.models.privacy import POLICY_KINDS
from app.policies import bp
from app.policies.forms import AcceptPoliciesForm
from app.services import policies as policy_service
from app.transaction import perform

#: Endpoints a member with a version to accept may still reach (besides the prefixes below).
ALLOWED_WHILE_PENDING = {"accounts.logout", "accounts.confirm", "accounts.avatar", "static"}
ALLOWED_PREFIXES = ("policies.", "api.", "static", "observability.", "health", "notifications.", "rights.",
                    "media.")


def _locale() -> str:
    return "ja" if str(get_locale()) == "ja" else "en"


def _page(kind: str, version: str | None = None):
    current = policy_service.current(kind)
    policy = policy_service.get_version(kind, version) if version else current
    if policy is None:
        raise NotFound("policy_not_found", _("The %(what)s has not been published yet.",
                                             what=policy_service.kind_label(kind).lower()))
    return render_template("policies/page.html", kind=kind,
                           title=policy_service.kind_label(kind),
                           shown=policy_service.shown(policy, _locale()), current=current,
                           versions=policy_service.all_versions(kind))


@bp.get("/terms")
def terms():
    return _page("terms")


@bp.get("/privacy")
def privacy():
    return _page("privacy")


@bp.get("/<any(terms, privacy):kind>/versions/<version>")
def version(kind: str, version: str):
    return _page(kind, version)


@bp.get("/<any(terms, privacy):kind>/versions/<version>/<any(en, ja):locale>.md")
def text(kind: str, version: str, locale: str):
    """The exact text whose SHA-256 is shown, so anyone can check the digest."""
    policy = policy_service.get_version(kind, version)
    return Response(policy.text(locale), mimetype="text/plain", headers={
        "Content-Disposition": f'inline; filename="{kind}-{policy.version}-{locale}.md"'})


@bp.route("/policies/accept", methods=["GET", "POST"])
def accept():
    """The interstitial: a member asked to accept the versions in force before going on."""
    if not current_user.is_authenticated:
        return redirect(url_for("accounts.login"))
    user = current_user._get_current_object()
    next_url = safe_next(request.values.get("next")) or url_for("main.home")
    pending = policy_service.pending(user)
    if not pending:
        return redirect(next_url)
    current = policy_service.current_policies()
    form = AcceptPoliciesForm()
    if request.method == "GET":
        for kind in pending:
            form[f"{kind}_version"].data = current[kind].version
    status = 422 if request.method == "POST" else 200
    if form.validate_on_submit():
        accepted = {kind: form[f"{kind}_version"].data for kind in pending
                    if form[f"accept_{kind}"].data}
        done = perform(lambda: policy_service.accept(
            user, accepted, required=tuple(pending), locale=_locale(),
            ip_address=request.remote_addr or "", user_agent=request.user_agent.string or ""),
            form=form, rename={f"accept.{kind}": f"accept_{kind}" for kind in POLICY_KINDS})
        if done:
            flash(_("Thank you. You have accepted the new versions."), "success")
            return redirect(next_url)
    shown = [policy_service.shown(current[kind], _locale()) for kind in pending]
    return render_template("policies/accept.html", form=form, shown=shown, pending=pending,
                           next_url=next_url), status


def ask_for_acceptance():
    """Before every page: a signed-in member with a version in force to accept goes to the
    interstitial first (the API answers 403 terms_not_accepted instead: app.api.policies)."""
    endpoint = request.endpoint or ""
    if endpoint in ALLOWED_WHILE_PENDING or endpoint.startswith(ALLOWED_PREFIXES):
        return None
    if not current_user.is_authenticated:
        return None
    if not policy_service.pending(current_user):
        return None
    g.policies_pending = True
    target = request.full_path if request.method == "GET" else request.path
    target = target[:-1] if target.endswith("?") else target
    return redirect(url_for("policies.accept", next=safe_next(target)), 303)


@bp.record_once
def _register(state) -> None:
    state.app.before_request(ask_for_acceptance)
    # The footer links to the documents in force (cached: no query on most pages).
    state.app.jinja_env.globals["policies_in_force"] = _in_force_for_footer


def _in_force_for_footer() -> dict:
    """The versions in force for the footer's links; none when the database cannot say (an
    error page while it is down must still render)."""
    try:
        return policy_service.current_versions()
    except Exception:  # noqa: BLE001  (sqlalchemy.exc.OperationalError and the like)
        db.session.rollback()
        return {}
