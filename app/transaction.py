"""The one transaction boundary of a request (indico's `RH.process()`, Fider's `WebSetup()`).

Views and API endpoints run a use case through here: the session commits when the use case
returns and rolls back when it raises anything; services never commit. A refusal (a DomainError)
is turned into what the user sees in one place, for HTML and JSON alike:

=========================  ===============================================  ================
error                      HTML                                             JSON
=========================  ===============================================  ================
Invalid                    field errors on the form's fields (the others    the error
                           flashed)                                         envelope with
Conflict, TooLarge,        flashed on the page the form comes back to       the error's
Malformed                                                                   status
Forbidden                  the error page with the reason, 403
NotFound                   the 404 page
Unauthorized               a redirect to sign in, then back
=========================  ===============================================  ================

Forbidden is a page of its own, not a message: the review and admin forms have always answered
403 to whoever may not use them (tests/test_review_authorization_matrix.py), and the idea forms
now do the same instead of a message.

`transaction()` is the core (API endpoints, CLI commands and views with a page of their own for a
refusal use it directly; the app's DomainError handler answers with `error_response`); `perform()`
is the HTML adapter for forms.
"""
from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from flask import Flask, flash, g, redirect, render_template, request, url_for

from app import labels
from app.errors import (Conflict, DomainError, Invalid, Malformed, QuotaExceeded, TooLarge,
                        Unauthorized)
from app.extensions import db

T = TypeVar("T")

#: Refusals an HTML form shows on the page it comes back to; the others (Forbidden, NotFound,
#: Unauthorized) leave it for the error page or the sign-in form (`error_response`).
SHOWN_ON_THE_PAGE = (Invalid, Conflict, TooLarge, Malformed, QuotaExceeded)


#: Set in `g` while a transaction() block is open: one inside it only flushes.
_OPEN = "_kyoso_transaction_open"


@contextmanager
def transaction() -> Iterator[None]:
    """Commit when the block ends; roll back and re-raise when it raises anything (a refusal,
    a bug, a failed commit). After-commit jobs (app.jobs) run at the commit, never on a rollback.

        with transaction():
            idea = idea_service.create_draft(user, values)

    A transaction() inside another one flushes instead of committing, and the outermost block
    commits everything at once (app.idempotency keeps an endpoint's answer in the same commit as
    what the endpoint created). A refusal inside still rolls back the whole transaction.
    """
    outermost = not g.get(_OPEN, False)
    setattr(g, _OPEN, True)
    try:
        yield
        if outermost:
            db.session.commit()
        else:
            db.session.flush()
    except BaseException:
        db.session.rollback()
        raise
    finally:
        if outermost:
            setattr(g, _OPEN, False)


@dataclass
class Outcome(Generic[T]):
    """What `perform` did: truthy when the action succeeded (`value` is what it returned), falsy
    when it was refused (`error` says why; `status` is the HTTP status of the refusal)."""

    value: T | None = None
    error: DomainError | None = None

    def __bool__(self) -> bool:
        return self.error is None

    @property
    def status(self) -> int:
        return self.error.status if self.error is not None else 200


def perform(action: Callable[[], T], *, done: str | None = None, form: Any = None,
            validate: Any = None, rename: Mapping[str, str] | None = None,
            conflict_field: str | None = None) -> Outcome[T]:
    """Run one use case for an HTML view in its own transaction and show the result.

    validate: a posted form to check first (CSRF token and fields). When it fails nothing runs
              and its errors are flashed, since the view redirects and the form is not shown
              again; the service's field errors are flashed too.
    form:     a form the view shows again on a refusal: the service's field errors go onto its
              fields (`rename` maps a service's field name to the form's), the others are flashed.
    done:     flashed as a success once the transaction has committed.
    conflict_field: the field of `form` a refusal without field errors is shown next to (an
              address already invited belongs beside the address), instead of a message.

    A Forbidden, NotFound or Unauthorized is raised on, after the rollback, to the app's error
    handler (the 403 or 404 page, the sign-in form); so is any exception that is not a DomainError
    (a bug: the 500 page).
    """
    if validate is not None and not validate.validate_on_submit():
        flash_form_errors(validate)
        return Outcome(error=Invalid({name: "; ".join(str(m) for m in messages)
                                      for name, messages in validate.errors.items()}))
    try:
        with transaction():
            value = action()
    except SHOWN_ON_THE_PAGE as error:
        show_refusal(error, form, rename, conflict_field)
        return Outcome(error=error)
    if done:
        flash(done, "success")
    return Outcome(value)


def show_refusal(error: DomainError, form: Any = None,
                 rename: Mapping[str, str] | None = None,
                 conflict_field: str | None = None) -> None:
    """A refusal on the page: field errors on the form's fields when it has them, the rest (and a
    refusal without field errors) as error messages, or beside `conflict_field`."""
    fields = getattr(error, "fields", None) or {}
    if not fields and conflict_field and form is not None:
        field = getattr(form, conflict_field, None)
        if field is not None and hasattr(field, "errors"):
            field.errors = [*field.errors, labels.translated(error.message)]
            return
    for name, message in fields.items():
        field = getattr(form, (rename or {}).get(name, name), None) if form is not None else None
        if field is not None and hasattr(field, "errors"):
            field.errors = [*field.errors, message]
        else:
            flash(labels.translated(message), "error")
    if not fields:
        flash(labels.translated(error.message), "error")


def flash_form_errors(form: Any) -> None:
    """A posted form's validation errors as messages, each after its field's label."""
    for name, messages in form.errors.items():
        field = getattr(form, name, None) if isinstance(name, str) else None  # None: the form's
        label = field.label.text if field is not None and name != "csrf_token" else None
        for message in messages:
            flash(f"{label}: {message}" if label else message, "error")


def error_response(error: DomainError, *, as_json: bool):
    """The answer to a refusal no view has shown (the app's DomainError handler): the error
    envelope for JSON; for HTML a redirect to sign in, or the error page with the status."""
    from app.web import error_json

    db.session.rollback()  # a rejected request changes nothing
    if as_json:
        status = error.status
        if isinstance(error, Invalid) and error.code.endswith("_not_found"):
            status = 404  # a well-formed reference to no row: as for an id in the path
        response, status = error_json(status, error.code, error.message,
                                      getattr(error, "fields", None))
        if getattr(error, "retry_after", None):  # 429 too_many_attempts
            response.headers["Retry-After"] = str(error.retry_after)
        return response, status
    if isinstance(error, Unauthorized):
        flash(labels.translated(error.message), "info")
        # Encoded as a query value: a path holding "&", "#" or a line break (%0d%0a) must
        # neither cut the address short nor break the Location header.
        back = request.full_path if request.query_string else request.path
        return redirect(url_for("accounts.login", next=back))
    return render_template("errors/error.html", status=error.status,
                           message=labels.translated(error.message)), error.status


def init_app(app: Flask) -> None:
    @app.teardown_request
    def _roll_back_a_failed_request(error: BaseException | None = None) -> None:
        """Whatever raised past the views (a bug, an abort outside `transaction()`) leaves
        nothing pending for the next request sharing this session (tests, scripts)."""
        if error is not None:
            db.session.rollback()
