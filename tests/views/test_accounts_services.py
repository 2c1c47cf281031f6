"""The account rules themselves (app.services.accounts), below the pages and the API."""
from __future__ import annotations

import pytest

from app.errors import Conflict, Invalid, Unauthorized
from app.extensions import db
from app.services import accounts
from tests import factories


@pytest.fixture(autouse=True)
def _request(app):
    """Translated messages need a request until the locale selector copes without one."""
    with app.test_request_context():
        yield


@pytest.mark.parametrize("password", ["river stones 42", "ちいさな部屋のための机", "Tr0ub4dor&3xyz"])
def test_good_passwords_pass(password):
    assert accounts.password_problem(password, "fan@example.com") is None


@pytest.mark.parametrize("password", ["", "123456789", "aaaaaaaaaaaaaaa", "ababababab", "Password123",
                                      "QWERTYUIOP", "fan@example.com", "x" * 201])
def test_weak_passwords_are_refused(password):
    assert accounts.password_problem(password, "fan@example.com")


def test_emails_are_stored_lower_case_and_unique(app):
    user = accounts.register("  Mixed.Case@Example.COM ", "river stones 42", "  Mixed   Case ")
    db.session.commit()
    assert user.email == "mixed.case@example.com" and user.display_name == "Mixed Case"
    with pytest.raises(Conflict) as refused:
        accounts.register("MIXED.case@example.com", "river stones 42", "Again")
    assert refused.value.code == "email_taken"


def test_register_reports_every_bad_field_at_once(app):
    with pytest.raises(Invalid) as refused:
        accounts.register("nope", "short", "")
    assert set(refused.value.fields) == {"email", "password", "display_name"}


def test_display_name_with_control_characters_is_refused(app):
    with pytest.raises(Invalid):
        accounts.register("a@example.com", "river stones 42", "evil\u202ename")


def test_expired_confirmation_link_is_refused(app, monkeypatch):
    user = factories.user(confirmed=False)
    token = accounts.make_confirmation_token(user)
    monkeypatch.setattr(accounts, "CONFIRM_MAX_AGE", -1)
    with pytest.raises(Invalid) as refused:
        accounts.confirm_email(token)
    assert refused.value.code == "token_expired"


def test_links_of_one_purpose_do_not_work_for_another(app):
    user = factories.user(confirmed=False)
    with pytest.raises(Invalid):
        accounts.user_for_reset_token(accounts.make_confirmation_token(user))
    with pytest.raises(Invalid):
        accounts.confirm_email(accounts.make_reset_token(user))


def test_links_signed_with_another_secret_do_not_work(app):
    user = factories.user(confirmed=False)
    token = accounts.make_confirmation_token(user)
    app.config["SECRET_KEY"] = "another secret"
    with pytest.raises(Invalid):
        accounts.confirm_email(token)


def test_reset_bumps_the_stamp_and_confirms_the_address(app):
    user = factories.user(confirmed=False)
    token = accounts.make_reset_token(user)
    accounts.reset_password(token, "a fresh good secret")
    db.session.commit()
    assert user.security_stamp == 1 and user.email_confirmed
    with pytest.raises(Invalid):
        accounts.reset_password(token, "yet another secret")


def test_authenticate_refuses_blocked_accounts_even_with_the_right_password(app):
    user = factories.user(email="fan@example.com")
    accounts.block_user(None, user)
    db.session.commit()  # a sign-in starts a transaction of its own (its count commits apart)
    with pytest.raises(Unauthorized) as refused:
        accounts.authenticate("fan@example.com", factories.PASSWORD)
    assert refused.value.code == "account_blocked"
