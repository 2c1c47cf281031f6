"""Sales files kept in the database: upload and check, preview, then post as a job.

    create_import   parse and check the file; keep its rows (or its problems) in sales_imports
    start_import    finance confirms: queue run_import (after the commit)
    run_import      the job: a dry run over every remaining row (a file with any bad row posts
                    nothing), then post_sales in batches, one commit per batch, the import's
                    done_rows advanced in the same transaction; resumable, exactly once per row
    progress_of     {status, done, total, ...} for the progress bar

A job that stops (an exception, a killed worker) leaves the import `failed` (or `posting`
without a heartbeat); finance resumes it and the job goes on after the last committed batch.
Rows are never posted twice: done_rows moves with each batch's commit, every batch re-checks
its external_refs under the ledger lock, and external_ref is unique in the database.
"""
from __future__ import annotations

import logging
import secrets
from datetime import timedelta
from typing import Any

from sqlalchemy import func, select, update

from app import jobs, permissions
from app.errors import Conflict, NotFound
from app.extensions import db
from app.i18n import _
from app.models import Product, ProductSplit, User
from app.models.base import utcnow
from app.models.ledger_imports import SalesImport, SalesImportRow
from app.money import royalty_minor
from app.services.ledger.batch import (BATCH_SIZE, PostingRun, RowError, SaleRow, _write,
                                       check_sales, chunks, own_product_error, post_sales)
from app.services.ledger.imports import ParsedImport, finish_import, parse_sales_csv

log = logging.getLogger(__name__)

JOB_NAME = "ledger.post_import"
#: A `posting` import whose job has not reported for this long may be resumed.
STALE_AFTER = timedelta(minutes=5)
#: Problems listed by the progress endpoint (the page lists every one).
PROGRESS_PROBLEMS = 100
#: A row of a checked file (a refused file keeps only its problems, without figures).
HAS_FIGURES = SalesImportRow.product_id.is_not(None)
ROW_COLUMNS = ("import_id", "line", "product_id", "period", "units", "net_sales_minor",
               "currency", "external_ref", "royalty_minor", "already_recorded", "problem")


def create_import(actor: User, filename: str, data: bytes) -> tuple[SalesImport | None,
                                                                    ParsedImport]:
    """Check a sales file and keep it: `ready` with every good row, or `refused` with every
    problem. (None, parsed) for a file without a single row or problem."""
    permissions.require(actor, "record_sale")
    parsed = parse_sales_csv(data)
    if not parsed.rows and not parsed.errors:
        return None, parsed
    parsed.errors.extend(_own_products(actor, parsed.rows))
    if parsed.errors:
        parsed.errors.sort(key=lambda error: error.line)
    record = SalesImport(token=secrets.token_urlsafe(24), user_id=actor.id,
                         filename=(filename or "sales.csv")[:200], credited={})
    if parsed.errors:
        record.status = "refused"
        record.problem_rows = len(parsed.errors)
        rows = _problem_rows(parsed.errors)
    else:
        record.status = "ready"
        record.total_rows = len(parsed.rows)
        record.new_rows = sum(1 for row in parsed.rows if not row.already_recorded)
        rows = _sale_rows(parsed.rows)
    db.session.add(record)
    db.session.flush()
    _write(SalesImportRow, ROW_COLUMNS, [(record.id, *row) for row in rows])
    return record, parsed


def _own_products(actor: User, rows: list[SaleRow]) -> list[RowError]:
    """Separation of duties: the rows of products whose royalties the uploader shares in (the
    posting job refuses them too, app.services.ledger.batch)."""
    own = set(db.session.scalars(select(ProductSplit.product_id).where(
        ProductSplit.user_id == actor.id,
        ProductSplit.product_id.in_({row.product_id for row in rows})))) if rows else set()
    return [own_product_error(row) for row in rows if row.product_id in own]


def _problem_rows(errors: list[RowError]) -> list[tuple]:
    by_line: dict[int, list[str]] = {}
    for error in errors:
        by_line.setdefault(error.line, []).append(error.reason)
    return [(line, None, None, None, None, None, None, None, False, "; ".join(reasons))
            for line, reasons in sorted(by_line.items())]


def _sale_rows(rows: list[SaleRow]) -> list[tuple]:
    rates = dict(db.session.execute(select(Product.id, Product.royalty_rate_bps).where(
        Product.id.in_({row.product_id for row in rows}))).tuples().all())
    return [(row.line, row.product_id, row.period, row.units, row.net_sales_minor, row.currency,
             row.external_ref, royalty_minor(row.net_sales_minor, rates[row.product_id]),
             row.already_recorded, None) for row in rows]


def get_import(actor: User, token: Any) -> SalesImport:
    """The uploader's import named by this token (anyone else: not found)."""
    permissions.require(actor, "record_sale")
    record = db.session.scalar(select(SalesImport).where(SalesImport.token == token)) \
        if isinstance(token, str) and len(token) <= 64 else None
    if record is None or record.user_id != actor.id:
        raise NotFound("import_not_found", _("This import has expired or was already posted; "
                                             "please upload the file again."))
    return record


def preview(record: SalesImport, limit: int) -> tuple[list[SalesImportRow], dict[str, dict]]:
    """The first `limit` rows, and per currency the new rows' count, net sales and royalty."""
    rows = list(db.session.scalars(select(SalesImportRow).where(
        SalesImportRow.import_id == record.id, HAS_FIGURES)
        .order_by(SalesImportRow.line).limit(limit)))
    totals = {currency: {"rows": count, "net": int(net), "royalty": int(royalty)}
              for currency, count, net, royalty in db.session.execute(
                  select(SalesImportRow.currency, func.count(),
                         func.sum(SalesImportRow.net_sales_minor),
                         func.sum(SalesImportRow.royalty_minor))
                  .where(SalesImportRow.import_id == record.id, HAS_FIGURES,
                         SalesImportRow.already_recorded.is_(False))
                  .group_by(SalesImportRow.currency).order_by(SalesImportRow.currency))}
    return rows, totals


def problems_of(record: SalesImport, limit: int | None = None) -> list[RowError]:
    """Every refused row of the import (or the first `limit`), by line."""
    query = select(SalesImportRow.line, SalesImportRow.problem).where(
        SalesImportRow.import_id == record.id, SalesImportRow.problem.is_not(None)
    ).order_by(SalesImportRow.line)
    if limit is not None:
        query = query.limit(limit)
    return [RowError(line, problem) for line, problem in db.session.execute(query)]


def is_stalled(record: SalesImport) -> bool:
    return record.status in ("queued", "posting") and record.updated_at < utcnow() - STALE_AFTER


def can_post(record: SalesImport) -> bool:
    """Finance may start (ready), resume (failed) or restart a stalled job."""
    return record.status in ("ready", "failed") or is_stalled(record)


def start_import(actor: User, record: SalesImport) -> None:
    """Queue the posting job (it runs after the caller commits)."""
    if not can_post(record):
        raise Conflict("import_not_postable", _("This import is already being posted."))
    if record.status == "failed":  # the rows refused last time are tried again
        db.session.execute(update(SalesImportRow).where(
            SalesImportRow.import_id == record.id, SalesImportRow.problem.is_not(None))
            .values(problem=None))
        record.problem_rows = 0
    record.status = "queued"
    record.error = None
    record.updated_at = utcnow()
    jobs.enqueue(JOB_NAME, import_id=record.id)


def error_message(record: SalesImport) -> str | None:
    """Why the job stopped, in the reader's language (`error` keeps a code: the job that
    stored it had no reader)."""
    if not record.error:
        return None
    if record.error == "refused":
        return _("%(n)s rows would be refused; nothing was posted. Correct them and upload the "
                 "file again, or correct the ledger and resume.", n=record.problem_rows)
    if record.error == "refused_while_posting":
        return _("%(n)s rows were refused while posting (the ledger changed since the check); "
                 "%(done)s rows are posted. Correct the ledger and resume.",
                 n=record.problem_rows, done=record.done_rows)
    return _("The posting stopped after %(done)s of %(total)s rows (%(error)s). Rows already "
             "posted stay posted; resume to post the rest.", done=record.done_rows,
             total=record.total_rows, error=record.error.partition(":")[2] or record.error)


def progress_of(record: SalesImport) -> dict[str, Any]:
    """What the progress bar shows: {status, done, total, created, existing, error, problems}."""
    return {"status": record.status, "done": record.done_rows, "total": record.total_rows,
            "created": record.created_count, "existing": record.existing_count,
            "stalled": is_stalled(record), "error": error_message(record),
            "problem_count": record.problem_rows,
            "problems": [{"line": error.line, "reason": error.reason}
                         for error in problems_of(record, PROGRESS_PROBLEMS)]}


# --------------------------------------------------------------------------- the job


@jobs.job(JOB_NAME)
def run_import(import_id: int, *, batch_size: int | None = None) -> None:
    """Post a queued (or failed, or stalled) import in batches; commits as it goes."""
    record = db.session.get(SalesImport, import_id)
    if record is None or record.status not in ("queued", "posting", "failed"):
        return
    try:
        _run(record, batch_size or BATCH_SIZE)
    except Exception as error:
        db.session.rollback()
        log.exception("sales import %s stopped", import_id)
        record = db.session.get(SalesImport, import_id)
        record.status = "failed"
        record.error = f"stopped:{type(error).__name__}"
        record.updated_at = utcnow()
        db.session.commit()


def _run(record: SalesImport, batch_size: int) -> None:
    actor = db.session.get(User, record.user_id)
    record.status = "posting"
    record.updated_at = utcnow()
    db.session.commit()

    rows = _remaining(record)
    refused = check_sales(rows, batch_size, actor_id=actor.id)
    if refused:
        _refuse(record, refused, "refused")
        return
    run = PostingRun()
    while True:
        db.session.execute(select(SalesImport.id).where(SalesImport.id == record.id)
                           .with_for_update())  # one job at a time moves this import on
        db.session.refresh(record)
        if record.finished_at is not None:  # another run finished it meanwhile
            db.session.rollback()
            return
        start = record.done_rows - (record.total_rows - len(rows))
        batch = rows[start:start + batch_size]
        if not batch:
            break
        result = post_sales(actor, batch, run=run)
        if result.errors:  # changed since the dry run (e.g. a payout meanwhile)
            db.session.rollback()
            _refuse(record, result.errors, "refused_while_posting")
            return
        record.done_rows += len(batch)
        record.created_count += result.created
        record.existing_count += result.existing
        record.credited = _merge(record.credited, result.totals)
        record.updated_at = utcnow()
        db.session.commit()
    finish_import(actor, record.created_count, record.existing_count, [], record.credited)
    record.status = "done"
    record.finished_at = record.updated_at = utcnow()
    db.session.commit()


def _remaining(record: SalesImport) -> list[SaleRow]:
    """The rows the job has not got through yet, in file order."""
    return [SaleRow(line, product_id, period, units, net, currency, ref, recorded)
            for line, product_id, period, units, net, currency, ref, recorded
            in db.session.execute(
                select(SalesImportRow.line, SalesImportRow.product_id, SalesImportRow.period,
                       SalesImportRow.units, SalesImportRow.net_sales_minor,
                       SalesImportRow.currency, SalesImportRow.external_ref,
                       SalesImportRow.already_recorded)
                .where(SalesImportRow.import_id == record.id, HAS_FIGURES)
                .order_by(SalesImportRow.line).offset(record.done_rows))]


def _refuse(record: SalesImport, errors: list[RowError], reason: str) -> None:
    """The job stops: each refused row keeps its reason, the import its error."""
    for batch in chunks(errors):
        db.session.execute(
            update(SalesImportRow.__table__)
            .where(SalesImportRow.__table__.c.import_id == record.id,
                   SalesImportRow.__table__.c.line == db.bindparam("error_line"))
            .values(problem=db.bindparam("reason")),
            [{"error_line": error.line, "reason": error.reason} for error in batch])
    record.status = "failed"
    record.error = reason
    record.problem_rows = db.session.scalar(select(func.count()).select_from(SalesImportRow)
                                            .where(SalesImportRow.import_id == record.id,
                                                   SalesImportRow.problem.is_not(None)))
    record.updated_at = utcnow()
    db.session.commit()


def _merge(credited: dict, totals: dict[int, dict[str, int]]) -> dict:
    merged = {user_id: dict(amounts) for user_id, amounts in (credited or {}).items()}
    for user_id, amounts in totals.items():
        bucket = merged.setdefault(str(user_id), {})
        for currency, amount in amounts.items():
            bucket[currency] = bucket.get(currency, 0) + amount
    return merged

