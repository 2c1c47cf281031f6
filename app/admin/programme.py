"""HTML views (admin): categories, tags, and the programme page (texts, review calendar,
payout minimums). Thin: each view calls one function of app.services.programme."""
from __future__ import annotations

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app import permissions
from app.admin import bp
from app.admin.forms import (ActionForm, CategoryForm, ProgrammeForm, RenameCategoryForm,
                             ReviewDateForm, TagMergeForm, TagRenameForm)
from app.errors import Invalid
from app.money import format_amount, parse_amount
from app.permissions import Action
from app.services import programme as programme_service
from app.transaction import perform


def _require() -> None:
    permissions.require(current_user, Action.MANAGE_PROGRAMME)


# --- categories ---------------------------------------------------------------------------------

@bp.route("/admin/categories", methods=["GET", "POST"])
def categories():
    _require()
    form = CategoryForm()
    status = 200
    if request.method == "POST":
        status = 422
        if form.validate_on_submit():
            created = perform(lambda: programme_service.create_category(
                current_user, form.slug.data, form.name.data, form.name_ja.data), form=form)
            if created:
                flash(_("Category “%(name)s” created: it is offered for new ideas.",
                        name=created.value.name), "success")
                return redirect(url_for("admin.categories"))
            status = created.status
    return render_template("admin/categories.html", form=form,
                           categories=programme_service.all_categories(),
                           counts=programme_service.category_idea_counts(),
                           rename_form=RenameCategoryForm(), action_form=ActionForm()), status


@bp.post("/admin/categories/<int:category_id>")
def rename_category(category_id: int):
    _require()
    form = RenameCategoryForm()
    perform(lambda: programme_service.update_category(
        current_user, category_id, {"name": form.name.data, "name_ja": form.name_ja.data or ""}),
        validate=form, done=_("The category is renamed."))
    return redirect(url_for("admin.categories"))


@bp.post("/admin/categories/<int:category_id>/archive")
def archive_category(category_id: int):
    _require()
    archived = request.form.get("archived") != "0"
    perform(lambda: programme_service.update_category(current_user, category_id,
                                                      {"archived": archived}),
            validate=ActionForm(),
            done=_("The category is archived: it is no longer offered for new ideas; ideas that "
                   "have it keep it.") if archived
            else _("The category is offered for new ideas again."))
    return redirect(url_for("admin.categories"))


@bp.post("/admin/categories/<int:category_id>/move")
def move_category(category_id: int):
    _require()
    step = -1 if request.form.get("direction") == "up" else 1
    perform(lambda: programme_service.move_category(current_user, category_id, step),
            validate=ActionForm())
    return redirect(url_for("admin.categories"))


# --- tags ---------------------------------------------------------------------------------------

@bp.route("/admin/tags")
def tags():
    _require()
    q = request.args.get("q", "")[:40]
    return render_template("admin/tags.html", tags=programme_service.tags_page(q), q=q,
                           rename_form=TagRenameForm(), merge_form=TagMergeForm())


@bp.post("/admin/tags/<int:tag_id>/rename")
def rename_tag(tag_id: int):
    _require()
    form = TagRenameForm()
    perform(lambda: programme_service.rename_tag(current_user, tag_id, form.name.data),
            validate=form, done=_("The tag is renamed."))
    return redirect(url_for("admin.tags", q=request.args.get("q", "")))


@bp.post("/admin/tags/<int:tag_id>/merge")
def merge_tag(tag_id: int):
    _require()
    form = TagMergeForm()

    merged = perform(lambda: programme_service.merge_tags(
        current_user, tag_id, programme_service.tag_id_named(form.into.data)), validate=form)
    if merged:
        flash(_("Merged: its ideas are tagged “%(name)s” now.", name=merged.value.name),
              "success")
    return redirect(url_for("admin.tags", q=request.args.get("q", "")))


# --- the programme page -------------------------------------------------------------------------

def _minimums_text(minimums: dict[str, int]) -> str:
    return "\n".join(f"{currency} {format_amount(amount, currency)}"
                     for currency, amount in sorted(minimums.items()))


def _parse_minimums(text: str) -> list[dict]:
    """"JPY 5000" per line -> [{amount, currency}]; Invalid on a line that is not that."""
    minimums = []
    for line in (text or "").splitlines():
        if not line.strip():
            continue
        parts = line.split()
        try:
            if len(parts) != 2:
                raise ValueError
            currency = parts[0].upper()
            minimums.append({"currency": currency, "amount": parse_amount(parts[1], currency)})
        except (ValueError, KeyError):
            raise Invalid({"payout_minimums": _(
                "One currency and amount per line, e.g. “JPY 5000” or “USD 50.00”.")}) from None
    return minimums


@bp.route("/admin/programme", methods=["GET", "POST"])
def programme():
    _require()
    current = programme_service.current()
    row = programme_service.settings_row()
    form = ProgrammeForm()
    status = 200
    if request.method == "GET":
        form.name.data = row.name if row is not None else ""
        for name in programme_service.TEXT_FIELDS:
            getattr(form, name).data = current.texts[name] \
                if name in current.customised_texts else ""
        form.payout_minimums.data = _minimums_text(current.payout_minimums)
    elif form.validate_on_submit():
        data = {name: getattr(form, name).data or "" for name in
                ("name", *programme_service.TEXT_FIELDS)}

        def save():
            return programme_service.update_programme(current_user, {
                **data, "payout_minimums": _parse_minimums(form.payout_minimums.data)})

        saved = perform(save, form=form)
        if saved:
            flash(_("The programme page is saved."), "success")
            return redirect(url_for("admin.programme"))
        status = saved.status
    else:
        status = 422
    return render_template("admin/programme.html", form=form, programme=current,
                           defaults=programme_service.default_texts(),
                           date_form=ReviewDateForm(), action_form=ActionForm(),
                           calendar=programme_service.calendar_rows(),
                           mail_server=bool(_mail_server()),
                           local_address=programme_service.public_address_is_local()), status


def _mail_server() -> str | None:
    return current_app.config.get("MAIL_SERVER")


@bp.post("/admin/programme/calendar")
def add_review_date():
    _require()
    form = ReviewDateForm()
    perform(lambda: programme_service.add_review_date(current_user, form.closes_on.data,
                                                      form.batch_name.data or ""),
            validate=form, done=_("The date is in the review calendar."))
    return redirect(url_for("admin.programme", _anchor="calendar"))


@bp.post("/admin/programme/calendar/<int:date_id>/remove")
def remove_review_date(date_id: int):
    _require()
    perform(lambda: programme_service.remove_review_date(current_user, date_id),
            validate=ActionForm(), done=_("The date is removed from the review calendar."))
    return redirect(url_for("admin.programme", _anchor="calendar"))
