"""The guided insight in a real browser: the creator walks through the steps, the live hints
spot placeholder text and count what is missing, the core starts from its template, the draft
is saved and submitted; a supporter answers the resonance question; the creator refines the core
and sees it in "what changed after listening" and the evidence dashboard."""

import pytest

from tests import factories as f
from tests.browser.conftest import screenshot

pytestmark = pytest.mark.browser

PARTS = {
    "scene": "Weekday mornings, a parent takes a toddler on a packed train to nursery",
    "conflict": "Worried the child cries and other passengers stare",
    "own_words": "I just want to get there without apologising.",
    "success": "Arriving calm, with nobody bothered",
    "judged_by": "Holding the child and the bag with one arm for a whole ride",
    "why_1": "Because the ride sets the mood for the whole day",
    "why_2": "Because a bad start makes her feel she fails at home and at work",
    "why_3": "Because she wants to belong in the city with a child",
}


def sign_in(page, base, user):
    page.goto(base + "/login")
    page.fill("input[name=email]", user.email)
    page.fill("input[name=password]", f.PASSWORD)
    page.locator("main form button[type=submit]").first.click()
    page.wait_for_load_state()


def test_the_creator_is_guided_through_the_insight(live_server, new_page):
    creator = f.user(name="Aiko Creator")
    page = new_page()
    sign_in(page, live_server, creator)
    page.goto(live_server + "/ideas/new")
    page.fill("input[name=title]", "Hands-free toddler carrier")
    page.fill("input[name=pitch]", "Both hands free on a packed train.")
    page.select_option("select[name=category]", "kids")

    progress = page.locator(".insight-progress")
    assert progress.inner_text().startswith("0 of 7")
    page.fill("textarea[name=scene]", "asdf")
    assert "placeholder" in page.locator("#live-scene").inner_text()
    page.fill("textarea[name=scene]", "On a train")
    assert "more characters needed" in page.locator("#live-scene").inner_text()
    for part, text in PARTS.items():
        page.fill(f"textarea[name={part}]", text)
    assert page.locator("#live-scene").inner_text() == "Looks good."
    # the last "why?" is shown above the next one, to build on it
    assert PARTS["why_1"] in page.locator("[data-previous=why_1]").inner_text()
    page.click(".core-template")
    assert page.input_value("textarea[name=core]").startswith("For …")
    page.fill("textarea[name=core]", "For parents commuting with a toddler, when the train is "
                                     "packed, who want to belong, this carrier makes the ride calm.")
    assert progress.inner_text().startswith("7 of 7")
    screenshot(page, "insight-01-guided-form")
    page.click("form.idea-form .form-actions button[type=submit]")
    page.wait_for_load_state()
    assert "/edit" in page.url
    assert page.locator('[data-testid=insight-checklist] li.todo').count() == 0

    page.click("[data-testid=submit-link] >> nth=0")
    page.wait_for_load_state()
    page.check("input[name=accept]")
    page.click("main form button[type=submit]")
    page.wait_for_load_state()
    assert "Your idea was submitted" in page.content()
    assert page.js_errors == []


def test_a_supporter_resonates_and_the_creator_refines(live_server, new_page):
    creator = f.user(name="Aiko Creator")
    idea = f.idea(creator, title="Hands-free toddler carrier")
    supporter = f.user(name="Ken Supporter")
    page = new_page()
    sign_in(page, live_server, supporter)
    page.goto(f"{live_server}/ideas/{idea.id}")
    page.check("input[name=resonance][value=me_too]")
    page.fill("input[name=my_situation]", "I carry twins on the subway every morning")
    page.click("form.support-form button[type=submit]")
    page.wait_for_load_state()
    assert page.locator("[data-testid=resonance-me_too]").inner_text() == "1"
    assert "I carry twins on the subway" in page.locator("[data-testid=situation-groups]").inner_text()

    own = new_page(viewport=(390, 844))
    sign_in(own, live_server, creator)
    own.goto(f"{live_server}/ideas/{idea.id}")
    own.click("[data-testid=refine-link]")
    own.wait_for_load_state()
    own.fill("textarea[name=core]", "For parents commuting with one or two toddlers, when the "
                                    "train is packed, who want both hands free, this carrier helps.")
    own.fill("input[name=note]", "Parents of twins showed me it is about both hands.")
    own.click("[data-testid=refine-form] button[type=submit]")
    own.wait_for_load_state()
    assert "/revisions" in own.url and "<ins>" in own.content()
    own.goto(f"{live_server}/ideas/{idea.id}")
    assert "both hands free" in own.locator("[data-testid=core-history]").inner_text()
    screenshot(own, "insight-02-idea-after-listening-phone")
    own.goto(f"{live_server}/ideas/{idea.id}/evidence")
    assert own.locator("[data-testid=supporters-chart]").count() == 1
    screenshot(own, "insight-03-evidence-phone")
    assert page.js_errors == [] and own.js_errors == []


def test_a_moderator_reverts_a_refinement_that_makes_it_another_idea(live_server, new_page):
    from app.services import revisions

    creator = f.user(name="Aiko Creator")
    idea = f.idea(creator, title="Hands-free toddler carrier")
    revisions.refine_idea(creator, idea.id, {"description": "Now it is a drone that carries the "
                                                            "child.", "note": "A bigger idea"})
    f.db.session.commit()
    moderator = f.user("moderator", name="Mika Moderator")
    for viewport, lang in (((1280, 900), "en"), ((390, 844), "ja")):
        page = new_page(viewport=viewport)
        sign_in(page, live_server, moderator)
        page.goto(f"{live_server}/moderation/refinements?lang={lang}")
        listed = page.locator("[data-testid=refinements]")
        assert "Hands-free toddler carrier" in listed.inner_text()
        assert "drone" in " ".join(listed.locator("ins").all_inner_texts())
        screenshot(page, f"insight-04-moderation-refinements-{lang}")
        assert page.js_errors == []
    page.click("[data-testid=refinement-history]")
    page.wait_for_load_state()
    page.fill("[name=reason]", "ドローンは別のアイデアです")
    page.once("dialog", lambda dialog: dialog.accept())
    page.click("form[action$='/revert'] button[type=submit]")
    page.wait_for_load_state()
    assert page.locator(".revision-reverted").count() == 1
    screenshot(page, "insight-05-reverted-ja-phone")
    page.goto(f"{live_server}/moderation/refinements")
    assert page.locator("[data-testid=refinements]").count() == 0
    assert page.js_errors == []
