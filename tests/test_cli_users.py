"""`flask users ...` for operators, and `flask notifications digest`."""
from __future__ import annotations

import pytest

from app.extensions import db
from app.models import AuditLog, User
from app.services import accounts
from tests import factories


@pytest.fixture
def cli(app):
    runner = app.test_cli_runner()

    def run(*args):
        result = runner.invoke(args=list(args))
        db.session.expire_all()
        return result

    return run


def test_create_makes_a_confirmed_account_with_roles(cli):
    result = cli("users", "create", "Boss@Example.com", "--password", "river stones 42",
                 "--name", "The Boss", "--role", "admin", "--role", "finance")
    assert result.exit_code == 0, result.output
    user = accounts.get_by_email("boss@example.com")
    assert user.email_confirmed and user.display_name == "The Boss"
    assert user.roles == ["member", "finance", "admin"]
    assert user.check_password("river stones 42")
    granted = db.session.query(AuditLog).filter_by(action="user.role_granted", target_id=user.id)
    assert granted.count() == 2 and all(row.actor_id is None for row in granted)


def test_create_refuses_a_taken_email(cli):
    factories.user(email="taken@example.com")
    result = cli("users", "create", "taken@example.com", "--password", "river stones 42",
                 "--name", "Again")
    assert result.exit_code == 1
    assert "already exists" in result.output
    assert db.session.query(User).filter_by(email="taken@example.com").count() == 1


def test_create_refuses_an_unknown_role(cli):
    result = cli("users", "create", "new@example.com", "--password", "river stones 42",
                 "--name", "New", "--role", "superuser")
    assert result.exit_code == 1
    assert "Unknown role 'superuser'" in result.output
    assert accounts.get_by_email("new@example.com") is None


def test_create_refuses_a_weak_password(cli):
    result = cli("users", "create", "new@example.com", "--password", "password123", "--name", "New")
    assert result.exit_code == 1
    assert "password" in result.output
    assert accounts.get_by_email("new@example.com") is None


def test_grant_and_revoke_roles_are_audited(cli):
    person = factories.user(email="staff@example.com")
    assert cli("users", "grant", "staff@example.com", "moderator").exit_code == 0
    assert db.session.get(User, person.id).has_role("moderator")
    again = cli("users", "grant", "staff@example.com", "moderator")
    assert again.exit_code == 0 and "already had" in again.output
    assert cli("users", "revoke", "staff@example.com", "moderator").exit_code == 0
    assert not db.session.get(User, person.id).has_role("moderator")
    actions = [row.action for row in db.session.query(AuditLog).order_by(AuditLog.id)]
    assert actions == ["user.role_granted", "user.role_revoked"]


def test_grant_to_unknown_user_or_role_fails(cli):
    factories.user(email="staff@example.com")
    assert cli("users", "grant", "nobody@example.com", "admin").exit_code == 1
    assert cli("users", "grant", "staff@example.com", "emperor").exit_code == 1
    assert cli("users", "revoke", "staff@example.com", "member").exit_code == 1


def test_block_and_unblock(cli):
    person = factories.user(email="spam@example.com")
    result = cli("users", "block", "spam@example.com", "--reason", "spam links")
    assert result.exit_code == 0
    assert db.session.get(User, person.id).is_blocked
    entry = db.session.query(AuditLog).filter_by(action="user.blocked").one()
    assert entry.target_id == person.id and entry.reason == "spam links"
    assert cli("users", "unblock", "spam@example.com").exit_code == 0
    assert not db.session.get(User, person.id).is_blocked


def test_digest_command_reports_mails_sent(cli):
    from app.services import events

    person = factories.user()
    factories.deliver(person, "daily")
    events.notify([person], "idea_supported", {"name": "Someone", "title": "Lamp", "count": 2})
    db.session.commit()
    result = cli("notifications", "digest", "--mode", "daily")
    assert result.exit_code == 0 and "Sent 1 daily digest" in result.output
    assert cli("notifications", "digest", "--mode", "daily").output.startswith("Sent 0")
    assert cli("notifications", "digest", "--mode", "hourly").exit_code == 2
