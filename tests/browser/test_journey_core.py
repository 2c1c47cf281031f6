"""The core journey in a real browser: a visitor signs up and confirms by mail, posts an idea
with a picture, a moderator publishes it, another member finds it, supports it and comments,
and the creator hears about it. Plus the idea page on a phone."""
from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from PIL import Image

from tests import factories as f
from tests.browser.conftest import screenshot as full_page_screenshot
from tests.smtp import smtp_server  # noqa: F401  (fixture)

pytestmark = pytest.mark.browser

TITLE = "Quiet umbrella stand for tiny entrances"
COMMENT = "I would put this next to my door tomorrow."


@pytest.fixture
def config_overrides(smtp_server):  # noqa: F811
    return {"MAIL_SERVER": smtp_server.host, "MAIL_PORT": smtp_server.port}


@pytest.fixture
def site(app, live_server):
    """The live server's URL; mails link to it (its port is only known once it runs)."""
    app.config["PUBLIC_BASE_URL"] = live_server
    return live_server


def screenshot(page, name: str) -> None:
    """A full-page screenshot from the top (sticky parts render oddly when scrolled)."""
    page.evaluate("window.scrollTo(0, 0)")
    full_page_screenshot(page, name)


def watch_console(page) -> list[str]:
    """Every console message of the page (CSP violations are logged there by Chromium)."""
    messages: list[str] = []
    page.on("console", lambda msg: messages.append(f"{msg.type}: {msg.text}"))
    return messages


def csp_violations(messages: list[str]) -> list[str]:
    return [m for m in messages if "Content Security Policy" in m or "Refused to" in m]


def sign_in(page, base, email, password=f.PASSWORD):
    page.goto(base + "/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", password)
    page.locator("main form button[type=submit]").first.click()
    page.wait_for_load_state()


def flash_text(page) -> str:
    flashes = page.locator(".flashes")
    return flashes.inner_text() if flashes.count() else ""


def make_png(path, size=(1200, 800)):
    image = Image.new("RGB", size, (228, 87, 46))
    for x in range(0, size[0], 40):  # some stripes, so it is not a flat colour
        for y in range(size[1]):
            image.putpixel((x, y), (255, 209, 102))
    image.save(path, "PNG")
    return path


def test_visitor_signs_up_posts_an_idea_and_a_member_supports_it(
        site, smtp_server, new_page, tmp_path):  # noqa: F811
    # --- a visitor signs up through the form
    creator = new_page()
    creator_console = watch_console(creator)
    creator.goto(site + "/signup")
    screenshot(creator, "journey-01-signup")
    creator.fill("input[name=email]", "hana@example.com")
    creator.fill("input[name=display_name]", "Hana Creator")
    creator.fill("input[name=password]", "a long and unusual passphrase")
    creator.click("main form button[type=submit]")
    creator.wait_for_load_state()
    assert urlsplit(creator.url).path == "/me"
    # one notice: the welcome is the confirmation banner, not a second flash beside it
    assert "We sent a confirmation link to hana@example.com" in \
        creator.locator("[data-testid=confirm-banner]").inner_text()
    screenshot(creator, "journey-02-signed-up")

    # --- the confirmation mail arrives and its link confirms the address
    mail = smtp_server.wait_for(1)[0]
    assert mail["To"] == "hana@example.com"
    links = [link for link in smtp_server.links(mail) if "/confirm/" in link]
    assert links, smtp_server.body(mail)
    assert links[0].startswith(site + "/confirm/")
    creator.goto(links[0])
    assert "hana@example.com is confirmed" in flash_text(creator)

    # --- posts an idea
    creator.goto(site + "/ideas/new")
    creator.fill("input[name=title]", TITLE)
    creator.fill("input[name=pitch]", "A stand that fits a 30 cm hallway and never drips.")
    creator.select_option("select[name=category]", "home")
    creator.fill("input[name=tags]", "umbrella, small flats")
    creator.fill("textarea[name=description]",
                 "A slim stand with a **drip tray**.\n\n- fits 30 cm\n- holds four umbrellas")
    creator.fill("textarea[name=scene]", "A commuter in a tiny Tokyo flat on a rainy evening")
    creator.fill("textarea[name=conflict]", "Annoyed by puddles in the entrance")
    creator.fill("textarea[name=success]", "Keep the entrance dry and tidy")
    creator.fill("textarea[name=why_1]", "Because the entrance is the first thing guests see")
    creator.fill("textarea[name=why_2]", "Because a wet floor makes the whole flat feel messy")
    creator.fill("textarea[name=why_3]", "Because home should feel calm after a long commute")
    creator.fill("textarea[name=core]", "For commuters in tiny flats, when it rains, who want a "
                 "calm home, this slim stand keeps the entrance dry.")
    screenshot(creator, "journey-03-new-idea")
    creator.click("form.idea-form .form-actions button[type=submit]")
    creator.wait_for_load_state()
    assert "/edit" in creator.url
    assert "Your draft is saved" in flash_text(creator)

    # --- uploads a picture
    png = make_png(tmp_path / "umbrella.png")
    creator.set_input_files("form.upload-form input[type=file]", str(png))
    # Uploaded as soon as it is chosen (static/js/upload.js), then the section is shown again.
    creator.locator("[data-testid=idea-image]").first.wait_for()
    assert creator.locator("[data-testid=idea-image]").count() == 1
    assert creator.locator("[data-testid=image-count]").inner_text().startswith("1 of")
    screenshot(creator, "journey-04-edit-with-picture")

    # --- submits it, consenting to the creator agreement
    creator.click("[data-testid=submit-link] >> nth=0")
    creator.wait_for_load_state()
    assert "/submit" in creator.url
    assert creator.locator(".agreement").is_visible()
    screenshot(creator, "journey-05-submit")
    creator.check("input[name=accept]")
    creator.click("form.consent-form button[type=submit]")
    creator.wait_for_load_state()
    assert "Your idea was submitted" in flash_text(creator)
    assert creator.locator(".idea-head .status").first.inner_text().lower() == "pending moderation"
    idea_url = creator.url
    idea_path = urlsplit(idea_url).path

    # --- a moderator signs in through the form and publishes it from the queue
    moderator = f.user("moderator", name="Mei Moderator")
    mod = new_page()
    mod_console = watch_console(mod)
    sign_in(mod, site, moderator.email)
    assert "Welcome back, Mei Moderator" in flash_text(mod)
    mod.click("#site-nav >> text=Moderation")
    mod.wait_for_load_state()
    item = mod.locator("[data-testid=pending-idea]", has_text=TITLE)
    assert item.count() == 1
    assert item.locator("img").count() == 1
    screenshot(mod, "journey-06-moderation-queue")
    item.locator("input[name=decision][value=publish]").check()
    item.locator("textarea[name=reason]").fill("Lovely, clear insight.")
    item.locator("button[type=submit]").click()
    mod.wait_for_load_state()
    assert "error" not in (mod.locator(".flash").first.get_attribute("class") or "")
    assert mod.locator("[data-testid=pending-idea]", has_text=TITLE).count() == 0

    # --- the idea is public: badge, cover picture
    creator.goto(idea_url)
    assert creator.locator(".idea-head .status").first.inner_text().lower() == "gathering support"
    cover = creator.locator("[data-testid=cover-image]")
    assert cover.is_visible()
    creator.wait_for_function(
        "() => { const i = document.querySelector('[data-testid=cover-image]');"
        " return i && i.complete && i.naturalWidth > 0; }")
    assert cover.evaluate("img => img.naturalWidth") > 0

    # --- another confirmed member finds the idea through search
    member = f.user(name="Sora Supporter")
    fan = new_page()
    fan_console = watch_console(fan)
    sign_in(fan, site, member.email)
    fan.fill(".nav-search input[name=q]", "umbrella stand")
    fan.press(".nav-search input[name=q]", "Enter")
    fan.wait_for_load_state()
    fan.click(f"a:has-text('{TITLE}') >> nth=0")
    fan.wait_for_load_state()
    assert urlsplit(fan.url).path == idea_path
    assert fan.locator("[data-testid=idea-title]").inner_text() == TITLE
    assert fan.locator("[data-testid=support-total]").inner_text() == "0"

    # --- supports it, answering the survey
    fan.click(".support-answers summary")
    fan.check("input[name=would_buy][value=yes]")
    fan.fill("#support-price", "3500")
    fan.select_option("select[name=price_currency]", "JPY")
    fan.fill("#support-reason", "Our hallway is always wet in June.")
    fan.click(".support-form button[type=submit]")
    fan.wait_for_load_state()
    assert fan.locator("[data-testid=support-total]").inner_text() == "1"
    assert fan.locator("[data-testid=you-support]").is_visible()

    # --- and comments
    fan.fill("#new-comment", COMMENT)
    fan.click("[data-testid=comment-form] button[type=submit]")
    fan.wait_for_load_state()
    comment = fan.locator("[data-testid=comment]", has_text=COMMENT)
    assert comment.count() == 1
    assert "Sora Supporter" in comment.inner_text()
    screenshot(fan, "journey-07-supported-and-commented")

    # --- the creator sees the support, the comment and the notifications
    creator.goto(idea_url)
    assert creator.locator("[data-testid=support-total]").inner_text() == "1"
    assert creator.locator("[data-testid=comment]", has_text=COMMENT).count() == 1
    assert creator.locator("[data-testid=unread-count]").is_visible()
    screenshot(creator, "journey-08-creator-idea-page")
    creator.click(".nav-notifications")
    creator.wait_for_load_state()
    notifications = creator.locator("[data-testid=notification]")
    texts = " | ".join(notifications.all_inner_texts())
    assert "is published" in texts
    assert "Sora Supporter is the first supporter of" in texts
    assert notifications.count() >= 3  # published, supported, commented
    screenshot(creator, "journey-09-notifications")

    for page, console in ((creator, creator_console), (mod, mod_console), (fan, fan_console)):
        assert page.js_errors == []
        assert csp_violations(console) == []


def test_idea_page_fits_a_phone_and_the_menu_opens(live_server, new_page):
    owner = f.user(name="Kaito Creator")
    idea = f.idea(owner, title="A very long idea title that has to wrap nicely on a small phone",
                  supports=2)
    page = new_page(viewport=(390, 844))
    console = watch_console(page)
    page.goto(f"{live_server}/ideas/{idea.id}")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390

    # the support box comes right after the idea's header, before the discussion
    support_top = page.locator("#support").bounding_box()["y"]
    comments_top = page.locator("#comments").bounding_box()["y"]
    assert support_top < comments_top

    nav = page.locator("#site-nav")
    toggle = page.locator(".nav-toggle")
    assert toggle.is_visible()
    assert not nav.is_visible()
    toggle.click()
    assert nav.is_visible()
    assert toggle.get_attribute("aria-expanded") == "true"
    assert page.locator("#site-nav >> text=Browse ideas").is_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    screenshot(page, "journey-mobile-idea-menu-open")
    assert page.js_errors == []
    assert csp_violations(console) == []
