"""HTML views: supporting, following and discussing an idea; creators' updates; resubmitting
an expired idea. Forms post here and come back to the idea page with a message."""
from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app import lifecycle, permissions, ratelimits, sharing
from app.errors import Forbidden, Unauthorized
from app.extensions import db, limiter
from app.ideas import bp
from app.ideas.engagement_forms import (ActionForm, CommentForm, EditCommentForm, ReportForm,
                                        SupportForm, UpdateForm)
from app.models import Comment, Idea
from app.services import (comments, follows, milestones, moderation, polls, recognition,
                          referrals, resonance, revisions, supports)
from app.transaction import flash_form_errors, perform
from app.markdown import render_markdown
from app.services import ideas as idea_service
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
    viewer_support, following = supports.viewer_state(current_user, idea.id)
    discussion_open = idea.status in lifecycle.PUBLIC and not idea.hidden
    latest = revisions.revisions_of(idea, limit=revisions.CORE_HISTORY)
    pinned, my_answers = polls.polls_with_answers(idea.id, current_user)
    thread = comments.comment_page(idea.id, page_arg("comments_page"), COMMENTS_PER_PAGE) \
        if discussion_open else None
    may_thank = bool(thread and thread.comments) and recognition.may_thank_for(current_user, idea)
    shown_ids = [c.id for t in thread.comments for c in (t, *t.replies)] if thread else []
    idea_reported, reported = moderation.viewer_reports(current_user, idea.id, shown_ids) \
        if discussion_open else (False, set())
    return {
        "resonance": resonance.summary(idea.resonance_row),
        "core_history": revisions.core_history(idea, latest),
        "revision_count": latest[0].number if latest else 0,
        "polls": pinned, "my_answers": my_answers,
        "max_polls": polls.MAX_POLLS,
        "may_see_evidence": permissions.can(current_user, "view_evidence", idea),
        "viewer_support": viewer_support,
        "support_block": _support_block(idea) if viewer_support is None else None,
        "is_following": current_user.is_authenticated and not is_creator and following,
        "discussion_open": discussion_open,
        "thread": thread,
        # creators (and staff) thank a commenter: the comment counts as helpful (one query)
        "may_thank": may_thank,
        "thanked_comments": recognition.thanked_comment_ids(current_user, shown_ids)
        if may_thank else set(),
        # what the member reported already shows "Reported", not "Report" (one query)
        "reported_comments": reported,
        "creator_ids": {c.user_id for c in idea.creators},  # their comments are badged
        "may_report_idea": discussion_open and permissions.can(current_user, "report_idea", idea),
        "idea_reported": idea_reported,
    }


# --- plumbing ------------------------------------------------------------------------------

def _back(idea_id: int, anchor: str = "support"):
    return redirect(url_for("ideas.detail", idea_id=idea_id, _anchor=anchor))


def _sign_in_first(idea_id: int):
    """A visitor posting a form is sent to sign in, then back to the idea (not to the POST)."""
    flash(_("Please sign in first."), "info")
    return redirect(url_for("accounts.login", next=url_for("ideas.detail", idea_id=idea_id)))


def _comment_or_404(comment_id: int) -> Comment:
    """The comment, if it is on an idea this visitor may see: a comment on a hidden idea or a
    draft does not exist to others (not even as a sign-in redirect naming its idea)."""
    comment = db.session.get(Comment, comment_id)
    if comment is None or not permissions.may_view_idea(current_user,
                                                        db.session.get(Idea, comment.idea_id)):
        abort(404)
    return comment


def _preview_page(idea_id: int, kind: str, body: str | None, parent_id: int | None = None):
    """Without JavaScript, "Preview" posts the form here: the text as it will read (the
    renderer used when saving), in the same form, to post or preview again. Nothing is saved."""
    idea = idea_service.get_visible(current_user, idea_id)
    return render_template("ideas/comment_preview.html", idea=idea, kind=kind, body=body or "",
                           parent_id=parent_id, preview_html=render_markdown(body or ""))


# --- support -------------------------------------------------------------------------------

@bp.post("/ideas/<int:idea_id>/support")
@limiter.limit(ratelimits.SUPPORTING)
def support(idea_id: int):
    if not current_user.is_authenticated:
        return _sign_in_first(idea_id)
    form = SupportForm()
    sharer_id = sharing.session_sharer()  # a share link brought this session

    def support_and_attribute():
        support = supports.support_idea(current_user, idea_id, form.answers())
        referrals.record_support(sharer_id, current_user, idea_id)
        return support

    perform(support_and_attribute, validate=form, done=_("Thank you for supporting this idea!"))
    return _back(idea_id)


@bp.post("/ideas/<int:idea_id>/support/withdraw")
@limiter.limit(ratelimits.SUPPORTING)
def withdraw_support(idea_id: int):
    if not current_user.is_authenticated:
        return _sign_in_first(idea_id)
    perform(lambda: supports.withdraw_support(current_user, idea_id),
            validate=ActionForm(), done=_("Your support was withdrawn."))
    return _back(idea_id)


# --- follow --------------------------------------------------------------------------------

@bp.post("/ideas/<int:idea_id>/follow")
def follow(idea_id: int):
    if not current_user.is_authenticated:
        return _sign_in_first(idea_id)
    perform(lambda: follows.follow_idea(current_user, idea_id), validate=ActionForm(),
            done=_("You follow this idea: you will hear about its milestones and updates."))
    return _back(idea_id)


@bp.post("/ideas/<int:idea_id>/unfollow")
def unfollow(idea_id: int):
    if not current_user.is_authenticated:
        return _sign_in_first(idea_id)
    perform(lambda: follows.unfollow_idea(current_user, idea_id), validate=ActionForm(),
            done=_("You no longer follow this idea."))
    return _back(idea_id)


# --- discussion ----------------------------------------------------------------------------

@bp.post("/ideas/<int:idea_id>/comments")
@limiter.limit(ratelimits.POSTING)
def post_comment(idea_id: int):
    if not current_user.is_authenticated:
        return _sign_in_first(idea_id)
    form = CommentForm()
    if request.form.get("preview"):
        return _preview_page(idea_id, "comment", form.body.data, form.parent())
    if form.validate_on_submit():
        posted = perform(lambda: comments.post_comment(current_user, idea_id, form.body.data,
                                                       form.parent()), form=form)
        if posted:  # the page lands on the new comment, which says it is posted
            session["posted_comment"] = posted.value.id
            return _back(idea_id, f"comment-{posted.value.id}")
        if not any(f.errors for f in (form.body, form.parent_id)):
            return _back(idea_id, "comments")  # refused as a whole (flashed): nothing to fix
    elif form.csrf_token.errors:
        flash_form_errors(form)
        return _back(idea_id, "comments")
    # The page again, the text kept and the reason beside it.
    from app.ideas.views import detail_page

    return detail_page(idea_id, comment_form=form), 422


@bp.post("/ideas/<int:idea_id>/updates")
@limiter.limit(ratelimits.POSTING)
def post_update(idea_id: int):
    if not current_user.is_authenticated:
        return _sign_in_first(idea_id)
    form = UpdateForm()
    if request.form.get("preview"):
        return _preview_page(idea_id, "update", form.body.data)
    perform(lambda: comments.post_update(current_user, idea_id, form.body.data), validate=form,
            done=_("Your update was posted; followers and supporters are told."))
    return _back(idea_id, "comments")


@bp.post("/comments/<int:comment_id>/edit")
@limiter.limit(ratelimits.POSTING)
def edit_comment(comment_id: int):
    comment = _comment_or_404(comment_id)
    if not current_user.is_authenticated:
        return _sign_in_first(comment.idea_id)
    back = _back(comment.idea_id, f"comment-{comment.id}")
    form = EditCommentForm()
    perform(lambda: comments.edit_comment(current_user, comment_id, form.body.data),
            validate=form, done=_("Your comment was updated."))
    return back


@bp.post("/comments/<int:comment_id>/delete")
def delete_comment(comment_id: int):
    comment = _comment_or_404(comment_id)
    if not current_user.is_authenticated:
        return _sign_in_first(comment.idea_id)
    back = _back(comment.idea_id, f"comment-{comment.id}")
    perform(lambda: comments.delete_comment(current_user, comment_id), validate=ActionForm(),
            done=_("The comment was deleted."))
    return back


@bp.post("/comments/<int:comment_id>/report")
@limiter.limit(ratelimits.POSTING)
def report_comment(comment_id: int):
    comment = _comment_or_404(comment_id)
    if not current_user.is_authenticated:
        return _sign_in_first(comment.idea_id)
    back = _back(comment.idea_id, f"comment-{comment.id}")
    form = ReportForm()
    perform(lambda: comments.report_comment(current_user, comment_id, form.reason.data or ""),
            validate=form, done=_("Thank you: moderators will look at this comment."))
    return back


@bp.post("/ideas/<int:idea_id>/report")
@limiter.limit(ratelimits.POSTING)
def report_idea(idea_id: int):
    if not current_user.is_authenticated:
        return _sign_in_first(idea_id)
    form = ReportForm()
    perform(lambda: moderation.report_idea(current_user, idea_id, form.reason.data or ""),
            validate=form, done=_("Thank you: moderators will look at this idea."))
    return _back(idea_id, "creators")


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
    new = perform(lambda: milestones.resubmit_expired(current_user, idea_id),
                  validate=ActionForm(),
                  done=_("A new draft was created from your expired idea. Edit it and submit "
                         "it again."))
    if not new:
        return _back(idea_id)
    return redirect(url_for("ideas.detail", idea_id=new.value.id))
