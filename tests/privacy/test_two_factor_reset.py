"""Resetting the two-factor sign-in of a staff member who lost the authenticator app and the
recovery codes (issue 13): `flask users reset-2fa EMAIL` and the admin's action on the user
page; admins only, audited, the member told by mail in their language, signed out everywhere."""
from __future__ import annotations

from sqlalchemy import func, select

from app.models import AuditLog, OutboundMail, RecoveryCode, User
from tests import factories as f
from tests.helpers import bearer, csrf_token, login
from tests.test_rights_two_factor import _enrolled, _password_step


def _mails_to(db, address: str) -> list[OutboundMail]:
    return db.session.scalars(select(OutboundMail).where(OutboundMail.to_address == address)
                              .order_by(OutboundMail.id)).all()


def _reset_page(client, account_id: int, reason: str = "Checked by video call with ID"):
    token = csrf_token(client, f"/admin/users/{account_id}")
    return client.post(f"/admin/users/{account_id}/two-factor/reset",
                       data={"csrf_token": token, "reason": reason})


def _audits(db, user_id: int) -> list[AuditLog]:
    return db.session.scalars(select(AuditLog).where(
        AuditLog.action == "user.two_factor_reset", AuditLog.target_id == user_id)).all()


def test_an_admin_resets_it_from_the_user_page(client, db):
    locked_out, _codes = _enrolled("finance", email="lost.phone@example.com")
    headers = bearer(locked_out)
    admin = f.user("admin")
    login(client, admin)
    page = client.get(f"/admin/users/{locked_out.id}").get_data(as_text=True)
    assert 'data-testid="reset-two-factor"' in page
    response = _reset_page(client, locked_out.id)
    assert response.status_code == 302
    db.session.expire_all()
    account = db.session.get(User, locked_out.id)
    assert not account.two_factor_enabled and account.totp_secret is None
    assert db.session.scalar(select(func.count()).select_from(RecoveryCode).where(
        RecoveryCode.user_id == locked_out.id)) == 0
    assert client.get("/api/v1/me", headers=headers).status_code == 401  # signed out everywhere
    [entry] = _audits(db, locked_out.id)
    assert entry.actor_id == admin.id and entry.reason == "Checked by video call with ID"
    assert entry.before == {"two_factor": True} and entry.after == {"two_factor": False}
    [mail] = _mails_to(db, "lost.phone@example.com")
    assert "two-factor sign-in was reset" in mail.subject
    assert "/login" in mail.body
    # They sign in with the password alone now (and enrol again where required).
    client.post("/logout", data={"csrf_token": csrf_token(client)})
    signed_in = _password_step(client, db.session.get(User, locked_out.id))
    assert "/login/two-factor" not in signed_in.headers.get("Location", "")
    page = client.get(f"/admin/users/{locked_out.id}")
    assert page.status_code in (302, 403)  # finance is not admin: the page is not theirs


def test_the_reason_is_required_and_nothing_happens_without_it(client, db):
    locked_out, _codes = _enrolled("finance")
    login(client, f.user("admin"))
    _reset_page(client, locked_out.id, reason="")
    db.session.expire_all()
    assert db.session.get(User, locked_out.id).two_factor_enabled
    assert _audits(db, locked_out.id) == []


def test_only_admins_may_and_not_for_themselves(client, db):
    locked_out, _codes = _enrolled("finance")
    login(client, f.user("moderator", "finance"))
    assert _reset_page(client, locked_out.id).status_code == 403
    admin, _codes = _enrolled("admin", email="admin.self@example.com")
    client.post("/logout", data={"csrf_token": csrf_token(client)})
    login(client, admin)
    page = client.get(f"/admin/users/{admin.id}").get_data(as_text=True)
    assert 'data-testid="reset-two-factor"' not in page
    refused = _reset_page(client, admin.id)
    assert refused.status_code == 302
    db.session.expire_all()
    assert db.session.get(User, admin.id).two_factor_enabled and _audits(db, admin.id) == []
    assert db.session.get(User, locked_out.id).two_factor_enabled
    assert _reset_page(client, 999_999).status_code == 404


def test_without_a_csrf_token_nothing_happens(client, db):
    locked_out, _codes = _enrolled("finance")
    login(client, f.user("admin"))
    response = client.post(f"/admin/users/{locked_out.id}/two-factor/reset",
                           data={"reason": "no token"})
    assert response.status_code in (302, 400)
    db.session.expire_all()
    assert db.session.get(User, locked_out.id).two_factor_enabled


def test_the_member_is_told_in_their_language(client, db):
    locked_out, _codes = _enrolled("finance", email="ja.staff@example.com")
    locked_out.locale = "ja"
    db.session.commit()
    login(client, f.user("admin"))
    _reset_page(client, locked_out.id)
    [mail] = _mails_to(db, "ja.staff@example.com")
    assert "二段階" in mail.subject


def test_the_operators_command_resets_it_and_is_audited(app, db):
    locked_out, _codes = _enrolled("admin", email="ops.reset@example.com")
    runner = app.test_cli_runner()
    result = runner.invoke(args=["users", "reset-2fa", "OPS.reset@example.com", "--yes",
                                 "--reason", "Ticket 42, identity checked in person"])
    assert result.exit_code == 0, result.output
    assert "is reset" in result.output
    db.session.expire_all()
    assert not db.session.get(User, locked_out.id).two_factor_enabled
    [entry] = _audits(db, locked_out.id)
    assert entry.actor_id is None and entry.reason == "Ticket 42, identity checked in person"
    assert len(_mails_to(db, "ops.reset@example.com")) == 1
    again = runner.invoke(args=["users", "reset-2fa", "ops.reset@example.com", "--yes",
                                "--reason", "twice"])
    assert again.exit_code == 0 and "no two-factor sign-in" in again.output
    assert len(_audits(db, locked_out.id)) == 1
    unknown = runner.invoke(args=["users", "reset-2fa", "nobody@example.com", "--yes",
                                  "--reason", "x"])
    assert unknown.exit_code != 0
    no_reason = runner.invoke(args=["users", "reset-2fa", "ops.reset@example.com", "--yes"])
    assert no_reason.exit_code != 0
