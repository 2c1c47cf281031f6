"""Issue 10 (5-7): password strength, the per-account sign-in throttle, server-side sessions and
remember-me, and blocks that end every credential, seen as a member (and an attacker) sees them:
through the sign-in form, the API, the moderation and admin pages and the CLI."""
from __future__ import annotations

import re

import pytest

from app import mail
from app.extensions import db
from app.models import User
from app.services import accounts
from tests import factories as f
from tests.helpers import bearer, csrf_token, login

WEAK = ["Password1!", "qwertyuiop1"]


@pytest.fixture
def sent(monkeypatch) -> list[tuple[str, str, str]]:
    outbox: list[tuple[str, str, str]] = []
    monkeypatch.setattr(mail, "send_now", lambda to, subject, body, headers=None: outbox.append(
        (to, subject, body)))
    return outbox


def sign_in(client, email: str, password: str = f.PASSWORD, remember: bool = False):
    """Sign in through the form, as a browser does."""
    data = {"csrf_token": csrf_token(client, "/login"), "email": email, "password": password}
    if remember:
        data["remember"] = "y"
    return client.post("/login", data=data)


# --------------------------------------------------------------------------- password strength


@pytest.mark.parametrize("password", WEAK)
def test_sign_up_page_refuses_a_weak_password_with_the_reason(client, password):
    response = client.post("/signup", data={
        "csrf_token": csrf_token(client, "/signup"), "email": "new@example.com",
        "display_name": "New Member", "password": password})
    assert response.status_code == 422
    assert "too easy to guess" in response.get_data(as_text=True)
    assert db.session.query(User).filter_by(email="new@example.com").count() == 0


@pytest.mark.parametrize("password", WEAK)
def test_api_sign_up_refuses_a_weak_password_with_a_field_error(client, password):
    response = client.post("/api/v1/users", json={"email": "new@example.com", "password": password,
                                                  "display_name": "New Member"})
    assert response.status_code == 422
    assert "too easy to guess" in response.get_json()["error"]["fields"]["password"]


def test_a_password_made_of_the_members_own_name_is_refused(app):
    with app.test_request_context():
        assert accounts.password_problem("Yamada Hanako", "hanako@example.com", "Yamada Hanako")
        assert accounts.password_problem("hanako@example.com", "hanako@example.com")


def test_the_minimum_score_is_a_setting(app):
    with app.test_request_context():
        assert accounts.password_problem("kyoso-demo") is None  # zxcvbn score 3
        app.config["PASSWORD_MIN_SCORE"] = 4
        assert accounts.password_problem("kyoso-demo")


def test_change_password_page_refuses_a_weak_password(client):
    member = f.user()
    login(client, member)
    response = client.post("/account/password", data={
        "csrf_token": csrf_token(client, "/account/password"), "current_password": f.PASSWORD,
        "new_password": "Password1!", "confirm": "Password1!"})
    assert response.status_code == 422
    assert "too easy to guess" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(User, member.id).check_password(f.PASSWORD)


def test_reset_password_page_refuses_a_weak_password(app, client):
    member = f.user()
    with app.test_request_context():
        token = accounts.make_reset_token(member)
    response = client.post(f"/password/reset/{token}", data={
        "csrf_token": csrf_token(client, f"/password/reset/{token}"),
        "password": "qwertyuiop1", "confirm": "qwertyuiop1"})
    assert response.status_code == 422
    assert "too easy to guess" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(User, member.id).check_password(f.PASSWORD)


# --------------------------------------------------------------------------- blocks end everything


def _signed_in(client) -> bool:
    return client.get("/me").status_code == 200


def _block_by_moderation_page(client, target: User) -> None:
    login(client, f.user("moderator"))
    client.post(f"/moderation/users/{target.id}/block", data={
        "csrf_token": csrf_token(client, "/moderation/users"), "reason": "spam"})
    client.post(f"/moderation/users/{target.id}/unblock", data={
        "csrf_token": csrf_token(client, "/moderation/users"), "reason": "appeal"})


def _block_by_admin_page(client, target: User) -> None:
    login(client, f.user("admin"))
    page = f"/admin/users/{target.id}"
    client.post(f"{page}/block", data={"csrf_token": csrf_token(client, page), "reason": "spam"})
    client.post(f"{page}/unblock", data={"csrf_token": csrf_token(client, page), "reason": "ok"})


def _block_by_api(client, target: User) -> None:
    headers = bearer(f.user("moderator"))
    assert client.post(f"/api/v1/moderation/users/{target.id}/block", json={"reason": "spam"},
                       headers=headers).status_code == 200
    assert client.post(f"/api/v1/moderation/users/{target.id}/unblock", json={},
                       headers=headers).status_code == 200


def _block_by_cli(app, target: User) -> None:
    runner = app.test_cli_runner()
    assert runner.invoke(args=["users", "block", target.email]).exit_code == 0
    assert runner.invoke(args=["users", "unblock", target.email]).exit_code == 0


@pytest.mark.parametrize("path", ["moderation", "admin", "api", "cli"])
def test_unblocking_revives_no_session_or_token_from_before_the_block(app, path):
    target = f.user(email="target@example.com")
    browser, remembered, staff = app.test_client(), app.test_client(), app.test_client()
    assert sign_in(browser, target.email).status_code == 302
    assert sign_in(remembered, target.email, remember=True).status_code == 302
    token = bearer(target)
    {"moderation": lambda: _block_by_moderation_page(staff, target),
     "admin": lambda: _block_by_admin_page(staff, target),
     "api": lambda: _block_by_api(staff, target),
     "cli": lambda: _block_by_cli(app, target)}[path]()
    db.session.expire_all()
    target = db.session.get(User, target.id)
    assert target.blocked_at is None  # blocked, then unblocked again
    assert not _signed_in(browser)
    remembered.delete_cookie("session")  # only the remember-me cookie is left
    assert not _signed_in(remembered)
    assert app.test_client().get("/api/v1/me", headers=token).status_code == 401
    # The member signs in afresh and is let in.
    assert sign_in(app.test_client(), target.email).status_code == 302


def test_every_block_path_audits_one_block(app, client):
    target = f.user()
    _block_by_admin_page(client, target)
    from app.models import AuditLog

    actions = [row.action for row in db.session.query(AuditLog).order_by(AuditLog.id)]
    assert actions.count("user.blocked") == 1 and actions.count("user.unblocked") == 1


def _mail_link(body: str) -> str:
    return re.search(r"https?://\S+", body).group(0)
