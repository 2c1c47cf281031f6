"""Pages in English and Japanese: how the language is chosen, and what changes with it."""
from __future__ import annotations

from datetime import UTC, date, datetime

from flask import render_template_string

from tests import factories
from tests.helpers import csrf_token, login

NAV_EN = "Browse ideas"
NAV_JA = "アイデアを探す"


def _page(client, path="/", **kwargs) -> str:
    response = client.get(path, **kwargs)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_visitors_see_english_by_default(client):
    html = _page(client)
    assert '<html lang="en">' in html
    assert NAV_EN in html and NAV_JA not in html


def test_lang_ja_in_the_address_shows_the_japanese_interface(client):
    html = _page(client, "/?lang=ja")
    assert '<html lang="ja">' in html
    assert NAV_JA in html and NAV_EN not in html
    assert "アイデアを投稿" in html  # Post an idea
    assert "ログイン" in html and "新規登録" in html  # Sign in, Join


def test_browser_asking_for_japanese_gets_japanese(client):
    html = _page(client, headers={"Accept-Language": "ja-JP,ja;q=0.9,en;q=0.5"})
    assert '<html lang="ja">' in html and NAV_JA in html


def test_browser_preferring_an_unsupported_language_gets_english(client):
    html = _page(client, headers={"Accept-Language": "fr-FR,fr;q=0.9"})
    assert '<html lang="en">' in html and NAV_EN in html


def test_lang_in_the_address_beats_the_browser(client):
    html = _page(client, "/?lang=en", headers={"Accept-Language": "ja"})
    assert '<html lang="en">' in html and NAV_EN in html


def test_lang_cookie_chooses_the_language(client):
    client.set_cookie("lang", "ja")
    html = _page(client)
    assert '<html lang="ja">' in html and NAV_JA in html


def test_unknown_or_hostile_lang_falls_back_and_is_not_reflected(client):
    html = _page(client, '/?lang="><script>alert(1)</script>')
    assert '<html lang="en">' in html
    assert "<script>alert(1)" not in html
    html = _page(client, "/?lang=xx", headers={"Accept-Language": "ja"})
    assert '<html lang="ja">' in html  # falls through to the browser's choice


def test_signed_in_member_sees_their_saved_language(client, db):
    member = factories.user()
    member.locale = "ja"
    db.session.commit()
    login(client, member)
    html = _page(client, headers={"Accept-Language": "en"})
    assert '<html lang="ja">' in html and NAV_JA in html
    assert "ログアウト" in html  # Sign out
    # An explicit choice in the address still wins for that page.
    assert NAV_EN in _page(client, "/?lang=en")


def test_member_without_saved_language_follows_the_browser(client, db):
    member = factories.user()
    login(client, member)
    assert NAV_JA in _page(client, headers={"Accept-Language": "ja"})
    assert NAV_EN in _page(client, headers={"Accept-Language": "en"})


def test_idea_page_in_japanese(client):
    idea = factories.idea(title="Quiet stroller", supports=2)
    html = _page(client, f"/ideas/{idea.id}?lang=ja")
    assert "Quiet stroller" in html  # content is never translated
    assert "ログインしてサポート" in html  # Sign in to support
    assert "このアイデアについて" in html  # About this idea
    assert "Sign in to support" not in html


def test_wrong_password_message_is_in_japanese(client):
    member = factories.user(email="hanako@example.com")
    token = csrf_token(client, "/login?lang=ja")
    response = client.post("/login?lang=ja", data={
        "csrf_token": token, "email": member.email, "password": "not the password"})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "メールアドレスまたはパスワードが正しくありません。" in html


def test_not_found_page_is_in_japanese(client):
    response = client.get("/no-such-page?lang=ja")
    assert response.status_code == 404
    assert "ページが見つかりません" in response.get_data(as_text=True)


def test_browse_counts_ideas_in_japanese(client):
    factories.idea(title="Rain cover")
    html = _page(client, "/ideas?lang=ja")
    assert "1 件のアイデア" in html


def _render(app, lang: str, source: str, **values) -> str:
    with app.test_request_context(f"/?lang={lang}"):
        return render_template_string(source, **values)


def test_money_is_formatted_for_the_reader(app):
    # Babel's Japanese locale writes the yen sign full-width; English uses the ASCII-range one.
    assert _render(app, "ja", "{{ 1200|money('JPY') }}") == "￥1,200"
    assert _render(app, "en", "{{ 1200|money('JPY') }}") == "¥1,200"
    assert _render(app, "ja", "{{ 123456|money('USD') }}") == "$1,234.56"
    assert _render(app, "en", "{{ 123456|money('USD') }}") == "$1,234.56"


def test_numbers_are_grouped_in_both_languages(app):
    assert _render(app, "ja", "{{ 1234567|number }}") == "1,234,567"
    assert _render(app, "en", "{{ 1234567|number }}") == "1,234,567"


def test_dates_follow_the_reader_and_japanese_times_are_in_tokyo(app):
    day = date(2026, 4, 5)
    assert _render(app, "en", "{{ d|date }}", d=day) == "Apr 5, 2026"
    assert _render(app, "ja", "{{ d|date }}", d=day) == "2026/04/05"
    evening_utc = datetime(2026, 4, 5, 20, 30, tzinfo=UTC)
    assert _render(app, "en", "{{ t|datetime }}", t=evening_utc).startswith("Apr 5, 2026, 8:30\u202fPM")
    # 20:30 UTC is 05:30 the next morning in Tokyo.
    assert _render(app, "ja", "{{ t|datetime }}", t=evening_utc) == "2026/04/06 5:30"


def test_chosen_language_stays_on_the_next_page(client):
    client.get("/ideas?lang=ja")
    assert '<html lang="ja">' in client.get("/").get_data(as_text=True)


def test_language_links_keep_the_current_query(client):
    html = client.get("/ideas?sort=newest&q=tea").get_data(as_text=True)
    assert 'href="/ideas?sort=newest&amp;q=tea&amp;lang=ja"' in html


def _render_with_cookie(app, cookie: str | None, template: str, **values) -> str:
    from flask_babel import refresh

    headers = {"Cookie": f"tz={cookie}"} if cookie is not None else {}
    with app.test_request_context("/?lang=en", headers=headers):
        refresh()
        return render_template_string(template, **values)


def test_times_follow_the_browsers_time_zone_until_a_member_chooses_one(app):
    evening_utc = datetime(2026, 4, 5, 20, 30, tzinfo=UTC)
    # Berlin is UTC+2 in April: 22:30 there, not 20:30 (the English default, UTC).
    assert "10:30\u202fPM" in _render_with_cookie(app, "Europe/Berlin", "{{ t|datetime }}", t=evening_utc)
    assert "8:30\u202fPM" in _render_with_cookie(app, None, "{{ t|datetime }}", t=evening_utc)
    # Not a time zone: ignored, never an error.
    assert "8:30\u202fPM" in _render_with_cookie(app, "Mars%2FOlympus", "{{ t|datetime }}", t=evening_utc)


def test_a_new_member_keeps_the_browsers_time_zone(client, db):
    from app.services import accounts
    from tests.helpers import csrf_token as token_for

    client.set_cookie("tz", "America/New_York")
    token = token_for(client, "/signup")
    response = client.post("/signup", data={"csrf_token": token, "email": "tz.fan@example.com",
                                            "password": "a long unusual passphrase 42", "display_name": "Tz Fan"})
    assert response.status_code == 302
    assert accounts.get_by_email("tz.fan@example.com").time_zone == "America/New_York"
