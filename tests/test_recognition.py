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
