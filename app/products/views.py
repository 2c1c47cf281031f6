"""HTML views: "Made with the community" (the products list), a product's public page with its
timeline, and staff's forms on it (the next stage, development updates)."""
from __future__ import annotations

from flask import redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app import lifecycle, permissions
from app.errors import Invalid
from app.lifecycle import IdeaStatus
from app.money import parse_amount
from app.products import bp
from app.products.forms import StageForm, UpdateForm
from app.services import products as product_service
from app.transaction import perform
from app.web import page_arg

PER_PAGE = 24


@bp.get("/products")
def index():
    after = request.args.get("after", "")
    listing = product_service.products_page(
        page=page_arg(), per_page=PER_PAGE,
        after=int(after) if after.isdigit() and 0 < int(after) < 2**31 else None)
    return render_template("products/index.html", listing=listing)


def next_stage(status: str) -> IdeaStatus | None:
    return next((stage for stage in product_service.STAGES
                 if lifecycle.may_transition(status, stage)), None)


def _page(product_id: int, stage_form: StageForm | None = None,
          update_form: UpdateForm | None = None, status: int = 200):
    page = product_service.product_page(current_user, product_id)
    manages = permissions.can(current_user, "manage_products", page.product)
    return render_template(
        "products/detail.html", page=page, product=page.product, idea=page.idea,
        posts=page.posts, manages=manages, next_stage=next_stage(page.idea.status),
        stage_form=stage_form or StageForm(), update_form=update_form or UpdateForm()), status


@bp.get("/products/<int:product_id>")
def detail(product_id: int):
    return _page(product_id)


def _price(form: StageForm) -> dict | None:
    text = (form.price.data or "").strip()
    if not text:
        return None
    currency = form.currency.data or ""
    try:
        return {"amount": parse_amount(text, currency), "currency": currency}
    except (TypeError, ValueError):
        raise Invalid({"price": _("Write the price as a number, e.g. 2980 or 19.99.")}) from None


@bp.post("/products/<int:product_id>/stage")
def stage(product_id: int):
    permissions.require(current_user, "manage_products")
    page = product_service.product_page(current_user, product_id)
    target = next_stage(page.idea.status)
    form = StageForm()
    if form.validate_on_submit():
        outcome = perform(lambda: product_service.set_stage(
            current_user, product_id, request.form.get("stage") or (target or ""),
            form.message.data, expected_on=form.expected_on.data,
            shop_url=form.shop_url.data, price=_price(form)),
            form=form, done=_("The product's stage is updated; everyone concerned is told."))
        if outcome:
            return redirect(url_for("products.detail", product_id=product_id))
        return _page(product_id, stage_form=form, status=outcome.status)
    return _page(product_id, stage_form=form, status=422)


@bp.post("/products/<int:product_id>/updates")
def post_update(product_id: int):
    permissions.require(current_user, "manage_products")
    form = UpdateForm()
    if form.validate_on_submit():
        outcome = perform(lambda: product_service.post_update(current_user, product_id,
                                                              form.body.data),
                          form=form, done=_("Update posted; everyone concerned is told."))
        if outcome:
            return redirect(url_for("products.detail", product_id=product_id, _anchor="timeline"))
        return _page(product_id, update_form=form, status=outcome.status)
    return _page(product_id, update_form=form, status=422)
