"""HTML views of issue 14: refining a published idea and its revisions, the creators' evidence
dashboard, and polls. Thin: each view calls one service function."""
from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app import permissions, ratelimits
from app.errors import Conflict
from app.extensions import limiter
from app.ideas import bp
from app.ideas.forms import ActionForm
from app.ideas.insight_forms import AnswerForm, PollForm, RefineForm, RevertForm
from app.ideas.views import _viewer, insight_guide
from app.services import creator_evidence, polls, revisions
from app.services import ideas as idea_service
from app.transaction import perform

REVISIONS_PER_PAGE = 20


@bp.route("/ideas/<int:idea_id>/refine", methods=["GET", "POST"])
@limiter.limit(ratelimits.POSTING, methods=["POST"])
def refine(idea_id: int):
    idea = idea_service.get_visible(_viewer(), idea_id)
    try:
        permissions.require(current_user, "refine_idea", idea)
    except Conflict as error:
        flash(error.message, "info")
        return redirect(url_for("ideas.detail", idea_id=idea.id))
    form = RefineForm()
    if request.method == "GET":
        form.description.data = idea.description
        for part, text in idea_service.insight.read(idea).items():
            getattr(form, part).data = text
    elif form.validate_on_submit():
        if perform(lambda: revisions.refine_idea(current_user, idea_id, form.values()),
                   form=form, done=_("Your refinement is published. Supporters and followers "
                                     "are told what changed.")):
            return redirect(url_for("ideas.revisions_page", idea_id=idea_id))
    status = 422 if request.method == "POST" else 200
    return render_template("ideas/refine.html", idea=idea, form=form,
                           guide=insight_guide()), status


@bp.get("/ideas/<int:idea_id>/revisions")
def revisions_page(idea_id: int):
    """The idea's revisions, newest first, REVISIONS_PER_PAGE at a time (keyset: ?before=N)."""
    idea = idea_service.get_visible(_viewer(), idea_id)
    before = request.args.get("before", type=int)
    shown = revisions.revisions_of(idea, limit=REVISIONS_PER_PAGE,
                                   before_number=before if before and before > 0 else None)
    more = shown[-1].number if len(shown) == REVISIONS_PER_PAGE else None
    return render_template("ideas/revisions.html", idea=idea, revisions=shown, more=more,
                           core_history=revisions.core_history(
                               idea, revisions.revisions_of(idea, limit=revisions.CORE_HISTORY)),
                           diff=revisions.diff_html, field_label=revisions.field_label,
                           revert_form=RevertForm(),
                           may_revert=permissions.can(current_user, "revert_revision", idea))


@bp.post("/ideas/<int:idea_id>/revisions/<int:revision_id>/revert")
def revert_revision(idea_id: int, revision_id: int):
    form = RevertForm()
    perform(lambda: revisions.revert_revision(current_user, idea_id, revision_id,
                                              form.reason.data),
            validate=form, done=_("The change was reverted; the creators are told why."))
    return redirect(url_for("ideas.revisions_page", idea_id=idea_id))


@bp.get("/ideas/<int:idea_id>/evidence")
def evidence(idea_id: int):
    idea, data = creator_evidence.page_for(_viewer(), idea_id)
    return render_template("ideas/evidence.html", idea=idea, evidence=data,
                           chart=creator_evidence.chart_points(data["supporters_by_day"]))


@bp.post("/ideas/<int:idea_id>/polls")
@limiter.limit(ratelimits.POSTING)
def pin_poll(idea_id: int):
    form = PollForm()
    perform(lambda: polls.pin_poll(current_user, idea_id, form.question.data,
                                   form.option_list()),
            validate=form, done=_("Your poll is pinned to the idea."))
    return redirect(url_for("ideas.detail", idea_id=idea_id, _anchor="polls"))


@bp.post("/polls/<int:poll_id>/answer")
def answer_poll(poll_id: int):
    form = AnswerForm()
    idea_id = request.form.get("idea_id", type=int) or 0
    if not current_user.is_authenticated:
        flash(_("Please sign in first."), "info")
        return redirect(url_for("accounts.login", next=url_for("ideas.detail", idea_id=idea_id)))
    perform(lambda: polls.answer_poll(current_user, poll_id, form.option_id.data),
            validate=form, done=_("Thank you for answering."))
    return redirect(url_for("ideas.detail", idea_id=idea_id, _anchor="polls"))


@bp.post("/polls/<int:poll_id>/remove")
def remove_poll(poll_id: int):
    idea_id = request.form.get("idea_id", type=int) or 0
    perform(lambda: polls.remove_poll(current_user, poll_id), validate=ActionForm(),
            done=_("The poll was removed."))
    return redirect(url_for("ideas.detail", idea_id=idea_id, _anchor="polls"))
