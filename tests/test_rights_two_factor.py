"""Staff two-factor sign-in: enrolment with recovery codes, the code step at sign-in (HTML and
API tokens), its throttle, and STAFF_2FA_REQUIRED."""
from __future__ import annotations

import re
import time

import pyotp
import pytest
from sqlalchemy import func, select

from app.models import RecoveryCode, User
from app.services import two_factor
from tests import factories as f
from tests.helpers import bearer, csrf_token, login


def _enrolled(*roles: str, email: str = "fin@example.com") -> tuple[User, list[str]]:
    from app.extensions import db

    user = f.user(*(roles or ("finance",)), email=email)
    secret = two_factor.begin_enrolment(user)
    codes = two_factor.finish_enrolment(user, pyotp.TOTP(secret).now())
    db.session.commit()
    return user, codes


def _next_code(user: User) -> str:
    """A code of the next 30-second step (accepted for clock drift): enrolment used this one."""
    return pyotp.TOTP(user.totp_secret).at(time.time() + 30)


def _password_step(client, user, follow=False):
    return client.post("/login", data={"csrf_token": csrf_token(client, "/login"),
                                       "email": user.email, "password": f.PASSWORD},
                       follow_redirects=follow)


def _code_step(client, code):
    return client.post("/login/two-factor", data={
        "csrf_token": csrf_token(client, "/login/two-factor"), "code": code})


def test_staff_enrol_with_a_qr_code_and_get_recovery_codes(client, db):
    staff = f.user("admin")
    login(client, staff)
    page = client.get("/account/two-factor").get_data(as_text=True)
    assert "two-factor-start" in page
    client.post("/account/two-factor/start", data={"csrf_token": csrf_token(
        client, "/account/two-factor")})
    page = client.get("/account/two-factor").get_data(as_text=True)
    assert "<svg" in page and "two-factor-qr" in page
    secret = re.search(r'data-testid="two-factor-secret">([A-Z2-7]+)<', page).group(1)
    wrong = client.post("/account/two-factor/confirm", data={
        "csrf_token": csrf_token(client, "/account/two-factor"), "code": "000000"})
    assert wrong.status_code == 422
    done = client.post("/account/two-factor/confirm", data={
        "csrf_token": csrf_token(client, "/account/two-factor"),
        "code": pyotp.TOTP(secret).now()})
    assert done.status_code == 200
    codes = re.findall(r"<code>([0-9a-f]{8}-[0-9a-f]{8})</code>", done.get_data(as_text=True))
    assert len(codes) == 10
    db.session.expire_all()
    assert db.session.get(User, staff.id).two_factor_enabled
    stored = db.session.scalars(select(RecoveryCode.code_hash).where(
        RecoveryCode.user_id == staff.id)).all()
    assert len(stored) == 10 and not set(codes) & set(stored)  # only hashes are kept


def test_members_have_no_two_factor_page(client, db):
    login(client, f.user())
    assert client.get("/account/two-factor").status_code == 403


def test_sign_in_asks_for_the_code_after_the_password(client, db):
    user, _codes = _enrolled()
    response = _password_step(client, user)
    assert response.status_code == 302 and response.headers["Location"].endswith(
        "/login/two-factor")
    assert client.get("/me").status_code == 302  # not signed in yet
    assert _code_step(client, "123456").status_code == 422
    done = _code_step(client, _next_code(user))
    assert done.status_code == 302
    assert client.get("/me").status_code == 200


def test_a_code_works_once(client, db):
    user, _codes = _enrolled()
    code = _next_code(user)
    _password_step(client, user)
    assert _code_step(client, code).status_code == 302
    client.post("/logout", data={"csrf_token": csrf_token(client)})
    _password_step(client, user)
    assert _code_step(client, code).status_code == 422  # replayed


def test_a_recovery_code_works_once(client, db):
    user, codes = _enrolled()
    _password_step(client, user)
    assert _code_step(client, codes[0].upper()).status_code == 302
    client.post("/logout", data={"csrf_token": csrf_token(client)})
    _password_step(client, user)
    assert _code_step(client, codes[0]).status_code == 422
    assert two_factor.recovery_codes_left(user) == 9


def test_wrong_codes_are_throttled_like_passwords(app, client, db):
    app.config["SIGN_IN_MAX_FAILURES"] = 3
    user, _codes = _enrolled()
    _password_step(client, user)
    statuses = [_code_step(client, "000000").status_code for _n in range(4)]
    assert statuses[:2] == [422, 422] and statuses[-1] == 429
    # Locked: even the right code waits.
    assert _code_step(client, _next_code(user)).status_code == 429


def test_the_code_step_without_a_password_goes_to_sign_in(client, db):
    assert client.get("/login/two-factor").status_code == 302
    response = client.post("/login/two-factor", data={"csrf_token": csrf_token(client, "/login"),
                                                      "code": "123456"})
    assert response.status_code == 302 and response.headers["Location"].endswith("/login")


def test_api_tokens_need_the_code_for_an_enrolled_account(client, db):
    user, codes = _enrolled()
    body = {"email": user.email, "password": f.PASSWORD}
    refused = client.post("/api/v1/tokens", json=body)
    assert refused.status_code == 401
    assert refused.get_json()["error"]["code"] == "two_factor_required"
    assert client.post("/api/v1/tokens", json={**body, "code": "000000"}).status_code == 422
    ok = client.post("/api/v1/tokens", json={**body, "code": codes[1]})
    assert ok.status_code == 201


def test_tokens_issued_before_enrolment_keep_working(client, db):
    user = f.user("finance")
    headers = bearer(user)
    secret = two_factor.begin_enrolment(user)
    two_factor.finish_enrolment(user, pyotp.TOTP(secret).now())
    db.session.commit()
    assert client.get("/api/v1/me", headers=headers).status_code == 200


@pytest.mark.parametrize("role", ["admin", "finance"])
def test_when_required_admins_and_finance_must_enrol_first(app, client, db, role):
    app.config["STAFF_2FA_REQUIRED"] = True
    staff = f.user(role)
    login(client, staff)
    response = client.get("/me")
    assert response.status_code == 302 and response.headers["Location"].endswith(
        "/account/two-factor")
    assert client.get("/account/two-factor").status_code == 200


def test_when_required_other_staff_and_members_go_on(app, client, db):
    app.config["STAFF_2FA_REQUIRED"] = True
    login(client, f.user("moderator"))
    assert client.get("/me").status_code == 200


def test_required_two_factor_cannot_be_turned_off(app, client, db):
    user, _codes = _enrolled("admin")
    app.config["STAFF_2FA_REQUIRED"] = True
    from app.errors import Conflict

    with pytest.raises(Conflict):
        two_factor.disable(user, f.PASSWORD, _next_code(user))


def test_turning_it_off_needs_the_password_and_a_code(client, db):
    user, codes = _enrolled()
    login(client, user)
    page = "/account/two-factor"
    wrong = client.post("/account/two-factor/disable", data={
        "csrf_token": csrf_token(client, page), "password": "wrong wrong", "code": codes[0]})
    assert wrong.status_code == 422
    ok = client.post("/account/two-factor/disable", data={
        "csrf_token": csrf_token(client, page), "password": f.PASSWORD, "code": codes[1]})
    assert ok.status_code == 302
    db.session.expire_all()
    assert not db.session.get(User, user.id).two_factor_enabled
    assert db.session.scalar(select(func.count()).select_from(RecoveryCode).where(
        RecoveryCode.user_id == user.id)) == 0


def test_the_code_page_is_in_japanese(client, db):
    user, _codes = _enrolled()
    user.locale = "ja"
    db.session.commit()
    _password_step(client, user)
    html = client.get("/login/two-factor?lang=ja").get_data(as_text=True)
    assert "二段階" in html
