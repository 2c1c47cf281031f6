"""List pages cost the same number of SQL queries for 3 ideas or 30 (no N+1)."""
import itertools

import pytest

from app.extensions import db
from app.models import IdeaImage, Tag, User
from app.models.base import utcnow
from tests import factories
from tests.helpers import login

_keys = itertools.count(1)


def quick_user():
    """A confirmed member without the cost of hashing a password."""
    n = next(_keys)
    user = User(email=f"lister{n}@example.com", display_name=f"Lister {n}", password_hash="!",
                email_confirmed_at=utcnow())
    db.session.add(user)
    db.session.commit()
    return user


def add_ideas(n, supporters):
    """n ideas by different creators, each with images, tags and supports."""
    tags = [Tag(name=f"tag{next(_keys)}") for _ in range(3)]
    for i in range(n):
        idea = factories.idea(quick_user(), title=f"Idea {next(_keys)}",
                              category_slug=("home", "outdoor", "kids")[i % 3],
                              status="published" if i % 4 else "on_sale",
                              trending_score=i)
        for position in range(2):
            db.session.add(IdeaImage(idea_id=idea.id, position=position, key=f"k{next(_keys)}",
                                     width=640, height=400))
        idea.tags.extend(tags[: 1 + i % 3])
        db.session.commit()
        for supporter in supporters[: 1 + i % len(supporters)]:
            factories.support(idea, supporter)


def queries_for(count_queries, client, url):
    client.get(url)  # warm up (first request, caches)
    with count_queries() as queries:
        response = client.get(url)
    assert response.status_code == 200
    return queries.count


LIST_URLS = ["/ideas", "/ideas?sort=newest&q=Idea", "/ideas?sort=expiring", "/",
             "/api/v1/ideas?per_page=100"]


@pytest.mark.parametrize("signed_in", [False, True])
def test_list_pages_cost_the_same_queries_for_3_or_30_ideas(client, count_queries, signed_in):
    member = quick_user()
    supporters = [member, *(quick_user() for _ in range(3))]
    if signed_in:
        login(client, member)
    add_ideas(3, supporters)
    few = {url: queries_for(count_queries, client, url) for url in LIST_URLS}
    add_ideas(27, supporters)
    many = {url: queries_for(count_queries, client, url) for url in LIST_URLS}
    assert few == many, "\n".join(f"{url}: {few[url]} queries for 3 ideas, {many[url]} for 30"
                                   for url in LIST_URLS if few[url] != many[url])


def test_for_you_costs_the_same_for_3_or_30_recommendable_ideas(client, count_queries):
    member, peers = quick_user(), [quick_user() for _ in range(3)]
    liked = factories.idea(quick_user(), title="Liked")
    for supporter in (member, *peers):
        factories.support(liked, supporter)
    login(client, member)
    add_ideas(3, peers)
    few = queries_for(count_queries, client, "/")
    add_ideas(27, peers)
    many = queries_for(count_queries, client, "/")
    assert few == many
