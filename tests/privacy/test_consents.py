"""Consents to personalisation and marketing mail (issue 13): given at sign-up (marketing opt-in,
unticked), changed in settings or through PATCH /api/v1/me, recorded as events, and respected
by "For you" and its precomputation."""
from __future__ import annotations

from sqlalchemy import select

from app.extensions import db
from app.models import ConsentEvent, Recommendation, User
from app.services import consents, discovery, for_you
from tests import factories as f
from tests.helpers import bearer, csrf_token, login

PASSWORD = "river stones 42"


def _events(user_id: int) -> list[tuple[str, bool]]:
    return [(e.kind, e.granted) for e in db.session.scalars(
        select(ConsentEvent).where(ConsentEvent.user_id == user_id).order_by(ConsentEvent.id))]


def test_defaults_personalisation_on_marketing_off(db):
    member = f.user()
    assert member.personalisation is True and member.marketing_mail is False
    assert consents.personalisation_allowed(member) and not consents.marketing_allowed(member)
    assert not consents.personalisation_allowed(None) and not consents.marketing_allowed(None)


def test_sql_twins_agree_with_the_checks(db):
    a, b, c = f.user(), f.user(), f.user()
    consents.set_consents(b, personalisation=False, marketing_mail=True)
    db.session.commit()
    for condition, check in ((consents.personalisation_condition(), consents.personalisation_allowed),
                             (consents.marketing_condition(), consents.marketing_allowed)):
        selected = set(db.session.scalars(select(User.id).where(condition)))
        assert selected == {u.id for u in (a, b, c) if check(u)}
    assert set(db.session.scalars(select(User.id).where(consents.marketing_condition()))) == {b.id}


def test_html_sign_up_offers_marketing_unticked_and_records_both_consents(client):
    page = client.get("/signup").get_data(as_text=True)
    assert 'name="marketing_mail"' in page
    assert 'name="marketing_mail" type="checkbox" value="y" checked' not in page
    assert "checked" not in page.split('name="marketing_mail"')[1].split(">")[0]
    token = csrf_token(client, "/signup")
    response = client.post("/signup", data={"csrf_token": token, "email": "quiet@example.com",
                                            "password": PASSWORD, "display_name": "Quiet"},
                           headers={"User-Agent": "SignupBrowser/1.0"})
    assert response.status_code == 302
    member = db.session.scalar(select(User).where(User.email == "quiet@example.com"))
    assert (member.personalisation, member.marketing_mail) == (True, False)
    assert _events(member.id) == [("personalisation", True), ("marketing_mail", False)]
    event = db.session.scalar(select(ConsentEvent).where(ConsentEvent.user_id == member.id))
    assert event.user_agent == "SignupBrowser/1.0" and event.ip_address == "127.0.0.1"


def test_html_sign_up_with_marketing_ticked(client):
    token = csrf_token(client, "/signup")
    client.post("/signup", data={"csrf_token": token, "email": "loud@example.com",
                                 "password": PASSWORD, "display_name": "Loud", "marketing_mail": "y"})
    member = db.session.scalar(select(User).where(User.email == "loud@example.com"))
    assert member.marketing_mail is True
    assert ("marketing_mail", True) in _events(member.id)


def test_api_sign_up_marketing_opt_in_and_refusal_of_a_non_boolean(client):
    body = {"email": "api.opt@example.com", "password": PASSWORD, "display_name": "Opt"}
    refused = client.post("/api/v1/users", json={**body, "marketing_mail": "yes"})
    assert refused.status_code == 422
    assert "marketing_mail" in refused.get_json()["error"]["fields"]
    assert db.session.scalar(select(User).where(User.email == "api.opt@example.com")) is None
    assert client.post("/api/v1/users", json={**body, "marketing_mail": True}).status_code == 201
    member = db.session.scalar(select(User).where(User.email == "api.opt@example.com"))
    assert member.marketing_mail is True


def test_settings_page_shows_and_changes_both_consents(client):
    member = f.user()
    login(client, member)
    page = client.get("/account/privacy").get_data(as_text=True)
    assert 'id="personalisation"' in page and 'id="marketing_mail"' in page
    token = csrf_token(client, "/account/privacy")
    response = client.post("/account/privacy", data={"csrf_token": token, "marketing_mail": "y"},
                           follow_redirects=True)
    assert response.status_code == 200
    db.session.expire_all()
    member = db.session.get(User, member.id)
    assert (member.personalisation, member.marketing_mail) == (False, True)
    assert _events(member.id) == [("personalisation", False), ("marketing_mail", True)]
    assert 'data-testid="consent-history"' in response.get_data(as_text=True)


def test_settings_post_without_csrf_changes_nothing(client):
    member = f.user()
    login(client, member)
    response = client.post("/account/privacy", data={"marketing_mail": "y"})
    assert response.status_code in (400, 422)
    db.session.expire_all()
    assert db.session.get(User, member.id).marketing_mail is False
    assert _events(member.id) == []


def test_settings_needs_sign_in(client):
    response = client.get("/account/privacy")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_patch_me_changes_consents_and_returns_them(client):
    member = f.user()
    headers = bearer(member)
    me = client.get("/api/v1/me", headers=headers).get_json()
    assert (me["personalisation"], me["marketing_mail"]) == (True, False)
    response = client.patch("/api/v1/me", json={"personalisation": False, "marketing_mail": True},
                            headers={**headers, "User-Agent": "ApiClient/2"})
    assert response.status_code == 200
    assert (response.get_json()["personalisation"], response.get_json()["marketing_mail"]) == (False, True)
    assert _events(member.id) == [("personalisation", False), ("marketing_mail", True)]
    # The same values again: nothing changes, nothing is recorded.
    client.patch("/api/v1/me", json={"personalisation": False}, headers=headers)
    assert len(_events(member.id)) == 2
    assert db.session.scalar(select(ConsentEvent.user_agent)
                             .where(ConsentEvent.user_id == member.id).limit(1)) == "ApiClient/2"


def test_patch_me_refuses_non_booleans_and_changes_nothing(client):
    member = f.user()
    response = client.patch("/api/v1/me", json={"personalisation": "no", "marketing_mail": 1,
                                                "display_name": "Changed"},
                            headers=bearer(member))
    assert response.status_code == 422
    assert set(response.get_json()["error"]["fields"]) == {"personalisation", "marketing_mail"}
    db.session.expire_all()
    member = db.session.get(User, member.id)
    assert member.personalisation is True and member.display_name != "Changed"


def test_patch_me_needs_a_caller(client):
    assert client.patch("/api/v1/me", json={"personalisation": False}).status_code == 401


def _community():
    me, creator = f.user(name="Me"), f.user()
    liked = f.idea(creator, title="Lantern hook")
    f.support(liked, me)
    peer = f.user(name="Peer")
    f.support(liked, peer)
    pick = f.idea(creator, title="Peer pick")
    f.support(pick, peer)
    return me, peer, pick


def test_for_you_with_personalisation_off_is_trending_and_not_kept(db, client):
    me, _peer, _pick = _community()
    for_you.refresh_member(me.id)
    db.session.commit()
    assert db.session.scalar(select(Recommendation.idea_id).where(Recommendation.user_id == me.id))
    consents.set_consents(me, personalisation=False)
    db.session.commit()
    # Switching off drops the kept shelf; recomputing keeps nothing.
    assert db.session.scalar(select(Recommendation.idea_id).where(Recommendation.user_id == me.id)) is None
    assert for_you.refresh_member(me.id) == 0
    shelf = for_you.shelf(me)
    assert shelf and {reason.kind for _idea, reason in shelf} == {"trending"}
    login(client, me)
    page = client.get("/").get_data(as_text=True)
    assert "Because you supported" not in page


def test_a_member_without_personalisation_feeds_no_one_elses_shelf(db):
    me, peer, pick = _community()
    assert any(idea.id == pick.id and reason.kind == "supported"
               for idea, reason in discovery.compute_for_you(me, limit=8))
    consents.set_consents(peer, personalisation=False)
    db.session.commit()
    assert not any(reason.kind == "supported" for _idea, reason in discovery.compute_for_you(me, limit=8))


def test_scheduled_refresh_skips_members_without_personalisation(db):
    f.support(f.idea())
    for_you.refresh_recent_supporters()  # the first run only sets the watermark
    me, _peer, _pick = _community()
    consents.set_consents(me, personalisation=False)
    db.session.commit()
    assert for_you.refresh_recent_supporters() == 1  # the peer; not me
    assert db.session.scalar(select(Recommendation.idea_id).where(Recommendation.user_id == me.id)) is None
