"""Notifications and mail rendered for the reader: kind + params, the reader's language, time
zone and money, preferences per category, one-click unsubscribe."""
from __future__ import annotations

import importlib.util
import re
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog

from app import i18n_cli
from app import notification_kinds as kinds
from app.extensions import db
from app.i18n import speaking_to
from app.models import Notification, NotificationPreference, OutboundMail, User
from app.services import comments, events, notifications
from tests import factories
from tests.helpers import bearer, csrf_token
from tests.smtp import smtp_server  # noqa: F401


@pytest.fixture
def config_overrides(smtp_server):  # noqa: F811
    return {"MAIL_SERVER": smtp_server.host, "MAIL_PORT": smtp_server.port,
            "PUBLIC_BASE_URL": "https://kyoso.example"}


def _mails_to(user: User) -> list[OutboundMail]:
    return db.session.query(OutboundMail).filter_by(to_address=user.email).all()


# --- the reader's language, never the actor's ---------------------------------------------------

def test_japanese_member_is_told_in_japanese_of_an_english_members_comment(app, client,
                                                                          smtp_server):  # noqa: F811
    hana = factories.user(name="花子", locale="ja")
    bob = factories.user(name="Bob", locale="en")
    idea = factories.idea(hana, title="折りたたみ机")
    with app.test_request_context("/?lang=en"):  # Bob acts in English
        comments.post_comment(bob, idea.id, "Love it!")
        db.session.commit()

    [mail] = smtp_server.wait_for(1)
    assert mail["To"] == hana.email
    assert mail["Subject"] == "Kyoso：Bob さんがあなたのアイデア「折りたたみ机」にコメントしました。"
    body = smtp_server.body(mail)
    assert body.startswith("花子 さん\n")
    assert "Bob さんがあなたのアイデア「折りたたみ机」にコメントしました。" in body
    assert "commented" not in body and "このメールの配信停止" in body
    # The list in the app and the API speak Japanese to her too (whatever the client asks).
    items = client.get("/api/v1/me/notifications", headers={
        **bearer(hana), "Accept-Language": "en"}).get_json()["items"]
    assert items[0]["message"] == "Bob さんがあなたのアイデア「折りたたみ机」にコメントしました。"
    assert items[0]["kind"] == "comment_on_idea"
    assert items[0]["params"] == {"name": "Bob", "title": "折りたたみ机"}


def test_english_member_is_told_in_english_of_a_japanese_members_reply(app, smtp_server):  # noqa: F811
    hana = factories.user(name="花子", locale="ja")
    bob = factories.user(name="Bob", locale="en")
    idea = factories.idea(factories.user(), title="Folding desk")
    first = comments.post_comment(bob, idea.id, "Nice")
    db.session.commit()
    smtp_server.clear()
    with app.test_request_context("/?lang=ja"):  # Hana acts in Japanese
        comments.post_comment(hana, idea.id, "いいですね", parent_id=first.id)
        db.session.commit()

    mails = [mail for mail in smtp_server.wait_for(2) if mail["To"] == bob.email]
    [mail] = mails
    assert mail["Subject"] == "Kyoso: 花子 replied to your comment on “Folding desk”."
    body = smtp_server.body(mail)
    assert "Hello Bob," in body and "花子 replied to your comment on “Folding desk”." in body
    assert "返信" not in body and "Stop these mails (Replies to my comments)" in body


def test_account_mails_follow_the_members_language(app, client, smtp_server):  # noqa: F811
    hana = factories.user(name="花子", locale="ja", email="hana@example.com")
    client.post("/password/forgot?lang=en", data={
        "csrf_token": csrf_token(client, "/password/forgot?lang=en"), "email": hana.email})
    [mail] = smtp_server.wait_for(1)
    assert "パスワード" in mail["Subject"] and "reset" not in mail["Subject"].lower()


def test_sign_up_keeps_the_language_it_was_made_in(client):
    response = client.post("/api/v1/users", headers={"Accept-Language": "ja"}, json={
        "email": "new.ja@example.com", "password": "river stones 42", "display_name": "新"})
    assert response.status_code == 201
    assert db.session.query(User).filter_by(email="new.ja@example.com").one().locale == "ja"


# --- numbers, money, dates ----------------------------------------------------------------------

def test_money_and_dates_are_formatted_for_the_reader(app):
    en = factories.user(locale="en")
    ja = factories.user(locale="ja")
    berlin = factories.user(locale="en")
    berlin.time_zone = "Europe/Berlin"
    params = {"amount": kinds.money(86036, "JPY"), "ref": "PAY-1"}
    with speaking_to(en):
        assert kinds.render("royalty_payout", params) == \
            "A payout of ¥86,036 was sent to you (reference PAY-1)."
    with speaking_to(ja):
        assert kinds.render("royalty_payout", params) == \
            "86,036円をお支払いしました（参照番号 PAY-1）。"
        assert kinds.format_value(kinds.money(1250, "USD")) == "$12.50"
        assert kinds.format_value(kinds.moneys({"JPY": 1000, "USD": 1250})) == "1,000円、$12.50"
        assert kinds.format_value(kinds.day(date(2026, 4, 1))) == "2026/04/01"
        assert kinds.format_value(kinds.month("2026-04")) == "2026年4月"
        assert kinds.format_value(12345) == "12,345"
    moment = kinds.moment(datetime(2026, 4, 1, 23, 30, tzinfo=UTC))
    with speaking_to(en):
        assert kinds.format_value(kinds.day(date(2026, 4, 1))) == "Apr 1, 2026"
        assert kinds.format_value(kinds.month("2026-04")) == "April 2026"
        assert kinds.format_value(moment).startswith("Apr 1, 2026")  # UTC
    with speaking_to(ja):
        assert kinds.format_value(moment).startswith("2026/04/02 8:30")  # Asia/Tokyo
    with speaking_to(berlin):
        assert kinds.format_value(moment).startswith("Apr 2, 2026, 1:30")  # CEST


def test_a_royalty_statement_mail_shows_money_the_readers_way(app, smtp_server):  # noqa: F811
    ja = factories.user(locale="ja")
    events.notify([ja], "royalty_statement", {"figures": kinds.moneys({"JPY": 86036})})
    db.session.commit()
    [mail] = smtp_server.wait_for(1)
    assert "86,036円" in mail["Subject"] and "JPY" not in smtp_server.body(mail)
    assert "https://kyoso.example/me/royalties" in smtp_server.body(mail)


def test_a_decision_is_a_word_of_the_readers_language(app):
    params = {"title": "Lamp", "decision": kinds.label("decision", "not_approved")}
    with speaking_to(factories.user(locale="ja")):
        assert kinds.render("idea_reviewed", params) == "「Lamp」のレビュー結果：不承認。"
    with speaking_to(factories.user(locale="en")):
        assert kinds.render("idea_reviewed", params) == "“Lamp” has been reviewed: not approved."


# --- the registry ---------------------------------------------------------------------------------

def test_notify_stores_kind_and_params_not_a_sentence(app):
    member = factories.user()
    [row] = events.notify([member], "idea_followed", {"name": "Ann", "title": "Lamp"})
    db.session.commit()
    stored = db.session.get(Notification, row.id)
    assert (stored.kind, stored.category, stored.params) == \
        ("idea_followed", "supports", {"name": "Ann", "title": "Lamp"})
    assert not hasattr(Notification, "message") or not hasattr(Notification.message, "expression")


def test_notify_refuses_an_unknown_kind_or_missing_params(app):
    member = factories.user()
    with pytest.raises(ValueError, match="unknown notification kind"):
        events.notify([member], "made_up", {})
    with pytest.raises(ValueError, match="needs params"):
        events.notify([member], "idea_followed", {"name": "Ann"})


def test_every_kind_has_japanese_and_its_placeholders(app):
    ja = i18n_cli.read_catalog(i18n_cli.po_path("ja"), "ja")
    assert i18n_cli.untranslated_kinds(ja, "ja") == []
    for kind in kinds.KINDS.values():
        translated = ja.get(kind.template).string
        assert set(re.findall(r"%\((\w+)\)s", translated)) == kind.placeholders, kind.name


def test_i18n_check_fails_when_a_kinds_japanese_is_missing(app):
    ja = i18n_cli.read_catalog(i18n_cli.po_path("ja"), "ja")
    missing = Catalog(locale="ja")
    for message in ja:
        if message.id and message.id != kinds.KINDS["reply"].template:
            missing.add(message.id, message.string)
    assert i18n_cli.untranslated_kinds(missing, "ja") == \
        ["ja: notification kind 'reply' is not translated"]

    kinds.register("test_only_kind", "status", "Nobody translated %(this)s.")
    try:
        result = app.test_cli_runner().invoke(args=["i18n", "check"])
    finally:
        del kinds.KINDS["test_only_kind"]
    assert result.exit_code != 0
    assert "notification kind 'test_only_kind' is not translated" in result.output


# --- preferences ---------------------------------------------------------------------------------

@pytest.mark.parametrize("delivery", ["app", "immediately", "daily", "weekly", "off"])
def test_each_delivery_is_honoured(app, smtp_server, delivery):  # noqa: F811
    member = factories.deliver(factories.user(), delivery, "supports")
    rows = events.notify([member], "idea_followed", {"name": "Ann", "title": "Lamp"})
    db.session.commit()
    sent = {mode: notifications.send_digests(mode) for mode in ("daily", "weekly")}
    db.session.commit()
    listed = db.session.query(Notification).filter_by(user_id=member.id).count()
    assert listed == (0 if delivery == "off" else 1)
    assert len(rows) == listed
    mailed = len(_mails_to(member))
    assert mailed == (1 if delivery in ("immediately", "daily", "weekly") else 0)
    assert sent == {"daily": int(delivery == "daily"), "weekly": int(delivery == "weekly")}
    if mailed:
        [mail] = smtp_server.wait_for(1)
        assert "Ann now follows your idea “Lamp”." in smtp_server.body(mail)
        assert mail["List-Unsubscribe"].startswith("<https://kyoso.example/unsubscribe/")
        assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"


def test_preferences_are_per_category(app):
    member = factories.deliver(factories.user(), "off", "supports")
    events.notify([member], "idea_followed", {"name": "Ann", "title": "Lamp"})
    events.notify([member], "reply", {"name": "Ann", "title": "Lamp"})
    db.session.commit()
    assert [row.kind for row in db.session.query(Notification).filter_by(user_id=member.id)] == \
        ["reply"]


def test_a_japanese_digest_is_in_japanese(app, smtp_server):  # noqa: F811
    ja = factories.deliver(factories.user(locale="ja"), "weekly")
    events.notify([ja], "idea_followed", {"name": "Ann", "title": "Lamp"})
    events.notify([ja], "royalty_payout", {"amount": kinds.money(500, "JPY"), "ref": "P-2"})
    db.session.commit()
    assert notifications.send_digests("weekly") == 1
    db.session.commit()
    [mail] = smtp_server.wait_for(1)
    body = smtp_server.body(mail)
    assert "Ann さんがあなたのアイデア「Lamp」をフォローしました。" in body
    assert "500円をお支払いしました" in body and "ウィークリーダイジェスト" in body
    assert mail["List-Unsubscribe"].startswith("<https://kyoso.example/unsubscribe/")


def test_api_sets_language_time_zone_and_preferences(client):
    member = factories.user()
    response = client.patch("/api/v1/me", headers=bearer(member), json={
        "locale": "ja", "time_zone": "Asia/Tokyo",
        "notification_preferences": {"comments": "daily", "idea_followed": "off"}})
    assert response.status_code == 200
    body = response.get_json()
    assert (body["locale"], body["time_zone"]) == ("ja", "Asia/Tokyo")
    assert body["notification_preferences"]["comments"] == "daily"
    assert body["notification_preferences"]["supports"] == "off"  # a kind stands for its category
    assert body["notification_preferences"]["replies"] == "immediately"


@pytest.mark.parametrize("change", [
    {"notification_preferences": {"comments": "hourly"}},
    {"notification_preferences": {"gossip": "daily"}},
    {"notification_preferences": ["comments"]},
    {"time_zone": "Mars/Olympus"},
    {"locale": "fr"},
])
def test_api_refuses_bad_settings_and_changes_nothing(client, change):
    member = factories.user()
    response = client.patch("/api/v1/me", headers=bearer(member), json={
        "locale": "ja", **change})
    assert response.status_code == 422 and response.get_json()["error"]["fields"]
    db.session.expire_all()
    assert db.session.get(User, member.id).locale is None
    assert db.session.query(NotificationPreference).count() == 0


# --- unsubscribe ---------------------------------------------------------------------------------

def _token_from(mail) -> str:
    return re.search(r"/unsubscribe/([^>\s]+)", mail["List-Unsubscribe"]).group(1)


def test_one_click_unsubscribe_stops_that_category_only(app, client, smtp_server):  # noqa: F811
    member = factories.user(locale="ja")
    events.notify([member], "idea_followed", {"name": "Ann", "title": "Lamp"})
    db.session.commit()
    token = _token_from(smtp_server.wait_for(1)[0])

    page = client.get(f"/unsubscribe/{token}")
    assert page.status_code == 200 and "自分のアイデアへのサポートとフォロー" in page.get_data(as_text=True)
    assert notifications.preferences(member)["supports"] == "immediately"  # GET changes nothing

    # RFC 8058: the mail client posts this body, without cookies or CSRF token.
    done = client.post(f"/unsubscribe/{token}", data={"List-Unsubscribe": "One-Click"})
    assert done.status_code == 200
    db.session.expire_all()
    chosen = notifications.preferences(db.session.get(User, member.id))
    assert chosen["supports"] == "app" and chosen["replies"] == "immediately"

    smtp_server.clear()
    events.notify([member], "idea_followed", {"name": "Ben", "title": "Lamp"})
    db.session.commit()
    assert db.session.query(Notification).filter_by(user_id=member.id).count() == 2
    assert len(_mails_to(member)) == 1  # still listed in the app, no second mail


def test_the_confirm_page_button_unsubscribes(client):
    member = factories.user()
    token = notifications.unsubscribe_token(member, "royalties")
    response = client.post(f"/unsubscribe/{token}")
    assert response.status_code == 200 and "no longer receive" in response.get_data(as_text=True)
    assert notifications.preferences(member)["royalties"] == "app"


def test_unsubscribing_from_a_digest_stops_that_digest(client):
    member = factories.deliver(factories.user(), "daily", "comments", "replies")
    factories.deliver(member, "weekly", "review")
    token = notifications.unsubscribe_token(member, "digest:daily")
    assert client.post(f"/unsubscribe/{token}", data={
        "List-Unsubscribe": "One-Click"}).status_code == 200
    chosen = notifications.preferences(member)
    assert (chosen["comments"], chosen["replies"], chosen["review"]) == ("app", "app", "weekly")


def test_a_bad_or_forged_token_is_refused_and_changes_nothing(app, client):
    member = factories.user()
    good = notifications.unsubscribe_token(member, "comments")
    payload, signature = good.split(".")
    other = factories.user()
    forged_payload = notifications.unsubscribe_token(other, "comments").split(".")[0]
    from itsdangerous import URLSafeSerializer

    wrong_key = URLSafeSerializer("not the secret", salt=notifications.UNSUBSCRIBE_SALT).dumps(
        {"u": member.id, "c": "comments"})
    bad_scope = URLSafeSerializer(app.config["SECRET_KEY"],
                                  salt=notifications.UNSUBSCRIBE_SALT).dumps(
        {"u": member.id, "c": "everything"})
    for token in ("nonsense", good[:-2] + "xx", f"{forged_payload}.{signature}", wrong_key,
                  bad_scope):
        assert client.get(f"/unsubscribe/{token}").status_code == 404, token
        assert client.post(f"/unsubscribe/{token}", data={
            "List-Unsubscribe": "One-Click"}).status_code == 404, token
    assert db.session.query(NotificationPreference).count() == 0


# --- old rows ------------------------------------------------------------------------------------

def _migration():
    path = Path(__file__).parents[2] / "migrations" / "versions" / "0017_notify_i18n.py"
    spec = importlib.util.spec_from_file_location("notify_i18n_migration", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("old_kind, message, kind, params", [
    ("comment_on_idea", "Bob commented on your idea “Desk”.", "comment_on_idea",
     {"name": "Bob", "title": "Desk"}),
    ("idea_milestone", "“Desk” reached 1,000 supporters. Next goal: 5,000.", "idea_milestone",
     {"title": "Desk", "count": 1000, "next": 5000}),
    ("moderation", "“Desk” is published and now gathers support! Moderator's note: Nice",
     "idea_published_note", {"title": "Desk", "reason": "Nice"}),
    ("idea_status", "“Desk” has been reviewed: not approved.", "idea_reviewed",
     {"title": "Desk", "decision": {"label": "not_approved", "group": "decision"}}),
    ("royalty_statement", "Royalty statement: 860.36 USD, 86036 JPY for “Desk” (2026-04).",
     "royalty_statement_product",
     {"figures": [{"amount": 86036, "currency": "USD"}, {"amount": 86036, "currency": "JPY"}],
      "product": "Desk", "period": {"month": "2026-04"}}),
    ("co_creator_invite", "You are invited to co-create an idea with a 12.5% share of its "
     "royalties. Open the invitation to read it and accept.", "co_creator_invite",
     {"share": {"bps": 1250}}),
    ("moderation", "Something a moderator once wrote.", "moderation",
     {"_message": "Something a moderator once wrote."}),
])
def test_old_sentences_are_parsed_back_into_kind_and_params(app, old_kind, message, kind, params):
    parsed_kind, category, parsed = _migration().parse(old_kind, message)
    assert (parsed_kind, parsed) == (kind, params)
    assert category == kinds.category_of(kind) if kind in kinds.KINDS else category == "status"
    with speaking_to(factories.user(locale="en")):
        rendered = kinds.render(parsed_kind, parsed)
    if kind == "royalty_statement_product":
        assert rendered == "Royalty statement: $860.36, ¥86,036 for “Desk” (April 2026)."
    else:
        assert rendered == message


def test_followers_told_by_the_fan_out_read_it_their_way(app, smtp_server):  # noqa: F811
    from app.models import IdeaFollow
    from app.services import fan_out

    idea = factories.idea(factories.user(), title="Lamp")
    ja, en = factories.user(locale="ja"), factories.user(locale="en")
    off = factories.deliver(factories.user(), "off", "status")
    db.session.add_all([IdeaFollow(idea_id=idea.id, user_id=person.id) for person in (ja, en, off)])
    db.session.commit()
    fan_out.tell_followers(idea, "idea_milestone", {"title": "Lamp", "count": 1000, "next": 5000})
    db.session.commit()  # JOBS_SYNC: the fan-out runs now
    mails = {mail["To"]: mail for mail in smtp_server.wait_for(2)}
    assert set(mails) == {ja.email, en.email}
    assert mails[ja.email]["Subject"] == \
        "Kyoso：「Lamp」のサポーターが1,000人に達しました。次の目標は5,000人です。"
    assert mails[en.email]["Subject"] == \
        "Kyoso: “Lamp” reached 1,000 supporters. Next goal: 5,000."
    assert mails[ja.email]["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert db.session.query(Notification).filter_by(user_id=off.id).count() == 0
    [row] = db.session.query(Notification).filter_by(user_id=ja.id).all()
    assert (row.kind, row.category, row.params["count"]) == ("idea_milestone", "status", 1000)
    with pytest.raises(ValueError):
        fan_out.tell_followers(idea, "idea_milestone", {"title": "Lamp"})
