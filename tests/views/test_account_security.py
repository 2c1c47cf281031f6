"""Issue 10 (5-7): password strength, the per-account sign-in throttle, server-side sessions and
remember-me, and blocks that end every credential, seen as a member (and an attacker) sees them:
through the sign-in form, the API, the moderation and admin pages and the CLI."""
from __future__ import annotations

import pytest

from app import mail
from app.extensions import db
from app.models import User
from app.services import accounts
from tests import factories as f
from tests.helpers import bearer, csrf_token, login

WEAK = ["Password1!", "qwertyuiop1"]
LIMIT = 3


@pytest.fixture
def config_overrides() -> dict:
    return {"SIGN_IN_MAX_FAILURES": LIMIT, "SIGN_IN_LOCK_SECONDS": 600}


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




# --------------------------------------------------------------------------- the sign-in throttle


def _api_sign_in(client, email: str, password: str, ip: str):
    return client.post("/api/v1/tokens", json={"email": email, "password": password},
                       environ_base={"REMOTE_ADDR": ip})


def test_failures_on_the_form_and_the_api_share_one_lock_whatever_the_ip(app, sent):
    f.user(email="victim@example.com", name="Victim")
    browser = app.test_client()
    assert sign_in(browser, "victim@example.com", "guess number one").status_code == 422
    assert _api_sign_in(app.test_client(), "victim@example.com", "guess two", "10.0.0.2") \
        .status_code == 401
    assert _api_sign_in(app.test_client(), "victim@example.com", "guess 3", "10.0.0.3") \
        .status_code == 401
    # Locked now: even the right password, from a new address, is refused.
    locked = _api_sign_in(app.test_client(), "victim@example.com", f.PASSWORD, "10.0.0.4")
    assert locked.status_code == 429
    assert locked.get_json()["error"]["code"] == "too_many_attempts"
    assert 500 <= int(locked.headers["Retry-After"]) <= 600
    page = sign_in(app.test_client(), "victim@example.com")
    assert page.status_code == 429
    assert "Too many failed sign-ins for this account" in page.get_data(as_text=True)
    assert app.test_client().get("/me").status_code == 302
    # One mail to the member for the lock, however many attempts follow.
    sign_in(app.test_client(), "victim@example.com", "another guess")
    warnings = [mail for mail in sent if "trying to sign in" in mail[1]]
    assert [to for to, _subject, _body in warnings] == ["victim@example.com"]
    assert "/password/forgot" in warnings[0][2]


def test_guesses_in_flight_together_cannot_pass_the_limit(app, sent):
    """Attempts are counted before their password is checked: LIMIT attempts still running
    (here: reserved and not finished) leave no room for one more, right password or not."""
    from app.services import sign_ins

    f.user(email="victim@example.com")
    for _ in range(LIMIT):
        assert sign_ins.reserve_attempt("victim@example.com") is not None
    refused = _api_sign_in(app.test_client(), "victim@example.com", f.PASSWORD, "10.0.6.1")
    assert refused.status_code == 429
    assert refused.get_json()["error"]["code"] == "too_many_attempts"
    assert [to for to, subject, _body in sent if "trying to sign in" in subject] \
        == ["victim@example.com"]


def test_an_unknown_address_locks_the_same_way(app, sent):
    answers = [_api_sign_in(app.test_client(), "nobody@example.com", "guess", f"10.0.1.{n}")
               .status_code for n in range(LIMIT + 1)]
    assert answers == [401] * LIMIT + [429]
    assert not sent


def test_the_lock_ends_and_a_good_sign_in_clears_the_count(app):
    from datetime import timedelta

    from app.models import SignInThrottle
    from app.models.base import utcnow

    f.user(email="member@example.com")
    for _ in range(LIMIT):
        _api_sign_in(app.test_client(), "member@example.com", "wrong guess", "10.0.2.1")
    assert _api_sign_in(app.test_client(), "member@example.com", f.PASSWORD, "10.0.2.1") \
        .status_code == 429
    row = db.session.get(SignInThrottle, "member@example.com")
    row.locked_until = utcnow() - timedelta(seconds=1)
    db.session.commit()
    assert _api_sign_in(app.test_client(), "member@example.com", f.PASSWORD, "10.0.2.1") \
        .status_code == 201
    db.session.expire_all()
    assert db.session.get(SignInThrottle, "member@example.com") is None


def test_resetting_the_password_lifts_the_lock(app, client):
    member = f.user(email="member@example.com")
    for _ in range(LIMIT):
        _api_sign_in(app.test_client(), "member@example.com", "wrong guess", "10.0.3.1")
    with app.test_request_context():
        token = accounts.make_reset_token(member)
    assert client.post(f"/password/reset/{token}", data={
        "csrf_token": csrf_token(client, f"/password/reset/{token}"),
        "password": "a brand new secret", "confirm": "a brand new secret"}).status_code == 302
    assert _api_sign_in(app.test_client(), "member@example.com", "a brand new secret",
                        "10.0.3.1").status_code == 201


def test_an_overlong_address_is_refused_without_error(client):
    response = _api_sign_in(client, "x" * 5000 + "@example.com", "whatever", "10.0.4.1")
    assert response.status_code == 401


# --------------------------------------------------------------------------- sessions


def _copy_session_cookie(source, target) -> None:
    target.set_cookie("session", source.get_cookie("session").value)


def test_a_copied_session_cookie_stops_working_at_logout(app):
    f.user(email="member@example.com")
    browser, thief = app.test_client(), app.test_client()
    assert sign_in(browser, "member@example.com").status_code == 302
    _copy_session_cookie(browser, thief)
    assert _signed_in(thief)
    assert browser.post("/logout", data={"csrf_token": csrf_token(browser, "/me")}) \
        .status_code == 302
    assert not _signed_in(thief)
    assert thief.get("/api/v1/me").status_code == 401


def test_remember_me_is_per_sign_in_and_ends_at_logout(app):
    f.user(email="member@example.com")
    first, second = app.test_client(), app.test_client()
    sign_in(first, "member@example.com", remember=True)
    sign_in(second, "member@example.com", remember=True)
    token = first.get_cookie("kyoso_remember").value
    assert token != second.get_cookie("kyoso_remember").value
    # The cookie alone (the browser was closed) signs in again...
    copy = app.test_client()
    copy.set_cookie("kyoso_remember", token)
    assert _signed_in(copy)
    # ...until that session signs out: then neither the cookie nor a copy works.
    response = first.post("/logout", data={"csrf_token": csrf_token(first, "/me")})
    assert any(c.startswith("kyoso_remember=;") for c in response.headers.getlist("Set-Cookie"))
    fresh = app.test_client()
    fresh.set_cookie("kyoso_remember", token)
    assert not _signed_in(fresh)
    assert not _signed_in(copy)
    assert _signed_in(second)  # another sign-in is not affected


def test_remember_cookie_is_secure_over_https(app):
    f.user(email="member@example.com")
    browser = app.test_client()
    data = {"csrf_token": csrf_token(browser, "/login"), "email": "member@example.com",
            "password": f.PASSWORD, "remember": "y"}
    response = browser.post("/login", data=data, base_url="https://localhost",
                            headers={"Referer": "https://localhost/login"})
    cookie = next(c for c in response.headers.getlist("Set-Cookie")
                  if c.startswith("kyoso_remember="))
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_members_see_their_sessions_and_end_one_or_all_others(app):
    f.user(email="member@example.com")
    phone, laptop, tablet = app.test_client(), app.test_client(), app.test_client()
    for device, agent in ((phone, "Phone browser"), (laptop, "Laptop browser"),
                          (tablet, "Tablet browser")):
        device.environ_base["HTTP_USER_AGENT"] = agent
        sign_in(device, "member@example.com")
    page = laptop.get("/account/sessions").get_data(as_text=True)
    assert "Phone browser" in page and "Tablet browser" in page and "This browser" in page
    listed = laptop.get("/api/v1/me/sessions").get_json()["items"]
    assert len(listed) == 3
    assert [row["user_agent"] for row in listed if row["current"]] == ["Laptop browser"]
    phone_id = next(row["id"] for row in listed if row["user_agent"] == "Phone browser")
    token = csrf_token(laptop, "/account/sessions")
    assert laptop.post(f"/account/sessions/{phone_id}/end", data={"csrf_token": token}) \
        .status_code == 302
    assert not _signed_in(phone) and _signed_in(tablet)
    laptop.post("/account/sessions/end-others", data={"csrf_token": token})
    assert not _signed_in(tablet) and _signed_in(laptop)


def test_api_ends_one_session_and_not_someone_elses(app):
    member, other = f.user(email="member@example.com"), f.user(email="other@example.com")
    browser, theirs = app.test_client(), app.test_client()
    sign_in(browser, "member@example.com")
    sign_in(theirs, "other@example.com")
    headers = bearer(member)
    api = app.test_client()
    items = api.get("/api/v1/me/sessions", headers=headers).get_json()["items"]
    assert len(items) == 1 and not items[0]["current"]
    other_id = theirs.get("/api/v1/me/sessions").get_json()["items"][0]["id"]
    assert api.delete(f"/api/v1/me/sessions/{other_id}", headers=headers).status_code == 404
    assert _signed_in(theirs)
    assert api.delete(f"/api/v1/me/sessions/{items[0]['id']}", headers=headers).status_code == 204
    assert not _signed_in(browser)
    assert api.delete(f"/api/v1/me/sessions/{items[0]['id']}", headers=headers).status_code == 404
    sign_in(browser, "member@example.com")
    assert api.delete("/api/v1/me/sessions", headers=headers).get_json() == {"ended": 1}
    assert not _signed_in(browser)
    assert other.id  # untouched


def test_changing_the_password_ends_the_other_sessions_only(app):
    f.user(email="member@example.com")
    here, there = app.test_client(), app.test_client()
    sign_in(here, "member@example.com", remember=True)
    sign_in(there, "member@example.com", remember=True)
    token = csrf_token(here, "/account/password")
    response = here.post("/account/password", data={
        "csrf_token": token, "current_password": f.PASSWORD,
        "new_password": "a brand new secret", "confirm": "a brand new secret"})
    assert response.status_code == 302
    assert _signed_in(here) and not _signed_in(there)
    there.delete_cookie("session")
    assert not _signed_in(there)  # its remember-me cookie ended too
    here.delete_cookie("session")
    assert _signed_in(here)  # this browser's remember-me cookie still works


def test_resetting_the_password_ends_every_session(app, client):
    member = f.user(email="member@example.com")
    elsewhere = app.test_client()
    sign_in(elsewhere, "member@example.com")
    with app.test_request_context():
        token = accounts.make_reset_token(member)
    client.post(f"/password/reset/{token}", data={
        "csrf_token": csrf_token(client, f"/password/reset/{token}"),
        "password": "a brand new secret", "confirm": "a brand new secret"})
    assert _signed_in(client) and not _signed_in(elsewhere)


def test_purge_sessions_deletes_old_ended_sessions(app):
    from datetime import timedelta

    from app.jobs import schedule
    from app.models import UserSession
    from app.models.base import utcnow

    member = f.user()
    now = utcnow()
    for ended, expires in ((now - timedelta(days=40), now + timedelta(days=1)),
                           (None, now - timedelta(days=31)), (now - timedelta(days=1), now),
                           (None, now + timedelta(days=20))):
        db.session.add(UserSession(user_id=member.id, revoked_at=ended, expires_at=expires))
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["users", "purge-sessions"])
    assert result.exit_code == 0 and "Deleted 2 old session(s)." in result.output
    assert db.session.query(UserSession).count() == 2
    assert schedule.entries(app)["purge-sessions"][0] == "users.purge_sessions"


# --------------------------------------------------------------------------- API: passwords


def test_api_change_password_refuses_a_weak_one_and_ends_the_other_credentials(app, client):
    member = f.user(email="member@example.com")
    headers, other = bearer(member), bearer(member)
    browser = app.test_client()
    sign_in(browser, "member@example.com")
    weak = client.post("/api/v1/me/password", headers=headers,
                       json={"current_password": f.PASSWORD, "new_password": "Password1!"})
    assert weak.status_code == 422
    assert "too easy to guess" in weak.get_json()["error"]["fields"]["new_password"]
    wrong = client.post("/api/v1/me/password", headers=headers,
                        json={"current_password": "not it at all", "new_password": "a brand new secret"})
    assert wrong.status_code == 422 and "current_password" in wrong.get_json()["error"]["fields"]
    assert _signed_in(browser)
    done = client.post("/api/v1/me/password", headers=headers,
                       json={"current_password": f.PASSWORD, "new_password": "a brand new secret"})
    assert done.status_code == 200
    fresh = {"Authorization": f"Bearer {done.get_json()['token']}"}
    assert client.get("/api/v1/me", headers=fresh).status_code == 200
    for old in (headers, other):
        assert client.get("/api/v1/me", headers=old).status_code == 401
    assert not _signed_in(browser)


def test_api_forgot_and_reset_password(app, client, sent):
    member = f.user(email="member@example.com")
    elsewhere = app.test_client()
    sign_in(elsewhere, "member@example.com")
    assert client.post("/api/v1/password/forgot", json={"email": "nobody@example.com"}) \
        .status_code == 202
    assert not sent
    assert client.post("/api/v1/password/forgot", json={"email": "Member@example.com"}) \
        .status_code == 202
    (to, _subject, body), = sent
    token = body.split("/password/reset/")[1].split()[0]
    assert to == "member@example.com"
    weak = client.post("/api/v1/password/reset", json={"token": token, "password": "qwertyuiop1"})
    assert weak.status_code == 422
    assert "too easy to guess" in weak.get_json()["error"]["fields"]["password"]
    done = client.post("/api/v1/password/reset", json={"token": token,
                                                       "password": "a brand new secret"})
    assert done.status_code == 200 and done.get_json()["id"] == member.id
    assert not _signed_in(elsewhere)
    again = client.post("/api/v1/password/reset", json={"token": token,
                                                        "password": "another good secret"})
    assert again.status_code == 422 and again.get_json()["error"]["code"] == "invalid_token"
    assert _api_sign_in(client, "member@example.com", "a brand new secret", "10.0.5.1") \
        .status_code == 201
