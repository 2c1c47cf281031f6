"""API and job: the partner pool (issue 15): scores computed by the scheduled job into a table,
ranked by keyset, filtered by purpose, diversity notes for the selection being built, and
members who may not be listed left out."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from app.models import Comment, PartnerScore, SessionInvitation
from app.models.base import utcnow
from app.services import partners
from tests import factories
from tests.helpers import bearer

LONG_REASON = "I carry a toddler and a stroller up the station stairs every single morning."


def _pool(client, staff, **query):
    response = client.get("/api/v1/partners", query_string=query, headers=bearer(staff))
    assert response.status_code == 200, response.json
    return response.json


def _active(db, *, ideas=0, supports=0, comments=0, days_ago=1, locale=None, category="home",
            reason=None):
    member = factories.user(locale=locale)
    member.marketing_mail = True  # agreed to be contacted: the pool may list them
    when = utcnow() - timedelta(days=days_ago)
    for _ in range(ideas):
        factories.idea(member, category_slug=category, published_at=when)
    for _ in range(supports):
        row = factories.support(factories.idea(category_slug=category), member, reason=reason)
        row.created_at = when
    for _ in range(comments):
        target = factories.idea(category_slug=category)
        db.session.add(Comment(idea_id=target.id, author_id=member.id, body="Nice", created_at=when))
    db.session.commit()
    return member


def test_engagement_decays_with_time(db):
    recent = _active(db, supports=2, days_ago=5)
    older = _active(db, supports=2, days_ago=60)
    oldest = _active(db, supports=2, days_ago=120)
    gone = _active(db, supports=2, days_ago=400)
    partners.refresh()
    db.session.commit()
    scores = {row.user_id: row.engagement for row in db.session.scalars(select(PartnerScore))}
    assert scores[recent.id] == 8 and scores[older.id] == 4 and scores[oldest.id] == 2
    assert gone.id not in scores  # nothing in the window: no row


def test_each_kind_of_activity_has_its_weight(db):
    member = _active(db, ideas=1, supports=1, comments=1, days_ago=100)
    partners.refresh()
    attendee = factories.user()
    session = _planned_session(db)
    db.session.add(SessionInvitation(session_id=session.id, user_id=attendee.id,
                                     status="accepted", attended_at=utcnow() - timedelta(days=100)))
    db.session.commit()
    partners.refresh()
    db.session.commit()
    assert db.session.get(PartnerScore, member.id).engagement == 5 + 1 + 2
    assert db.session.get(PartnerScore, attendee.id).engagement == 4


def _planned_session(db):
    from app.services import sessions

    staff = factories.user("admin")
    session = sessions.create_session(staff, {
        "title": "Past", "purpose": "p", "mode": "in_person", "place_or_url": "Tokyo",
        "starts_at": (utcnow() + timedelta(days=1)).isoformat(), "duration_minutes": 60,
        "capacity": 5})
    db.session.commit()
    return session


def test_clarity_counts_answered_insight_parts_and_real_reasons(db):
    clear = _active(db, supports=2, reason=LONG_REASON)
    terse = _active(db, supports=2, reason="ok")
    partners.refresh()
    db.session.commit()
    assert db.session.get(PartnerScore, clear.id).clarity == 100
    assert db.session.get(PartnerScore, terse.id).clarity == 0


def test_influence_counts_supports_gathered(db):
    creator = factories.user()
    factories.idea(creator, supports=3, published_at=utcnow() - timedelta(days=2))
    partners.refresh()
    db.session.commit()
    assert db.session.get(PartnerScore, creator.id).influence == 3


def test_the_pool_ranks_best_first_in_keyset_pages(client, db):
    members = [_active(db, supports=n, days_ago=2) for n in (1, 3, 2)]
    partners.refresh()
    db.session.commit()
    staff = factories.user("community_manager")
    supporters = {m.id for m in members}
    page = _pool(client, staff, per_page=2)
    assert {"engagement", "clarity", "influence", "diversity_note"} <= set(page["items"][0])
    seen = [i["user_id"] for i in page["items"]]
    while "next" in page:
        assert len(page["items"]) == 2
        page = _pool(client, staff, per_page=2, after=page["next"])
        seen += [i["user_id"] for i in page["items"]]
    assert len(seen) == len(set(seen))  # no one twice across pages
    assert [uid for uid in seen if uid in supporters] == [members[1].id, members[2].id,
                                                           members[0].id]


def test_the_pool_filters_by_the_ideas_category(client, db):
    home = _active(db, supports=2, category="home")
    outdoor = _active(db, supports=2, category="outdoor")
    partners.refresh()
    db.session.commit()
    staff = factories.user("admin")
    listed = {i["user_id"] for i in _pool(client, staff, category="outdoor")["items"]}
    assert outdoor.id in listed and home.id not in listed
    idea = factories.idea(category_slug="home")
    listed = {i["user_id"] for i in _pool(client, staff, idea_id=idea.id)["items"]}
    assert home.id in listed and outdoor.id not in listed


def test_blocked_members_are_not_listed(client, db):
    blocked = _active(db, supports=2)
    partners.refresh()
    blocked.blocked_at = utcnow()
    db.session.commit()
    listed = {i["user_id"] for i in _pool(client, factories.user("admin"))["items"]}
    assert blocked.id not in listed


def test_members_with_personalisation_off_are_not_listed(client, db):
    private = _active(db, supports=2)
    partners.refresh()
    private.personalisation = False
    db.session.commit()
    listed = {i["user_id"] for i in _pool(client, factories.user("admin"))["items"]}
    assert private.id not in listed


def test_members_without_marketing_consent_are_not_listed_nor_selectable(client, db):
    from app.services import consents

    quiet = _active(db, supports=2)
    listed_member = _active(db, supports=2)
    partners.refresh()
    db.session.commit()
    staff = factories.user("admin")
    assert quiet.id in {i["user_id"] for i in _pool(client, staff)["items"]}
    consents.set_consents(quiet, marketing_mail=False)  # opts out of being contacted
    db.session.commit()
    page = _pool(client, staff, selected=f"{quiet.id},{listed_member.id}")
    assert quiet.id not in {i["user_id"] for i in page["items"]}
    assert listed_member.id in {i["user_id"] for i in page["items"]}
    assert quiet.id not in page["selection"]["ids"]
    never_asked = factories.user()
    factories.support(factories.idea(), never_asked)
    partners.refresh()
    db.session.commit()
    assert never_asked.id not in {i["user_id"] for i in _pool(client, staff)["items"]}


def test_influence_counts_people_brought_by_sign_ups_and_supports(db):
    from app.services import referrals

    sharer = _active(db, supports=1)
    idea = factories.idea()
    referrals.record_signup(sharer.id, factories.user(), idea.id)
    referrals.record_support(sharer.id, factories.user(), idea.id)
    supporter_twice = factories.user()
    referrals.record_signup(sharer.id, supporter_twice, idea.id)
    referrals.record_support(sharer.id, supporter_twice, idea.id)  # the same person: once
    db.session.commit()
    partners.refresh()
    db.session.commit()
    row = db.session.get(PartnerScore, sharer.id)
    assert row.details["brought"] == 3 and row.influence == 5 * 3


def test_diversity_notes_say_what_a_member_adds_to_the_selection(client, db):
    english = _active(db, supports=3, category="home")
    japanese = _active(db, supports=2, category="outdoor", locale="ja")
    same = _active(db, supports=1, category="home")
    partners.refresh()
    db.session.commit()
    body = _pool(client, factories.user("admin"), selected=str(english.id))
    notes = {i["user_id"]: i["diversity_note"] for i in body["items"]}
    assert notes[english.id] == "In the selection."
    assert "new language" in notes[japanese.id] and "Outdoor" in notes[japanese.id]
    assert "new language" not in notes[same.id]
    assert body["selection"]["languages"] == {"en": 1}


def test_only_staff_who_plan_sessions_see_the_pool(client, db):
    for roles in ((), ("moderator",), ("reviewer",)):
        response = client.get("/api/v1/partners", headers=bearer(factories.user(*roles)))
        assert response.status_code == 403


def test_the_pool_costs_the_same_queries_for_few_or_many(client, db, count_queries):
    staff = factories.user("admin")
    headers = bearer(staff)
    for _ in range(2):
        _active(db, supports=1, reason=LONG_REASON)
    partners.refresh()
    db.session.commit()
    with count_queries() as few:
        client.get("/api/v1/partners", headers=headers)
    for _ in range(6):
        _active(db, supports=1, category="outdoor")
    partners.refresh()
    db.session.commit()
    with count_queries() as many:
        client.get("/api/v1/partners", query_string={"selected": "1,2,3"}, headers=headers)
    assert many.count == few.count, many


def test_the_job_works_in_batches(app, db):
    members = [_active(db, supports=1) for _ in range(5)]
    assert partners.refresh(batch=2) >= 5
    db.session.commit()
    assert {m.id for m in members} <= set(db.session.scalars(select(PartnerScore.user_id)))
