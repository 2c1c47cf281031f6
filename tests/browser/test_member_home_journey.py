"""A member comes back after a month: signing in, their home page shows their ideas' progress,
the ideas they support near a deadline and what happened since their last visit, in English and
in Japanese, on a desktop and on a phone."""
from __future__ import annotations

from datetime import timedelta

import pytest

from app.extensions import db
from app.models import Comment
from app.models.base import utcnow
from app.services import events
from tests import factories as f
from tests.browser.conftest import screenshot

pytestmark = pytest.mark.browser


def sign_in(page, base, email):
    page.goto(base + "/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", f.PASSWORD)
    page.locator("main form button[type=submit]").first.click()
    page.wait_for_load_state()


def _world():
    member = f.user(email="back@example.com", name="Mio")
    member.last_seen_at = utcnow() - timedelta(days=35)
    creator = f.user(name="Kenji")
    f.idea(member, title="Folding rain shelf", supports=3)
    closing = f.idea(creator, title="Quiet kettle", deadline=utcnow() + timedelta(days=2))
    f.support(closing, member)
    events.record(None, "milestone_reached", closing, reason="100 supporters")
    db.session.add(Comment(idea_id=closing.id, author_id=creator.id, body="New lid!",
                           is_update=True))
    f.idea(creator, title="Camping cup that nests")
    db.session.commit()


@pytest.mark.parametrize("lang", ["en", "ja"])
@pytest.mark.parametrize("viewport", [(1280, 800), (390, 844)], ids=["desktop", "phone"])
def test_returning_member_sees_their_home_page(app, live_server, new_page, lang, viewport):
    _world()
    page = new_page(viewport)
    if lang == "ja":
        page.goto(live_server + "/?lang=ja")
    sign_in(page, live_server, "back@example.com")
    page.goto(live_server + "/")
    since = page.locator('[data-testid="since-last-visit"]')
    assert since.is_visible()
    text = since.inner_text()
    assert "Quiet kettle" in text
    if lang == "ja":
        assert "前回の訪問以降" in text and "100人のサポーターに到達" in text
        assert "おかえりなさい" in page.locator('[data-testid="member-home"]').inner_text()
    else:
        assert "reached 100 supporters" in text and "update from Kenji" in text
        assert "Welcome back, Mio" in page.locator('[data-testid="member-home"]').inner_text()
    assert "Folding rain shelf" in page.locator('[data-testid="my-ideas"]').inner_text()
    assert "Quiet kettle" in page.locator('[data-testid="closing-soon"]').inner_text()
    assert page.locator(".hero").count() == 0
    # Nothing wider than the screen on a phone.
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport[0] + 1
    screenshot(page, f"member-home-{lang}-{'phone' if viewport[0] < 500 else 'desktop'}")
    assert page.js_errors == []
