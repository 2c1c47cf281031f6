"""The co-creation KPI dashboard (issue 16): a known history, and every figure asserted exactly."""
from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

import pytest

from app.extensions import db
from app.models import Comment, IdeaEvent, Support
from app.services import analytics
from tests import factories as f
from tests import ledger_factories as lf
from tests.helpers import login


def at(day: str, hour: int = 12) -> datetime:
    return datetime.fromisoformat(f"{day}T{hour:02d}:00:00").replace(tzinfo=UTC)


def _idea(owner, title, created, published=None, **fields):
    idea = f.idea(owner, title=title, status="published")
    idea.created_at = idea.submitted_at = at(created)
    idea.published_at = at(published) if published else None
    for name, value in fields.items():
        setattr(idea, name, value)
    db.session.commit()
    return idea


def _support(idea, user, day, **answers):
    support = f.support(idea, user, **answers)
    db.session.get(Support, support.id).created_at = at(day)
    db.session.commit()


def _event(idea, day, *, kind="status_changed", to_status=None):
    db.session.add(IdeaEvent(idea_id=idea.id, kind=kind, to_status=to_status, created_at=at(day)))
    db.session.commit()


@pytest.fixture
def history(app):
    """March 2026 (the previous period: 29 January - 28 February):

    - Aiko posts X on 2 March (published 4 March, first milestone 10th, qualified 20th,
      approved 25th, in production 27th, on sale 30th);
    - Ben posted Y on 10 February (published 12 February) and supports X on 5 March;
    - Chie posts Z on 5 March (published 6 March, then merged into Y) and supports X on 6 March;
    - Dai supported Y on 15 February, supports X on 7 March and comments on X on 8 March.
    """
    aiko, ben, chie, dai = (f.user(name=n) for n in ("Aiko", "Ben", "Chie", "Dai"))
    for person, day in ((aiko, "2026-02-01"), (ben, "2026-02-01"), (chie, "2026-03-01"), (dai, "2026-03-02")):
        person.created_at = at(day)
    db.session.commit()
    x = _idea(aiko, "X", "2026-03-02", "2026-03-04", qualified_at=at("2026-03-20"))
    y = _idea(ben, "Y", "2026-02-10", "2026-02-12")
    z = _idea(chie, "Z", "2026-03-05", "2026-03-06")
    z.merged_into_id = y.id
    db.session.commit()
    _event(x, "2026-03-10", kind="milestone_reached")
    _event(x, "2026-03-25", to_status="approved")
    _event(x, "2026-03-27", to_status="in_production")
    _event(x, "2026-03-30", to_status="on_sale")
    _support(x, ben, "2026-03-05")
    _support(x, chie, "2026-03-06")
    _support(y, dai, "2026-02-15")
    _support(x, dai, "2026-03-07")
    db.session.add(Comment(idea_id=x.id, author_id=dai.id, body="I need this.", created_at=at("2026-03-08")))
    db.session.commit()
    return {"x": x, "y": y, "z": z}


def march():
    return analytics.kpis(analytics.scope("2026-03-01", "2026-03-31"))


def test_every_figure_of_a_known_history(history):
    k = march()
    assert k["period"] == {"from": "2026-03-01", "to": "2026-03-31",
                           "previous": {"from": "2026-01-29", "to": "2026-02-28"}}
    assert k["participation"] == {"active_members": 4, "supporters": 3, "commenters": 1, "creators": 2,
                                  "session_participation_rate": {"numerator": 0, "denominator": 0}}
    assert k["creativity"] == {"ideas_submitted": 2, "ideas_published": 2,
                               "unique_idea_rate": {"numerator": 1, "denominator": 2},
                               "insights_refined": 0}
    assert k["relationship"]["returning_members"] == 2  # Ben and Dai were active in February too
    outcomes = k["outcomes"]
    assert (outcomes["qualified"], outcomes["approved"], outcomes["in_production"], outcomes["on_sale"]) == (1, 1, 1, 1)
    # On sale by 31 March: X; published by then: X, Y, Z.
    assert outcomes["commercialisation_rate"] == {"numerator": 1, "denominator": 3}
    assert outcomes["net_sales"] == outcomes["royalties"] == outcomes["payouts"] == []
    assert k["learning"] == {"resonance_answers": 0, "resonance": {"me_too": 0, "someone_i_know": 0, "not_me": 0},
                             "product_test_reports": 0, "survey_responses": 0}
    assert k["relationship"]["partner_continuation_rate"] == {"numerator": 0, "denominator": 0}
    assert k["previous"]["participation"]["active_members"] == 2  # Ben (posted Y), Dai (supported Y)
    assert k["previous"]["creativity"]["ideas_published"] == 1


def test_the_funnel_counts_the_periods_submissions_and_the_median_days_between_steps(history):
    steps = {row["step"]: row for row in march()["funnel"]}
    assert [(s, steps[s]["count"]) for s in analytics.FUNNEL_STEPS] == [
        ("submitted", 2), ("published", 2), ("first_milestone", 1), ("qualified", 1), ("approved", 1),
        ("on_sale", 1)]
    assert steps["published"]["median_days_from_previous"] == 1.5  # X 2 days, Z 1 day
    assert steps["first_milestone"]["median_days_from_previous"] == 6.0
    assert steps["qualified"]["median_days_from_previous"] == 10.0
    assert steps["approved"]["median_days_from_previous"] == 5.0
    assert steps["on_sale"]["median_days_from_previous"] == 5.0
    assert steps["first_milestone"]["conversion"] == {"numerator": 1, "denominator": 2}


def test_cohorts_count_the_members_of_each_sign_up_month_active_in_each_month_since(history):
    cohorts = {row["cohort"]: row for row in march()["cohorts"]}
    assert list(cohorts) == ["2025-10", "2025-11", "2025-12", "2026-01", "2026-02", "2026-03"]
    # Aiko and Ben signed up in February: Ben was active in February (posted Y), both in March.
    assert cohorts["2026-02"] == {"cohort": "2026-02", "size": 2, "active": [1, 2]}
    assert cohorts["2026-03"] == {"cohort": "2026-03", "size": 2, "active": [2]}


def test_a_category_filter_keeps_that_categorys_ideas(history):
    history["z"].category_id = f.category("kids").id
    db.session.commit()
    k = analytics.kpis(analytics.scope("2026-03-01", "2026-03-31", category="kids"))
    assert k["creativity"]["ideas_submitted"] == 1
    assert k["participation"]["creators"] == 1 and k["participation"]["supporters"] == 0


def test_money_is_summed_per_currency_for_the_day_it_was_recorded(app):
    finance = f.user("finance")
    creator = f.user()
    item = lf.product(creator, rate_bps=1000)
    lf.sale(finance, item, 10_000, "JPY")
    lf.sale(finance, item, 2_500, "USD")
    lf.sale(finance, item, 5_000, "JPY")
    lf.payout(finance, creator, 900, "JPY")
    today = datetime.now(UTC).date().isoformat()
    outcomes = analytics.kpis(analytics.scope(today, today))["outcomes"]
    assert outcomes["net_sales"] == [{"amount": 15_000, "currency": "JPY"}, {"amount": 2_500, "currency": "USD"}]
    assert outcomes["royalties"] == [{"amount": 1_500, "currency": "JPY"}, {"amount": 250, "currency": "USD"}]
    assert outcomes["payouts"] == [{"amount": 900, "currency": "JPY"}]


def test_the_api_answers_admins_and_analysts_and_refuses_members_and_reviewers(client, history):
    from tests.helpers import bearer

    for role in ("admin", "analyst"):
        body = client.get("/api/v1/analytics/kpis?from=2026-03-01&to=2026-03-31",
                          headers=bearer(f.user(role))).get_json()
        assert body["participation"]["active_members"] == 4
        assert body["creativity"]["unique_idea_rate"] == {"numerator": 1, "denominator": 2}
    for role in ("member", "reviewer", "moderator", "finance"):
        answer = client.get("/api/v1/analytics/kpis", headers=bearer(f.user(role)))
        assert answer.status_code == 403
    assert client.get("/api/v1/analytics/kpis").status_code == 401
    bad = client.get("/api/v1/analytics/kpis?from=2026-04-01&to=2026-03-01", headers=bearer(f.user("admin")))
    assert bad.status_code == 422 and "from" in bad.get_json()["error"]["fields"]
    assert client.get("/api/v1/analytics/kpis?from=yesterday",
                      headers=bearer(f.user("admin"))).status_code == 422
    assert client.get("/api/v1/analytics/kpis?category=nope",
                      headers=bearer(f.user("admin"))).status_code == 422


def _shown(client, url):
    """The page once its figures are kept: the first view queues analytics.compute (run at
    the commit in the tests, JOBS_SYNC) and says so; the next one shows them (a scope kept
    already, by the CSV or the API, shows at once)."""
    first = client.get(url)
    assert first.status_code == 200
    if 'data-testid="kpi-computing"' not in first.get_data(as_text=True):
        return first
    again = client.get(url)
    assert 'data-testid="kpi-computing"' not in again.get_data(as_text=True)
    return again


def test_the_dashboard_page_and_its_csv_tables(client, history):
    analyst = f.user("analyst")
    login(client, analyst)
    first = client.get("/admin/analytics?from=2026-03-01&to=2026-03-31&lang=ja").get_data(as_text=True)
    assert 'data-testid="kpi-computing"' in first and '<meta http-equiv="refresh"' in first
    assert "この期間の数値を計算しています" in first and 'data-figure="active_members"' not in first
    page = client.get("/admin/analytics?from=2026-03-01&to=2026-03-31&lang=ja")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert '<meta http-equiv="refresh"' not in html and "時点の数値" in html
    assert "プログラムのKPI" in html and "<svg" in html and 'data-figure="active_members"' in html
    answer = client.get("/admin/analytics.csv?from=2026-03-01&to=2026-03-31&table=funnel")
    assert answer.status_code == 200 and answer.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(answer.get_data(as_text=True))))
    assert rows[0] == ["step", "ideas", "conversion", "median_days_from_previous"]
    assert rows[1:3] == [["submitted", "2", "", ""], ["published", "2", "2/2", "1.5"]]
    figures = list(csv.reader(io.StringIO(client.get(
        "/admin/analytics.csv?from=2026-03-01&to=2026-03-31&table=figures").get_data(as_text=True))))
    assert ["participation", "active_members", "4", "2"] in figures
    assert client.get("/admin/analytics.csv?table=nope").status_code == 404


def test_members_and_reviewers_may_not_open_the_dashboard(client):
    for role in ("member", "reviewer"):
        login(client, f.user(role))
        assert client.get("/admin/analytics").status_code == 403
        assert client.get("/admin/analytics.csv").status_code == 403
        client.get("/logout")


def test_the_dashboards_query_count_does_not_grow_with_the_data(client, history, count_queries):
    login(client, f.user("admin"))
    _shown(client, "/admin/analytics?from=2026-03-01&to=2026-03-31")  # kept from now on
    with count_queries() as few:
        client.get("/admin/analytics?from=2026-03-01&to=2026-03-31")
    for n in range(5):
        idea = _idea(f.user(), f"More {n}", "2026-03-10", "2026-03-11")
        _support(idea, f.user(), "2026-03-12", resonance="me_too")
        _revision(idea, 1, "2026-03-13", ["core"])
    with count_queries() as more:
        page = client.get("/admin/analytics?from=2026-03-01&to=2026-03-31").get_data(as_text=True)
    assert more.count == few.count <= 12
    assert 'data-figure="active_members"' in page


def test_reach_counts_what_share_links_brought_in_the_period(history):
    from app.models.people import ReferralEvent

    sharer, brought = f.user(), f.user()
    for kind, day in (("visit", "2026-03-03"), ("visit", "2026-03-04"), ("signup", "2026-03-04"),
                      ("support", "2026-03-05"), ("visit", "2026-02-20")):
        db.session.add(ReferralEvent(sharer_id=sharer.id, kind=kind, created_at=at(day),
                                     user_id=None if kind == "visit" else brought.id,
                                     idea_id=None if kind == "signup" else history["x"].id))
    db.session.commit()
    k = march()
    assert k["reach"] == {"share_visits": 2, "referred_signups": 1, "referred_supports": 1}
    assert k["previous"]["reach"]["share_visits"] == 1


def test_session_participation_and_satisfaction_of_the_periods_sessions(history):
    from app.models.cocreation import CoSession, SessionFeedback, SessionInvitation

    staff = f.user("community_manager")
    march_session = CoSession(title="Rainy mornings", purpose="", mode="online",
                              place_or_url="https://meet.example.com/a", starts_at=at("2026-03-15"),
                              duration_minutes=60, capacity=10, agenda=[], created_by_id=staff.id)
    april_session = CoSession(title="Later", purpose="", mode="online",
                              place_or_url="https://meet.example.com/b", starts_at=at("2026-04-15"),
                              duration_minutes=60, capacity=10, agenda=[], created_by_id=staff.id)
    db.session.add_all([march_session, april_session])
    db.session.flush()
    people = [f.user() for _ in range(4)]
    for n, person in enumerate(people):  # four invited in March, three attended, two answered
        db.session.add(SessionInvitation(session_id=march_session.id, user_id=person.id, status="accepted",
                                         attended_at=at("2026-03-15") if n < 3 else None))
    db.session.add(SessionInvitation(session_id=april_session.id, user_id=people[0].id, status="accepted",
                                     attended_at=at("2026-04-15")))
    db.session.add_all([SessionFeedback(session_id=march_session.id, user_id=people[0].id, satisfaction=5),
                        SessionFeedback(session_id=march_session.id, user_id=people[1].id, satisfaction=4),
                        SessionFeedback(session_id=april_session.id, user_id=people[0].id, satisfaction=1)])
    db.session.commit()
    k = march()
    assert k["participation"]["session_participation_rate"] == {"numerator": 3, "denominator": 4}
    assert k["relationship"]["satisfaction"] == {"mean": 4.5, "count": 2}


def _session(staff, title, day, *, cancelled=False, campaign=None):
    from app.models.cocreation import CoSession

    session = CoSession(title=title, purpose="", mode="online", place_or_url="https://meet.example.com/s",
                        starts_at=at(day), duration_minutes=60, capacity=10, agenda=[], created_by_id=staff.id,
                        cancelled_at=at(day) if cancelled else None,
                        campaign_id=campaign.id if campaign else None)
    db.session.add(session)
    db.session.flush()
    return session


def test_partners_who_came_again_attended_another_session_by_the_periods_end(history):
    from app.models.cocreation import SessionInvitation

    staff = f.user("community_manager")
    february, march_1, march_2 = (_session(staff, t, d) for t, d in (
        ("Feb", "2026-02-10"), ("Mar 1", "2026-03-10"), ("Mar 2", "2026-03-20")))
    cancelled = _session(staff, "Called off", "2026-03-05", cancelled=True)
    april = _session(staff, "Apr", "2026-04-10")
    eri, fumi, goro, hana, ishi = (f.user() for _ in range(5))

    def attended(session, person, came=True):
        db.session.add(SessionInvitation(session_id=session.id, user_id=person.id, status="accepted",
                                         attended_at=session.starts_at if came else None))

    attended(february, eri)
    attended(march_1, eri)  # again: February and March
    attended(march_1, fumi)
    attended(march_2, fumi)  # again: twice in March
    attended(march_1, goro)
    attended(april, goro)  # only later: not by the period's end
    attended(cancelled, hana)
    attended(march_2, hana)  # a cancelled session is no first time
    attended(march_2, ishi, came=False)  # invited, did not come: not a partner of the period
    db.session.commit()
    k = march()
    assert k["relationship"]["partner_continuation_rate"] == {"numerator": 2, "denominator": 4}
    assert k["previous"]["relationship"]["partner_continuation_rate"] == {"numerator": 0, "denominator": 1}


def _revision(idea, number, day, fields, *, state="published"):
    from app.models.insight import IdeaRevision

    db.session.add(IdeaRevision(idea_id=idea.id, number=number, author_id=idea.owner_id, state=state,
                                changes=[{"field": name, "before": "old", "after": "new"} for name in fields],
                                created_at=at(day)))
    db.session.commit()


def test_insights_refined_counts_ideas_whose_insight_changed_in_the_period(history):
    x, y, z = history["x"], history["y"], history["z"]
    _revision(x, 1, "2026-03-11", ["description"])  # not the insight
    _revision(x, 2, "2026-03-12", ["description", "core"])
    _revision(x, 3, "2026-03-13", ["scene"])  # the same idea again: counted once
    _revision(y, 1, "2026-02-20", ["core"])  # the previous period
    _revision(y, 2, "2026-03-14", ["why_1"], state="reverted")  # a moderator reverted it
    _revision(z, 1, "2026-04-01", ["core"])  # after the period
    k = march()
    assert k["creativity"]["insights_refined"] == 1
    assert k["previous"]["creativity"]["insights_refined"] == 1
    y.category_id = f.category("kids").id
    db.session.commit()
    kids = analytics.kpis(analytics.scope("2026-03-01", "2026-03-31", category="kids"))
    assert kids["creativity"]["insights_refined"] == 0
    assert kids["previous"]["creativity"]["insights_refined"] == 1


@pytest.fixture
def heard(history):
    """What members told in March (and February) on X, Y and in a segment survey; X is in
    the campaign "Rainy season"."""
    from datetime import date

    from app.models.campaigns import Campaign
    from app.models.cocreation import ProductTest, ProductTestReport
    from app.models.surveys import Survey, SurveyResponse

    x, y = history["x"], history["y"]
    campaign = Campaign(title="Rainy season", title_ja="梅雨", starts_on=date(2026, 1, 1), ends_on=date(2026, 12, 31))
    db.session.add(campaign)
    db.session.flush()
    x.campaign_id = campaign.id
    for n, (answer, day) in enumerate((("me_too", "2026-03-09"), ("me_too", "2026-03-10"),
                                       ("someone_i_know", "2026-03-11"), ("not_me", "2026-02-20"))):
        _support(x if day.startswith("2026-03") else y, f.user(), day, resonance=answer, my_situation=f"s{n}")
    _support(x, f.user(), "2026-03-12")  # no resonance answer
    staff = f.user("product_manager")
    test = ProductTest(idea_id=x.id, title="Umbrella MVP", brief="Try it.", testers=3,
                       opens_on=date(2026, 2, 1), closes_on=date(2026, 3, 31), created_by_id=staff.id)
    db.session.add(test)
    db.session.flush()
    for day in ("2026-03-15", "2026-03-16", "2026-02-25"):
        db.session.add(ProductTestReport(test_id=test.id, user_id=f.user().id, customer_value=3, uniqueness=2,
                                         feasibility=2, marketability=3, rationale="Dry.", created_at=at(day)))
    on_x = Survey(title="About X", questions=[], idea_id=x.id, created_by_id=staff.id)
    on_campaign = Survey(title="About the season", questions=[], campaign_id=campaign.id, created_by_id=staff.id)
    on_segment = Survey(title="Everyone", questions=[], segment={"all": True}, created_by_id=staff.id)
    session = _session(staff, "Workshop", "2026-03-18", campaign=campaign)
    after_session = Survey(title="After the workshop", questions=[], session_id=session.id, created_by_id=staff.id)
    db.session.add_all([on_x, on_campaign, on_segment, after_session])
    db.session.flush()
    for survey, day in ((on_x, "2026-03-20"), (on_x, "2026-03-21"), (on_campaign, "2026-03-22"),
                        (on_segment, "2026-03-23"), (after_session, "2026-03-24"), (on_segment, "2026-02-23")):
        db.session.add(SurveyResponse(survey_id=survey.id, user_id=f.user().id, answers={}, created_at=at(day)))
    db.session.commit()
    return {**history, "campaign": campaign}


def test_learning_counts_resonance_answers_test_reports_and_survey_responses(heard):
    k = march()
    assert k["learning"] == {"resonance_answers": 3,
                             "resonance": {"me_too": 2, "someone_i_know": 1, "not_me": 0},
                             "product_test_reports": 2, "survey_responses": 5}
    assert k["previous"]["learning"] == {"resonance_answers": 1,
                                         "resonance": {"me_too": 0, "someone_i_know": 0, "not_me": 1},
                                         "product_test_reports": 1, "survey_responses": 1}
    # The campaign: X's answers and reports, the surveys of X, of the campaign and of its
    # session; not the segment's.
    rainy = analytics.kpis(analytics.scope("2026-03-01", "2026-03-31", campaign=heard["campaign"].id))
    assert rainy["learning"] == {"resonance_answers": 3,
                                 "resonance": {"me_too": 2, "someone_i_know": 1, "not_me": 0},
                                 "product_test_reports": 2, "survey_responses": 4}
    assert rainy["previous"]["learning"]["survey_responses"] == 0
    # A category none of it is in.
    f.category("kids")
    kids = analytics.kpis(analytics.scope("2026-03-01", "2026-03-31", category="kids"))
    assert kids["learning"] == {"resonance_answers": 0,
                                "resonance": {"me_too": 0, "someone_i_know": 0, "not_me": 0},
                                "product_test_reports": 0, "survey_responses": 0}


def test_the_learning_table_on_the_page_in_the_csv_and_the_api(client, heard):
    from tests.helpers import bearer

    analyst = f.user("analyst")
    body = client.get("/api/v1/analytics/kpis?from=2026-03-01&to=2026-03-31",
                      headers=bearer(analyst)).get_json()
    assert body["learning"]["survey_responses"] == 5 and body["previous"]["learning"]["product_test_reports"] == 1
    assert set(body) >= {"period", "participation", "creativity", "relationship", "outcomes", "reach", "funnel"}
    login(client, analyst)
    rows = list(csv.reader(io.StringIO(client.get(
        "/admin/analytics.csv?from=2026-03-01&to=2026-03-31&table=learning").get_data(as_text=True))))
    assert rows == [["figure", "value", "previous_period"], ["resonance_me_too", "2", "0"],
                    ["resonance_someone_i_know", "1", "0"], ["resonance_not_me", "0", "1"],
                    ["resonance_answers", "3", "1"], ["product_test_reports", "2", "1"],
                    ["survey_responses", "5", "1"]]
    figures = list(csv.reader(io.StringIO(client.get(
        "/admin/analytics.csv?from=2026-03-01&to=2026-03-31&table=figures").get_data(as_text=True))))
    assert ["learning", "resonance", "me_too 2; someone_i_know 1; not_me 0",
            "me_too 0; someone_i_know 0; not_me 1"] in figures
    assert ["learning", "survey_responses", "5", "1"] in figures
    html = _shown(client, "/admin/analytics?from=2026-03-01&to=2026-03-31").get_data(as_text=True)
    assert 'data-testid="kpi-learning"' in html and "Resonance answers collected" in html
    assert "table=learning" in html and f'<option value="{heard["campaign"].id}">Rainy season</option>' in html
    ja = _shown(client, f"/admin/analytics?from=2026-03-01&to=2026-03-31&campaign={heard['campaign'].id}&lang=ja")
    text = ja.get_data(as_text=True)
    assert "共感の回答" in text and "製品テストのレポート" in text and "アンケートの回答" in text
    assert f'<option value="{heard["campaign"].id}" selected>梅雨</option>' in text


def test_the_analyst_sees_counts_and_no_member_s_name_address_or_words(client, heard):
    """Names, e-mail addresses, situations, comments, test rationales: none on the page, in
    any CSV table or in the API answer."""
    from app.models import User
    from tests.helpers import bearer

    analyst = f.user("analyst")
    members = db.session.query(User).filter(User.id != analyst.id).all()
    personal = [u.display_name for u in members] + [u.email for u in members] + \
        ["I need this.", "Dry.", "s0", "s1"]
    login(client, analyst)
    period = "from=2026-03-01&to=2026-03-31"
    answers = [_shown(client, f"/admin/analytics?{period}").get_data(as_text=True)]
    for table in analytics.tables(march()):
        answers.append(client.get(f"/admin/analytics.csv?{period}&table={table}").get_data(as_text=True))
    answers.append(client.get(f"/api/v1/analytics/kpis?{period}", headers=bearer(analyst)).get_data(as_text=True))
    for answer in answers:
        found = [p for p in personal if f">{p}<" in answer or f'"{p}"' in answer or f",{p}," in answer
                 or f"\n{p}," in answer or p in answer.split()]
        assert not found, found


# -- kept results (issue 16 at scale: app.services.kpi_results) --------------------------------

def test_the_kept_result_equals_the_live_figures_and_the_api_adds_computed_at(client, history):
    from app.models.rollups import KpiResult
    from app.services import kpi_results
    from tests.helpers import bearer

    s = analytics.scope("2026-03-01", "2026-03-31")
    assert kpi_results.compute_job("2026-03-01", "2026-03-31") is True
    db.session.expire_all()
    row = kpi_results.kept(s)
    assert row.status == "ready" and row.result == march()  # the same data: the same figures
    body = client.get("/api/v1/analytics/kpis?from=2026-03-01&to=2026-03-31",
                      headers=bearer(f.user("analyst"))).get_json()
    assert body.pop("computed_at") == row.computed_at.isoformat()
    assert body == march()  # every existing key, unchanged
    # A change of data shows at the next refresh, not before.
    _support(history["x"], f.user(), "2026-03-20")
    stale = client.get("/api/v1/analytics/kpis?from=2026-03-01&to=2026-03-31",
                       headers=bearer(f.user("admin"))).get_json()
    assert stale["participation"]["supporters"] == march()["participation"]["supporters"] - 1
    # Older than KPI_REFRESH_MINUTES: the API queues the computation and waits for it (the
    # test's jobs run at the commit).
    row = db.session.scalar(db.select(KpiResult).where(KpiResult.scope_key == kpi_results.scope_key(s)))
    row.computed_at = row.computed_at - timedelta(minutes=11)
    db.session.commit()
    fresh = client.get("/api/v1/analytics/kpis?from=2026-03-01&to=2026-03-31",
                       headers=bearer(f.user("admin"))).get_json()
    assert {k: v for k, v in fresh.items() if k != "computed_at"} == march()
    assert fresh["computed_at"] > stale["computed_at"]


def test_a_period_without_a_kept_result_is_computed_by_the_api_and_kept(client, history):
    from app.models.rollups import KpiResult
    from tests.helpers import bearer

    assert db.session.query(KpiResult).count() == 0
    body = client.get("/api/v1/analytics/kpis?from=2026-03-01&to=2026-03-31&category=kids",
                      headers=bearer(f.user("admin"))).get_json()
    kids = analytics.kpis(analytics.scope("2026-03-01", "2026-03-31", category="kids"))
    assert {k: v for k, v in body.items() if k != "computed_at"} == kids
    assert db.session.query(KpiResult).filter_by(status="ready").count() == 1


def test_the_api_never_computes_in_the_request_it_queues_and_answers_202_or_the_older_result(
        client, history, monkeypatch, app):
    from app import jobs
    from app.models.rollups import KpiResult
    from app.services import kpi_results
    from tests.helpers import bearer, login

    queued, calls = [], []
    monkeypatch.setattr(jobs, "enqueue", lambda name, **kw: queued.append((name, kw)))  # no worker
    real = analytics.kpis
    monkeypatch.setattr(analytics, "kpis", lambda sc: calls.append(sc) or real(sc))
    monkeypatch.setitem(app.config, "KPI_WAIT_SECONDS", 0)
    url, admin = "/api/v1/analytics/kpis?from=2026-03-01&to=2026-03-31", bearer(f.user("admin"))
    answer = client.get(url, headers=admin)
    assert answer.status_code == 202 and answer.headers["Retry-After"] == "5"
    assert answer.get_json() == {"status": "pending", "computed_at": None, "retry_after": 5}
    assert calls == [] and len(queued) == 1  # queued, not computed here
    assert client.get(url, headers=admin).status_code == 202 and len(queued) == 1  # queued once
    login(client, f.user("admin"))
    table = client.get("/admin/analytics.csv?from=2026-03-01&to=2026-03-31")
    assert table.status_code == 202 and "being computed" in table.get_data(as_text=True)
    assert calls == []
    # The worker runs the job: the answer is the figures.
    assert kpi_results.compute_job(**queued[0][1]) is True
    body = client.get(url, headers=admin).get_json()
    assert body.pop("computed_at") and body == march()
    figures = march()
    # Later the result is old and the data changed: the older result is served (computed_at
    # says its age) while the new computation is queued.
    row = db.session.scalar(db.select(KpiResult).where(
        KpiResult.scope_key == kpi_results.scope_key(analytics.scope("2026-03-01", "2026-03-31"))))
    row.computed_at = row.computed_at - timedelta(minutes=11)
    db.session.commit()
    _support(history["x"], f.user(), "2026-03-20")
    computed = len(calls)
    older = client.get(url, headers=admin)
    assert len(calls) == computed  # nothing computed in the request
    assert older.status_code == 200 and older.get_json()["participation"] == figures["participation"]
    assert march()["participation"]["supporters"] == figures["participation"]["supporters"] + 1
    assert len(queued) == 2


def test_the_compute_job_is_queued_once_and_skips_a_fresh_result(app, history, monkeypatch):
    from app import jobs
    from app.services import kpi_results

    queued = []
    monkeypatch.setattr(jobs, "enqueue", lambda name, **kw: queued.append((name, kw)))
    s = analytics.scope("2026-03-01", "2026-03-31")
    assert kpi_results.request(s) is True
    db.session.commit()
    assert kpi_results.request(s) is False  # pending: not queued again
    db.session.commit()
    assert queued == [("analytics.compute", {"from_day": "2026-03-01", "to_day": "2026-03-31",
                                             "category_id": None, "campaign_id": None})]
    calls = []
    real = analytics.kpis
    monkeypatch.setattr(analytics, "kpis", lambda sc: calls.append(sc) or real(sc))
    assert kpi_results.compute_job(**queued[0][1]) is True
    assert kpi_results.compute_job(**queued[0][1]) is False  # a second delivery: nothing to do
    assert len(calls) == 1
    assert kpi_results.request(s) is False  # fresh: the page serves it, nothing queued
    assert len(queued) == 1


def test_the_refresh_keeps_the_standard_periods(app, history):
    from app.models.rollups import KpiResult
    from app.services import kpi_results

    today = datetime.now(UTC).date()
    computed = kpi_results.refresh_job()
    scopes = kpi_results.standard_scopes(today)
    assert computed == len(scopes) >= 4 + 1  # 4 presets, and the last 30 days of each category
    assert db.session.query(KpiResult).filter_by(status="ready").count() == len(scopes)
    assert kpi_results.refresh_job() == 0  # fresh: a second scheduler does nothing
    last_30 = kpi_results.kept(analytics.scope(None, None))
    assert last_30.result == analytics.kpis(analytics.scope(None, None))
