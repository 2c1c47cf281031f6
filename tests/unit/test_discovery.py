"""Discovery: sorts, filters, visibility of listings, trending and "For you"."""
from datetime import timedelta

import pytest

from app.extensions import db
from app.models import Idea, Tag
from app.models.base import utcnow
from app.services import discovery
from tests import factories


def titles(viewer=None, **kwargs):
    items, _total = discovery.browse(viewer, **kwargs)
    return [idea.title for idea in items]


def tag(idea, *names):
    for name in names:
        row = db.session.query(Tag).filter_by(name=name).one_or_none() or Tag(name=name)
        idea.tags.append(row)
    db.session.commit()


# --- sorts ------------------------------------------------------------------------------------

def test_trending_puts_the_fastest_growing_idea_first(app):
    now = utcnow()
    factories.idea(title="Old favourite", trending_score=300, supports=3,
                   published_at=now - timedelta(days=90))
    factories.idea(title="Rising star", trending_score=4000, supports=1)
    factories.idea(title="Quiet one", supports=0)
    assert titles(sort="trending") == ["Rising star", "Old favourite", "Quiet one"]


def test_most_supported_orders_by_support_count(app):
    factories.idea(title="Few", supports=1)
    factories.idea(title="Many", supports=3)
    factories.idea(title="None")
    assert titles(sort="supported") == ["Many", "Few", "None"]


def test_newest_orders_by_publication(app):
    now = utcnow()
    factories.idea(title="Last week", published_at=now - timedelta(days=7))
    factories.idea(title="Today", published_at=now - timedelta(hours=1))
    factories.idea(title="Yesterday", published_at=now - timedelta(days=1))
    assert titles(sort="newest") == ["Today", "Yesterday", "Last week"]


def test_expiring_lists_only_gathering_ideas_nearest_deadline_first(app):
    now = utcnow()
    factories.idea(title="Ten days", deadline=now + timedelta(days=10))
    factories.idea(title="Two days", deadline=now + timedelta(days=2))
    factories.idea(title="Deadline passed", deadline=now - timedelta(hours=1))
    factories.idea(title="Stored expired", status="expired")
    factories.idea(title="On sale", status="on_sale")
    assert titles(sort="expiring") == ["Two days", "Ten days"]


def test_recently_approved_lists_approved_and_later_states_newest_change_first(app):
    now = utcnow()
    factories.idea(title="Approved long ago", status="approved",
                   updated_at=now - timedelta(days=30))
    factories.idea(title="On sale now", status="on_sale", updated_at=now - timedelta(days=1))
    factories.idea(title="In production", status="in_production",
                   updated_at=now - timedelta(days=3))
    factories.idea(title="Not approved", status="not_approved")
    factories.idea(title="Gathering")
    assert titles(sort="approved") == ["On sale now", "In production", "Approved long ago"]


# --- filters ----------------------------------------------------------------------------------

def test_filter_by_category_slug(app):
    factories.idea(title="Tent light", category_slug="outdoor")
    factories.idea(title="Sofa tray", category_slug="home")
    assert titles(category="outdoor") == ["Tent light"]
    assert titles(category="no-such-category") == []


def test_filter_by_tag_name(app):
    tent = factories.idea(title="Tent light")
    tag(tent, "camping", "light")
    tag(factories.idea(title="Desk lamp"), "light")
    assert titles(tag="camping") == ["Tent light"]
    assert sorted(titles(tag="LIGHT")) == ["Desk lamp", "Tent light"]


def test_status_published_means_gathering_support_now(app):
    now = utcnow()
    factories.idea(title="Gathering", deadline=now + timedelta(days=5))
    factories.idea(title="Past deadline", deadline=now - timedelta(days=1))
    factories.idea(title="Qualified", status="qualified")
    assert titles(status="published") == ["Gathering"]


def test_status_expired_includes_published_ideas_past_their_deadline(app):
    now = utcnow()
    factories.idea(title="Past deadline", deadline=now - timedelta(days=1))
    factories.idea(title="Stored expired", status="expired")
    factories.idea(title="Gathering")
    assert sorted(titles(status="expired")) == ["Past deadline", "Stored expired"]


def test_search_and_filters_combine(app):
    factories.idea(title="Camping lantern", category_slug="outdoor")
    factories.idea(title="Kitchen lantern", category_slug="home")
    assert titles(q="lantern", category="outdoor") == ["Camping lantern"]


def test_pages_and_total(app):
    for n in range(5):
        factories.idea(title=f"Idea {n}", supports=0)
    items, total = discovery.browse(None, sort="newest", page=2, per_page=2)
    assert total == 5 and len(items) == 2
    items, total = discovery.browse(None, sort="newest", page=9, per_page=2)
    assert total == 5 and items == []


def test_validate_browse_args_names_the_bad_fields():
    assert discovery.validate_browse_args("trending", "published") == {}
    errors = discovery.validate_browse_args("random", "draft")
    assert set(errors) == {"sort", "status"}


@pytest.mark.parametrize("role", ["member", "moderator", "reviewer", "finance", "admin", None])
def test_listings_never_show_hidden_draft_pending_or_merged_ideas_to_anyone(app, role):
    owner = factories.user()
    factories.idea(owner, title="Public")
    factories.idea(owner, title="Hidden", hidden=True)
    factories.idea(owner, title="Draft", status="draft")
    factories.idea(owner, title="Pending", status="pending_moderation")
    factories.idea(owner, title="Needs changes", status="needs_changes")
    target = factories.idea(owner, title="Target")
    factories.idea(owner, title="Merged away", merged_into_id=target.id)
    viewers = [None] if role is None else [factories.user(role), owner]
    for viewer in viewers:
        for sort in discovery.SORTS:
            assert set(titles(viewer, sort=sort)) <= {"Public", "Target"}
        assert set(titles(viewer)) == {"Public", "Target"}


# --- For you ----------------------------------------------------------------------------------

@pytest.fixture
def community(app):
    """Me, a peer who supports what I support, and ideas around us."""
    me, peer, creator = factories.user(name="Me"), factories.user(), factories.user()
    liked = factories.idea(creator, title="Lantern hook", category_slug="outdoor")
    factories.support(liked, me)
    factories.support(liked, peer)
    peer_pick = factories.idea(creator, title="Tent organiser", category_slug="kids")
    factories.support(peer_pick, peer)
    return {"me": me, "peer": peer, "creator": creator, "liked": liked, "peer_pick": peer_pick}


def recommend(user, **kwargs):
    """The member's shelf as the home page shows it, after the job computed it."""
    from flask import current_app

    from app.services import for_you

    for_you.refresh_member(user.id)
    db.session.commit()
    with current_app.test_request_context("/"):
        return [(idea.title, str(reason)) for idea, reason in
                discovery.recommended_for(user, **kwargs)]


def test_for_you_recommends_what_like_minded_members_supported(community):
    result = recommend(community["me"])
    assert result[0] == ("Tent organiser", "Because you supported “Lantern hook”")


def test_for_you_then_suggests_the_members_categories_and_tags(community):
    camp = factories.idea(community["creator"], title="Camp stove", category_slug="outdoor")
    tag(community["liked"], "camping")
    tagged = factories.idea(community["creator"], title="Sleeping mat", category_slug="home")
    tag(tagged, "camping")
    reasons = dict(recommend(community["me"]))
    assert reasons["Sleeping mat"] == "Because you like #camping"
    assert reasons["Camp stove"] == "More in Outdoor"
    assert camp.id  # used


def test_for_you_fills_up_with_fresh_ideas(community):
    factories.idea(community["creator"], title="Brand new", category_slug="home")
    assert dict(recommend(community["me"]))["Brand new"] == "Fresh idea, just published"


def test_for_you_never_recommends_own_supported_hidden_or_closed_ideas(community):
    me, peer, creator = community["me"], community["peer"], community["creator"]
    mine = factories.idea(me, title="My own idea", category_slug="outdoor")
    co = factories.idea(creator, title="Co-created", co_creators=(me,), category_slug="outdoor")
    hidden = factories.idea(creator, title="Hidden", hidden=True, category_slug="outdoor")
    expired = factories.idea(creator, title="Past deadline", category_slug="outdoor",
                             deadline=utcnow() - timedelta(days=1))
    qualified = factories.idea(creator, title="Qualified", status="qualified",
                               category_slug="outdoor")
    draft = factories.idea(creator, title="Draft", status="draft", category_slug="outdoor")
    for idea in (mine, co, hidden, expired, qualified, draft):
        factories.support(idea, peer)
    titles_ = [t for t, _ in recommend(me, limit=20)]
    assert "Lantern hook" not in titles_  # already supported
    for excluded in ("My own idea", "Co-created", "Hidden", "Past deadline", "Qualified",
                     "Draft"):
        assert excluded not in titles_
    assert "Tent organiser" in titles_


def test_new_members_see_trending_ideas(community):
    newcomer = factories.user()
    hot = community["peer_pick"]
    hot.trending_score = 10_000_000
    db.session.commit()
    result = recommend(newcomer)
    assert result[0] == ("Tent organiser", "Trending now")
    assert all(reason == "Trending now" for _, reason in result)


def test_for_you_respects_the_limit_and_gives_each_idea_once(community):
    for n in range(12):
        factories.support(factories.idea(community["creator"], title=f"Peer pick {n}"),
                          community["peer"])
    result = recommend(community["me"], limit=5)
    assert len(result) == 5
    assert len({t for t, _ in result}) == 5


def test_a_blocked_moderator_sees_listings_like_anyone(app):
    moderator = factories.user("moderator")
    moderator.blocked_at = utcnow()
    db.session.commit()
    factories.idea(title="Hidden", hidden=True)
    assert titles(moderator) == []


def test_ideas_query_ignores_unknown_sort(app):
    factories.idea(title="Only")
    assert titles(sort="bogus") == ["Only"]
    assert db.session.query(Idea).count() == 1
