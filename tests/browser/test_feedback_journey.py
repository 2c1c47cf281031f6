"""Feedback where the member acted (issue 17, items 3, 5 and 7): a refusal is shown beside the
field that caused it and inside the viewport, with what was typed; a success is shown where the
page lands; staff see both periods of a review batch and discuss ideas in notes. Screenshots in
English and Japanese, desktop and phone."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from app.extensions import db
from app.services import comments
from app.services import review as rs
from tests import factories as f
from tests.browser.conftest import SCREENSHOTS
from tests.browser.conftest import screenshot as full_page_screenshot
from tests.browser.test_journey_core import sign_in

pytestmark = pytest.mark.browser

VIEWPORTS = {"desktop": (1280, 900), "phone": (390, 844)}


def screenshot(page, name: str) -> None:
    """The whole page, and what the member sees where they acted (the viewport)."""
    full_page_screenshot(page, name)
    page.screenshot(path=str(SCREENSHOTS / f"{name}-viewport.png"))


def _open(browser, lang: str, viewport):
    context = browser.new_context(viewport={"width": viewport[0], "height": viewport[1]},
                                  locale="ja-JP" if lang == "ja" else "en-US")
    context.set_default_timeout(10_000)
    return context, context.new_page()


def _lang(page, base: str, lang: str) -> None:
    page.goto(base + f"/?lang={lang}")


def _long_discussion(idea):
    """Enough comments that the new-comment form and the last comment are far apart."""
    owner = idea.owner
    for n in range(12):
        comments.post_comment(f.user(), idea.id, f"Comment number {n} with some words " * 4)
    comments.post_comment(owner, idea.id, "Thanks, the creator here.")
    removed = comments.post_comment(f.user(), idea.id, "RUDE TEXT")
    comments.remove_comment(f.user("moderator"), removed.id, "abuse")
    db.session.commit()


@pytest.mark.parametrize("lang", ["en", "ja"])
@pytest.mark.parametrize("size", list(VIEWPORTS))
def test_comment_refusal_and_confirmation_are_where_the_member_looks(app, live_server, browser,
                                                                    lang, size):
    idea = f.idea(title="Folding umbrella for kids")
    _long_discussion(idea)
    member = f.user()
    context, page = _open(browser, lang, VIEWPORTS[size])
    try:
        sign_in(page, live_server, member.email)
        _lang(page, live_server, lang)
        page.goto(live_server + f"/ideas/{idea.id}#comments")
        page.fill("#new-comment", "   ")  # passes the browser's check, not the server's
        page.locator("[data-testid=comment-form] button[type=submit]").first.click()
        page.wait_for_load_state()
        error = page.locator("[data-testid=comment-form] [data-testid=comment-error]")
        expect(error).to_be_visible()
        expect(error).to_be_in_viewport()
        expect(page.locator("#new-comment")).to_be_focused()
        screenshot(page, f"feedback-comment-error-{lang}-{size}")

        page.fill("#new-comment", "I would buy two of these.")
        page.locator("[data-testid=comment-form] button[type=submit]").first.click()
        page.wait_for_load_state()
        posted = page.locator("[data-testid=comment-posted]")
        expect(posted).to_have_count(1)
        expect(posted).to_be_in_viewport()
        assert "#comment-" in page.url
        # Removed comments say so once; the creator's reply is badged.
        expect(page.locator("[data-testid=comment-placeholder]")).to_have_count(1)
        expect(page.locator("[data-testid=creator-badge]")).to_have_count(1)
        assert "[deleted]" not in page.content()
        screenshot(page, f"feedback-comment-posted-{lang}-{size}")
    finally:
        context.close()


@pytest.mark.parametrize("lang", ["en", "ja"])
def test_invitation_refusal_keeps_the_address_beside_the_field(app, live_server, browser, lang):
    owner = f.user()
    idea = f.idea(owner, status="draft")
    context, page = _open(browser, lang, VIEWPORTS["phone"])
    try:
        sign_in(page, live_server, owner.email)
        _lang(page, live_server, lang)
        page.goto(live_server + f"/ideas/{idea.id}/edit#co-creators")
        form = page.locator("form.invite-form")
        form.locator("input[name=email]").fill("friend@")
        form.locator("input[name=share_percent]").fill("20")
        form.locator("button[type=submit]").click()
        page.wait_for_load_state()
        form = page.locator("form.invite-form")
        expect(form.locator("input[name=email]")).to_have_value("friend@")
        expect(form.locator("input[name=share_percent]")).to_have_value("20")
        error = form.locator(".error")
        expect(error).to_be_visible()
        expect(error).to_be_in_viewport()
        screenshot(page, f"feedback-invite-error-{lang}-phone")
    finally:
        context.close()


def test_unconfirmed_member_is_offered_the_confirmation_everywhere(app, live_server, new_page):
    member = f.user(confirmed=False)
    page = new_page()
    sign_in(page, live_server, member.email)
    for path in ("/", "/me", "/ideas"):
        page.goto(live_server + path)
        expect(page.locator("a[href='/ideas/new']")).to_have_count(0)
        assert page.locator("a[href='/confirm/resend']").count() >= 1, path
    expect(page.locator(".flashes .flash")).to_have_count(0)


@pytest.mark.parametrize("lang", ["en", "ja"])
@pytest.mark.parametrize("size", list(VIEWPORTS))
def test_reviewers_see_both_periods_and_discuss_in_notes(app, live_server, browser, lang, size):
    admin = f.user("admin")
    idea = f.in_review(title="Disputed idea")
    reviewer, other = f.user("reviewer"), f.user("reviewer")
    rs.score_idea(reviewer, idea.id, f.scores(1), f.rationales())
    rs.score_idea(other, idea.id, f.scores(3), f.rationales())
    item = rs.active_item(idea.id)
    rs.close_batch(admin, item.batch_id)
    db.session.commit()
    context, page = _open(browser, lang, VIEWPORTS[size])
    try:
        sign_in(page, live_server, reviewer.email)
        _lang(page, live_server, lang)
        page.goto(live_server + f"/review/batches/{item.batch_id}/calibration")
        expect(page.locator("[data-testid=intake-state]")).to_be_visible()
        expect(page.locator("[data-testid=scoring-state]")).to_be_visible()
        page.fill(f"#note-{item.id}", "Uniqueness: we disagree, see the 2019 kit.")
        page.locator(f"#notes-{item.id} button[type=submit]").click()
        page.wait_for_load_state()
        note = page.locator("[data-testid=review-note]")
        expect(note).to_contain_text("see the 2019 kit")
        expect(note).to_be_in_viewport()
        screenshot(page, f"feedback-calibration-notes-{lang}-{size}")
    finally:
        context.close()
    context, page = _open(browser, lang, VIEWPORTS[size])
    try:
        sign_in(page, live_server, admin.email)
        _lang(page, live_server, lang)
        page.goto(live_server + f"/admin/review/batches/{item.batch_id}")
        expect(page.locator("[data-testid=batch-dates]")).to_be_visible()
        expect(page.locator("[data-testid=batch-status]").first).not_to_have_text("closed")
        screenshot(page, f"feedback-batch-dates-{lang}-{size}")
    finally:
        context.close()


def test_similar_ideas_while_drafting_leave_out_unrelated_and_own_ideas(app, live_server, new_page):
    member = f.user()
    f.idea(member, title="Folding umbrella with a torch")  # their own: never offered
    f.idea(title="Folding umbrella for kids")
    for title in ("Foldable laptop stand", "Cupboard organiser for small kitchens",
                  "Hiccup timer app", "Smart plant pot with a water sensor"):
        f.idea(title=title)
    page = new_page()
    sign_in(page, live_server, member.email)
    page.goto(live_server + "/ideas/new")
    page.fill("input[name=title]", "Folding umbrella")
    page.locator(".similar-button").click()
    results = page.locator("[data-testid=similar-ideas]")
    expect(results).to_contain_text("Folding umbrella for kids")
    text = results.inner_text()
    for unrelated in ("torch", "laptop", "Hiccup", "plant pot"):
        assert unrelated not in text, unrelated


@pytest.mark.parametrize("lang", ["en", "ja"])
@pytest.mark.parametrize("size", list(VIEWPORTS))
def test_members_report_an_idea_and_a_member_into_the_moderation_queue(app, live_server, browser,
                                                                      lang, size):
    idea = f.idea(title="Counterfeit brick kit")
    troll = f.user(name="Troll")
    member, moderator = f.user(), f.user("moderator")
    context, page = _open(browser, lang, VIEWPORTS[size])
    try:
        sign_in(page, live_server, member.email)
        _lang(page, live_server, lang)
        page.goto(live_server + f"/ideas/{idea.id}")
        box = page.locator("[data-testid=report-idea]")
        box.locator("summary").click()
        box.locator("input[name=reason]").fill("A copy of an existing product")
        box.locator("button[type=submit]").click()
        page.wait_for_load_state()
        expect(page.locator("[data-testid=report-idea] [data-testid=reported]")).to_be_visible()
        screenshot(page, f"feedback-idea-reported-{lang}-{size}")
        page.goto(live_server + f"/users/{troll.id}")
        box = page.locator("[data-testid=report-member]")
        box.locator("summary").click()
        box.locator("input[name=reason]").fill("Insults in comments")
        box.locator("button[type=submit]").click()
        page.wait_for_load_state()
        expect(page.locator("[data-testid=report-member] [data-testid=reported]")).to_be_visible()
        screenshot(page, f"feedback-member-reported-{lang}-{size}")
    finally:
        context.close()
    context, page = _open(browser, lang, VIEWPORTS[size])
    try:
        sign_in(page, live_server, moderator.email)
        _lang(page, live_server, lang)
        page.goto(live_server + "/moderation/reports#ideas-and-members")
        expect(page.locator("[data-testid=reported-idea]")).to_contain_text("Counterfeit brick kit")
        expect(page.locator("[data-testid=reported-user]")).to_contain_text("Troll")
        screenshot(page, f"feedback-moderation-reports-{lang}-{size}")
        item = page.locator("[data-testid=reported-idea]")
        item.locator("form").first.locator("button[type=submit]").click()
        page.wait_for_load_state()
        expect(page.locator("[data-testid=reported-idea]")).to_have_count(0)
    finally:
        context.close()
