"""The review journey in a real browser: two reviewers score, the admin decides and publishes,
and the creator opens their idea and sees the per-axis result."""

import pytest

from app.models.review import AXES
from app.services import review as rs
from tests import factories as f
from tests.browser.conftest import screenshot

pytestmark = pytest.mark.browser


def sign_in(page, base, user):
    page.goto(base + "/login")
    page.fill("input[name=email]", user.email)
    page.fill("input[name=password]", f.PASSWORD)
    page.locator("main form button[type=submit]").first.click()
    page.wait_for_load_state()


def score_in_browser(page, base, idea, values, rationale):
    page.goto(f"{base}/review/ideas/{idea.id}")
    for axis, value in zip(AXES, values):
        page.check(f"input[name={axis}][value='{value}']")
        page.fill(f"textarea[name={axis}_rationale]", rationale)
    page.click("form.score-form button[type=submit]")
    page.wait_for_load_state()
    assert "Your scores are saved" in page.content()


def test_reviewers_score_admin_publishes_and_the_creator_sees_the_result(live_server, new_page):
    admin = f.user("admin", name="Aiko Admin")
    first = f.user("reviewer", name="Ren Reviewer")
    second = f.user("reviewer", name="Rie Reviewer")
    creator = f.user(name="Kenji Creator")
    idea = f.idea(creator, status="qualified", title="Silent stroller wheels", supports=3)
    f.support(idea, would_buy="yes", price_minor=3500, price_currency="JPY",
              reason="Trains are loud enough already")
    f.review_batch(admin)

    reviewer_page = new_page()
    sign_in(reviewer_page, live_server, first)
    reviewer_page.goto(live_server + "/review")
    assert "Silent stroller wheels" in reviewer_page.content()
    score_in_browser(reviewer_page, live_server, idea, (3, 2, 2, 3), "Parents told us so.")
    screenshot(reviewer_page, "review-scored-first")

    second_page = new_page()
    sign_in(second_page, live_server, second)
    second_page.goto(f"{live_server}/review/ideas/{idea.id}")
    assert "Parents told us so." not in second_page.content()  # blind until they score
    score_in_browser(second_page, live_server, idea, (2, 2, 1, 2), "Hard to build cheaply.")
    assert "Parents told us so." in second_page.content()

    admin_page = new_page()
    admin_page.on("dialog", lambda dialog: dialog.accept())
    sign_in(admin_page, live_server, admin)
    admin_page.goto(f"{live_server}/review/ideas/{idea.id}")
    admin_page.check("input[name=decision][value=approved]")
    admin_page.fill("textarea[name=message]", "Parents want it: we will build it.")
    admin_page.click("#decision button[type=submit]")
    admin_page.wait_for_load_state()
    batch_id = rs.latest_item(idea.id).batch_id
    admin_page.goto(f"{live_server}/admin/review/batches/{batch_id}")
    admin_page.click("text=Publish decisions")
    admin_page.wait_for_load_state()
    assert "The batch is published" in admin_page.content()
    screenshot(admin_page, "review-published")

    creator_page = new_page()
    sign_in(creator_page, live_server, creator)
    creator_page.goto(f"{live_server}/ideas/{idea.id}")
    result = creator_page.locator("[data-testid=review-result]")
    assert result.is_visible()
    text = result.inner_text()
    assert "Approved" in text and "Parents want it: we will build it." in text
    assert creator_page.locator("[data-axis=customer_value]").inner_text() == "2.5"
    assert creator_page.locator("[data-axis=feasibility]").inner_text() == "1.5"
    assert creator_page.locator("[data-testid=total]").inner_text() == "8.5"
    assert creator_page.locator("[data-testid=priority]").is_visible()
    screenshot(creator_page, "review-result-for-creator")
    for page in (reviewer_page, second_page, admin_page, creator_page):
        assert page.js_errors == []
