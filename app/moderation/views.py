"""HTML views: the moderation queue, one idea's moderation page (decide, hide, merge), and
blocking accounts. Moderators and admins only. (Reported comments live in another module.)"""
from __future__ import annotations

from flask import current_app, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app import permissions
from app.extensions import db
from app.models import AuditLog, Idea, User
from app.moderation import bp
from app.moderation.forms import DecisionForm, MergeForm, OptionalReasonForm, ReasonForm
from app.services import insight, revisions
from app.services import ideas as idea_service
from app.services import moderation as moderation_service
from app.transaction import perform


def _tabs() -> dict:
    """The moderation tabs; the reported-comments tab appears when its view exists."""
    return {"has_reports": "moderation.reports" in current_app.view_functions}


def _back_to(idea_id: int | None = None):
    target = request.form.get("next")
    if target == "queue" or idea_id is None:
        return redirect(url_for("moderation.queue"))
    return redirect(url_for("moderation.idea", idea_id=idea_id))


@bp.get("/moderation")
def queue():
    ideas = moderation_service.queue(current_user)
    return render_template("moderation/queue.html", ideas=ideas, form=DecisionForm(),
                           tab="queue", **_tabs())


@bp.get("/moderation/ideas/<int:idea_id>")
def idea(idea_id: int):
    permissions.require(current_user, "moderate")
    item = idea_service.get_visible(current_user, idea_id)
    audit = list(db.session.scalars(
        select(AuditLog).where(AuditLog.target_type == "idea", AuditLog.target_id == item.id)
        .options(selectinload(AuditLog.actor)).order_by(AuditLog.created_at.desc()).limit(50)))
    merged_into = db.session.get(Idea, item.merged_into_id) if item.merged_into_id else None
    return render_template(
        "moderation/idea.html", idea=item, history=idea_service.events_of(item), audit=audit,
        merged_into=merged_into, decision_form=DecisionForm(), hide_form=ReasonForm(),
        unhide_form=OptionalReasonForm(), merge_form=MergeForm(), block_form=ReasonForm(),
        unblock_form=OptionalReasonForm(),
        insight_checks=insight.checklist(insight.read(item)),
        similar=idea_service.similar_ideas(current_user, item.title, item.pitch, 5,
                                           exclude_id=item.id),
        tab="queue", **_tabs())


@bp.post("/moderation/ideas/<int:idea_id>/decide")
def decide(idea_id: int):
    form = DecisionForm()
    labels = {"publish": _("The idea is published."),
              "needs_changes": _("The idea was sent back to its creators for changes."),
              "reject": _("The idea was rejected.")}
    perform(lambda: moderation_service.decide(current_user, idea_id, form.decision.data,
                                              form.reason.data),
            validate=form, done=labels.get(form.decision.data or "", ""))
    return _back_to(idea_id)


@bp.post("/moderation/ideas/<int:idea_id>/hide")
def hide(idea_id: int):
    form = ReasonForm()
    perform(lambda: moderation_service.hide_idea(current_user, idea_id, form.reason.data),
            validate=form, done=_("The idea is hidden."))
    return _back_to(idea_id)


@bp.post("/moderation/ideas/<int:idea_id>/unhide")
def unhide(idea_id: int):
    form = OptionalReasonForm()
    perform(lambda: moderation_service.unhide_idea(current_user, idea_id, form.reason.data),
            validate=form, done=_("The idea is visible again."))
    return _back_to(idea_id)


@bp.post("/moderation/ideas/<int:idea_id>/merge")
def merge(idea_id: int):
    form = MergeForm()
    merged = perform(lambda: moderation_service.merge_ideas(
        current_user, idea_id, form.target_id.data, form.reason.data),
        validate=form, done=_("The ideas were merged; supporters were combined."))
    if merged:
        return redirect(url_for("moderation.idea", idea_id=merged.value.id))
    return _back_to(idea_id)


@bp.get("/moderation/hidden")
def hidden():
    return render_template("moderation/hidden.html",
                           ideas=moderation_service.hidden_ideas(current_user),
                           tab="hidden", **_tabs())


@bp.get("/moderation/refinements")
def refinements():
    """Refinements of ideas gathering support, newest first (keyset: ?before=<revision id>)."""
    before = request.args.get("before", type=int)
    shown = revisions.to_moderate(current_user,
                                  before_id=before if before and before > 0 else None)
    more = shown[-1][0].id if len(shown) == revisions.PAGE_REVISIONS else None
    return render_template("moderation/refinements.html", items=shown, more=more,
                           diff=revisions.diff_html, field_label=revisions.field_label,
                           tab="refinements", **_tabs())


@bp.get("/moderation/users")
def users():
    email = (request.args.get("email") or "").strip()[:254]
    found = moderation_service.find_user(current_user, email) if email else None
    return render_template("moderation/users.html", email=email, found=found,
                           blocked=moderation_service.blocked_users(current_user),
                           block_form=ReasonForm(), unblock_form=OptionalReasonForm(),
                           tab="users", **_tabs())


@bp.post("/moderation/users/<int:user_id>/block")
def block(user_id: int):
    form = ReasonForm()
    perform(lambda: moderation_service.block_user(current_user, user_id, form.reason.data),
            validate=form, done=_("The account is blocked."))
    return _back_user(user_id)


@bp.post("/moderation/users/<int:user_id>/unblock")
def unblock(user_id: int):
    form = OptionalReasonForm()
    perform(lambda: moderation_service.unblock_user(current_user, user_id, form.reason.data),
            validate=form, done=_("The account is unblocked."))
    return _back_user(user_id)


def _back_user(user_id: int):
    idea_id = request.form.get("idea_id", type=int)
    if idea_id:
        return redirect(url_for("moderation.idea", idea_id=idea_id))
    user = db.session.get(User, user_id)
    return redirect(url_for("moderation.users", email=user.email if user else None))
