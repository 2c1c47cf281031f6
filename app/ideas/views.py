"""HTML views: posting and editing ideas, images, co-creators, consent and submission, the idea
page and its images. Thin: each view translates HTTP to one service call and back.
(Browsing lives in browse.py; support, follows and comments in engagement.py.)"""
from __future__ import annotations

import re
from typing import Any

from flask import (abort, current_app, flash, jsonify, redirect, render_template, request,
                   session,
                   url_for)
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from markupsafe import Markup
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app import labels, lifecycle, permissions, ratelimits, sharing, storage
from app.errors import Conflict, DomainError, Forbidden
from app.extensions import db, limiter
from app.ideas import bp
from app.ideas.engagement import idea_page_parts
from app.ideas.forms import (ActionForm, ConsentForm, IdeaForm, ImageForm, InviteForm,
                             ShareForm, WithdrawForm)
from app.images import OUTPUT_CONTENT_TYPE
from app.markdown import render_markdown
from app.models import Idea
from app.models.base import is_row_id
from app.services import campaigns as campaign_service
from app.services import ideas as idea_service
from app.services import insight
from app.services import review as review_service
from app.transaction import SHOWN_ON_THE_PAGE, flash_form_errors, perform, transaction

IMAGE_KEY = re.compile(r"[a-z0-9]{1,64}")
SIMILAR_LIMIT = 5
# Event kinds whose reason anyone may read (others' reasons are for creators and staff).
PUBLIC_REASON_KINDS = ("milestone_reached", "qualified", "expired", "withdrawn", "merged",
                       "merged_from")


def insight_guide() -> dict:
    """What templates/ideas/_insight_steps.html shows: each part's question and example, and
    the rules for the live hints, translated."""
    return {
        "parts": insight.PARTS, "required": tuple(insight.REQUIRED),
        "minimum": {part: insight.minimum(part) for part in insight.PARTS},
        "questions": insight.QUESTIONS, "examples": insight.EXAMPLES,
        "core_template": str(insight.CORE_TEMPLATE),
        "rules": {**insight.hints(), "messages": {
            "minimum": _("At least %(n)s characters (a Japanese character counts two)."),
            "short": _("%(n)s more characters needed."),
            "placeholder": _("This looks like placeholder text. Write what is true for the "
                             "person, in a sentence."),
            "ok": _("Looks good."),
            "previous": _("Your last answer:"),
            "progress": _("%(done)s of %(total)s required parts done."),
        }},
    }


def _viewer():
    return current_user._get_current_object() if current_user.is_authenticated else None


def _client() -> dict[str, str]:
    return {"ip_address": request.remote_addr or "",
            "user_agent": request.user_agent.string or ""}


def _to_edit(idea_id: int, anchor: str | None = None):
    return redirect(url_for("ideas.edit", idea_id=idea_id, _anchor=anchor))


def _editing_context(idea: Idea, invite_form: InviteForm | None = None) -> dict:
    """What the edit page shows besides the form (constant queries); `invite_form` is a posted
    invitation shown again with its errors beside its fields."""
    agreement = idea_service.current_agreement()
    consents = idea_service.consent_status(idea, agreement)
    return {
        "idea": idea,
        "image_form": ImageForm(),
        "invite_form": invite_form or InviteForm(formdata=None),
        "action_form": ActionForm(),
        "max_images": current_app.config["IDEA_MAX_IMAGES"],
        "similar": idea_service.similar_ideas(_viewer(), idea.title, idea.pitch,
                                              SIMILAR_LIMIT, exclude_id=idea.id),
        "consents": consents,
        "waiting": [c for c in idea.creators if not c.is_owner and not consents[c.user_id]],
        "invitations": idea_service.pending_invitations(idea),
        "agreement": agreement,
        "missing": idea_service.missing_for_submission(idea),
        "insight_checks": insight.checklist(insight.read(idea)),
        "guide": insight_guide(),
        "is_owner": permissions.is_owner(current_user, idea),
        "format_share": idea_service.format_share,
    }


def _idea_form(idea: Idea, *, filled: bool = True, **kwargs) -> IdeaForm:
    """The edit form, holding the idea's current values when `filled`."""
    form = IdeaForm(obj=None, **kwargs)
    form.set_categories(idea_service.categories(keep=idea.category))
    if filled:
        form.title.data, form.pitch.data = idea.title, idea.pitch
        form.description.data = idea.description
        form.category.data = idea.category.slug if idea.category else ""
        form.tags.data = ", ".join(tag.name for tag in idea.tags)
        form.fill_insight(idea)
    return form


# --- drafting -------------------------------------------------------------------------------

def _description_preview(form) -> Markup | None:
    """The description as it will read, when the form was posted with "Preview" (nothing is
    saved; the other fields come back as typed). None otherwise."""
    if request.method != "POST" or not request.form.get("preview"):
        return None
    return render_markdown(form.description.data or "")


@bp.route("/ideas/new", methods=["GET", "POST"])
@limiter.limit(ratelimits.POSTING, methods=["POST"])
def new():
    try:
        permissions.require(current_user, "create_idea")
    except Forbidden as refused:
        return render_template("ideas/new.html", form=None, refused=refused.message), 403
    form = IdeaForm()
    form.set_categories(idea_service.categories())
    # Open campaigns the idea may be entered into (?campaign_id= preselects one).
    open_campaigns = campaign_service.open_campaigns()
    chosen = request.values.get("campaign_id", type=int)
    preview_html = _description_preview(form)
    if preview_html is None and form.validate_on_submit():
        values = form.values()
        if chosen:
            values["campaign_id"] = chosen
            values["campaign_answers"] = {
                key[len(f"answer_{chosen}_"):]: value for key, value in request.form.items()
                if key.startswith(f"answer_{chosen}_")}
        created = perform(lambda: idea_service.create_draft(current_user, values),
                          form=form, done=_("Your draft is saved. Add pictures and co-creators, "
                                            "then submit it when it is ready."))
        if created:
            return _to_edit(created.value.id)
    status = 422 if request.method == "POST" and preview_html is None else 200
    return render_template("ideas/new.html", form=form, similar=None,
                           open_campaigns=open_campaigns, chosen_campaign=chosen,
                           guide=insight_guide(), preview_html=preview_html), status


@bp.route("/ideas/<int:idea_id>/edit", methods=["GET", "POST"])
@limiter.limit(ratelimits.POSTING, methods=["POST"])
def edit(idea_id: int):
    idea = idea_service.get_visible(_viewer(), idea_id)
    try:
        idea_service.require_editing(current_user, idea)
    except Conflict as error:
        flash(error.message, "info")
        return redirect(url_for("ideas.detail", idea_id=idea.id))
    form = _idea_form(idea, filled=request.method == "GET")
    if request.method == "POST" and not request.form.get("preview") and form.validate_on_submit():
        if perform(lambda: idea_service.update_idea(current_user, idea_id, form.values()),
                   form=form, done=_("Your changes are saved.")):
            return _to_edit(idea_id)
        idea = idea_service.get_visible(_viewer(), idea_id)
    preview_html = _description_preview(form)
    status = 422 if request.method == "POST" and preview_html is None else 200
    return render_template("ideas/edit.html", form=form, preview_html=preview_html,
                           **_editing_context(idea)), status


@bp.get("/ideas/similar")
def similar():
    """An HTML fragment: ideas like the title being drafted (fetched by static/js/ideas.js)."""
    title = (request.args.get("title") or "")[:idea_service.TITLE_MAX]
    pitch = (request.args.get("pitch") or "")[:idea_service.PITCH_MAX]
    exclude = request.args.get("exclude", type=int)
    exclude = exclude if is_row_id(exclude) else None
    ideas = idea_service.similar_ideas(_viewer(), title, pitch, SIMILAR_LIMIT,
                                       exclude_id=exclude)
    return render_template("ideas/_similar.html", similar=ideas, checked=bool(title.strip()))


@bp.post("/ideas/<int:idea_id>/delete")
def delete(idea_id: int):
    if perform(lambda: idea_service.delete_draft(current_user, idea_id),
               validate=ActionForm(), done=_("The draft was deleted.")):
        return redirect(url_for("accounts.dashboard"))
    return redirect(url_for("ideas.detail", idea_id=idea_id))


@bp.post("/ideas/<int:idea_id>/withdraw")
def withdraw(idea_id: int):
    form = WithdrawForm()
    perform(lambda: idea_service.withdraw_idea(current_user, idea_id, form.reason.data),
            validate=form, done=_("Your idea was withdrawn."))
    return redirect(url_for("ideas.detail", idea_id=idea_id))


# --- images ---------------------------------------------------------------------------------

def _wants_json() -> bool:
    """static/js/upload.js sends one file per request and reads the answer as JSON."""
    return request.accept_mimetypes.best_match(["text/html", "application/json"]) \
        == "application/json"


def _refusal_text(error: DomainError) -> str:
    fields = getattr(error, "fields", None) or {}
    return "; ".join(labels.translated(m) for m in fields.values()) or \
        labels.translated(error.message)


@bp.post("/ideas/<int:idea_id>/images")
@limiter.limit(ratelimits.POSTING)
def upload_image(idea_id: int):
    """One picture or several (the file input takes many; static/js/upload.js sends them one
    by one): each is processed and stored in its own transaction, in the order chosen, so a
    refused file does not lose the others; the idea's image limit or the day's upload quota
    stops the rest."""
    form = ImageForm()
    if not form.validate_on_submit():
        if _wants_json():
            return jsonify(error="; ".join(str(m) for ms in form.errors.values() for m in ms)), 422
        flash_form_errors(form)
        return _to_edit(idea_id, "images")
    uploads = [upload for upload in request.files.getlist(form.file.name) if upload]
    added, refused = 0, []
    for upload in uploads[:current_app.config["IDEA_MAX_IMAGES"]]:
        try:
            with transaction():
                image = idea_service.add_image(current_user, idea_id, upload.read())
        except SHOWN_ON_THE_PAGE as error:
            refused.append((upload.filename or "", error))
            if error.code in ("too_many_images", "too_many_uploads"):
                break  # the others would be refused alike
            continue
        added += 1
    if _wants_json():
        if refused or not added:
            if not refused:
                return jsonify(error=_("Choose an image file.")), 422
            _name, error = refused[0]
            return jsonify(error=_refusal_text(error), code=error.code), error.status
        return jsonify(id=image.id, thumb=url_for("ideas.image", key=image.key, size="thumb"),
                       count=idea_service.image_count(idea_id)), 201
    if added:
        flash(ngettext("The picture was added.", "%(num)s pictures were added.", added), "success")
    for name, error in refused:
        flash(f"{name}: {_refusal_text(error)}" if name else _refusal_text(error), "error")
    return _to_edit(idea_id, "images")


@bp.post("/ideas/<int:idea_id>/images/<int:image_id>/<any(cover, left, right):move>")
def move_image(idea_id: int, image_id: int, move: str):
    def act() -> None:
        if move == "cover":
            idea_service.make_cover(current_user, idea_id, image_id)
            return
        idea = idea_service.get_visible(current_user, idea_id)
        index = next((i for i, image in enumerate(idea.images) if image.id == image_id), 0)
        idea_service.move_image(current_user, idea_id, image_id,
                                index - 1 if move == "left" else index + 1)

    perform(act, validate=ActionForm(),
            done=_("This picture is now the cover.") if move == "cover" else None)
    return _to_edit(idea_id, "images")


@bp.post("/ideas/<int:idea_id>/images/<int:image_id>/delete")
def delete_image(idea_id: int, image_id: int):
    perform(lambda: idea_service.delete_image(current_user, idea_id, image_id),
            validate=ActionForm(), done=_("The picture was removed."))
    return _to_edit(idea_id, "images")


@bp.get("/media/<key>/<size>")
def image(key: str, size: str):
    """An idea image, only for viewers who may see its idea; cached by everyone only while
    the idea is public (app.storage.send)."""
    if not IMAGE_KEY.fullmatch(key):
        abort(404)
    name, public = idea_service.image_to_serve(current_user, key, size)
    try:
        return storage.send(name, OUTPUT_CONTENT_TYPE, public=public)
    except FileNotFoundError:
        abort(404)


# --- co-creators and consent ----------------------------------------------------------------

@bp.post("/ideas/<int:idea_id>/creators")
def invite(idea_id: int):
    form = InviteForm()
    if form.validate_on_submit():
        if perform(lambda: idea_service.invite_co_creator(current_user, idea_id, form.email.data,
                                                          form.bps),
                   form=form, rename={"share_bps": "share_percent"}, conflict_field="email",
                   done=_("The invitation is on its way. They must accept it, the agreement "
                          "and their share before you can submit.")):
            return _to_edit(idea_id, "co-creators")
    elif form.csrf_token.errors:
        flash_form_errors(form)
        return _to_edit(idea_id, "co-creators")
    # Refused: the edit page again, the address kept and the reason beside the field.
    idea = idea_service.get_visible(_viewer(), idea_id)
    try:
        idea_service.require_editing(current_user, idea)
    except Conflict as error:
        flash(error.message, "error")
        return redirect(url_for("ideas.detail", idea_id=idea.id))
    return render_template("ideas/edit.html", form=_idea_form(idea, formdata=None),
                           **_editing_context(idea, invite_form=form)), 422


@bp.post("/ideas/<int:idea_id>/creators/<int:user_id>/share")
def change_share(idea_id: int, user_id: int):
    form = ShareForm()
    perform(lambda: idea_service.change_share(current_user, idea_id, user_id,
                                              form.bps),
            validate=form, done=_("The split was changed. Everyone whose share changed must "
                                  "accept it again."))
    return _to_edit(idea_id, "co-creators")


@bp.post("/ideas/<int:idea_id>/creators/<int:user_id>/remove")
def remove_creator(idea_id: int, user_id: int):
    leaving = current_user.is_authenticated and user_id == current_user.id
    removed = perform(lambda: idea_service.remove_co_creator(current_user, idea_id, user_id),
                      validate=ActionForm(),
                      done=_("You left this idea.") if leaving else _("The co-creator was removed."))
    if removed and leaving:
        return redirect(url_for("accounts.dashboard"))
    return _to_edit(idea_id, "co-creators")


@bp.post("/ideas/<int:idea_id>/consent")
def consent(idea_id: int):
    form = ConsentForm()
    perform(lambda: idea_service.consent(current_user, idea_id, form.agreement_version.data,
                                         **_client()),
            validate=form,
            done=_("Thank you: your consent to the agreement and your share is recorded."))
    return redirect(url_for("ideas.detail", idea_id=idea_id, _anchor="creators"))


@bp.route("/ideas/<int:idea_id>/submit", methods=["GET", "POST"])
@limiter.limit(ratelimits.POSTING, methods=["POST"])
def submit(idea_id: int):
    idea = idea_service.get_visible(_viewer(), idea_id)
    try:
        permissions.require(current_user, "submit_idea", idea)  # 403 unless the owner
    except Conflict:  # the owner, but it is no longer a draft
        flash(_("This idea has already been submitted."), "info")
        return redirect(url_for("ideas.detail", idea_id=idea.id))
    agreement = idea_service.current_agreement()
    form = ConsentForm()
    status = 200
    if request.method == "GET" and agreement is not None:
        form.agreement_version.data = agreement.version
    elif form.validate_on_submit():
        submitted = perform(
            lambda: idea_service.submit_idea(current_user, idea_id, form.agreement_version.data,
                                             **_client()),
            form=form, rename={"agreement_version": "accept"},
            done=_("Your idea was submitted. A moderator will look at it soon; you will be told "
                   "the result."))
        if submitted:
            return redirect(url_for("ideas.detail", idea_id=idea_id))
        status = submitted.status
        idea = idea_service.get_visible(_viewer(), idea_id)
        agreement = idea_service.current_agreement()
        form.agreement_version.data = agreement.version if agreement else ""
    else:
        status = 422
    return render_template("ideas/submit.html", idea=idea, form=form, agreement=agreement,
                           consents=idea_service.consent_status(idea, agreement),
                           missing=idea_service.missing_for_submission(idea),
                           format_share=idea_service.format_share), status


# --- the idea page --------------------------------------------------------------------------

@bp.get("/ideas/<int:idea_id>")
def detail(idea_id: int):
    return detail_page(idea_id)


def detail_page(idea_id: int, comment_form: Any = None) -> str:
    """The idea page; `comment_form` is a refused comment or reply shown again beside its
    text area with the text kept (ideas.engagement.post_comment)."""
    viewer = _viewer()
    idea = idea_service.get_visible(viewer, idea_id)
    shareable = idea.status in lifecycle.PUBLIC and not idea.hidden
    is_creator = permissions.is_creator(viewer, idea)
    is_staff = permissions.has_role(viewer, "moderator") or permissions.has_role(viewer, "admin")
    history = idea_service.events_of(idea)
    if not (is_creator or is_staff):
        history = [e for e in history if e.kind in PUBLIC_REASON_KINDS
                   or (e.to_status in lifecycle.PUBLIC and e.kind != "hidden")]
    agreement = consents = None
    my_creator = None
    if is_creator or is_staff:
        agreement = idea_service.current_agreement()
        consents = idea_service.consent_status(idea)  # against the version of its submission
        if viewer is not None:
            my_creator = next((c for c in idea.creators if c.user_id == viewer.id), None)
    merged_into = None
    if idea.merged_into_id:
        target = db.session.scalar(select(Idea).where(Idea.id == idea.merged_into_id)
                                   .options(selectinload(Idea.creators)))
        merged_into = target if target and permissions.may_view_idea(viewer, target) else None
    page = render_template(
        "ideas/detail.html", idea=idea, **idea_page_parts(idea, is_creator),
        review_result=review_service.published_result_for(viewer, idea),
        history=history, public_reason_kinds=PUBLIC_REASON_KINDS,
        is_creator=is_creator, is_staff=is_staff, agreement=agreement, consents=consents,
        my_creator=my_creator, consent_form=ConsentForm(), withdraw_form=WithdrawForm(),
        product_id=idea_service.product_id_of(idea), merged_into=merged_into,
        is_public=idea.status in lifecycle.PUBLIC,
        format_share=idea_service.format_share,
        staff_pick=campaign_service.staff_pick_of(idea),
        campaign=campaign_service.campaign_of(idea),
        share=sharing.share_links(idea, viewer) if shareable else None,
        meta=sharing.page_meta(idea) if shareable else None,
        permissions_is_creator=lambda item: permissions.is_creator(current_user, item),
        comment_form=comment_form, posted_comment=session.pop("posted_comment", None) if viewer else None)
    if shareable and request.args.get("ref"):  # after rendering: the commit expires the idea
        with transaction():
            sharing.note_visit(request.args.get("ref"), idea, viewer)
    return page
