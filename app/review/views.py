"""HTML views: the public review criteria, the reviewer's queue, the scoring page (evidence,
matrix legend, blind scores, decision), and the calibration view."""
from __future__ import annotations

from flask import current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm import selectinload

from app import permissions
from app.errors import Invalid
from app.extensions import db
from app.models import Idea, IdeaCreator
from app.models.review import AXES
from app.review import bp
from app.review.forms import ActionForm, DecisionForm, ReviewNoteForm, ScoreForm
from app.services import resonance, revisions
from app.services import product_tests
from app.services import review as review_service
from app.services import review_results
from app.transaction import flash_form_errors, perform


@bp.route("/review/criteria")
def criteria():
    from app.services.programme import current as current_programme

    config = current_app.config
    return render_template("review/criteria.html", programme=current_programme(),
                           min_reviewers=config["REVIEW_MIN_REVIEWERS"],
                           priority_total=config["REVIEW_PRIORITY_TOTAL"],
                           review_threshold=config["SUPPORT_MILESTONES"][-1],
                           milestones=config["SUPPORT_MILESTONES"],
                           windows=config["SUPPORT_WINDOWS_DAYS"],
                           published_batches=review_results.published_batches())


@bp.route("/review")
def queue():
    permissions.require(current_user, "review")
    queue = review_service.reviewer_queue(current_user)
    return render_template("review/queue.html", queue=queue, action_form=ActionForm(),
                           min_reviewers=review_service.min_reviewers(),
                           coi_message=review_service.coi_message,
                           waiting=len(review_service.waiting_ideas()),
                           open_batch=review_service.current_open_batch())


def _load_idea(idea_id: int) -> Idea:
    idea = db.session.get(Idea, idea_id, options=[
        selectinload(Idea.creators).selectinload(IdeaCreator.user), selectinload(Idea.images),
        selectinload(Idea.category), selectinload(Idea.owner)])
    return permissions.require_visible(current_user, idea)


def _score_form_for(review) -> ScoreForm:
    form = ScoreForm()
    if review is not None and not form.is_submitted():
        for axis in AXES:
            getattr(form, axis).data = review.score(axis)
            getattr(form, f"{axis}_rationale").data = review.rationale(axis)
    return form


def _scoring_page(idea: Idea, score_form: ScoreForm | None = None,
                  decision_form: DecisionForm | None = None, status: int = 200):
    """The scoring page: evidence, matrix legend, own scores, others' (if not blind), decision."""
    user = current_user
    item = review_service.latest_item(idea.id)
    if item is not None:
        item = review_service._load_item(item.id)
    active = item is not None and not item.batch.is_published
    own = next((r for r in item.reviews if r.reviewer_id == user.id), None) if item else None
    conflict = review_service.conflict_of_interest(user, idea)
    can_score = review_service.may_score(user, idea, item)
    sees_scores = review_service.may_see_scores(user, item)
    is_admin = permissions.has_role(user, "admin")
    if decision_form is None:
        decision_form = DecisionForm()
        if item is not None and item.decision and not decision_form.is_submitted():
            decision_form.decision.data = item.decision
            decision_form.message.data = item.decision_message
    assigned = bool(item and any(a.reviewer_id == user.id for a in item.assignments))
    return render_template(
        "review/idea.html", idea=idea, item=item, active=active, own=own, conflict=conflict,
        conflict_message=review_service.coi_message(conflict) if conflict else None,
        can_score=can_score, sees_scores=sees_scores, is_admin=is_admin, assigned=assigned,
        aggregate=review_service.aggregate(list(item.reviews)) if item and sees_scores else None,
        evidence=review_service.evidence(idea),
        resonance=resonance.summary(resonance.kept(idea.id)),
        current_revision=revisions.latest_revision(idea.id),
        scored_revision=revisions.revision_number(own.revision_id) if own else None,
        tester_results=product_tests.results_for_idea(idea.id) if sees_scores else None,
        score_form=score_form or _score_form_for(own), decision_form=decision_form,
        action_form=ActionForm(), min_reviewers=review_service.min_reviewers(),
        priority_total=review_service.priority_total()), status


@bp.route("/review/ideas/<int:idea_id>")
def idea(idea_id: int):
    permissions.require(current_user, "review")
    return _scoring_page(_load_idea(idea_id))


#: The service's field names for the rationale ("rationale.<axis>") on the form ("<axis>_rationale").
RATIONALE_FIELDS = {f"rationale.{axis}": f"{axis}_rationale" for axis in AXES}


@bp.post("/review/ideas/<int:idea_id>/scores")
def score(idea_id: int):
    permissions.require(current_user, "score")
    idea = _load_idea(idea_id)
    # CSRFProtect has checked the token; the service checks every value (and conflicts of
    # interest and closed reviews outrank form errors), so the form only carries the input.
    form = ScoreForm()
    scores = {axis: getattr(form, axis).data for axis in AXES}
    rationale = {axis: getattr(form, f"{axis}_rationale").data or "" for axis in AXES}
    scored = perform(lambda: review_service.score_idea(current_user, idea.id, scores, rationale),
                     form=form, rename=RATIONALE_FIELDS,
                     done=_("Your scores are saved. You can revise them until the decision."))
    if scored:
        return redirect(url_for("review.idea", idea_id=idea_id))
    if isinstance(scored.error, Invalid):
        flash(_("Check the scores and rationale."), "error")
    return _scoring_page(_load_idea(idea_id), score_form=form, status=scored.status)


@bp.post("/review/ideas/<int:idea_id>/take")
def take(idea_id: int):
    taken = perform(lambda: review_service.take_idea(current_user, idea_id))
    if taken and taken.value[1]:  # (the assignment, whether it is new)
        flash(_("You took this idea: it is in your queue."), "success")
    return redirect(url_for("review.idea", idea_id=idea_id))


@bp.post("/review/ideas/<int:idea_id>/decision")
def decide(idea_id: int):
    permissions.require(current_user, "decide")
    idea = _load_idea(idea_id)
    form = DecisionForm()
    decided = perform(lambda: review_service.decide(current_user, idea.id, form.decision.data,
                                                    form.message.data or ""),
                      form=form,
                      done=_("Decision saved. It stays private until the batch is published."))
    if decided:
        return redirect(url_for("review.idea", idea_id=idea_id))
    return _scoring_page(_load_idea(idea_id), decision_form=form, status=decided.status)


@bp.route("/review/batches/<int:batch_id>/calibration")
def calibration(batch_id: int):
    permissions.require(current_user, "review")
    return _calibration_page(batch_id)


def _calibration_page(batch_id: int, note_form: ReviewNoteForm | None = None,
                      note_item_id: int | None = None, status: int = 200):
    """The calibration table and, under it, the reviewers' notes on each idea; a refused note
    comes back in `note_form` beside the form of item `note_item_id`."""
    batch, rows = review_service.calibration(current_user, batch_id)
    return render_template("review/calibration.html", batch=batch, rows=rows,
                           flag=review_service.SPREAD_FLAG,
                           notes=review_service.notes_for_rows(current_user, rows),
                           note_form=note_form or ReviewNoteForm(formdata=None),
                           note_item_id=note_item_id,
                           is_admin=permissions.has_role(current_user, "admin")), status


@bp.post("/review/items/<int:item_id>/notes")
def add_note(item_id: int):
    """A note on one idea of a batch, from its calibration row."""
    item = review_service.notes_of(current_user, item_id)[0]  # 403/404 before anything
    form = ReviewNoteForm()
    if form.validate_on_submit():
        if perform(lambda: review_service.add_note(current_user, item_id, form.body.data),
                   form=form, done=_("Your note is added.")):
            return redirect(url_for("review.calibration", batch_id=item.batch_id,
                                    _anchor=f"notes-{item_id}"))
    elif form.csrf_token.errors:
        flash_form_errors(form)
    return _calibration_page(item.batch_id, form, item_id, 422)
