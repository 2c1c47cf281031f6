"""Changing the e-mail address (issue 13): a signed, expiring link to the new address; the old
address is told once it changed; HTML and API."""
from __future__ import annotations

import re

import pytest

from app.extensions import db
from app.models import User
from app.services import accounts
from tests import factories as f
from tests.helpers import bearer, csrf_token, login
from tests.smtp import smtp_server  # noqa: F401


@pytest.fixture
def config_overrides(smtp_server):  # noqa: F811
    return {"MAIL_SERVER": smtp_server.host, "MAIL_PORT": smtp_server.port}


def _link(smtp_server, count: int, to: str) -> str:  # noqa: F811
    messages = [m for m in smtp_server.wait_for(count) if to in m["To"]]
    assert messages, [m["To"] for m in smtp_server.messages]
    links = [link for link in smtp_server.links(messages[-1]) if "/account/email/confirm/" in link]
    assert links, smtp_server.body(messages[-1])
    return re.sub(r"^https?://[^/]+", "", links[0])


def test_member_changes_the_address_through_the_link_and_the_old_address_is_told(client, smtp_server):  # noqa: F811
    member = f.user(email="old@example.com")
    login(client, member)
    token = csrf_token(client, "/account/email")
    response = client.post("/account/email", data={"csrf_token": token, "email": "New@Example.com",
                                                   "password": f.PASSWORD})
    assert response.status_code == 302
    link = _link(smtp_server, 1, "new@example.com")
    db.session.expire_all()
    assert db.session.get(User, member.id).email == "old@example.com"  # not before the link
    done = client.get(link)
    assert done.status_code == 302
    db.session.expire_all()
    assert db.session.get(User, member.id).email == "new@example.com"
    notice = [m for m in smtp_server.wait_for(2) if "old@example.com" in m["To"]]
    assert notice and "new@example.com" in smtp_server.body(notice[0])
    # The link works once: a second change from the old address is not possible with it.
    assert client.get(link).status_code == 302  # opening it again is harmless
    assert accounts.get_by_email("new@example.com").id == member.id


def test_wrong_password_taken_or_same_address_are_refused(client, smtp_server):  # noqa: F811
    member = f.user(email="me@example.com")
    f.user(email="taken@example.com")
    login(client, member)
    token = csrf_token(client, "/account/email")
    for data, says in (({"email": "x@example.com", "password": "wrong password"},
                        "current password is not correct"),
                       ({"email": "taken@example.com", "password": f.PASSWORD}, "already exists"),
                       ({"email": "me@example.com", "password": f.PASSWORD}, "already your email"),
                       ({"email": "not-an-address", "password": f.PASSWORD}, "valid email")):
        response = client.post("/account/email", data={"csrf_token": token, **data})
        assert response.status_code == 422, data
        assert says in response.get_data(as_text=True), data
    assert smtp_server.messages == []


def test_a_tampered_or_expired_link_does_not_work(client, smtp_server, monkeypatch):  # noqa: F811
    import time

    member = f.user(email="me@example.com")
    real = time.time
    monkeypatch.setattr(time, "time", lambda: real() - accounts.EMAIL_CHANGE_MAX_AGE - 60)
    token = accounts.make_email_change_token(member, "later@example.com")
    monkeypatch.setattr(time, "time", real)
    assert client.get("/account/email/confirm/" + token).status_code == 400  # expired
    assert client.get("/account/email/confirm/" + token[:-2] + "xx").status_code == 400
    db.session.expire_all()
    assert db.session.get(User, member.id).email == "me@example.com"


def test_a_link_dies_when_the_address_changed_otherwise(client):
    member = f.user(email="me@example.com")
    first = accounts.make_email_change_token(member, "first@example.com")
    second = accounts.make_email_change_token(member, "second@example.com")
    assert client.get("/account/email/confirm/" + second).status_code == 302
    assert client.get("/account/email/confirm/" + first).status_code == 400
    db.session.expire_all()
    assert db.session.get(User, member.id).email == "second@example.com"


def test_address_taken_meanwhile_is_refused_at_confirmation(client):
    member = f.user(email="me@example.com")
    token = accounts.make_email_change_token(member, "wanted@example.com")
    f.user(email="wanted@example.com")
    assert client.get("/account/email/confirm/" + token).status_code == 400
    response = client.post("/api/v1/email/confirm", json={"token": token})
    assert response.status_code == 409


def test_api_change_and_confirm(client, smtp_server):  # noqa: F811
    member = f.user(email="api@example.com")
    headers = bearer(member)
    response = client.post("/api/v1/me/email", json={"email": "api.new@example.com",
                                                     "password": f.PASSWORD}, headers=headers)
    assert response.status_code == 202 and response.get_json()["email"] == "api.new@example.com"
    token = _link(smtp_server, 1, "api.new@example.com").rsplit("/", 1)[1]
    confirmed = client.post("/api/v1/email/confirm", json={"token": token})
    assert confirmed.status_code == 200 and confirmed.get_json()["email"] == "api.new@example.com"
    assert client.post("/api/v1/me/email", json={"email": "x@example.com", "password": "nope"},
                       headers=headers).status_code == 422
    assert client.post("/api/v1/me/email", json={"email": "x@example.com",
                                                 "password": f.PASSWORD}).status_code == 401
    assert client.post("/api/v1/email/confirm", json={"token": "garbage"}).status_code == 422


def test_the_email_page_needs_sign_in(client):
    response = client.get("/account/email")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_the_old_address_is_told_at_once_when_a_change_is_asked(client, smtp_server):  # noqa: F811
    member = f.user(email="old@example.com")
    login(client, member)
    client.post("/account/email", data={"csrf_token": csrf_token(client, "/account/email"),
                                        "email": "thief@example.com", "password": f.PASSWORD})
    messages = smtp_server.wait_for(2)
    notice = [m for m in messages if "old@example.com" in m["To"]]
    assert len(notice) == 1 and "requested" in notice[0]["Subject"]
    body = smtp_server.body(notice[0])
    assert "thief@example.com" in body and "/forgot" in body
    assert not [link for link in smtp_server.links(notice[0]) if "/account/email/confirm/" in link]
    db.session.expire_all()
    assert db.session.get(User, member.id).email == "old@example.com"


def test_both_notices_are_in_the_members_language(client, smtp_server):  # noqa: F811
    member = f.user(email="old.ja@example.com", locale="ja")
    headers = bearer(member)
    assert client.post("/api/v1/me/email", json={"email": "new.ja@example.com",
                                                 "password": f.PASSWORD},
                       headers=headers).status_code == 202
    token = _link(smtp_server, 2, "new.ja@example.com").rsplit("/", 1)[1]
    assert client.post("/api/v1/email/confirm", json={"token": token}).status_code == 200
    to_old = [m for m in smtp_server.wait_for(3) if "old.ja@example.com" in m["To"]]
    assert len(to_old) == 2
    for message in to_old:
        assert "メールアドレス" in message["Subject"], message["Subject"]


def test_resetting_the_password_cancels_a_change_asked_for(client):
    member = f.user(email="me@example.com")
    token = accounts.make_email_change_token(member, "someone.else@example.com")
    accounts.change_password(member, f.PASSWORD, "a much longer new passphrase 42")
    db.session.commit()
    assert client.get("/account/email/confirm/" + token).status_code == 400
    db.session.expire_all()
    assert db.session.get(User, member.id).email == "me@example.com"
