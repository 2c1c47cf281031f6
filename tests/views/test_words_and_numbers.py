"""Words and numbers as the reader reads them (issue 17, items 1 and 4): the system's event
reasons and ledger memos in the reader's language with grouped numbers, shares as percentages,
times to the minute, role names, the agreement's digest one click away."""
from __future__ import annotations

from datetime import date, datetime

from flask import render_template_string
from sqlalchemy import select

from app import labels
from app.i18n import datetime_text
from app.models import IdeaCreator, IdeaEvent
from app.services import events
from tests import factories
from tests.helpers import csrf_token, login


def _in(app, locale: str):
    return app.test_request_context(f"/?lang={locale}")


def test_a_system_reason_is_written_in_english_and_read_in_the_readers_language(app):
    stored = labels.system_reason("qualified", n=10_000)
    assert stored == "Reached 10000 supporters"  # the record stays as it always was
    event = IdeaEvent(kind="qualified", reason=stored)
    with _in(app, "en"):
        assert labels.event_reason(event) == "Reached 10,000 supporters"
        assert labels.event_label("review_started") == "Review started"
    with _in(app, "ja"):
        assert labels.event_reason(event) == "サポーター10,000人に到達"
        assert labels.event_label("product_stage") == "製品化の次の段階"


def test_shares_in_reasons_read_as_percentages_and_a_persons_note_stays_as_written(app):
    invited = IdeaEvent(kind="co_creator_invited",
                        reason=labels.system_reason("co_creator_invited", email="a@b.jp",
                                                    bps=1250))
    note = IdeaEvent(kind="merged", reason="Same idea as #12, thanks!")
    with _in(app, "en"):
        assert labels.event_reason(invited) == "a@b.jp (share 12.5%)"
        assert labels.event_reason(note) == "Same idea as #12, thanks!"
    with _in(app, "ja"):
        assert labels.event_reason(invited) == "a@b.jp（配分 12.5%）"


def test_ledger_memos_are_shown_translated_and_unknown_memos_as_stored(app):
    with _in(app, "ja"):
        assert labels.ledger_memo("Sale S-1: Lantern hook 2026-04") == \
            "売上 S-1：Lantern hook、2026-04"
        assert labels.ledger_memo("Payout P-9 to Bob Martin") == "支払い P-9：Bob Martin さんへ"
        assert labels.ledger_memo("Opening balance") == "Opening balance"


def test_counts_in_templates_are_grouped_in_the_readers_locale(app):
    with _in(app, "en"):
        text = render_template_string(
            "{{ ngettext('%(num)s supporter', '%(num)s supporters', 10000) }}")
        assert text == "10,000 supporters"


def test_times_are_shown_to_the_minute_in_the_readers_language(app):
    moment = datetime(2026, 5, 3, 5, 7, 9)
    with _in(app, "en"):
        assert datetime_text(moment) == "May 3, 2026, 5:07\u202fAM"
    with _in(app, "ja"):
        assert datetime_text(moment) == "2026/05/03 14:07"  # Tokyo, no seconds


def test_a_notification_date_reads_in_japanese_not_iso(client, db):
    member = factories.user(locale="ja")
    events.notify([member], "idea_qualified_next_review",
                  {"title": "傘立て", "count": 10_000, "date": {"date": "2026-06-30"}})
    db.session.commit()
    login(client, member)
    page = client.get("/notifications?lang=ja").get_data(as_text=True)
    assert "2026/06/30" in page and "2026-06-30" not in page
    assert "10,000" in page


def test_the_idea_history_reads_in_japanese(client, db):
    owner = factories.user()
    idea = factories.idea(owner, status="qualified")
    events.record(None, "qualified", idea, reason=labels.system_reason("qualified", n=10_000))
    events.record(None, "review_started", idea,
                  reason=labels.system_reason("review_started", name="Spring review"))
    db.session.commit()
    login(client, owner)
    page = client.get(f"/ideas/{idea.id}?lang=ja").get_data(as_text=True)
    assert "サポーター10,000人に到達" in page and "Reached" not in page
    assert "レビュー開始" in page and "Review started" not in page


def test_a_share_is_typed_and_shown_as_a_percentage(client, db):
    owner, partner = factories.user(), factories.user()
    idea = factories.idea(owner, status="draft", co_creators=(partner,))
    login(client, owner)
    response = client.post(f"/ideas/{idea.id}/creators/{partner.id}/share",
                           data={"csrf_token": csrf_token(client), "share_percent": "12.5"})
    assert response.status_code == 302
    creator = db.session.scalar(select(IdeaCreator).where(IdeaCreator.user_id == partner.id))
    assert creator.share_bps == 1250
    page = client.get(f"/ideas/{idea.id}/edit").get_data(as_text=True)
    assert "12.5%" in page and "bps" not in page
    assert 'name="share_percent" value="12.5"' in page


def test_a_share_with_more_than_two_decimals_is_refused(client, db):
    owner, partner = factories.user(), factories.user()
    idea = factories.idea(owner, status="draft", co_creators=(partner,))
    login(client, owner)
    client.post(f"/ideas/{idea.id}/creators/{partner.id}/share",
                data={"csrf_token": csrf_token(client), "share_percent": "12.345"})
    creator = db.session.scalar(select(IdeaCreator).where(IdeaCreator.user_id == partner.id))
    assert creator.share_bps == 1000


def test_the_agreement_digest_is_one_click_away_on_the_submit_page(client, db):
    owner = factories.user()
    idea = factories.idea(owner, status="draft")
    login(client, owner)
    page = client.get(f"/ideas/{idea.id}/submit").get_data(as_text=True)
    digest = factories.current_agreement().sha256
    details = page[page.index('<details class="agreement-digest'):]
    assert digest in details[:details.index("</details>")]


def test_role_names_read_in_japanese_on_the_admin_pages(client, db):
    admin = factories.user("admin")
    factories.user("product_manager", name="Sora Kimura")
    login(client, admin)
    page = client.get("/admin/users?lang=ja").get_data(as_text=True)
    assert "プロダクトマネージャー" in page and ">product_manager<" not in page


def test_review_dates_in_a_notification_are_not_iso(app):
    from app import notification_kinds as kinds

    with _in(app, "ja"):
        assert kinds.render("idea_qualified_next_review", {
            "title": "傘", "count": 10, "date": kinds.day(date(2026, 6, 30))}).count("2026/06/30")
