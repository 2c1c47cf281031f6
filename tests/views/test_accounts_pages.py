"""The personal pages: dashboard, notifications, public profiles, profile editing and settings."""
from __future__ import annotations

import io

from PIL import Image

from app.extensions import db
from app.models import AuditLog, Comment, IdeaFollow, Notification, User
from app.models.base import utcnow
from app.services import events
from tests import factories
from tests.helpers import csrf_token, login, warm_caches


def _png(size=(400, 300), colour=(200, 80, 40)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, "PNG")
    return buffer.getvalue()


# --------------------------------------------------------------------------- dashboard


def test_dashboard_needs_sign_in(client):
    response = client.get("/me")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")


def test_dashboard_shows_my_ideas_with_status_and_the_moderators_reason(client):
    me = factories.user(name="Creator")
    factories.idea(me, status="draft", title="My draft idea")
    factories.idea(me, status="needs_changes", title="Needs work",
                   status_reason="Please describe the situation in more detail.")
    factories.idea(me, status="published", title="Gathering support")
    factories.idea(status="published", title="Someone else's idea")
    login(client, me)
    page = client.get("/me").get_data(as_text=True)
    assert "My draft idea" in page and "Needs work" in page and "Gathering support" in page
    assert "Someone else&#39;s idea" not in page and "Someone else's idea" not in page
    assert "status-draft" in page and "status-needs_changes" in page
    assert "Please describe the situation in more detail." in page


def test_dashboard_lists_ideas_i_support_and_follow_but_not_hidden_ones(client):
    me = factories.user()
    supported = factories.idea(title="Supported one")
    hidden = factories.idea(title="Hidden supported", hidden=True)
    followed = factories.idea(title="Followed one")
    factories.support(supported, me)
    factories.support(hidden, me)
    db.session.add(IdeaFollow(idea_id=followed.id, user_id=me.id))
    db.session.commit()
    login(client, me)
    page = client.get("/me").get_data(as_text=True)
    assert "Supported one" in page and "Followed one" in page
    assert "Hidden supported" not in page


def test_dashboard_costs_the_same_queries_for_few_or_many_ideas(app, client, count_queries):
    warm_caches()
    me = factories.user()
    login(client, me)

    def add(n):
        for _ in range(n):
            factories.idea(me, status="draft")
            factories.support(factories.idea(), me)
            followed = factories.idea()
            db.session.add(IdeaFollow(idea_id=followed.id, user_id=me.id))
        db.session.commit()

    add(2)
    db.session.expire_all()
    with count_queries() as few:
        assert client.get("/me").status_code == 200
    add(6)
    db.session.expire_all()
    with count_queries() as many:
        assert client.get("/me").status_code == 200
    assert many.count == few.count, many


def test_unconfirmed_member_sees_how_to_confirm(client):
    me = factories.user(confirmed=False)
    login(client, me)
    assert 'data-testid="confirm-banner"' in client.get("/me").get_data(as_text=True)


# --------------------------------------------------------------------------- notifications


def test_header_badge_is_bounded_and_exact_counts_stay_exact(client, count_queries):
    """The badge on every page reads at most 100 unread rows: 150 unread say "99+" in the
    header, while the exact count (list page, API) stays 150, and read ones are not counted."""
    from sqlalchemy import insert
    me = factories.user()
    rows = [{"user_id": me.id, "kind": "comment_on_idea", "category": "comments",
             "params": {"name": "Someone", "title": "Lamp"}, "url": "/", "created_at": utcnow()}
            for _ in range(160)]
    db.session.execute(insert(Notification), rows)
    db.session.flush()
    ten = db.session.scalars(db.select(Notification.id).where(Notification.user_id == me.id)
                             .limit(10)).all()
    db.session.query(Notification).filter(Notification.id.in_(ten)).update(
        {"read_at": utcnow()}, synchronize_session=False)
    db.session.commit()
    login(client, me)

    page = client.get("/me").get_data(as_text=True)
    assert 'data-testid="unread-count">99+<' in page
    from app.services import notifications
    assert notifications.unread_count(me) == 150
    assert notifications.unread_badge(me.id) == 100
    with count_queries() as queries:
        assert notifications.unread_badge(me.id) == 100
    assert queries.count == 1 and "LIMIT" in queries.statements[0].upper()

    db.session.query(Notification).filter(Notification.user_id == me.id).update(
        {"read_at": utcnow()}, synchronize_session=False)
    db.session.commit()
    assert 'data-testid="unread-count"' not in client.get("/me").get_data(as_text=True)


def test_notifications_list_and_mark_all_read(client):
    me = factories.user(email="me@example.com")
    other = factories.user()
    idea = factories.idea(me, title="Cosy lamp")
    events.notify([me], "comment_on_idea", {"name": "Someone", "title": "Cosy lamp"}, idea=idea)
    events.notify([other], "comment_on_idea", {"name": "Not for you", "title": "Cosy lamp"},
                  idea=idea)
    db.session.commit()
    login(client, me)

    page = client.get("/notifications").get_data(as_text=True)
    assert "Someone commented on your idea “Cosy lamp”." in page and "Not for you" not in page
    assert 'data-testid="unread-count">1<' in page
    # Looking does not mark anything read; only the POST does.
    assert db.session.query(Notification).filter_by(user_id=me.id, read_at=None).count() == 1

    response = client.post("/notifications/read", data={"csrf_token": csrf_token(client, "/notifications")})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.query(Notification).filter_by(user_id=me.id, read_at=None).count() == 0
    assert db.session.query(Notification).filter_by(user_id=other.id, read_at=None).count() == 1


def test_opening_a_notification_marks_it_read_and_goes_to_its_page(client):
    me = factories.user()
    idea = factories.idea(me)
    [row] = events.notify([me], "idea_supported", {"name": "Ann", "title": "Lamp", "count": 2}, idea=idea)
    db.session.commit()
    login(client, me)
    response = client.post(f"/notifications/{row.id}/open",
                           data={"csrf_token": csrf_token(client, "/notifications")})
    assert response.status_code == 302 and response.headers["Location"] == f"/ideas/{idea.id}"
    db.session.expire_all()
    assert db.session.get(Notification, row.id).read_at is not None


def test_member_cannot_open_someone_elses_notification(client):
    me, other = factories.user(), factories.user()
    [row] = events.notify([other], "idea_supported", {"name": "Ann", "title": "Lamp", "count": 2}, url="/ideas/1")
    db.session.commit()
    login(client, me)
    response = client.post(f"/notifications/{row.id}/open",
                           data={"csrf_token": csrf_token(client, "/notifications")})
    assert response.status_code == 404
    db.session.expire_all()
    assert db.session.get(Notification, row.id).read_at is None


def test_marking_read_without_csrf_token_is_refused(client):
    me = factories.user()
    events.notify([me], "idea_supported", {"name": "Ann", "title": "Lamp", "count": 2})
    db.session.commit()
    login(client, me)
    assert client.post("/notifications/read").status_code == 400
    assert db.session.query(Notification).filter_by(user_id=me.id, read_at=None).count() == 1


# --------------------------------------------------------------------------- public profile


def test_public_profile_shows_visible_ideas_badges_and_activity(client):
    person = factories.user(name="Aiko")
    person.bio = "I make things for small flats."
    db.session.commit()
    factories.idea(person, title="Public lamp", status="qualified", qualified_at=utcnow())
    factories.idea(person, title="Secret draft", status="draft")
    factories.idea(person, title="Hidden one", hidden=True)
    other_idea = factories.idea(title="Other's shelf")
    hidden_idea = factories.idea(title="Hidden shelf", hidden=True)
    factories.support(other_idea, person)
    factories.support(hidden_idea, person)
    db.session.add(Comment(idea_id=other_idea.id, author_id=person.id, body="Love the hinges!"))
    db.session.add(Comment(idea_id=hidden_idea.id, author_id=person.id, body="Secret words"))
    db.session.commit()

    page = client.get(f"/users/{person.id}").get_data(as_text=True)
    assert "Aiko" in page and "I make things for small flats." in page
    assert "Public lamp" in page
    assert "Secret draft" not in page and "Hidden one" not in page
    assert "First idea" in page and "Idea qualified" in page and "Supporter" in page
    assert "Other&#39;s shelf" in page and "Love the hinges!" in page
    assert "Hidden shelf" not in page and "Secret words" not in page
    assert person.email not in page


def test_hundred_supports_badge(client):
    person = factories.user()
    owner = factories.user()
    for _ in range(100):
        factories.support(factories.idea(owner), person)
    assert "100 supports given" in client.get(f"/users/{person.id}").get_data(as_text=True)


def test_profile_of_unknown_or_blocked_user_is_not_found(client):
    from app.services import accounts

    blocked = factories.user()
    accounts.block_user(None, blocked)
    db.session.commit()
    assert client.get("/users/999999").status_code == 404
    assert client.get(f"/users/{blocked.id}").status_code == 404


def test_profile_escapes_hostile_display_name_and_bio(client):
    me = factories.user()
    login(client, me)
    response = client.post("/account/profile", data={
        "csrf_token": csrf_token(client, "/account/profile"),
        "display_name": "<script>alert('name')</script>",
        "bio": "<img src=x onerror=alert(1)>\nsecond line",
    })
    assert response.status_code == 302
    page = client.get(f"/users/{me.id}").get_data(as_text=True)
    assert "<script>alert('name')</script>" not in page
    assert "&lt;script&gt;alert(&#39;name&#39;)&lt;/script&gt;" in page
    assert "<img src=x" not in page and "&lt;img src=x onerror=alert(1)&gt;<br>second line" in page


# --------------------------------------------------------------------------- profile editing


def test_member_uploads_an_avatar_that_is_re_encoded_and_served(app, client):
    me = factories.user()
    login(client, me)
    response = client.post("/account/profile", data={
        "csrf_token": csrf_token(client, "/account/profile"), "display_name": "Pic Person", "bio": "",
        "avatar": (io.BytesIO(_png((600, 400))), "me.png"),
    }, content_type="multipart/form-data")
    assert response.status_code == 302
    db.session.expire_all()
    key = db.session.get(User, me.id).avatar_key
    assert key and key.startswith("avatar-")
    served = client.get(f"/avatars/{key}/avatar")
    assert served.status_code == 200 and served.mimetype == "image/jpeg"
    assert Image.open(io.BytesIO(served.data)).size == (256, 171)
    assert Image.open(io.BytesIO(client.get(f"/avatars/{key}/small").data)).size == (64, 43)
    assert f"/avatars/{key}/avatar" in client.get(f"/users/{me.id}").get_data(as_text=True)


def test_a_fake_image_is_refused_with_a_clear_message(client):
    me = factories.user(name="Before")
    login(client, me)
    response = client.post("/account/profile", data={
        "csrf_token": csrf_token(client, "/account/profile"), "display_name": "After", "bio": "",
        "avatar": (io.BytesIO(b"<?php system($_GET['c']); ?>"), "evil.png"),
    }, content_type="multipart/form-data")
    assert response.status_code == 422
    assert "This file is not an image." in response.get_data(as_text=True)
    db.session.expire_all()
    stored = db.session.get(User, me.id)
    assert stored.avatar_key is None and stored.display_name == "Before"


def test_avatar_route_serves_nothing_outside_the_avatars(client, app):
    assert client.get("/avatars/avatar-..%2F..%2Fsecret_key/avatar").status_code == 404
    assert client.get("/avatars/notanavatar/avatar").status_code == 404
    assert client.get("/avatars/avatar-0123456789abcdef01234567/huge").status_code == 404
    assert client.get("/avatars/avatar-0123456789abcdef01234567/avatar").status_code == 404


def test_replacing_an_avatar_removes_the_old_files(app, client):
    import os

    from app.services.accounts import avatar_folder

    me = factories.user()
    login(client, me)
    for colour in ((10, 10, 10), (250, 250, 250)):
        client.post("/account/profile", data={
            "csrf_token": csrf_token(client, "/account/profile"), "display_name": "X", "bio": "",
            "avatar": (io.BytesIO(_png(colour=colour)), "me.png"),
        }, content_type="multipart/form-data")
    db.session.expire_all()
    key = db.session.get(User, me.id).avatar_key
    assert sorted(os.listdir(avatar_folder())) == [f"{key}_avatar.jpg", f"{key}_small.jpg"]


def _settings_form(client, **choices) -> dict:
    from app.notification_kinds import CATEGORIES

    data = {"csrf_token": csrf_token(client, "/account/settings"), "locale": "", "time_zone": "",
            **{f"pref_{category}": "immediately" for category in CATEGORIES}}
    data.update(choices)
    return data


def test_settings_choose_digest_and_language(client):
    from app.services import notifications

    me = factories.user()
    login(client, me)
    response = client.post("/account/settings", data=_settings_form(
        client, pref_comments="weekly", pref_royalties="off", locale="ja",
        time_zone="Europe/Berlin"))
    assert response.status_code == 302
    db.session.expire_all()
    stored = db.session.get(User, me.id)
    assert (stored.locale, stored.time_zone) == ("ja", "Europe/Berlin")
    chosen = notifications.preferences(stored)
    assert (chosen["comments"], chosen["royalties"], chosen["replies"]) == \
        ("weekly", "off", "immediately")
    page = client.get("/account/settings").get_data(as_text=True)
    assert '<html lang="ja">' in page
    assert '<option selected value="weekly">' in page


def test_settings_refuse_an_unknown_mode(client):
    from app.services import notifications

    me = factories.user()
    login(client, me)
    response = client.post("/account/settings", data=_settings_form(
        client, pref_comments="hourly", time_zone="Mars/Olympus"))
    assert response.status_code == 422
    db.session.expire_all()
    assert notifications.preferences(db.session.get(User, me.id))["comments"] == "immediately"
    assert db.session.get(User, me.id).time_zone is None


def test_staff_role_changes_are_audited(app):
    from app.services import accounts

    admin = factories.user("admin")
    person = factories.user()
    accounts.grant_role(admin, person, "reviewer")
    accounts.revoke_role(admin, person, "reviewer")
    db.session.commit()
    actions = [(row.action, row.actor_id, row.target_id) for row in db.session.query(AuditLog)
               .order_by(AuditLog.id)]
    assert actions == [("user.role_granted", admin.id, person.id),
                       ("user.role_revoked", admin.id, person.id)]


def test_member_cannot_grant_roles(app):
    import pytest

    from app.errors import Forbidden
    from app.services import accounts

    member, person = factories.user(), factories.user()
    with pytest.raises(Forbidden):
        accounts.grant_role(member, person, "admin")
