"""Segments (app.services.segments): each filter, their combination, the members a segment may
hold at all, validation with field errors, keyset batches, previews and saved segments."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from app.errors import Conflict, Forbidden, Invalid, NotFound
from app.models import AuditLog, Comment, IdeaFollow, Segment, User
from app.models.base import utcnow
from app.services import segments
from tests import factories as f


def members(spec: dict) -> set[int]:
    return set(segments.db.session.scalars(segments.segment_query(spec)))


def everyone() -> set[int]:
    return members({})


@pytest.fixture
def manager(app):
    return f.user("community_manager")


def follow(idea, user):
    segments.db.session.add(IdeaFollow(idea_id=idea.id, user_id=user.id))
    segments.db.session.commit()


def comment(idea, user, *, days_ago: int = 0):
    row = Comment(idea_id=idea.id, author_id=user.id, body="Nice",
                  created_at=utcnow() - timedelta(days=days_ago))
    segments.db.session.add(row)
    segments.db.session.commit()
    return row


# --- who a segment may hold at all -------------------------------------------------------------

def test_a_segment_holds_only_confirmed_unblocked_members(app, db):
    confirmed = f.user()
    unconfirmed = f.user(confirmed=False)
    blocked = f.user()
    blocked.blocked_at = utcnow()
    db.session.commit()
    found = everyone()
    assert confirmed.id in found
    assert unconfirmed.id not in found and blocked.id not in found


# --- each filter ---------------------------------------------------------------------------------

def test_locale_english_includes_members_who_never_chose(app, db):
    english, japanese, unset = f.user(locale="en"), f.user(locale="ja"), f.user()
    assert {english.id, unset.id} <= members({"locale": "en"})
    assert japanese.id not in members({"locale": "en"})
    assert members({"locale": "ja"}) == {japanese.id}


def test_active_within_and_inactive_for_days(app, db):
    now = utcnow()
    recent, lapsed, never_seen_new = f.user(), f.user(), f.user()
    recent.last_seen_at = now - timedelta(days=2)
    lapsed.last_seen_at = now - timedelta(days=40)
    db.session.commit()  # never_seen_new: joined just now, never seen: counts from joining
    active = members({"active_within_days": 7})
    assert recent.id in active and never_seen_new.id in active and lapsed.id not in active
    assert members({"inactive_for_days": 30}) == {lapsed.id}
    # both: seen between 30 and 60 days ago
    assert members({"inactive_for_days": 30, "active_within_days": 60}) == {lapsed.id}
    assert members({"inactive_for_days": 30, "active_within_days": 35}) == set()


def test_roles_by_what_members_did_and_staff_roles(app, db):
    creator = f.user()
    idea = f.idea(creator)
    supporter, follower, commenter, moderator, nobody = (f.user(), f.user(), f.user(),
                                                         f.user("moderator"), f.user())
    f.support(idea, supporter)
    follow(idea, follower)
    comment(idea, commenter)
    assert members({"roles": ["creator"]}) == {creator.id}
    assert members({"roles": ["supporter"]}) == {supporter.id}
    assert members({"roles": ["follower"]}) == {follower.id}
    assert members({"roles": ["commenter"]}) == {commenter.id}
    assert members({"roles": ["moderator"]}) == {moderator.id}
    assert members({"roles": ["creator", "supporter"]}) == {creator.id, supporter.id}
    assert nobody.id not in members({"roles": list(segments.SEGMENT_ROLES)})


def test_supporters_and_followers_of_an_idea(app, db):
    idea, other = f.idea(), f.idea()
    fan, follower, elsewhere = f.user(), f.user(), f.user()
    f.support(idea, fan)
    f.support(other, elsewhere)
    follow(idea, follower)
    follow(idea, fan)
    assert members({"supporters_of": idea.id}) == {fan.id}
    assert members({"followers_of": idea.id}) == {follower.id, fan.id}
    assert members({"supporters_of": idea.id, "followers_of": idea.id}) == {fan.id}


def test_categories_by_ideas_supported_or_created(app, db):
    outdoor_creator = f.user()
    outdoor = f.idea(outdoor_creator, category_slug="outdoor")
    home = f.idea(category_slug="home")
    outdoor_fan, home_fan = f.user(), f.user()
    f.support(outdoor, outdoor_fan)
    f.support(home, home_fan)
    assert members({"categories": ["outdoor"]}) == {outdoor_creator.id, outdoor_fan.id}
    assert {outdoor_fan.id, home_fan.id, home.owner_id} <= members(
        {"categories": ["outdoor", "home"]})
    assert members({"categories": ["kids"]}) == set()


def test_engagement_levels_count_recent_contributions(app, db):
    ideas = [f.idea() for _ in range(10)]
    quiet, low, medium, high, long_ago = (f.user() for _ in range(5))
    f.support(ideas[0], low)
    for idea in ideas[:3]:
        f.support(idea, medium)
    for idea in ideas[:9]:
        f.support(idea, high)
    comment(ideas[0], high)  # the tenth contribution
    comment(ideas[0], long_ago, days_ago=segments.ENGAGEMENT_WINDOW_DAYS + 5)
    # each idea's creator submitted it (yesterday, in the factory): one contribution each
    owners = {idea.owner_id for idea in ideas}
    assert members({"engagement": "low"}) == {low.id} | owners
    assert members({"engagement": "medium"}) == {medium.id}
    assert members({"engagement": "high"}) == {high.id}
    none = members({"engagement": "none"})
    assert {quiet.id, long_ago.id} <= none
    assert not {low.id, medium.id, high.id} & none


def test_filters_combine_with_and(app, db):
    idea = f.idea()
    both, only_supports, only_japanese = f.user(locale="ja"), f.user(), f.user(locale="ja")
    f.support(idea, both)
    f.support(idea, only_supports)
    assert members({"supporters_of": idea.id, "locale": "ja"}) == {both.id}
    assert only_japanese.id in members({"locale": "ja"})


# --- validation ----------------------------------------------------------------------------------

@pytest.mark.parametrize("spec, field", [
    ({"colour": "red"}, "colour"),
    ({"locale": "fr"}, "locale"),
    ({"locale": None}, "locale"),
    ({"active_within_days": 0}, "active_within_days"),
    ({"active_within_days": segments.DAYS_MAX + 1}, "active_within_days"),
    ({"inactive_for_days": True}, "inactive_for_days"),
    ({"inactive_for_days": "30"}, "inactive_for_days"),
    ({"roles": []}, "roles"),
    ({"roles": "creator"}, "roles"),
    ({"roles": ["creator", "wizard"]}, "roles"),
    ({"roles": [["creator"]]}, "roles"),
    ({"supporters_of": "1"}, "supporters_of"),
    ({"supporters_of": 0}, "supporters_of"),
    ({"followers_of": 2**40}, "followers_of"),
    ({"categories": []}, "categories"),
    ({"categories": ["home", 3]}, "categories"),
    ({"engagement": "extreme"}, "engagement"),
])
def test_a_bad_filter_is_a_field_error(app, spec, field):
    with pytest.raises(Invalid) as caught:
        segments.validate_segment(spec)
    assert set(caught.value.fields) == {field}


def test_every_bad_field_is_named_at_once(app):
    with pytest.raises(Invalid) as caught:
        segments.validate_segment({"locale": "fr", "roles": ["x"], "nope": 1})
    assert set(caught.value.fields) == {"locale", "roles", "nope"}


def test_not_an_object_is_refused(app):
    with pytest.raises(Invalid) as caught:
        segments.validate_segment(["locale"])
    assert set(caught.value.fields) == {"segment"}


def test_unknown_category_slugs_are_named(app):
    with pytest.raises(Invalid) as caught:
        segments.validate_segment({"categories": ["home", "space", "time"]})
    assert "space, time" in caught.value.fields["categories"]


def test_an_idea_that_does_not_exist_or_the_caller_may_not_see_is_refused(app, manager):
    draft = f.idea(status="draft")
    hidden = f.idea(hidden=True)
    public = f.idea()
    for idea_id in (draft.id, hidden.id, public.id + 1000):
        for key in ("supporters_of", "followers_of"):
            with pytest.raises(Invalid) as caught:
                segments.validate_segment({key: idea_id}, manager)
            assert caught.value.fields == {key: "No such idea."}
    assert segments.validate_segment({"supporters_of": public.id}, manager) == \
        {"supporters_of": public.id}
    # an admin (who may see hidden ideas) may segment by them
    assert segments.validate_segment({"followers_of": hidden.id}, f.user("admin"))


def test_validation_normalises_lists(app):
    assert segments.validate_segment({"roles": ["supporter", "creator", "supporter"],
                                      "categories": ["outdoor", "home", "home"]}) == \
        {"roles": ["creator", "supporter"], "categories": ["home", "outdoor"]}


def test_the_query_refuses_a_bad_spec_too(app):
    with pytest.raises(Invalid):
        segments.segment_query({"locale": "xx"})


# --- batches and previews --------------------------------------------------------------------------

def test_member_batches_walk_the_segment_once_in_id_order(app, db):
    for _ in range(7):
        f.user(locale="ja")
    expected = sorted(members({"locale": "ja"}))
    batches = list(segments.iter_member_batches({"locale": "ja"}, size=3))
    assert [len(batch) for batch in batches] == [3, 3, 1]
    assert [user_id for batch in batches for user_id in batch] == expected
    assert segments.next_batch({"locale": "ja"}, expected[2], size=2) == expected[3:5]


def test_batches_of_an_exact_multiple_end_without_an_empty_batch(app, db):
    for _ in range(4):
        f.user(locale="ja")
    assert [len(b) for b in segments.iter_member_batches({"locale": "ja"}, size=2)] == [2, 2]
    assert list(segments.iter_member_batches({"engagement": "high"}, size=2)) == []


def test_preview_counts_and_samples_members_of_the_segment(app, db):
    japanese = {f.user(locale="ja", name=f"Hana {n}").id for n in range(14)}
    f.user(locale="en")
    count, sample = segments.preview({"locale": "ja"})
    assert count == 14
    assert len(sample) == segments.SAMPLE_SIZE
    assert {row["id"] for row in sample} <= japanese
    assert all(row["display_name"].startswith("Hana ") for row in sample)
    assert len({row["id"] for row in sample}) == segments.SAMPLE_SIZE


def test_a_small_segment_is_sampled_whole(app, db):
    idea = f.idea()
    fans = {f.support(idea).user_id for _ in range(3)}
    count, sample = segments.preview({"supporters_of": idea.id})
    assert count == 3 and {row["id"] for row in sample} == fans


def test_preview_is_for_community_managers_and_admins(app, manager):
    f.user(locale="ja")
    assert segments.preview_for(manager, {"locale": "ja"})[0] == 1
    assert segments.preview_for(f.user("admin"), {"locale": "ja"})[0] == 1
    for outsider in (f.user(), f.user("moderator"), f.user("analyst")):
        with pytest.raises(Forbidden) as caught:
            segments.preview_for(outsider, {})
        assert caught.value.code == "community_staff_only"


# --- saved segments --------------------------------------------------------------------------------

def test_staff_save_rename_and_delete_a_segment_with_audit_entries(app, db, manager):
    saved = segments.create_segment(manager, "  Japanese fans ", {"locale": "ja"})
    db.session.commit()
    assert (saved.name, saved.spec, saved.created_by_id) == ("Japanese fans", {"locale": "ja"},
                                                             manager.id)
    segments.update_segment(manager, saved.id, {"name": "Japanese members",
                                                "spec": {"locale": "ja", "roles": ["supporter"]}})
    db.session.commit()
    assert [s.name for s in segments.saved_segments(manager)] == ["Japanese members"]
    segments.delete_segment(manager, saved.id)
    db.session.commit()
    assert db.session.scalar(select(Segment)) is None
    actions = db.session.scalars(select(AuditLog.action).where(AuditLog.target_type == "segment")
                                 .order_by(AuditLog.id)).all()
    assert actions == ["segment.created", "segment.updated", "segment.deleted"]


def test_a_segment_name_is_taken_once_whatever_the_case(app, db, manager):
    segments.create_segment(manager, "Lapsed", {"inactive_for_days": 30})
    db.session.commit()
    with pytest.raises(Conflict) as caught:
        segments.create_segment(manager, "lapsed", {})
    assert caught.value.code == "segment_name_taken"


def test_saving_a_bad_segment_names_every_problem(app, manager):
    with pytest.raises(Invalid) as caught:
        segments.create_segment(manager, " ", {"locale": "fr"})
    assert set(caught.value.fields) == {"name", "spec.locale"}
    with pytest.raises(Invalid) as caught:
        segments.create_segment(manager, "x" * (segments.NAME_MAX + 1), {})
    assert set(caught.value.fields) == {"name"}


def test_updating_keeps_what_is_not_named_and_refuses_nulls(app, db, manager):
    saved = segments.create_segment(manager, "Fans", {"roles": ["supporter"]})
    db.session.commit()
    segments.update_segment(manager, saved.id, {"name": "Supporters"})
    assert saved.spec == {"roles": ["supporter"]}
    with pytest.raises(Invalid) as caught:
        segments.update_segment(manager, saved.id, {"name": None, "spec": None})
    assert set(caught.value.fields) == {"name", "spec"}


def test_saved_segments_are_staff_only_and_missing_ones_are_404(app, db, manager):
    saved = segments.create_segment(manager, "Fans", {})
    db.session.commit()
    member = f.user()
    for call in (lambda: segments.saved_segments(member),
                 lambda: segments.create_segment(member, "Mine", {}),
                 lambda: segments.update_segment(member, saved.id, {"name": "x"}),
                 lambda: segments.delete_segment(member, saved.id)):
        with pytest.raises(Forbidden):
            call()
    with pytest.raises(NotFound):
        segments.get_segment(manager, saved.id + 1)
    assert db.session.get(User, member.id) is not None
