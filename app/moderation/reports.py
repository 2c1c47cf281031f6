"""HTML views: moderators decide on reported comments and forum posts (restore or remove), in
one queue."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app import permissions
from app.ideas.engagement_forms import ModerationForm
from app.moderation import bp
from app.services import comments
from app.services import forum, moderation
from app.transaction import perform


@bp.get("/moderation/reports")
def reports():
    items = comments.reported_comments(current_user)
    return render_template("moderation/reports.html", items=items,
                           forum_items=forum.reported(current_user),
                           targets=moderation.reported_targets(current_user))


def _decide(comment_id: int, decide, done: str):
    permissions.require(current_user, "moderate")
    form = ModerationForm()
    if not form.validate_on_submit():
        flash(_("The reason is too long."), "error")
        return redirect(url_for("moderation.reports"))
    perform(lambda: decide(current_user, comment_id, (form.reason.data or "").strip() or None),
            done=done)
    return redirect(url_for("moderation.reports"))


@bp.post("/moderation/comments/<int:comment_id>/restore")
def restore_comment(comment_id: int):
    return _decide(comment_id, comments.restore_comment,
                   _("The comment is visible again; its reports are closed."))


@bp.post("/moderation/comments/<int:comment_id>/remove")
def remove_comment(comment_id: int):
    return _decide(comment_id, comments.remove_comment,
                   _("The comment was removed; its reports are closed."))


@bp.post("/moderation/forum/<kind>/<int:target_id>/<any(restore, remove):decision>")
def decide_forum_post(kind: str, target_id: int, decision: str):
    if kind not in forum.KINDS:
        abort(404)
    decide = forum.restore if decision == "restore" else forum.remove
    done = (_("The post is visible again; its reports are closed.") if decision == "restore"
            else _("The post was removed; its reports are closed."))
    return _decide(target_id, lambda moderator, post_id, reason: decide(moderator, kind, post_id,
                                                                        reason), done)


@bp.post("/moderation/reported/<any(idea, user):kind>/<int:target_id>/<any(restore, remove):decision>")
def decide_reported(kind: str, target_id: int, decision: str):
    """Reports of an idea or a member: dismissed (restore) or upheld (remove: the idea is hidden,
    the member blocked; both need a reason)."""
    uphold = decision == "remove"
    decide = moderation.decide_idea_reports if kind == "idea" else moderation.decide_member_reports
    if kind == "idea":
        done = _("The idea is hidden; its reports are closed.") if uphold else \
            _("The reports on this idea are closed.")
    else:
        done = _("The member is blocked; the reports are closed.") if uphold else \
            _("The reports on this member are closed.")
    return _decide(target_id, lambda moderator, target, reason: decide(moderator, target, uphold,
                                                                       reason), done)
