"""Accessibility in a real browser (issue 17, item 2): axe-core 4.14 (vendored for the tests only,
tests/browser/vendor/axe.min.js, MPL-2.0) finds no serious or critical violation on the key
pages of every role, in English and Japanese; a skip link leads past the header; on an idea
page the keyboard reaches "Support this idea" before the discussion."""
from __future__ import annotations

from pathlib import Path

import pytest

from app.extensions import db
from app.services import comments as comment_service
from app.services import ideas as idea_service
from tests import factories as f
from tests.test_storage import png

pytestmark = pytest.mark.browser

AXE = (Path(__file__).parent / "vendor" / "axe.min.js").read_text()


def sign_in(page, base, user):
    page.goto(base + "/login")
    page.fill("input[name=email]", user.email)
    page.fill("input[name=password]", f.PASSWORD)
    page.locator("main form button[type=submit]").first.click()
    page.wait_for_load_state()


def serious_violations(page) -> list[str]:
    page.evaluate(AXE)
    result = page.evaluate("axe.run(document, {resultTypes: ['violations']})")
    return [f"{v['id']} ({v['impact']}): {[n['target'] for n in v['nodes'][:3]]} {v['help']}"
            for v in result["violations"] if v["impact"] in ("serious", "critical")]


@pytest.fixture
def community():
    creator = f.user(name="Mika Maker")
    published = f.idea(creator, title="Quiet umbrella stand")
    pending = f.idea(creator, status="pending_moderation", title="Folding step stool")
    for target, colour in ((published, (10, 120, 200)), (pending, (200, 40, 40))):
        status = target.status
        target.status = "draft"
        db.session.commit()
        idea_service.add_image(creator, target.id, png(colour=colour))
        target.status = status
        db.session.commit()
    idea = published
    f.support(idea)
    member = f.user(name="Ken Member")
    comment_service.post_comment(member, idea.id, "I would use this every rainy day.")
    db.session.commit()
    return {"idea": idea, "member": member, "reviewer": f.user("reviewer"),
            "moderator": f.user("moderator"), "admin": f.user("admin"), "finance": f.user("finance")}


KEY_PAGES = (  # (who, path): every role's main pages
    (None, "/"), (None, "/ideas"), (None, "/login"), (None, "/signup"), (None, "idea"),
    ("member", "/"), ("member", "/ideas/new"), ("member", "idea"), ("member", "/notifications"),
    ("reviewer", "/review"), ("moderator", "/moderation"), ("admin", "/admin"),
    ("finance", "/finance"), ("finance", "/finance/sales/new"), ("member", "/me/royalties"),
)


@pytest.mark.parametrize("lang", ["en", "ja"])
def test_key_pages_have_no_serious_or_critical_violations(live_server, new_page, community, lang):
    problems = {}
    pages_by_role: dict = {}
    for who, path in KEY_PAGES:
        page = pages_by_role.get(who)
        if page is None:
            page = pages_by_role[who] = new_page()
            if who:
                sign_in(page, live_server, community[who])
        target = f"/ideas/{community['idea'].id}" if path == "idea" else path
        response = page.goto(f"{live_server}{target}?lang={lang}")
        assert response.status == 200, (who, target)
        found = serious_violations(page)
        if found:
            problems[(who, target)] = found
    assert problems == {}


def test_a_skip_link_leads_past_the_header(live_server, new_page):
    page = new_page()
    page.goto(live_server + "/ideas")
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.className")
    assert focused == "skip-link"
    assert page.locator(".skip-link").is_visible()
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"


def test_the_keyboard_reaches_support_before_the_discussion(live_server, new_page, community):
    page = new_page()
    sign_in(page, live_server, f.user(name="Keyboard Kyoko"))
    page.goto(f"{live_server}/ideas/{community['idea'].id}")
    order = page.evaluate("""() => {
        const focusable = [...document.querySelectorAll('a[href], button, input, textarea, select')]
          .filter(el => !el.disabled && el.tabIndex >= 0 && el.offsetParent !== null);
        const support = focusable.findIndex(el => el.classList.contains('support-button'));
        const discussion = focusable.findIndex(el => el.closest('.idea-discussion'));
        return [support, discussion];
    }""")
    support, discussion = order
    assert support >= 0 and discussion >= 0
    assert support < discussion
