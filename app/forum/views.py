"""HTML views: the forum (/forum): categories, a category's threads, a thread and its replies,
reports, and the moderators' restore / remove. Thin: each view calls one service function."""
from __future__ import annotations

from flask import abort, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app import permissions
from app.forum import bp
from app.forum.forms import ActionForm, ReplyForm, ReportForm, ThreadForm
from app.permissions import Action
from app.services import forum as service
from app.services.programme import offered_categories
from app.transaction import perform


def _viewer():
    return current_user._get_current_object() if current_user.is_authenticated else None


@bp.get("/forum")
def index():
    return render_template("forum/index.html", categories=offered_categories())


@bp.route("/forum/<slug>", methods=["GET", "POST"])
def category(slug: str):
    category = service.category_named(slug)
    form = ThreadForm()
    if request.method == "POST":
        if form.validate_on_submit():
            started = perform(lambda: service.start_thread(current_user, slug, form.title.data,
                                                           form.body.data),
                              form=form, done=_("Your thread is posted."))
            if started:
                return redirect(url_for("forum.thread", thread_id=started.value.id))
    try:
        page = service.threads_page(_viewer(), category, request.args.get("after") or None)
    except service.BadCursor:
        page = service.threads_page(_viewer(), category)
    status = 422 if request.method == "POST" else 200
    return render_template("forum/category.html", category=category, page=page, form=form,
                           may_post=permissions.can(current_user, Action.POST_IN_FORUM)), status


@bp.route("/forum/threads/<int:thread_id>", methods=["GET", "POST"])
def thread(thread_id: int):
    viewer = _viewer()
    thread = service.get_thread(viewer, thread_id)
    form = ReplyForm()
    if request.method == "POST" and form.validate_on_submit():
        if perform(lambda: service.reply(current_user, thread_id, form.body.data), form=form,
                   done=_("Your reply is posted.")):
            return redirect(url_for("forum.thread", thread_id=thread_id, _anchor="replies"))
    try:
        page = service.replies_page(viewer, thread, request.args.get("after") or None)
    except service.BadCursor:
        page = service.replies_page(viewer, thread)
    status = 422 if request.method == "POST" else 200
    return render_template("forum/thread.html", thread=thread, page=page, form=form,
                           report_form=ReportForm(), action_form=ActionForm(),
                           may_post=permissions.can(current_user, Action.POST_IN_FORUM),
                           may_moderate=permissions.can(current_user, Action.MODERATE)), status


def _back(kind: str, target_id: int, thread_id: int | None):
    if thread_id:
        return redirect(url_for("forum.thread", thread_id=thread_id))
    return redirect(url_for("forum.index"))


@bp.post("/forum/<kind>/<int:target_id>/report")
def report(kind: str, target_id: int):
    if kind not in service.KINDS:
        abort(404)
    form = ReportForm()
    perform(lambda: service.report(current_user, kind, target_id, form.reason.data or ""),
            validate=form, done=_("Thank you: a moderator will look at it."))
    return _back(kind, target_id, request.form.get("thread_id", type=int))


@bp.post("/forum/<kind>/<int:target_id>/<any(restore, remove):decision>")
def moderate(kind: str, target_id: int, decision: str):
    if kind not in service.KINDS:
        abort(404)
    action = service.restore if decision == "restore" else service.remove
    perform(lambda: action(current_user, kind, target_id), validate=ActionForm(),
            done=_("Done."))
    return _back(kind, target_id, request.form.get("thread_id", type=int))
