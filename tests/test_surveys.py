"""Surveys: staff create them for an idea's audience, members it was sent to answer once
(answers checked against the kinds and conditions), staff read the results (charts, CSV);
results are staff-only unless the survey is public; answers go with the member's account."""
from __future__ import annotations

import pytest

from app.errors import Conflict, Forbidden, Invalid, NotFound, Unauthorized
from app.extensions import db
from app.models import AuditLog, IdeaFollow, User
from app.models.surveys import Survey, SurveyResponse
from app.services import surveys
from tests import factories as f
from tests.helpers import bearer, csrf_token, login

QUESTIONS = [
    {"key": "use", "kind": "single", "label": "Would you use it?", "options": ["Yes", "No"],
     "required": True},
    {"key": "why_not", "kind": "text", "label": "Why not?", "show_if": {"key": "use",
                                                                        "equals": "No"}},
    {"key": "where", "kind": "multiple", "label": "Where?", "options": ["Home", "Office", "Car"]},
    {"key": "score", "kind": "scale", "label": "How much do you want it?"},
    {"key": "story", "kind": "text", "label": "Tell us a story", "long": True},
]


@pytest.fixture
def world(app):
    staff = f.user("community_manager", name="Sato")
    idea = f.idea(title="Folding rain shelf")
    supporter, follower, stranger = f.user(), f.user(), f.user()
    f.support(idea, supporter)
    db.session.add(IdeaFollow(idea_id=idea.id, user_id=follower.id))
    db.session.commit()
    survey = surveys.create_survey(staff, {"title": "About the shelf", "questions": QUESTIONS,
                                           "idea_id": idea.id})
    db.session.commit()
    return {"staff": staff, "idea": idea, "supporter": supporter, "follower": follower,
            "stranger": stranger, "survey": survey}


def _fields(call) -> dict[str, str]:
    with pytest.raises(Invalid) as error:
        call()
    db.session.rollback()
    return error.value.fields


# --- creating ------------------------------------------------------------------------------

def test_staff_create_a_survey_for_an_idea_and_it_is_audited(world):
    survey = world["survey"]
    assert survey.idea_id == world["idea"].id and [q["key"] for q in survey.questions] == [
        "use", "why_not", "where", "score", "story"]
    assert survey.questions[1]["show_if"] == {"key": "use", "equals": "No"}
    assert db.session.query(AuditLog).filter_by(action="survey.create").count() == 1


@pytest.mark.parametrize("roles", [(), ("moderator",), ("analyst",), ("reviewer",)])
def test_only_admins_and_community_managers_create_surveys(app, roles):
    idea = f.idea()
    with pytest.raises(Forbidden):
        surveys.create_survey(f.user(*roles), {"title": "T", "questions": QUESTIONS,
                                               "idea_id": idea.id})


def test_admins_create_surveys_too(app):
    idea = f.idea()
    assert surveys.create_survey(f.user("admin"), {"title": "T", "questions": QUESTIONS,
                                                   "idea_id": idea.id}).id


@pytest.mark.parametrize("questions, field", [
    ([], "questions"),
    ([{"key": "A", "kind": "single", "label": "x", "options": ["a", "b"]}], "questions.0.key"),
    ([{"key": "a", "kind": "rating", "label": "x"}], "questions.0.kind"),
    ([{"key": "a", "kind": "scale", "label": "  "}], "questions.0.label"),
    ([{"key": "a", "kind": "single", "label": "x", "options": ["only"]}], "questions.0.options"),
    ([{"key": "a", "kind": "multiple", "label": "x", "options": ["a", "a"]}],
     "questions.0.options"),
    ([{"key": "a", "kind": "scale", "label": "x"}, {"key": "a", "kind": "scale", "label": "y"}],
     "questions"),
    ([{"key": "b", "kind": "scale", "label": "x", "show_if": {"key": "a", "equals": 1}},
      {"key": "a", "kind": "scale", "label": "y"}], "questions"),
    ([{"key": "a", "kind": "single", "label": "x", "options": ["p", "q"]},
      {"key": "b", "kind": "scale", "label": "y", "show_if": {"key": "a", "equals": "r"}}],
     "questions"),
    ([{"key": "a", "kind": "scale", "label": "x", "show_if": "a"}], "questions.0.show_if"),
])
def test_invalid_questions_are_refused_with_field_errors(world, questions, field):
    fields = _fields(lambda: surveys.create_survey(world["staff"], {
        "title": "T", "questions": questions, "idea_id": world["idea"].id}))
    assert field in fields


def test_a_survey_needs_a_title_and_an_idea(world):
    fields = _fields(lambda: surveys.create_survey(world["staff"], {"questions": QUESTIONS}))
    assert set(fields) == {"title", "idea_id"}
    with pytest.raises(NotFound):
        surveys.create_survey(world["staff"], {"title": "T", "questions": QUESTIONS,
                                               "idea_id": 999_999})


# --- answering -----------------------------------------------------------------------------

def test_supporters_and_followers_answer_once(world):
    survey = world["survey"]
    for member in (world["supporter"], world["follower"]):
        surveys.answer_survey(member, survey.id, {"use": "Yes", "score": 4})
        db.session.commit()
    with pytest.raises(Conflict) as error:
        surveys.answer_survey(world["supporter"], survey.id, {"use": "No"})
    assert error.value.code == "answered_already"
    db.session.rollback()
    assert db.session.get(Survey, survey.id).response_count == 2


def test_a_member_it_was_not_sent_to_cannot_answer(world):
    with pytest.raises(Forbidden) as error:
        surveys.answer_survey(world["stranger"], world["survey"].id, {"use": "Yes"})
    assert error.value.code == "not_a_recipient"


def test_unconfirmed_members_and_visitors_cannot_answer(world):
    unconfirmed = f.user(confirmed=False)
    f.support(world["idea"], unconfirmed)
    with pytest.raises(Forbidden):
        surveys.answer_survey(unconfirmed, world["survey"].id, {"use": "Yes"})
    with pytest.raises(Unauthorized):
        surveys.answer_survey(None, world["survey"].id, {"use": "Yes"})


def test_a_closed_survey_takes_no_answers(world):
    from app.models.base import utcnow

    world["survey"].closed_at = utcnow()
    db.session.commit()
    with pytest.raises(Conflict) as error:
        surveys.answer_survey(world["supporter"], world["survey"].id, {"use": "Yes"})
    assert error.value.code == "survey_closed"


@pytest.mark.parametrize("answers, field", [
    ({"score": 3}, "answers.use"),                                   # required
    ({"use": "Maybe"}, "answers.use"),                               # not an option
    ({"use": "Yes", "where": ["Moon"]}, "answers.where"),
    ({"use": "Yes", "where": "Home"}, "answers.where"),              # not a list
    ({"use": "Yes", "where": ["Home", "Home"]}, "answers.where"),
    ({"use": "Yes", "score": 6}, "answers.score"),
    ({"use": "Yes", "score": True}, "answers.score"),
    ({"use": "Yes", "score": "4"}, "answers.score"),
    ({"use": "Yes", "why_not": "Too big"}, "answers.why_not"),       # not asked after "Yes"
    ({"use": "No", "why_not": "x" * 201}, "answers.why_not"),        # short text
    ({"use": "Yes", "story": "x" * 5001}, "answers.story"),
    ({"use": "Yes", "colour": "red"}, "answers.colour"),             # no such question
])
def test_invalid_answers_are_refused_per_question(world, answers, field):
    fields = _fields(lambda: surveys.answer_survey(world["supporter"], world["survey"].id,
                                                   answers))
    assert field in fields
    assert db.session.query(SurveyResponse).count() == 0


def test_a_conditional_question_is_answered_when_its_condition_holds(world):
    response = surveys.answer_survey(world["supporter"], world["survey"].id, {
        "use": "No", "why_not": "  Too big for my flat ", "where": ["Car", "Home"],
        "story": "x" * 5000})
    assert response.answers["why_not"] == "Too big for my flat"
    assert response.answers["where"] == ["Home", "Car"]  # in the options' order


def test_the_form_drops_answers_to_questions_not_asked(world):
    response = surveys.answer_survey(world["supporter"], world["survey"].id,
                                     {"use": "Yes", "why_not": "typed before changing my mind"},
                                     strict=False)
    assert response.answers == {"use": "Yes"}


def test_answers_go_with_the_members_account(world):
    member = world["follower"]
    surveys.answer_survey(member, world["survey"].id, {"use": "Yes"})
    db.session.commit()
    db.session.execute(User.__table__.delete().where(User.id == member.id))
    db.session.commit()
    assert db.session.query(SurveyResponse).count() == 0


def test_open_surveys_for_a_member_until_answered(world):
    assert surveys.open_for(world["supporter"]) == [world["survey"]]
    assert surveys.open_for(world["stranger"]) == []
    surveys.answer_survey(world["supporter"], world["survey"].id, {"use": "Yes"})
    db.session.commit()
    assert surveys.open_for(world["supporter"]) == []


# --- results -------------------------------------------------------------------------------

def _answer_all(world):
    survey = world["survey"]
    extra = [f.user() for _ in range(2)]
    for member in extra:
        f.support(world["idea"], member)
    for member, answers in zip((world["supporter"], world["follower"], *extra), (
            {"use": "Yes", "where": ["Home", "Car"], "score": 5, "story": "Rainy June."},
            {"use": "No", "why_not": "=cmd|' /C calc'!A0", "where": ["Home"], "score": 2},
            {"use": "Yes", "score": 4},
            {"use": "Yes", "where": ["Office"]})):
        surveys.answer_survey(member, survey.id, answers)
    db.session.commit()
    return survey


def test_results_are_aggregated_per_question(world):
    survey = _answer_all(world)
    rows = {row.question["key"]: row for row in surveys.results(survey)}
    assert rows["use"].counts == [("Yes", 3), ("No", 1)] and rows["use"].answered == 4
    assert rows["where"].counts == [("Home", 2), ("Office", 1), ("Car", 1)]
    assert rows["score"].counts == [("1", 0), ("2", 1), ("3", 0), ("4", 1), ("5", 1)]
    assert rows["score"].mean == "3.67"
    assert rows["story"].texts == ["Rainy June."]


def test_the_csv_has_a_row_per_response_and_quotes_formulas(world):
    survey = _answer_all(world)
    lines = "".join(surveys.results_csv(survey)).splitlines()
    assert lines[0] == "response,use,why_not,where,score,story"
    assert lines[1] == "1,Yes,,Home | Car,5,Rainy June."
    assert "'=cmd" in lines[2]
    assert len(lines) == 5


@pytest.mark.parametrize("role", ["admin", "community_manager"])
def test_staff_see_the_results(world, role):
    assert surveys.require_results(f.user(role), world["survey"]) is True


def test_analysts_see_counts_only_of_a_survey_not_public(world):
    assert world["survey"].public is False
    assert surveys.require_results(f.user("analyst"), world["survey"]) is False


def test_members_do_not_see_results_unless_public(world):
    with pytest.raises(Forbidden):
        surveys.require_results(world["supporter"], world["survey"])
    world["survey"].public = True
    db.session.commit()
    assert surveys.require_results(world["supporter"], world["survey"]) is False


# --- the API -------------------------------------------------------------------------------

def test_api_creates_a_survey(client, world):
    response = client.post("/api/v1/surveys", headers=bearer(world["staff"]), json={
        "title": "Colours", "questions": QUESTIONS[:2], "idea_id": world["idea"].id,
        "public": True})
    assert response.status_code == 201
    body = response.get_json()
    assert body["title"] == "Colours" and body["public"] is True and body["idea_id"]


def test_api_refuses_members_and_bad_surveys(client, world):
    member = bearer(world["supporter"])
    assert client.post("/api/v1/surveys", headers=member, json={
        "title": "X", "questions": QUESTIONS, "idea_id": world["idea"].id}).status_code == 403
    response = client.post("/api/v1/surveys", headers=bearer(world["staff"]), json={
        "title": "X", "questions": [{"key": "a", "kind": "single", "label": "x"}],
        "idea_id": world["idea"].id})
    assert response.status_code == 422
    assert "questions.0.options" in response.get_json()["error"]["fields"]
    response = client.post("/api/v1/surveys", headers=bearer(world["staff"]), json={
        "title": "X", "questions": QUESTIONS, "idea_id": world["idea"].id, "session_id": "1"})
    assert response.status_code == 422 and "session_id" in response.get_json()["error"]["fields"]
    response = client.post("/api/v1/surveys", headers=bearer(world["staff"]), json={
        "title": "X", "questions": QUESTIONS, "session_id": 10**6})
    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "session_not_found"


def test_api_answers_once_then_409_and_422_with_field_errors(client, world):
    url = f"/api/v1/surveys/{world['survey'].id}/responses"
    headers = bearer(world["supporter"])
    bad = client.post(url, headers=headers, json={"answers": {"use": "Maybe"}})
    assert bad.status_code == 422 and "answers.use" in bad.get_json()["error"]["fields"]
    ok = client.post(url, headers=headers, json={"answers": {"use": "Yes", "score": 5}})
    assert ok.status_code == 201 and ok.get_json()["answers"] == {"use": "Yes", "score": 5}
    again = client.post(url, headers=headers, json={"answers": {"use": "No"}})
    assert again.status_code == 409 and again.get_json()["error"]["code"] == "answered_already"
    stranger = client.post(url, headers=bearer(world["stranger"]), json={"answers": {"use": "No"}})
    assert stranger.status_code == 403
    assert client.post("/api/v1/surveys/999999/responses", headers=headers,
                       json={"answers": {"use": "No"}}).status_code == 404


def test_api_results_for_staff_and_public_counts_for_members(client, world):
    _answer_all(world)
    url = f"/api/v1/surveys/{world['survey'].id}/results"
    staff = client.get(url, headers=bearer(f.user("community_manager")))
    assert staff.status_code == 200
    questions = {q["key"]: q for q in staff.get_json()["questions"]}
    assert questions["use"]["counts"] == [{"answer": "Yes", "count": 3},
                                          {"answer": "No", "count": 1}]
    assert questions["story"]["answers"] == ["Rainy June."]
    analyst = client.get(url, headers=bearer(f.user("analyst")))
    assert analyst.status_code == 200
    counted = {q["key"]: q for q in analyst.get_json()["questions"]}
    assert counted["use"]["counts"] == questions["use"]["counts"]
    assert counted["score"]["mean"] == questions["score"]["mean"] == "3.67"
    assert counted["story"]["answered"] == questions["story"]["answered"] == 1
    assert "answers" not in counted["story"] and "Rainy June." not in analyst.get_data(as_text=True)
    assert client.get(url, headers=bearer(world["supporter"])).status_code == 403
    assert client.get(url).status_code == 401
    world["survey"].public = True
    db.session.commit()
    public = client.get(url, headers=bearer(world["supporter"])).get_json()
    assert "answers" not in {q["key"]: q for q in public["questions"]}["story"]


# --- the pages -----------------------------------------------------------------------------

def test_member_answers_on_the_page_and_sees_the_thank_you(client, world):
    login(client, world["supporter"])
    url = f"/surveys/{world['survey'].id}"
    page = client.get(url).get_data(as_text=True)
    assert "Would you use it?" in page and 'data-show-if-key="use"' in page
    response = client.post(url, data={"csrf_token": csrf_token(client, url), "q_use": "No",
                                      "q_why_not": "Too big", "q_where": ["Home", "Car"],
                                      "q_score": "3"})
    assert response.status_code == 302
    saved = db.session.query(SurveyResponse).one()
    assert saved.answers == {"use": "No", "why_not": "Too big", "where": ["Home", "Car"],
                             "score": 3}
    assert "You have answered this survey. Thank you!" in client.get(url).get_data(as_text=True)


def test_the_page_shows_errors_next_to_the_questions(client, world):
    login(client, world["supporter"])
    url = f"/surveys/{world['survey'].id}"
    response = client.post(url, data={"csrf_token": csrf_token(client, url), "q_score": "3"})
    assert response.status_code == 422
    assert "Please answer this question." in response.get_data(as_text=True)
    assert db.session.query(SurveyResponse).count() == 0


def test_the_page_is_refused_to_members_it_was_not_sent_to(client, world):
    login(client, world["stranger"])
    assert client.get(f"/surveys/{world['survey'].id}").status_code == 403


def test_analysts_see_charts_and_counts_but_no_written_answer_nor_the_csv(client, world):
    _answer_all(world)
    login(client, f.user("analyst"))
    html = client.get(f"/surveys/{world['survey'].id}/results").get_data(as_text=True)
    assert html.count('<svg class="survey-chart"') == 3 and "mean 3.67 of 5" in html
    assert "Rainy June." not in html and 'data-testid="texts-hidden"' in html
    assert "Counts only: the written answers are shown to admins and community managers." in html
    assert 'data-testid="csv"' not in html
    assert client.get(f"/surveys/{world['survey'].id}/results.csv").status_code == 403
    ja = client.get(f"/surveys/{world['survey'].id}/results?lang=ja").get_data(as_text=True)
    assert "管理者とコミュニティマネージャー" in ja and "Rainy June." not in ja


def test_staff_results_page_has_svg_charts_and_csv(client, world):
    _answer_all(world)
    login(client, f.user("community_manager"))
    html = client.get(f"/surveys/{world['survey'].id}/results").get_data(as_text=True)
    assert html.count('<svg class="survey-chart"') == 3  # single, multiple, scale
    assert "Rainy June." in html and "mean 3.67 of 5" in html
    csv = client.get(f"/surveys/{world['survey'].id}/results.csv")
    assert csv.status_code == 200 and csv.mimetype == "text/csv"
    assert csv.get_data(as_text=True).startswith("response,use")


def test_results_pages_are_refused_to_members_unless_public(client, world):
    _answer_all(world)
    login(client, world["supporter"])
    url = f"/surveys/{world['survey'].id}/results"
    assert client.get(url).status_code == 403
    assert client.get(url + ".csv").status_code == 403
    world["survey"].public = True
    db.session.commit()
    html = client.get(url).get_data(as_text=True)
    assert "Rainy June." not in html and "Written answers are shown to admins and community managers only." in html
    assert client.get(url + ".csv").status_code == 403


def test_the_survey_page_in_japanese(client, world):
    login(client, world["supporter"])
    html = client.get(f"/surveys/{world['survey'].id}?lang=ja").get_data(as_text=True)
    assert "回答を送信" in html


def test_the_home_page_offers_open_surveys(client, world):
    login(client, world["supporter"])
    assert "About the shelf" in client.get("/").get_data(as_text=True)


def test_staff_create_a_survey_on_the_page(client, world):
    login(client, world["staff"])
    page = client.get("/surveys").get_data(as_text=True)
    assert "About the shelf" in page and 'data-testid="survey-create"' in page
    response = client.post("/surveys", data={
        "csrf_token": csrf_token(client, "/surveys"), "title": "Colours",
        "idea_id": f"#{world['idea'].id}", "questions": (
            "colour | single | Which colour? | Red; Blue | required\n"
            "why | text | Why blue? | | if colour = Blue, long\n"
            "score | scale | How much?")})
    assert response.status_code == 302
    survey = db.session.query(Survey).filter_by(title="Colours").one()
    assert survey.questions[1]["show_if"] == {"key": "colour", "equals": "Blue"}
    assert survey.questions[1]["long"] is True and survey.questions[0]["required"] is True


def test_the_create_page_shows_what_is_wrong(client, world):
    login(client, world["staff"])
    response = client.post("/surveys", data={
        "csrf_token": csrf_token(client, "/surveys"), "title": "", "idea_id": "x",
        "questions": "colour | single | Which colour? | Red"})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "Give the survey a title" in html and "different options" in html


def test_analysts_see_the_list_but_not_the_form_and_members_neither(client, world):
    login(client, f.user("analyst"))
    page = client.get("/surveys").get_data(as_text=True)
    assert "About the shelf" in page and 'data-testid="survey-create"' not in page
    assert client.post("/surveys", data={"csrf_token": csrf_token(client, "/")}).status_code == 403
    login(client, world["supporter"])
    assert client.get("/surveys").status_code == 403


# --- campaigns -----------------------------------------------------------------------------

def _campaign_with_people(world):
    from datetime import date

    from app.models import Campaign, CampaignEntry, CampaignVote

    campaign = Campaign(title="Rainy season", starts_on=date(2026, 1, 1), ends_on=date(2030, 1, 1))
    db.session.add(campaign)
    db.session.flush()
    entrant, voter = f.user(), f.user()
    entry = f.idea(entrant, title="Entry")
    db.session.add(CampaignEntry(idea_id=entry.id, campaign_id=campaign.id, answers={}))
    db.session.add(CampaignVote(campaign_id=campaign.id, user_id=voter.id, idea_id=entry.id))
    db.session.commit()
    return campaign, entrant, voter


def test_a_campaign_survey_is_answered_by_its_entrants_and_voters(world):
    campaign, entrant, voter = _campaign_with_people(world)
    survey = surveys.create_survey(world["staff"], {"title": "How was it?",
                                                    "questions": QUESTIONS,
                                                    "campaign_id": campaign.id})
    db.session.commit()
    assert survey.campaign_id == campaign.id and survey.idea_id is None
    for member in (entrant, voter):
        assert surveys.open_for(member) == [survey]
        surveys.answer_survey(member, survey.id, {"use": "Yes"})
    db.session.commit()
    with pytest.raises(Forbidden):
        surveys.answer_survey(world["supporter"], survey.id, {"use": "Yes"})


def test_a_survey_for_no_such_campaign_is_404(world):
    with pytest.raises(NotFound) as error:
        surveys.create_survey(world["staff"], {"title": "T", "questions": QUESTIONS,
                                               "campaign_id": 999_999})
    assert error.value.code == "campaign_not_found"


def test_api_creates_a_campaign_survey(client, world):
    campaign, _entrant, _voter = _campaign_with_people(world)
    response = client.post("/api/v1/surveys", headers=bearer(world["staff"]), json={
        "title": "How was it?", "questions": QUESTIONS[:1], "campaign_id": campaign.id})
    assert response.status_code == 201 and response.get_json()["campaign_id"] == campaign.id


# --- segments ------------------------------------------------------------------------------

def test_a_segment_survey_is_sent_to_its_members_once_each(world):
    from app.models import Notification
    from app.models.surveys import SurveyRecipient

    readers = [f.user(locale="ja", marketing_mail=True) for _ in range(3)]
    survey = surveys.create_survey(world["staff"], {"title": "日本のみなさんへ",
                                                    "questions": QUESTIONS,
                                                    "segment": {"locale": "ja"}})
    db.session.commit()  # the job runs after the commit (JOBS_SYNC in the tests)
    recipients = {row.user_id for row in db.session.query(SurveyRecipient).filter_by(
        survey_id=survey.id)}
    assert recipients == {reader.id for reader in readers}
    assert surveys.send(survey.id, batch=2) == 0  # run again: nobody twice
    told = db.session.query(Notification).filter_by(kind="survey_invitation").all()
    assert sorted(n.user_id for n in told) == sorted(recipients)
    surveys.answer_survey(readers[0], survey.id, {"use": "Yes"})
    with pytest.raises(Forbidden):
        surveys.answer_survey(world["stranger"], survey.id, {"use": "Yes"})


def test_a_segment_survey_does_not_reach_members_without_marketing_consent(world):
    from app.models import Notification
    from app.models.surveys import SurveyRecipient

    agreed, refused = f.user(locale="ja", marketing_mail=True), f.user(locale="ja")
    survey = surveys.create_survey(world["staff"], {"title": "日本のみなさんへ",
                                                    "questions": QUESTIONS,
                                                    "segment": {"locale": "ja"}})
    db.session.commit()
    assert [row.user_id for row in db.session.query(SurveyRecipient)] == [agreed.id]
    assert [n.user_id for n in db.session.query(Notification).filter_by(
        kind="survey_invitation")] == [agreed.id]
    assert surveys.open_for(refused) == [] and not surveys.is_recipient(refused, survey)
    with pytest.raises(Forbidden):
        surveys.answer_survey(refused, survey.id, {"use": "Yes"})


def test_a_bad_segment_is_refused_with_its_field(world):
    fields = _fields(lambda: surveys.create_survey(world["staff"], {
        "title": "T", "questions": QUESTIONS, "segment": {"locale": "fr"}}))
    assert "segment.locale" in fields


def test_api_creates_a_segment_survey(client, world):
    f.user(locale="ja")
    response = client.post("/api/v1/surveys", headers=bearer(world["staff"]), json={
        "title": "Segment", "questions": QUESTIONS[:1], "segment": {"locale": "ja"}})
    assert response.status_code == 201 and response.get_json()["segment"] == {"locale": "ja"}


# --- after a co-creation session -----------------------------------------------------------

def _session_with_people(world):
    """A session with two attendees, one who accepted and did not come, one who declined."""
    from app.models import CoSession, SessionInvitation
    from app.models.base import utcnow

    session = CoSession(title="Rainy mornings", purpose="", mode="online",
                        place_or_url="https://meet.example.com/a", starts_at=utcnow(),
                        duration_minutes=60, capacity=10, agenda=[],
                        created_by_id=world["staff"].id)
    db.session.add(session)
    db.session.flush()
    came = [f.user(), f.user()]
    absent, declined = f.user(), f.user()
    for person in came:
        db.session.add(SessionInvitation(session_id=session.id, user_id=person.id,
                                         status="accepted", attended_at=utcnow()))
    db.session.add(SessionInvitation(session_id=session.id, user_id=absent.id, status="accepted"))
    db.session.add(SessionInvitation(session_id=session.id, user_id=declined.id,
                                     status="declined"))
    db.session.commit()
    return session, came, [absent, declined]


def test_a_session_survey_asks_its_attendees_and_tells_them(world):
    from app.models import Notification

    session, came, others = _session_with_people(world)
    survey = surveys.create_survey(world["staff"], {"title": "How was the session?",
                                                    "questions": QUESTIONS[:1],
                                                    "session_id": session.id})
    db.session.commit()
    assert survey.session_id == session.id
    told = db.session.query(Notification).filter_by(kind="survey_invitation").all()
    assert sorted(n.user_id for n in told) == sorted(p.id for p in came)
    assert all(n.url == f"/surveys/{survey.id}" for n in told)
    for person in came:
        assert surveys.open_for(person) == [survey]
    surveys.answer_survey(came[0], survey.id, {"use": "Yes"})
    db.session.commit()
    with pytest.raises(Conflict):
        surveys.answer_survey(came[0], survey.id, {"use": "No"})
    db.session.rollback()
    for person in [*others, world["stranger"], world["supporter"]]:
        assert survey not in surveys.open_for(person)
        with pytest.raises(Forbidden):
            surveys.answer_survey(person, survey.id, {"use": "Yes"})
        db.session.rollback()
    audit = db.session.query(AuditLog).filter_by(action="survey.create").order_by(
        AuditLog.id.desc()).first()
    assert audit.after["session_id"] == session.id


def test_a_survey_for_a_session_that_does_not_exist_is_refused(world):
    with pytest.raises(NotFound) as error:
        surveys.create_survey(world["staff"], {"title": "T", "questions": QUESTIONS,
                                               "session_id": 10**6})
    assert error.value.code == "session_not_found"
    db.session.rollback()
    assert "session_id" in _fields(lambda: surveys.create_survey(
        world["staff"], {"title": "T", "questions": QUESTIONS, "session_id": "one"}))


def test_api_creates_a_session_survey(client, world):
    session, came, _others = _session_with_people(world)
    response = client.post("/api/v1/surveys", headers=bearer(world["staff"]), json={
        "title": "How was it?", "questions": QUESTIONS[:1], "session_id": session.id})
    assert response.status_code == 201 and response.get_json()["session_id"] == session.id
    survey_id = response.get_json()["id"]
    answer = client.post(f"/api/v1/surveys/{survey_id}/responses", headers=bearer(came[1]),
                         json={"answers": {"use": "Yes"}})
    assert answer.status_code == 201


def test_staff_create_a_session_survey_from_the_form_and_attendees_read_it(client, world):
    session, came, _others = _session_with_people(world)
    login(client, world["staff"])
    page = client.get(f"/surveys?session_id={session.id}").get_data(as_text=True)
    assert f'name="session_id" inputmode="numeric" value="{session.id}"' in page
    answer = client.post("/surveys", data={
        "csrf_token": csrf_token(client, "/surveys"), "title": "After the session",
        "session_id": f"#{session.id}", "questions": "use | single | Would you use it? | Yes; No"})
    assert answer.status_code == 302
    survey = db.session.query(Survey).filter_by(title="After the session").one()
    assert survey.session_id == session.id
    login(client, came[0])
    page = client.get(f"/surveys/{survey.id}").get_data(as_text=True)
    assert 'data-testid="survey-session"' in page and "Rainy mornings" in page
    home = client.get("/").get_data(as_text=True)
    assert "After the session" in home
