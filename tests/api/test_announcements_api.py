"""POST /api/v1/announcements and /api/v1/announcements/{id}/send (API.md, "One to one")."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from app.models import Announcement, Notification
from tests import factories as f
from tests.helpers import bearer

BODY = {"title": {"en": "New campaign", "ja": "新しいキャンペーン"},
        "body": {"en": "Share your *ideas*.", "ja": "アイデアを*共有*してください。"},
        "segment": {"locale": "ja"}}


@pytest.fixture
def manager(app):
    return f.user("community_manager")


def test_write_then_send_an_announcement(client, manager, db):
    members = [f.user(marketing_mail=True, locale="ja") for _ in range(3)]
    f.user(marketing_mail=True, locale="en")
    made = client.post("/api/v1/announcements", headers=bearer(manager), json=BODY)
    assert made.status_code == 201, made.get_data(as_text=True)
    body = made.get_json()
    assert (body["status"], body["recipients_count"]) == ("draft", 3)
    assert isinstance(body["id"], int)
    assert body["body_html"]["ja"] == "<p>アイデアを<em>共有</em>してください。</p>\n"

    sent = client.post(f"/api/v1/announcements/{body['id']}/send", headers=bearer(manager))
    assert sent.status_code == 202
    assert sent.get_json()["status"] in ("sending", "sent")
    # JOBS_SYNC: the job ran after the commit
    shown = client.get(f"/api/v1/announcements/{body['id']}", headers=bearer(manager)).get_json()
    assert (shown["status"], shown["delivered_count"]) == ("sent", 3)
    told = db.session.scalars(select(Notification.user_id).where(
        Notification.kind == "announcement")).all()
    assert sorted(told) == [m.id for m in members]

    again = client.post(f"/api/v1/announcements/{body['id']}/send", headers=bearer(manager))
    assert again.status_code == 409 and again.get_json()["error"]["code"] == "already_sent"
    assert db.session.scalar(select(func.count()).select_from(Notification)) == 3


def test_members_may_not_write_or_send(client, manager, db):
    made = client.post("/api/v1/announcements", headers=bearer(manager), json=BODY).get_json()
    for outsider in (f.user(), f.user("moderator"), f.user("product_manager")):
        assert client.post("/api/v1/announcements", headers=bearer(outsider),
                           json=BODY).status_code == 403
        assert client.post(f"/api/v1/announcements/{made['id']}/send",
                           headers=bearer(outsider)).status_code == 403
        assert client.get("/api/v1/announcements", headers=bearer(outsider)).status_code == 403
    assert client.post("/api/v1/announcements", json=BODY).status_code == 401
    assert db.session.get(Announcement, made["id"]).status == "draft"


def test_admins_may_write_and_list(client):
    admin = f.user("admin")
    made = client.post("/api/v1/announcements", headers=bearer(admin), json=BODY)
    assert made.status_code == 201
    listed = client.get("/api/v1/announcements", headers=bearer(admin)).get_json()
    assert [row["id"] for row in listed["items"]] == [made.get_json()["id"]]
    assert listed["total"] == 1


@pytest.mark.parametrize("change, fields", [
    ({"title": {"ja": "だけ"}}, {"title.en"}),
    ({"body": "plain"}, {"body"}),
    ({"segment": {"roles": ["nobody"]}}, {"segment.roles"}),
    ({"segment": {"categories": ["moon"]}}, {"segment.categories"}),
    ({"segment": {"supporters_of": 123456}}, {"segment.supporters_of"}),
])
def test_a_bad_announcement_is_422_naming_the_fields(client, manager, change, fields):
    answer = client.post("/api/v1/announcements", headers=bearer(manager),
                         json={**BODY, **change})
    assert answer.status_code == 422
    assert set(answer.get_json()["error"]["fields"]) == fields


def test_sending_an_unknown_announcement_is_404(client, manager):
    assert client.post("/api/v1/announcements/999/send",
                       headers=bearer(manager)).status_code == 404
