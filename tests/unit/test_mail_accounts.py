"""Account mail through a real SMTP server: confirmation links, reset links and digests."""
from __future__ import annotations

import re

import pytest

from app.extensions import db
from app.models import Notification, User
from app.services import events, notifications
from tests import factories
from tests.helpers import csrf_token
from tests.smtp import smtp_server  # noqa: F401


@pytest.fixture
def config_overrides(smtp_server):  # noqa: F811
    return {"MAIL_SERVER": smtp_server.host, "MAIL_PORT": smtp_server.port,
            "PUBLIC_BASE_URL": "https://kyoso.example"}


def test_sign_up_mails_a_confirmation_link_that_works(client, smtp_server):  # noqa: F811
    response = client.post("/signup", data={
        "csrf_token": csrf_token(client, "/signup"), "email": "mail.fan@example.com",
        "password": "river stones 42", "display_name": "Mail Fan"})
    assert response.status_code == 302

    [message] = smtp_server.wait_for(1)
    assert message["To"] == "mail.fan@example.com"
    assert "confirm" in message["Subject"].lower()
    [link] = [url for url in smtp_server.links(message) if "/confirm/" in url]
    assert link.startswith("https://kyoso.example/confirm/")

    followed = client.get(re.sub(r"^https?://[^/]+", "", link), follow_redirects=True)
    assert followed.status_code == 200
    assert "is confirmed" in followed.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.query(User).filter_by(email="mail.fan@example.com").one().email_confirmed


def test_reset_link_ignores_a_forged_host_header(app, smtp_server):  # noqa: F811
    from app.services import accounts

    factories.user(email="victim@example.com")
    with app.test_request_context("/password/forgot", method="POST", base_url="http://evil.example"):
        accounts.request_password_reset("victim@example.com")
        db.session.commit()
    [message] = smtp_server.wait_for(1)
    assert "evil.example" not in smtp_server.body(message)
    assert any(link.startswith("https://kyoso.example/password/reset/")
               for link in smtp_server.links(message))


def test_api_sign_up_sends_the_confirmation_mail_too(client, smtp_server):  # noqa: F811
    client.post("/api/v1/users", json={"email": "api@example.com", "password": "river stones 42",
                                       "display_name": "Api"})
    [message] = smtp_server.wait_for(1)
    assert message["To"] == "api@example.com" and "/confirm/" in smtp_server.body(message)


def test_refused_sign_up_sends_no_mail(client, smtp_server):  # noqa: F811
    client.post("/api/v1/users", json={"email": "api@example.com", "password": "short",
                                       "display_name": "Api"})
    assert smtp_server.messages == []


def test_daily_digest_collects_unread_unmailed_notifications(app, smtp_server):  # noqa: F811
    daily, weekly, now_person, off = (factories.user() for _ in range(4))
    unconfirmed = factories.user(confirmed=False)
    for person, mode in ((daily, "daily"), (weekly, "weekly"), (now_person, "immediately"),
                         (off, "off"), (unconfirmed, "daily")):
        factories.deliver(person, "app" if mode == "off" else mode)
    idea = factories.idea(daily, title="Folding desk")
    events.notify([daily, weekly, off, unconfirmed], "comment_on_idea",
                  {"name": "Ann", "title": "Folding desk"}, idea=idea)
    events.notify([daily], "idea_supported", {"name": "Ben", "title": "Folding desk", "count": 2},
                  idea=idea)
    [read] = events.notify([daily], "idea_supported",
                           {"name": "Already read", "title": "Folding desk", "count": 3}, idea=idea)
    db.session.commit()
    db.session.query(Notification).filter_by(id=read.id).update({"read_at": idea.created_at})
    db.session.commit()

    with app.test_request_context():
        assert notifications.send_digests("daily") == 1
        db.session.commit()
    [message] = smtp_server.wait_for(1)
    assert message["To"] == daily.email and "2 new notifications" in message["Subject"]
    body = smtp_server.body(message)
    assert "Ann commented on your idea “Folding desk”." in body
    assert "Ben supports “Folding desk” (2 supporters)." in body
    assert "Already read" not in body and f"/ideas/{idea.id}" in body

    # Each notification is mailed once.
    with app.test_request_context():
        assert notifications.send_digests("daily") == 0
        db.session.commit()
        assert notifications.send_digests("weekly") == 1
        db.session.commit()
    assert len(smtp_server.wait_for(2)) == 2
    assert db.session.query(Notification).filter_by(user_id=off.id).one().emailed_at is None


def test_digest_mode_must_be_daily_or_weekly(app):
    from app.errors import Invalid

    with app.test_request_context(), pytest.raises(Invalid):
        notifications.send_digests("hourly")
