"""CSV import of sales: check every row first, then record all of them or none.

SaleRow and RowError live in batch.py (the set-based posting) and are re-exported here."""
from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select

from app import permissions
from app.errors import Invalid
from app.extensions import db
from app.i18n import _
from app.models import Product, User
from app.money import parse_amount
from app.services import events
from app.services.ledger.batch import (BATCH_SIZE, BatchResult, PostingRun, RowError, SalePlanner,
                                       SaleRow, chunks, post_sales)
from app.services.ledger.posting import lock_ledger
from app.services.ledger.sales import _notify_royalties
from app.services.ledger.validation import (MAX_AMOUNT_MINOR, MAX_UNITS, REF_MAX, check_currency,
                                            check_period, check_reference)

#: Rows accepted in one CSV import.
IMPORT_MAX_ROWS = 100_000
CSV_COLUMNS = ("product_id", "period", "units", "net_sales", "currency", "external_ref")

_INT_TEXT = re.compile(r"[+-]?[0-9]+")


@dataclass
class ParsedImport:
    rows: list[SaleRow] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    #: Why the file as a whole cannot be read (its encoding, its header): no row was checked.
    #: Also in `errors`, as line 1.
    file_problem: str | None = None
    #: Rows with problems, still to be checked against the database (their product), so that
    #: every problem of every row is reported at once: (line, parsed values, problems).
    bad_rows: list[tuple[int, dict[str, Any], list[str]]] = field(default_factory=list)

    @property
    def new_rows(self) -> list[SaleRow]:
        return [row for row in self.rows if not row.already_recorded]


class ImportRefused(Invalid):
    """A sales file with bad rows: nothing was recorded; `errors` lists every bad row."""

    def __init__(self, errors: list[RowError]) -> None:
        self.errors = sorted(errors, key=lambda error: error.line)
        super().__init__({"file": _("%(n)s rows have problems; nothing was recorded.",
                                    n=len(self.errors))}, code="bad_rows")


def _parse_row(values: dict[str, str]) -> tuple[dict[str, Any], list[str]]:
    problems: list[str] = []
    parsed: dict[str, Any] = {}
    product_id = values["product_id"].strip()
    if _INT_TEXT.fullmatch(product_id) and int(product_id) > 0:
        parsed["product_id"] = int(product_id)
    else:
        problems.append(_("product_id: not a product id (%(value)s)", value=product_id[:40]))
    period = values["period"].strip()
    if check_period(period):
        problems.append(_("period: use YYYY-MM (%(value)s)", value=period[:40]))
    parsed["period"] = period
    units = values["units"].strip()
    if _INT_TEXT.fullmatch(units) and abs(int(units)) < MAX_UNITS:
        parsed["units"] = int(units)
    else:
        problems.append(_("units: not a whole number (%(value)s)", value=units[:40]))
    currency = values["currency"].strip().upper()
    if check_currency(currency):
        problems.append(_("currency: not an ISO 4217 code (%(value)s)", value=currency[:40]))
    else:
        parsed["currency"] = currency
        try:
            amount = parse_amount(values["net_sales"], currency)
        except ValueError:
            problems.append(_("net_sales: not an amount in %(currency)s (%(value)s)",
                              currency=currency, value=values["net_sales"].strip()[:40]))
        else:
            if abs(amount) >= MAX_AMOUNT_MINOR:
                problems.append(_("net_sales: the amount is too large"))
            parsed["net_sales_minor"] = amount
    ref = values["external_ref"].strip()
    problem = check_reference(ref)
    if problem:
        problems.append(_("external_ref: %(problem)s", problem=problem))
    parsed["external_ref"] = ref
    return parsed, problems


def parse_sales_csv(data: bytes) -> ParsedImport:
    """Read a sales file (columns product_id, period, units, net_sales, currency, external_ref;
    net_sales as decimal text in the currency's units). Every row is checked - its fields, that
    its product exists, that its reference is not repeated in the file or already recorded with
    other figures - and every bad row is reported with its line number and reason. Rows already
    recorded with the same figures are marked `already_recorded` (importing them is a no-op)."""
    result = ParsedImport()
    try:
        content = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        _file_problem(result, _("The file is not UTF-8 text."))
        return result
    reader = csv.reader(io.StringIO(content, newline=""))
    header = _read_header(reader, result)
    if header is None:
        return result
    _read_rows(reader, header, result)
    _check_against_database(result)
    result.errors.sort(key=lambda error: error.line)
    return result


def _read_header(reader: Any, result: ParsedImport) -> list[str] | None:
    """The header row, or None (with the reason in result.errors) when it is unusable."""
    try:
        header = next(reader)
    except StopIteration:
        _file_problem(result, _("The file is empty."))
        return None
    except csv.Error as error:
        _file_problem(result, _("Not a CSV file: %(error)s", error=str(error)))
        return None
    names = [name.strip().lower() for name in header]
    missing = [name for name in CSV_COLUMNS if name not in names]
    if missing:
        _file_problem(result, _(
            "The header must name the columns %(columns)s; missing: %(missing)s.",
            columns=", ".join(CSV_COLUMNS), missing=", ".join(missing)))
        return None
    return header


def _file_problem(result: ParsedImport, reason: str) -> None:
    result.file_problem = reason
    result.errors.append(RowError(1, reason))


def _read_rows(reader: Any, header: list[str], result: ParsedImport) -> None:
    """Check each data row; good ones go to result.rows, bad ones to result.errors."""
    names = [name.strip().lower() for name in header]
    position = {name: names.index(name) for name in CSV_COLUMNS}
    seen_refs: dict[str, int] = {}
    while True:
        try:
            record = next(reader)
        except StopIteration:
            break
        except csv.Error as error:
            result.errors.append(RowError(reader.line_num, _("Unreadable row: %(error)s",
                                                             error=str(error))))
            break
        line = reader.line_num
        if not record or all(not cell.strip() for cell in record):
            continue
        if len(result.rows) + len(result.errors) + len(result.bad_rows) >= IMPORT_MAX_ROWS:
            result.errors.append(RowError(line, _("Too many rows: at most %(n)s per file.",
                                                  n=IMPORT_MAX_ROWS)))
            break
        if len(record) != len(header):
            result.errors.append(RowError(line, _(
                "Expected %(expected)s columns, found %(found)s.", expected=len(header),
                found=len(record))))
            continue
        parsed, problems = _parse_row({name: record[index] for name, index in position.items()})
        ref = parsed["external_ref"]
        if ref and ref in seen_refs:
            problems.append(_("external_ref: %(ref)s is repeated (first on line %(line)s)",
                              ref=ref[:REF_MAX], line=seen_refs[ref]))
        elif ref:
            seen_refs[ref] = line
        if problems:
            result.bad_rows.append((line, parsed, problems))
        else:
            result.rows.append(SaleRow(line=line, **parsed))


def _chunks(items: list, size: int = 500) -> Iterable[list]:
    return chunks(items, size)


def _check_against_database(result: ParsedImport) -> None:
    """Set-based: one query per thousand rows for the products, one for the references. Rows
    with other problems are checked for their product too (every problem reported at once)."""
    product_ids = sorted({row.product_id for row in result.rows}
                         | {parsed["product_id"] for _line, parsed, _problems in result.bad_rows
                            if "product_id" in parsed})
    known: set[int] = set()
    for chunk in chunks(product_ids):
        known.update(db.session.scalars(
            select(Product.id).where(Product.id.in_(chunk), Product.splits.any())))
    recorded = SalePlanner._recorded([row.external_ref for row in result.rows])
    good = []
    for row in result.rows:
        if row.product_id not in known:
            result.errors.append(RowError(row.line, _("product_id: no such product (%(id)s)",
                                                      id=row.product_id)))
            continue
        figures = recorded.get(row.external_ref)
        if figures is not None:
            if figures != row.figures():
                result.errors.append(RowError(row.line, _(
                    "external_ref: %(ref)s was already recorded with different figures",
                    ref=row.external_ref)))
                continue
            row.already_recorded = True
        good.append(row)
    result.rows = good
    for line, parsed, problems in result.bad_rows:
        if "product_id" in parsed and parsed["product_id"] not in known:
            problems.insert(0, _("product_id: no such product (%(id)s)", id=parsed["product_id"]))
        result.errors.append(RowError(line, "; ".join(problems)))
    result.bad_rows = []


@dataclass
class ImportResult:
    created: int
    existing: int
    external_refs: list[str] = field(default_factory=list)


def import_sales(actor: User, rows: list[SaleRow],
                 progress: Callable[[int, int], None] | None = None, *,
                 batch_size: int = BATCH_SIZE) -> ImportResult:
    """Record every row of a checked sales file in this one transaction, or none of them: when a
    row fails now (e.g. a return larger than a creator's balance, or a reference recorded by
    someone else since the preview) ImportRefused lists every failing row and the caller rolls
    back. Posted in sets of batch_size rows (post_sales); creators get one notification each for
    the whole file. Files too large for one request are posted by run_import instead."""
    permissions.require(actor, "record_sale")
    lock_ledger()
    total = BatchResult()
    run = PostingRun()
    done = 0
    for batch in chunks(rows, batch_size):
        total.add(post_sales(actor, batch, run=run))
        if progress is not None:
            for index in range(done + 1, done + len(batch) + 1):
                progress(index, len(rows))
        done += len(batch)
    if total.errors:
        raise ImportRefused(total.errors)
    finish_import(actor, total.created, total.existing, total.external_refs, total.totals)
    return ImportResult(created=total.created, existing=total.existing,
                        external_refs=total.external_refs)


def finish_import(actor: User, created: int, existing: int, external_refs: list[str],
                  totals: Mapping[Any, Mapping[str, int]]) -> None:
    """Audit an imported file and tell each creator once what it added to their royalties."""
    if not created:
        return
    events.audit(actor, "ledger.sales_imported", None, after={
        "created": created, "existing": existing, "external_refs": external_refs[:1000]})
    _notify_royalties({int(user_id): amounts for user_id, amounts in totals.items()})
