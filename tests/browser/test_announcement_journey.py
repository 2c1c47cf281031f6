"""An announcement in a real browser: a community manager writes it in English and Japanese,
previews who receives it (count and sample), saves, sends; a Japanese member reads it in
Japanese from their notifications. Screenshots of the pages, desktop and phone, English and
Japanese, are kept in SCREENSHOT_DIR."""

import pytest

from tests import factories as f
from tests.browser.conftest import screenshot
from tests.browser.test_review_journey import sign_in

pytestmark = pytest.mark.browser


def test_compose_preview_send_and_read(live_server, new_page):
    manager = f.user("community_manager", name="Mika Manager")
    hana = f.user(marketing_mail=True, locale="ja", name="Hana")
    f.user(marketing_mail=True, locale="ja", name="Ken")
    f.user(marketing_mail=True, locale="en", name="Bob")
    page = new_page()
    sign_in(page, live_server, manager)
    page.goto(live_server + "/")
    page.locator(".site-nav a", has_text="Announcements").click()
    page.wait_for_load_state()
    page.locator("a", has_text="Write an announcement").click()
    page.wait_for_load_state()
    page.fill("input[name=title_en]", "Summer vote")
    page.fill("input[name=title_ja]", "夏の投票")
    page.fill("textarea[name=body_en]", "Vote for your **favourite** ideas.")
    page.fill("textarea[name=body_ja]", "お気に入りのアイデアに**投票**してください。")
    page.select_option("select[name=locale]", "ja")
    page.locator("input[name=preview]").click()
    page.wait_for_load_state()
    assert page.locator("[data-testid=recipients-count]").inner_text() == "2"
    sample = page.locator("[data-testid=segment-sample]").inner_text()
    assert "Hana" in sample and "Ken" in sample and "Bob" not in sample
    screenshot(page, "announcement-compose-preview-en-desktop")
    page.locator("input[name=save]").click()
    page.wait_for_load_state()
    assert page.locator("[data-testid=announcement-status]").inner_text().lower() == "draft"
    assert page.locator("[data-testid=body-ja] strong").inner_text() == "投票"
    page.once("dialog", lambda dialog: dialog.accept())
    page.locator("[data-testid=send-announcement]").click()
    page.wait_for_load_state()
    assert page.locator("[data-testid=announcement-status]").inner_text().lower() == "sent"
    assert page.locator("[data-testid=delivered-count]").inner_text() == "2"
    screenshot(page, "announcement-sent-en-desktop")
    assert not page.js_errors, page.js_errors

    reader = new_page()
    sign_in(reader, live_server, hana)
    reader.goto(live_server + "/notifications")
    reader.locator("[data-testid=notification] button", has_text="夏の投票").first.click()
    reader.wait_for_load_state()
    assert reader.locator("[data-testid=announcement] h1").inner_text() == "夏の投票"
    assert reader.locator("[data-testid=announcement] strong").inner_text() == "投票"
    screenshot(reader, "announcement-read-ja-desktop")
    phone = new_page((390, 844))
    sign_in(phone, live_server, hana)
    phone.goto(reader.url)
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    screenshot(phone, "announcement-read-ja-phone")

    for lang in ("en", "ja"):
        for name, viewport in (("desktop", (1280, 900)), ("phone", (390, 844))):
            staff = new_page(viewport)
            sign_in(staff, live_server, manager)
            for path, label in (("/outreach/announcements/new", "compose"),
                                ("/outreach/announcements", "list"),
                                ("/outreach/announcements/1", "sent"),
                                ("/outreach/segments", "segments")):
                staff.goto(f"{live_server}{path}?lang={lang}")
                width = staff.evaluate("document.documentElement.scrollWidth")
                assert width <= viewport[0], f"{path} {lang} {name}: scrolls sideways ({width}px)"
                screenshot(staff, f"announcement-{label}-{lang}-{name}")
