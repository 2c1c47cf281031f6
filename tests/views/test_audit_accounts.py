"""Account security seen from a hostile visitor: session fixation, Host-header injection in mails,
sign-in redirects built from the address, blocked accounts, and mail headers built from text that
members type."""
from __future__ import annotations

import pytest

from app import mail
from app.extensions import db
from app.services import accounts
from tests import factories as f
from tests.helpers import CSRF_META, bearer, csrf_token, login


@pytest.fixture
def sent(monkeypatch) -> list[tuple[str, str, str]]:
    """Mails handed to the mail job (after commit), as (to, subject, body)."""
    outbox: list[tuple[str, str, str]] = []
    monkeypatch.setattr(mail, "send_now", lambda to, subject, body: outbox.append(
        (to, subject, body)))
    return outbox


def test_signing_in_starts_a_fresh_session(client):
    """Whatever a session held before signing in (planted by whoever prepared the browser) is
    gone afterwards, the CSRF token included."""
    person = f.user(email="fresh@example.com")
    planted = csrf_token(client, "/login")
    with client.session_transaction() as session:
        session["planted"] = "by an attacker"
    response = client.post("/login", data={"csrf_token": planted, "email": "fresh@example.com",
                                           "password": f.PASSWORD})
    assert response.status_code == 302
    with client.session_transaction() as session:
        assert "planted" not in session
        assert session.get("_user_id", "").startswith(f"{person.id}:")
    assert csrf_token(client, "/me") != planted


def test_reset_mail_links_ignore_the_host_header(app, client, sent):
    f.user(email="victim@example.com")
    page = client.get("/password/forgot", base_url="http://evil.example")
    token = CSRF_META.search(page.get_data(as_text=True)).group(1)
    response = client.post("/password/forgot", base_url="http://evil.example",
                           data={"csrf_token": token, "email": "victim@example.com"})
    assert response.status_code == 200
    assert len(sent) == 1
    body = sent[0][2]
    assert "evil.example" not in body
    assert f"{app.config['PUBLIC_BASE_URL']}/password/reset/" in body


@pytest.mark.parametrize("path", ["/finance/imports/abc%0d%0aSet-Cookie:%20pwned=1",
                                  "/finance/imports/abc%0aX:1?y=%0d%0a&next=//evil.example"])
def test_sign_in_redirect_keeps_a_hostile_address_inside_its_query_value(client, path):
    """A page that needs sign-in sends visitors to /login?next=<where they were>: a line break or
    an "&next=" in that address must neither break the Location header (500) nor add a
    parameter."""
    response = client.get(path)
    assert response.status_code == 302
    location = response.headers["Location"]
    assert location.startswith("/login?next=")
    assert "\n" not in location and "\r" not in location and "&" not in location
    assert "pwned" not in " ".join(response.headers.getlist("Set-Cookie"))
    # And signing in from there stays on this site.
    f.user(email="back@example.com")
    signed_in = client.post(location, data={"csrf_token": csrf_token(client, location),
                                            "email": "back@example.com",
                                            "password": f.PASSWORD})
    assert signed_in.status_code == 302
    assert signed_in.headers["Location"].startswith("/")
    assert "evil.example" not in signed_in.headers["Location"]


def test_blocking_ends_sessions_and_api_tokens_at_once(client):
    person = f.user()
    staff = f.user("moderator")
    login(client, person)
    headers = bearer(person)
    assert client.get("/api/v1/me", headers=headers).status_code == 200
    accounts.block_user(staff, person, "spam")
    db.session.commit()
    assert client.get("/api/v1/me", headers=headers).status_code == 401
    assert client.get("/me").status_code == 302  # signed out: sent to sign in
    assert client.post("/api/v1/tokens", json={"email": person.email,
                                               "password": f.PASSWORD}).status_code == 401


def test_a_title_cannot_put_a_line_break_into_mail_headers(client, sent):
    """Titles end up in notification subjects: a line break would be a header injection, and
    the email package refuses it, so the mail was lost. A title is one line."""
    owner = f.user()
    response = client.post("/api/v1/ideas", headers=bearer(owner),
                           json={"title": "Nice idea\r\nBcc: victim@example.com", "pitch": "a\nb"})
    assert response.status_code == 201
    assert response.json["title"] == "Nice idea Bcc: victim@example.com"
    assert response.json["pitch"] == "a b"


def test_mail_subjects_are_one_line(app):
    """Whatever calls it, the mail sender never sets a header with a line break."""
    mail.send_now("someone@example.com", "Hello\r\nBcc: victim@example.com", "Body")
