"""Listings at scale: keyset cursors, bounded totals, the numbered-page bound."""
from datetime import timedelta

import pytest

from app.models.base import utcnow
from app.services import discovery
from tests import factories


@pytest.fixture
def ideas(app):
    """Eleven listed ideas whose sort keys tie in places (same score, same dates)."""
    now = utcnow()
    made = []
    for n in range(11):
        made.append(factories.idea(
            title=f"Idea {n}", trending_score=(n % 3) * 100, support_count=n % 4,
            published_at=now - timedelta(days=n % 2), updated_at=now - timedelta(hours=n % 2),
            deadline=now + timedelta(days=1 + n % 3),
            status="on_sale" if n in (3, 7) else "published"))
    factories.idea(title="Hidden", hidden=True)
    factories.idea(title="Draft", status="draft")
    return made


def walk(sort, per_page=3, **filters):
    """Every page of a listing by following the cursors: the ids, page after page."""
    seen, pages, after = [], [], None
    while True:
        listing = discovery.browse_page(None, sort=sort, per_page=per_page, after=after,
                                        **filters)
        seen.extend(idea.id for idea in listing.items)
        pages.append(listing.page)
        if not listing.has_next:
            return seen, pages
        after = listing.next_cursor
        assert after


@pytest.mark.parametrize("sort", discovery.SORTS)
def test_cursors_walk_every_idea_once_in_the_order_of_one_long_page(ideas, sort):
    whole = discovery.browse_page(None, sort=sort, per_page=100)
    walked, pages = walk(sort)
    assert walked == [idea.id for idea in whole.items]
    assert len(set(walked)) == len(walked)
    assert pages == list(range(1, len(pages) + 1))


@pytest.mark.parametrize("sort", discovery.SORTS)
def test_cursor_pages_are_the_numbered_pages(ideas, sort):
    first = discovery.browse_page(None, sort=sort, per_page=1)
    by_cursor = discovery.browse_page(None, sort=sort, per_page=1, after=first.next_cursor)
    by_number = discovery.browse_page(None, sort=sort, per_page=1, page=2)
    assert [i.id for i in by_cursor.items] == [i.id for i in by_number.items]
    assert by_cursor.page == 2 and by_cursor.items


def test_cursors_keep_the_filters(ideas):
    walked, _pages = walk("newest", per_page=2, status="published", category="home")
    assert len(walked) == 9
    whole = discovery.browse_page(None, sort="newest", status="published", per_page=100)
    assert walked == [idea.id for idea in whole.items]


def test_an_idea_published_meanwhile_shifts_nothing_on_the_next_cursor_page(ideas):
    first = discovery.browse_page(None, sort="newest", per_page=4)
    factories.idea(title="Brand new", published_at=utcnow())
    second = discovery.browse_page(None, sort="newest", per_page=4, after=first.next_cursor)
    assert not {i.id for i in first.items} & {i.id for i in second.items}
    assert "Brand new" not in [i.title for i in second.items]


@pytest.mark.parametrize("cursor", ["", "x", "!!!", "eyJzIjoidHJlbmRpbmcifQ",  # {"s":"trending"}
                                    "eyJzIjoibmV3ZXN0IiwiayI6WzEsMl0sInAiOjJ9",  # other sort
                                    "eyJzIjoidHJlbmRpbmciLCJrIjpbIngiLCJ5IiwieiJdLCJwIjoyfQ",
                                    "bnVsbA", "W10"])
def test_damaged_or_foreign_cursors_are_refused(ideas, cursor):
    with pytest.raises(discovery.BadCursor):
        discovery.browse_page(None, sort="trending", after=cursor or "=")


def test_a_cursor_of_another_sort_is_refused(ideas):
    cursor = discovery.browse_page(None, sort="newest", per_page=2).next_cursor
    with pytest.raises(discovery.BadCursor):
        discovery.browse_page(None, sort="supported", after=cursor)


def test_last_page_has_no_cursor(ideas):
    listing = discovery.browse_page(None, sort="trending", per_page=100)
    assert not listing.has_next and listing.next_cursor is None


def test_total_is_counted_up_to_the_cap(ideas, monkeypatch):
    monkeypatch.setattr(discovery, "TOTAL_CAP", 5)
    listing = discovery.browse_page(None, per_page=2)
    assert listing.total == 5 and listing.total_capped
    monkeypatch.setattr(discovery, "TOTAL_CAP", 11)
    listing = discovery.browse_page(None, per_page=2)
    assert listing.total == 11 and not listing.total_capped


def test_pages_by_number_end_at_the_cap_and_cursors_go_on(ideas, monkeypatch):
    monkeypatch.setattr(discovery, "TOTAL_CAP", 4)
    assert discovery.last_numbered_page(2) == 2
    with pytest.raises(discovery.PageTooDeep) as raised:
        discovery.browse_page(None, sort="newest", page=3, per_page=2)
    assert raised.value.last_page == 2
    second = discovery.browse_page(None, sort="newest", page=2, per_page=2)
    third = discovery.browse_page(None, sort="newest", per_page=2, after=second.next_cursor)
    assert third.page == 3 and len(third.items) == 2


def test_search_is_ranked_and_paged_by_number(app):
    factories.idea(title="Lantern", pitch="A lantern for the lantern lover",
                   description="lantern")
    factories.idea(title="Desk hook", pitch="Also holds a lantern", trending_score=9000)
    listing = discovery.browse_page(None, q="lantern", sort=discovery.RELEVANCE, per_page=1)
    assert listing.items[0].title == "Lantern"
    assert listing.has_next and listing.next_cursor is None
    second = discovery.browse_page(None, q="lantern", sort=discovery.RELEVANCE, per_page=1,
                                   page=2)
    assert second.items[0].title == "Desk hook"
    with pytest.raises(discovery.BadCursor):
        discovery.browse_page(None, q="lantern", sort=discovery.RELEVANCE,
                              after="eyJzIjoidHJlbmRpbmcifQ")
