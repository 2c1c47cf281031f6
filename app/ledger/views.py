"""HTML views: the creator agreement, creators' royalties, and the finance area (sales, CSV
import, payouts, creators' statements, the ledger browser and its verification). Thin: each
view translates HTTP to one service call and back."""
from __future__ import annotations

from flask import Response, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload
from wtforms import SelectChoice

from app import permissions
from app.errors import NotFound, Unauthorized
from app.extensions import db
from app.web import format_money, page_arg
from app.ledger import bp
from app.ledger.charts import bar_chart
from app.ledger.forms import (ConfirmForm, ImportForm, PayoutForm, ReverseForm, SaleForm,
                              new_reference)
from app.models import Product, User
from app.models.ledger import LedgerAccount, LedgerEntry, LedgerTransaction, Payout, Sale
from app.money import format_amount, is_currency
from app.services import agreements as agreement_service
from app.services import ledger as ledger_service
from app.services.ledger import uploads
from app.transaction import perform, transaction

PER_PAGE = 50
PREVIEW_ROWS = 100


# --------------------------------------------------------------------------- helpers


def _require(action: str) -> None:
    permissions.require(current_user, action)


def _signed_in_user() -> User:
    if not current_user.is_authenticated:
        raise Unauthorized("sign_in_required", _("Please sign in first."))
    return current_user._get_current_object()


def _page() -> int:
    return page_arg()


def _render(template: str, form, refused: bool = False, **context):
    """A form page; a rejected submission answers 422 so it is never mistaken for success."""
    status = 422 if request.method == "POST" and (refused or any(f.errors for f in form)) \
        else 200
    return render_template(template, form=form, **context), status


def _charts(statement: ledger_service.Statement) -> list:
    return [bar_chart(points, currency)
            for currency, points in statement.earnings_by_period().items()]


def _csv_response(body: str, filename: str) -> Response:
    return Response(body, mimetype="text/csv", headers={
        "Content-Disposition": f'attachment; filename="{filename}"',
        "Cache-Control": "private, no-store"})


def _product_choices() -> list[SelectChoice]:
    rows = db.session.execute(select(Product.id, Product.name).order_by(Product.name, Product.id))
    return [SelectChoice(product_id, f"#{product_id} · {name}") for product_id, name in rows]


def _creator_choices() -> list[SelectChoice]:
    choices = []
    for user, balances in ledger_service.creators_with_balances(limit=1000):
        figures = ", ".join(format_money(amount, currency)
                            for currency, amount in balances.items() if amount)
        label = f"{user.display_name} <{user.email}>"
        choices.append(SelectChoice(user.id, f"{label} · {figures}" if figures else label))
    return choices


# --------------------------------------------------------------------------- the agreement


@bp.route("/terms/creators")
def terms():
    agreement = agreement_service.current_agreement()
    if agreement is None:
        raise NotFound("agreement_not_found", _("No creator agreement has been published yet."))
    return render_template("ledger/terms.html", agreement=agreement, current=agreement,
                           versions=agreement_service.all_versions())


@bp.route("/terms/creators/<version>")
def terms_version(version: str):
    agreement = agreement_service.get_version(version)
    current = agreement_service.current_agreement()
    return render_template("ledger/terms.html", agreement=agreement, current=current,
                           versions=agreement_service.all_versions())


@bp.route("/terms/creators/<version>/text")
def terms_text(version: str):
    """The exact text whose SHA-256 is shown, so anyone can check the digest."""
    agreement = agreement_service.get_version(version)
    return Response(agreement.text, mimetype="text/plain", headers={
        "Content-Disposition": f'inline; filename="creator-agreement-{agreement.version}.md"'})


# --------------------------------------------------------------------------- my royalties


@bp.route("/me/royalties")
def royalties():
    user = _signed_in_user()
    statement = ledger_service.statement_for(user)
    from app.ledger.payout_requests import royalties_context

    return render_template("ledger/royalties.html", statement=statement,
                           charts=_charts(statement),
                           csv_url=url_for("ledger.royalties_csv"), **royalties_context(user))


@bp.route("/me/royalties.csv")
def royalties_csv():
    user = _signed_in_user()
    statement = ledger_service.statement_for(user)
    return _csv_response(ledger_service.statement_csv(statement), "kyoso-royalties.csv")


# --------------------------------------------------------------------------- finance: overview


@bp.route("/finance")
def finance():
    _require("view_ledger")
    page = _page()
    total = db.session.scalar(select(func.count()).select_from(Sale))
    reversed_ids = select(LedgerTransaction.reverses_id).where(
        LedgerTransaction.reverses_id.is_not(None))
    rows = db.session.execute(
        select(Sale, Sale.transaction_id.in_(reversed_ids))
        .options(selectinload(Sale.product), selectinload(Sale.recorded_by))
        .order_by(Sale.id.desc()).limit(PER_PAGE).offset((page - 1) * PER_PAGE)).all()
    return render_template("ledger/finance.html", totals=ledger_service.ledger_totals(),
                           sales=rows, page=page, per_page=PER_PAGE, total=total,
                           tab="sales")


@bp.route("/finance/sales/new", methods=["GET", "POST"])
def new_sale():
    _require("record_sale")
    form = SaleForm()
    form.product_id.choices = [SelectChoice("", _("Choose a product"))] + _product_choices()
    if request.method == "GET":
        if request.args.get("product_id", "").isdigit():
            form.product_id.data = int(request.args["product_id"])
        form.external_ref.data = new_reference("sale")
    recorded = None
    if form.validate_on_submit():
        recorded = perform(lambda: ledger_service.record_sale(
            current_user, form.product_id.data, form.period.data.strip(), form.units.data,
            form.amount_minor(), form.currency.data, form.external_ref.data.strip()), form=form)
        if recorded:
            result = recorded.value
            sale = result.sale
            if result.created:
                flash(_("Recorded %(ref)s: royalty %(royalty)s posted to %(n)s creators.",
                        ref=sale.external_ref,
                        royalty=format_money(sale.royalty_minor, sale.currency),
                        n=len(result.postings)), "success")
            else:
                flash(_("%(ref)s was already recorded with these figures; nothing new was "
                        "posted.", ref=sale.external_ref), "info")
            return redirect(url_for("ledger.finance"))
    return _render("ledger/sale_form.html", form, refused=recorded is not None, tab="new_sale")


# --------------------------------------------------------------------------- finance: CSV import


@bp.route("/finance/sales/import", methods=["GET", "POST"])
def import_sales():
    _require("record_sale")
    form = ImportForm()
    errors: list[ledger_service.RowError] = []
    file_problem = None
    if form.validate_on_submit():
        upload = form.file.data
        with transaction():
            record, parsed = uploads.create_import(current_user,
                                                   upload.filename or "sales.csv", upload.read())
        if record is None:
            form.file.errors = [_("The file has no rows.")]
        else:
            if record.status != "refused":
                return redirect(url_for("ledger.import_preview", token=record.token))
            errors, file_problem = parsed.errors, parsed.file_problem
    status = 422 if request.method == "POST" and (errors or form.errors) else 200
    return render_template("ledger/import.html", form=form, errors=errors, tab="import",
                           file_problem=file_problem, columns=ledger_service.CSV_COLUMNS), status


@bp.route("/finance/imports/<token>", methods=["GET", "POST"])
def import_preview(token: str):
    """The checked file, before posting; once posted it is gone (the job page stays)."""
    record = uploads.get_import(current_user, token)
    if record.status == "done":
        raise NotFound("import_not_found", _("This import was already posted."))
    if record.status in ("queued", "posting", "failed"):
        return redirect(url_for("ledger.import_job", token=token))
    form = ConfirmForm()
    if record.status == "ready" and form.validate_on_submit():
        return _start_import(record)
    rows, totals = uploads.preview(record, PREVIEW_ROWS)
    errors = uploads.problems_of(record) if record.status == "refused" else []
    products = {product.id: product for product in db.session.scalars(
        select(Product).where(Product.id.in_({row.product_id for row in rows})))}
    return render_template("ledger/import_preview.html", form=form, record=record,
                           token=token, filename=record.filename, rows=rows, products=products,
                           row_count=record.total_rows, new_count=record.new_rows,
                           totals=totals, errors=errors, tab="import"), 422 if errors else 200


def _start_import(record):
    """Queue the posting job; it starts at the commit (in a worker, or in this process)."""
    if not perform(lambda: uploads.start_import(current_user, record)):
        return redirect(url_for("ledger.import_job", token=record.token))
    db.session.refresh(record)
    if record.status == "done":
        flash(_("Imported %(file)s: %(created)s sales recorded, %(existing)s already "
                "recorded.", file=record.filename, created=record.created_count,
                existing=record.existing_count), "success")
        return redirect(url_for("ledger.finance"))
    return redirect(url_for("ledger.import_job", token=record.token))


@bp.route("/finance/imports/<token>/job", methods=["GET", "POST"])
def import_job(token: str):
    """The posting job: its progress, its error and refused rows, and resume."""
    record = uploads.get_import(current_user, token)
    if record.status in ("ready", "refused"):
        return redirect(url_for("ledger.import_preview", token=token))
    form = ConfirmForm()
    if form.validate_on_submit():
        return _start_import(record)
    return render_template("ledger/import_job.html", form=form, record=record,
                           progress=uploads.progress_of(record),
                           can_resume=uploads.can_post(record),
                           errors=uploads.problems_of(record), tab="import")


@bp.route("/finance/imports/<token>/progress")
def import_progress(token: str):
    """{status, done, total, created, existing, stalled, error, problem_count, problems}."""
    return uploads.progress_of(uploads.get_import(current_user, token))


_STATES = {"queued": "posting", "refused": "failed"}


@bp.route("/finance/imports/<token>/status")
def import_status(token: str):
    """The short form of the progress: {state, done, total}."""
    progress = uploads.progress_of(uploads.get_import(current_user, token))
    return {"state": _STATES.get(progress["status"], progress["status"]),
            "done": progress["done"], "total": progress["total"]}


# --------------------------------------------------------------------------- finance: payouts


@bp.route("/finance/payouts", methods=["GET", "POST"])
def payouts():
    _require("record_payout")
    form = PayoutForm()
    form.user_id.choices = _creator_choices()
    if request.method == "GET":
        if request.args.get("user_id", "").isdigit():
            form.user_id.data = int(request.args["user_id"])
        if is_currency(request.args.get("currency", "")):
            form.currency.data = request.args["currency"]
        form.reference.data = new_reference("payout")
    recorded = None
    if form.validate_on_submit():
        recorded = perform(lambda: ledger_service.record_payout(
            current_user, form.user_id.data, form.amount_minor(), form.currency.data,
            form.reference.data.strip()), form=form)
        if recorded:
            result = recorded.value
            payout = result.payout
            if result.created:
                flash(_("Payout %(ref)s of %(amount)s recorded.", ref=payout.reference,
                        amount=format_money(payout.amount_minor, payout.currency)),
                      "success")
            else:
                flash(_("%(ref)s was already recorded; nothing new was posted.",
                        ref=payout.reference), "info")
            return redirect(url_for("ledger.payouts"))
    page = _page()
    total = db.session.scalar(select(func.count()).select_from(Payout))
    reversed_ids = select(LedgerTransaction.reverses_id).where(
        LedgerTransaction.reverses_id.is_not(None))
    rows = db.session.execute(
        select(Payout, Payout.transaction_id.in_(reversed_ids))
        .options(selectinload(Payout.user), selectinload(Payout.recorded_by))
        .order_by(Payout.id.desc()).limit(PER_PAGE).offset((page - 1) * PER_PAGE)).all()
    return _render("ledger/payouts.html", form, refused=recorded is not None, payouts=rows,
                   page=page, per_page=PER_PAGE, total=total, tab="payouts")


# --------------------------------------------------------------------------- finance: creators


@bp.route("/finance/creators")
def creators():
    _require("view_ledger")
    query = request.args.get("q", "")[:100]
    return render_template("ledger/creators.html", creators=ledger_service.creators_with_balances(
        query), query=query, tab="creators")


def _creator(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None:
        raise NotFound("user_not_found", _("No such user."))
    return user


@bp.route("/finance/creators/<int:user_id>")
def creator(user_id: int):
    _require("view_ledger")
    user = _creator(user_id)
    statement = ledger_service.statement_for(user)
    return render_template("ledger/creator.html", statement=statement, charts=_charts(statement),
                           csv_url=url_for("ledger.creator_csv", user_id=user.id),
                           tab="creators")


@bp.route("/finance/creators/<int:user_id>/statement.csv")
def creator_csv(user_id: int):
    _require("view_ledger")
    statement = ledger_service.statement_for(_creator(user_id))
    return _csv_response(ledger_service.statement_csv(statement),
                         f"kyoso-royalties-{user_id}.csv")


# --------------------------------------------------------------------------- finance: the ledger


@bp.route("/finance/ledger")
def ledger():
    _require("view_ledger")
    page = _page()
    total = db.session.scalar(select(func.count()).select_from(LedgerTransaction))
    transactions = list(db.session.scalars(
        select(LedgerTransaction).order_by(LedgerTransaction.sequence.desc())
        .options(selectinload(LedgerTransaction.entries).selectinload(LedgerEntry.account)
                 .selectinload(LedgerAccount.user),
                 selectinload(LedgerTransaction.created_by))
        .limit(PER_PAGE).offset((page - 1) * PER_PAGE)))
    reversed_by = dict(db.session.execute(
        select(LedgerTransaction.reverses_id, LedgerTransaction.sequence)
        .where(LedgerTransaction.reverses_id.in_([t.id for t in transactions])))
        .all()) if transactions else {}
    return render_template("ledger/ledger.html", transactions=transactions, page=page,
                           per_page=PER_PAGE, total=total, reversed_by=reversed_by,
                           reverse_form=ReverseForm(), tab="ledger")


@bp.route("/finance/ledger/verify")
def verify():
    _require("verify_ledger")
    problems = ledger_service.verify_ledger()
    total = db.session.scalar(select(func.count()).select_from(LedgerTransaction))
    return render_template("ledger/verify.html", problems=problems, total=total, tab="verify")


@bp.route("/finance/ledger/<int:transaction_id>/reverse", methods=["POST"])
def reverse(transaction_id: int):
    _require("record_sale")
    form = ReverseForm()
    if not form.validate_on_submit():
        flash(_("Say why this transaction is reversed."), "error")
        return redirect(url_for("ledger.ledger"))
    reversal = perform(lambda: ledger_service.reverse_transaction(current_user, transaction_id,
                                                                  form.reason.data))
    if reversal:
        flash(_("Posted reversal #%(n)s.", n=reversal.value.sequence), "success")
    return redirect(url_for("ledger.ledger"))


def plain_money(amount_minor: int, currency: str) -> str:
    """Exact decimal text of an amount (for tables where locale formatting would round)."""
    return format_amount(amount_minor, currency)


def percent_bps(bps: int) -> str:
    """Basis points as a percentage with two decimals, exactly: 100 -> "1.00%"."""
    sign = "-" if bps < 0 else ""
    whole, part = divmod(abs(bps), 100)
    return f"{sign}{whole}.{part:02d}%"
