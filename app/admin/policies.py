"""HTML views (admin): publish a new version of the member terms or the privacy policy."""
from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app import permissions
from app.admin import bp
from app.models.privacy import POLICY_KINDS
from app.policies.defaults import default_text
from app.policies.forms import PublishPolicyForm
from app.services import policies as policy_service
from app.transaction import perform


@bp.route("/admin/policies", methods=["GET", "POST"])
def policies():
    permissions.require(current_user, "publish_policy")
    form = PublishPolicyForm()
    kind = request.args.get("kind") if request.args.get("kind") in POLICY_KINDS else "terms"
    current = policy_service.current_policies()
    if request.method == "GET":
        form.kind.data = kind
        policy = current[kind]
        form.text_en.data = policy.text_en if policy else default_text(kind, "en")
        form.text_ja.data = policy.text_ja if policy else default_text(kind, "ja")
    status = 422 if request.method == "POST" else 200
    if form.validate_on_submit():
        published = perform(lambda: policy_service.publish(
            current_user, form.kind.data, form.version.data, form.text_en.data,
            form.text_ja.data), form=form)
        if published:
            policy = published.value
            flash(_("Version %(v)s is published and in force: members are asked to accept it. "
                    "SHA-256 (English): %(en)s; (Japanese): %(ja)s", v=policy.version,
                    en=policy.sha256_en, ja=policy.sha256_ja), "success")
            return redirect(url_for("admin.policies", kind=policy.kind))
        status = published.status
    return render_template("admin/policies.html", form=form, kind=kind, current=current,
                           versions={k: policy_service.all_versions(k) for k in POLICY_KINDS},
                           labels={k: policy_service.kind_label(k) for k in POLICY_KINDS}), status
