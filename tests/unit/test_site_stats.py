"""Rolled-up numbers (site_stats, tags.listed_count) and the cached home shelves."""
from datetime import timedelta

from sqlalchemy import select, update

from app.cache import cache
from app.extensions import db
from app.models import Product, SiteStat, Tag
from app.models.base import utcnow
from app.services import discovery, stats
from app.services import supports as support_service
from tests import factories


def tag(idea, *names):
    for name in names:
        row = db.session.scalar(select(Tag).where(Tag.name == name)) or Tag(name=name)
        idea.tags.append(row)
    db.session.commit()


def test_refresh_counts_listed_ideas_distinct_supporters_and_products(app):
    fan = factories.user()
    one = factories.idea(title="One", supports=2)
    two = factories.idea(title="Two", status="on_sale")
    factories.support(one, fan)
    factories.idea(title="Hidden", hidden=True, supports=1)
    factories.idea(title="Draft", status="draft")
    db.session.add(Product(idea_id=two.id, name="Two", royalty_rate_bps=100))
    db.session.commit()
    assert stats.refresh_site_stats() == {"ideas": 2, "supporters": 4, "products": 1}
    stored = dict(db.session.execute(select(SiteStat.key, SiteStat.value)).all())
    assert stored == {"ideas": 2, "supporters": 4, "products": 1}


def test_refresh_twice_updates_in_place(app):
    stats.refresh_site_stats()
    factories.idea(title="Later")
    assert stats.refresh_site_stats()["ideas"] == 1
    assert db.session.scalar(select(db.func.count()).select_from(SiteStat)) == 3


def test_tag_counts_count_listed_ideas_only(app):
    tag(factories.idea(title="Tent"), "camping", "light")
    tag(factories.idea(title="Lamp"), "light")
    tag(factories.idea(title="Hidden lamp", hidden=True), "light")
    tag(factories.idea(title="Draft lamp", status="draft"), "light")
    stats.refresh_site_stats()
    assert discovery.popular_tags() == [("light", 2), ("camping", 1)]


def test_pages_read_the_rolled_up_numbers_and_count_them_when_missing(app):
    factories.idea(title="First")
    assert discovery.programme_stats()["ideas"] == 1  # missing: counted now
    factories.idea(title="Second")
    assert discovery.programme_stats()["ideas"] == 1  # kept until the job runs
    stats.refresh_site_stats()
    assert discovery.programme_stats()["ideas"] == 2


def test_numbers_older_than_the_max_age_are_counted_again(app):
    stats.refresh_site_stats()
    factories.idea(title="New")
    db.session.execute(update(SiteStat).values(
        updated_at=utcnow() - timedelta(seconds=app.config["SITE_STATS_MAX_AGE"] + 1)))
    db.session.commit()
    assert discovery.programme_stats()["ideas"] == 1


def test_flask_ideas_stats_refreshes_them(app):
    factories.idea(title="Counted")
    result = app.test_cli_runner().invoke(args=["ideas", "stats"])
    assert result.exit_code == 0, result.output
    assert "ideas: 1" in result.output
    assert db.session.get(SiteStat, "ideas").value == 1


# --- the home shelves cache ------------------------------------------------------------------

def cached_shelves():
    return cache().get(discovery.SHELVES_KEY)


def test_home_shelves_are_cached_as_ids(app):
    idea = factories.idea(title="Shelved")
    shelves = discovery.home_shelves()
    assert idea.id in shelves["newest"]
    assert cached_shelves()["shelves"] == shelves


def test_a_newly_published_idea_reaches_the_home_shelf_at_once(client):
    factories.idea(title="Old news")
    client.get("/")
    assert cached_shelves() is not None
    draft = factories.idea(title="Fresh idea", status="draft")
    draft.status = "published"
    draft.published_at = utcnow()
    db.session.commit()
    assert cached_shelves() is None
    html = client.get("/").get_data(as_text=True)
    assert "Fresh idea" in html


def test_hiding_an_idea_clears_the_shelves_and_cached_ids_are_checked_again(client):
    idea = factories.idea(title="Soon hidden")
    client.get("/")
    idea.hidden = True
    db.session.commit()
    assert cached_shelves() is None
    # Even ids cached before the change are loaded only while still listed.
    discovery.home_shelves()
    cache().set(discovery.SHELVES_KEY, {"sizes": [4, 8], "shelves": {
        "trending": [idea.id], "expiring": [idea.id], "newest": [idea.id], "approved": []}}, 60)
    assert "Soon hidden" not in client.get("/").get_data(as_text=True)


def test_a_support_keeps_the_shelves_cached(app):
    idea = factories.idea(title="Gathering")
    discovery.home_shelves()
    support_service.support_idea(factories.user(), idea.id)
    db.session.commit()
    assert cached_shelves() is not None


def test_a_status_change_clears_the_shelves(app):
    idea = factories.idea(title="Made it", status="in_production")
    discovery.home_shelves()
    idea.status = "on_sale"
    db.session.commit()
    assert cached_shelves() is None
    assert idea.id in discovery.home_shelves()["approved"]


def test_a_rolled_back_change_keeps_the_shelves(app):
    idea = factories.idea(title="Unchanged")
    discovery.home_shelves()
    idea.hidden = True
    db.session.flush()
    db.session.rollback()
    assert cached_shelves() is not None
