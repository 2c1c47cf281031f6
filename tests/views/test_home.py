"""The home page: hero, For you / Trending, rows, categories, programme stats."""
from datetime import timedelta

from app.extensions import db
from app.models import Product
from app.models.base import utcnow
from tests import factories
from tests.helpers import login


def home(client):
    response = client.get("/")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def section(html, testid):
    start = html.index(f'data-testid="{testid}"')
    end = html.find("</section>", start)
    return html[start:end]


def test_hero_explains_the_co_creation_loop(client):
    html = home(client)
    for words in ("Post an idea", "Gather support", "Staff review", "Product and royalties",
                  "customer value, uniqueness, feasibility and marketability",
                  "10,000 supporters qualify"):
        assert words in html


def test_visitor_sees_trending_expiring_newest_and_approved_rows(client):
    now = utcnow()
    factories.idea(title="Closing soon", deadline=now + timedelta(days=1))
    factories.idea(title="Made it", status="on_sale")
    html = home(client)
    assert "Closing soon" in section(html, "trending")
    assert "Closing soon" in section(html, "expiring")
    assert "Made it" in section(html, "approved")
    assert "Made it" not in section(html, "expiring")
    assert 'data-testid="for-you"' not in html


def test_hidden_ideas_never_appear_on_the_home_page(client):
    factories.idea(title="Hidden thing", hidden=True)
    factories.idea(title="Pending thing", status="pending_moderation")
    login(client, factories.user("moderator"))
    html = home(client)
    assert "Hidden thing" not in html and "Pending thing" not in html


def test_member_sees_for_you_with_reasons(client):
    me, peer = factories.user(), factories.user()
    liked = factories.idea(title="Lantern hook")
    factories.support(liked, me)
    factories.support(liked, peer)
    pick = factories.idea(title="Tent organiser")
    factories.support(pick, peer)
    login(client, me)
    html = home(client)
    for_you = section(html, "for-you")
    assert "Tent organiser" in for_you
    assert "Because you supported “Lantern hook”" in for_you
    assert 'data-testid="trending"' not in html


def test_new_member_sees_trending_now(client):
    factories.idea(title="Popular", supports=2)
    login(client, factories.user())
    assert "Trending now" in section(home(client), "for-you")


def test_programme_stats_and_category_links(client):
    idea = factories.idea(title="Made it", status="on_sale", supports=2)
    db.session.add(Product(idea_id=idea.id, name="Made it", royalty_rate_bps=100))
    db.session.commit()
    factories.idea(title="Hidden", hidden=True, supports=0)
    html = home(client)
    stats = section(html, "stats")
    assert stats.count('class="value">1<') == 2 and 'class="value">2<' in stats
    categories = section(html, "categories")
    assert "/ideas?category=outdoor" in categories and "Outdoor" in categories


def test_home_in_japanese_shows_japanese_category_names(client):
    html = client.get("/?lang=ja").get_data(as_text=True)
    assert "アウトドア" in section(html, "categories")


def test_reasons_and_cards_escape_hostile_titles(client):
    me, peer = factories.user(), factories.user()
    liked = factories.idea(title="<script>alert(1)</script>")
    factories.support(liked, me)
    factories.support(liked, peer)
    factories.support(factories.idea(title="<img src=x onerror=alert(2)>"), peer)
    login(client, me)
    html = home(client)
    assert "<script>alert(1)</script>" not in html and "<img src=x" not in html
    assert "Because you supported “&lt;script&gt;alert(1)&lt;/script&gt;”" in html
