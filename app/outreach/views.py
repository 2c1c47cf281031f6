"""HTML views: announcements (write, preview the recipients, send) and saved segments for
community managers and admins; a member's page for an announcement sent to them. Thin: each view
calls one function of app.services.announcements or app.services.segments."""
from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select
from wtforms import SelectChoice

from app import permissions
from app.admin.forms import ActionForm
from app.errors import Unauthorized
from app.extensions import db
from app.models import Category
from app.outreach import bp
from app.outreach.forms import RENAME, AnnouncementForm, SavedSegmentForm
from app.permissions import Action
from app.services import announcements as announcement_service
from app.services import segments as segment_service
from app.transaction import perform


def _category_choices(form) -> None:
    categories = db.session.scalars(select(Category).order_by(Category.position, Category.name))
    ja = str(get_locale()) == "ja"
    form.categories.choices = [SelectChoice(c.slug, c.name_ja if ja and c.name_ja else c.name)
                               for c in categories]


def _segment_choices(form) -> None:
    saved = segment_service.saved_segments(current_user)
    form.segment_id.choices = [SelectChoice(0, _("The filters below"))] + [
        SelectChoice(s.id, s.name) for s in saved]


def _announcement_form(announcement=None) -> AnnouncementForm:
    form = AnnouncementForm()
    _category_choices(form)
    _segment_choices(form)
    if announcement is not None and request.method == "GET":
        form.title_en.data, form.title_ja.data = announcement.title_en, announcement.title_ja
        form.body_en.data, form.body_ja.data = announcement.body_en, announcement.body_ja
        form.segment_id.data = announcement.segment_id or 0
        if not announcement.segment_id:
            form.fill(announcement.segment_spec)
    return form


def _chosen_spec(form: AnnouncementForm) -> tuple[dict[str, Any], int | None]:
    """The spec of the saved segment chosen, else the filters filled in."""
    if form.segment_id.data:
        saved = segment_service.get_segment(current_user, form.segment_id.data)
        return saved.spec, saved.id
    return form.segment_spec(), None


def _compose(form: AnnouncementForm, save):
    """Preview or save the announcement form; the page to answer with."""
    preview = None
    status = 200
    if request.method == "POST":
        status = 422
        if form.validate_on_submit():
            spec, segment_id = _chosen_spec(form)
            if form.preview.data:
                shown = perform(lambda: announcement_service.audience_preview(current_user, spec),
                                form=form, rename=RENAME)
                preview, status = shown.value, shown.status
            else:
                titles, bodies = form.texts()
                saved = perform(lambda: save(titles, bodies, spec, segment_id), form=form,
                                rename=RENAME)
                if saved:
                    flash(_("The draft is saved. Check the recipients, then send it."), "success")
                    return redirect(url_for("outreach.announcement",
                                            announcement_id=saved.value.id))
                status = saved.status
    return render_template("outreach/compose.html", form=form, preview=preview,
                           editing=getattr(save, "announcement", None)), status


ANNOUNCEMENT_STATUSES = {"draft": _l("draft"), "sending": _l("sending"), "sent": _l("sent")}


@bp.app_template_global("announcement_status")
def announcement_status(status: str) -> str:
    return str(ANNOUNCEMENT_STATUSES.get(status, status))


@bp.app_template_global("describe_segment")
def describe_segment(spec: dict) -> list[tuple[str, str]]:
    return segment_service.describe(spec)


# --- announcements ---------------------------------------------------------------------------------

@bp.route("/outreach/announcements")
def announcements():
    permissions.require(current_user, Action.MANAGE_ANNOUNCEMENTS)
    before = request.args.get("before", type=int)
    rows, next_before = announcement_service.announcements_page(current_user, before=before)
    return render_template("outreach/announcements.html", announcements=rows,
                           next_before=next_before)


@bp.route("/outreach/announcements/new", methods=["GET", "POST"])
def new_announcement():
    permissions.require(current_user, Action.MANAGE_ANNOUNCEMENTS)

    def save(titles, bodies, spec, segment_id):
        return announcement_service.create_announcement(current_user, titles, bodies, spec,
                                                        segment_id=segment_id)

    return _compose(_announcement_form(), save)


@bp.route("/outreach/announcements/<int:announcement_id>/edit", methods=["GET", "POST"])
def edit_announcement(announcement_id: int):
    announcement = announcement_service.get_announcement(current_user, announcement_id)
    if announcement.status != "draft":
        flash(_("Only a draft can be changed."), "error")
        return redirect(url_for("outreach.announcement", announcement_id=announcement.id))

    def save(titles, bodies, spec, segment_id):
        return announcement_service.update_announcement(current_user, announcement_id, titles,
                                                        bodies, spec, segment_id=segment_id)

    save.announcement = announcement
    return _compose(_announcement_form(announcement), save)


@bp.route("/outreach/announcements/<int:announcement_id>")
def announcement(announcement_id: int):
    announcement = announcement_service.get_announcement(current_user, announcement_id)
    audience = announcement_service.audience(announcement.segment_spec) \
        if announcement.status == "draft" else None
    return render_template("outreach/announcement.html", announcement=announcement,
                           audience=audience, filters=segment_service.describe(
                               announcement.segment_spec), send_form=ActionForm())


@bp.post("/outreach/announcements/<int:announcement_id>/send")
def send_announcement(announcement_id: int):
    perform(lambda: announcement_service.send_announcement(current_user, announcement_id),
            validate=ActionForm(),
            done=_("Sending started: members are told in batches, each of them once."))
    return redirect(url_for("outreach.announcement", announcement_id=announcement_id))


# --- saved segments --------------------------------------------------------------------------------

def _segment_page(form: SavedSegmentForm, save, segment=None):
    preview = None
    status = 200
    if request.method == "POST":
        status = 422
        if form.validate_on_submit():
            spec = form.segment_spec()
            if form.preview.data:
                shown = perform(lambda: segment_service.preview_for(current_user, spec),
                                form=form, rename=RENAME)
                preview, status = shown.value, shown.status
            else:
                saved = perform(lambda: save(form.name.data, spec), form=form, rename=RENAME,
                                done=_("The segment is saved."))
                if saved:
                    return redirect(url_for("outreach.segment", segment_id=saved.value.id))
                status = saved.status
    return render_template("outreach/segments.html" if segment is None else
                           "outreach/segment.html", form=form, preview=preview, segment=segment,
                           segments=segment_service.saved_segments(current_user),
                           delete_form=ActionForm()), status


@bp.route("/outreach/segments", methods=["GET", "POST"])
def segments():
    permissions.require(current_user, Action.MANAGE_SEGMENTS)
    form = SavedSegmentForm()
    _category_choices(form)
    return _segment_page(form, lambda name, spec: segment_service.create_segment(
        current_user, name, spec))


@bp.route("/outreach/segments/<int:segment_id>", methods=["GET", "POST"])
def segment(segment_id: int):
    saved = segment_service.get_segment(current_user, segment_id)
    form = SavedSegmentForm()
    _category_choices(form)
    if request.method == "GET":
        form.name.data = saved.name
        form.fill(saved.spec)
    return _segment_page(form, lambda name, spec: segment_service.update_segment(
        current_user, segment_id, {"name": name, "spec": spec}), segment=saved)


@bp.post("/outreach/segments/<int:segment_id>/delete")
def delete_segment(segment_id: int):
    deleted = perform(lambda: segment_service.delete_segment(current_user, segment_id),
                      validate=ActionForm(), done=_("The segment is deleted."))
    if not deleted:
        return redirect(url_for("outreach.segment", segment_id=segment_id))
    return redirect(url_for("outreach.segments"))


# --- what a member reads ---------------------------------------------------------------------------

@bp.route("/announcements/<int:announcement_id>")
def read(announcement_id: int):
    if not current_user.is_authenticated:
        raise Unauthorized("sign_in_required", "Please sign in first.")
    announcement = announcement_service.for_member(current_user, announcement_id)
    return render_template("outreach/read.html", announcement=announcement,
                           locale=str(get_locale()))
