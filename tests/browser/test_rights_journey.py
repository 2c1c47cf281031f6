"""Members' data rights in a real browser: a member deletes their account (password, mail link,
confirmation) and their comment then reads "Deleted member"; a staff member sets up two-factor
sign-in and signs in with a code. Screenshots of the pages, desktop and phone, English and
Japanese."""
from __future__ import annotations

import re
import time

import pyotp
import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import OutboundMail, User
from tests import factories as f
from tests.browser.conftest import screenshot as full_page_screenshot

pytestmark = pytest.mark.browser

PHONE = (390, 844)
DESKTOP = (1280, 800)


@pytest.fixture
def site(app, live_server):
    app.config["PUBLIC_BASE_URL"] = live_server
    return live_server


def screenshot(page, name: str) -> None:
    page.evaluate("window.scrollTo(0, 0)")
    full_page_screenshot(page, name)


def sign_in(page, base, email, password=f.PASSWORD):
    page.goto(base + "/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", password)
    page.locator("main form button[type=submit]").first.click()
    page.wait_for_load_state()


def test_a_member_deletes_their_account(site, new_page):
    member = f.user(email="zora@example.org", name="Zora Deleting")
    idea = f.idea(title="A kettle that whispers")
    from app.models import Comment

    db.session.add(Comment(idea_id=idea.id, author_id=member.id, body="I want one in blue."))
    db.session.commit()

    page = new_page(DESKTOP)
    sign_in(page, site, "zora@example.org")
    page.goto(site + "/account/data")
    screenshot(page, "rights-data-desktop-en")
    page.fill("input[name=password]", "not my password")
    page.click("[data-testid=delete-submit]")
    assert page.locator(".field-error, .error, [role=alert]").count() or "not correct" in \
        page.content()
    page.fill("input[name=password]", f.PASSWORD)
    page.click("[data-testid=delete-submit]")
    assert "zora@example.org" in page.locator("[data-testid=delete-sent]").inner_text()

    db.session.expire_all()
    mail = db.session.scalars(select(OutboundMail).where(
        OutboundMail.to_address == "zora@example.org").order_by(OutboundMail.id.desc())).first()
    link = re.search(r"https?://\S+/account/delete/\S+", mail.body).group(0)
    page.goto(link)
    screenshot(page, "rights-delete-confirm-desktop-en")
    page.click("[data-testid=confirm-delete]")
    page.wait_for_selector("[data-testid=account-deleted]")
    screenshot(page, "rights-deleted-desktop-en")

    page.goto(f"{site}/ideas/{idea.id}")
    content = page.content()
    assert "Deleted member" in content and "Zora" not in content
    db.session.expire_all()
    assert db.session.get(User, member.id).deleted_at is not None


def test_the_data_page_on_a_phone_in_japanese(site, new_page):
    f.user(email="hana@example.org", name="Hana", locale="ja")
    page = new_page(PHONE)
    sign_in(page, site, "hana@example.org")
    page.goto(site + "/account/data?lang=ja")
    assert "アカウントを削除" in page.content()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE[0] + 1, width  # nothing wider than the phone
    screenshot(page, "rights-data-phone-ja")
    page.click("[data-testid=start-export]")
    page.wait_for_selector("[data-testid=download-export]")
    screenshot(page, "rights-export-ready-phone-ja")


def test_staff_set_up_two_factor_and_sign_in_with_a_code(site, new_page):
    f.user("finance", email="fin@example.org", name="Fin Staff")
    page = new_page(DESKTOP)
    sign_in(page, site, "fin@example.org")
    page.goto(site + "/account/two-factor")
    page.click("[data-testid=two-factor-start]")
    page.wait_for_selector("[data-testid=two-factor-qr] svg")
    screenshot(page, "rights-two-factor-enrol-desktop-en")
    secret = page.locator("[data-testid=two-factor-secret]").inner_text().strip()
    page.fill("input[name=code]", pyotp.TOTP(secret).now())
    page.click("[data-testid=two-factor-confirm]")
    page.wait_for_selector("[data-testid=recovery-codes] li")  # count once the answer is shown
    codes = page.locator("[data-testid=recovery-codes] li")
    assert codes.count() == 10
    screenshot(page, "rights-recovery-codes-desktop-en")

    page = new_page(DESKTOP)  # another browser: signs in afresh
    sign_in(page, site, "fin@example.org")
    assert page.url.endswith("/login/two-factor")
    screenshot(page, "rights-two-factor-sign-in-desktop-en")
    page.fill("input[name=code]", pyotp.TOTP(secret).at(time.time() + 30))
    page.click("[data-testid=two-factor-submit]")
    page.wait_for_load_state()
    assert "/login" not in page.url
    assert page.locator("form[action$='/logout']").count() >= 1


def test_the_code_step_on_a_phone_in_japanese(site, new_page):
    from app.services import two_factor

    staff = f.user("admin", email="kanri@example.org", name="管理者", locale="ja")
    secret = two_factor.begin_enrolment(staff)
    two_factor.finish_enrolment(staff, pyotp.TOTP(secret).now())
    db.session.commit()
    page = new_page(PHONE)
    page.goto(site + "/login?lang=ja")
    sign_in(page, site, "kanri@example.org")
    assert "二段階認証" in page.content()
    screenshot(page, "rights-two-factor-sign-in-phone-ja")
    page.fill("input[name=code]", "000000")
    page.click("[data-testid=two-factor-submit]")
    assert page.locator("[data-testid=two-factor-error]").count() == 1
