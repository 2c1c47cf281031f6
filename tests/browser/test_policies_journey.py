"""Terms and privacy policy in a real browser: a visitor signs up accepting both (refused until
both are ticked), a new version is published, and at their next page the member is asked to
accept it before going on. English and Japanese, desktop and phone."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import PolicyAcceptance, User
from app.policies.defaults import default_text
from app.services import policies
from tests import factories as f
from tests.browser.conftest import screenshot

pytestmark = pytest.mark.browser

PASSWORD = "river stones 42"


def _publish(kind, version):
    policies.publish(None, kind, version, default_text(kind, "en"), default_text(kind, "ja"))
    db.session.commit()


def test_sign_up_with_acceptance_then_the_reacceptance_interstitial(app, live_server, new_page):
    _publish("terms", "1")
    _publish("privacy", "1")
    page = new_page()
    page.goto(live_server + "/signup")
    page.fill("input[name=email]", "browser.member@example.com")
    page.fill("input[name=display_name]", "Browser Member")
    page.fill("input[name=password]", PASSWORD)
    assert not page.is_checked("input[name=marketing_mail]")
    page.check("input[name=accept_terms]")
    screenshot(page, "policy-signup-desktop-en")
    page.locator("main form button[type=submit]").first.click()
    page.wait_for_load_state()
    assert "Please accept the privacy policy" in page.inner_text("main")  # one box unticked
    page.fill("input[name=password]", PASSWORD)
    page.check("input[name=accept_terms]")
    page.check("input[name=accept_privacy]")
    page.locator("main form button[type=submit]").first.click()
    page.wait_for_url(live_server + "/me")
    member = db.session.scalar(select(User).where(User.email == "browser.member@example.com"))
    assert {r.kind for r in db.session.scalars(select(PolicyAcceptance).where(
        PolicyAcceptance.user_id == member.id))} == {"terms", "privacy"}

    _publish("privacy", "2")
    page.goto(live_server + "/ideas")
    page.wait_for_url("**/policies/accept**")
    assert "Please accept the new versions" in page.inner_text("h1")
    assert page.locator("input[name=accept_terms]").count() == 0
    screenshot(page, "policy-interstitial-desktop-en")
    page.locator("main form.account-form button[type=submit]").click()
    page.wait_for_load_state()
    assert "/policies/accept" in page.url  # not ticked: still asked
    page.check("input[name=accept_privacy]")
    page.locator("main form.account-form button[type=submit]").click()
    page.wait_for_url(live_server + "/ideas")
    assert not [e for e in page.js_errors if "status of 422" not in e], page.js_errors
    db.session.expire_all()
    assert db.session.get(User, member.id).privacy_version == "2"


def test_the_interstitial_and_the_pages_in_japanese_on_a_phone(app, live_server, new_page):
    _publish("terms", "1")
    _publish("privacy", "1")
    member = f.user(email="hanako@example.com", locale="ja")
    member.terms_version = member.privacy_version = "1"
    db.session.commit()
    _publish("terms", "2")
    page = new_page(viewport=(390, 844))
    page.goto(live_server + "/privacy?lang=ja")
    assert "匿名の件数として残ります" in page.inner_text("main")
    screenshot(page, "policy-privacy-phone-ja")
    page.goto(live_server + "/login?lang=ja")
    page.fill("input[name=email]", "hanako@example.com")
    page.fill("input[name=password]", f.PASSWORD)
    page.locator("main form button[type=submit]").first.click()
    page.wait_for_url("**/policies/accept**")
    assert "新しい版への同意のお願い" in page.inner_text("h1")
    screenshot(page, "policy-interstitial-phone-ja")
    page.check("input[name=accept_terms]")
    page.locator("main form.account-form button[type=submit]").click()
    page.wait_for_url(live_server + "/me")
    page.goto(live_server + "/signup?lang=ja")  # signed in: to the dashboard
    assert not [e for e in page.js_errors if "status of 422" not in e], page.js_errors
