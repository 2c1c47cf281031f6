"""The one transaction boundary (app.transaction): a use case commits when it returns, and a
refusal or a bug rolls everything back; refusals are shown once, on the form or as a message."""
from __future__ import annotations

import pytest
from flask import get_flashed_messages
from flask_wtf import FlaskForm
from sqlalchemy import func, select
from wtforms import StringField
from wtforms.validators import DataRequired

from app import jobs
from app.errors import Conflict, Forbidden, Invalid, NotFound
from app.extensions import db
from app.models import Tag
from app.transaction import perform, transaction


class NameForm(FlaskForm):
    class Meta:
        csrf = False

    name = StringField("Name", validators=[DataRequired()])


def _tags() -> list[str]:
    return list(db.session.scalars(select(Tag.name).order_by(Tag.name)))


def _add_tag(name: str, then: Exception | None = None) -> Tag:
    tag = Tag(name=name)
    db.session.add(tag)
    db.session.flush()  # written to the database, not yet committed
    if then is not None:
        raise then
    return tag


@pytest.fixture
def request_ctx(app):
    with app.test_request_context("/", method="POST", data={"name": "posted"}):
        yield


def test_a_use_case_that_returns_is_committed(request_ctx):
    done = perform(lambda: _add_tag("kept"), done="Saved.")
    assert done and done.status == 200 and done.value.name == "kept"
    db.session.rollback()  # nothing is pending: the row survives a rollback
    assert _tags() == ["kept"]
    assert get_flashed_messages(with_categories=True) == [("success", "Saved.")]


def test_a_refusal_rolls_back_everything_the_use_case_wrote(request_ctx):
    refused = perform(lambda: _add_tag("dropped", Conflict("taken", "Already there.")),
                      done="Saved.")
    assert not refused and refused.status == 409 and refused.error.code == "taken"
    assert _tags() == []
    assert get_flashed_messages(with_categories=True) == [("error", "Already there.")]


def test_invalid_puts_field_errors_on_the_form_and_flashes_the_rest(request_ctx):
    form = NameForm()
    refused = perform(lambda: _add_tag("x", Invalid({"name": "Too short.", "other": "Odd."})),
                      form=form)
    assert refused.status == 422
    assert form.name.errors == ["Too short."]
    assert get_flashed_messages() == ["Odd."]
    assert _tags() == []


def test_rename_maps_a_service_field_to_the_form_field(request_ctx):
    form = NameForm()
    perform(lambda: _add_tag("x", Invalid({"title": "Needed."})), form=form,
            rename={"title": "name"})
    assert form.name.errors == ["Needed."] and get_flashed_messages() == []


def test_a_form_that_fails_validation_runs_nothing_and_flashes_its_errors(app):
    with app.test_request_context("/", method="POST", data={"name": ""}):
        ran = []
        refused = perform(lambda: ran.append(1), validate=NameForm(), done="Saved.")
        assert not refused and refused.status == 422 and ran == []
        assert get_flashed_messages() == ["Name: This field is required."]


@pytest.mark.parametrize("error", [NotFound("gone"), Forbidden("no")])
def test_not_found_and_forbidden_roll_back_and_go_on_to_the_error_page(request_ctx, error):
    with pytest.raises(type(error)):
        perform(lambda: _add_tag("dropped", error))
    assert _tags() == []
    assert get_flashed_messages() == []


def test_an_unexpected_exception_rolls_back_and_is_raised_on(request_ctx):
    with pytest.raises(ZeroDivisionError):
        perform(lambda: _add_tag("dropped", ZeroDivisionError()))
    assert _tags() == []


def test_after_commit_jobs_run_after_the_commit_and_never_after_a_rollback(app):
    ran: list[str] = []

    def use_case(name: str, then: Exception | None = None) -> None:
        jobs.after_commit(lambda: ran.append(name))
        _add_tag(name, then)

    with pytest.raises(Conflict):
        with transaction():
            use_case("refused", Conflict())
    assert ran == []
    with transaction():
        use_case("kept")
        assert ran == []  # not before the commit
    assert ran == ["kept"] and _tags() == ["kept"]


def test_a_request_that_fails_outside_any_transaction_leaves_nothing_pending(app):
    """The teardown rolls back whatever a request that raised had written without transaction()
    (here the exception reaches the test, so no error page handler has rolled back)."""
    @app.get("/test-broken")
    def broken():
        _add_tag("dropped", ZeroDivisionError())

    with pytest.raises(ZeroDivisionError):
        app.test_client().get("/test-broken")
    assert db.session.scalar(select(func.count()).select_from(Tag)) == 0
