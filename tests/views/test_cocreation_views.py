"""HTML: co-creation pages: staff plan a session and invite, invitees accept or decline on
"My sessions" (full sessions and the waiting list), feedback, the partner pool page with its
selection, product test pages; who may open what; English and Japanese."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from app.models import CoSession, SessionInvitation
from app.models.base import utcnow
from app.services import partners, sessions
from tests import factories
from tests.helpers import csrf_token, login


def _planned(staff=None, **overrides):
    staff = staff or factories.user("community_manager")
    data = {"title": "Quiet mornings", "purpose": "Commutes with toddlers", "mode": "online",
            "place_or_url": "https://meet.example.com/q",
            "starts_at": (utcnow() + timedelta(days=5)).isoformat(), "duration_minutes": 60,
            "capacity": 1, **overrides}
    session = sessions.create_session(staff, data)
    from app.extensions import db

    db.session.commit()
    return session


def _invited(session, *members):
    from app.extensions import db

    sessions.invite(factories.user("admin"), session.id, [m.id for m in members])
    db.session.commit()


def test_staff_plan_a_session_with_the_form(client, db):
    staff = factories.user("community_manager")
    login(client, staff)
    token = csrf_token(client, "/staff/sessions")
    starts = (utcnow() + timedelta(days=10)).strftime("%Y-%m-%dT%H:%M")
    response = client.post("/staff/sessions", data={
        "csrf_token": token, "title": "Strap ideas", "purpose": "Find the pain points",
        "mode": "online", "place_or_url": "https://meet.example.com/strap", "starts_at": starts,
        "duration_minutes": 60, "capacity": 6, "repeat_monthly": 1})
    assert response.status_code == 302, response.get_data(as_text=True)
    session = db.session.scalar(select(CoSession))
    assert sum(item["minutes"] for item in session.agenda) == 60
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Strap ideas" in page and 'data-testid="agenda-form"' in page and "World café" in page


def test_the_form_refuses_an_online_session_of_120_minutes(client, db):
    login(client, factories.user("admin"))
    token = csrf_token(client, "/staff/sessions")
    response = client.post("/staff/sessions", data={
        "csrf_token": token, "title": "Long", "purpose": "Too long", "mode": "online",
        "place_or_url": "https://meet.example.com/long",
        "starts_at": (utcnow() + timedelta(days=10)).strftime("%Y-%m-%dT%H:%M"),
        "duration_minutes": 120, "capacity": 6, "repeat_monthly": 1})
    assert response.status_code == 422
    assert "at most 90 minutes" in response.get_data(as_text=True)
    assert db.session.scalar(select(CoSession)) is None


def test_members_and_other_staff_cannot_open_staff_pages(client, db):
    for roles in ((), ("moderator",), ("reviewer",)):
        login(client, factories.user(*roles))
        for path in ("/staff/sessions", "/staff/partners", "/staff/product-tests"):
            assert client.get(path).status_code == 403, (roles, path)


def test_an_invitee_accepts_on_my_sessions(client, db):
    session = _planned()
    member = factories.user()
    _invited(session, member)
    login(client, member)
    page = client.get("/co-creation/sessions").get_data(as_text=True)
    assert "Quiet mornings" in page and ">invited<" in page
    token = csrf_token(client, "/co-creation/sessions")
    response = client.post(f"/co-creation/sessions/{session.id}/registration",
                           data={"csrf_token": token}, follow_redirects=True)
    assert "You have a place" in response.get_data(as_text=True)
    assert db.session.scalar(select(SessionInvitation.status)) == "accepted"


def test_a_full_session_offers_the_waiting_list(client, db):
    session = _planned(capacity=1)
    holder, late = factories.user(), factories.user()
    _invited(session, holder, late)
    sessions.register(holder, session.id)
    db.session.commit()
    login(client, late)
    page = client.get("/co-creation/sessions").get_data(as_text=True)
    assert "Join the waiting list" in page
    token = csrf_token(client, "/co-creation/sessions")
    # Without asking for the waiting list: the refusal is shown, nothing changes.
    refused = client.post(f"/co-creation/sessions/{session.id}/registration",
                          data={"csrf_token": token}, follow_redirects=True)
    assert "This session is full" in refused.get_data(as_text=True)
    client.post(f"/co-creation/sessions/{session.id}/registration",
                data={"csrf_token": token, "waiting_list": "y"})
    assert db.session.scalar(select(SessionInvitation.status).where(
        SessionInvitation.user_id == late.id)) == "waiting"


def test_declining_gives_the_place_to_the_waiting_list(client, db):
    session = _planned(capacity=1)
    holder, late = factories.user(), factories.user()
    _invited(session, holder, late)
    sessions.register(holder, session.id)
    sessions.register(late, session.id, join_waiting_list=True)
    db.session.commit()
    login(client, holder)
    token = csrf_token(client, "/co-creation/sessions")
    client.post(f"/co-creation/sessions/{session.id}/decline", data={"csrf_token": token})
    assert db.session.scalar(select(SessionInvitation.status).where(
        SessionInvitation.user_id == late.id)) == "accepted"


def test_an_attendee_gives_feedback_on_the_page(client, db):
    session = _planned()
    member = factories.user()
    _invited(session, member)
    sessions.register(member, session.id)
    sessions.record_attendance(factories.user("admin"), session.id, [member.id])
    session.starts_at = utcnow() - timedelta(hours=2)
    db.session.commit()
    login(client, member)
    page = client.get("/co-creation/sessions").get_data(as_text=True)
    assert 'data-testid="feedback-form"' in page
    token = csrf_token(client, "/co-creation/sessions")
    response = client.post(f"/co-creation/sessions/{session.id}/feedback",
                           data={"csrf_token": token, "satisfaction": "5", "comment": "Great"},
                           follow_redirects=True)
    assert "Thank you for your feedback" in response.get_data(as_text=True)
    assert sessions.feedback_summary(session.id)["count"] == 1


def test_my_sessions_in_japanese(client, db):
    session = _planned()
    member = factories.user(locale="ja")
    _invited(session, member)
    login(client, member)
    page = client.get("/co-creation/sessions?lang=ja").get_data(as_text=True)
    assert "マイセッション" in page and "承諾する" in page


def test_the_partner_pool_page_explains_and_builds_a_selection(client, db):
    member = factories.user(name="Keen Supporter", locale="ja")
    member.marketing_mail = True  # agreed to be contacted: the pool lists them
    factories.support(factories.idea(), member, reason="x" * 50)
    partners.refresh()
    db.session.commit()
    login(client, factories.user("community_manager"))
    page = client.get("/staff/partners").get_data(as_text=True)
    assert "Keen Supporter" in page and "How the scores are measured" in page
    assert "multiplied by 4 in the last 30 days" in page
    page = client.get(f"/staff/partners?selected={member.id}").get_data(as_text=True)
    assert "Selection (1)" in page and "In the selection." in page
    assert "Everyone selected reads the site in one language" in page


def test_the_pool_page_invites_the_selection(client, db):
    session = _planned(capacity=5)
    member = factories.user()
    login(client, factories.user("admin"))
    token = csrf_token(client, "/staff/partners")
    response = client.post("/staff/partners/invite", data={
        "csrf_token": token, "session_id": session.id, "user_ids": str(member.id)})
    assert response.status_code == 302
    assert db.session.scalar(select(SessionInvitation.user_id)) == member.id


def test_product_test_pages_apply_and_report(client, db):
    from app.services import product_tests

    idea = factories.in_review(title="Folding stroller")
    staff = factories.user("community_manager")
    test = product_tests.open_test(staff, {"idea_id": idea.id, "title": "Strap test",
                                           "brief": "Try it", "testers": 3,
                                           "opens_on": "2030-01-01", "closes_on": "2040-01-01"})
    db.session.commit()
    tester = factories.user()
    login(client, tester)
    token = csrf_token(client, f"/product-tests/{test.id}")
    client.post(f"/product-tests/{test.id}/applications", data={"csrf_token": token})
    product_tests.select_testers(staff, test.id, [tester.id])
    db.session.commit()
    page = client.get(f"/product-tests/{test.id}").get_data(as_text=True)
    assert 'data-testid="report-form"' in page
    response = client.post(f"/product-tests/{test.id}/reports", data={
        "csrf_token": token, "customer_value": "3", "uniqueness": "2", "feasibility": "2",
        "marketability": "1", "rationale": "Folds fast"}, follow_redirects=True)
    assert "your report is sent" in response.get_data(as_text=True)
    login(client, staff)
    page = client.get(f"/staff/product-tests/{test.id}").get_data(as_text=True)
    assert "1 tester reported" in page


def test_a_session_is_404_for_a_member_on_the_staff_page(client, db):
    session = _planned()
    login(client, factories.user())
    assert client.get(f"/staff/sessions/{session.id}").status_code == 403


def test_list_pages_cost_the_same_queries_for_few_or_many(client, db, count_queries):
    staff = factories.user("admin")
    member = factories.user()
    member.marketing_mail = True
    login(client, staff)
    _invited(_planned(staff), member)
    factories.support(factories.idea(), member, reason="x" * 50)
    partners.refresh()
    db.session.commit()
    pages = ("/staff/partners", "/staff/sessions")
    few = {}
    for path in pages:
        client.get(path)
        with count_queries() as counted:
            client.get(path)
        few[path] = counted.count
    for _ in range(4):
        other = factories.user()
        other.marketing_mail = True
        _invited(_planned(staff), other)
        factories.support(factories.idea(category_slug="outdoor"), other, reason="y" * 50)
    partners.refresh()
    db.session.commit()
    for path in pages:
        with count_queries() as many:
            client.get(path)
        assert many.count == few[path], (path, many)
    login(client, member)
    client.get("/co-creation/sessions")
    with count_queries() as mine_few:
        client.get("/co-creation/sessions")
    for _ in range(3):
        _invited(_planned(staff), member)
    with count_queries() as mine_many:
        client.get("/co-creation/sessions")
    assert mine_many.count == mine_few.count, mine_many


def test_staff_cancel_a_session_on_its_page_and_invitees_see_why(client, db):
    staff = factories.user("community_manager")
    session = _planned(staff)
    member = factories.user(locale="ja")
    _invited(session, member)
    login(client, staff)
    page = client.get(f"/staff/sessions/{session.id}").get_data(as_text=True)
    assert 'data-testid="cancel-form"' in page
    token = csrf_token(client, f"/staff/sessions/{session.id}")
    blank = client.post(f"/staff/sessions/{session.id}/cancel",
                        data={"csrf_token": token, "reason": ""}, follow_redirects=True)
    assert db.session.get(CoSession, session.id).cancelled_at is None
    assert 'data-testid="cancel-form"' in blank.get_data(as_text=True)
    response = client.post(f"/staff/sessions/{session.id}/cancel",
                           data={"csrf_token": token, "reason": "The host is ill."},
                           follow_redirects=True)
    page = response.get_data(as_text=True)
    assert "The session is cancelled; its invitees are told." in page
    assert 'data-testid="cancelled"' in page and "The host is ill." in page
    assert 'data-testid="cancel-form"' not in page and 'data-testid="invite-form"' not in page
    assert "cancelled" in client.get("/staff/sessions").get_data(as_text=True)
    login(client, member)
    mine = client.get("/co-creation/sessions?lang=ja").get_data(as_text=True)
    assert 'data-testid="my-session-cancelled"' in mine and "The host is ill." in mine
    assert "中止" in mine and "承諾する" not in mine
    token = csrf_token(client, "/co-creation/sessions")
    client.post(f"/co-creation/sessions/{session.id}/registration", data={"csrf_token": token})
    assert db.session.scalar(select(SessionInvitation.status)) == "invited"


def test_only_community_staff_cancel_a_session(client, db):
    session = _planned()
    login(client, factories.user())
    response = client.post(f"/staff/sessions/{session.id}/cancel",
                           data={"csrf_token": csrf_token(client, "/co-creation/sessions"),
                                 "reason": "No"})
    assert response.status_code == 403
    assert db.session.get(CoSession, session.id).cancelled_at is None
