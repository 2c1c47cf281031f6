"""Sharing an idea: share links and Open Graph / Twitter card meta on the idea page, personal
share links (`?ref=<code>`) whose visits, sign-ups and supports are attributed to the sharer,
"People you brought" on the dashboard and the API."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, insert, select

from app.models import IdeaImage, ReferralEvent, User
from app.models.base import utcnow
from app.services import people, referrals
from tests import factories as f
from tests.helpers import bearer, csrf_token, login

BASE = "https://kyoso.example"
GOOD_PASSWORD = "river stones 42"


@pytest.fixture
def config_overrides():
    return {"PUBLIC_BASE_URL": BASE}


def _meta(page: str, name: str) -> str | None:
    match = re.search(rf'<meta (?:property|name)="{re.escape(name)}" content="([^"]*)"', page)
    return match.group(1) if match else None


def _page(client, idea, **query):
    answer = client.get(f"/ideas/{idea.id}", query_string=query)
    assert answer.status_code == 200
    return answer.get_data(as_text=True)


def _events(db, kind=None):
    query = select(ReferralEvent)
    if kind:
        query = query.where(ReferralEvent.kind == kind)
    return list(db.session.scalars(query.order_by(ReferralEvent.id)))


def _with_cover(db, idea):
    db.session.add(IdeaImage(idea_id=idea.id, position=0, key=f"cover{idea.id}", width=640,
                             height=480, alt="The stool folded"))
    db.session.commit()


# --- share links and meta -------------------------------------------------------------------

def test_the_idea_page_has_plain_share_links(db, client):
    idea = f.idea(title="Folding stool")
    page = _page(client, idea)
    url = f"{BASE}/ideas/{idea.id}"
    assert "https://twitter.com/intent/tweet?" in page
    assert "https://www.facebook.com/sharer/sharer.php?u=" + url.replace(":", "%3A").replace("/", "%2F") in page
    assert "https://social-plugins.line.me/lineit/share?url=" in page
    assert 'href="mailto:?subject=Folding%20stool' in page
    assert 'data-copy-link' in page and f'href="{url}"' in page
    # no third-party script: every script is ours
    assert all(src.startswith("/static/") for src in re.findall(r'<script[^>]* src="([^"]+)"', page))


def test_the_idea_page_has_open_graph_and_twitter_card_meta(db, client):
    idea = f.idea(title="Folding stool", pitch="",
                  description="A stool that folds flat " + "and more " * 40)
    _with_cover(db, idea)
    page = _page(client, idea)
    assert _meta(page, "og:title") == "Folding stool"
    assert _meta(page, "og:url") == f"{BASE}/ideas/{idea.id}"
    assert _meta(page, "og:type") == "article"
    description = _meta(page, "og:description")
    assert description.startswith("A stool that folds flat") and len(description) <= 200
    assert _meta(page, "og:image").startswith(f"{BASE}/")
    assert f"cover{idea.id}" in _meta(page, "og:image")
    assert _meta(page, "twitter:card") == "summary_large_image"
    assert _meta(page, "twitter:title") == "Folding stool"
    assert _meta(page, "twitter:image") == _meta(page, "og:image")


def test_without_a_cover_the_card_is_a_summary(db, client):
    page = _page(client, f.idea())
    assert _meta(page, "twitter:card") == "summary"
    assert _meta(page, "og:image") is None


def test_a_draft_has_no_share_links_nor_meta(db, client):
    owner = f.user()
    draft = f.idea(owner, status="draft", title="Secret plan")
    assert client.get(f"/ideas/{draft.id}").status_code == 404
    login(client, owner)
    page = _page(client, draft)
    assert _meta(page, "og:title") is None and "twitter.com/intent" not in page


def test_a_hidden_idea_has_no_meta_for_its_creator(db, client):
    owner = f.user()
    idea = f.hidden(f.idea(owner, title="Hidden one"), reason="spam")
    assert client.get(f"/ideas/{idea.id}").status_code == 404
    login(client, owner)
    assert _meta(_page(client, idea), "og:title") is None


def test_a_member_shares_their_personal_link(db, client):
    member, idea = f.user(), f.idea()
    login(client, member)
    page = _page(client, idea)
    code = db.session.get(User, member.id).ref_code
    assert code and code != str(member.id)
    assert f"{BASE}/ideas/{idea.id}?ref={code}" in page
    assert _meta(page, "og:url") == f"{BASE}/ideas/{idea.id}"  # the canonical one, no ref


def test_each_member_has_a_different_stable_code(db):
    one, two = f.user(), f.user()
    assert one.ref_code != two.ref_code
    assert db.session.get(User, one.id).ref_code == one.ref_code


def test_the_share_panel_in_japanese(db, client):
    page = client.get(f"/ideas/{f.idea().id}", headers={"Accept-Language": "ja"}).get_data(as_text=True)
    assert "リンクをコピー" in page and "このアイデアをシェア" in page


# --- visits ---------------------------------------------------------------------------------

def test_a_visit_through_a_share_link_is_recorded_once_per_session_and_idea(db, client, app):
    sharer, idea, other = f.user(), f.idea(), f.idea()
    _page(client, idea, ref=sharer.ref_code)
    _page(client, idea, ref=sharer.ref_code)
    _page(client, other, ref=sharer.ref_code)
    assert [(e.kind, e.idea_id, e.sharer_id) for e in _events(db)] == [
        ("visit", idea.id, sharer.id), ("visit", other.id, sharer.id)]
    app.test_client().get(f"/ideas/{idea.id}?ref={sharer.ref_code}")  # another visitor
    assert people.numbers(sharer).share_visits == 3


def test_the_sharer_visiting_their_own_link_counts_nothing(db, client):
    sharer, idea = f.user(), f.idea()
    login(client, sharer)
    _page(client, idea, ref=sharer.ref_code)
    assert _events(db) == [] and people.numbers(sharer).share_visits == 0


@pytest.mark.parametrize("code", ["nope-nope-nope", "1", "<script>", "x" * 40])
def test_an_unknown_code_counts_nothing(db, client, code):
    _page(client, f.idea(), ref=code)
    assert _events(db) == []


def test_a_blocked_sharer_brings_nobody(db, client):
    sharer, idea = f.user(), f.idea()
    sharer.blocked_at = utcnow()
    db.session.commit()
    _page(client, idea, ref=sharer.ref_code)
    assert _events(db) == []


# --- sign-ups and supports ------------------------------------------------------------------

def _sign_up(client, email="new.fan@example.com"):
    return client.post("/signup", data={"csrf_token": csrf_token(client, "/signup"),
                                        "email": email, "password": GOOD_PASSWORD,
                                        "display_name": "New Fan"})


def test_a_sign_up_after_a_share_link_is_attributed_to_the_sharer(db, client):
    sharer, idea = f.user(), f.idea()
    _page(client, idea, ref=sharer.ref_code)
    assert _sign_up(client).status_code == 302
    newcomer = db.session.scalar(select(User).where(User.email == "new.fan@example.com"))
    signups = _events(db, "signup")
    assert [(e.sharer_id, e.user_id) for e in signups] == [(sharer.id, newcomer.id)]
    numbers = people.numbers(sharer)
    assert numbers.referred_signups == 1 and numbers.brought == 1
    assert referrals.brought_count(sharer) == 1


def test_a_sign_up_without_a_share_link_is_nobody_s(db, client):
    _page(client, f.idea())
    _sign_up(client)
    assert _events(db) == []


def test_a_support_after_a_share_link_is_attributed_and_survives_signing_in(db, client):
    sharer, idea, member = f.user(), f.idea(), f.user()
    _page(client, idea, ref=sharer.ref_code)  # as a visitor, then signs in
    client.post("/login", data={"csrf_token": csrf_token(client, "/login"),
                                "email": member.email, "password": f.PASSWORD})
    answer = client.post(f"/ideas/{idea.id}/support",
                         data={"csrf_token": csrf_token(client, f"/ideas/{idea.id}")})
    assert answer.status_code == 302
    supports = _events(db, "support")
    assert [(e.sharer_id, e.user_id, e.idea_id) for e in supports] == [(sharer.id, member.id, idea.id)]
    numbers = people.numbers(sharer)
    assert numbers.referred_supports == 1 and numbers.brought == 1


def test_one_person_is_brought_once_however_much_they_do(db, client):
    sharer, first, second = f.user(), f.idea(), f.idea()
    _page(client, first, ref=sharer.ref_code)
    _sign_up(client)
    newcomer = db.session.scalar(select(User).where(User.email == "new.fan@example.com"))
    newcomer.email_confirmed_at = utcnow()
    db.session.commit()
    for idea in (first, second):
        client.post(f"/ideas/{idea.id}/support",
                    data={"csrf_token": csrf_token(client, f"/ideas/{idea.id}")})
    numbers = people.numbers(sharer)
    assert (numbers.referred_signups, numbers.referred_supports, numbers.brought) == (1, 2, 1)


def test_the_sharer_supporting_in_their_own_session_is_not_brought(db, client):
    sharer, idea, friend = f.user(), f.idea(), f.user()
    _page(client, idea, ref=sharer.ref_code)  # a visitor on the sharer's link ...
    login(client, sharer)  # ... who is the sharer, signing in
    client.post(f"/ideas/{idea.id}/support",
                data={"csrf_token": csrf_token(client, f"/ideas/{idea.id}")})
    assert _events(db, "support") == []
    assert friend.id  # nobody else was involved


def test_an_old_attribution_expires(db, client, app):
    sharer, idea, member = f.user(), f.idea(), f.user()
    _page(client, idea, ref=sharer.ref_code)
    with client.session_transaction() as session:
        session["ref"]["at"] = (utcnow() - timedelta(hours=25)).isoformat()
        session.modified = True
    login(client, member)
    client.post(f"/ideas/{idea.id}/support",
                data={"csrf_token": csrf_token(client, f"/ideas/{idea.id}")})
    assert _events(db, "support") == []


# --- what the sharer sees -------------------------------------------------------------------

def test_the_dashboard_shows_the_people_brought(db, client):
    sharer, idea = f.user(), f.idea(title="Folding stool")
    _page(client, idea, ref=sharer.ref_code)
    _sign_up(client)
    other = f.user()
    login(other_client := client.application.test_client(), other)
    other_client.get(f"/ideas/{idea.id}?ref={sharer.ref_code}")
    other_client.post(f"/ideas/{idea.id}/support",
                      data={"csrf_token": csrf_token(other_client, f"/ideas/{idea.id}")})
    login(client, sharer)
    page = client.get("/me").get_data(as_text=True)
    assert 'data-testid="people-brought"' in page
    assert re.search(r'data-testid="brought-count">\s*2\s*<', page)
    assert "New Fan" in page and other.display_name in page and "Folding stool" in page


def test_the_dashboard_in_japanese(db, client):
    member = f.user(locale="ja")
    login(client, member)
    page = client.get("/me", headers={"Accept-Language": "ja"}).get_data(as_text=True)
    assert "あなたが連れてきた人" in page


def test_the_api_gives_the_caller_their_code_and_numbers(db, client):
    sharer, idea = f.user(), f.idea()
    _page(client, idea, ref=sharer.ref_code)
    _sign_up(client)
    answer = client.get("/api/v1/me/referrals", headers=bearer(sharer))
    assert answer.status_code == 200
    body = answer.get_json()
    assert body["code"] == sharer.ref_code
    assert body["share_visits"] == 1 and body["referred_signups"] == 1 and body["brought"] == 1
    assert body["recent"][0]["kind"] == "signup"
    assert body["recent"][0]["user"]["display_name"] == "New Fan"
    assert client.application.test_client().get("/api/v1/me/referrals").status_code == 401


def test_reach_counts_the_period(db, client):
    sharer, idea = f.user(), f.idea()
    _page(client, idea, ref=sharer.ref_code)
    _sign_up(client)
    now = utcnow()
    db.session.execute(insert(ReferralEvent).values(sharer_id=sharer.id, kind="visit",
                                                    idea_id=idea.id,
                                                    created_at=now - timedelta(days=40)))
    db.session.commit()
    assert referrals.reach(now - timedelta(days=1), now + timedelta(minutes=1)) == {
        "share_visits": 1, "referred_signups": 1, "referred_supports": 0}


# --- cost -----------------------------------------------------------------------------------

def test_share_links_and_meta_add_no_query_per_image_or_visit(db, client, count_queries):
    """The share panel and the meta cost nothing per image; a ref already recorded in this
    session costs no query."""
    member, sharer = f.user(), f.user()
    small, big = f.idea(), f.idea()
    _with_cover(db, small)
    db.session.add_all([IdeaImage(idea_id=big.id, position=i, key=f"b{big.id}-{i}", width=640,
                                  height=480) for i in range(6)])
    db.session.commit()
    login(client, member)
    counts = []
    for url in (f"/ideas/{small.id}", f"/ideas/{big.id}", f"/ideas/{big.id}?ref={sharer.ref_code}"):
        client.get(url)
        db.session.expunge_all()
        with count_queries() as queries:
            page = client.get(url).get_data(as_text=True)
        assert "og:title" in page
        counts.append(queries.count)
    assert counts[0] == counts[1] == counts[2], counts
    assert db.session.scalar(select(func.count()).select_from(ReferralEvent)) == 1


# --- through the API (`ref` in the body) ----------------------------------------------------

def _api_sign_up(client, email="api.fan@example.com", **extra):
    return client.post("/api/v1/users", json={"email": email, "password": GOOD_PASSWORD,
                                              "display_name": "Api Fan", **extra})


def test_an_api_sign_up_with_a_share_code_is_credited_to_the_sharer_once(db, client):
    sharer = f.user()
    answer = _api_sign_up(client, ref=sharer.ref_code)
    assert answer.status_code == 201
    newcomer_id = answer.get_json()["id"]
    assert [(e.kind, e.sharer_id, e.user_id) for e in _events(db)] == [
        ("signup", sharer.id, newcomer_id)]
    assert _api_sign_up(client, ref=sharer.ref_code).status_code == 409  # the same address again
    numbers = people.numbers(sharer)
    assert (numbers.referred_signups, numbers.brought) == (1, 1)
    assert len(_events(db)) == 1


@pytest.mark.parametrize("code", ["nope-nope-nope", "", "<script>", "x" * 40])
def test_an_api_sign_up_with_an_unknown_code_signs_up_and_credits_nobody(db, client, code):
    assert _api_sign_up(client, ref=code).status_code == 201
    assert _events(db) == []


def test_an_api_sign_up_with_a_ref_that_is_not_a_string_is_refused(db, client):
    sharer = f.user()
    answer = _api_sign_up(client, ref=sharer.id)
    assert answer.status_code == 422
    assert "ref" in answer.get_json()["error"]["fields"]
    assert db.session.scalar(select(User).where(User.email == "api.fan@example.com")) is None
    assert _events(db) == []


def _api_support(client, member, idea, **body):
    return client.post(f"/api/v1/ideas/{idea.id}/supports", json=body, headers=bearer(member))


def test_an_api_support_with_a_share_code_is_credited_once(db, client):
    sharer, member, idea = f.user(), f.user(), f.idea()
    assert _api_support(client, member, idea, ref=sharer.ref_code,
                        would_buy="yes").status_code == 201
    assert _api_support(client, member, idea, ref=sharer.ref_code).status_code == 409
    # withdrawn and given again through the same link: still one support brought
    assert client.delete(f"/api/v1/ideas/{idea.id}/supports",
                         headers=bearer(member)).status_code == 204
    assert _api_support(client, member, idea, ref=sharer.ref_code).status_code == 201
    assert [(e.kind, e.sharer_id, e.user_id, e.idea_id) for e in _events(db)] == [
        ("support", sharer.id, member.id, idea.id)]
    numbers = people.numbers(sharer)
    assert (numbers.referred_supports, numbers.brought) == (1, 1)


def test_an_api_support_replayed_with_its_idempotency_key_is_credited_once(db, client):
    sharer, member, idea = f.user(), f.user(), f.idea()
    headers = {**bearer(member), "Idempotency-Key": "support-once-1"}
    for _ in range(2):
        answer = client.post(f"/api/v1/ideas/{idea.id}/supports", json={"ref": sharer.ref_code},
                             headers=headers)
        assert answer.status_code == 201
    assert len(_events(db, "support")) == 1
    assert people.numbers(sharer).referred_supports == 1


def test_a_member_signed_up_by_api_and_supporting_is_brought_once(db, client):
    sharer, idea = f.user(), f.idea()
    newcomer_id = _api_sign_up(client, ref=sharer.ref_code).get_json()["id"]
    newcomer = db.session.get(User, newcomer_id)
    newcomer.email_confirmed_at = utcnow()
    db.session.commit()
    assert _api_support(client, newcomer, idea, ref=sharer.ref_code).status_code == 201
    numbers = people.numbers(sharer)
    assert (numbers.referred_signups, numbers.referred_supports, numbers.brought) == (1, 1, 1)


def test_an_api_support_with_one_s_own_code_or_none_credits_nobody(db, client):
    member, idea, other = f.user(), f.idea(), f.idea()
    assert _api_support(client, member, idea, ref=member.ref_code).status_code == 201
    assert _api_support(client, member, other).status_code == 201
    assert _events(db) == [] and people.numbers(member).brought == 0


def test_an_api_support_with_a_ref_that_is_not_a_string_is_refused(db, client):
    member, idea = f.user(), f.idea()
    answer = _api_support(client, member, idea, ref=["x"])
    assert answer.status_code == 422 and "ref" in answer.get_json()["error"]["fields"]
    assert db.session.get(type(idea), idea.id).support_count == 0


def test_a_refused_api_support_credits_nobody(db, client):
    sharer, owner = f.user(), f.user()
    idea = f.idea(owner)
    assert _api_support(client, owner, idea, ref=sharer.ref_code).status_code == 403
    assert _events(db) == []


def test_the_api_documents_the_share_code(db, client):
    spec = client.get("/api/v1/openapi.json").get_json()
    signup = spec["paths"]["/users"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert "ref" in signup["properties"]
    support = spec["components"]["schemas"]["SupportRequest"]
    assert any("ref" in part.get("properties", {}) for part in support["allOf"])
