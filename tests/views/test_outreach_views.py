"""The outreach pages: write an announcement, preview its recipients, send it; saved segments; a
member reading an announcement sent to them."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import Announcement, Notification, Segment
from app.services import announcements as announcement_service
from tests import factories as f
from tests.helpers import csrf_token, login, warm_caches

FORM = {"title_en": "Summer vote", "title_ja": "夏の投票", "body_en": "Vote **now**.",
        "body_ja": "今すぐ**投票**。", "segment_id": "0", "locale": "ja"}


def post(client, path, data):
    data = dict(data)
    data.setdefault("csrf_token", csrf_token(client, "/outreach/announcements"))
    return client.post(path, data=data)


@pytest.fixture
def manager(client):
    account = f.user("community_manager")
    login(client, account)
    return account


def test_the_staff_nav_links_to_announcements_for_managers_only(client, manager):
    page = client.get("/").get_data(as_text=True)
    assert 'href="/outreach/announcements"' in page
    other = f.user()
    login(client, other)
    assert 'href="/outreach/announcements"' not in client.get("/").get_data(as_text=True)


def test_members_and_other_staff_get_403(client):
    for account in (f.user(), f.user("moderator")):
        login(client, account)
        for path in ("/outreach/announcements", "/outreach/announcements/new",
                     "/outreach/segments"):
            assert client.get(path).status_code == 403, path


def test_compose_preview_save_and_send(client, manager):
    hana = f.user(marketing_mail=True, locale="ja", name="Hana")
    f.user(marketing_mail=True, locale="ja", name="Ken")
    f.user(marketing_mail=True, locale="en", name="Bob")
    shown = post(client, "/outreach/announcements/new", {**FORM, "preview": "1"})
    assert shown.status_code == 200
    html = shown.get_data(as_text=True)
    assert re.search(r'data-testid="recipients-count">2<', html)
    assert "Hana" in html and "Ken" in html and "Bob" not in html
    assert db.session.scalar(select(Announcement)) is None  # a preview saves nothing

    saved = post(client, "/outreach/announcements/new", {**FORM, "save": "1"})
    assert saved.status_code == 302
    row = db.session.scalar(select(Announcement))
    assert saved.headers["Location"].endswith(f"/outreach/announcements/{row.id}")
    detail = client.get(f"/outreach/announcements/{row.id}").get_data(as_text=True)
    assert "<strong>now</strong>" in detail and "<strong>投票</strong>" in detail
    assert re.search(r'data-testid="recipients-count">2<', detail)
    assert 'data-testid="send-announcement"' in detail

    sent = post(client, f"/outreach/announcements/{row.id}/send", {})
    assert sent.status_code == 302
    db.session.refresh(row)
    assert (row.status, row.delivered_count) == ("sent", 2)
    after = client.get(f"/outreach/announcements/{row.id}").get_data(as_text=True)
    assert 'data-testid="send-announcement"' not in after
    assert re.search(r'data-testid="delivered-count">2<', after)

    login(client, hana)
    read = client.get(f"/announcements/{row.id}").get_data(as_text=True)
    assert "夏の投票" in read and "<strong>投票</strong>" in read
    notes = client.get("/notifications").get_data(as_text=True)
    assert "夏の投票" in notes


def test_a_field_error_shows_on_its_field(client, manager):
    answer = post(client, "/outreach/announcements/new",
                  {**FORM, "supporters_of": "424242", "save": "1"})
    assert answer.status_code == 422
    assert "No such idea." in answer.get_data(as_text=True)
    assert db.session.scalar(select(Announcement)) is None


def test_a_saved_segment_can_be_chosen(client, manager):
    idea = f.idea()
    fans = [f.user(marketing_mail=True, name=f"Fan {n}") for n in range(2)]
    for fan in fans:
        f.support(idea, fan)
    from app.services import segments

    saved = segments.create_segment(manager, "Fans", {"supporters_of": idea.id})
    db.session.commit()
    answer = post(client, "/outreach/announcements/new",
                  {**FORM, "locale": "", "segment_id": str(saved.id), "save": "1"})
    assert answer.status_code == 302
    row = db.session.scalar(select(Announcement))
    assert (row.segment_id, row.segment_spec, row.recipients_count) == (
        saved.id, {"supporters_of": idea.id}, 2)


def test_a_member_may_not_read_an_announcement_not_sent_to_them(client, manager):
    f.user(marketing_mail=True, locale="ja")
    row = announcement_service.create_announcement(manager, {"en": "Hi"}, {"en": "There"},
                                                   {"locale": "ja"})
    db.session.commit()
    announcement_service.send_announcement(manager, row.id)
    db.session.commit()
    login(client, f.user(marketing_mail=True, locale="en"))
    assert client.get(f"/announcements/{row.id}").status_code == 404
    assert client.get(f"/announcements/{row.id + 1}").status_code == 404


def test_saved_segments_page_previews_saves_changes_and_deletes(client, manager):
    f.user(marketing_mail=True, locale="ja", name="Yui")
    preview = post(client, "/outreach/segments",
                   {"name": "Japanese", "locale": "ja", "preview": "1"})
    assert preview.status_code == 200 and "Yui" in preview.get_data(as_text=True)
    saved = post(client, "/outreach/segments", {"name": "Japanese", "locale": "ja",
                                                 "save": "1"})
    assert saved.status_code == 302
    segment = db.session.scalar(select(Segment))
    assert segment.spec == {"locale": "ja"}
    changed = post(client, f"/outreach/segments/{segment.id}",
                   {"name": "Japanese lapsed", "locale": "ja", "inactive_for_days": "30",
                    "save": "1"})
    assert changed.status_code == 302
    db.session.refresh(segment)
    assert (segment.name, segment.spec) == ("Japanese lapsed",
                                            {"locale": "ja", "inactive_for_days": 30})
    taken = post(client, "/outreach/segments", {"name": "japanese LAPSED", "save": "1"})
    assert taken.status_code == 409
    deleted = post(client, f"/outreach/segments/{segment.id}/delete", {})
    assert deleted.status_code == 302
    assert db.session.scalar(select(Segment)) is None


def test_the_list_costs_the_same_for_two_or_twenty(client, manager, count_queries):
    def make(n):
        for _ in range(n):
            announcement_service.create_announcement(manager, {"en": "Hi"}, {"en": "x"}, {})
        db.session.commit()

    make(2)
    warm_caches()
    with count_queries() as few:
        assert client.get("/outreach/announcements").status_code == 200
    make(18)
    with count_queries() as many:
        assert client.get("/outreach/announcements").status_code == 200
    assert many.count == few.count, many


def test_pages_read_in_japanese(client, manager):
    manager.locale = "ja"
    db.session.commit()
    page = client.get("/outreach/announcements/new").get_data(as_text=True)
    assert "お知らせを書く" in page
    assert Notification is not None
