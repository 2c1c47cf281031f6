"""A co-creation session in a real browser: a community manager plans it and invites a member,
who accepts on "My sessions"; the pages in English and Japanese, on a desktop and a phone
(screenshots kept in SCREENSHOT_DIR)."""
from __future__ import annotations

from datetime import timedelta

import pytest

from app.models.base import utcnow
from app.services import partners
from tests import factories as f
from tests.browser.conftest import screenshot
from tests.browser.test_review_journey import sign_in

pytestmark = pytest.mark.browser


def test_a_manager_plans_a_session_and_an_invitee_accepts(live_server, new_page):
    manager = f.user("community_manager", name="Mika Manager")
    member = f.user(name="Ren Partner")
    member.marketing_mail = True  # agreed to be contacted: the pool lists them
    f.support(f.idea(category_slug="outdoor"), member,
              reason="I carry a stroller up the station stairs every morning, twice.")
    partners.refresh()
    page = new_page()
    sign_in(page, live_server, manager)
    page.goto(f"{live_server}/staff/sessions")
    page.fill("input[name=title]", "Quiet mornings")
    page.fill("textarea[name=purpose]", "Understand commutes with toddlers")
    page.check("input[name=mode][value=online]")
    page.fill("input[name=place_or_url]", "https://meet.example.com/quiet")
    page.fill("input[name=starts_at]", (utcnow() + timedelta(days=7)).strftime("%Y-%m-%dT%H:%M"))
    page.fill("input[name=duration_minutes]", "90")
    page.fill("input[name=capacity]", "6")
    page.locator("[data-testid=session-form] button[type=submit]").click()
    page.wait_for_load_state()
    assert page.locator("[data-testid=agenda-form] input[name=minutes_ideation]").input_value() \
        == "36"
    page.fill("[data-testid=invite-form] input[name=user_ids]", str(member.id))
    page.locator("[data-testid=invite-form] button[type=submit]").click()
    page.wait_for_load_state()
    assert "Ren Partner" in page.locator("[data-testid=invitations]").inner_text()
    screenshot(page, "session-staff-en-desktop")
    assert not page.js_errors, page.js_errors

    guest = new_page()
    sign_in(guest, live_server, member)
    guest.goto(f"{live_server}/co-creation/sessions")
    assert "Quiet mornings" in guest.locator("[data-testid=my-session]").inner_text()
    guest.get_by_role("button", name="Accept").click()
    guest.wait_for_load_state()
    assert guest.locator("[data-testid=my-status]").inner_text().lower() == "has a place"
    assert not guest.js_errors, guest.js_errors

    for lang in ("en", "ja"):
        for name, viewport in (("desktop", (1280, 900)), ("phone", (390, 844))):
            view = new_page(viewport)
            sign_in(view, live_server, member)
            view.goto(f"{live_server}/co-creation/sessions?lang={lang}")
            width = view.evaluate("document.documentElement.scrollWidth")
            assert width <= viewport[0], f"{lang} {name}: the page scrolls sideways ({width}px)"
            screenshot(view, f"my-sessions-{lang}-{name}")
            staff = new_page(viewport)
            sign_in(staff, live_server, manager)
            for path, shot in (("/staff/sessions", "staff-sessions"),
                               (f"/staff/partners?selected={member.id}", "partner-pool")):
                staff.goto(f"{live_server}{path}{'&' if '?' in path else '?'}lang={lang}")
                screenshot(staff, f"{shot}-{lang}-{name}")
            assert not staff.js_errors, staff.js_errors
