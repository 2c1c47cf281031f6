"""A supporter answers a survey in a real browser: the conditional question appears only after
the answer it depends on; staff then read the results with their charts. English and Japanese,
desktop and phone."""
from __future__ import annotations

import pytest

from app.extensions import db
from app.models.surveys import SurveyResponse
from app.services import surveys
from tests import factories as f
from tests.browser.conftest import screenshot

pytestmark = pytest.mark.browser

QUESTIONS = [
    {"key": "use", "kind": "single", "label": "Would you use it?", "options": ["Yes", "No"],
     "required": True},
    {"key": "why_not", "kind": "text", "label": "Why not?",
     "show_if": {"key": "use", "equals": "No"}},
    {"key": "where", "kind": "multiple", "label": "Where?", "options": ["Home", "Office"]},
    {"key": "score", "kind": "scale", "label": "How much do you want it?"},
]


def sign_in(page, base, email):
    page.goto(base + "/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", f.PASSWORD)
    page.locator("main form button[type=submit]").first.click()
    page.wait_for_load_state()


@pytest.mark.parametrize("lang", ["en", "ja"])
@pytest.mark.parametrize("viewport", [(1280, 800), (390, 844)], ids=["desktop", "phone"])
def test_supporter_answers_and_staff_read_the_charts(app, live_server, new_page, lang, viewport):
    staff = f.user("community_manager", email="cm@example.com")
    idea = f.idea(title="Folding rain shelf")
    member = f.user(email="fan@example.com")
    f.support(idea, member)
    survey = surveys.create_survey(staff, {"title": "About the shelf", "questions": QUESTIONS,
                                           "idea_id": idea.id})
    db.session.commit()
    shot = f"{lang}-{'phone' if viewport[0] < 500 else 'desktop'}"
    page = new_page(viewport)
    if lang == "ja":
        page.goto(live_server + "/?lang=ja")
    sign_in(page, live_server, "fan@example.com")
    page.goto(live_server + "/")
    page.locator('[data-testid="home-surveys"] a', has_text="About the shelf").click()
    why_not = page.locator('fieldset[data-question="why_not"]')
    assert not why_not.is_visible()
    page.locator('input[name=q_use][value="No"]').check()
    assert why_not.is_visible()
    page.fill("input[name=q_why_not]", "Too big for my flat")
    page.locator('input[name=q_where][value="Home"]').check()
    page.locator('input[name=q_score][value="4"]').check()
    screenshot(page, f"survey-answer-{shot}")
    page.locator("form.survey-form button[type=submit]").click()
    page.wait_for_load_state()
    assert page.locator('[data-testid="answered"]').is_visible()
    answers = db.session.query(SurveyResponse).one().answers
    assert answers == {"use": "No", "why_not": "Too big for my flat", "where": ["Home"],
                       "score": 4}

    # Changing one's mind hides the conditional question again (and it is not sent).
    staff_page = new_page(viewport)
    if lang == "ja":
        staff_page.goto(live_server + "/?lang=ja")
    sign_in(staff_page, live_server, "cm@example.com")
    staff_page.goto(f"{live_server}/surveys/{survey.id}/results")
    assert staff_page.locator("svg.survey-chart").count() == 3
    assert "Too big for my flat" in staff_page.locator('[data-testid="result-why_not"]').inner_text()
    assert staff_page.evaluate("document.documentElement.scrollWidth") <= viewport[0] + 1
    screenshot(staff_page, f"survey-results-{shot}")
    assert page.js_errors == [] and staff_page.js_errors == []


def test_changing_the_answer_hides_the_conditional_question(app, live_server, new_page):
    staff = f.user("admin")
    idea = f.idea()
    member = f.user(email="fan2@example.com")
    f.support(idea, member)
    survey = surveys.create_survey(staff, {"title": "S", "questions": QUESTIONS,
                                           "idea_id": idea.id})
    db.session.commit()
    page = new_page()
    sign_in(page, live_server, "fan2@example.com")
    page.goto(f"{live_server}/surveys/{survey.id}")
    page.locator('input[name=q_use][value="No"]').check()
    page.fill("input[name=q_why_not]", "typed")
    page.locator('input[name=q_use][value="Yes"]').check()
    assert not page.locator('fieldset[data-question="why_not"]').is_visible()
    page.locator("form.survey-form button[type=submit]").click()
    page.wait_for_load_state()
    assert db.session.query(SurveyResponse).one().answers == {"use": "Yes"}
