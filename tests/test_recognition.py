"""Recognition: points and counts kept by the rollup (once per source row, with decay), levelled
badges, the monthly leaderboard per category with opt-out, thanks from staff and creators
(shown on the profile; a thanked comment is helpful), rewards granted then delivered."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from app.models import AuditLog, Comment, Notification
from app.models.base import utcnow
from app.models.recognition import MemberStats, PointEvent
from app.services import recognition as service
from tests import factories as f
from tests.helpers import bearer, csrf_token, login


def _rollup(db) -> None:
    service.rollup()
    db.session.expire_all()


def _comment(idea, author, body="Nice idea") -> Comment:
    row = Comment(idea_id=idea.id, author_id=author.id, body=body)
    f.db.session.add(row)
    f.db.session.commit()
    return row


def test_the_rollup_keeps_points_and_counts_once(client, db):
    member = f.user()
    ideas = [f.idea() for _ in range(3)]
    for idea in ideas:
        f.support(idea, member)
    _comment(ideas[0], member)
    _rollup(db)
    stats = db.session.get(MemberStats, member.id)
    assert (stats.supports_given, stats.comments_posted) == (3, 1)
    assert stats.points == 3 * service.POINTS["support_given"] + service.POINTS["comment_posted"]
    _rollup(db)  # again: nothing new, nothing twice
    assert db.session.get(MemberStats, member.id).points == stats.points
    assert db.session.scalar(select(func.count()).select_from(PointEvent).where(
        PointEvent.user_id == member.id)) == 4
    f.support(f.idea(), member)
    _rollup(db)
    assert db.session.get(MemberStats, member.id).supports_given == 4


def test_published_ideas_count_for_their_owner(client, db):
    from app.services import events

    owner = f.user()
    idea = f.idea(owner)
    events.record(None, "published", idea, to_status="published")
    db.session.commit()
    _rollup(db)
    stats = db.session.get(MemberStats, owner.id)
    assert stats.ideas_posted == 1 and stats.points == service.POINTS["idea_published"]
    body = client.get(f"/api/v1/users/{owner.id}/recognition").get_json()
    badge = next(b for b in body["badges"] if b["badge"] == "ideas_posted")
    assert (badge["level"], badge["count"], badge["next_at"]) == (1, 1, 5)


def test_the_standing_decays_and_the_total_does_not(app, db):
    member = f.user()
    f.support(f.idea(), member)
    _rollup(db)
    stats = db.session.get(MemberStats, member.id)
    half = app.config.get("RECOGNITION_HALF_LIFE_DAYS", 90)
    later = utcnow() + timedelta(days=half)
    assert service.decayed(10.0, utcnow(), later) == __import__("pytest").approx(5.0, rel=1e-3)
    assert service.standing(stats, later) == round(stats.score / 2)
    assert stats.points == service.POINTS["support_given"]


def test_the_leaderboard_per_category_without_those_who_opted_out(client, db):
    top, second, shy = f.user(name="Top"), f.user(name="Second"), f.user(name="Shy")
    kids = f.idea(category_slug="kids")
    for idea in (f.idea(), f.idea(), kids):
        f.support(idea, top)
    f.support(f.idea(), second)
    for idea in (f.idea(), f.idea(), f.idea(), f.idea()):
        f.support(idea, shy)
    _rollup(db)
    opted = client.patch("/api/v1/me/recognition", headers=bearer(shy),
                         json={"leaderboard_opt_out": True})
    assert opted.status_code == 200 and opted.get_json() == {"leaderboard_opt_out": True}
    board = client.get("/api/v1/leaderboard").get_json()
    assert [(r["display_name"], r["points"]) for r in board["items"]] == [("Top", 3), ("Second", 1)]
    assert [r["display_name"] for r in client.get("/api/v1/leaderboard?category=kids")
            .get_json()["items"]] == ["Top"]
    assert client.get("/api/v1/leaderboard?month=2020-13").status_code == 422
    page = client.get("/leaderboard").get_data(as_text=True)
    assert "Top" in page and "Shy" not in page


def test_an_account_being_deleted_leaves_the_board_at_once(client, db):
    """Its points stay until the erasure job has run; the board does not rank "Deleted member"
    meanwhile."""
    from app.services import deletion

    leaving, staying = f.user(name="Leaving"), f.user(name="Staying")
    for idea in (f.idea(), f.idea()):
        f.support(idea, leaving)
    f.support(f.idea(), staying)
    _rollup(db)
    deletion.start_deletion(leaving)
    db.session.commit()
    board = client.get("/api/v1/leaderboard").get_json()
    assert [r["display_name"] for r in board["items"]] == ["Staying"]
    assert "Deleted member" not in client.get("/leaderboard").get_data(as_text=True)


def test_creators_and_staff_thank_members_and_a_thanked_comment_is_helpful(client, db):
    owner, commenter, stranger = f.user(), f.user(name="Helpful Hana"), f.user()
    idea = f.idea(owner)
    comment = _comment(idea, commenter, "Try a magnetic lid")
    thanked = client.post(f"/api/v1/users/{commenter.id}/thanks", headers=bearer(owner),
                          json={"message": "The lid idea", "comment_id": comment.id})
    assert thanked.status_code == 201
    again = client.post(f"/api/v1/users/{commenter.id}/thanks", headers=bearer(owner),
                        json={"message": "Again", "comment_id": comment.id})
    assert again.status_code == 409 and again.get_json()["error"]["code"] == "already_thanked"
    refused = client.post(f"/api/v1/users/{commenter.id}/thanks", headers=bearer(stranger),
                          json={"message": "Cool", "comment_id": comment.id})
    assert refused.status_code == 403 and refused.get_json()["error"]["code"] == "not_a_creator"
    nothing = client.post(f"/api/v1/users/{commenter.id}/thanks", headers=bearer(stranger),
                          json={"message": "Cool"})
    assert nothing.status_code == 403
    self_thanks = client.post(f"/api/v1/users/{owner.id}/thanks", headers=bearer(owner),
                              json={"message": "Me", "idea_id": idea.id})
    assert self_thanks.status_code == 403
    staff = f.user("community_manager")
    assert client.post(f"/api/v1/users/{commenter.id}/thanks", headers=bearer(staff),
                       json={"message": "For being kind"}).status_code == 201
    _rollup(db)
    stats = db.session.get(MemberStats, commenter.id)
    assert (stats.thanks_received, stats.helpful_comments) == (2, 1)
    profile = client.get(f"/users/{commenter.id}").get_data(as_text=True)
    assert "The lid idea" in profile and "For being kind" in profile
    assert db.session.scalar(select(func.count()).select_from(Notification).where(
        Notification.kind == "thanked", Notification.user_id == commenter.id)) == 2


def test_rewards_are_granted_then_delivered_once(client, db):
    member, staff = f.user(), f.user("community_manager")
    assert client.post(f"/api/v1/users/{member.id}/rewards", headers=bearer(f.user()),
                       json={"kind": "free_copy", "description": "The lamp"}).status_code == 403
    granted = client.post(f"/api/v1/users/{member.id}/rewards", headers=bearer(staff),
                          json={"kind": "free_copy", "description": "A copy of the lamp"})
    assert granted.status_code == 201 and granted.get_json()["status"] == "granted"
    reward_id = granted.get_json()["id"]
    mine = client.get(f"/api/v1/users/{member.id}/rewards", headers=bearer(member)).get_json()
    assert [r["description"] for r in mine["items"]] == ["A copy of the lamp"]
    assert client.get(f"/api/v1/users/{member.id}/rewards",
                      headers=bearer(f.user())).status_code == 403
    delivered = client.post(f"/api/v1/rewards/{reward_id}/delivery", headers=bearer(staff))
    assert delivered.status_code == 200 and delivered.get_json()["status"] == "delivered"
    twice = client.post(f"/api/v1/rewards/{reward_id}/delivery", headers=bearer(staff))
    assert twice.status_code == 409 and twice.get_json()["error"]["code"] == "already_delivered"
    assert set(db.session.scalars(select(AuditLog.action).where(
        AuditLog.action.like("reward.%")))) == {"reward.grant", "reward.deliver"}
    kinds = set(db.session.scalars(select(Notification.kind).where(
        Notification.user_id == member.id)))
    assert {"reward_granted", "reward_delivered"} <= kinds


def test_the_recognition_pages(client, db):
    member, staff = f.user(), f.user("admin")
    login(client, member)
    page = client.get("/me/recognition").get_data(as_text=True)
    assert "Leave me off the leaderboard" in page
    response = client.post("/me/recognition", data={
        "csrf_token": csrf_token(client, "/me/recognition"), "leaderboard_opt_out": "y"})
    assert response.status_code == 302
    assert db.session.get(MemberStats, member.id).leaderboard_opt_out is True
    assert client.get("/recognition/rewards").status_code == 403
    staff_client = client.application.test_client()
    login(staff_client, staff)
    response = staff_client.post("/recognition/rewards", data={
        "csrf_token": csrf_token(staff_client, "/recognition/rewards"), "user_id": member.id,
        "kind": "discount", "description": "20% off"})
    assert response.status_code == 302
    assert "20% off" in staff_client.get("/recognition/rewards").get_data(as_text=True)
    ja = client.get("/me/recognition", headers={"Accept-Language": "ja"}).get_data(as_text=True)
    assert "20% off" in ja and "リーダーボード" in ja


# --- sessions attended, product tests completed, people brought ---------------------------------

def _planned_session(staff, idea=None):
    from app.services import sessions

    session = sessions.create_session(staff, {
        "title": "Quiet mornings", "purpose": "Commutes with toddlers", "mode": "in_person",
        "place_or_url": "Studio 2", "starts_at": (utcnow() + timedelta(days=3)).isoformat(),
        "duration_minutes": 60, "capacity": 5, "idea_id": idea.id if idea else None})
    f.db.session.commit()
    return session


def _badge(client, user, slug) -> dict:
    body = client.get(f"/api/v1/users/{user.id}/recognition").get_json()
    return next(b for b in body["badges"] if b["badge"] == slug)


def test_sessions_attended_count_once_each_with_points_in_the_ideas_category(client, db):
    from app.models.recognition import MonthlyPoints
    from app.services import sessions

    staff, present, absent = f.user("community_manager"), f.user(), f.user()
    idea = f.idea(category_slug="kids")
    session = _planned_session(staff, idea)
    sessions.invite(staff, session.id, [present.id, absent.id])
    sessions.record_attendance(staff, session.id, [present.id])
    sessions.record_attendance(staff, session.id, [present.id])  # again: nobody new
    db.session.commit()
    _rollup(db)
    _rollup(db)
    stats = db.session.get(MemberStats, present.id)
    assert stats.sessions_attended == 1
    assert stats.points == service.POINTS["session_attended"]
    assert db.session.get(MemberStats, absent.id) is None
    assert (_badge(client, present, "sessions_attended")["level"],
            _badge(client, present, "sessions_attended")["next_at"]) == (1, 3)
    kids = idea.category_id
    assert db.session.scalar(select(MonthlyPoints.points).where(
        MonthlyPoints.user_id == present.id, MonthlyPoints.category_id == kids)) == \
        service.POINTS["session_attended"]
    second = _planned_session(staff)
    sessions.invite(staff, second.id, [present.id])
    sessions.record_attendance(staff, second.id, [present.id])
    db.session.commit()
    _rollup(db)
    assert db.session.get(MemberStats, present.id).sessions_attended == 2


def test_a_product_test_report_counts_as_a_test_completed(client, db):
    from app.models import ProductTest, ProductTestReport

    tester = f.user()
    idea = f.in_review()
    test = ProductTest(idea_id=idea.id, title="Strap", brief="Try it", testers=2,
                       opens_on=utcnow().date(), closes_on=utcnow().date())
    db.session.add(test)
    db.session.flush()
    db.session.add(ProductTestReport(test_id=test.id, user_id=tester.id, customer_value=3,
                                     uniqueness=2, feasibility=2, marketability=1,
                                     rationale="It folds fast."))
    db.session.commit()
    _rollup(db)
    stats = db.session.get(MemberStats, tester.id)
    assert (stats.tests_completed, stats.points) == (1, service.POINTS["test_completed"])
    badge = _badge(client, tester, "tests_completed")
    assert (badge["level"], badge["count"]) == (1, 1)


def test_a_person_brought_counts_once_for_the_sharer(client, db):
    from app.services import referrals

    sharer, newcomer, other = f.user(), f.user(), f.user()
    idea, second = f.idea(), f.idea()
    referrals.record_signup(sharer.id, newcomer, idea.id)
    referrals.record_support(sharer.id, newcomer, idea.id)  # the same person again
    db.session.commit()
    _rollup(db)
    stats = db.session.get(MemberStats, sharer.id)
    assert (stats.people_brought, stats.points) == (1, service.POINTS["person_brought"])
    referrals.record_support(sharer.id, newcomer, second.id)  # still the same person
    referrals.record_support(sharer.id, other, second.id)
    db.session.commit()
    _rollup(db)
    stats = db.session.get(MemberStats, sharer.id)
    assert (stats.people_brought, stats.points) == (2, 2 * service.POINTS["person_brought"])
    assert db.session.get(MemberStats, newcomer.id) is None  # being brought earns nothing
    badge = _badge(client, sharer, "people_brought")
    assert (badge["level"], badge["count"], badge["next_at"]) == (1, 2, 5)
    login(client, sharer)
    page = client.get("/me/recognition").get_data(as_text=True)
    assert "Ambassador" in page and "Co-creator" in page and "Tester" in page
    ja = client.get("/me/recognition", headers={"Accept-Language": "ja"}).get_data(as_text=True)
    assert "アンバサダー" in ja


# --- thanking on the pages ----------------------------------------------------------------------

def test_a_creator_thanks_a_commenter_on_the_idea_page(client, db):
    from app.models.recognition import Thanks

    owner, commenter = f.user(), f.user(name="Helpful Hana")
    idea = f.idea(owner)
    comment = _comment(idea, commenter, "Try a magnetic lid")
    own = _comment(idea, owner, "Thanks all")
    login(client, owner)
    page = client.get(f"/ideas/{idea.id}").get_data(as_text=True)
    assert page.count('data-testid="thank-comment"') == 1  # not on their own comment
    assert f'name="comment_id" value="{comment.id}"' in page
    assert f'name="comment_id" value="{own.id}"' not in page
    response = client.post(f"/users/{commenter.id}/thanks", data={
        "csrf_token": csrf_token(client, f"/ideas/{idea.id}"), "message": "The lid idea",
        "comment_id": comment.id, "next": f"/ideas/{idea.id}#comment-{comment.id}"})
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/ideas/{idea.id}#comment-{comment.id}")
    row = db.session.scalar(select(Thanks))
    assert (row.to_user_id, row.comment_id, row.idea_id) == (commenter.id, comment.id, idea.id)
    page = client.get(f"/ideas/{idea.id}").get_data(as_text=True)
    assert 'data-testid="thank-comment"' not in page and 'data-testid="thanked"' in page
    _rollup(db)
    assert db.session.get(MemberStats, commenter.id).helpful_comments == 1
    assert "The lid idea" in client.get(f"/users/{commenter.id}").get_data(as_text=True)
    ja = client.get(f"/ideas/{idea.id}", headers={"Accept-Language": "ja"}).get_data(as_text=True)
    assert "お礼を伝えました" in ja


def test_other_members_have_no_thank_action_and_cannot_post_one(client, db):
    from app.models.recognition import Thanks

    idea = f.idea()
    commenter, stranger = f.user(), f.user()
    comment = _comment(idea, commenter)
    login(client, stranger)
    page = client.get(f"/ideas/{idea.id}").get_data(as_text=True)
    assert 'data-testid="thank-comment"' not in page
    response = client.post(f"/users/{commenter.id}/thanks", data={
        "csrf_token": csrf_token(client, f"/ideas/{idea.id}"), "message": "Nice",
        "comment_id": comment.id, "next": "//evil.example/"})
    assert response.status_code == 403
    assert db.session.scalar(select(func.count()).select_from(Thanks)) == 0


def test_staff_thank_a_member_on_their_profile(client, db):
    from app.models.recognition import Thanks

    member, staff = f.user(name="Quiet Kenji"), f.user("community_manager")
    login(client, f.user())
    assert f'action="/users/{member.id}/thanks"' not in client.get(
        f"/users/{member.id}").get_data(as_text=True)
    login(client, staff)
    page = client.get(f"/users/{member.id}").get_data(as_text=True)
    assert f'action="/users/{member.id}/thanks"' in page
    assert f'action="/users/{staff.id}/thanks"' not in client.get(
        f"/users/{staff.id}").get_data(as_text=True)
    token = csrf_token(client, f"/users/{member.id}")
    response = client.post(f"/users/{member.id}/thanks",
                           data={"csrf_token": token, "message": "For the test reports",
                                 "next": "/\\evil.example"}, follow_redirects=False)
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/users/{member.id}")
    assert db.session.scalar(select(Thanks.message)) == "For the test reports"
    blank = client.post(f"/users/{member.id}/thanks", data={"csrf_token": token, "message": ""})
    assert blank.status_code == 302
    assert db.session.scalar(select(func.count()).select_from(Thanks)) == 1
    assert "For the test reports" in client.get(f"/users/{member.id}").get_data(as_text=True)


def test_the_creators_idea_page_costs_the_same_with_few_or_many_comments(client, db,
                                                                         count_queries):
    owner = f.user()
    small, big = f.idea(owner), f.idea(owner)
    _comment(small, f.user())
    for n in range(12):
        top = _comment(big, f.user(), f"Comment {n}")
        db.session.add(Comment(idea_id=big.id, author_id=f.user().id, parent_id=top.id,
                               body="A reply"))
    db.session.commit()
    login(client, owner)
    counts = []
    for url in (f"/ideas/{small.id}", f"/ideas/{big.id}"):
        client.get(url)
        db.session.expunge_all()
        with count_queries() as queries:
            response = client.get(url)
        assert response.status_code == 200
        counts.append(queries.count)
    assert response.get_data(as_text=True).count('data-testid="thank-comment"') == 24
    assert counts[0] == counts[1]
