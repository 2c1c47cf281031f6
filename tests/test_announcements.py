"""Announcements (app.services.announcements): drafts with English and Japanese Markdown, the
recipients (a segment, without those who turned announcements off), the send job walking the
segment in batches, each recipient told once however often it runs, mail per preference and
marketing consent, in the reader's language."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from app import jobs
from app.errors import Conflict, Forbidden, Invalid, NotFound
from app.extensions import db
from app.i18n import speaking_to
from app.models import (Announcement, AnnouncementDelivery, AuditLog, Notification, OutboundMail,
                        User)
from app.models.base import utcnow
from app.services import announcements as service
from tests import factories as f

TITLE = {"en": "Summer review opens", "ja": "夏の審査が始まります"}
BODY = {"en": "Vote for **your** favourite ideas.", "ja": "お気に入りのアイデアに**投票**を。"}


@pytest.fixture
def manager(app):
    return f.user("community_manager")


@pytest.fixture
def queued(monkeypatch):
    """Jobs queued after commit, recorded instead of run (run them with jobs.run_now)."""
    calls: list[tuple[str, dict]] = []
    monkeypatch.setattr(jobs, "enqueue", lambda name, **kwargs: calls.append((name, kwargs)))
    return calls


def draft(manager, segment=None, **texts) -> Announcement:
    row = service.create_announcement(manager, texts.get("title", TITLE), texts.get("body", BODY),
                                      segment if segment is not None else {"locale": "ja"})
    db.session.commit()
    return row


def told(announcement) -> list[int]:
    return db.session.scalars(select(Notification.user_id).where(
        Notification.kind == "announcement").order_by(Notification.user_id)).all()


def consent(*users):
    """Members who agreed to marketing mail (when consents exist on this installation)."""
    for user in users:
        if hasattr(User, "marketing_mail"):
            user.marketing_mail = True
    db.session.commit()


# --- writing ---------------------------------------------------------------------------------------

def test_a_draft_keeps_both_languages_rendered_and_counts_its_recipients(app, manager):
    f.user(marketing_mail=True, locale="ja")
    f.user(marketing_mail=True, locale="ja")
    f.user(marketing_mail=True, locale="en")
    row = draft(manager)
    assert (row.status, row.title_en, row.title_ja) == ("draft", TITLE["en"], TITLE["ja"])
    assert "<strong>your</strong>" in row.body_en_html
    assert "<strong>投票</strong>" in row.body_ja_html
    assert row.segment_spec == {"locale": "ja"} and row.recipients_count == 2
    entry = db.session.scalar(select(AuditLog).where(AuditLog.action == "announcement.created"))
    assert (entry.actor_id, entry.target_id) == (manager.id, row.id)


def test_markdown_is_sanitised(app, manager):
    row = draft(manager, body={"en": "<script>alert(1)</script>[x](javascript:alert(1))"})
    assert "<script" not in row.body_en_html and "href" not in row.body_en_html
    assert "&lt;script&gt;" in row.body_en_html  # shown as text


def test_japanese_is_optional_and_english_stands_in(app, manager):
    row = draft(manager, title={"en": "Hello"}, body={"en": "World"})
    assert (row.title_ja, row.body_ja) == ("", "")
    assert row.title_for("ja") == "Hello" and row.body_html_for("ja") == row.body_en_html


@pytest.mark.parametrize("title, body, segment, fields", [
    ({}, BODY, {}, {"title.en"}),
    ({"en": "  "}, BODY, {}, {"title.en"}),
    ("Hello", BODY, {}, {"title"}),
    (TITLE, {"en": "x", "fr": "y"}, {}, {"body.fr"}),
    (TITLE, {"en": "x", "ja": 3}, {}, {"body.ja"}),
    ({"en": "x" * (service.TITLE_MAX + 1)}, BODY, {}, {"title.en"}),
    (TITLE, BODY, {"locale": "fr"}, {"segment.locale"}),
    (TITLE, BODY, "everyone", {"segment"}),
    ({}, {}, {"nope": 1}, {"title.en", "body.en", "segment.nope"}),
])
def test_a_bad_announcement_names_every_field(app, manager, title, body, segment, fields):
    with pytest.raises(Invalid) as caught:
        service.create_announcement(manager, title, body, segment)
    assert set(caught.value.fields) == fields


def test_only_community_managers_and_admins_write_and_send(app, manager):
    row = draft(manager)
    assert service.create_announcement(f.user("admin"), TITLE, BODY, {})
    for outsider in (f.user(), f.user("moderator"), f.user("analyst")):
        with pytest.raises(Forbidden):
            service.create_announcement(outsider, TITLE, BODY, {})
        with pytest.raises(Forbidden):
            service.send_announcement(outsider, row.id)
    with pytest.raises(NotFound):
        service.get_announcement(manager, row.id + 100)


def test_a_draft_can_be_changed_until_it_is_sent(app, manager, queued):
    row = draft(manager)
    service.update_announcement(manager, row.id, {"en": "New title"}, {"en": "New"}, {})
    db.session.commit()
    assert (row.title_en, row.title_ja, row.segment_spec) == ("New title", "", {})
    service.send_announcement(manager, row.id)
    db.session.commit()
    with pytest.raises(Conflict) as caught:
        service.update_announcement(manager, row.id, TITLE, BODY, {})
    assert caught.value.code == "not_a_draft"


# --- who receives it -------------------------------------------------------------------------------

def test_members_who_turned_announcements_off_get_nothing(app, manager):
    wants, refuses = f.user(marketing_mail=True, locale="ja"), f.user(marketing_mail=True, locale="ja")
    f.deliver(refuses, "off", "announcements")
    f.deliver(wants, "off", "comments")  # another category: no matter
    row = draft(manager)
    assert row.recipients_count == 1
    service.send_announcement(manager, row.id)
    db.session.commit()
    assert told(row) == [wants.id]
    assert db.session.get(AnnouncementDelivery, (row.id, refuses.id)) is None


def test_blocked_and_unconfirmed_members_are_never_told(app, manager):
    blocked, _unconfirmed = f.user(marketing_mail=True, locale="ja"), f.user(marketing_mail=True, locale="ja", confirmed=False)
    blocked.blocked_at = utcnow()
    db.session.commit()
    row = draft(manager)
    service.send_announcement(manager, row.id)
    db.session.commit()
    assert told(row) == []


def test_the_audience_preview_says_who_receives_it_and_who_did_not_agree(app, manager):
    _a, off = f.user(marketing_mail=True, locale="ja"), f.user(marketing_mail=True, locale="ja")
    f.user(locale="ja")  # did not agree to marketing
    f.deliver(off, "off", "announcements")
    shown = service.audience_preview(manager, {"locale": "ja"})
    assert shown["count"] == 3 and shown["recipients"] == 1 and shown["no_consent"] == 1
    assert len(shown["sample"]) == 3
    with pytest.raises(Invalid) as caught:
        service.audience_preview(manager, {"supporters_of": 10**6})
    assert set(caught.value.fields) == {"segment.supporters_of"}


# --- sending ---------------------------------------------------------------------------------------

def test_sending_walks_the_segment_in_batches_and_tells_each_member_once(app, manager, queued):
    app.config["ANNOUNCEMENT_BATCH"] = 3
    members = [f.user(marketing_mail=True, locale="ja") for _ in range(7)]
    row = draft(manager)
    service.send_announcement(manager, row.id)
    db.session.commit()
    assert row.status == "sending" and row.sent_by_id == manager.id
    assert [name for name, _ in queued if name == service.JOB_NAME] == [service.JOB_NAME]
    assert service.send_next_batch(row.id) == 3  # a job that died after one batch ...
    assert row.delivered_count == 3 and row.status == "sending"
    assert service.sweep(older_than=0) == 1  # ... is finished by the sweep
    db.session.refresh(row)
    assert (row.status, row.delivered_count) == ("sent", 7)
    assert row.sent_at is not None
    assert told(row) == [m.id for m in members]
    # the job delivered again, the send button pressed again: nobody is told twice
    assert service.send(row.id) == 0
    with pytest.raises(Conflict) as caught:
        service.send_announcement(manager, row.id)
    assert caught.value.code == "already_sent"
    assert told(row) == [m.id for m in members]


def test_pressing_send_twice_while_sending_tells_each_member_once(app, manager, queued):
    app.config["ANNOUNCEMENT_BATCH"] = 2
    members = [f.user(marketing_mail=True, locale="ja") for _ in range(5)]
    row = draft(manager)
    service.send_announcement(manager, row.id)
    db.session.commit()
    service.send_next_batch(row.id)
    service.send_announcement(manager, row.id)  # again: queued again, no second audit entry
    db.session.commit()
    jobs.run_now(service.JOB_NAME, announcement_id=row.id)
    jobs.run_now(service.JOB_NAME, announcement_id=row.id)
    assert told(row) == [m.id for m in members]
    assert db.session.scalar(select(func.count()).select_from(AuditLog).where(
        AuditLog.action == "announcement.sent")) == 1


def test_a_retried_batch_after_its_cursor_was_lost_tells_nobody_twice(app, manager, queued):
    """Even if the cursor were behind (a batch committed, the job retried from an older state),
    the delivery rows' primary key keeps each member to one notification and one mail."""
    app.config["ANNOUNCEMENT_BATCH"] = 10
    members = [f.user(marketing_mail=True, locale="ja") for _ in range(4)]
    consent(*members)
    row = draft(manager)
    service.send_announcement(manager, row.id)
    db.session.commit()
    service.send(row.id)
    row.status, row.after_user_id = "sending", 0  # as if the batch ran again from the start
    db.session.commit()
    service.send(row.id)
    assert told(row) == [m.id for m in members]
    assert db.session.scalar(select(func.count()).select_from(OutboundMail)) == 4
    assert row.delivered_count == 4


def test_mail_follows_preferences_and_is_in_the_readers_language(app, manager, queued):
    japanese, english, in_app, daily = (f.user(marketing_mail=True, locale="ja"), f.user(marketing_mail=True, locale="en"),
                                        f.user(marketing_mail=True, locale="ja"), f.user(marketing_mail=True, locale="ja"))
    consent(japanese, english, in_app, daily)
    f.deliver(in_app, "app", "announcements")
    f.deliver(daily, "daily", "announcements")
    f.deliver(manager, "app", "announcements")
    row = draft(manager, segment={})
    service.send_announcement(manager, row.id)
    db.session.commit()
    service.send(row.id)
    mails = {m.to_address: m for m in db.session.scalars(select(OutboundMail))}
    assert set(mails) == {japanese.email, english.email}
    assert TITLE["ja"] in mails[japanese.email].subject
    assert BODY["ja"] in mails[japanese.email].body
    assert TITLE["en"] in mails[english.email].subject and BODY["en"] in mails[english.email].body
    assert "/unsubscribe/" in mails[english.email].headers["List-Unsubscribe"]
    assert f"/announcements/{row.id}" in mails[english.email].body
    batches = [kwargs["mail_ids"] for name, kwargs in queued if name == "mail.send_batch"]
    assert sorted(i for batch in batches for i in batch) == sorted(m.id for m in mails.values())
    assert row.mailed_count == 2
    # everyone sees it in the app; the daily member's comes with the digest
    assert set(told(row)) >= {japanese.id, english.id, in_app.id, daily.id}


def test_without_marketing_consent_an_announcement_reaches_nobody(app, manager, queued):
    """An announcement is marketing: no notification, no mail, no digest line, no page."""
    agreed, declined = f.user(marketing_mail=True, locale="ja"), f.user(locale="ja")
    f.deliver(declined, "immediately", "announcements")
    f.deliver(agreed, "daily", "announcements")
    row = draft(manager)
    assert row.recipients_count == 1
    service.send_announcement(manager, row.id)
    db.session.commit()
    service.send(row.id)
    assert told(row) == [agreed.id]
    assert db.session.get(AnnouncementDelivery, (row.id, declined.id)) is None
    assert db.session.scalar(select(OutboundMail).where(
        OutboundMail.to_address == declined.email)) is None
    with pytest.raises(NotFound):
        service.for_member(declined, row.id)
    from app.services import notifications

    assert notifications.send_digests("daily") == 1
    assert [m.to_address for m in db.session.scalars(select(OutboundMail))] == [agreed.email]


def test_service_mail_still_reaches_a_member_without_marketing_consent(app, manager, queued):
    """Consent governs marketing only: a comment on their idea and a reset link still go."""
    from app.services import accounts, comments

    owner = f.user(locale="ja")
    f.deliver(owner, "immediately", "comments")
    idea = f.idea(owner)
    draft_row = draft(manager)
    service.send_announcement(manager, draft_row.id)
    db.session.commit()
    service.send(draft_row.id)
    comments.post_comment(f.user(), idea.id, "Lovely idea, I would buy it.")
    accounts.request_password_reset(owner.email)
    db.session.commit()
    mails = db.session.scalars(select(OutboundMail).where(
        OutboundMail.to_address == owner.email)).all()
    assert len(mails) == 2
    assert not any(TITLE["ja"] in mail.subject for mail in mails)
    assert told(draft_row) == []


def test_the_notification_reads_in_the_members_language(app, manager, queued):
    japanese, english = f.user(marketing_mail=True, locale="ja"), f.user(marketing_mail=True, locale="en")
    row = draft(manager, segment={})
    service.send_announcement(manager, row.id)
    db.session.commit()
    service.send(row.id)
    by_user = {n.user_id: n for n in db.session.scalars(select(Notification))}
    with speaking_to(japanese):
        assert TITLE["ja"] in by_user[japanese.id].message
    with speaking_to(english):
        assert TITLE["en"] in by_user[english.id].message
    assert by_user[english.id].url == f"/announcements/{row.id}"


def test_members_who_join_the_segment_while_it_sends_are_told_too(app, manager, queued):
    app.config["ANNOUNCEMENT_BATCH"] = 2
    first = [f.user(marketing_mail=True, locale="ja") for _ in range(2)]
    row = draft(manager)
    service.send_announcement(manager, row.id)
    db.session.commit()
    service.send_next_batch(row.id)
    late = f.user(marketing_mail=True, locale="ja")
    service.send(row.id)
    assert told(row) == [m.id for m in first] + [late.id]


def test_a_recipient_reads_it_and_nobody_else_does(app, manager, queued):
    recipient, other = f.user(marketing_mail=True, locale="ja"), f.user(marketing_mail=True, locale="en")
    row = draft(manager)
    service.send_announcement(manager, row.id)
    db.session.commit()
    service.send(row.id)
    assert service.for_member(recipient, row.id) is row
    assert service.for_member(manager, row.id) is row
    with pytest.raises(NotFound):
        service.for_member(other, row.id)
    with pytest.raises(NotFound):
        service.for_member(recipient, row.id + 1)


def test_the_list_is_newest_first_in_keyset_pages(app, manager):
    rows = [draft(manager) for _ in range(3)]
    page, after = service.announcements_page(manager, size=2)
    assert [a.id for a in page] == [rows[2].id, rows[1].id] and after == rows[1].id
    page, after = service.announcements_page(manager, before=after, size=2)
    assert [a.id for a in page] == [rows[0].id] and after is None
