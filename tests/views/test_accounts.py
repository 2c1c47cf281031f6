"""Sign-up, confirmation, sign-in and out, forgotten and changed passwords, through the pages."""
from __future__ import annotations

import re

import pytest

from app.extensions import db
from app.models import User
from app.services import accounts
from tests import factories
from tests.helpers import csrf_token, login
from tests.smtp import smtp_server  # noqa: F401

GOOD_PASSWORD = "river stones 42"


@pytest.fixture
def config_overrides(smtp_server):  # noqa: F811
    return {"MAIL_SERVER": smtp_server.host, "MAIL_PORT": smtp_server.port}


def _link(smtp_server, path_part: str) -> str:  # noqa: F811
    message = smtp_server.wait_for(1)[-1]
    links = [link for link in smtp_server.links(message) if path_part in link]
    assert links, smtp_server.body(message)
    return re.sub(r"^https?://[^/]+", "", links[0])


def _sign_up(client, email="new.fan@example.com", password=GOOD_PASSWORD, name="New Fan"):
    token = csrf_token(client, "/signup")
    return client.post("/signup", data={"csrf_token": token, "email": email, "password": password,
                                        "display_name": name})


def _sign_in(client, email, password=factories.PASSWORD, **extra):
    token = csrf_token(client, "/login")
    return client.post("/login" + extra.pop("query", ""),
                       data={"csrf_token": token, "email": email, "password": password, **extra})


def test_visitor_signs_up_confirms_by_mail_and_signs_in(client, smtp_server):  # noqa: F811
    response = _sign_up(client, email="  New.Fan@Example.COM ")
    assert response.status_code == 302
    user = accounts.get_by_email("new.fan@example.com")
    assert user is not None and user.email == "new.fan@example.com" and not user.email_confirmed
    assert user.display_name == "New Fan"

    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "We sent a confirmation link to new.fan@example.com" in page

    link = _link(smtp_server, "/confirm/")
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    confirmed = client.get(link, follow_redirects=True)
    assert confirmed.status_code == 200
    assert "is confirmed" in confirmed.get_data(as_text=True)
    db.session.expire_all()
    assert accounts.get_by_email("new.fan@example.com").email_confirmed

    signed_in = _sign_in(client, "NEW.FAN@example.com", GOOD_PASSWORD)
    assert signed_in.status_code == 302 and signed_in.headers["Location"] == "/me"
    dashboard = client.get("/me").get_data(as_text=True)
    assert "Hello, New Fan" in dashboard
    assert 'data-testid="confirm-banner"' not in dashboard


@pytest.mark.parametrize("password, message", [
    ("short1", "at least 10 characters"),
    ("aaaaaaaaaaaa", "repeats characters"),
    ("password123", "one of the most common passwords"),
    ("Password1!", "too easy to guess"),
    ("qwertyuiop1", "too easy to guess"),
    ("new.fan@example.com", "too easy to guess"),
])
def test_sign_up_refuses_weak_passwords(client, smtp_server, password, message):  # noqa: F811
    response = _sign_up(client, password=password)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert accounts.get_by_email("new.fan@example.com") is None
    assert smtp_server.messages == []


def test_sign_up_with_a_taken_email_says_so(client, smtp_server):  # noqa: F811
    factories.user(email="taken@example.com")
    response = _sign_up(client, email="TAKEN@example.com")
    assert response.status_code == 422
    assert "already exists" in response.get_data(as_text=True)
    assert db.session.query(User).filter_by(email="taken@example.com").count() == 1


def test_sign_up_without_csrf_token_is_refused(client):
    response = client.post("/signup", data={"email": "x@example.com", "password": GOOD_PASSWORD,
                                            "display_name": "X"})
    assert response.status_code == 400
    assert accounts.get_by_email("x@example.com") is None


def test_confirmation_link_that_was_tampered_with_does_not_work(client, smtp_server):  # noqa: F811
    _sign_up(client)
    link = _link(smtp_server, "/confirm/")
    response = client.get(link[:-3] + "abc")
    assert response.status_code == 400
    assert "This link is invalid" in response.get_data(as_text=True)
    assert not accounts.get_by_email("new.fan@example.com").email_confirmed


def test_member_can_ask_for_a_new_confirmation_link(client, smtp_server):  # noqa: F811
    person = factories.user(confirmed=False, email="late@example.com")
    login(client, person)
    response = client.post("/confirm/resend", data={"csrf_token": csrf_token(client, "/me"),
                                                    "email": "late@example.com"})
    assert response.status_code == 302
    link = _link(smtp_server, "/confirm/")
    assert client.get(link).status_code == 302
    db.session.expire_all()
    assert db.session.get(User, person.id).email_confirmed


def test_wrong_password_and_unknown_email_get_the_same_answer(client):
    factories.user(email="fan@example.com")
    wrong = _sign_in(client, "fan@example.com", "not the password")
    unknown = _sign_in(client, "nobody@example.com", "not the password")
    assert wrong.status_code == unknown.status_code == 422
    for response in (wrong, unknown):
        assert "The email address or password is not correct." in response.get_data(as_text=True)
    assert client.get("/me").status_code == 302


def test_blocked_member_cannot_sign_in(client):
    person = factories.user(email="blocked@example.com")
    accounts.block_user(None, person, "spam")
    db.session.commit()
    response = _sign_in(client, "blocked@example.com")
    assert response.status_code == 422
    assert "blocked" in response.get_data(as_text=True)
    assert client.get("/me").status_code == 302


def test_sign_in_returns_to_the_page_asked_for(client):
    factories.user(email="fan@example.com")
    response = _sign_in(client, "fan@example.com", query="?next=/notifications%3Fpage%3D2")
    assert response.headers["Location"] == "/notifications?page=2"


@pytest.mark.parametrize("target", [
    "https://evil.example/", "//evil.example/x", "/\\evil.example", "\\\\evil.example",
    "javascript:alert(1)", "/%0d%0aSet-Cookie:x", "/\t/evil.example", "http:/evil.example",
])
def test_sign_in_never_redirects_to_another_site(client, target):
    factories.user(email="fan@example.com")
    token = csrf_token(client, "/login")
    response = client.post("/login", query_string={"next": target},
                           data={"csrf_token": token, "email": "fan@example.com",
                                 "password": factories.PASSWORD})
    assert response.status_code == 302
    location = response.headers["Location"]
    assert location.startswith("/") and not location.startswith("//") and "evil" not in location


def test_sign_out_needs_a_post(client):
    person = factories.user()
    login(client, person)
    assert client.get("/logout").status_code == 405
    assert client.get("/me").status_code == 200
    response = client.post("/logout", data={"csrf_token": csrf_token(client, "/me")})
    assert response.status_code == 302
    assert client.get("/me").status_code == 302


def test_remember_me_sets_a_lasting_cookie(client):
    factories.user(email="fan@example.com")
    response = _sign_in(client, "fan@example.com", remember="y")
    cookie = next(c for c in response.headers.getlist("Set-Cookie")
                  if c.startswith("kyoso_remember="))
    assert "Max-Age=2592000" in cookie  # 30 days
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_forgotten_password_reset_flow(client, smtp_server):  # noqa: F811
    person = factories.user(email="fan@example.com")
    response = client.post("/password/forgot", data={
        "csrf_token": csrf_token(client, "/password/forgot"), "email": "Fan@example.com"})
    assert "If an account exists for Fan@example.com" in response.get_data(as_text=True)
    link = _link(smtp_server, "/password/reset/")

    form = client.get(link)
    assert form.status_code == 200
    weak = client.post(link, data={"csrf_token": csrf_token(client, link), "password": "password123",
                                   "confirm": "password123"})
    assert weak.status_code == 422 and "too easy to guess" in weak.get_data(as_text=True)

    done = client.post(link, data={"csrf_token": csrf_token(client, link),
                                   "password": "a brand new secret", "confirm": "a brand new secret"})
    assert done.status_code == 302
    db.session.expire_all()
    assert db.session.get(User, person.id).check_password("a brand new secret")

    # The link worked once; now it is dead.
    again = client.get(link)
    assert again.status_code == 400
    assert "already been used" in again.get_data(as_text=True)
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    assert _sign_in(client, "fan@example.com", factories.PASSWORD).status_code == 422
    assert _sign_in(client, "fan@example.com", "a brand new secret").status_code == 302


def test_forgotten_password_for_unknown_email_says_the_same_and_sends_nothing(client, smtp_server):  # noqa: F811
    response = client.post("/password/forgot", data={
        "csrf_token": csrf_token(client, "/password/forgot"), "email": "nobody@example.com"})
    assert response.status_code == 200
    assert "If an account exists for nobody@example.com" in response.get_data(as_text=True)
    assert smtp_server.messages == []


def test_reset_link_dies_when_the_password_is_changed_another_way(client):
    person = factories.user()
    token = accounts.make_reset_token(person)
    accounts.change_password(person, factories.PASSWORD, "another good secret")
    db.session.commit()
    assert client.get(f"/password/reset/{token}").status_code == 400


def test_changing_password_needs_the_current_one_and_signs_out_other_sessions(app, client):
    person = factories.user()
    login(client, person)
    other_device = app.test_client()
    login(other_device, person)

    wrong = client.post("/account/password", data={
        "csrf_token": csrf_token(client, "/account/password"), "current_password": "nope nope nope",
        "new_password": "another good secret", "confirm": "another good secret"})
    assert wrong.status_code == 422
    assert "current password is not correct" in wrong.get_data(as_text=True)

    done = client.post("/account/password", data={
        "csrf_token": csrf_token(client, "/account/password"), "current_password": factories.PASSWORD,
        "new_password": "another good secret", "confirm": "another good secret"})
    assert done.status_code == 302
    assert client.get("/me").status_code == 200  # this device stays signed in
    assert other_device.get("/me").status_code == 302  # the other one is signed out
