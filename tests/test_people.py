"""Following members: the profile button and the API, kept follower numbers, and a followed
member's new ideas and updates reaching their followers (in batches, by the fan-out job)."""
from __future__ import annotations

from sqlalchemy import func, insert, select

from app.models import MemberCounter, Notification, User, UserFollow
from app.models.base import utcnow
from app.services import comments, moderation, people
from tests import factories as f
from tests.helpers import bearer, csrf_token, login


def _follow_api(client, follower, followed, method="post"):
    return getattr(client, method)(f"/api/v1/users/{followed.id}/follow", headers=bearer(follower))


def _told(db, kind, idea=None):
    query = select(Notification.user_id).where(Notification.kind == kind)
    if idea is not None:
        query = query.where(Notification.idea_id == idea.id)
    return set(db.session.scalars(query))


# --- the API --------------------------------------------------------------------------------

def test_member_follows_another_member_through_the_api(db, client):
    follower, creator = f.user(), f.user()
    answer = _follow_api(client, follower, creator)
    assert answer.status_code == 201
    assert answer.get_json() == {"id": creator.id, "display_name": creator.display_name,
                                 "followers": 1, "following": 0, "followed_by_me": True}
    assert _follow_api(client, follower, creator).status_code == 200  # already following
    assert people.numbers(creator).followers == 1
    assert people.numbers(follower).following == 1


def test_unfollowing_through_the_api_answers_204_and_lowers_the_counts(db, client):
    follower, creator = f.user(), f.user()
    _follow_api(client, follower, creator)
    assert _follow_api(client, follower, creator, "delete").status_code == 204
    assert _follow_api(client, follower, creator, "delete").status_code == 204  # idempotent
    assert people.numbers(creator).followers == 0
    assert people.numbers(follower).following == 0
    assert db.session.scalar(select(func.count()).select_from(UserFollow)) == 0


def test_nobody_can_follow_themselves(db, client):
    member = f.user()
    answer = _follow_api(client, member, member)
    assert answer.status_code == 403
    assert answer.get_json()["error"]["code"] == "cannot_follow_self"
    assert people.numbers(member).followers == 0


def test_an_unconfirmed_member_cannot_follow(db, client):
    unconfirmed, creator = f.user(confirmed=False), f.user()
    answer = _follow_api(client, unconfirmed, creator)
    assert answer.status_code == 403
    assert answer.get_json()["error"]["code"] == "email_not_confirmed"


def test_following_needs_a_token(db, client):
    creator = f.user()
    assert client.post(f"/api/v1/users/{creator.id}/follow").status_code == 401
    assert client.delete(f"/api/v1/users/{creator.id}/follow").status_code == 401


def test_a_blocked_or_missing_member_cannot_be_followed(db, client):
    follower, blocked = f.user(), f.user()
    blocked.blocked_at = utcnow()
    db.session.commit()
    assert _follow_api(client, follower, blocked).status_code == 404
    assert client.post("/api/v1/users/999999/follow", headers=bearer(follower)).status_code == 404
    assert client.get(f"/api/v1/users/{blocked.id}").status_code == 404


def test_a_blocked_member_cannot_follow(db, client):
    follower, creator = f.user(), f.user()
    headers = bearer(follower)
    follower.blocked_at = utcnow()
    db.session.commit()
    assert client.post(f"/api/v1/users/{creator.id}/follow", headers=headers).status_code in (401, 403)
    assert people.numbers(creator).followers == 0


def test_the_public_member_answer_shows_the_kept_numbers(db, client):
    creator = f.user()
    for _ in range(3):
        _follow_api(client, f.user(), creator)
    answer = client.get(f"/api/v1/users/{creator.id}").get_json()
    assert answer["followers"] == 3 and answer["followed_by_me"] is False
    assert "email" not in answer


def test_the_counts_are_kept_not_counted(db, client):
    """The profile reads member_counters: a follow row inserted behind its back is not counted."""
    creator, follower = f.user(), f.user()
    db.session.execute(insert(UserFollow).values(follower_id=follower.id, followed_id=creator.id,
                                                 created_at=utcnow()))
    db.session.commit()
    assert client.get(f"/api/v1/users/{creator.id}").get_json()["followers"] == 0
    assert db.session.get(MemberCounter, creator.id) is None


# --- the profile page -----------------------------------------------------------------------

def test_the_profile_page_has_a_follow_button_that_follows(db, client):
    follower, creator = f.user(), f.user(name="Aiko")
    login(client, follower)
    page = client.get(f"/users/{creator.id}").get_data(as_text=True)
    assert 'data-testid="follow-member"' in page and "0 followers" in page
    answer = client.post(f"/users/{creator.id}/follow",
                         data={"csrf_token": csrf_token(client, f"/users/{creator.id}")})
    assert answer.status_code == 302
    page = client.get(f"/users/{creator.id}").get_data(as_text=True)
    assert 'data-testid="unfollow-member"' in page and "1 follower" in page
    client.post(f"/users/{creator.id}/unfollow",
                data={"csrf_token": csrf_token(client, f"/users/{creator.id}")})
    assert people.numbers(creator).followers == 0


def test_the_follow_button_in_japanese(db, client):
    follower, creator = f.user(locale="ja"), f.user()
    login(client, follower)
    page = client.get(f"/users/{creator.id}", headers={"Accept-Language": "ja"}).get_data(as_text=True)
    assert "フォローする" in page


def test_the_own_profile_has_no_follow_button(db, client):
    member = f.user()
    login(client, member)
    page = client.get(f"/users/{member.id}").get_data(as_text=True)
    assert 'data-testid="follow-member"' not in page


def test_a_visitor_is_sent_to_sign_in_to_follow(db, client):
    creator = f.user()
    page = client.get(f"/users/{creator.id}").get_data(as_text=True)
    assert 'data-testid="follow-member"' in page
    answer = client.post(f"/users/{creator.id}/follow",
                         data={"csrf_token": csrf_token(client, f"/users/{creator.id}")})
    assert answer.status_code == 302 and "/login" in answer.headers["Location"]
    assert people.numbers(creator).followers == 0


def test_the_follow_form_needs_its_csrf_token(db, client):
    follower, creator = f.user(), f.user()
    login(client, follower)
    client.post(f"/users/{creator.id}/follow", data={})
    assert people.numbers(creator).followers == 0


# --- what followers hear --------------------------------------------------------------------

def test_followers_hear_of_a_newly_published_idea(db, client):
    creator, moderator = f.user(name="Aiko"), f.user("moderator")
    follower, other = f.user(), f.user()
    _follow_api(client, follower, creator)
    idea = f.idea(creator, status="pending_moderation", title="Folding stool")
    moderation.decide(moderator, idea.id, "publish")
    db.session.commit()
    assert _told(db, "member_new_idea", idea) == {follower.id}
    row = db.session.scalar(select(Notification).where(Notification.kind == "member_new_idea"))
    assert row.message == "Aiko, whom you follow, published a new idea: “Folding stool”."
    assert other.id not in _told(db, "member_new_idea")


def test_a_follower_reads_it_in_japanese(db, client):
    from app.i18n import speaking_to

    creator, moderator = f.user(name="Aiko"), f.user("moderator")
    follower = f.user(locale="ja")
    _follow_api(client, follower, creator)
    idea = f.idea(creator, status="pending_moderation", title="Folding stool")
    moderation.decide(moderator, idea.id, "publish")
    db.session.commit()
    row = db.session.scalar(select(Notification).where(Notification.kind == "member_new_idea"))
    with speaking_to(follower):
        assert "Aiko" in row.message and "フォロー" in row.message


def test_followers_of_any_co_creator_hear_of_it_once(db, client):
    owner, partner, moderator = f.user(), f.user(), f.user("moderator")
    fan = f.user()
    _follow_api(client, fan, owner)
    _follow_api(client, fan, partner)
    idea = f.idea(owner, status="pending_moderation", co_creators=(partner,))
    moderation.decide(moderator, idea.id, "publish")
    db.session.commit()
    assert db.session.scalar(select(func.count()).select_from(Notification).where(
        Notification.kind == "member_new_idea", Notification.user_id == fan.id)) == 1
    assert partner.id not in _told(db, "member_new_idea")  # creators are not their own audience


def test_followers_hear_of_an_update_once(db, client):
    creator = f.user(name="Aiko")
    idea = f.idea(creator)
    fan, supporter = f.user(), f.user()
    _follow_api(client, fan, creator)
    _follow_api(client, supporter, creator)
    f.support(idea, supporter)
    comments.post_update(creator, idea.id, "The prototype is ready.")
    db.session.commit()
    assert _told(db, "member_update", idea) == {fan.id}
    assert _told(db, "idea_update", idea) == {supporter.id}  # told once, as a supporter


def test_unfollowed_and_blocked_followers_hear_nothing(db, client):
    creator, moderator = f.user(), f.user("moderator")
    gone, blocked = f.user(), f.user()
    _follow_api(client, gone, creator)
    _follow_api(client, blocked, creator)
    _follow_api(client, gone, creator, "delete")
    blocked.blocked_at = utcnow()
    db.session.commit()
    idea = f.idea(creator, status="pending_moderation")
    moderation.decide(moderator, idea.id, "publish")
    db.session.commit()
    assert _told(db, "member_new_idea") == set()


def test_a_follower_who_turned_the_category_off_hears_nothing(db, client):
    creator, moderator = f.user(), f.user("moderator")
    quiet, keen = f.user(), f.user()
    f.deliver(quiet, "off", "following")
    for fan in (quiet, keen):
        _follow_api(client, fan, creator)
    idea = f.idea(creator, status="pending_moderation")
    moderation.decide(moderator, idea.id, "publish")
    db.session.commit()
    assert _told(db, "member_new_idea") == {keen.id}


def test_many_followers_are_told_in_batches(db, client, app):
    app.config["NOTIFY_FANOUT_BATCH"] = 7
    creator, moderator = f.user(), f.user("moderator")
    now = utcnow()
    ids = db.session.execute(insert(User).returning(User.id, sort_by_parameter_order=True), [
        {"email": f"fan{i}@example.com", "password_hash": "x", "display_name": f"Fan {i}",
         "bio": "", "email_confirmed_at": now, "security_stamp": 0, "created_at": now}
        for i in range(30)]).scalars().all()
    db.session.execute(insert(UserFollow), [
        {"follower_id": user_id, "followed_id": creator.id, "created_at": now} for user_id in ids])
    db.session.commit()
    idea = f.idea(creator, status="pending_moderation")
    moderation.decide(moderator, idea.id, "publish")
    db.session.commit()
    assert _told(db, "member_new_idea", idea) == set(ids)


def test_deleting_an_account_lowers_the_kept_numbers_and_drops_its_follows(db, client):
    from app.services import deletion

    leaving, creator, fan = f.user(), f.user(), f.user()
    _follow_api(client, leaving, creator)
    _follow_api(client, fan, leaving)
    deletion.delete_account(leaving)
    db.session.commit()
    assert people.numbers(creator).followers == 0
    assert people.numbers(fan).following == 0
    assert db.session.scalar(select(func.count()).select_from(UserFollow)) == 0
    assert _follow_api(client, fan, leaving).status_code == 404  # gone: cannot be followed
