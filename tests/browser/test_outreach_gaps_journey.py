"""One to one, as members do it in a browser: following a member from their profile, a share
link that brings a sign-up the sharer then sees on their dashboard, and a nudge on the member's
home page with the deadline's day in their time zone."""
from __future__ import annotations

from datetime import timedelta

import pytest
from babel.dates import format_date
from sqlalchemy import select

from app.extensions import db
from app.models import ReferralEvent, User, UserFollow
from app.models.base import utcnow
from app.services import nudges, people
from tests import factories as f
from tests.browser.conftest import screenshot

pytestmark = pytest.mark.browser


def sign_in(page, base, email):
    page.goto(base + "/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", f.PASSWORD)
    page.locator("main form button[type=submit]").first.click()
    page.wait_for_load_state()


def test_a_member_follows_another_from_their_profile(app, live_server, new_page):
    fan = f.user(email="fan@example.com", name="Aiko")
    maker = f.user(name="Kenji Maker")
    f.idea(maker, title="Quiet kettle")
    fan_id, maker_id = fan.id, maker.id
    page = new_page()
    sign_in(page, live_server, "fan@example.com")
    page.goto(f"{live_server}/users/{maker_id}")
    assert "0 followers" in page.locator('[data-testid="follower-count"]').inner_text()
    page.locator('[data-testid="follow-member"]').click()
    page.wait_for_load_state()
    assert page.locator('[data-testid="unfollow-member"]').is_visible()
    assert "1 follower" in page.locator('[data-testid="follower-count"]').inner_text()
    db.session.expire_all()
    assert db.session.scalar(select(UserFollow).where(
        UserFollow.follower_id == fan_id, UserFollow.followed_id == maker_id)) is not None
    screenshot(page, "follow-member")
    page.locator('[data-testid="unfollow-member"]').click()
    page.wait_for_load_state()
    assert page.locator('[data-testid="follow-member"]').is_visible()
    assert page.js_errors == []


def test_a_share_link_brings_a_sign_up_and_the_sharer_sees_it(app, live_server, new_page):
    f.user(email="sharer@example.com", name="Mio Sharer")
    idea = f.idea(title="Folding rain shelf")
    idea_id = idea.id
    sharer_page = new_page()
    sign_in(sharer_page, live_server, "sharer@example.com")
    sharer_page.goto(f"{live_server}/ideas/{idea_id}")
    link = sharer_page.locator('[data-testid="share-copy"]').get_attribute("href")
    assert "?ref=" in link

    friend = new_page()  # another browser: the friend the link was sent to
    friend.goto(link.replace(link.split("/ideas/")[0], live_server))
    assert "Folding rain shelf" in friend.content()
    friend.goto(live_server + "/signup")
    friend.fill("input[name=email]", "friend@example.com")
    friend.fill("input[name=display_name]", "Yui Friend")
    friend.fill("input[name=password]", "river stones 42")
    for box in friend.locator(".signup-accept input[type=checkbox]").all():
        box.check()
    friend.locator("main form button[type=submit]").first.click()
    friend.wait_for_load_state()
    db.session.expire_all()
    newcomer = db.session.scalar(select(User).where(User.email == "friend@example.com"))
    assert newcomer is not None
    assert [(e.kind, e.user_id) for e in db.session.scalars(
        select(ReferralEvent).where(ReferralEvent.kind == "signup"))] == [("signup", newcomer.id)]

    sharer_page.goto(live_server + "/me")
    brought = sharer_page.locator('[data-testid="people-brought"]')
    assert brought.locator('[data-testid="brought-count"]').inner_text().strip() == "1"
    assert "Yui Friend joined Kyoso through your link." in brought.inner_text()
    screenshot(sharer_page, "people-brought")
    assert sharer_page.js_errors == [] and friend.js_errors == []


@pytest.mark.parametrize("lang", ["en", "ja"])
def test_a_nudge_on_the_member_home_in_their_time_zone(app, live_server, new_page, lang):
    app.config.update(NUDGE_DEADLINE_DAYS=3, NUDGE_MILESTONE_PERCENT=10)
    deadline = (utcnow() + timedelta(days=2)).replace(hour=20, minute=0, second=0, microsecond=0)
    idea = f.idea(title="Quiet kettle", next_milestone=100, support_count=88, deadline=deadline)
    member = f.user(email="nudged@example.com", name="Hana", locale=lang, marketing_mail=True)
    member.time_zone = "Asia/Tokyo"
    db.session.commit()
    f.support(idea, member)
    idea_id = idea.id
    assert nudges.send_nudges() == 1
    page = new_page()
    if lang == "ja":
        page.goto(live_server + "/?lang=ja")
    sign_in(page, live_server, "nudged@example.com")
    page.goto(live_server + "/")
    panel = page.locator('[data-testid="home-nudges"]')
    assert panel.is_visible()
    day = format_date(deadline.date() + timedelta(days=1), "medium", locale=lang)  # Tokyo's day
    text = panel.inner_text()
    assert day in text and "Quiet kettle" in text
    assert ("あと11人のサポーターが必要です" in text) if lang == "ja" else \
        ("needs 11 more supporters by " + day in text)
    screenshot(page, f"home-nudge-{lang}")
    panel.locator("a").first.click()
    page.wait_for_load_state()
    assert page.url.endswith(f"/ideas/{idea_id}#share")
    assert page.locator('[data-testid="share"]').is_visible()
    assert people.numbers(member).brought == 0  # sharing is up to them
    assert page.js_errors == []
