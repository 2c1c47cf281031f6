"""HTML views: supporting, following and discussing an idea; creators' updates; resubmitting
an expired idea. Forms post here and come back to the idea page with a message."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app import permissions, ratelimits
from app.errors import Conflict, Forbidden, Invalid, Unauthorized
from app.extensions import db, limiter
from app.ideas import bp
from app.ideas.engagement_forms import (ActionForm, CommentForm, EditCommentForm, ReportForm,
                                        SupportForm, UpdateForm)
from app.models import Comment, Idea
from app.models.ideas import PUBLIC_STATUSES
from app.services import comments, follows, milestones, supports
from app.web import page_arg

COMMENTS_PER_PAGE = 30


# --- what the idea page's partials show (computed here: templates run no queries) ---------

def _support_block(idea: Idea) -> str | None:
    """Why the current user may not support the idea (a code), or None when they may."""
    if not idea.is_gathering:
        return "not_gathering"
    try:
        permissions.require(current_user, "support", idea)
    except (Forbidden, Unauthorized) as error:
        return error.code
    return None


def idea_page_parts(idea: Idea, is_creator: bool) -> dict[str, Any]:
    """The context of templates/ideas/_support.html and _comments.html for the current user:
    their support and whether they may give one, whether they follow the idea, and the page of
    the discussion asked for (none when the discussion is not shown)."""
    viewer_support = supports.support_of(current_user, idea.id)
    discussion_open = idea.status in PUBLIC_STATUSES and not idea.hidden
    return {
        "viewer_support": viewer_support,
        "support_block": _support_block(idea) if viewer_support is None else None,
        "is_following": current_user.is_authenticated and not is_creator
        and follows.is_following(current_user, idea.id),
        "discussion_open": discussion_open,
        "thread": comments.comment_page(idea.id, page_arg("comments_page"), COMMENTS_PER_PAGE)
        if discussion_open else None,
    }


# --- plumbing ------------------------------------------------------------------------------

def _back(idea_id: int, anchor: str = "support"):
    return redirect(url_for("ideas.detail", idea_id=idea_id, _anchor=anchor))


def _sign_in_first(idea_id: int):
    """A visitor posting a form is sent to sign in, then back to the idea (not to the POST)."""
    flash(_("Please sign in first."), "info")
    return redirect(url_for("accounts.login", next=url_for("ideas.detail", idea_id=idea_id)))


def _flash_form_errors(form) -> None:
    for field_name, errors in form.errors.items():
        label = getattr(getattr(form, field_name, None), "label", None)
        for error in errors:
            flash(f"{label.text}: {error}" if label and field_name != "csrf_token" else error,
                  "error")


def _perform(idea_id: int, anchor: str, action: Callable[[], Any], done: str | None):
    """Run a service call; commit and say `done`, or roll back and say why not."""
    try:
        action()
    except (Conflict, Forbidden, Invalid) as error:
        db.session.rollback()
        if isinstance(error, Invalid) and error.fields:
            for message in error.fields.values():
                flash(message, "error")
        else:
            flash(error.message, "error")
        return _back(idea_id, anchor)
    db.session.commit()
    if done:
        flash(done, "success")
    return _back(idea_id, anchor)


def _comment_or_404(comment_id: int) -> Comment:
    """The comment, if it is on an idea this visitor may see: a comment on a hidden idea or a
    draft does not exist to others (not even as a sign-in redirect naming its idea)."""
    comment = db.session.get(Comment, comment_id)
    if comment is None or not permissions.may_view_idea(current_user,
                                                        db.session.get(Idea, comment.idea_id)):
        abort(404)
    return comment


# --- support -------------------------------------------------------------------------------

@bp.post("/ideas/<int:idea_id>/support")
@limiter.limit(ratelimits.SUPPORTING)
def support(idea_id: int):
    if not current_user.is_authenticated:
        return _sign_in_first(idea_id)
    form = SupportForm()
    if not form.validate_on_submit():
        _flash_form_errors(form)
        return _back(idea_id)
    return _perform(idea_id, "support",
                    lambda: supports.support_idea(current_user, idea_id, form.answers()),
                    _("Thank you for supporting this idea!"))


@bp.post("/ideas/<int:idea_id>/support/withdraw")
@limiter.limit(ratelimits.SUPPORTING)
def withdraw_support(idea_id: int):
    if not current_user.is_authenticated:
        return _sign_in_first(idea_id)
    form = ActionForm()
    if not form.validate_on_submit():
        _flash_form_errors(form)
        return _back(idea_id)
    return _perform(idea_id, "support",
                    lambda: supports.withdraw_support(current_user, idea_id),
                    _("Your support was withdrawn."))


# --- follow --------------------------------------------------------------------------------

@bp.post("/ideas/<int:idea_id>/follow")
def follow(idea_id: int):
    if not current_user.is_authenticated:
        return _sign_in_first(idea_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    return _perform(idea_id, "support", lambda: follows.follow_idea(current_user, idea_id),
                    _("You follow this idea: you will hear about its milestones and updates."))


@bp.post("/ideas/<int:idea_id>/unfollow")
def unfollow(idea_id: int):
    if not current_user.is_authenticated:
        return _sign_in_first(idea_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    return _perform(idea_id, "support", lambda: follows.unfollow_idea(current_user, idea_id),
                    _("You no longer follow this idea."))


# --- discussion ----------------------------------------------------------------------------

@bp.post("/ideas/<int:idea_id>/comments")
@limiter.limit(ratelimits.POSTING)
def post_comment(idea_id: int):
    if not current_user.is_authenticated:
        return _sign_in_first(idea_id)
    form = CommentForm()
    if not form.validate_on_submit():
        _flash_form_errors(form)
        return _back(idea_id, "comments")
    created: list[Comment] = []

    def act() -> None:
        created.append(comments.post_comment(current_user, idea_id, form.body.data,
                                             form.parent()))

    response = _perform(idea_id, "comments", act, None)
    if created:
        return _back(idea_id, f"comment-{created[0].id}")
    return response


@bp.post("/ideas/<int:idea_id>/updates")
@limiter.limit(ratelimits.POSTING)
def post_update(idea_id: int):
    if not current_user.is_authenticated:
        return _sign_in_first(idea_id)
    form = UpdateForm()
    if not form.validate_on_submit():
        _flash_form_errors(form)
        return _back(idea_id, "comments")
    return _perform(idea_id, "comments",
                    lambda: comments.post_update(current_user, idea_id, form.body.data),
                    _("Your update was posted; followers and supporters are told."))


@bp.post("/comments/<int:comment_id>/edit")
@limiter.limit(ratelimits.POSTING)
def edit_comment(comment_id: int):
    comment = _comment_or_404(comment_id)
    if not current_user.is_authenticated:
        return _sign_in_first(comment.idea_id)
    form = EditCommentForm()
    if not form.validate_on_submit():
        _flash_form_errors(form)
        return _back(comment.idea_id, f"comment-{comment.id}")
    return _perform(comment.idea_id, f"comment-{comment.id}",
                    lambda: comments.edit_comment(current_user, comment_id, form.body.data),
                    _("Your comment was updated."))


@bp.post("/comments/<int:comment_id>/delete")
def delete_comment(comment_id: int):
    comment = _comment_or_404(comment_id)
    if not current_user.is_authenticated:
        return _sign_in_first(comment.idea_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    return _perform(comment.idea_id, f"comment-{comment.id}",
                    lambda: comments.delete_comment(current_user, comment_id),
                    _("The comment was deleted."))


@bp.post("/comments/<int:comment_id>/report")
@limiter.limit(ratelimits.POSTING)
def report_comment(comment_id: int):
    comment = _comment_or_404(comment_id)
    if not current_user.is_authenticated:
        return _sign_in_first(comment.idea_id)
    form = ReportForm()
    if not form.validate_on_submit():
        _flash_form_errors(form)
        return _back(comment.idea_id, f"comment-{comment.id}")
    return _perform(comment.idea_id, f"comment-{comment.id}",
                    lambda: comments.report_comment(current_user, comment_id,
                                                    form.reason.data or ""),
                    _("Thank you: moderators will look at this comment."))


@bp.get("/comments/<int:comment_id>/history")
def comment_history(comment_id: int):
    comment, revisions = comments.revisions_of(current_user, comment_id)
    idea = db.session.get(Idea, comment.idea_id)
    return render_template("ideas/comment_history.html", comment=comment, idea=idea,
                           revisions=revisions)


# --- expired ideas -------------------------------------------------------------------------

@bp.post("/ideas/<int:idea_id>/resubmit")
@limiter.limit(ratelimits.POSTING)
def resubmit_expired(idea_id: int):
    if not current_user.is_authenticated:
        return _sign_in_first(idea_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        new = milestones.resubmit_expired(current_user, idea_id)
    except (Conflict, Forbidden) as error:
        db.session.rollback()
        flash(error.message, "error")
        return _back(idea_id)
    db.session.commit()
    flash(_("A new draft was created from your expired idea. Edit it and submit it again."),
          "success")
    return redirect(url_for("ideas.detail", idea_id=new.id))
