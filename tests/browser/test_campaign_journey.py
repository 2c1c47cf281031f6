"""Campaigns in a real browser: a member enters an idea into an open campaign from its page,
another votes in its community vote; the campaign page, forum and leaderboard in English and
Japanese, on a desktop and a phone (screenshots kept in SCREENSHOT_DIR)."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import CampaignEntry, Idea
from app.models.base import utcnow
from app.services import campaigns as service
from tests import factories as f
from tests.browser.conftest import screenshot
from tests.browser.test_review_journey import sign_in

pytestmark = pytest.mark.browser


def _campaign():
    manager = f.user("community_manager")
    today = utcnow().date()
    campaign = service.create_campaign(manager, {
        "title": "Rainy day helpers", "title_ja": "雨の日のお助け",
        "brief": "Ideas that make **rainy days** easier.", "brief_ja": "**雨の日**を楽にするアイデア。",
        "starts_on": today - timedelta(days=1), "ends_on": today + timedelta(days=14),
        "prize": "The winner's product, free", "prize_ja": "受賞作の製品を無料で",
        "questions": "Who gets wet most?"})
    db.session.commit()
    entries = []
    for title in ("Umbrella drip tray", "Boot drying rack"):
        idea = f.idea(title=title, campaign_id=campaign.id)
        db.session.add(CampaignEntry(idea_id=idea.id, campaign_id=campaign.id, answers={}))
        entries.append(idea)
    db.session.commit()
    service.shortlist(manager, campaign.id, [idea.id for idea in entries])
    service.open_vote(manager, campaign.id, utcnow() + timedelta(days=3))
    db.session.commit()
    return campaign, entries


def test_a_member_enters_a_campaign_and_another_votes(live_server, new_page):
    campaign, entries = _campaign()
    entrant, voter = f.user(), f.user()

    page = new_page()
    sign_in(page, live_server, entrant)
    page.goto(f"{live_server}/campaigns/{campaign.id}")
    page.locator("[data-testid=enter-campaign]").click()
    page.wait_for_load_state()
    assert page.locator("select[name=campaign_id]").input_value() == str(campaign.id)
    page.fill("input[name=title]", "Puddle-proof dog coat")
    page.fill(f"textarea[name=answer_{campaign.id}_q1]", "Dog walkers")
    page.locator("form.idea-form .form-actions button[type=submit]").click()
    page.wait_for_load_state()
    db.session.expire_all()
    idea = db.session.scalar(select(Idea).where(Idea.title == "Puddle-proof dog coat"))
    assert idea is not None and idea.campaign_id == campaign.id
    assert db.session.get(CampaignEntry, idea.id).answers == {"q1": "Dog walkers"}
    assert not page.js_errors, page.js_errors

    ballot = new_page()
    sign_in(ballot, live_server, voter)
    ballot.goto(f"{live_server}/campaigns/{campaign.id}")
    ballot.locator("[data-testid=vote-button]").first.click()
    ballot.wait_for_load_state()
    assert ballot.locator("[data-testid=voted]").is_visible()
    assert ballot.locator("[data-testid=vote-button]").count() == 0
    assert ballot.locator("[data-testid=vote-count]").count() == 0  # hidden while open
    assert not ballot.js_errors, ballot.js_errors

    for lang in ("en", "ja"):
        for name, viewport in (("desktop", (1280, 900)), ("phone", (390, 844))):
            visitor = new_page(viewport)
            for path, shot in ((f"/campaigns/{campaign.id}", "campaign"),
                               ("/campaigns", "campaigns"), ("/forum/home", "forum"),
                               ("/leaderboard", "leaderboard")):
                visitor.goto(f"{live_server}{path}?lang={lang}")
                width = visitor.evaluate("document.documentElement.scrollWidth")
                assert width <= viewport[0], f"{path} {lang} {name}: scrolls sideways ({width}px)"
                screenshot(visitor, f"{shot}-{lang}-{name}")
