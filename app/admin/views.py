"""HTML views: admin home, users and roles, review batches, and the audit log."""
from __future__ import annotations

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from wtforms import SelectChoice

from app import observability, permissions
from app.admin import bp
from app.admin.forms import (ActionForm, AssignReviewerForm, AuditFilterForm, BlockForm,
                             OpenBatchForm, ResetTwoFactorForm, RoleForm, UserSearchForm)
from app.extensions import db
from app.web import page_arg
from app.models import Support
from app.models.base import utcnow
from app.services import admin as admin_service
from app.services import review as review_service
from app.labels import audit_action_label, audit_target_label
from app.transaction import perform


def _page() -> int:
    return page_arg()


def _per_page() -> int:
    return int(current_app.config.get("PER_PAGE", 24))


@bp.route("/admin")
def index():
    permissions.require(current_user, "manage_users")
    recent, _total = admin_service.page_of(admin_service.audit_query(current_user), 1, 10)
    from app.services.programme import first_run_checklist

    return render_template("admin/index.html", counts=admin_service.overview(), recent=recent,
                           targets=audit_target_links(recent),
                           checklist=first_run_checklist(),
                           open_batch=review_service.current_open_batch(),
                           queue=observability.queue_depth())


# --- users --------------------------------------------------------------------------------------

@bp.route("/admin/users")
def users():
    permissions.require(current_user, "manage_users")
    form = UserSearchForm(request.args)
    stmt = admin_service.users_query(current_user, form.q.data or "", form.role.data or "")
    page, per_page = _page(), _per_page()
    rows, total = admin_service.page_of(stmt, page, per_page)
    return render_template("admin/users.html", form=form, users=rows, page=page,
                           per_page=per_page, total=total)


@bp.route("/admin/users/<int:user_id>")
def user(user_id: int):
    account = admin_service.get_user(current_user, user_id)
    history, _total = admin_service.page_of(admin_service.audit_query(
        current_user, target_type="user", target_id=account.id), 1, 20)
    return render_template("admin/user.html", account=account, role_form=RoleForm(),
                           block_form=BlockForm(), two_factor_form=ResetTwoFactorForm(),
                           history=history, targets=audit_target_links(history))


@bp.post("/admin/users/<int:user_id>/roles")
def roles(user_id: int):
    form = RoleForm()
    role, action = form.role.data, form.action.data
    if action == "revoke":
        changed = perform(lambda: admin_service.revoke_role(current_user, user_id, role))
        message = _("Role %(role)s revoked.", role=role)
    else:
        changed = perform(lambda: admin_service.grant_role(current_user, user_id, role))
        message = _("Role %(role)s granted.", role=role)
    if changed.value:
        flash(message, "success")
    return redirect(url_for("admin.user", user_id=user_id))


@bp.post("/admin/users/<int:user_id>/block")
def block(user_id: int):
    form = BlockForm()
    if perform(lambda: admin_service.block_user(current_user, user_id, form.reason.data)).value:
        flash(_("The account is blocked."), "success")
    return redirect(url_for("admin.user", user_id=user_id))


@bp.post("/admin/users/<int:user_id>/two-factor/reset")
def reset_two_factor(user_id: int):
    """For a staff member who lost the authenticator and the recovery codes (admins only)."""
    form = ResetTwoFactorForm()
    outcome = perform(lambda: admin_service.reset_two_factor(current_user, user_id,
                                                             form.reason.data), validate=form)
    if outcome.value:
        flash(_("Two-factor sign-in is reset: they were signed out and told by mail. They sign "
                "in with their password and set it up again."), "success")
    elif outcome:
        flash(_("This account has no two-factor sign-in to reset."), "info")
    return redirect(url_for("admin.user", user_id=user_id))


@bp.post("/admin/users/<int:user_id>/unblock")
def unblock(user_id: int):
    form = BlockForm()
    if perform(lambda: admin_service.unblock_user(current_user, user_id, form.reason.data)).value:
        flash(_("The account is unblocked."), "success")
    return redirect(url_for("admin.user", user_id=user_id))


# --- review batches -----------------------------------------------------------------------------

@bp.route("/admin/review", methods=["GET", "POST"])
def review():
    permissions.require(current_user, "manage_batches")
    form = OpenBatchForm()
    status = 200
    if request.method == "POST":
        status = 422
        if form.validate_on_submit() and form.closes_on.data < utcnow().date():
            form.closes_on.errors = [_("The closing date cannot be in the past.")]
        elif not form.errors:
            opened = perform(lambda: review_service.open_batch(
                current_user, form.name.data, form.closes_on.data, form.scoring_ends_on.data),
                form=form)
            if opened:
                batch = opened.value
                flash(_("Batch “%(name)s” is open: %(n)s ideas joined it.", name=batch.name,
                        n=len(batch.items)), "success")
                return redirect(url_for("admin.batch", batch_id=batch.id))
            status = opened.status
    return render_template("admin/review.html", form=form, batches=review_service.batches(),
                           counts=review_service.batch_item_counts(),
                           open_batch=review_service.current_open_batch(),
                           waiting=review_service.waiting_ideas()), status


def _conflicts(rows, reviewers) -> dict[tuple[int, int], str]:
    """(idea id, reviewer id) -> why that reviewer may not review that idea (one query)."""
    conflicts: dict[tuple[int, int], str] = {}
    idea_ids = [item.idea_id for item, _agg in rows]
    reviewer_ids = [person.id for person in reviewers]
    if idea_ids and reviewer_ids:
        for idea_id, user_id in db.session.execute(
                select(Support.idea_id, Support.user_id)
                .where(Support.idea_id.in_(idea_ids), Support.user_id.in_(reviewer_ids))):
            conflicts[(idea_id, user_id)] = "supported"
    for item, _agg in rows:
        for creator in item.idea.creators:
            conflicts[(item.idea_id, creator.user_id)] = \
                "created" if creator.user_id == item.idea.owner_id else "co_created"
    return conflicts


@bp.route("/admin/review/batches/<int:batch_id>")
def batch(batch_id: int):
    batch, rows = review_service.batch_detail(current_user, batch_id)
    reviewers = review_service.reviewers()
    return render_template("admin/batch.html", batch=batch, rows=rows, reviewers=reviewers,
                           conflicts=_conflicts(rows, reviewers), action_form=ActionForm(),
                           assign_form=AssignReviewerForm(),
                           min_reviewers=review_service.min_reviewers(),
                           priority_total=review_service.priority_total(),
                           undecided=sum(1 for item, _agg in rows if item.decision is None))


@bp.post("/admin/review/batches/<int:batch_id>/close")
def close_batch(batch_id: int):
    perform(lambda: review_service.close_batch(current_user, batch_id),
            done=_("The batch is closed: ideas qualifying from now on wait for the next one."))
    return redirect(url_for("admin.batch", batch_id=batch_id))


@bp.post("/admin/review/batches/<int:batch_id>/publish")
def publish_batch(batch_id: int):
    perform(lambda: review_service.publish_batch(current_user, batch_id),
            done=_("The batch is published: the decisions are public and everyone concerned "
                   "has been notified."))
    return redirect(url_for("admin.batch", batch_id=batch_id))


@bp.post("/admin/review/ideas/<int:idea_id>/reviewers")
def assign(idea_id: int):
    permissions.require(current_user, "assign_reviewers")
    reviewer_id = request.form.get("reviewer_id", type=int)
    item = review_service.active_item(idea_id)
    back = url_for("admin.batch", batch_id=item.batch_id) if item else url_for("admin.review")
    assigned = perform(lambda: review_service.assign_reviewer(current_user, idea_id,
                                                              reviewer_id))
    if assigned and assigned.value[1]:  # (the assignment, whether it is new)
        flash(_("Reviewer assigned."), "success")
    return redirect(back)


@bp.post("/admin/review/ideas/<int:idea_id>/reviewers/<int:reviewer_id>/remove")
def unassign(idea_id: int, reviewer_id: int):
    permissions.require(current_user, "assign_reviewers")
    item = review_service.active_item(idea_id)
    back = url_for("admin.batch", batch_id=item.batch_id) if item else url_for("admin.review")
    perform(lambda: review_service.unassign_reviewer(current_user, idea_id, reviewer_id),
            done=_("Reviewer removed."))
    return redirect(back)


# --- audit log ----------------------------------------------------------------------------------

#: Where an audit entry's target is shown: (endpoint, its id parameter) by target type.
_TARGET_PAGES = {
    "idea": ("ideas.detail", "idea_id"), "user": ("admin.user", "user_id"),
    "campaign": ("campaigns.detail", "campaign_id"), "product": ("products.detail", "product_id"),
    "reviewbatch": ("admin.batch", "batch_id"), "survey": ("surveys.results", "survey_id"),
    "cosession": ("cocreation.staff_session", "session_id"),
    "producttest": ("cocreation.staff_test", "test_id"),
    "segment": ("outreach.segment", "segment_id"),
    "announcement": ("outreach.announcement", "announcement_id"),
}


def audit_target_links(entries) -> dict[tuple[str, int], dict[str, str | None]]:
    """For templates/admin/_audit_rows.html: each target's title and the page showing it."""
    links = {}
    for (kind, target_id), target in admin_service.audit_targets(entries).items():
        url = None
        if kind == "comment":
            url = url_for("ideas.detail", idea_id=target["idea_id"], _anchor=f"comment-{target_id}")
        elif kind in _TARGET_PAGES:
            endpoint, param = _TARGET_PAGES[kind]
            url = url_for(endpoint, **{param: target_id})
        links[(kind, target_id)] = {"title": target["title"], "url": url}
    return links


@bp.route("/admin/audit")
def audit():
    permissions.require(current_user, "view_audit")
    actions, target_types = admin_service.audit_choices()
    form = AuditFilterForm(request.args)
    form.action.choices = [SelectChoice("", _("Any action"))] + [SelectChoice(a, audit_action_label(a)) for a in actions]
    form.target_type.choices = [SelectChoice("", _("Any target"))] + \
        [SelectChoice(t, audit_target_label(t)) for t in target_types]
    valid = form.validate() if request.args else True
    filters = {}
    if valid:
        filters = dict(actor=form.actor.data or "", action=form.action.data or "",
                       target_type=form.target_type.data or "", date_from=form.date_from.data,
                       date_to=form.date_to.data)
    page, per_page = _page(), _per_page()
    entries, total = admin_service.page_of(admin_service.audit_query(current_user, **filters),
                                           page, per_page)
    return render_template("admin/audit.html", form=form, entries=entries, page=page,
                           per_page=per_page, total=total,
                           targets=audit_target_links(entries)), 200 if valid else 422
